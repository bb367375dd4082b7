"""The proposer's own observations: outputs proposed and lies told."""

from dataclasses import dataclass
from typing import ClassVar

from interlace.primitives.record import Record

__all__ = ["ProposerFault", "ProposerOutput"]


@dataclass(frozen=True, slots=True)
class ProposerFault(Record):
    """The proposer was told to lie (a fault)."""

    kind: ClassVar[str] = "proposer.fault"
    chain: int
    """The rollup."""
    lie_at: int
    """The first block whose output it lies about (0: none)."""


@dataclass(frozen=True, slots=True)
class ProposerOutput(Record):
    """The proposer proposed an output."""

    kind: ClassVar[str] = "proposer.output"
    chain: int
    """The rollup."""
    number: int
    """The block."""
    root: str
    """The output root, 16 hex digits."""
    lie: bool
    """Whether it is a lie."""
