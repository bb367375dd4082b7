"""Validity-rollup provers: one coordinator per chain and stateless workers, each its own node.

The **coordinator** (``Coordinator``, node ``prover-<chain>``) follows the
chain's signed blocks: the sequencer's gossip (``blocks/<chain>``) and, after
a gap, a second version of a block or a restart, the sequencer's own
canonical chain (``BlocksRequest``/``BlocksResponse``). It keeps its own
``RollupChain``, re-executing and validating every block, and for each block
above the proven head it captures the witness — the block, its parent
header and the pre-state trie nodes the block touches, exactly what
``make_witness_proof`` records — and sends it as a ``ProofJob`` to the
least-loaded **worker** (``ProverWorker``, nodes ``prover-<chain>-<i>``).
A worker holds no chain state: it re-executes the block against the
captured nodes, checks the post-state root, receipts and dependency
commitment (``prove_block_witness``), and answers with the claim and the
proof. Workers are independent nodes, so blocks are proven in parallel; in
the simulator a worker is busy for ``seconds_per_block + seconds_per_tx ×
transactions`` per job (one job at a time, the next when done), and in the
live runtime each worker is its own OS process.

Proofs are *witness proofs*: stateless re-execution against a Merkle
multiproof of the touched state — sound, but neither succinct nor
zero-knowledge. With this backend the checked witness is the proof; a
zkVM backend would run its prover from the same job.

The coordinator submits proofs to the L1 ``ValidityVerifier`` in block
order, one ``submitProof`` transaction each, at most ``max_in_flight`` not
yet on L1, through its ``L1Sender`` (which signs them with the prover key,
numbers them and tracks them). It reads back what is proven from
``BlockProven`` logs in canonical L1 blocks (from anyone), and its own
transactions from what the sender reports: a transaction not on L1
``resubmit_after`` seconds (of the L1's clock) after it was sent, or
removed by an L1 reorg, is sent again with the same bytes (so the same
nonce: it can land once); a transaction that landed but reverted is
replaced by a new one. The sender keeps each transaction until the L1
block holding it is finalized.

A sequencer that signs two blocks at one height, or rebuilds blocks (after
an L1 reorg, or after the hub invalidated one of their dependencies): the
coordinator keeps the version it executed first until the sequencer's own
canonical chain says otherwise, and then follows that chain, rewinding as
far as it must. L1's proven blocks are a tree (``verifier_module``), so the
rebuilt version can be proven beside a version already proven at that
height (explorer seed 2009); the hub's aggregate settles the version it
holds. A version proven on L1 that is not ours is recorded as
``prover.conflict``. The coordinator cannot follow the sequencer below its
*floor*, the highest block that can no longer change — the hub's FINALIZED
head with ``follow_hub``, else the block proven with all before it in
finalized L1 blocks — and records ``prover.diverged`` if asked to.

``WithholdProofs(from_number)`` stops submissions from that block on (the
scenario "a validity rollup withholds its proof"); ``from_number=None``
resumes.

States: the coordinator reads the pre-state of every block above the proven
head, and never rewinds below the floor, so it releases the states below
the floor (``RollupChain`` keeps the last ``KEEP_STATES`` in any case).

Durability. Coordinator: the blocks it executed (with their L1Origin), its
sender's transactions in flight (nonce, block, raw transaction, when sent)
and the withhold switch; a restart replays the blocks, re-syncs L1 (which
restores what is proven and which nonces landed), and re-sends only what
is neither on L1 nor recently sent — never a second transaction for a
block whose first is still live. Worker: its queued jobs, deleted when
answered; a restarted worker resumes them. A job unanswered after
``job_timeout`` seconds is given to another worker (duplicate answers are
ignored).

Events recorded: ``prover.job`` (chain, number, worker, txs),
``prover.proved`` (worker: chain, number, worker, txs, bytes),
``prover.submitted`` / ``prover.resubmitted`` (chain, number, nonce),
``prover.reverted`` (chain, number, nonce), ``prover.confirmed`` (chain,
number, l1), ``prover.withhold`` (chain, from_number), ``prover.conflict``
(chain, number), ``prover.second_version`` (chain, number),
``prover.bad_block`` (chain, number, reason), ``prover.job_failed``
(chain, number, error).
"""

from collections import Counter
from dataclasses import dataclass
from typing import Final

