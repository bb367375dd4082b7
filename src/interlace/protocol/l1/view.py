"""A node's view of the L1 chain, built from announced blocks (and re-synced after restarts).

Rollup roles and the hub keep one: the hash of every canonical block, the
bodies (transactions and receipts) of recent ones, the safe and finalized
numbers, the answer to "is this (number, hash) canonical?" and how many
transactions each sender has in canonical blocks (its next L1 nonce).
``apply`` returns the first replaced number when an announcement reorganises
the chain, so the caller can re-check what it built on the replaced blocks.

Memory stays bounded because the *role* releases bodies it is done with
(``release_below``): never above its own processing cursor (the role
passes that) and never above ``finalized_number - RETAIN_MARGIN`` (the view
enforces this), so a reorg, which L1 only makes above its finalized head,
never needs a released body. Hashes stay for every block (a few dozen
bytes each), so canonicity checks and reorg detection work for any number.
"""

from dataclasses import dataclass, field
from typing import Final

from interlace.primitives.errors import InputError, MisuseError
from interlace.primitives.receipt import Receipt
from interlace.primitives.types import Address, Hash32
from interlace.protocol.chain.block import Block

RETAIN_MARGIN: Final = 64
"""Blocks below the finalized head whose bodies a view keeps even when released.

L1 never reorganises at or below its finalized head, so the margin is not
needed for safety; it keeps the bodies a role may still be looking at around
finality (late re-syncs, slow cursors) without a re-fetch.
"""


class ReleasedBlock(MisuseError):
    """A caller asked for the body of a canonical block the view already released."""


class ReleasedHistoryReorged(InputError):
    """An announcement replaced a block whose body was released (below L1 finality)."""


@dataclass(slots=True)
class L1View:
    """Canonical L1 blocks as announced."""

    hashes: dict[int, Hash32] = field(default_factory=dict)
    """Hash of every known canonical block, by number."""
    bodies: dict[int, Block] = field(default_factory=dict)
    """Canonical blocks not yet released, by number."""
    receipts: dict[int, tuple[Receipt, ...]] = field(default_factory=dict)
    """Receipts of the blocks in ``bodies``, by number."""
    safe_number: int = 0
    """Highest safe L1 block."""
    finalized_number: int = 0
    """Highest finalized L1 block."""
    complete_through: int = -1
    """Highest n such that every block 0..n is known (announcements may arrive out of order)."""
    head_number: int = -1
    """Highest known block number (-1 when empty)."""
    sent: dict[Address, int] = field(default_factory=dict)
    """Transactions per sender in the known canonical blocks (released ones included)."""

    def apply(
        self,
        block: Block,
        receipts: tuple[Receipt, ...],
        safe_number: int,
        finalized_number: int,
        reorged_from: int | None,
    ) -> int | None:
        """Add an announced block; return the first replaced number if it reorganises."""
        number = block.number
        known = self.hashes.get(number)
        replaced: int | None = None
        if known is not None and known != block.hash:
            replaced = number
        elif reorged_from is not None and reorged_from <= self.head_number:
            replaced = reorged_from
        if replaced is not None:
            self._forget_from(replaced)
        parent = self.hashes.get(number - 1)
        if parent is not None and block.header.parent_hash != parent:
            # A gap in what we saw hides a reorg below this block: drop the stale parent
            # chain; a re-sync fills the range again.
            self._forget_from(number - 1)
            replaced = number - 1 if replaced is None else min(replaced, number - 1)
        if number not in self.hashes:
            for tx in block.transactions:
                self.sent[tx.sender] = self.sent.get(tx.sender, 0) + 1
        # A re-announced block (re-sync) gets its body back until the role releases it again.
        self.hashes[number] = block.hash
        self.bodies[number] = block
        self.receipts[number] = receipts
        self.head_number = max(self.head_number, number)
        while self.complete_through + 1 in self.hashes:
            self.complete_through += 1
        self.safe_number = max(self.safe_number, min(safe_number, number))
        self.finalized_number = max(self.finalized_number, min(finalized_number, number))
        return replaced

    @property
    def settled_through(self) -> int:
        """Highest n finalized with every block 0..n known: no reorg or re-sync changes them."""
        return min(self.finalized_number, self.complete_through)

    def is_canonical(self, number: int, block_hash: Hash32) -> bool:
        """True if the view's block at ``number`` has ``block_hash``."""
        return self.hashes.get(number) == block_hash

    def hash_at(self, number: int) -> Hash32 | None:
        """Hash of the canonical block at ``number`` if known (released or not)."""
        return self.hashes.get(number)

    def block(self, number: int) -> Block | None:
        """Canonical block at ``number`` if known; raises ``ReleasedBlock`` if released."""
        body = self.bodies.get(number)
        if body is None and number in self.hashes:
            raise ReleasedBlock(f"L1 block {number} was released by this view")
        return body

    def receipts_at(self, number: int) -> tuple[Receipt, ...]:
        """Receipts of the known block at ``number``; raises ``ReleasedBlock`` if released."""
        found = self.receipts.get(number)
        if found is None:
            raise ReleasedBlock(f"receipts of L1 block {number} are not held by this view")
        return found

    def sent_count(self, sender: Address) -> int:
        """Transactions from ``sender`` in the known canonical blocks (its next nonce)."""
        return self.sent.get(sender, 0)

    def release_bound(self, cursor: int) -> int:
        """Where ``release_below(cursor)`` stops: ``cursor``, capped below finality."""
        return min(cursor, self.finalized_number - RETAIN_MARGIN)

    def release_below(self, cursor: int) -> list[tuple[Block, tuple[Receipt, ...]]]:
        """Drop bodies and receipts below ``release_bound(cursor)``; return them, oldest first.

        ``cursor`` is the lowest number the caller may still read a body of.
        """
        bound = self.release_bound(cursor)
        return [
            (self.bodies.pop(number), self.receipts.pop(number))
            for number in sorted(n for n in self.bodies if n < bound)
        ]

    def missing_below(self, number: int) -> int | None:
        """Lowest number ≤ ``number`` the view lacks (for re-sync), or None."""
        first_missing = self.complete_through + 1
        return first_missing if first_missing <= number else None

    def _forget_from(self, number: int) -> None:
        stale = [n for n in self.hashes if n >= number]
        if any(n not in self.bodies for n in stale):
            raise ReleasedHistoryReorged(
                f"L1 replaced blocks from {number}, below a released body "
                f"(finalized {self.finalized_number})"
            )
        for n in stale:
            for tx in self.bodies.pop(n).transactions:
                self.sent[tx.sender] -= 1
            del self.hashes[n]
            self.receipts.pop(n, None)
        self.head_number = max(self.hashes, default=-1)
        self.complete_through = min(self.complete_through, number - 1)
