"""Witness recording, shared by witness validity proofs and one-step proofs.

A state recorded from a full state and a state replayed over what it
recorded must perform the same execution to the same root, needing every
recorded node and no other; the node tables refuse repeats with the
caller's error.
"""

import pytest

from interlace.primitives.errors import InterlaceError
from interlace.primitives.mpt import MissingTrieNode
from interlace.primitives.types import U64, U256, Address, Hash32
from interlace.protocol.chain.state import Account, WorldState
from interlace.protocol.proofs import recording

ADDRESSES = [Address(bytes([i]) * 20) for i in range(1, 40)]
CONTRACT = ADDRESSES[0]


class WitnessError(InterlaceError):
    """The caller's error type."""


def slot(i: int) -> bytes:
    return i.to_bytes(32, "big")


def full_state() -> WorldState:
    state = WorldState()
    for i, address in enumerate(ADDRESSES):
        state.set_account(address, Account(U64(i), U256(10**18 + i)))
    for i in range(20):
        state.set_storage(CONTRACT, slot(i), i + 1)
    state.state_root()
    return state


def execute(state: WorldState) -> bytes:
    """A few reads, writes and deletes, as a block would do them."""
    state.set_account(ADDRESSES[3], Account(U64(9), U256(1)))
    state.set_account(ADDRESSES[5], Account())  # deleted: empty
    state.set_storage(CONTRACT, slot(2), 0)  # deleted
    state.set_storage(CONTRACT, slot(7), 99)
    state.get_storage(CONTRACT, slot(11))
    state.get_account(ADDRESSES[20])
    return state.state_root()


def recorded_witness() -> tuple[bytes, bytes, list[bytes], list[tuple[Address, list[bytes]]]]:
    full = full_state()
    pre_root = full.state_root()
    recorded = recording.record_state(full)
    post_root = execute(recorded.state)
    assert full.state_root() == pre_root  # the full state is only read
    return pre_root, post_root, recorded.account_witness(), recorded.storage_witness()


def replay(
    pre_root: bytes, account_raws: list[bytes], storage_raws: list[tuple[Address, list[bytes]]]
) -> recording.WitnessState:
    return recording.open_witness_state(
        Hash32(pre_root),
        recording.index_nodes(account_raws, "the account witness", WitnessError),
        recording.index_storage_nodes(storage_raws, WitnessError),
    )


def test_a_replay_on_the_recorded_nodes_reaches_the_same_root_and_uses_them_all() -> None:
    pre_root, post_root, account_raws, storage_raws = recorded_witness()
    assert account_raws
    assert [address for address, _ in storage_raws] == [CONTRACT]
    replayed = replay(pre_root, account_raws, storage_raws)
    assert execute(replayed.state) == post_root
    replayed.check_all_used(WitnessError, "block")


def test_a_missing_or_extra_node_is_refused() -> None:
    pre_root, _post_root, account_raws, storage_raws = recorded_witness()
    with pytest.raises(MissingTrieNode):
        execute(replay(pre_root, account_raws[:-1], storage_raws).state)
    extra = full_state().account_trie().proof(ADDRESSES[30])[-1]
    assert extra not in account_raws
    replayed = replay(pre_root, [*account_raws, extra], storage_raws)
    execute(replayed.state)
    with pytest.raises(WitnessError, match="the account witness holds nodes the step does not"):
        replayed.check_all_used(WitnessError, "step")


def test_node_tables_refuse_repeats_with_the_callers_error() -> None:
    _pre_root, _post_root, account_raws, storage_raws = recorded_witness()
    with pytest.raises(WitnessError, match="the account witness lists a node twice"):
        recording.index_nodes([*account_raws, account_raws[0]], "the account witness", WitnessError)
    with pytest.raises(WitnessError, match="is repeated or empty"):
        recording.index_storage_nodes([*storage_raws, storage_raws[0]], WitnessError)
    with pytest.raises(WitnessError, match="is repeated or empty"):
        recording.index_storage_nodes([(CONTRACT, [])], WitnessError)
