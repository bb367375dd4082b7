"""The verifier's observations (its rollup follower's too): the safe chain and the evidence."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from interlace.primitives.record import OMIT, Record

__all__ = [
    "EvidenceKind",
    "SafeReorgCause",
    "VerifierBadBatch",
    "VerifierBadEnvelope",
    "VerifierEvidence",
    "VerifierEvidenceForwarded",
    "VerifierHeldAside",
    "VerifierRebuildSeen",
    "VerifierSafe",
    "VerifierSafeReorg",
    "VerifierWrongSigner",
]


class EvidenceKind(StrEnum):
    """What a verifier's evidence proves against its sequencer."""

    EQUIVOCATION = "equivocation"
    """Two signed blocks at one height on one parent."""
    L1_CONFLICT = "l1_conflict"
    """A signed block that differs from what L1's batches derive at its height."""


class SafeReorgCause(StrEnum):
    """Why a verifier dropped safe blocks other than an L1 reorg."""

    HUB_INVALID = "hub_invalid"
    """The hub proved them invalid (a dependency it marked INVALID)."""


@dataclass(frozen=True, slots=True)
class VerifierBadEnvelope(Record):
    """The verifier dropped gossip it could not decode."""

    kind: ClassVar[str] = "verifier.bad_envelope"
    chain: int
    """The rollup."""


@dataclass(frozen=True, slots=True)
class VerifierWrongSigner(Record):
    """The verifier dropped a block not signed by the sequencer."""

    kind: ClassVar[str] = "verifier.wrong_signer"
    chain: int
    """The rollup."""


@dataclass(frozen=True, slots=True)
class VerifierRebuildSeen(Record):
    """The verifier saw a second block at a height the hub had rebuilt."""

    kind: ClassVar[str] = "verifier.rebuild_seen"
    chain: int
    """The rollup."""
    number: int
    """The height."""


@dataclass(frozen=True, slots=True)
class VerifierEvidence(Record):
    """The verifier holds evidence against the sequencer."""

    kind: ClassVar[str] = "verifier.evidence"
    chain: int
    """The rollup."""
    evidence: EvidenceKind
    """Its kind."""
    number: int
    """The height."""


@dataclass(frozen=True, slots=True)
class VerifierEvidenceForwarded(Record):
    """The verifier forwarded an equivocating pair to the hub."""

    kind: ClassVar[str] = "verifier.evidence_forwarded"
    chain: int
    """The rollup."""
    number: int
    """The height."""


@dataclass(frozen=True, slots=True)
class VerifierSafe(Record):
    """The verifier derived a block from L1 (safe head advanced)."""

    kind: ClassVar[str] = "verifier.safe"
    chain: int
    """The rollup."""
    number: int
    """The block."""
    hash: str
    """The safe head's hash, 16 hex digits."""
    l1: int
    """The L1 block that carried it."""


@dataclass(frozen=True, slots=True)
class VerifierSafeReorg(Record):
    """The verifier dropped safe blocks."""

    kind: ClassVar[str] = "verifier.safe_reorg"
    chain: int
    """The rollup."""
    to: int
    """The last block kept."""
    dropped: int
    """Blocks dropped."""
    cause: SafeReorgCause | None = field(default=None, metadata=OMIT)
    """Set when the hub proved them invalid; unset for an L1 reorg."""


@dataclass(frozen=True, slots=True)
class VerifierBadBatch(Record):
    """The verifier refused a batch, or a block in one."""

    kind: ClassVar[str] = "verifier.bad_batch"
    chain: int
    """The rollup."""
    reason: str
    """Why."""
    number: int | None = field(default=None, metadata=OMIT)
    """The refused block, unset when the whole batch was refused."""


@dataclass(frozen=True, slots=True)
class VerifierHeldAside(Record):
    """The verifier held a batch block aside until the hub judges it."""

    kind: ClassVar[str] = "verifier.held_aside"
    chain: int
    """The rollup."""
    number: int
    """The block."""
    l1: int
    """The L1 block that carried it."""
