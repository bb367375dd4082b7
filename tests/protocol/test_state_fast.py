"""World-state fast paths: the written-out account RLP and the flush that skips unchanged writes.

``encode_account`` is held to pyrlp and to its readable twin on random
accounts, including out-of-type fields that take the general encoder. The
flush skips storage words and accounts that already hold the written value
(known from the read caches); the roots it then gives must still equal the
``trie`` package's over every write, across reads, copies and reverts.
"""

import rlp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlace.primitives.hashing import EMPTY_KECCAK
from interlace.primitives.types import U64, U256, Address, Hash32
from interlace.protocol.chain.modules import MODULE_CODE_HASH
from interlace.protocol.chain.state import (
    Account,
    WorldState,
    _encode_account_readable,
    encode_account,
)
from tests.protocol.support import (
    apply_world,
    merge_worlds,
    reference_state_root,
    slots,
    words,
    worlds,
)

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(
    st.integers(0, 2**64 - 1) | st.integers(0, 200),
    st.integers(0, 2**256 - 1) | st.integers(0, 200),
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
)
@FAST
def test_account_encoding_fast_and_readable_match_pyrlp(
    nonce: int, balance: int, root: bytes, code_hash: bytes
) -> None:
    account = Account(U64(nonce), U256(balance), Hash32(root), Hash32(code_hash))
    expected = rlp.encode([nonce, balance, root, code_hash])
    assert encode_account(account) == expected
    assert _encode_account_readable(account) == expected


@given(st.integers(0, 2**300), st.binary(max_size=40))
@FAST
def test_out_of_type_account_fields_take_the_general_encoder(balance: int, root: bytes) -> None:
    account = Account(U64(1), U256(balance), Hash32(root), EMPTY_KECCAK)
    assert encode_account(account) == rlp.encode([1, balance, root, EMPTY_KECCAK])


@given(worlds, st.data())
@FAST
def test_rewriting_read_values_keeps_the_root(world: dict, data: st.DataObject) -> None:
    state = WorldState()
    apply_world(state, world)
    root = state.state_root()
    copy = state.copy()
    for address, (_account, storage) in world.items():
        copy.set_account(address, copy.get_account(address))
        for slot in storage:
            copy.set_storage(address, slot, copy.get_storage(address, slot))
        # A write away and back in the same block leaves the trie as it was.
        extra = data.draw(slots)
        before = copy.get_storage(address, extra)
        copy.set_storage(address, extra, data.draw(words))
        copy.set_storage(address, extra, before)
    assert copy.state_root() == root
    assert state.state_root() == root


@given(worlds, worlds, worlds)
@FAST
def test_read_caches_follow_copies_and_reverts(first: dict, second: dict, third: dict) -> None:
    state = WorldState()
    apply_world(state, first)
    state.state_root()
    for address, (_account, storage) in {**first, **second}.items():
        state.get_account(address)
        for slot in storage:
            state.get_storage(address, slot)  # fill the read caches
    child = state.copy()
    mark = child.checkpoint()
    apply_world(child, third)
    child.revert_to(mark)
    apply_world(child, second)
    assert child.state_root() == reference_state_root(merge_worlds(first, second))
    assert state.state_root() == reference_state_root(first)
    apply_world(state, third)
    assert state.state_root() == reference_state_root(merge_worlds(first, third))
    for address, (_account, storage) in second.items():
        for slot, value in storage.items():
            assert child.get_storage(address, slot) == value


def test_zero_written_over_an_unread_slot_deletes_it() -> None:
    a = Address(b"\xaa" * 20)
    slot = (1).to_bytes(32, "big")
    state = WorldState()
    state.set_account(a, Account(code_hash=MODULE_CODE_HASH))
    state.set_storage(a, slot, 9)
    state.state_root()
    fresh = state.copy()
    fresh.set_storage(a, slot, 0)  # never read in this copy
    fresh.set_account(a, Account(code_hash=MODULE_CODE_HASH))
    assert fresh.state_root() == reference_state_root({a: ((0, 0, MODULE_CODE_HASH), {})})


@given(worlds, worlds, worlds)
@FAST
def test_a_released_read_cache_changes_no_read_and_no_root(
    first: dict, second: dict, third: dict
) -> None:
    state = WorldState()
    apply_world(state, first)
    state.state_root()
    for address, (_account, storage) in first.items():
        state.get_account(address)
        for slot in storage:
            state.get_storage(address, slot)  # fill the read caches
    apply_world(state, second)  # writes still pending when the cache goes
    state.release_read_cache()
    assert state.cached_reads == 0
    child = state.copy()
    apply_world(child, third)
    merged = merge_worlds(first, second)
    assert state.state_root() == reference_state_root(merged)
    assert child.state_root() == reference_state_root(merge_worlds(merged, third))
    for address, (_account, storage) in merged.items():
        for slot, value in storage.items():
            assert state.get_storage(address, slot) == value