from interlace.primitives.envelope import verify_envelope
from interlace.primitives.errors import InterlaceError
from interlace.primitives.keys import PrivateKey
from interlace.primitives.rlp_codec import (
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_bytes,
    read_hash32,
    read_list,
    read_u64,
)
from interlace.primitives.types import Address, ChainId, Hash32
from interlace.protocol.chain.block import Block, ChainConfig
from interlace.protocol.hub.state import SafetyLevel
from interlace.protocol.l1.view import L1View
from interlace.protocol.proofs import (
    InvalidValidityProof,
    MalformedValidityProof,
    encode_block_claim,
)
from interlace.protocol.proofs.verifier_module import (
    VALIDITY_VERIFIER_ABI,
    VALIDITY_VERIFIER_ADDRESS,
    submit_proof_gas,
)
from interlace.protocol.proofs.witness import make_witness_proof, prove_block_witness
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis, rollup_modules
from interlace.protocol.rollup.declaration import read_origin
from interlace.protocol.rollup.payload import block_from_payload
from interlace.roles.base import (
    Effect,
    Event,
    Message,
    MessageReceived,
    NodeId,
    PersistBatch,
    Role,
    SendMessage,
    SetTimer,
    Started,
    StoreView,
    TimerFired,
    Timestamp,
)
from interlace.roles.hub_sync import HubFollower
from interlace.roles.l1_node import decode_stored_block, encode_stored_block
from interlace.roles.l1_sender import L1Call, L1Sender, L1SenderParams, SentTx, TxState, l1_time
from interlace.roles.l1_sync import L1Sync
from interlace.roles.messages import (
    HUB_BLOCKS_TOPIC,
    L1_BLOCKS_TOPIC,
    BlockGossip,
    BlocksRequest,
    BlocksResponse,
    HubBlockPublished,
    L1BlockPublished,
    follow_l1,
    rollup_blocks_topic,
)
from interlace.roles.names import L1_NODE, coordinator_node, worker_node
from interlace.roles.records import (
    ProverBadBlock,
    ProverBadEnvelope,
    ProverConfirmed,
    ProverConflict,
    ProverDiverged,
    ProverJob,
    ProverJobDropped,
    ProverJobFailed,
    ProverL1Reorg,
    ProverProved,
    ProverResubmitted,
    ProverReverted,
    ProverRewind,
    ProverSecondVersion,
    ProverSubmitted,
    ProverWithhold,
    ProverWrongSigner,
)
from interlace.roles.sequencer import decode_origin, encode_origin

__all__ = [
    "Coordinator",
    "CoordinatorParams",
    "ProofDone",
    "ProofFailed",
    "ProofJob",
    "ProverWorker",
    "WithholdProofs",
    "WorkerParams",
    "coordinator_node",
    "worker_node",
]

RESUBMIT_L1_BLOCKS: Final = 3
"""L1 blocks' worth of time a coordinator waits for a proof transaction before sending it
again (the plan sets ``resubmit_after`` to this many L1 block times)."""
_BLOCK_PROVEN: Final = VALIDITY_VERIFIER_ABI.event("BlockProven")
_SUBMIT: Final = VALIDITY_VERIFIER_ABI.function("submitProof")
_MAX_EARLY_BLOCKS: Final = 256
_MAX_JOB_FAILURES: Final = 3


# ---- messages ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProofJob(Message):
    """Coordinator → worker: prove one block from its captured witness."""

    chain_id: int
    """The rollup."""
    number: int
    """Block number."""
    block_hash: bytes
    """The block the witness is for (the answer must prove this one)."""
    transactions: int
    """How many transactions the block holds (the work model's size)."""
    witness: bytes
    """Block, parent header and touched pre-state nodes, in the witness proof layout."""


@dataclass(frozen=True, slots=True)
class ProofDone(Message):
    """Worker → coordinator: the block's claim and its proof."""

    chain_id: int
    """The rollup."""
    number: int
    """Block number."""
    block_hash: bytes
    """The proven block."""
    claim: bytes
    """``encode_block_claim`` of what the proof proves."""
    proof: bytes
    """The witness proof."""


@dataclass(frozen=True, slots=True)
class ProofFailed(Message):
    """Worker → coordinator: the witness did not prove a valid block (a coordinator bug)."""

    chain_id: int
    """The rollup."""
    number: int
    """Block number."""
    block_hash: bytes
    """The block the job named."""
    error: str
    """Error class name."""
    reason: str
    """Human-readable reason."""


@dataclass(frozen=True, slots=True)
class WithholdProofs(Message):
    """Fault control: the coordinator submits no proof of a block at or above ``from_number``."""

    from_number: int | None
    """First withheld block; None lifts the switch."""


# ---- parameters ----------------------------------------------------------------------------


JOB_TIMEOUT: Final = 10.0
"""Seconds before an unanswered proof job is sent again (to the least-loaded worker)."""


