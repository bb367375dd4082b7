"""Witness proofs of rollup blocks: prove, verify, and refuse every forgery with a typed error.

The world is a ``RollupChain`` with forty funded accounts and a small
key-value module whose calls write and delete storage. Its history covers
what a witness must get right: transfers among many accounts, a user
deposit to a new account, a predeploy slot deleted (the L1Block sequence
number returning to 0 under a new origin), module storage deleted down to
nothing (so the module's account leaves the account trie and branches
collapse into siblings the block never reads), and an account emptied to
a zero balance.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlace.primitives.abi import AbiModule
from interlace.primitives.errors import InvalidProof, MalformedProof
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import BlockHeader, encode_header
from interlace.primitives.keys import PrivateKey, private_key_from_seed
from interlace.primitives.mpt import EMPTY_TRIE_ROOT, Trie
from interlace.primitives.rlp_codec import RLPItem, decode_rlp, encode_rlp
from interlace.primitives.tx import DepositTransaction, Transaction
from interlace.primitives.types import U64, U256, Address, Hash32, address_from_hex
from interlace.protocol import proofs
from interlace.protocol.chain.block import Block, ChainConfig, next_base_fee
from interlace.protocol.chain.errors import InvalidBlock
from interlace.protocol.chain.modules import CallContext, NativeModule, revert, word_slot
from interlace.protocol.chain.state import WorldState
from interlace.protocol.proofs import (
    BlockClaim,
    BlockInputs,
    InvalidValidityProof,
    MalformedValidityProof,
    witness,
)
from interlace.protocol.proofs.witness import (
    WITNESS_PROOF_VERSION,
    WitnessProofSystem,
    block_claim,
    make_witness_proof,
    verify_witness_proof,
)
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import L1Origin
from interlace.protocol.rollup.predeploys import L1_BLOCK_ADDRESS
from tests.protocol.support import CHAIN_ID, ETHER, GWEI, call_tx, transfer

KEYS: Final = tuple(private_key_from_seed(b"witness %d" % i) for i in range(40))
ORIGIN: Final = L1Origin(U64(7), Hash32(b"\x11" * 32), U64(84), U256(GWEI))
ORIGIN2: Final = L1Origin(U64(8), Hash32(b"\x22" * 32), U64(96), U256(GWEI))
TYPED: Final = (InvalidValidityProof, MalformedValidityProof)

# ---- a key-value module whose calls write and delete storage ------------------------

KV_ADDRESS: Final = address_from_hex("0x00000000000000000000000000000000000c0de2")
KV_ABI: Final = AbiModule.declare(
    "KvStore",
    functions=["put(uint256 slot, uint256 value)", "move(uint256 source, uint256 target)"],
    events=[],
)


class KvStore(NativeModule):
    """``put`` writes a word (0 deletes it); ``move`` writes one slot and deletes another."""

    address = KV_ADDRESS
    abi = KV_ABI

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if function == "put":
            slot, value = args
            assert isinstance(slot, int) and isinstance(value, int)
            ctx.sstore(word_slot(slot), value)
            return b""
        if function == "move":
            source, target = args
            assert isinstance(source, int) and isinstance(target, int)
            ctx.sstore(word_slot(target), ctx.sload(word_slot(source)))
            ctx.sstore(word_slot(source), 0)
            return b""
        raise revert(f"unknown function {function}")


def kv_put(key: PrivateKey, nonce: int, slot: int, value: int) -> Transaction:
    """A call ``put(slot, value)``."""
    return call_tx(key, nonce, KV_ADDRESS, KV_ABI.function("put").encode_call(slot, value))


def kv_move(key: PrivateKey, nonce: int, source: int, target: int) -> Transaction:
    """A call ``move(source, target)``."""
    return call_tx(key, nonce, KV_ADDRESS, KV_ABI.function("move").encode_call(source, target))


# ---- the world -----------------------------------------------------------------------


def new_chain() -> RollupChain:
    """Genesis funds every key; the key-value module is added after genesis, without code."""
    chain = RollupChain(RollupGenesis(CHAIN_ID, ORIGIN, 0, {k.address: 10 * ETHER for k in KEYS}))
    # Not installed: its account exists only while it holds storage, so
    # clearing the storage deletes the account from the account trie.
    chain.modules[KV_ADDRESS] = KvStore()
    return chain


class Nonces:
    """Next nonce of every key, as the chain will see it."""

    def __init__(self) -> None:
        self.next: dict[Address, int] = {}

    def take(self, key: PrivateKey) -> int:
        """The nonce for ``key``'s next transaction."""
        nonce = self.next.get(key.address, 0)
        self.next[key.address] = nonce + 1
        return nonce


