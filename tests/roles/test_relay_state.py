"""The relayer's per-message state machine: one table of moves, and what a move resets."""

import pytest

from interlace.primitives.types import Hash32
from interlace.protocol.interop.proof import index_block
from interlace.roles.relayer import (
    RELAY_TRANSITIONS,
    BadRelayTransition,
    PendingMessage,
    RelayState,
    SourceBlock,
)
from tests.protocol.hub_support import A, Rollup

SOURCE_HEADER = Rollup(A).build(1).block.header
"""Any header: the state machine never reads it."""


def pending(state: RelayState = RelayState.WAITING) -> PendingMessage:
    source = SourceBlock(
        901, 3, Hash32(b"\x01" * 32), SOURCE_HEADER, (), (), b"", index_block((), ())
    )
    return PendingMessage(Hash32(b"\x02" * 32), source, 0, 0, 0, 902, b"", state=state)


@pytest.mark.parametrize("start", list(RelayState))
@pytest.mark.parametrize("to", list(RelayState))
def test_a_move_is_allowed_exactly_when_the_table_lists_it(
    start: RelayState, to: RelayState
) -> None:
    message = pending(start)
    if to is start or to in RELAY_TRANSITIONS[start]:
        message.move(to)
        assert message.state is to
    else:
        with pytest.raises(BadRelayTransition, match=f"{start.value} → {to.value}"):
            message.move(to)
        assert message.state is start


def test_every_state_can_be_left_and_done_only_reopens() -> None:
    assert set(RELAY_TRANSITIONS) == set(RelayState)
    assert all(RELAY_TRANSITIONS[s] for s in RelayState)
    assert RELAY_TRANSITIONS[RelayState.DONE] == {RelayState.WAITING}


def test_reopening_a_settled_message_clears_its_settled_time() -> None:
    # A delivered message whose destination block was replaced goes back to waiting; with
    # its settled time kept, the relayer's memory bound would forget it before it was
    # delivered again.
    message = pending(RelayState.SUBMITTED)
    message.move(RelayState.DONE)
    message.settled_at = 10.0
    message.move(RelayState.WAITING)
    assert message.settled_at is None