@dataclass(frozen=True, slots=True)
class CoordinatorParams:
    """Static parameters of a chain's proof coordinator."""

    genesis: RollupGenesis
    """The rollup's block 0."""
    sequencer_address: Address
    """Only blocks signed by this key are followed."""
    sequencer_node: NodeId
    """Where to ask for the canonical chain."""
    prover_key: PrivateKey
    """Signs (and pays for) the ``submitProof`` transactions on L1."""
    l1_chain_id: ChainId
    """The L1's chain id."""
    workers: tuple[NodeId, ...]
    """The worker nodes, e.g. ``(prover-901-0, prover-901-1)``."""
    l1_node: NodeId = L1_NODE
    """Where to send L1 transactions and re-syncs."""
    jobs_per_worker: int = 2
    """Jobs outstanding per worker (one proving, the rest queued there)."""
    max_ahead: int = 64
    """Prove no block more than this far above the proven head."""
    job_timeout: float = JOB_TIMEOUT
    """Seconds before an unanswered job goes to another worker."""
    ask_interval: float = 1.0
    """At most one ``BlocksRequest`` to the sequencer per this many seconds."""
    max_in_flight: int = 8
    """Proof transactions sent and not yet on L1."""
    resubmit_after: float = 6.0
    """Seconds (of the L1's clock) before a proof transaction that has not landed is sent
    again (three blocks of the default 2-second L1)."""
    follow_hub: bool = False
    """Submit a proof only once the hub holds the block cross-SAFE (its batch and every
    dependency's are on L1). L1's proven chain cannot be rewound, so a block the hub may
    still invalidate through a dependency must not be proven first."""


@dataclass(frozen=True, slots=True)
class WorkerParams:
    """Static parameters of a prover worker."""

    chain_id: ChainId
    """The rollup whose blocks it proves."""
    seconds_per_tx: float = 0.0
    """Modelled proving time per transaction (simulator; 0 live, where the work is real)."""
    seconds_per_block: float = 0.0
    """Modelled fixed proving time per block."""
    max_queue: int = 64
    """Jobs held at most; further ones are dropped (the coordinator re-sends on timeout)."""


# ---- the coordinator -----------------------------------------------------------------------


@dataclass(slots=True)
class _Job:
    worker: NodeId
    block_hash: Hash32
    deadline: float


