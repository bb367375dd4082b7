"""One rule for every follower of the hub chain: apply each hub block once, in order.

A hub block carries only the status changes it commits to, so a follower that
misses one (a partition, a lost message, a restart) would never learn those
changes: a batcher that posts a block only once the hub holds its
dependencies waited forever on a dependency whose change it never saw. So a
follower keeps the number of the next hub block it needs, holds blocks that
arrive ahead of it, and asks the hub to re-send from the gap
(``HubSyncRequest``), paced like an L1 follower (``l1_sync``). Applying the
blocks in order gives every follower the statuses it would have had with no
fault, whatever order the gossip and the re-sent blocks come in.
"""

from dataclasses import dataclass, field

from interlace.primitives.errors import InterlaceError
from interlace.protocol.hub.state import decode_signed_hub_block
from interlace.roles.base import Effect, NodeId, SendMessage, Timestamp
from interlace.roles.l1_sync import SyncPacing
from interlace.roles.messages import HubBlockPublished, HubSyncRequest


@dataclass(frozen=True, slots=True)
class HubSteps:
    """What one received hub block lets a follower do."""

    ready: tuple[HubBlockPublished, ...]
    """Hub blocks to apply now, in hub-chain order (none if it is a duplicate or ahead)."""
    effects: tuple[Effect, ...]
    """The ``HubSyncRequest`` for a gap below it, if one is due."""


@dataclass(slots=True)
class HubFollower:
    """Where one follower is in the hub chain (see the module docstring)."""

    next_number: int = 1
    """The lowest hub block not applied yet (hub blocks are numbered from 1)."""
    ahead: dict[int, HubBlockPublished] = field(default_factory=dict)
    """Blocks received above a gap, by number."""
    pacing: SyncPacing = field(default_factory=SyncPacing)

    def accept(self, sender: NodeId, message: HubBlockPublished, now: Timestamp) -> HubSteps:
        """Take one hub block from ``sender`` (asked for the gap, if there is one)."""
        try:
            number = int(decode_signed_hub_block(message.signed_block)[0].number)
        except InterlaceError:
            return HubSteps((), ())
        if number >= self.next_number:
            self.ahead.setdefault(number, message)
        ready: list[HubBlockPublished] = []
        while self.next_number in self.ahead:
            ready.append(self.ahead.pop(self.next_number))
            self.next_number += 1
        if self.ahead and self.pacing.due(self.next_number, now):
            return HubSteps(tuple(ready), (SendMessage(sender, HubSyncRequest(self.next_number)),))
        return HubSteps(tuple(ready), ())
