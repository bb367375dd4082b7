"""The L1 node's observations: blocks, reorgs and refusals."""

from dataclasses import dataclass
from typing import ClassVar

from interlace.primitives.record import Record

__all__ = ["L1BlockMade", "L1Reorg", "L1ReorgRefused", "L1TxRejected"]


@dataclass(frozen=True, slots=True)
class L1BlockMade(Record):
    """The L1 node made a block."""

    kind: ClassVar[str] = "l1.block"
    number: int
    """Its height."""
    hash: str
    """Its hash, 16 hex digits."""
    txs: int
    """Transactions in it."""


@dataclass(frozen=True, slots=True)
class L1Reorg(Record):
    """The L1 node replaced its head blocks (a fault)."""

    kind: ClassVar[str] = "l1.reorg"
    depth: int
    """Blocks replaced."""
    fork_point: int
    """The last block kept."""
    txs: int
    """Transactions in the replaced blocks."""
    txs_lost: bool
    """Whether they were dropped rather than re-included."""


@dataclass(frozen=True, slots=True)
class L1ReorgRefused(Record):
    """The L1 node refused a reorg fault."""

    kind: ClassVar[str] = "l1.reorg_refused"
    reason: str
    """Why."""


@dataclass(frozen=True, slots=True)
class L1TxRejected(Record):
    """The L1 node refused a transaction."""

    kind: ClassVar[str] = "l1.tx_rejected"
    error: str
    """The refusal's class name."""
    reason: str
    """Its message."""
