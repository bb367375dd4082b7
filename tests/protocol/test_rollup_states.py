"""RollupChain keeps recent states only: release below a floor, typed errors for pruned ones."""

from unittest.mock import patch

import pytest

import interlace.protocol.rollup.chain as chain_module
from interlace.primitives.types import U64, U256, Hash32
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis, StatePruned
from interlace.protocol.rollup.derivation import L1Origin
from tests.protocol.support import CHAIN_ID, ETHER, KEYS

ORIGIN = L1Origin(U64(0), Hash32(b"\x01" * 32), U64(0), U256(10**9))


def grown_chain(blocks: int) -> RollupChain:
    chain = RollupChain(RollupGenesis(CHAIN_ID, ORIGIN, 0, {k.address: ETHER for k in KEYS}))
    for _ in range(blocks):
        built = chain.build_next(ORIGIN, [], [], int(chain.next_timestamp(1)))
        chain.append(built, ORIGIN)
    return chain


def test_release_keeps_the_window_below_the_head_and_everything_from_the_floor() -> None:
    chain = grown_chain(12)
    with patch.object(chain_module, "KEEP_STATES", 4):
        assert chain.release_states_below(100) == 8  # the window: head 12 - 4
        assert sorted(chain.states) == list(range(8, 13))
        assert chain.release_states_below(3) == 8  # a lower floor brings nothing back
    chain = grown_chain(12)
    with patch.object(chain_module, "KEEP_STATES", 4):
        assert chain.release_states_below(5) == 5  # the floor below the window wins
        assert sorted(chain.states) == list(range(5, 13))


def test_the_head_state_is_never_released() -> None:
    chain = grown_chain(3)
    with patch.object(chain_module, "KEEP_STATES", 0):
        assert chain.release_states_below(10**9) == 3
    assert list(chain.states) == [3]
    assert chain.state_at(3) is chain.head_state
    chain.append(chain.build_next(ORIGIN, [], [], int(chain.next_timestamp(1))), ORIGIN)
    assert chain.head.number == 4 and chain.head_state.state_root() == chain.head.header.state_root


def test_reading_a_released_state_is_a_typed_error() -> None:
    chain = grown_chain(6)
    with patch.object(chain_module, "KEEP_STATES", 2):
        chain.release_states_below(10**9)
    assert chain.state_at(4) is chain.states[4]
    with pytest.raises(StatePruned, match="state of block 3 is pruned"):
        chain.state_at(3)
    with pytest.raises(StatePruned):
        chain.state_at(0)
    with pytest.raises(ValueError, match="no block 7"):
        chain.state_at(7)


def test_a_rewind_below_the_kept_states_raises_and_changes_nothing() -> None:
    chain = grown_chain(6)
    with patch.object(chain_module, "KEEP_STATES", 2):
        chain.release_states_below(10**9)
    head = chain.head
    with pytest.raises(StatePruned, match="cannot rewind to block 3"):
        chain.rewind(3)
    assert chain.head is head and sorted(chain.states) == [4, 5, 6]
    dropped = chain.rewind(4)  # the lowest kept state is a valid rewind target
    assert [b.number for b in dropped] == [5, 6]
    assert chain.head.number == 4 and sorted(chain.states) == [4]
    assert chain.head_state.state_root() == chain.head.header.state_root


def test_a_rewound_and_regrown_chain_releases_from_where_it_stopped() -> None:
    chain = grown_chain(8)
    with patch.object(chain_module, "KEEP_STATES", 2):
        chain.release_states_below(10**9)
        chain.rewind(7)
        for _ in range(5):
            chain.append(chain.build_next(ORIGIN, [], [], int(chain.next_timestamp(1))), ORIGIN)
        assert chain.release_states_below(10**9) == 10
    assert sorted(chain.states) == [10, 11, 12]


def test_only_the_head_state_keeps_a_read_cache() -> None:
    chain = grown_chain(6)
    assert chain.head_state.cached_reads > 0
    assert [chain.states[n].cached_reads for n in range(6)] == [0] * 6
    dropped = chain.rewind(3)  # a released cache is rebuilt by reads: the same block again
    chain.append(chain.build_next(ORIGIN, [], [], int(dropped[0].header.timestamp)), ORIGIN)
    assert chain.head.hash == dropped[0].hash
    assert chain.states[3].cached_reads == 0 and chain.head_state.cached_reads > 0