@dataclass(frozen=True)
class Step:
    """One block with what a prover and a verifier need."""

    parent_header: BlockHeader
    parent_state: WorldState
    block: Block
    post_state: WorldState


def extend(
    chain: RollupChain,
    origin: L1Origin,
    user_txs: list[Transaction],
    deposits: tuple[DepositTransaction, ...] = (),
) -> Step:
    """Build the next block, check every candidate was included, append it."""
    parent = chain.head
    parent_state = chain.head_state
    built = chain.build_next(origin, deposits, user_txs, int(chain.next_timestamp(2)))
    assert not built.rejected, built.rejected
    chain.append(built, origin)
    return Step(parent.header, parent_state, built.block, built.state)


def random_transfers(
    rng: random.Random, nonces: Nonces, count: int, keys: tuple[PrivateKey, ...] = KEYS
) -> list[Transaction]:
    """``count`` transfers between random keys, a few to brand-new addresses."""
    txs: list[Transaction] = []
    for _ in range(count):
        sender = rng.choice(keys)
        to = Address(rng.randbytes(20)) if rng.random() < 0.2 else rng.choice(KEYS).address
        txs.append(transfer(sender, nonces.take(sender), to, rng.randrange(1, 10**15)))
    return txs


def build_history() -> tuple[RollupChain, list[Step]]:
    """Three blocks; see the module docstring."""
    rng = random.Random(7)
    chain = new_chain()
    nonces = Nonces()
    steps: list[Step] = []
    writer, spender = KEYS[0], KEYS[1]
    workers = KEYS[2:]

    # Block 1: transfers, and the module writes six slots.
    txs = random_transfers(rng, nonces, 60, workers)
    txs += [kv_put(writer, nonces.take(writer), slot, 1000 + slot) for slot in range(1, 7)]
    steps.append(extend(chain, ORIGIN, txs))

    # Block 2: a new origin (L1Block's sequence number slot is deleted), a user
    # deposit minting to a new account, module storage written and deleted by
    # one call, and ``spender`` sending everything it has.
    deposit = DepositTransaction(
        source_hash=keccak256(b"witness deposit"),
        sender=Address(b"\xd0" * 20),
        to=KEYS[5].address,
        mint=U256(3 * ETHER),
        value=U256(ETHER),
        gas_limit=U64(100_000),
        is_system_transaction=False,
        data=b"",
    )
    base_fee = next_base_fee(chain.head.header)
    balance = chain.head_state.balance_of(spender.address)
    everything = transfer(
        spender,
        nonces.take(spender),
        KEYS[3].address,
        balance - 21_000 * base_fee,
        max_fee=base_fee,
        tip=0,
    )
    txs = random_transfers(rng, nonces, 40, workers)
    txs += [
        kv_move(writer, nonces.take(writer), 1, 9),
        kv_put(writer, nonces.take(writer), 2, 0),
        kv_put(writer, nonces.take(writer), 3, 0),
        everything,
    ]
    steps.append(extend(chain, ORIGIN2, txs, (deposit,)))

    # Block 3: every remaining slot deleted, so the module's account goes away.
    txs = [kv_put(writer, nonces.take(writer), slot, 0) for slot in (4, 5, 6, 9)]
    txs += random_transfers(rng, nonces, 20, workers)
    steps.append(extend(chain, ORIGIN2, txs))
    return chain, steps


@pytest.fixture(scope="module")
def history() -> tuple[RollupChain, list[Step]]:
    """The chain and its three blocks."""
    return build_history()


@pytest.fixture(scope="module")
def proofs_of(history: tuple[RollupChain, list[Step]]) -> list[bytes]:
    """A witness proof of every block of ``history``."""
    chain, steps = history
    return [prove(chain, step) for step in steps]


def prove(chain: RollupChain, step: Step) -> bytes:
    """The witness proof of one step."""
    return make_witness_proof(
        step.parent_state, step.parent_header, step.block, chain.modules, chain.config
    )


