"""Records of the exit-root settler (``roles/exit_settler.py``)."""

from dataclasses import dataclass
from typing import ClassVar

from interlace.primitives.record import Record

__all__ = ["SettlerRefused", "SettlerReverted", "SettlerSubmitted"]


@dataclass(frozen=True, slots=True)
class SettlerSubmitted(Record):
    """The settler sent ``settleLocalExitRoot`` for a block of its chain."""

    kind: ClassVar[str] = "settler.submitted"
    chain: int
    """The rollup."""
    number: int
    """The settled block whose local exit root it takes in."""
    exits: int
    """Bridge exits in the certificate."""
    imports: int
    """Claims (imported exits) in the certificate."""
    nonce: int
    """The transaction's nonce."""


@dataclass(frozen=True, slots=True)
class SettlerRefused(Record):
    """The chain's range breaks the accounting rule: the settler does not send it."""

    kind: ClassVar[str] = "settler.refused"
    chain: int
    """The rollup."""
    number: int
    """The block the certificate would end at."""
    reason: str
    """The refusal L1 would give."""


@dataclass(frozen=True, slots=True)
class SettlerReverted(Record):
    """L1 reverted the settler's transaction."""

    kind: ClassVar[str] = "settler.reverted"
    chain: int
    """The rollup."""
    number: int
    """The block it named."""
