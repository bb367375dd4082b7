"""The validity prover's observations: the coordinator's jobs and proofs, the workers' results."""

from dataclasses import dataclass, field
from typing import ClassVar

from interlace.primitives.record import OMIT, Record

__all__ = [
    "ProverBadBlock",
    "ProverBadEnvelope",
    "ProverConfirmed",
    "ProverConflict",
    "ProverDiverged",
    "ProverJob",
    "ProverJobDropped",
    "ProverJobFailed",
    "ProverL1Reorg",
    "ProverProved",
    "ProverResubmitted",
    "ProverReverted",
    "ProverRewind",
    "ProverSecondVersion",
    "ProverSubmitted",
    "ProverWithhold",
    "ProverWrongSigner",
]


@dataclass(frozen=True, slots=True)
class ProverWrongSigner(Record):
    """The prover coordinator dropped a block not signed by the sequencer."""

    kind: ClassVar[str] = "prover.wrong_signer"
    chain: int
    """The rollup."""


@dataclass(frozen=True, slots=True)
class ProverBadEnvelope(Record):
    """The prover coordinator dropped an envelope it could not decode."""

    kind: ClassVar[str] = "prover.bad_envelope"
    chain: int
    """The rollup."""
    reason: str
    """Why."""


@dataclass(frozen=True, slots=True)
class ProverSecondVersion(Record):
    """The prover coordinator saw a second signed block at a height."""

    kind: ClassVar[str] = "prover.second_version"
    chain: int
    """The rollup."""
    number: int
    """The height."""


@dataclass(frozen=True, slots=True)
class ProverDiverged(Record):
    """A block the coordinator derived differs from the one it was proving."""

    kind: ClassVar[str] = "prover.diverged"
    chain: int
    """The rollup."""
    number: int
    """The block."""


@dataclass(frozen=True, slots=True)
class ProverBadBlock(Record):
    """The coordinator could not execute a block."""

    kind: ClassVar[str] = "prover.bad_block"
    chain: int
    """The rollup."""
    number: int
    """The block."""
    reason: str
    """Why."""


@dataclass(frozen=True, slots=True)
class ProverRewind(Record):
    """The coordinator dropped its blocks above a height."""

    kind: ClassVar[str] = "prover.rewind"
    chain: int
    """The rollup."""
    to: int
    """The last block kept."""
    dropped: int
    """Blocks dropped."""


@dataclass(frozen=True, slots=True)
class ProverJob(Record):
    """The coordinator gave a worker a block to prove."""

    kind: ClassVar[str] = "prover.job"
    chain: int
    """The rollup."""
    number: int
    """The block."""
    worker: str
    """The worker node."""
    txs: int
    """Transactions in the block."""


@dataclass(frozen=True, slots=True)
class ProverJobFailed(Record):
    """A worker could not prove a block."""

    kind: ClassVar[str] = "prover.job_failed"
    chain: int
    """The rollup."""
    number: int
    """The block."""
    error: str
    """The failure's class name."""
    reason: str
    """Its message."""


@dataclass(frozen=True, slots=True)
class ProverWithhold(Record):
    """The coordinator was told to withhold proofs (a fault)."""

    kind: ClassVar[str] = "prover.withhold"
    chain: int
    """The rollup."""
    from_number: int | None = field(default=None, metadata=OMIT)
    """The first block withheld; unset when withholding stops."""


@dataclass(frozen=True, slots=True)
class ProverL1Reorg(Record):
    """An L1 reorg replaced blocks that carried the coordinator's proofs."""

    kind: ClassVar[str] = "prover.l1_reorg"
    chain: int
    """The rollup."""
    l1: int
    """L1 blocks replaced."""
    unproven: int
    """Proofs to send again."""


@dataclass(frozen=True, slots=True)
class ProverReverted(Record):
    """A proof transaction reverted on L1."""

    kind: ClassVar[str] = "prover.reverted"
    chain: int
    """The rollup."""
    number: int
    """The block."""
    nonce: int
    """The transaction's nonce."""


@dataclass(frozen=True, slots=True)
class ProverConflict(Record):
    """L1 holds a proof of another version of a block."""

    kind: ClassVar[str] = "prover.conflict"
    chain: int
    """The rollup."""
    number: int
    """The block."""


@dataclass(frozen=True, slots=True)
class ProverConfirmed(Record):
    """A proof of the coordinator's is on L1."""

    kind: ClassVar[str] = "prover.confirmed"
    chain: int
    """The rollup."""
    number: int
    """The block."""
    l1: int
    """The L1 block that carries it."""


@dataclass(frozen=True, slots=True)
class ProverResubmitted(Record):
    """The coordinator sent a proof transaction again."""

    kind: ClassVar[str] = "prover.resubmitted"
    chain: int
    """The rollup."""
    number: int
    """The block."""
    nonce: int
    """The transaction's nonce."""
    replaced: bool
    """Whether the earlier one was lost rather than slow."""


@dataclass(frozen=True, slots=True)
class ProverSubmitted(Record):
    """The coordinator sent a proof to L1."""

    kind: ClassVar[str] = "prover.submitted"
    chain: int
    """The rollup."""
    number: int
    """The block."""
    nonce: int
    """The transaction's nonce."""
    hash: str
    """The block hash, 16 hex digits."""
    bytes: int
    """Size of the proof."""


@dataclass(frozen=True, slots=True)
class ProverJobDropped(Record):
    """A worker dropped a job (it was restarted or the job was stale)."""

    kind: ClassVar[str] = "prover.job_dropped"
    chain: int
    """The rollup."""
    number: int
    """The block."""


@dataclass(frozen=True, slots=True)
class ProverProved(Record):
    """A worker finished a job."""

    kind: ClassVar[str] = "prover.proved"
    chain: int
    """The rollup."""
    number: int
    """The block."""
    worker: str
    """The worker node."""
    txs: int
    """Transactions in the block."""
    ok: bool
    """Whether it produced a proof."""