def verify(chain: RollupChain, proof: bytes, parent: BlockHeader | None = None) -> BlockClaim:
    """``verify_witness_proof`` with the chain's config and modules."""
    return verify_witness_proof(proof, chain.config, chain.modules, parent)


# ---- editing proofs --------------------------------------------------------------------


def fields_of(proof: bytes) -> list[RLPItem]:
    """The RLP items of a proof (see the layout in ``witness``)."""
    assert proof[:1] == WITNESS_PROOF_VERSION
    item = decode_rlp(proof[1:])
    assert isinstance(item, list)
    return item


def edited(proof: bytes, edit: Callable[[list[RLPItem]], None]) -> bytes:
    """``proof`` with its items changed in place by ``edit`` and re-encoded."""
    items = fields_of(proof)
    edit(items)
    return WITNESS_PROOF_VERSION + encode_rlp(items)


def nodes(items: list[RLPItem], index: int) -> list[RLPItem]:
    """A list item of a decoded proof."""
    found = items[index]
    assert isinstance(found, list)
    return found


def storage_nodes(items: list[RLPItem], address: Address) -> list[RLPItem]:
    """The storage witness of ``address`` in a decoded proof."""
    for entry in nodes(items, 4):
        assert isinstance(entry, list)
        if entry[0] == address:
            found = entry[1]
            assert isinstance(found, list)
            return found
    raise AssertionError(f"no storage witness for 0x{address.hex()}")


def with_header(proof: bytes, change: Callable[[BlockHeader], BlockHeader]) -> bytes:
    """``proof`` with its block header replaced by ``change(header)``."""
    from interlace.primitives.header import decode_header

    def edit(items: list[RLPItem]) -> None:
        raw = items[2]
        assert isinstance(raw, bytes)
        items[2] = encode_header(change(decode_header(raw)))

    return edited(proof, edit)


# ---- the scenario is what it claims to be ---------------------------------------------


def test_history_covers_deposits_deletions_and_an_emptied_account(
    history: tuple[RollupChain, list[Step]],
) -> None:
    chain, steps = history
    second, third = steps[1], steps[2]
    assert any(isinstance(tx, DepositTransaction) and tx.mint for tx in second.block.transactions)
    l1_block = second.parent_state.storage_trie(L1_BLOCK_ADDRESS)
    assert l1_block.get(word_slot(4)) is not None  # sequence number 1 ...
    assert second.post_state.storage_trie(L1_BLOCK_ADDRESS).get(word_slot(4)) is None  # ... to 0
    assert second.post_state.balance_of(KEYS[1].address) == 0
    assert second.post_state.get_account(KEYS[1].address).nonce == 1
    assert second.post_state.get_storage(KV_ADDRESS, word_slot(9)) == 1001
    assert second.post_state.get_storage(KV_ADDRESS, word_slot(1)) == 0
    assert third.parent_state.account_trie().get(KV_ADDRESS) is not None
    assert third.post_state.account_trie().get(KV_ADDRESS) is None
    assert chain.head.hash == third.block.hash


# ---- prove and verify ---------------------------------------------------------------------


def test_every_block_proves_and_verifies(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes]
) -> None:
    chain, steps = history
    for step, proof in zip(steps, proofs_of, strict=True):
        claim = verify(chain, proof, step.parent_header)
        header = step.block.header
        assert claim == block_claim(CHAIN_ID, step.parent_header, step.block)
        assert claim.chain_id == CHAIN_ID
        assert claim.number == header.number
        assert claim.parent_hash == header.parent_hash
        assert claim.parent_state_root == step.parent_header.state_root
        assert claim.state_root == header.state_root == step.post_state.state_root()
        assert claim.receipts_root == header.receipts_root
        assert claim.transactions_root == header.transactions_root
        assert claim.block_hash == step.block.hash
        # Without the expected parent, the proof's own parent (bound by the block hash) is used.
        assert verify(chain, proof) == claim


def test_proof_system_interface(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes]
) -> None:
    chain, steps = history
    system = WitnessProofSystem(chain.config, chain.modules)
    assert isinstance(system, proofs.ProofSystem)
    assert "zk" not in system.name.lower()
    for step, proof in zip(steps, proofs_of, strict=True):
        inputs = BlockInputs(step.parent_state, step.parent_header, step.block)
        assert system.prove(inputs) == proof  # deterministic
        system.verify(block_claim(CHAIN_ID, step.parent_header, step.block), proof)


