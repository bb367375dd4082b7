"""A node's view of the L1 chain, built from announced blocks (and re-synced after restarts).

Rollup roles and the hub keep one: the canonical blocks with their
receipts, the safe and finalized numbers, and the answer to "is this
(number, hash) canonical?". ``apply`` returns the first replaced number when
an announcement reorganises the chain, so the caller can re-check what it
built on the replaced blocks.
"""

from dataclasses import dataclass, field

from interlace.primitives.receipt import Receipt
from interlace.primitives.types import Hash32
from interlace.protocol.chain.block import Block


@dataclass(slots=True)
class L1View:
    """Canonical L1 blocks as announced."""

    blocks: dict[int, Block] = field(default_factory=dict)
    """Canonical block by number (a contiguous range)."""
    receipts: dict[int, tuple[Receipt, ...]] = field(default_factory=dict)
    """Receipts by block number."""
    safe_number: int = 0
    """Highest safe L1 block."""
    finalized_number: int = 0
    """Highest finalized L1 block."""
    complete_through: int = -1
    """Highest n such that every block 0..n is known (announcements may arrive out of order)."""

    @property
    def head_number(self) -> int:
        """Highest known block number (-1 when empty)."""
        return max(self.blocks, default=-1)

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
        known = self.blocks.get(number)
        replaced: int | None = None
        if known is not None and known.hash != block.hash:
            replaced = number
        elif reorged_from is not None and reorged_from <= self.head_number:
            replaced = reorged_from
        if replaced is not None:
            self._forget_from(replaced)
        parent = self.blocks.get(number - 1)
        if parent is not None and block.header.parent_hash != parent.hash:
            # A gap in what we saw hides a reorg below this block: drop the stale parent
            # chain; a re-sync fills the range again.
            self._forget_from(number - 1)
            replaced = number - 1 if replaced is None else min(replaced, number - 1)
        self.blocks[number] = block
        self.receipts[number] = receipts
        while self.complete_through + 1 in self.blocks:
            self.complete_through += 1
        self.safe_number = max(self.safe_number, min(safe_number, number))
        self.finalized_number = max(self.finalized_number, min(finalized_number, number))
        return replaced

    def is_canonical(self, number: int, block_hash: Hash32) -> bool:
        """True if the view's block at ``number`` has ``block_hash``."""
        block = self.blocks.get(number)
        return block is not None and block.hash == block_hash

    def block(self, number: int) -> Block | None:
        """Canonical block at ``number`` if known."""
        return self.blocks.get(number)

    def missing_below(self, number: int) -> int | None:
        """Lowest number ≤ ``number`` the view lacks (for re-sync), or None."""
        first_missing = self.complete_through + 1
        return first_missing if first_missing <= number else None

    def _forget_from(self, number: int) -> None:
        for stale in [n for n in self.blocks if n >= number]:
            del self.blocks[stale]
            self.receipts.pop(stale, None)
        self.complete_through = min(self.complete_through, number - 1)
