"""The contract between a sans-IO role and the runtime that drives it.

Events go in (``Started``, ``TimerFired``, ``MessageReceived``), effects come
out (``SendMessage``, ``Broadcast``, ``PersistBatch``, ``SetTimer``, and typed
observations: the ``Record`` classes of ``interlace.roles.records``). A role's
durable state lives only in what it persisted: after a crash the runtime
rebuilds it with ``restore(store_view)``. Messages are frozen dataclasses; the
simulator passes them by reference and the live runtime serialises them.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NewType, Protocol

from interlace.primitives.record import Record

NodeId = NewType("NodeId", str)
"""Name of a node in a topology, e.g. ``"l1"``, ``"seq-901"``, ``"hub"``."""

Timestamp = NewType("Timestamp", float)
"""Seconds since the start of the world (virtual in the simulator, wall-clock live)."""


class Message:
    """Base class of everything one node sends another (frozen dataclasses)."""

    __slots__ = ()


# ---- events (runtime → role) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Started:
    """The role has been (re)started; it should arm its timers."""


@dataclass(frozen=True, slots=True)
class TimerFired:
    """A timer the role set with ``SetTimer`` is due."""

    tag: str
    """The tag the role gave the timer."""


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """A message from another node arrived."""

    sender: NodeId
    """Who sent it, as the network saw it."""
    message: Message
    """The message itself."""


Event = Started | TimerFired | MessageReceived


# ---- effects (role → runtime) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendMessage:
    """Send ``message`` to one node."""

    to: NodeId
    """Destination node."""
    message: Message
    """The payload."""


@dataclass(frozen=True, slots=True)
class Broadcast:
    """Send ``message`` to every node subscribed to ``topic`` (gossip)."""

    topic: str
    """Gossip topic, e.g. ``"blocks/901"``, ``"l1/heads"``."""
    message: Message
    """The payload."""


@dataclass(frozen=True, slots=True)
class PersistBatch:
    """Write these keys atomically; ``None`` deletes. Nothing is durable until this applies."""

    writes: tuple[tuple[bytes, bytes | None], ...]
    """(key, value-or-None) pairs, applied all or nothing, in order."""


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Wake the role with ``TimerFired(tag)`` at ``at`` (replaces a timer with the same tag)."""

    tag: str
    """Timer name, unique per role."""
    at: Timestamp
    """When to fire."""


Effect = SendMessage | Broadcast | PersistBatch | SetTimer | Record
"""What a role returns; a ``Record`` is an observation for the timeline, metrics and
checkers, with no effect on other nodes."""


# ---- storage view ------------------------------------------------------------


class StoreView(Protocol):
    """Read access to a role's committed store, used only when restoring after a restart."""

    def get(self, key: bytes) -> bytes | None:
        """Value at ``key`` or None."""
        ...

    def iterate_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """All (key, value) pairs whose key starts with ``prefix``, in key order."""
        ...


class Role(ABC):
    """A sans-IO state machine driven by a runtime."""

    node_id: NodeId
    """This node's name."""

    @abstractmethod
    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        """Apply one event at time ``now`` and return the effects to carry out."""

    def subscriptions(self) -> tuple[str, ...]:
        """Gossip topics this role listens to."""
        return ()

    def loops(self) -> tuple[str, ...]:
        """Tags of the timers this role keeps armed for as long as it runs (its block or
        retry loop). A runtime may check them: a loop that is no longer armed means the
        node stopped handling events."""
        return ()