def test_proving_leaves_the_parent_state_alone(history: tuple[RollupChain, list[Step]]) -> None:
    chain, steps = history
    step = steps[2]
    before = step.parent_state.state_root()
    prove(chain, step)
    assert step.parent_state.state_root() == before


def test_an_invalid_block_gets_no_proof(history: tuple[RollupChain, list[Step]]) -> None:
    chain, steps = history
    step = steps[1]
    forged = Block(
        replace(step.block.header, state_root=Hash32(b"\x01" * 32)), step.block.transactions
    )
    with pytest.raises(InvalidBlock):
        make_witness_proof(
            step.parent_state, step.parent_header, forged, chain.modules, chain.config
        )


def test_the_witness_holds_the_sibling_a_delete_collapses_into(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes]
) -> None:
    # Block 3 deletes the module's last four slots; its storage trie collapses
    # into nothing, and the account trie loses the module's leaf. The storage
    # witness must hold every node, and dropping any one breaks verification.
    chain, steps = history
    proof = proofs_of[2]
    storage = steps[2].parent_state.storage_trie(KV_ADDRESS)
    needed = {node for slot in (4, 5, 6, 9) for node in storage.proof(word_slot(slot))}
    assert needed <= set(storage_nodes(fields_of(proof), KV_ADDRESS))
    # Block 2 deletes slots 1..3 but not 4..6: a collapse may need a node that no
    # touched key's proof holds; whatever the witness holds beyond them is needed.
    proof2 = proofs_of[1]
    for index in range(len(storage_nodes(fields_of(proof2), KV_ADDRESS))):

        def drop(items: list[RLPItem], index: int = index) -> None:
            del storage_nodes(items, KV_ADDRESS)[index]

        with pytest.raises(InvalidValidityProof):
            verify(chain, edited(proof2, drop))


def test_a_delete_needs_the_untouched_sibling() -> None:
    # A trie whose root branch has exactly two leaves: deleting one merges the
    # root into the other, which no touched key's proof contains.
    chain = new_chain()
    nonces = Nonces()
    writer = KEYS[0]
    first = extend(chain, ORIGIN, [kv_put(writer, nonces.take(writer), s, 5) for s in (1, 2)])
    assert first.post_state.get_storage(KV_ADDRESS, word_slot(2)) == 5
    step = extend(chain, ORIGIN, [kv_put(writer, nonces.take(writer), 1, 0)])
    proof = prove(chain, step)
    storage = step.parent_state.storage_trie(KV_ADDRESS)
    sibling = storage.proof(word_slot(2))[-1]
    assert sibling not in storage.proof(word_slot(1))
    witnessed = storage_nodes(fields_of(proof), KV_ADDRESS)
    assert sibling in witnessed
    assert verify(chain, proof).state_root == step.block.header.state_root

    def drop_sibling(items: list[RLPItem]) -> None:
        storage_nodes(items, KV_ADDRESS).remove(sibling)

    with pytest.raises(InvalidValidityProof, match="incomplete"):
        verify(chain, edited(proof, drop_sibling))


# ---- forgeries -----------------------------------------------------------------------------


def test_a_proof_for_another_block_is_refused(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes]
) -> None:
    chain, steps = history
    system = WitnessProofSystem(chain.config, chain.modules)
    # The right proof checked against another parent.
    with pytest.raises(InvalidValidityProof, match="another parent"):
        verify(chain, proofs_of[2], steps[0].parent_header)
    # A proof of block 3 offered for block 2's claim, and the other way round.
    with pytest.raises(InvalidValidityProof, match="not the claimed"):
        system.verify(block_claim(CHAIN_ID, steps[1].parent_header, steps[1].block), proofs_of[2])
    with pytest.raises(InvalidValidityProof):
        system.verify(block_claim(CHAIN_ID, steps[2].parent_header, steps[2].block), proofs_of[1])
    # A claim that differs in one field only.
    claim = block_claim(CHAIN_ID, steps[2].parent_header, steps[2].block)
    with pytest.raises(InvalidValidityProof):
        system.verify(replace(claim, state_root=Hash32(b"\x02" * 32)), proofs_of[2])
    # The proof's parent header swapped for an earlier block's: the hashes no longer chain.

    def swap_parent(items: list[RLPItem]) -> None:
        items[1] = encode_header(steps[0].parent_header)

    with pytest.raises(InvalidValidityProof, match="parent hash"):
        verify(chain, edited(proofs_of[2], swap_parent))


