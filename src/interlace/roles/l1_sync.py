"""One rule for every follower of a numbered chain: when to ask again for missing blocks.

A follower that sees a gap below a block asks the chain's node for every block
from the gap (``L1SyncRequest`` to the L1 node, ``HubSyncRequest`` to the hub),
and the node answers with each block from there to its head. Asking again on
every block that arrives while the gap is still open turns one gap into a
storm: with reordering or loss the answers arrive out of order, each asks
again, and each ask is answered with all the blocks once more (a verifier and
the L1 node once exchanged tens of thousands of messages in one virtual second
this way). So a follower asks once, and again only for a lower gap (a reorg
opened it) or once ``retry_after`` seconds passed without the gap closing (the
answer was lost).
"""

from dataclasses import dataclass, field

from interlace.roles.base import Effect, NodeId, SendMessage, Timestamp
from interlace.roles.messages import L1SyncRequest

RETRY_AFTER = 2.0
"""Seconds before a follower asks again for the same gap."""


@dataclass(slots=True)
class SyncPacing:
    """The last ask of one follower: from which block, and when."""

    retry_after: float = RETRY_AFTER
    asked_from: int | None = None
    asked_at: float = float("-inf")

    def due(self, from_number: int, now: Timestamp) -> bool:
        """Whether to ask now for a gap at ``from_number`` (if so, the ask is noted)."""
        lower = self.asked_from is None or from_number < self.asked_from
        if not lower and now < self.asked_at + self.retry_after:
            return False
        self.asked_from, self.asked_at = from_number, float(now)
        return True


@dataclass(slots=True)
class L1Sync:
    """When one follower of L1 asks the L1 node again (see the module docstring)."""

    l1_node: NodeId
    pacing: SyncPacing = field(default_factory=SyncPacing)

    def request(self, from_number: int, now: Timestamp) -> list[Effect]:
        """The ``L1SyncRequest`` to send for a gap at ``from_number``, if one is due."""
        if not self.pacing.due(from_number, now):
            return []
        return [SendMessage(self.l1_node, L1SyncRequest(from_number))]
