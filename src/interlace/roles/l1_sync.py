"""One rule for every L1 follower: when to ask the L1 node again for missing blocks.

A follower that sees a gap below an L1 block asks the L1 node for every block
from the gap (``L1SyncRequest``), and the node answers with each block from
there to its head. Asking again on every block that arrives while the gap is
still open turns one gap into a storm: with reordering or loss the answers
arrive out of order, each asks again, and each ask is answered with all the
blocks once more (a verifier and the L1 node once exchanged tens of thousands
of messages in one virtual second this way). So a follower asks once, and
again only for a lower gap (a reorg opened it) or once ``retry_after``
seconds passed without the gap closing (the answer was lost).
"""

from dataclasses import dataclass

from interlace.roles.base import Effect, NodeId, SendMessage, Timestamp
from interlace.roles.messages import L1SyncRequest

RETRY_AFTER = 2.0
"""Seconds before a follower asks again for the same gap."""


@dataclass(slots=True)
class L1Sync:
    """The last ask of one follower: from which block, and when."""

    l1_node: NodeId
    retry_after: float = RETRY_AFTER
    asked_from: int | None = None
    asked_at: float = float("-inf")

    def request(self, from_number: int, now: Timestamp) -> list[Effect]:
        """The ``L1SyncRequest`` to send for a gap at ``from_number``, if one is due."""
        lower = self.asked_from is None or from_number < self.asked_from
        if not lower and now < self.asked_at + self.retry_after:
            return []
        self.asked_from, self.asked_at = from_number, float(now)
        return [SendMessage(self.l1_node, L1SyncRequest(from_number))]