def test_a_proof_for_another_chain_is_refused(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes]
) -> None:
    chain, _steps = history
    other = ChainConfig(CHAIN_ID + 1)
    with pytest.raises(InvalidValidityProof, match="chain"):
        verify_witness_proof(proofs_of[0], other, chain.modules)


@pytest.mark.parametrize("section", [3, 4])
def test_a_tampered_witness_node_is_refused(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes], section: int
) -> None:
    chain, _steps = history
    # Block 1 writes into empty storage tries: it has no storage witness.
    for proof in proofs_of if section == 3 else proofs_of[1:]:

        def tamper(items: list[RLPItem]) -> None:
            listed = nodes(items, 3) if section == 3 else storage_nodes(items, L1_BLOCK_ADDRESS)
            node = listed[len(listed) // 2]
            assert isinstance(node, bytes)
            listed[len(listed) // 2] = node[:-1] + bytes((node[-1] ^ 1,))

        with pytest.raises(InvalidValidityProof):
            verify(chain, edited(proof, tamper))


def test_every_missing_account_node_is_refused(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes]
) -> None:
    chain, _steps = history
    proof = proofs_of[2]
    for index in range(len(nodes(fields_of(proof), 3))):

        def drop(items: list[RLPItem], index: int = index) -> None:
            del nodes(items, 3)[index]

        with pytest.raises(InvalidValidityProof, match="incomplete"):
            verify(chain, edited(proof, drop))


def test_a_missing_storage_witness_is_refused(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes]
) -> None:
    chain, _steps = history

    def drop_all_storage(items: list[RLPItem]) -> None:
        items[4] = []

    with pytest.raises(InvalidValidityProof, match="incomplete"):
        verify(chain, edited(proofs_of[1], drop_all_storage))


def test_extra_or_repeated_nodes_are_refused(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes]
) -> None:
    chain, steps = history
    unrelated = steps[0].parent_state.account_trie().proof(KEYS[0].address)[-1]

    def add_unused(items: list[RLPItem]) -> None:
        nodes(items, 3).append(unrelated)

    def repeat(items: list[RLPItem]) -> None:
        listed = nodes(items, 3)
        listed.append(listed[0])

    def add_storage_of_untouched(items: list[RLPItem]) -> None:
        nodes(items, 4).append([KEYS[0].address, [unrelated]])

    for edit, message in (
        (add_unused, "does not touch"),
        (repeat, "twice"),
        (add_storage_of_untouched, "does not touch"),
    ):
        with pytest.raises(InvalidValidityProof, match=message):
            verify(chain, edited(proofs_of[2], edit))


def test_a_tampered_post_state_or_receipts_root_is_refused(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes]
) -> None:
    chain, _steps = history
    proof = proofs_of[1]
    wrong = Hash32(b"\x03" * 32)
    cases: list[tuple[Callable[[BlockHeader], BlockHeader], str]] = [
        (lambda h: replace(h, state_root=wrong), "state root"),
        (lambda h: replace(h, receipts_root=wrong), "receipts root"),
        (lambda h: replace(h, gas_used=U64(h.gas_used + 1)), "gas used"),
        (lambda h: replace(h, number=U64(h.number + 1)), "number"),
        (lambda h: replace(h, base_fee_per_gas=U256(h.base_fee_per_gas + 1)), "base fee"),
    ]
    for change, message in cases:
        with pytest.raises(InvalidValidityProof, match=message):
            verify(chain, with_header(proof, change))