class Coordinator(Role):
    """See the module docstring."""

    def __init__(self, node_id: NodeId, params: CoordinatorParams, store: StoreView) -> None:
        self.node_id = node_id
        self.params = params
        self.chain_id = params.genesis.chain_id
        self.chain = RollupChain(params.genesis)
        self.l1 = L1View()
        self.l1_sync = L1Sync(self.params.l1_node)
        self.early: dict[int, Block] = {}
        """Blocks above head + 1, waiting for their parents."""
        self.jobs: dict[int, _Job] = {}
        """Block number → the worker proving it."""
        self.failures: Counter[int] = Counter()
        self.proofs: dict[int, tuple[Hash32, bytes, bytes]] = {}
        """Block number → (block hash, claim, proof), until proven on L1."""
        self.sender = L1Sender(
            L1SenderParams(
                key=params.prover_key,
                l1_chain_id=params.l1_chain_id,
                resubmit_after=params.resubmit_after,
                l1_node=params.l1_node,
                store_prefix=_SUBMISSION_KEY,
            ),
            store,
        )
        """The prover's L1 account: its proof transactions (tagged with the block each
        proves), their nonces, resubmission and inclusion."""
        self.proven: dict[tuple[int, Hash32], int] = {}
        """(Rollup block number, hash) → L1 block, from canonical ``BlockProven`` logs (any
        version, ours or not)."""
        self.proven_head = 0
        """Highest n with our blocks 1..n proven on canonical L1."""
        self.proven_final = 0
        """Highest n with our blocks 1..n proven in finalized L1 blocks (no L1 reorg unproves
        them)."""
        self.hub_final = 0
        """Highest n with our blocks 1..n FINALIZED by the hub (``follow_hub``; persisted)."""
        self.reported = 0
        """Highest block ``prover.confirmed`` was recorded for (persisted)."""
        self.withhold_from: int | None = None
        self.second_versions: set[int] = set()
        self.diverged: set[int] = set()
        """Heights where the sequencer's canonical chain left ours at or below the floor."""
        self.want_from: int | None = None
        """Lowest block to ask the sequencer for (at most one request per ``ask_interval``)."""
        self.asked_at = float("-inf")
        self.hub_status: dict[int, tuple[Hash32, SafetyLevel]] = {}
        """Block number → (hash, cross level) the hub last published (``follow_hub``)."""
        self.hub = HubFollower()
        self._restore(store)

    def subscriptions(self) -> tuple[str, ...]:
        topics = (L1_BLOCKS_TOPIC, rollup_blocks_topic(self.chain_id))
        return (*topics, HUB_BLOCKS_TOPIC) if self.params.follow_hub else topics

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        effects: list[Effect] = []
        if isinstance(event, Started):
            effects.extend(self.l1_sync.request(0, now))
            self._ask(self.chain.head.number + 1)
        elif isinstance(event, TimerFired):
            if event.tag not in ("jobs", "ask"):
                return []
            for number in [n for n, job in self.jobs.items() if job.deadline <= now]:
                del self.jobs[number]  # re-sent below, to the least-loaded worker
        elif isinstance(event, MessageReceived):
            message = event.message
            if isinstance(message, BlockGossip):
                if message.chain_id != self.chain_id:
                    return []
                effects.extend(self._on_envelope(message.envelope, canonical=False))
            elif isinstance(message, BlocksResponse):
                if message.chain_id != self.chain_id:
                    return []
                effects.extend(self._on_blocks(message))
            elif isinstance(message, ProofDone):
                effects.extend(self._on_proof(message))
            elif isinstance(message, ProofFailed):
                effects.extend(self._on_failed(message))
            elif isinstance(message, L1BlockPublished):
                effects.extend(self._on_l1(message, now))
            elif isinstance(message, WithholdProofs):
                effects.extend(self._on_withhold(message))
            elif isinstance(message, HubBlockPublished):
                steps = self.hub.accept(event.sender, message, now)
                effects.extend(steps.effects)
                for block in steps.ready:
                    effects.extend(self._on_hub_block(block))
            else:
                return []
        effects.extend(self._dispatch(now))
        if self._l1_ready():
            effects.extend(self._resend())
            effects.extend(self._submit())
        if self.want_from is not None:
            # One expression decides both branches: ``now - asked_at >= interval`` can be false
            # at the very instant ``asked_at + interval`` the timer fires (float rounding), which
            # re-armed the timer at ``now`` without end.
            ask_at = Timestamp(self.asked_at + self.params.ask_interval)
            if now >= ask_at:
                effects.append(
                    SendMessage(self.params.sequencer_node, BlocksRequest(self.want_from))
                )
                self.want_from, self.asked_at = None, now
            else:
                effects.append(SetTimer("ask", ask_at))
        if self.jobs:
            deadline = min(job.deadline for job in self.jobs.values())
            effects.append(SetTimer("jobs", Timestamp(deadline)))
        return effects

    # ---- following the chain ---------------------------------------------------------------

    def _ask(self, from_number: int) -> None:
        """Ask the sequencer for its chain from ``from_number`` (sent at the end of the step)."""
        from_number = max(from_number, 1)
        self.want_from = from_number if self.want_from is None else min(self.want_from, from_number)

    def _on_blocks(self, message: BlocksResponse) -> list[Effect]:
        effects: list[Effect] = []
        head_before = self.chain.head.number
        for envelope in message.envelopes:
            effects.extend(self._on_envelope(envelope, canonical=True))
            if self.diverged & {self.chain.head.number, self.chain.head.number + 1}:
                break
        if (
            len(message.envelopes) >= BlocksRequest(0).limit
            and self.chain.head.number > head_before
        ):
            self.asked_at = float("-inf")  # catching up: ask for the next range at once
            self._ask(self.chain.head.number + 1)
        return effects

    def _on_envelope(self, envelope: bytes, *, canonical: bool) -> list[Effect]:
        try:
            signed = verify_envelope(envelope, self.chain_id)
            if signed.signer != self.params.sequencer_address:
                return [ProverWrongSigner(chain=self.chain_id)]
            block = block_from_payload(signed.payload, signed.parent_beacon_block_root)
        except InterlaceError as exc:
            return [ProverBadEnvelope(chain=self.chain_id, reason=str(exc))]
        return self._offer(block, canonical=canonical)

    def _offer(self, block: Block, *, canonical: bool) -> list[Effect]:
        number, head = block.number, self.chain.head.number
        effects: list[Effect] = []
        if number <= 0:
            return []
        if number <= head:
            if self.chain.blocks[number].hash == block.hash:
                return []
            if not canonical:
                # A second signed block at a height: ask which one the sequencer stands by.
                if number not in self.second_versions:
                    self.second_versions.add(number)
                    effects.append(ProverSecondVersion(chain=self.chain_id, number=number))
                if number > self.floor:
                    self._ask(number)
                return effects
            if number <= self.floor or number - 1 < self.chain.states_from:
                return [*effects, *self._diverged(number)]
            effects.extend(self._rewind(number - 1))
        elif number > head + 1:
            if len(self.early) < _MAX_EARLY_BLOCKS:
                self.early.setdefault(number, block)
            self._ask(head + 1)
            return []
        if block.header.parent_hash != self.chain.head.hash:
            # Another branch than ours below this height: walk back until they meet.
            if canonical and number - 1 <= self.floor:
                return [*effects, *self._diverged(number - 1)]
            self._ask(max(self.floor + 1, number - 1))
            return effects
        effects.extend(self._append(block))
        while self.chain.head.number + 1 in self.early:
            following = self.early.pop(self.chain.head.number + 1)
            if following.header.parent_hash != self.chain.head.hash:
                break
            effects.extend(self._append(following))
        for stale in [n for n in self.early if n <= self.chain.head.number]:
            del self.early[stale]
        return effects

    @property
    def floor(self) -> int:
        """The highest block that can no longer change: the coordinator never rewinds to or
        below it (see the module docstring)."""
        return self.hub_final if self.params.follow_hub else self.proven_final

    def _diverged(self, number: int) -> list[Effect]:
        """The sequencer's canonical chain left ours at ``number``, at or below the floor."""
        if number in self.diverged:
            return []
        self.diverged.add(number)
        return [ProverDiverged(chain=self.chain_id, number=number)]

    def _append(self, block: Block) -> list[Effect]:
        try:
            origin = read_origin(tuple(tx.raw for tx in block.transactions[:1])).origin
            self.chain.replay(block, origin)
        except InterlaceError as exc:
            return [ProverBadBlock(chain=self.chain_id, number=block.number, reason=str(exc))]
        return [
            PersistBatch(
                (
                    (
                        _block_key(block.number),
                        encode_rlp([encode_stored_block(block), encode_origin(origin)]),
                    ),
                )
            )
        ]

    def _rewind(self, keep: int) -> list[Effect]:
        head = self.chain.head.number
        self.chain.rewind(keep)
        for table in (self.jobs, self.proofs):
            for number in [n for n in table if n > keep]:
                del table[number]
        self.proven_head = min(self.proven_head, keep)
        self.proven_final = min(self.proven_final, keep)
        effects: list[Effect] = [
            PersistBatch(tuple((_block_key(n), None) for n in range(keep + 1, head + 1))),
            ProverRewind(chain=self.chain_id, to=keep, dropped=head - keep),
        ]
        return [*effects, *self._lower_reported()]

    def _lower_reported(self) -> list[Effect]:
        """After the proven head moved down: blocks above it are reported again when their
        current version is proven."""
        if self.reported <= self.proven_head:
            return []
        self.reported = self.proven_head
        return [PersistBatch(((_REPORTED_KEY, encode_uint(self.reported)),))]

    def _proven_at(self, number: int) -> int | None:
        """The L1 block that proved our block ``number``, if L1 proved our version."""
        block = self.chain.block_at(number)
        return None if block is None else self.proven.get((number, block.hash))

    def _on_hub_block(self, message: HubBlockPublished) -> list[Effect]:
        """Remember the hub's cross level of our blocks; re-ask after an invalidation."""
        if not self.params.follow_hub:
            return []
        writes: list[tuple[bytes, bytes | None]] = []
        for change in message.changes:
            if change.chain_id != self.chain_id or change.number <= self.floor:
                continue
            status = (Hash32(change.block_hash), SafetyLevel(change.cross_level))
            self.hub_status[change.number] = status
            writes.append(
                (_hub_key(change.number), encode_rlp([status[0], encode_uint(status[1])]))
            )
            if status[1] == SafetyLevel.INVALID and self.chain.block_at(change.number) is not None:
                self._ask(change.number)  # the sequencer rebuilds without the bad dependency
        final = self.hub_final
        while (block := self.chain.block_at(final + 1)) is not None and self.hub_status.get(
            final + 1
        ) == (block.hash, SafetyLevel.FINALIZED):
            final += 1
        if final > self.hub_final:
            self.hub_final = final
            writes.append((_HUB_FINAL_KEY, encode_uint(final)))
        for stale in [n for n in self.hub_status if n <= self.floor]:
            del self.hub_status[stale]
            writes.append((_hub_key(stale), None))
        return [PersistBatch(tuple(writes))] if writes else []

    def _cleared(self, number: int, block_hash: Hash32) -> bool:
        """May the proof of this block go to L1 (see ``CoordinatorParams.follow_hub``)?"""
        if not self.params.follow_hub:
            return True
        status = self.hub_status.get(number)
        return (
            status is not None
            and status[0] == block_hash
            and SafetyLevel.SAFE <= status[1] < SafetyLevel.INVALID
        )

    # ---- jobs ------------------------------------------------------------------------------

    def _dispatch(self, now: Timestamp) -> list[Effect]:
        workers = self.params.workers
        if not workers:
            return []
        load = Counter(job.worker for job in self.jobs.values())
        effects: list[Effect] = []
        last = min(self.chain.head.number, self.proven_head + self.params.max_ahead)
        for number in range(self.proven_head + 1, last + 1):
            if (
                number in self.proofs
                or number in self.jobs
                or self.failures[number] >= _MAX_JOB_FAILURES
            ):
                continue
            worker = min(workers, key=lambda w: load[w])
            if load[worker] >= self.params.jobs_per_worker:
                break
            parent, block = self.chain.blocks[number - 1], self.chain.blocks[number]
            witness = make_witness_proof(
                self.chain.state_at(number - 1),
                parent.header,
                block,
                self.chain.modules,
                self.chain.config,
            )
            load[worker] += 1
            self.jobs[number] = _Job(worker, block.hash, now + self.params.job_timeout)
            txs = len(block.transactions)
            effects.append(
                SendMessage(worker, ProofJob(self.chain_id, number, block.hash, txs, witness))
            )
            effects.append(ProverJob(chain=self.chain_id, number=number, worker=worker, txs=txs))
        return effects

    def _on_proof(self, message: ProofDone) -> list[Effect]:
        number = message.number
        block = self.chain.block_at(number)
        if (
            message.chain_id != self.chain_id
            or block is None
            or block.hash != message.block_hash
            or number <= self.proven_head
            or number in self.proofs
        ):
            return []  # stale (a rewound block), late (a reassigned job) or already proven
        self.jobs.pop(number, None)
        self.proofs[number] = (block.hash, message.claim, message.proof)
        return []

    def _on_failed(self, message: ProofFailed) -> list[Effect]:
        job = self.jobs.get(message.number)
        if message.chain_id != self.chain_id or job is None or job.block_hash != message.block_hash:
            return []
        del self.jobs[message.number]
        self.failures[message.number] += 1
        return [
            ProverJobFailed(
                chain=self.chain_id,
                number=message.number,
                error=message.error,
                reason=message.reason,
            )
        ]

    # ---- L1 --------------------------------------------------------------------------------

    def _on_withhold(self, message: WithholdProofs) -> list[Effect]:
        self.withhold_from = message.from_number
        value = None if message.from_number is None else encode_uint(message.from_number)
        return [
            PersistBatch(((_WITHHOLD_KEY, value),)),
            ProverWithhold(chain=self.chain_id, from_number=message.from_number),
        ]

    def _on_l1(self, message: L1BlockPublished, now: Timestamp) -> list[Effect]:
        replaced = follow_l1(self.l1, message)
        effects: list[Effect] = []
        if replaced is not None:
            effects.extend(self._forget_l1_from(replaced))
        number = message.block.number
        if self.l1.block(number) is message.block:
            effects.extend(self._scan(message.block, number))
        # Each block is scanned as it arrives; after that only hashes are read.
        self.l1.release_below(self.l1.complete_through + 1)
        settled = self.l1.settled_through
        while (at := self._proven_at(self.proven_final + 1)) is not None and at <= settled:
            self.proven_final += 1
        self.chain.release_states_below(self.floor)
        gap = self.l1.missing_below(number)
        if gap is not None:
            effects.extend(self.l1_sync.request(gap, now))
            return effects
        effects.extend(self._forget_finalized())
        return effects

    def _forget_l1_from(self, replaced: int) -> list[Effect]:
        """An L1 reorg: what landed in the replaced blocks is no longer on L1 (the sender
        holds those transactions pending again, due at once)."""
        self.sender.forget_from(replaced)
        unproven = [key for key, at in self.proven.items() if at >= replaced]
        for key in unproven:
            del self.proven[key]
        if unproven:
            self.proven_head = min(self.proven_head, min(n for n, _hash in unproven) - 1)
        effects = self._lower_reported()
        effects.append(ProverL1Reorg(chain=self.chain_id, l1=replaced, unproven=len(unproven)))
        return effects

    def _scan(self, l1_block: Block, l1_number: int) -> list[Effect]:
        effects: list[Effect] = []
        receipts = self.l1.receipts_at(l1_number)
        reverted = {
            i.tx.nonce: i.tx
            for i in self.sender.scan(l1_number, l1_block, receipts)
            if not i.success
        }
        for tx, receipt in zip(l1_block.transactions, receipts, strict=True):
            mine = reverted.get(tx.nonce) if tx.sender == self.sender.address else None
            if mine is not None:
                effects.append(
                    ProverReverted(chain=self.chain_id, number=_proves(mine)[0], nonce=mine.nonce)
                )
            for log in receipt.logs:
                if (
                    log.address != VALIDITY_VERIFIER_ADDRESS
                    or not log.topics
                    or log.topics[0] != _BLOCK_PROVEN.topic0
                ):
                    continue
                try:
                    chain_id, number, block_hash, _root = _BLOCK_PROVEN.decode_log(
                        log.topics, log.data
                    )
                except InterlaceError:
                    continue
                key = (int(number), Hash32(block_hash))
                if chain_id != self.chain_id or key in self.proven:
                    continue
                self.proven[key] = l1_number
                ours = self.chain.block_at(number)
                if ours is not None and ours.hash != block_hash:
                    effects.append(ProverConflict(chain=self.chain_id, number=number))
        while self._proven_at(self.proven_head + 1) is not None:
            self.proven_head += 1
        if self.proven_head > self.reported:
            # Reported once per block and in order, across restarts (the L1 re-sync after a
            # restart finds the same logs again).
            effects.extend(
                ProverConfirmed(chain=self.chain_id, number=n, l1=self.proven[(n, block.hash)])
                for n in range(self.reported + 1, self.proven_head + 1)
                if (block := self.chain.blocks[n])
            )
            self.reported = self.proven_head
            effects.append(PersistBatch(((_REPORTED_KEY, encode_uint(self.reported)),)))
        for number in [n for n in self.proofs if n <= self.proven_head]:
            del self.proofs[number]
        for number in [n for n in self.jobs if n <= self.proven_head]:
            del self.jobs[number]
        return effects

    def _l1_ready(self) -> bool:
        """True once the L1 view is complete (our nonces and the proven head are known)."""
        head = self.l1.head_number
        return head >= 0 and self.l1.missing_below(head) is None

    def _forget_finalized(self) -> list[Effect]:
        """Drop the transactions in finalized L1 blocks."""
        return list(self.sender.forget_final(self.l1.finalized_number))

    def _resend(self) -> list[Effect]:
        """Re-send proof transactions that have not landed in time, or were removed by an L1
        reorg, with the same nonce: the same bytes, or — if the block at that height was
        replaced since (the sequencer rebuilt it) — the proof of the current version."""
        effects: list[Effect] = []
        now = l1_time(self.l1)
        for tx in self.sender.pending():
            number, block_hash = _proves(tx)
            if self.withhold_from is not None and number >= self.withhold_from:
                continue
            current = self.chain.block_at(number)
            stale = current is None or current.hash != block_hash
            if stale:
                proof = self.proofs.get(number)
                if proof is None or current is None or proof[0] != current.hash:
                    continue  # wait for the current version's proof
                call = self._proof_call(proof[1], proof[2])
                sent = self.sender.replace(tx.nonce, _tag(number, current.hash), call, now)
            elif self.sender.is_due(tx, now):
                sent = self.sender.resend(tx.nonce, now)
            else:
                continue
            effects.extend(sent.effects)
            effects.append(
                ProverResubmitted(
                    chain=self.chain_id,
                    number=number,
                    nonce=tx.nonce,
                    replaced=stale,
                )
            )
        return effects

    def _proof_call(self, claim: bytes, proof: bytes) -> L1Call:
        calldata = _SUBMIT.encode_call(self.chain_id, claim, proof)
        return L1Call(VALIDITY_VERIFIER_ADDRESS, calldata, submit_proof_gas(calldata, len(proof)))

    def _submit(self) -> list[Effect]:
        """Send the proofs of the next blocks, in order, that no live transaction covers."""
        txs = self.sender.transactions()
        covered = {tx.tag for tx in txs if tx.state is not TxState.REVERTED}
        in_flight = sum(1 for tx in txs if tx.state is TxState.PENDING)
        now = l1_time(self.l1)
        effects: list[Effect] = []
        number = self.proven_head + 1
        while self.withhold_from is None or number < self.withhold_from:
            block = self.chain.block_at(number)
            if block is not None and _tag(number, block.hash) in covered:
                number += 1
                continue
            proof = self.proofs.get(number)
            if proof is None or in_flight >= self.params.max_in_flight:
                break
            block_hash, claim, proof_bytes = proof
            if not self._cleared(number, block_hash):
                break
            call = self._proof_call(claim, proof_bytes)
            sent = self.sender.submit(_tag(number, block_hash), call, now)
            in_flight += 1
            effects.extend(sent.effects)
            effects.append(
                ProverSubmitted(
                    chain=self.chain_id,
                    number=number,
                    nonce=sent.tx.nonce,
                    hash=block_hash.hex()[:16],
                    bytes=len(proof_bytes),
                )
            )
            number += 1
        return effects

    # ---- restart ---------------------------------------------------------------------------

    def _restore(self, store: StoreView) -> None:
        for _key, raw in store.iterate_prefix(_BLOCK_KEY):
            block_raw, origin_item = read_list(decode_rlp(raw), 2, "prover block")
            self.chain.replay(
                decode_stored_block(read_bytes(block_raw)), decode_origin(origin_item)
            )
        reported = store.get(_REPORTED_KEY)
        if reported is not None:
            self.reported = int.from_bytes(reported, "big")
        for key, raw in store.iterate_prefix(_HUB_KEY):
            block_hash, level = read_list(decode_rlp(raw), 2, "hub status")
            number = int.from_bytes(key[len(_HUB_KEY) :], "big")
            self.hub_status[number] = (read_hash32(block_hash), SafetyLevel(read_u64(level)))
        withhold = store.get(_WITHHOLD_KEY)
        if withhold is not None:
            self.withhold_from = int.from_bytes(withhold, "big")
        hub_final = store.get(_HUB_FINAL_KEY)
        if hub_final is not None:
            self.hub_final = int.from_bytes(hub_final, "big")


