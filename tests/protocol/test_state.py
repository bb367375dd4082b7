"""World state: account and storage round trips, roots against the ``trie`` package, the journal.

The reference root (``support.reference_state_root``) is computed
independently with ``trie.HexaryTrie``: keccak(address) → rlp([nonce,
balance, storageRoot, codeHash]) and, per account, keccak(slot) →
rlp(value). EIP-1186 account proofs from our trie must verify with our
verifier and with ``HexaryTrie.get_from_proof``.
"""

import rlp
from hypothesis import HealthCheck, given, settings
from trie import HexaryTrie

from interlace.primitives.hashing import keccak256
from interlace.primitives.mpt import EMPTY_TRIE_ROOT, verify_proof
from interlace.primitives.types import U64, U256, Address, Hash32
from interlace.protocol.chain.modules import MODULE_CODE_HASH
from interlace.protocol.chain.state import (
    Account,
    WorldState,
    decode_account,
    encode_account,
    is_empty_account,
)
from tests.protocol.support import (
    accounts,
    addresses,
    apply_world,
    merge_worlds,
    reference_state_root,
    worlds,
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

A = Address(b"\xaa" * 20)
B = Address(b"\xbb" * 20)
SLOT = (7).to_bytes(32, "big")


# ---- accounts and storage --------------------------------------------------------


def test_absent_account_and_slot_read_as_empty() -> None:
    state = WorldState()
    assert state.get_account(A) == Account()
    assert state.get_storage(A, SLOT) == 0
    assert state.state_root() == EMPTY_TRIE_ROOT


@given(accounts)
@FAST
def test_account_encoding_round_trips(fields: tuple[int, int, bytes]) -> None:
    nonce, balance, code_hash = fields
    account = Account(U64(nonce), U256(balance), EMPTY_TRIE_ROOT, Hash32(code_hash))
    assert decode_account(encode_account(account)) == account
    assert encode_account(account) == rlp.encode([nonce, balance, EMPTY_TRIE_ROOT, code_hash])


@given(worlds)
@FAST
def test_reads_return_writes_before_and_after_flush(world: dict) -> None:
    state = WorldState()
    apply_world(state, world)
    for _ in range(2):
        for address, ((nonce, balance, code_hash), storage) in world.items():
            account = state.get_account(address)
            assert (account.nonce, account.balance, account.code_hash) == (
                nonce,
                balance,
                code_hash,
            )
            for slot, value in storage.items():
                assert state.get_storage(address, slot) == value
        state.state_root()


def test_balance_helpers() -> None:
    state = WorldState()
    state.add_balance(A, 100)
    state.sub_balance(A, 30)
    state.bump_nonce(A)
    state.bump_nonce(A)
    assert state.balance_of(A) == 70
    assert state.get_account(A).nonce == 2
    state.state_root()
    assert state.balance_of(A) == 70
    assert state.get_account(A).nonce == 2


# ---- state root against the trie package ----------------------------------------------


@given(worlds)
@FAST
def test_state_root_matches_hexary_trie(world: dict) -> None:
    state = WorldState()
    apply_world(state, world)
    assert state.state_root() == reference_state_root(world)


@given(worlds, worlds)
@FAST
def test_state_root_matches_hexary_trie_after_updates(first: dict, second: dict) -> None:
    """Updates over a flushed state (overwrites, zeroed slots, emptied accounts)."""
    state = WorldState()
    apply_world(state, first)
    state.state_root()
    apply_world(state, second)
    assert state.state_root() == reference_state_root(merge_worlds(first, second))


@given(worlds)
@FAST
def test_storage_root_matches_hexary_trie(world: dict) -> None:
    state = WorldState()
    apply_world(state, world)
    state.state_root()
    for address, (_acc, storage) in world.items():
        reference = HexaryTrie({})
        for slot, value in storage.items():
            if value:
                reference[keccak256(slot)] = rlp.encode(value)
        assert state.storage_trie(address).root() == reference.root_hash
        assert state.get_account(address).storage_root == reference.root_hash


def test_zeroing_every_slot_restores_the_empty_storage_root() -> None:
    state = WorldState()
    state.set_account(A, Account(code_hash=MODULE_CODE_HASH))
    state.set_storage(A, SLOT, 5)
    state.state_root()
    assert state.get_account(A).storage_root != EMPTY_TRIE_ROOT
    state.set_storage(A, SLOT, 0)
    state.state_root()
    assert state.get_account(A).storage_root == EMPTY_TRIE_ROOT
    assert state.get_storage(A, SLOT) == 0


# ---- EIP-1186 proofs -------------------------------------------------------------------


@given(worlds.filter(bool), addresses)
@FAST
def test_account_proof_verifies(world: dict, absent: Address) -> None:
    state = WorldState()
    apply_world(state, world)
    root = state.state_root()
    trie = state.account_trie()
    for address in world:
        proof = trie.proof(address)
        account = state.get_account(address)
        expected = None if _deleted(account) else encode_account(account)
        assert verify_proof(root, address, proof, secure=True) == expected
        decoded_nodes = [rlp.decode(node) for node in proof]
        assert HexaryTrie.get_from_proof(root, keccak256(address), decoded_nodes) == (
            expected or b""
        )
    if absent not in world:
        assert verify_proof(root, absent, trie.proof(absent), secure=True) is None


def _deleted(account: Account) -> bool:
    return is_empty_account(account) and account.storage_root == EMPTY_TRIE_ROOT


def test_storage_proof_verifies() -> None:
    state = WorldState()
    state.set_account(A, Account(code_hash=MODULE_CODE_HASH))
    state.set_storage(A, SLOT, 0x1234)
    state.state_root()
    storage_root = state.get_account(A).storage_root
    proof = state.storage_trie(A).proof(SLOT)
    assert verify_proof(storage_root, SLOT, proof, secure=True) == rlp.encode(0x1234)


# ---- journal -----------------------------------------------------------------------------


@given(worlds, worlds)
@FAST
def test_revert_to_undoes_every_write_since_the_checkpoint(first: dict, second: dict) -> None:
    state = WorldState()
    apply_world(state, first)
    before = {a: state.get_account(a) for a in {*first, *second}}
    before_storage = {
        (a, s): state.get_storage(a, s)
        for a in {*first, *second}
        for s in {*first.get(a, ((), {}))[1], *second.get(a, ((), {}))[1]}
    }
    mark = state.checkpoint()
    apply_world(state, second)
    state.revert_to(mark)
    assert {a: state.get_account(a) for a in before} == before
    assert {k: state.get_storage(*k) for k in before_storage} == before_storage
    assert state.state_root() == reference_state_root(first)


def test_nested_checkpoints() -> None:
    state = WorldState()
    state.add_balance(A, 1)
    outer = state.checkpoint()
    state.add_balance(A, 10)
    inner = state.checkpoint()
    state.add_balance(A, 100)
    state.set_storage(A, SLOT, 9)
    state.revert_to(inner)
    assert state.balance_of(A) == 11
    assert state.get_storage(A, SLOT) == 0
    state.revert_to(outer)
    assert state.balance_of(A) == 1


def test_revert_of_a_write_over_a_flushed_value() -> None:
    state = WorldState()
    state.set_account(A, Account(code_hash=MODULE_CODE_HASH))
    state.set_storage(A, SLOT, 1)
    state.add_balance(A, 5)
    root = state.state_root()
    mark = state.checkpoint()
    state.set_storage(A, SLOT, 2)
    state.add_balance(A, 5)
    state.revert_to(mark)
    assert state.get_storage(A, SLOT) == 1
    assert state.balance_of(A) == 5
    assert state.state_root() == root


# ---- copy ---------------------------------------------------------------------------------


@given(worlds, worlds)
@FAST
def test_copy_is_independent(first: dict, second: dict) -> None:
    state = WorldState()
    apply_world(state, first)
    root = state.state_root()
    other = state.copy()
    assert other.state_root() == root
    apply_world(other, second)
    other_root = other.state_root()
    assert state.state_root() == root
    assert other_root == reference_state_root(merge_worlds(first, second))
    apply_world(state, second)
    assert other.state_root() == other_root


def test_copy_includes_unflushed_writes() -> None:
    state = WorldState()
    state.add_balance(A, 7)
    state.set_account(B, Account(code_hash=MODULE_CODE_HASH))
    state.set_storage(B, SLOT, 3)
    other = state.copy()
    assert other.balance_of(A) == 7
    assert other.get_storage(B, SLOT) == 3
    other.set_storage(B, SLOT, 4)
    other.add_balance(A, 1)
    assert state.get_storage(B, SLOT) == 3
    assert state.balance_of(A) == 7


# ---- empty accounts ---------------------------------------------------------------------


def test_empty_account_is_deleted() -> None:
    state = WorldState()
    state.add_balance(A, 10)
    state.add_balance(B, 1)
    root_with_a = state.state_root()
    assert state.account_trie().get(A) is not None
    state.sub_balance(A, 10)
    root = state.state_root()
    assert root != root_with_a
    assert state.account_trie().get(A) is None
    reference = WorldState()
    reference.add_balance(B, 1)
    assert root == reference.state_root()


def test_touching_an_account_with_zero_does_not_create_it() -> None:
    state = WorldState()
    state.add_balance(A, 0)
    assert state.state_root() == EMPTY_TRIE_ROOT


def test_nonce_or_code_keeps_an_account_alive() -> None:
    state = WorldState()
    state.bump_nonce(A)
    state.set_account(B, Account(code_hash=MODULE_CODE_HASH))
    state.state_root()
    assert state.account_trie().get(A) is not None
    assert state.account_trie().get(B) is not None