def test_a_tampered_transaction_list_is_refused(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes]
) -> None:
    chain, steps = history
    proof = proofs_of[1]
    txs = [tx.raw for tx in steps[1].block.transactions]

    def drop_last(items: list[RLPItem]) -> None:
        del nodes(items, 5)[-1]

    def swap(items: list[RLPItem]) -> None:
        listed = nodes(items, 5)
        listed[3], listed[4] = listed[4], listed[3]

    def foreign(items: list[RLPItem]) -> None:
        nodes(items, 5).append(transfer(KEYS[9], 999, KEYS[8].address, 1).raw)

    for edit in (drop_last, swap, foreign):
        with pytest.raises(InvalidValidityProof, match="transactions root"):
            verify(chain, edited(proof, edit))

    # Dropping the last transaction and re-committing the header to the shorter
    # list still fails: gas, receipts and state no longer match the header.
    from interlace.primitives.receipt import transactions_root

    def recommit(items: list[RLPItem]) -> None:
        del nodes(items, 5)[-1]

    shorter = with_header(
        edited(proof, recommit),
        lambda h: replace(h, transactions_root=transactions_root(txs[:-1])),
    )
    with pytest.raises(InvalidValidityProof, match="re-execution rejects"):
        verify(chain, shorter)

    def garbage(items: list[RLPItem]) -> None:
        nodes(items, 5)[2] = b"\x02\xc1\x80"

    with pytest.raises(MalformedValidityProof):
        verify(chain, edited(proof, garbage))


def test_malformed_layouts_are_refused(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes]
) -> None:
    chain, _steps = history
    proof = proofs_of[0]
    for bad in (
        b"",
        b"\x02" + proof[1:],
        proof[:-1],
        WITNESS_PROOF_VERSION + encode_rlp([]),
        WITNESS_PROOF_VERSION + encode_rlp([b"", b"", b"", [], [], []]),
        edited(proof, lambda items: items.__setitem__(4, [[b"\x01" * 19, []]])),
    ):
        with pytest.raises(MalformedValidityProof):
            verify(chain, bad)
    # Typed errors stay inside the shared families of ``interlace.primitives.errors``.
    assert issubclass(InvalidValidityProof, InvalidProof)
    assert issubclass(MalformedValidityProof, MalformedProof)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_proofs_raise_only_the_typed_errors(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes], data: st.DataObject
) -> None:
    chain, steps = history
    system = WitnessProofSystem(chain.config, chain.modules)
    proof = proofs_of[2]
    claim = block_claim(CHAIN_ID, steps[2].parent_header, steps[2].block)
    kind = data.draw(st.sampled_from(["flip", "truncate", "insert", "random"]))
    if kind == "flip":
        at = data.draw(st.integers(0, len(proof) - 1))
        byte = data.draw(st.integers(0, 255))
        mutated = proof[:at] + bytes((byte,)) + proof[at + 1 :]
    elif kind == "truncate":
        mutated = proof[: data.draw(st.integers(0, len(proof) - 1))]
    elif kind == "insert":
        at = data.draw(st.integers(0, len(proof)))
        mutated = proof[:at] + data.draw(st.binary(min_size=1, max_size=8)) + proof[at:]
    else:
        mutated = data.draw(st.binary(max_size=400))
    if mutated == proof:
        system.verify(claim, mutated)
        return
    with pytest.raises(TYPED):
        system.verify(claim, mutated)


# ---- property: random blocks always prove, and the claim is the full node's -----------------


@pytest.fixture(scope="module")
def stocked_chain() -> RollupChain:
    """A chain whose module already holds ten slots, for random writes and deletes."""
    chain = new_chain()
    writer = KEYS[0]
    extend(chain, ORIGIN, [kv_put(writer, n, n + 1, 7 + n) for n in range(10)])
    return chain


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("transfer"), st.integers(1, 39), st.integers(0, 45), st.integers(0, 10**18)
        ),
        st.tuples(st.just("put"), st.integers(1, 39), st.integers(1, 14), st.integers(0, 3)),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations, st.booleans())
def test_random_blocks_prove_and_verify_to_the_full_nodes_root(
    stocked_chain: RollupChain, ops: list[tuple[str, int, int, int]], new_origin: bool
) -> None:
    chain = stocked_chain
    nonces = {k.address: chain.head_state.get_account(k.address).nonce for k in KEYS}
    txs: list[Transaction] = []
    for kind, sender_index, target, value in ops:
        sender = KEYS[sender_index]
        nonce = nonces[sender.address]
        nonces[sender.address] += 1
        if kind == "transfer":
            to = KEYS[target].address if target < len(KEYS) else Address(bytes([target]) * 20)
            txs.append(transfer(sender, nonce, to, value))
        else:
            txs.append(kv_put(sender, nonce, target, value))
    origin = ORIGIN2 if new_origin else ORIGIN
    built = chain.build_next(origin, (), txs, int(chain.next_timestamp(2)))  # not appended
    assert not built.rejected
    proof = make_witness_proof(
        chain.head_state, chain.head.header, built.block, chain.modules, chain.config
    )
    claim = verify(chain, proof, chain.head.header)
    assert claim.state_root == built.state.state_root() == built.block.header.state_root
    assert claim == block_claim(CHAIN_ID, chain.head.header, built.block)


