"""The relayer's observations: cross-chain messages seen, relayed, delivered and undone."""

from dataclasses import dataclass
from typing import ClassVar

from interlace.primitives.record import Record

__all__ = [
    "RelayerBadReceipts",
    "RelayerCancel",
    "RelayerDelivered",
    "RelayerDropped",
    "RelayerMessageSeen",
    "RelayerRelay",
    "RelayerUndone",
]


@dataclass(frozen=True, slots=True)
class RelayerBadReceipts(Record):
    """A chain's receipts did not match its block."""

    kind: ClassVar[str] = "relayer.bad_receipts"
    chain: int
    """The chain."""
    number: int
    """The block."""


@dataclass(frozen=True, slots=True)
class RelayerMessageSeen(Record):
    """The relayer saw a cross-chain message."""

    kind: ClassVar[str] = "relayer.message_seen"
    source: int
    """The sending chain."""
    number: int
    """Its block."""
    destination: int
    """The receiving chain."""
    message: str
    """The message hash, 16 hex digits."""


@dataclass(frozen=True, slots=True)
class RelayerDropped(Record):
    """The relayer gave up a message."""

    kind: ClassVar[str] = "relayer.dropped"
    message: str
    """The message hash, 16 hex digits."""


@dataclass(frozen=True, slots=True)
class RelayerRelay(Record):
    """The relayer sent a message to its destination."""

    kind: ClassVar[str] = "relayer.relay"
    source: int
    """The sending chain."""
    destination: int
    """The receiving chain."""
    message: str
    """The message hash, 16 hex digits."""
    attempt: int
    """Which attempt."""


@dataclass(frozen=True, slots=True)
class RelayerUndone(Record):
    """A destination block that included messages was replaced; they go again."""

    kind: ClassVar[str] = "relayer.undone"
    destination: int
    """The receiving chain."""
    number: int
    """The replaced block."""
    messages: int
    """Messages to relay again."""


@dataclass(frozen=True, slots=True)
class RelayerDelivered(Record):
    """A relayed message is in a destination block."""

    kind: ClassVar[str] = "relayer.delivered"
    source: int
    """The sending chain."""
    source_number: int
    """The sending block."""
    destination: int
    """The receiving chain."""
    number: int
    """The receiving block."""
    message: str
    """The message hash, 16 hex digits."""


@dataclass(frozen=True, slots=True)
class RelayerCancel(Record):
    """The relayer cancelled a stuck transaction."""

    kind: ClassVar[str] = "relayer.cancel"
    destination: int
    """The chain."""
    nonce: int
    """The cancelled nonce."""
