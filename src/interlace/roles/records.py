"""Every kind of observation a role makes, one frozen dataclass each.

A role returns these as effects, as it returns messages and timers. Each class names its
dotted ``kind`` (``SequencerBlock.kind == "sequencer.block"``), the name the trace, the
timeline files, the metrics and the live node's ``events.jsonl`` use; consumers match on
the class, so a renamed kind is a type error, not a checker that silently stops checking.
``record_fields`` renders one as the sorted ``(name, value)`` pairs those outputs hold.
The hub's records live in ``interlace.protocol.hub.records`` (its tracker emits some)
and are re-exported here.
"""

from dataclasses import dataclass, field
from typing import ClassVar

from interlace.primitives.record import OMIT, Record, record_fields
from interlace.protocol.hub.records import (
    HubAggregate,
    HubBlock,
    HubConfirmed,
    HubEvidenceKept,
    HubFinalized,
    HubInvalid,
    HubOutputInvalid,
    HubOutputValid,
    HubPreconfirmed,
    HubProofSeen,
    HubRebuilt,
    HubRejected,
    HubSafe,
)

__all__ = [
    "BatcherBatch",
    "BatcherBatchDropped",
    "BatcherBlockTooLarge",
    "BatcherOutage",
    "ClientAcked",
    "ClientDeposit",
    "ClientMessage",
    "ClientRejected",
    "GameCreated",
    "GameMove",
    "GameResolved",
    "GameStep",
    "GameStepUnavailable",
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
    "L1BlockMade",
    "L1Reorg",
    "L1ReorgRefused",
    "L1TxRejected",
    "ProposerFault",
    "ProposerOutput",
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
    "Record",
    "RelayerBadReceipts",
    "RelayerCancel",
    "RelayerDelivered",
    "RelayerDropped",
    "RelayerMessageSeen",
    "RelayerRelay",
    "RelayerUndone",
    "SequencerBadStateRoot",
    "SequencerBlock",
    "SequencerByzantine",
    "SequencerDrift",
    "SequencerEquivocated",
    "SequencerRebuild",
    "SequencerTxRejected",
    "SequencerUnsafeReorg",
    "SequencerWaitingForL1",
    "VerifierBadBatch",
    "VerifierBadEnvelope",
    "VerifierEvidence",
    "VerifierEvidenceForwarded",
    "VerifierHeldAside",
    "VerifierRebuildSeen",
    "VerifierSafe",
    "VerifierSafeReorg",
    "VerifierWrongSigner",
    "record_fields",
]

# ---- l1 ----------------------------------------------------------------------------------


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


# ---- client ------------------------------------------------------------------------------


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


# ---- batcher -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatcherBatch(Record):
    """The batcher posted a batch to L1."""

    kind: ClassVar[str] = "batcher.batch"
    chain: int
    """The rollup."""
    first: int
    """First block in it."""
    last: int
    """Last block in it."""
    bytes: int
    """Size of the batch data."""
    nonce: int
    """The transaction's nonce."""


@dataclass(frozen=True, slots=True)
class BatcherOutage(Record):
    """The batcher was paused or resumed (a fault)."""

    kind: ClassVar[str] = "batcher.outage"
    chain: int
    """The rollup."""
    paused: bool
    """True while paused."""


@dataclass(frozen=True, slots=True)
class BatcherBatchDropped(Record):
    """An L1 reorg dropped batches the batcher had posted; it posts them again."""

    kind: ClassVar[str] = "batcher.batch_dropped"
    chain: int
    """The rollup."""
    blocks: int
    """Blocks to post again."""


@dataclass(frozen=True, slots=True)
class BatcherBlockTooLarge(Record):
    """A block does not fit in one batch transaction."""

    kind: ClassVar[str] = "batcher.block_too_large"
    chain: int
    """The rollup."""
    number: int
    """The block."""


# ---- game --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GameCreated(Record):
    """A dispute game was created (reported by each player that plays it)."""

    kind: ClassVar[str] = "game.created"
    chain: int
    """The rollup."""
    number: int
    """The L2 block of the disputed output."""
    game: int
    """The game id."""
    role: str
    """The reporting player (``proposer``, ``challenger``)."""
    mine: bool
    """Whether the reporting player made this move."""


@dataclass(frozen=True, slots=True)
class GameMove(Record):
    """A claim was added to a dispute game."""

    kind: ClassVar[str] = "game.move"
    chain: int
    """The rollup."""
    number: int
    """The L2 block of the disputed output."""
    game: int
    """The game id."""
    role: str
    """The reporting player."""
    mine: bool
    """Whether the reporting player made this move."""
    claim: int
    """The new claim's index."""
    parent: int
    """The claim it answers."""
    depth: int
    """Its depth."""


@dataclass(frozen=True, slots=True)
class GameStep(Record):
    """A leaf claim was countered by a one-step proof."""

    kind: ClassVar[str] = "game.step"
    chain: int
    """The rollup."""
    number: int
    """The L2 block of the disputed output."""
    game: int
    """The game id."""
    role: str
    """The reporting player."""
    mine: bool
    """Whether the reporting player made this move."""
    claim: int
    """The countered claim."""
    attack: bool
    """Whether the step attacked it."""


@dataclass(frozen=True, slots=True)
class GameResolved(Record):
    """A dispute game was resolved."""

    kind: ClassVar[str] = "game.resolved"
    chain: int
    """The rollup."""
    number: int
    """The L2 block of the disputed output."""
    game: int
    """The game id."""
    role: str
    """The reporting player."""
    mine: bool
    """Whether the reporting player resolved it."""
    status: str
    """The outcome's name (``DEFENDER_WINS``, ``CHALLENGER_WINS``)."""


@dataclass(frozen=True, slots=True)
class GameStepUnavailable(Record):
    """A player could not build the one-step proof a claim needs."""

    kind: ClassVar[str] = "game.step_unavailable"
    chain: int
    """The rollup."""
    game: int
    """The game id."""
    claim: int
    """The claim."""


# ---- proposer ----------------------------------------------------------------------------


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


# ---- prover ------------------------------------------------------------------------------


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
    from_number: int
    """The first block withheld (-1: withholding stops)."""


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


# ---- relayer -----------------------------------------------------------------------------


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


# ---- sequencer ---------------------------------------------------------------------------


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


# ---- verifier ----------------------------------------------------------------------------


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
    evidence: str
    """Its kind (``equivocation``, ``l1_conflict``)."""
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
    cause: str | None = field(default=None, metadata=OMIT)
    """``hub_invalid`` when the hub proved them invalid, unset for an L1 reorg."""


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