def test_the_claim_commits_to_the_declared_dependencies() -> None:
    from interlace.primitives.rlp_codec import encode_uint
    from interlace.protocol.interop.messenger import (
        MESSENGER_ABI,
        MESSENGER_ADDRESS,
        Dependency,
        dependency_deposit,
    )
    from interlace.protocol.rollup.derivation import attributes_deposit

    attributes = attributes_deposit(ORIGIN, 0)
    source = Hash32(b"\x44" * 32)
    declared = dependency_deposit(Hash32(b"\x55" * 32), (Dependency(902, 5, source),))
    expected = keccak256(encode_rlp([[encode_uint(902), encode_uint(5), source]]))
    assert witness.dependencies_hash((attributes, declared)) == expected
    assert witness.dependencies_hash((attributes,)) == keccak256(encode_rlp([]))
    malformed = replace(
        declared, data=MESSENGER_ABI.function("declareDependencies").selector + b"\x01"
    )
    assert malformed.to == MESSENGER_ADDRESS
    assert witness.dependencies_hash((attributes, malformed)) == witness.MALFORMED_DEPENDENCIES_HASH


# ---- the state over tries, and the public surface -------------------------------------------


def test_world_state_from_tries_opens_each_storage_trie_once() -> None:
    full = WorldState()
    full.set_storage(KV_ADDRESS, word_slot(1), 5)
    full.add_balance(KEYS[0].address, 9)
    root = full.state_root()
    opened: list[tuple[Address, Hash32]] = []

    def open_storage(address: Address, storage_root: Hash32) -> Trie:
        opened.append((address, storage_root))
        return full.storage_trie(address).copy()

    state = WorldState.from_tries(full.account_trie().copy(), open_storage)
    assert state.get_storage(KV_ADDRESS, word_slot(1)) == 5
    assert state.get_storage(KV_ADDRESS, word_slot(2)) == 0
    assert state.get_storage(KEYS[0].address, word_slot(1)) == 0
    assert opened == [
        (KV_ADDRESS, full.get_account(KV_ADDRESS).storage_root),
        (KEYS[0].address, EMPTY_TRIE_ROOT),
    ]
    copy = state.copy()
    copy.set_storage(KV_ADDRESS, word_slot(1), 0)
    assert copy.state_root() != root
    assert state.state_root() == root
    assert len(opened) == 2


def test_a_witness_state_has_no_full_tries(
    history: tuple[RollupChain, list[Step]], proofs_of: list[bytes]
) -> None:
    from interlace.primitives.mpt import PartialTrie

    class CopyablePartial(PartialTrie):
        def copy(self) -> "CopyablePartial":
            return self

    state = WorldState.from_tries(
        CopyablePartial(EMPTY_TRIE_ROOT, ()), lambda _a, r: CopyablePartial(r, ())
    )
    with pytest.raises(TypeError):
        state.account_trie()
    with pytest.raises(TypeError):
        state.storage_trie(KV_ADDRESS)


def test_public_api() -> None:
    assert set(proofs.__all__) == {
        "BlockClaim",
        "BlockInputs",
        "InvalidValidityProof",
        "MalformedBlockClaim",
        "MalformedValidityProof",
        "ProofSystem",
        "decode_block_claim",
        "encode_block_claim",
    }
    assert set(witness.__all__) == {
        "MALFORMED_DEPENDENCIES_HASH",
        "WITNESS_PROOF_VERSION",
        "BlockClaim",
        "WitnessProofSystem",
        "block_claim",
        "block_origin",
        "dependencies_hash",
        "make_witness_proof",
        "prove_block_witness",
        "verify_witness_proof",
    }
    assert witness.__doc__ is not None
    assert "neither succinct nor zero-knowledge" in witness.__doc__