_BLOCK_KEY: Final = b"prv/block/"
_SUBMISSION_KEY: Final = b"prv/tx/"
_WITHHOLD_KEY: Final = b"prv/withhold"
_REPORTED_KEY: Final = b"prv/reported"
_HUB_KEY: Final = b"prv/hub/"
_HUB_FINAL_KEY: Final = b"prv/hub_final"


def _hub_key(number: int) -> bytes:
    return _HUB_KEY + number.to_bytes(8, "big")


def _block_key(number: int) -> bytes:
    return _BLOCK_KEY + number.to_bytes(8, "big")


def _tag(number: int, block_hash: Hash32) -> str:
    """The sender's tag of the proof transaction of one block: ``<number>:<hash hex>``."""
    return f"{number}:{block_hash.hex()}"


def _proves(tx: SentTx) -> tuple[int, Hash32]:
    """The block a proof transaction proves, from its tag."""
    number, block_hash = tx.tag.split(":")
    return int(number), Hash32(bytes.fromhex(block_hash))


# ---- the worker ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Queued:
    key: bytes
    sender: NodeId
    job: ProofJob


class ProverWorker(Role):
    """See the module docstring: proves one job at a time, statelessly, from its witness."""

    def __init__(self, node_id: NodeId, params: WorkerParams, store: StoreView) -> None:
        self.node_id = node_id
        self.params = params
        self.config = ChainConfig(params.chain_id)
        self.modules = rollup_modules()
        self.queue: list[_Queued] = []
        self.active: _Queued | None = None
        self.proved = 0
        self._seq = 0
        for key, raw in store.iterate_prefix(_JOB_KEY):
            self.queue.append(_decode_job(key, raw))
            self._seq = int.from_bytes(key[len(_JOB_KEY) :], "big") + 1

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        if isinstance(event, Started):
            return self._start_next(now)
        if isinstance(event, TimerFired) and event.tag == "prove":
            return self._finish(now)
        if isinstance(event, MessageReceived) and isinstance(event.message, ProofJob):
            return self._accept(event.sender, event.message, now)
        return []

    def _accept(self, sender: NodeId, job: ProofJob, now: Timestamp) -> list[Effect]:
        if job.chain_id != self.params.chain_id:
            return []
        held = [*self.queue, *([self.active] if self.active else [])]
        if any(q.job.number == job.number and q.job.block_hash == job.block_hash for q in held):
            return []
        if len(self.queue) >= self.params.max_queue:
            return [ProverJobDropped(chain=job.chain_id, number=job.number)]
        key = _JOB_KEY + self._seq.to_bytes(8, "big")
        self._seq += 1
        self.queue.append(_Queued(key, sender, job))
        return [PersistBatch(((key, _encode_job(sender, job)),)), *self._start_next(now)]

    def _start_next(self, now: Timestamp) -> list[Effect]:
        if self.active is not None or not self.queue:
            return []
        # The lowest block first, not the oldest job: the coordinator submits in block order,
        # so a job sent again after its answer was lost must not wait behind the blocks
        # above it (explorer seed 1827: two lost answers held every submission for 30 s).
        lowest = min(range(len(self.queue)), key=lambda i: self.queue[i].job.number)
        self.active = self.queue.pop(lowest)
        job = self.active.job
        busy = self.params.seconds_per_block + self.params.seconds_per_tx * job.transactions
        return [SetTimer("prove", Timestamp(now + busy))]

    def _finish(self, now: Timestamp) -> list[Effect]:
        queued = self.active
        if queued is None:
            return []
        self.active = None
        job = queued.job
        answer: Message
        try:
            claim, proof = prove_block_witness(job.witness, self.config, self.modules)
            if claim.block_hash != job.block_hash or claim.number != job.number:
                raise InvalidValidityProof("the witness is for another block than the job names")
            answer = ProofDone(
                job.chain_id, job.number, job.block_hash, encode_block_claim(claim), proof
            )
        except (InvalidValidityProof, MalformedValidityProof) as exc:
            answer = ProofFailed(
                job.chain_id, job.number, job.block_hash, type(exc).__name__, str(exc)
            )
        self.proved += 1
        return [
            PersistBatch(((queued.key, None),)),
            SendMessage(queued.sender, answer),
            ProverProved(
                chain=job.chain_id,
                number=job.number,
                worker=self.node_id,
                txs=job.transactions,
                ok=isinstance(answer, ProofDone),
            ),
            *self._start_next(now),
        ]


_JOB_KEY: Final = b"prw/job/"


def _encode_job(sender: NodeId, job: ProofJob) -> bytes:
    return encode_rlp(
        [
            sender.encode(),
            encode_uint(job.chain_id),
            encode_uint(job.number),
            job.block_hash,
            encode_uint(job.transactions),
            job.witness,
        ]
    )


def _decode_job(key: bytes, raw: bytes) -> _Queued:
    sender, chain_id, number, block_hash, txs, witness = read_list(decode_rlp(raw), 6, "job")
    return _Queued(
        key,
        NodeId(read_bytes(sender).decode()),
        ProofJob(
            read_u64(chain_id),
            read_u64(number),
            read_bytes(block_hash),
            read_u64(txs),
            read_bytes(witness),
        ),
    )
