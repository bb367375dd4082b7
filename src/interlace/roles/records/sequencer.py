"""The sequencer's observations: blocks made, rewinds, rebuilds and faults."""

from dataclasses import dataclass, field
from typing import ClassVar

from interlace.primitives.record import OMIT, Record

__all__ = [
    "SequencerBadStateRoot",
    "SequencerBlock",
    "SequencerByzantine",
    "SequencerDrift",
    "SequencerEquivocated",
    "SequencerRebuild",
    "SequencerTxRejected",
    "SequencerUnsafeReorg",
    "SequencerWaitingForL1",
]


@dataclass(frozen=True, slots=True)
class SequencerByzantine(Record):
    """The sequencer was switched faulty (a fault): equivocating on or off, or signing bad state
    roots."""

    kind: ClassVar[str] = "sequencer.byzantine"
    chain: int
    """The rollup."""
    on: bool | None = field(default=None, metadata=OMIT)
    """Equivocation switched on (True) or off (False)."""
    bad_state_root: bool | None = field(default=None, metadata=OMIT)
    """True when it signs bad state roots from now on."""


@dataclass(frozen=True, slots=True)
class SequencerTxRejected(Record):
    """The sequencer refused a transaction."""

    kind: ClassVar[str] = "sequencer.tx_rejected"
    chain: int
    """The rollup."""
    error: str
    """The refusal's class name."""


@dataclass(frozen=True, slots=True)
class SequencerUnsafeReorg(Record):
    """The sequencer dropped unsafe blocks (their L1 origin was replaced)."""

    kind: ClassVar[str] = "sequencer.unsafe_reorg"
    chain: int
    """The rollup."""
    to: int
    """The last block kept."""
    dropped: int
    """Blocks dropped."""


@dataclass(frozen=True, slots=True)
class SequencerRebuild(Record):
    """The sequencer rebuilt blocks from a height (their dependencies went invalid)."""

    kind: ClassVar[str] = "sequencer.rebuild"
    chain: int
    """The rollup."""
    from_block: int
    """The first rebuilt height."""
    dropped: int
    """Blocks dropped."""


@dataclass(frozen=True, slots=True)
class SequencerWaitingForL1(Record):
    """The sequencer cannot make a block until it hears from L1."""

    kind: ClassVar[str] = "sequencer.waiting_for_l1"
    chain: int
    """The rollup."""


@dataclass(frozen=True, slots=True)
class SequencerBlock(Record):
    """The sequencer made a block."""

    kind: ClassVar[str] = "sequencer.block"
    chain: int
    """The rollup."""
    number: int
    """Its height."""
    hash: str
    """Its hash, 16 hex digits."""
    txs: int
    """Transactions in it."""
    origin: int
    """Its L1 origin."""
    parent: int
    """Its parent's height."""


@dataclass(frozen=True, slots=True)
class SequencerDrift(Record):
    """The sequencer made a block at the drift limit (no transactions)."""

    kind: ClassVar[str] = "sequencer.drift"
    chain: int
    """The rollup."""
    number: int
    """The block."""


@dataclass(frozen=True, slots=True)
class SequencerBadStateRoot(Record):
    """The sequencer signed a block with a wrong state root (a fault)."""

    kind: ClassVar[str] = "sequencer.bad_state_root"
    chain: int
    """The rollup."""
    number: int
    """The block."""


@dataclass(frozen=True, slots=True)
class SequencerEquivocated(Record):
    """The sequencer signed a second block at a height (a fault)."""

    kind: ClassVar[str] = "sequencer.equivocated"
    chain: int
    """The rollup."""
    number: int
    """The height."""
    origin: int
    """The twin's L1 origin."""
    origin_hash: str
    """The twin origin's hash, hex."""
