"""The batcher's observations: batches posted, dropped and held back."""

from dataclasses import dataclass
from typing import ClassVar

from interlace.primitives.record import Record

__all__ = ["BatcherBatch", "BatcherBatchDropped", "BatcherBlockTooLarge", "BatcherOutage"]


@dataclass(frozen=True, slots=True)
class BatcherBatch(Record):
    """The batcher posted a batch to L1."""

    kind: ClassVar[str] = "batcher.batch"
    chain: int
    """The rollup."""
    first: int
    """First block in it."""
    last: int
    """Last block in it."""
    bytes: int
    """Size of the batch data."""
    nonce: int
    """The transaction's nonce."""


@dataclass(frozen=True, slots=True)
class BatcherOutage(Record):
    """The batcher was paused or resumed (a fault)."""

    kind: ClassVar[str] = "batcher.outage"
    chain: int
    """The rollup."""
    paused: bool
    """True while paused."""


@dataclass(frozen=True, slots=True)
class BatcherBatchDropped(Record):
    """An L1 reorg dropped batches the batcher had posted; it posts them again."""

    kind: ClassVar[str] = "batcher.batch_dropped"
    chain: int
    """The rollup."""
    blocks: int
    """Blocks to post again."""


@dataclass(frozen=True, slots=True)
class BatcherBlockTooLarge(Record):
    """A block does not fit in one batch transaction."""

    kind: ClassVar[str] = "batcher.block_too_large"
    chain: int
    """The rollup."""
    number: int
    """The block."""
