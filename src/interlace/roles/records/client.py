"""The workload client's observations: what it sent and what came of it."""

from dataclasses import dataclass
from typing import ClassVar

from interlace.primitives.record import Record

__all__ = ["ClientAcked", "ClientDeposit", "ClientMessage", "ClientRejected"]


@dataclass(frozen=True, slots=True)
class ClientMessage(Record):
    """The client sent a cross-chain message."""

    kind: ClassVar[str] = "client.message"
    source: int
    """The sending chain."""
    destination: int
    """The receiving chain."""


@dataclass(frozen=True, slots=True)
class ClientDeposit(Record):
    """The client deposited on L1 into a rollup."""

    kind: ClassVar[str] = "client.deposit"
    chain: int
    """The rollup."""
    value: int
    """Wei deposited."""


@dataclass(frozen=True, slots=True)
class ClientAcked(Record):
    """A node accepted one of the client's transactions."""

    kind: ClassVar[str] = "client.acked"
    tx: str
    """The transaction hash, 16 hex digits."""


@dataclass(frozen=True, slots=True)
class ClientRejected(Record):
    """A node refused one of the client's transactions."""

    kind: ClassVar[str] = "client.rejected"
    error: str
    """The refusal."""
