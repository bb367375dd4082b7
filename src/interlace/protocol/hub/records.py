"""The hub's observations: one frozen record class per kind, for the timeline, the metrics
and the checkers. The tracker emits those about block levels, the hub role the others;
``interlace.roles.records`` re-exports them with every other kind.
"""

from dataclasses import dataclass, field
from typing import ClassVar

from interlace.primitives.record import OMIT, Record

__all__ = [
    "HubAggregate",
    "HubBlock",
    "HubConfirmed",
    "HubEvidenceKept",
    "HubFinalized",
    "HubInvalid",
    "HubOutputInvalid",
    "HubOutputValid",
    "HubPreconfirmed",
    "HubProofSeen",
    "HubRebuilt",
    "HubRejected",
    "HubSafe",
    "HubTrackerRecord",
]

# ---- hub ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HubRejected(Record):
    """The hub refused a block from a chain (a refusal by the role names the error class, one by
    the tracker's retry of a waiting block gives its reason)."""

    kind: ClassVar[str] = "hub.rejected"
    chain: int
    """The rollup."""
    error: str | None = field(default=None, metadata=OMIT)
    """The refusal's class name, when the role refused it."""
    reason: str | None = field(default=None, metadata=OMIT)
    """The refusal's message, when a waiting block was retried."""


@dataclass(frozen=True, slots=True)
class HubRebuilt(Record):
    """The hub dropped its blocks of a chain from a height the batch that settled them
    replaced."""

    kind: ClassVar[str] = "hub.rebuilt"
    chain: int
    """The rollup."""
    number: int
    """The first rebuilt height."""


@dataclass(frozen=True, slots=True)
class HubEvidenceKept(Record):
    """The hub holds two signed blocks of one height: the chain is frozen from there."""

    kind: ClassVar[str] = "hub.evidence"
    chain: int
    """The rollup."""
    number: int
    """The height of the pair."""


@dataclass(frozen=True, slots=True)
class HubInvalid(Record):
    """A block the hub held became INVALID."""

    kind: ClassVar[str] = "hub.invalid"
    chain: int
    """The rollup."""
    number: int
    """The block."""
    reason: str
    """Why (``equivocation``, ``depends on an invalid block``, ``cascade`` for its descendants
    and dependents, ...)."""


@dataclass(frozen=True, slots=True)
class HubPreconfirmed(Record):
    """The hub accepted a signed block (preconfirmed)."""

    kind: ClassVar[str] = "hub.preconfirmed"
    chain: int
    """The rollup."""
    number: int
    """The block."""
    hash: str
    """The block hash, 16 hex digits."""
    deps: int
    """How many dependencies it declares."""


@dataclass(frozen=True, slots=True)
class HubSafe(Record):
    """A block the hub holds reached SAFE (its batch is on L1)."""

    kind: ClassVar[str] = "hub.safe"
    chain: int
    """The rollup."""
    number: int
    """The block."""


@dataclass(frozen=True, slots=True)
class HubConfirmed(Record):
    """A block the hub holds reached CONFIRMED (a proof or a won output settled it)."""

    kind: ClassVar[str] = "hub.confirmed"
    chain: int
    """The rollup."""
    number: int
    """The block."""


@dataclass(frozen=True, slots=True)
class HubFinalized(Record):
    """A block the hub holds reached FINALIZED."""

    kind: ClassVar[str] = "hub.finalized"
    chain: int
    """The rollup."""
    number: int
    """The block."""


@dataclass(frozen=True, slots=True)
class HubProofSeen(Record):
    """A finalized L1 block carries a validity proof of a rollup block."""

    kind: ClassVar[str] = "hub.proof_seen"
    chain: int
    """The rollup."""
    number: int
    """The proven block."""


@dataclass(frozen=True, slots=True)
class HubOutputValid(Record):
    """A finalized L1 block settles an output proposal as valid."""

    kind: ClassVar[str] = "hub.output_valid"
    chain: int
    """The rollup."""
    number: int
    """The block of the output."""


@dataclass(frozen=True, slots=True)
class HubOutputInvalid(Record):
    """A finalized L1 block settles an output proposal as false (or lost on time)."""

    kind: ClassVar[str] = "hub.output_invalid"
    chain: int
    """The rollup."""
    number: int
    """The block of the output."""


@dataclass(frozen=True, slots=True)
class HubAggregate(Record):
    """The hub sent an aggregate settlement transaction to L1."""

    kind: ClassVar[str] = "hub.aggregate"
    hub_number: int
    """The hub block it settles through."""
    blocks: int
    """Rollup blocks in it."""
    chains: int
    """Chains among them."""
    nonce: int
    """The transaction's nonce."""


@dataclass(frozen=True, slots=True)
class HubBlock(Record):
    """The hub made a hub block."""

    kind: ClassVar[str] = "hub.block"
    number: int
    """Its height."""
    changes: int
    """Block status changes in it."""


HubTrackerRecord = (
    HubRejected | HubRebuilt | HubEvidenceKept | HubInvalid | HubSafe | HubConfirmed | HubFinalized
)
"""What the hub tracker notes for the role to record."""
