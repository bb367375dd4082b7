"""Prover roles in the simulator kernel: an L1 with the ValidityVerifier, a sequencer, a
coordinator and its workers, driven by a small transfer workload.

Everything runs in virtual time from one seed. What is checked is what L1
holds — the verifier's proven head and the prover's transactions in
canonical L1 blocks — plus the coordinator's records, so each test fails
if blocks are proven out of order, twice, not at all, or past a withhold.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final, TypeVar

import pytest

from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.types import U64, Address, ChainId, Hash32
from interlace.protocol.chain.block import Block, genesis_header
from interlace.protocol.l1.genesis import L1_CHAIN_ID, L1_CONFIG, L1Genesis
from interlace.protocol.l1.modules import RollupKind, RollupRecord
from interlace.protocol.proofs import decode_block_claim
from interlace.protocol.proofs.verifier_module import (
    VALIDITY_VERIFIER_ABI,
    VALIDITY_VERIFIER_ADDRESS,
    ValidityVerifier,
    configure_verifier,
    read_proven_head,
)
from interlace.protocol.proofs.witness import make_witness_proof
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import L1Origin, origin_of
from interlace.roles.base import (
    MessageReceived,
    NodeId,
    SendMessage,
    StoreView,
    Timestamp,
)
from interlace.roles.l1_node import L1Node, L1Params
from interlace.roles.messages import InjectReorg, SetByzantine, SubmitTransaction
from interlace.roles.prover import (
    Coordinator,
    CoordinatorParams,
    ProofDone,
    ProofFailed,
    ProofJob,
    ProverWorker,
    WithholdProofs,
    WorkerParams,
    coordinator_node,
    worker_node,
)
from interlace.roles.records import (
    ProverConfirmed,
    ProverConflict,
    ProverJob,
    ProverL1Reorg,
    ProverProved,
    ProverResubmitted,
    ProverReverted,
    ProverSecondVersion,
    ProverSubmitted,
    Record,
)
from interlace.roles.sequencer import RollupParams, Sequencer
from interlace.runtime.sim.kernel import Simulator
from interlace.runtime.store import MemoryStore
from tests.protocol.support import ETHER, transfer

CHAIN: Final = ChainId(901)
L1_NODE: Final = NodeId("l1")
SEQ_NODE: Final = NodeId("seq-901")
COORDINATOR: Final = coordinator_node(CHAIN)
SEQUENCER_KEY: Final = private_key_from_seed(b"prover test sequencer")
PROVER_KEY: Final = private_key_from_seed(b"prover test prover")
ADMIN_KEY: Final = private_key_from_seed(b"prover test admin")
USERS: Final = tuple(private_key_from_seed(b"prover test user %d" % i) for i in range(8))


class VerifierL1(L1Node):
    """An L1 node whose genesis also holds the ``ValidityVerifier`` (the lead wires it for
    real into ``build_l1_genesis``; this keeps the test independent of that)."""

    def __init__(
        self,
        node_id: NodeId,
        params: L1Params,
        store: StoreView,
        anchors: dict[int, tuple[Hash32, Hash32]],
    ) -> None:
        super().__init__(node_id, params, store)
        assert self.head.number == 0, "this test L1 is never restarted"
        self.modules = {**self.modules, VALIDITY_VERIFIER_ADDRESS: ValidityVerifier()}
        state = self.states[0]
        configure_verifier(state, anchors)
        config = params.genesis.config
        self.blocks[0] = Block(genesis_header(config, state, params.genesis.timestamp), ())


R = TypeVar("R", bound=Record)


@dataclass
class Recorder:
    """Observer: every record, by kind."""

    events: list[tuple[float, NodeId, Record]] = field(default_factory=list)

    def on_record(self, now: Timestamp, node: NodeId, event: Record) -> None:
        self.events.append((now, node, event))

    def after_step(self, sim: Simulator) -> None:
        pass

    def of(self, kind: type[R]) -> Iterator[R]:
        for _now, _node, event in self.events:
            if isinstance(event, kind):
                yield event


@dataclass
class World:
    sim: Simulator
    recorder: Recorder
    workers: tuple[NodeId, ...]

    @property
    def l1(self) -> VerifierL1:
        role = self.sim.role(L1_NODE)
        assert isinstance(role, VerifierL1)
        return role

    @property
    def sequencer(self) -> Sequencer:
        role = self.sim.role(SEQ_NODE)
        assert isinstance(role, Sequencer)
        return role

    def proven_head(self) -> tuple[int, Hash32, Hash32]:
        head = read_proven_head(self.l1.head_state, CHAIN)
        assert head is not None
        return head

    def proof_transactions(self) -> list[int]:
        """Rollup block number of every prover transaction that succeeded in canonical L1
        blocks (a refused one, such as a proof of a block a reorg replaced, proves nothing)."""
        submit = VALIDITY_VERIFIER_ABI.function("submitProof")
        numbers = []
        for block, receipts in zip(self.l1.blocks, self.l1.receipts, strict=True):
            for tx, receipt in zip(block.transactions, receipts, strict=True):
                if tx.sender == PROVER_KEY.address and receipt.success:
                    _chain, claim, _proof = submit.decode_call(tx.data)
                    assert isinstance(claim, bytes)
                    numbers.append(decode_block_claim(claim).number)
        return numbers

    def run(self, until: float) -> None:
        self.sim.run_until(until)


def build_world(
    *,
    workers: int = 2,
    seconds_per_tx: float = 0.1,
    seconds_per_block: float = 0.8,
    txs_per_block: int = 4,
    seed: int = 1,
    max_in_flight: int = 8,
    confirmation_depth: int = 1,
) -> World:
    placeholder = L1Origin(U64(0), Hash32(b"\x00" * 32), U64(0), 0)  # type: ignore[arg-type]
    alloc: dict[Address, int] = {k.address: ETHER for k in USERS}
    rollup = RollupChain(RollupGenesis(CHAIN, placeholder, 0, alloc))
    anchors = {CHAIN: (rollup.head.hash, rollup.head.header.state_root)}
    record = RollupRecord(
        CHAIN,
        RollupKind.VALIDITY,
        SEQUENCER_KEY.address,
        ADMIN_KEY.address,
        U64(0),
        ADMIN_KEY.address,
    )
    l1_genesis = L1Genesis(L1_CONFIG, {PROVER_KEY.address: 10**24}, [record])
    l1_params = L1Params(l1_genesis, block_time=2.0, safe_depth=2, finality_depth=6)
    sim = Simulator(seed)
    recorder = Recorder()
    sim.observers.append(recorder)
    l1 = sim.add_node(L1_NODE, lambda store: VerifierL1(L1_NODE, l1_params, store, anchors))
    assert isinstance(l1, VerifierL1)
    genesis = RollupGenesis(CHAIN, origin_of(l1.blocks[0]), 0, alloc)
    assert RollupChain(genesis).head.hash == anchors[CHAIN][0]
    seq_params = RollupParams(
        genesis, SEQUENCER_KEY, block_time=1.0, confirmation_depth=confirmation_depth
    )
    sim.add_node(SEQ_NODE, lambda store: Sequencer(SEQ_NODE, seq_params, store))
    worker_ids = tuple(worker_node(CHAIN, i) for i in range(workers))
    params = CoordinatorParams(
        genesis=genesis,
        sequencer_address=SEQUENCER_KEY.address,
        sequencer_node=SEQ_NODE,
        prover_key=PROVER_KEY,
        l1_chain_id=L1_CHAIN_ID,
        workers=worker_ids,
        max_in_flight=max_in_flight,
        job_timeout=5.0,
    )
    sim.add_node(COORDINATOR, lambda store: Coordinator(COORDINATOR, params, store))
    worker_params = WorkerParams(CHAIN, seconds_per_tx, seconds_per_block)
    for node in worker_ids:
        sim.add_node(node, lambda store, node=node: ProverWorker(node, worker_params, store))
    nonces = [0] * len(USERS)

    def traffic(tick: int) -> None:
        for i in range(txs_per_block):
            sender = (tick * txs_per_block + i) % len(USERS)
            tx = transfer(
                USERS[sender], nonces[sender], USERS[(sender + 1) % len(USERS)].address, 1
            )
            nonces[sender] += 1
            sim.inject(SEQ_NODE, SubmitTransaction(tx.raw))

    for tick in range(200):
        sim.schedule(0.5 + tick, lambda tick=tick: traffic(tick), "traffic")
    return World(sim, recorder, worker_ids)


def assert_proven_in_order(world: World) -> int:
    """L1's proven chain is the sequencer's chain, each block proven by one transaction."""
    number, block_hash, state_root = world.proven_head()
    canonical = world.sequencer.chain.blocks[number]
    assert (block_hash, state_root) == (canonical.hash, canonical.header.state_root)
    landed = world.proof_transactions()
    assert len(landed) == len(set(landed)), f"a block was proven by two transactions: {landed}"
    confirmed = [f.number for f in world.recorder.of(ProverConfirmed)]
    # The coordinator learns of the latest L1 block a network delay after the L1 made it.
    coordinator = world.sim.role(COORDINATOR)
    assert isinstance(coordinator, Coordinator)
    seen = read_proven_head(world.l1.states[coordinator.l1.head_number], CHAIN)
    assert seen is not None
    reported = max(confirmed, default=0)
    assert isinstance(reported, int) and seen[0] == reported <= number
    assert set(confirmed) == set(range(1, reported + 1))
    for previous, current in zip([0, *confirmed], confirmed, strict=False):
        assert isinstance(previous, int) and isinstance(current, int)
        assert current <= previous + 1, f"confirmed out of order: {confirmed}"
    return number


# ---- the pipeline ----------------------------------------------------------------------------


def test_blocks_get_proven_on_l1_in_order() -> None:
    world = build_world()
    world.run(40)
    proven = assert_proven_in_order(world)
    assert proven >= 25  # 1 s blocks, proofs keep up, L1 lags by a few blocks
    # A job (0.8 s + 0.1 s per transaction) outlasts a block time: both workers are busy.
    jobs = list(world.recorder.of(ProverJob))
    assert {j.worker for j in jobs} == set(world.workers)
    submitted = [f.number for f in world.recorder.of(ProverSubmitted)]
    assert submitted == sorted(submitted) == list(range(1, len(submitted) + 1))
    # Every block carried user transfers, so the proofs covered real execution.
    assert all(j.txs > 1 for j in jobs[3:])


def test_more_workers_prove_more_blocks_in_the_same_virtual_time() -> None:
    # Each job takes 0.5 + 4 × 0.3 = 1.7 s of a worker, blocks come every second.
    heads = {}
    for workers in (1, 2):
        world = build_world(workers=workers, seconds_per_tx=0.3, seconds_per_block=0.5)
        world.run(60)
        heads[workers] = assert_proven_in_order(world)
    assert heads[1] <= 60 / 1.7
    assert heads[2] >= 1.6 * heads[1]


def test_withhold_stops_proofs_from_that_number() -> None:
    world = build_world()
    world.sim.inject(COORDINATOR, WithholdProofs(6))
    world.run(40)
    assert assert_proven_in_order(world) == 5
    assert max(f.number for f in world.recorder.of(ProverSubmitted)) == 5
    assert world.sequencer.chain.head.number > 30  # the chain itself went on
    # Lifting the switch lets the proofs through again.
    world.sim.inject(COORDINATOR, WithholdProofs(None))
    world.run(70)
    assert assert_proven_in_order(world) > 30


def test_coordinator_and_worker_restart_resume_without_double_submission() -> None:
    world = build_world(max_in_flight=4)
    world.run(14)
    before = world.proven_head()[0]
    assert before > 0
    world.sim.crash(COORDINATOR)
    world.sim.crash(world.workers[0])
    world.run(20)
    world.sim.restart(COORDINATOR)
    world.run(24)
    world.sim.restart(world.workers[0])
    world.run(60)
    after = assert_proven_in_order(world)
    assert after > before + 20
    # Submissions in flight at the crash were restored, not re-created with new nonces.
    submitted = [f.number for f in world.recorder.of(ProverSubmitted)]
    assert len(submitted) == len(set(submitted))


def test_worker_restart_resumes_its_queue() -> None:
    world = build_world(workers=1, seconds_per_tx=0.3, seconds_per_block=0.5)
    world.run(10)
    world.sim.crash(world.workers[0])
    world.run(11)
    world.sim.restart(world.workers[0])
    world.run(40)
    assert assert_proven_in_order(world) >= 15
    proved = [f.number for f in world.recorder.of(ProverProved)]
    assert sorted(set(proved))[:15] == list(range(1, 16))


def test_l1_reorg_proofs_land_again() -> None:
    # The reorg is shallower than the sequencer's origin depth: only proof transactions go.
    world = build_world(confirmation_depth=4)
    world.run(30)
    before = world.proven_head()[0]
    sequencer_blocks = list(world.sequencer.chain.blocks)
    world.sim.inject(L1_NODE, InjectReorg(3, drop_transactions=True))
    world.run(31)
    assert world.proven_head()[0] < before  # the reorg removed proofs
    world.run(60)
    assert world.sequencer.chain.blocks[: len(sequencer_blocks)] == sequencer_blocks
    assert assert_proven_in_order(world) > before + 10
    assert any(True for _ in world.recorder.of(ProverL1Reorg))
    assert any(True for _ in world.recorder.of(ProverResubmitted))


def test_deep_l1_reorg_a_proof_of_a_replaced_block_is_refused_and_the_rebuild_proven() -> None:
    # The reorg is deeper than the origin depth: the sequencer rebuilds blocks 29 and 30,
    # but the proof of the first block 29 is already on its way to L1 and lands on the new
    # fork. Its L1Origin is not on that fork, so L1 refuses it (explorer seed 631: L1
    # accepted it, and the rebuilt chain could never be proven); the coordinator proves
    # the rebuilt blocks in order, with no conflict and no storm of requests.
    world = build_world(confirmation_depth=1)
    world.run(30)
    world.sim.inject(L1_NODE, InjectReorg(3, drop_transactions=True))
    steps_before = world.sim.steps
    world.run(70)
    assert world.sim.steps - steps_before < 5_000
    assert not list(world.recorder.of(ProverConflict))
    assert [f.number for f in world.recorder.of(ProverReverted)] == [29]
    assert assert_proven_in_order(world) > 40


def test_equivocating_sequencer_the_first_version_is_proven() -> None:
    world = build_world()
    world.run(10)
    world.sim.inject(SEQ_NODE, SetByzantine(equivocate=True, delay_blocks=1))
    world.run(40)
    assert any(True for _ in world.recorder.of(ProverSecondVersion))
    assert assert_proven_in_order(world) > 25  # the sequencer's own chain, proven in order


# ---- the worker alone ------------------------------------------------------------------------


def _job_of(chain: RollupChain, number: int) -> ProofJob:
    block = chain.blocks[number]
    witness = make_witness_proof(
        chain.states[number - 1],
        chain.blocks[number - 1].header,
        block,
        chain.modules,
        chain.config,
    )
    return ProofJob(CHAIN, number, block.hash, len(block.transactions), witness)


@pytest.fixture(scope="module")
def small_chain() -> RollupChain:
    origin = L1Origin(U64(0), Hash32(b"\x11" * 32), U64(0), 10**9)  # type: ignore[arg-type]
    chain = RollupChain(RollupGenesis(CHAIN, origin, 0, {k.address: ETHER for k in USERS}))
    for number in (1, 2):
        built = chain.build_next(
            origin, (), [transfer(USERS[0], number - 1, USERS[1].address, 5)], 2 * number
        )
        chain.append(built, origin)
    return chain


def test_worker_answers_a_job_after_its_modelled_time(small_chain: RollupChain) -> None:
    worker = ProverWorker(NodeId("w"), WorkerParams(CHAIN, 0.5, 1.0), MemoryStore())
    job = _job_of(small_chain, 1)
    effects = worker.handle(MessageReceived(COORDINATOR, job), Timestamp(10.0))
    timers = [e for e in effects if type(e).__name__ == "SetTimer"]
    assert len(timers) == 1 and timers[0].at == 10.0 + 1.0 + 0.5 * job.transactions  # type: ignore[union-attr]
    # A second job waits for the first.
    second = _job_of(small_chain, 2)
    assert not [
        e
        for e in worker.handle(MessageReceived(COORDINATOR, second), Timestamp(10.1))
        if type(e).__name__ == "SetTimer"
    ]
    from interlace.roles.base import TimerFired

    done = worker.handle(TimerFired("prove"), Timestamp(12.0))
    (answer,) = [e for e in done if isinstance(e, SendMessage)]
    assert answer.to == COORDINATOR and isinstance(answer.message, ProofDone)
    claim = decode_block_claim(answer.message.claim)
    assert claim.block_hash == small_chain.blocks[1].hash
    assert claim.state_root == small_chain.blocks[1].header.state_root
    assert [e for e in done if type(e).__name__ == "SetTimer"]  # the second job starts


def test_worker_refuses_a_witness_that_does_not_prove_the_job(small_chain: RollupChain) -> None:
    from interlace.roles.base import TimerFired

    worker = ProverWorker(NodeId("w"), WorkerParams(CHAIN), MemoryStore())
    job = _job_of(small_chain, 1)
    for bad in (
        ProofJob(
            CHAIN, 1, small_chain.blocks[2].hash, job.transactions, job.witness
        ),  # other block
        ProofJob(CHAIN, 1, job.block_hash, job.transactions, job.witness[:-3]),  # malformed
        ProofJob(
            CHAIN, 1, b"\x01" * 32, job.transactions, job.witness[:40] + b"\x00" + job.witness[41:]
        ),
    ):
        worker.handle(MessageReceived(COORDINATOR, bad), Timestamp(0.0))
        done = worker.handle(TimerFired("prove"), Timestamp(0.0))
        (answer,) = [e for e in done if isinstance(e, SendMessage)]
        assert isinstance(answer.message, ProofFailed), bad
