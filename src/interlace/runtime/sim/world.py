"""A simulated world built from a scenario and a seed: one L1, N rollups, a workload.

``World`` is the simulator's adapter over the network plan
(``runtime/plan.py``): it adds the plan's nodes to the kernel with memory
stores (L1 node; per rollup a sequencer, a batcher and a verifier node, and
the settlement nodes; the hub and relayer) and one workload client, schedules
the scenario's faults, attaches the invariant checkers, and after the run
collects the metrics. The run has two phases, as TigerBeetle's VOPR does:
a safety phase with traffic and faults, then a liveness phase in which
every fault is healed, traffic stops, and the system must converge (every
batch posted and derived, every acknowledged transaction included).
"""

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

from interlace.primitives.types import ChainId
from interlace.protocol.hub.state import SafetyLevel
from interlace.protocol.interop.messenger import (
    MESSENGER_ABI,
    MESSENGER_ADDRESS,
)
from interlace.protocol.l1.genesis import (
    L1_CHAIN_ID,
)
from interlace.protocol.l1.modules import RollupKind
from interlace.roles.base import NodeId, Role, StoreView, Timestamp
from interlace.roles.batcher import RESUBMIT_L1_BLOCKS
from interlace.roles.client import ClientParams, WorkloadClient
from interlace.roles.hub import Hub
from interlace.roles.l1_node import L1Node
from interlace.roles.messages import InjectReorg, SetByzantine, SetOutage
from interlace.roles.names import (
    CLIENT_NODE,
    HUB_NODE,
    L1_NODE,
    batcher_node,
    coordinator_node,
    parse_node,
    proposer_node,
    sequencer_node,
    verifier_node,
)
from interlace.roles.prover import (
    WithholdProofs,
)
from interlace.roles.records import (
    BatcherBatch,
    BatcherBatchDropped,
    BatcherOutage,
    GameCreated,
    GameMove,
    GameResolved,
    GameStep,
    GameStepUnavailable,
    HubAggregate,
    HubConfirmed,
    HubEvidenceKept,
    HubFinalized,
    HubInvalid,
    HubOutputInvalid,
    HubOutputValid,
    HubPreconfirmed,
    HubProofSeen,
    HubRebuilt,
    HubSafe,
    L1Reorg,
    L1ReorgRefused,
    ProposerFault,
    ProverConflict,
    ProverSubmitted,
    ProverWithhold,
    Record,
    RelayerDelivered,
    SequencerBadStateRoot,
    SequencerBlock,
    SequencerByzantine,
    SequencerRebuild,
    SequencerUnsafeReorg,
    VerifierBadBatch,
    VerifierEvidence,
    VerifierSafe,
    VerifierSafeReorg,
    record_fields,
)
from interlace.roles.sequencer import Sequencer
from interlace.roles.settlement_messages import SetProposerFault
from interlace.roles.verifier import VerifierNode
from interlace.runtime.plan import TRUST_MODE_NAMES, RoleKind, build_plan
from interlace.runtime.sim.checkers import (
    ALL_CHECKERS,
    CHECKER_NAMES,
    HUB_CHECKERS,
    SETTLEMENT_CHECKERS,
    Checker,
    RunProgress,
)
from interlace.runtime.sim.kernel import (
    DEFAULT_LIMITS,
    Livelock,
    NodeFailed,
    ProgressLimits,
    SendObserver,
    Simulator,
)
from interlace.runtime.sim.network import LinkProfile
from interlace.runtime.sim.records import (
    SimCrash,
    SimHeal,
    SimPartition,
    SimProposerLie,
    SimRestart,
    SimWithholdProofs,
)
from interlace.runtime.sim.scenario import FaultSpec, Scenario, ScenarioError

MODE_NAMES = TRUST_MODE_NAMES


@dataclass(slots=True)
class Timeline:
    """Notable records, in order, for the human-readable summary."""

    entries: list[tuple[float, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    seq_blocks: dict[tuple[int, int], float] = field(default_factory=dict)
    safe_latency: list[float] = field(default_factory=list)
    level_latency: dict[str, list[float]] = field(default_factory=dict)
    """Hub level name → seconds from a block's production to the hub reaching that level."""
    delivered: dict[int, list[float]] = field(default_factory=dict)
    """Destination chain → latencies (source block made → destination block made)."""
    rebuilt: int = 0
    level_times: dict[tuple[int, int], dict[str, float]] = field(default_factory=dict)
    """(chain, number) → hub level name → when the hub reached it (settlement runs only)."""
    relays: list[tuple[int, int, int, int, float]] = field(default_factory=list)
    """Delivered messages: (source chain, source block, destination chain, destination block,
    source block made)."""
    track_levels: bool = False
    since_status: dict[str, int] = field(default_factory=dict)
    """Routine settlement events since the last status line (summarised there)."""

    ROUTINE: ClassVar[dict[type[Record], str]] = {
        GameCreated: "games created",
        GameResolved: "resolved",
        ProverSubmitted: "proofs sent",
        HubProofSeen: "proofs final",
        HubAggregate: "aggregates",
        HubFinalized: "blocks finalized",
    }
    """Settlement events too frequent to list one by one: counted per status line."""

    NOTABLE: ClassVar[tuple[type[Record], ...]] = (
        L1Reorg,
        L1ReorgRefused,
        SimCrash,
        SimRestart,
        SimPartition,
        SimHeal,
        SequencerByzantine,
        SequencerUnsafeReorg,
        SequencerRebuild,
        HubEvidenceKept,
        HubInvalid,
        HubRebuilt,
        VerifierEvidence,
        VerifierSafeReorg,
        VerifierBadBatch,
        BatcherBatchDropped,
        BatcherOutage,
        SequencerBadStateRoot,
        HubOutputInvalid,
        GameMove,
        GameStep,
        SimWithholdProofs,
        SimProposerLie,
        ProposerFault,
        ProverWithhold,
        ProverConflict,
    )
    """Events listed one by one on the timeline."""

    def on_record(self, now: Timestamp, node: NodeId, event: Record) -> None:
        if isinstance(event, GameStepUnavailable) or (
            isinstance(event, GameCreated | GameMove | GameStep | GameResolved) and not event.mine
        ):
            return  # each game event once: by the player who made the move or the game
        self.counts[event.kind] = self.counts.get(event.kind, 0) + 1
        if isinstance(event, SequencerBlock):
            self.seq_blocks[(event.chain, event.number)] = float(now)
        elif isinstance(event, HubPreconfirmed | HubSafe | HubConfirmed | HubFinalized):
            key = (event.chain, event.number)
            made = self.seq_blocks.get(key)
            level = event.kind.removeprefix("hub.")
            if made is not None:
                self.level_latency.setdefault(level, []).append(float(now) - made)
            if self.track_levels:
                self.level_times.setdefault(key, {}).setdefault(level, float(now))
        elif isinstance(event, RelayerDelivered):
            source = self.seq_blocks.get((event.source, event.source_number))
            made = self.seq_blocks.get((event.destination, event.number))
            if source is not None and made is not None:
                self.delivered.setdefault(event.destination, []).append(made - source)
                if self.track_levels:
                    self.relays.append(
                        (event.source, event.source_number, event.destination, event.number, source)
                    )
        elif isinstance(event, SequencerRebuild):
            self.rebuilt += event.dropped
        elif isinstance(event, VerifierSafe):
            produced = self.seq_blocks.get((event.chain, event.number))
            if produced is not None:
                self.safe_latency.append(float(now) - produced)
        notable = isinstance(event, self.NOTABLE) or (
            isinstance(event, GameResolved) and event.status != "DEFENDER_WINS"
        )
        if notable:
            details = " ".join(f"{k}={v}" for k, v in record_fields(event))
            self.entries.append((float(now), str(node), f"{event.kind} {details}".strip()))
        elif type(event) in self.ROUTINE:
            self.since_status[event.kind] = self.since_status.get(event.kind, 0) + 1

    def after_step(self, sim: Simulator) -> None:
        del sim


class World:
    """See the module docstring."""

    def __init__(
        self, scenario: Scenario, seed: int, limits: ProgressLimits | None = DEFAULT_LIMITS
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.sim = Simulator(seed, limits)
        net = scenario.network
        self.sim.network.default = LinkProfile(
            latency_s=net.latency_ms / 1000,
            jitter_s=net.jitter_ms / 1000,
            loss=net.loss,
            duplicate=net.duplicate,
        )
        self.chain_ids = list(scenario.plan.chain_ids())
        self.timeline = Timeline(track_levels=scenario.settlement.enabled)
        self.sim.observers.append(self.timeline)
        classes = (
            ALL_CHECKERS
            + (HUB_CHECKERS if scenario.hub.enabled else ())
            + (SETTLEMENT_CHECKERS if scenario.settlement.enabled else ())
        )
        self.checkers: list[Checker] = [cls(CHECKER_NAMES[cls], self) for cls in classes]
        self.sim.observers.extend(self.checkers)
        self.sim.send_observers.extend(c for c in self.checkers if isinstance(c, SendObserver))
        self._down: set[NodeId] = set()
        self.stopped: Livelock | NodeFailed | None = None
        """Why the kernel stopped the run early, if it did (a liveness bug)."""
        self._partitions: list[tuple[frozenset[NodeId], frozenset[NodeId]]] = []
        """Active partitions (one side, the other side), each healed on its own."""
        self._build()
        self._schedule_faults()
        self._schedule_status()

    # ---- construction ----------------------------------------------------------

    def _build(self) -> None:
        """Add the plan's nodes to the kernel, and the workload client after the rollups'."""
        s = self.scenario
        plan = build_plan(s.plan, self.seed)
        self.plan = plan
        self.split_depth, self.max_depth = plan.split_depth, plan.max_depth
        self.kinds = {c.chain_id: c.kind for c in plan.chains}
        self.sequencer_keys = {c.chain_id: c.sequencer_key for c in plan.chains}
        self.batcher_keys = {c.chain_id: c.batcher_key for c in plan.chains}
        self.hub_key = plan.hub_key
        self.relayer_key = plan.relayer_key
        self.trust_modes = {c.chain_id: c.trust_mode for c in plan.chains}
        client_params = ClientParams(
            seed=self.seed,
            rollups=tuple((c, sequencer_node(c)) for c in self.chain_ids),
            l1_chain_id=L1_CHAIN_ID,
            accounts_per_chain=s.accounts.per_chain,
            interval=s.rollups.block_time,
            transfers_per_tick=s.workload.transfers_per_block,
            deposit_every=s.workload.deposit_every,
            messages_per_tick=s.workload.messages_per_block,
            stop_at=s.duration,
        )
        client = _factory(WorkloadClient, CLIENT_NODE, client_params)
        for node in plan.nodes:
            if node.kind == RoleKind.HUB:  # the client boots before the hub (trace order)
                self.sim.add_node(CLIENT_NODE, client)
            self.sim.add_node(node.node_id, node.factory())
        if CLIENT_NODE not in self.sim.nodes:
            self.sim.add_node(CLIENT_NODE, client)

    def _proposer_lie(self, chain_id: ChainId) -> None:
        """The chain's proposer lies about the output of a block two ahead of the head."""
        sequencer = self.sequencer_by_node(sequencer_node(chain_id))
        lie_at = (sequencer.chain.head.number if sequencer else 0) + 2
        self.sim.inject(proposer_node(chain_id), SetProposerFault(lie_at))
        self.sim.note(SimProposerLie(chain=chain_id, lie_at=lie_at))

    def _withhold_proofs(self, chain_id: ChainId) -> None:
        """From the next block on, the chain's coordinator submits no proof."""
        sequencer = self.sequencer_by_node(sequencer_node(chain_id))
        first = sequencer.chain.head.number + 1 if sequencer else 1
        self.sim.inject(coordinator_node(chain_id), WithholdProofs(first))
        self.sim.note(SimWithholdProofs(chain=chain_id, from_number=first))

    # ---- faults -----------------------------------------------------------------

    def _chain_of(self, fault: FaultSpec) -> ChainId:
        if fault.chain in self.chain_ids:
            return ChainId(fault.chain)
        if 0 <= fault.chain < len(self.chain_ids):
            return self.chain_ids[fault.chain]
        index = self.scenario.faults.index(fault)
        msg = (
            f"faults[{index}].chain {fault.chain} is neither a rollup index "
            f"(0-{len(self.chain_ids) - 1}) nor a chain id ({', '.join(map(str, self.chain_ids))})"
        )
        raise ScenarioError(msg)

    def _schedule_faults(self) -> None:
        end = self.scenario.duration
        sim = self.sim
        for index, fault in enumerate(self.scenario.faults):
            stop = min(fault.at + fault.duration if fault.duration else end, end)
            if fault.kind == "l1_reorg":
                sim.schedule(
                    fault.at,
                    partial(sim.inject, L1_NODE, InjectReorg(fault.depth, fault.drop_transactions)),
                    "reorg",
                )
            elif fault.kind == "crash":
                node = NodeId(fault.node)
                if node not in sim.nodes:
                    msg = (
                        f"faults[{index}].node {fault.node!r} is not a node of this world "
                        f"(nodes: {', '.join(sorted(sim.nodes))})"
                    )
                    raise ScenarioError(msg)
                sim.schedule(fault.at, partial(self._crash, node), "crash")
                sim.schedule(stop, partial(self._restart, node), "restart")
            elif fault.kind == "partition":
                side = {NodeId(n) for n in fault.nodes}
                peers = {NodeId(n) for n in fault.peers}
                for name, named in (("nodes", side), ("peers", peers)):
                    unknown = named - set(sim.nodes)
                    if unknown:
                        msg = (
                            f"faults[{index}].{name} names {', '.join(sorted(unknown))}, not "
                            f"nodes of this world (nodes: {', '.join(sorted(sim.nodes))})"
                        )
                        raise ScenarioError(msg)
                cut = (frozenset(side), frozenset(peers or set(sim.nodes) - side))
                sim.schedule(fault.at, partial(self._partition, cut), "partition")
                sim.schedule(stop, partial(self._heal_partition, cut), "heal")
            elif fault.kind == "equivocate":
                node = sequencer_node(self._chain_of(fault))
                sim.schedule(
                    fault.at,
                    partial(sim.inject, node, SetByzantine(True, fault.delay_blocks)),
                    "byzantine",
                )
                sim.schedule(stop, partial(sim.inject, node, SetByzantine(False)), "honest")
            elif fault.kind == "bad_state_root":
                node = sequencer_node(self._chain_of(fault))
                byzantine = SetByzantine(False, bad_state_root=True)
                sim.schedule(fault.at, partial(sim.inject, node, byzantine), "byzantine")
            elif fault.kind == "proposer_lie":
                chain = self._chain_of(fault)
                if self.kinds[chain] != RollupKind.OPTIMISTIC:
                    msg = (
                        f"faults[{index}].chain: proposer_lie needs an optimistic chain; "
                        f"{chain} is a validity chain"
                    )
                    raise ScenarioError(msg)
                sim.schedule(fault.at, partial(self._proposer_lie, chain), "lie")
            elif fault.kind == "withhold_proofs":
                chain = self._chain_of(fault)
                if self.kinds[chain] != RollupKind.VALIDITY:
                    msg = (
                        f"faults[{index}].chain: withhold_proofs needs a validity chain; "
                        f"{chain} is optimistic"
                    )
                    raise ScenarioError(msg)
                sim.schedule(fault.at, partial(self._withhold_proofs, chain), "withhold")
            elif fault.kind == "batcher_outage":
                node = batcher_node(self._chain_of(fault))
                sim.schedule(fault.at, partial(sim.inject, node, SetOutage(True)), "outage")
                sim.schedule(stop, partial(sim.inject, node, SetOutage(False)), "outage_end")

    def _schedule_status(self) -> None:
        """Sample heads every tenth of the run for the timeline (progress at a glance)."""
        total = self.scenario.duration + self.scenario.drain
        step = max(total / 10, 1.0)
        at = step
        while at <= total + 1e-9:
            self.sim.schedule(at, self._status, "status")
            at += step

    def _status(self) -> None:
        l1 = self.l1_node()
        parts = [f"L1 #{l1.head.number} final #{l1.finalized_number}" if l1 else "L1 down"]
        for chain in self.chain_ids[:4]:
            sequencer = self.sequencer_by_node(sequencer_node(chain))
            verifier = self.verifier(chain)
            seq = sequencer.chain.head.number if sequencer else "down"
            safe = verifier.safe_head if verifier else "down"
            part = f"{chain} unsafe {seq} safe {safe}"
            hub = self.hub()
            if self.scenario.settlement.enabled and hub is not None:
                heads = _settled_heads(hub, chain)
                part += f" conf {heads[0]} fin {heads[1]}"
            parts.append(part)
        if len(self.chain_ids) > 4:
            parts.append(f"+{len(self.chain_ids) - 4} chains")
        routine = self.timeline.since_status
        if routine:
            parts.append(
                ", ".join(
                    f"{label} +{routine[record_type.kind]}"
                    for record_type, label in Timeline.ROUTINE.items()
                    if routine.get(record_type.kind)
                )
            )
            routine.clear()
        self.timeline.entries.append((float(self.sim.now), "status", " | ".join(parts)))

    def _crash(self, node: NodeId) -> None:
        self.sim.note(SimCrash(node=node))
        self.sim.crash(node)
        self._down.add(node)

    def _restart(self, node: NodeId) -> None:
        self.sim.restart(node)
        self._down.discard(node)
        self.sim.note(SimRestart(node=node))

    def _partition(self, cut: tuple[frozenset[NodeId], frozenset[NodeId]]) -> None:
        side, others = cut
        self.sim.network.partition(set(side), set(others))
        self._partitions.append(cut)
        if len(side) + len(others) == len(self.sim.nodes):
            self.sim.note(SimPartition(nodes=",".join(sorted(side))))
        else:
            self.sim.note(
                SimPartition(nodes=",".join(sorted(side)), peers=",".join(sorted(others)))
            )

    def _heal_partition(self, cut: tuple[frozenset[NodeId], frozenset[NodeId]]) -> None:
        for entry in [p for p in self._partitions if p == cut]:
            self._partitions.remove(entry)
            self.sim.network.heal_between(set(entry[0]), set(entry[1]))
        for kept_side, kept_others in self._partitions:  # links other partitions still cut
            self.sim.network.partition(set(kept_side), set(kept_others))
        self.sim.note(SimHeal(nodes=",".join(sorted(cut[0]))))

    def _heal(self) -> None:
        self.sim.network.heal()
        self._partitions.clear()
        self.sim.note(SimHeal())

    @property
    def _partitioned(self) -> set[NodeId]:
        """Nodes on the small side of an active partition, and both sides of one between
        named peers (the checkers' grace then runs from the heal, whichever link it cut)."""
        everyone = len(self.sim.nodes)
        cut: set[NodeId] = set()
        for side, others in self._partitions:
            cut |= side if len(side) + len(others) == everyone else side | others
        return cut

    def hub(self) -> Hub | None:
        """The live hub, if the scenario runs one."""
        slot = self.sim.nodes.get(HUB_NODE)
        role = slot.role if slot else None
        return role if isinstance(role, Hub) else None

    def hub_cut_off(self, chain: int) -> bool:
        """True while the hub cannot hear the chain's sequencer (or is down)."""
        nodes = {HUB_NODE, sequencer_node(chain)}
        return bool(nodes & (self._down | self._partitioned))

    def faulty_chains(self) -> set[int]:
        """Chains a fault targets (equivocation, or their nodes crashed or cut off)."""
        faulty: set[int] = set()
        for fault in self.scenario.faults:
            if fault.kind in (
                "equivocate",
                "batcher_outage",
                "proposer_lie",
                "withhold_proofs",
                "bad_state_root",
            ):
                faulty.add(self._chain_of(fault))
            names = {fault.node, *fault.nodes, *fault.peers}
            # A node serves the chain its name names ("seq-901", "prover-902-0"; explorer
            # seed 842 missed a prover worker).
            faulty |= {c for c in self.chain_ids if any(parse_node(n).chain_id == c for n in names)}
        return faulty

    def partitioned_or_down(self, chain: int) -> bool:
        """True while the chain's verifier cannot hear its sequencer."""
        nodes = {verifier_node(chain), sequencer_node(chain)}
        return bool(nodes & (self._down | self._partitioned))

    # ---- access for checkers and metrics ----------------------------------------

    def l1_node(self) -> L1Node | None:
        """The live L1 node."""
        role = self.sim.role(L1_NODE)
        return role if isinstance(role, L1Node) else None

    def verifier(self, chain: int) -> VerifierNode | None:
        """The live verifier of ``chain``."""
        return self.verifier_by_node(verifier_node(chain))

    def verifier_by_node(self, node: NodeId) -> VerifierNode | None:
        """The live verifier at ``node`` (None if it is not a verifier)."""
        slot = self.sim.nodes.get(node)
        role = slot.role if slot else None
        return role if isinstance(role, VerifierNode) else None

    def sequencer_by_node(self, node: NodeId) -> Sequencer | None:
        """The live sequencer at ``node``."""
        slot = self.sim.nodes.get(node)
        role = slot.role if slot else None
        return role if isinstance(role, Sequencer) else None

    def verifiers(self) -> Iterator[VerifierNode]:
        """Every live verifier."""
        for chain in self.chain_ids:
            verifier = self.verifier(chain)
            if verifier is not None:
                yield verifier

    def sequencers(self) -> Iterator[Sequencer]:
        """Every live sequencer."""
        for chain in self.chain_ids:
            sequencer = self.sequencer_by_node(sequencer_node(chain))
            if sequencer is not None:
                yield sequencer

    def client(self) -> WorkloadClient:
        """The workload client."""
        role = self.sim.role(CLIENT_NODE)
        assert isinstance(role, WorkloadClient)
        return role

    # ---- running ---------------------------------------------------------------------

    def run(self, progress: Callable[[float], None] | None = None) -> dict[str, Any]:
        """Run both phases and return the metrics."""
        # The world's long-lived objects (genesis states, keys, modules) need no
        # scanning by the cyclic collector on every generation-2 pass.
        gc.collect()
        gc.freeze()
        try:
            return self._run_phases(progress)
        finally:
            gc.unfreeze()

    batcher_resubmit_after = RESUBMIT_L1_BLOCKS
    """L1 blocks a batcher waits for a posted batch before resubmitting it."""

    def _run_phases(self, progress: Callable[[float], None] | None) -> dict[str, Any]:
        s = self.scenario
        try:
            self.sim.run_until(s.duration, progress)
            for node in sorted(self._down):
                self._restart(node)
            if self._partitioned:
                self._heal()
            for checker in self.checkers:
                checker.healed()
            self.sim.run_until(s.duration + s.drain, progress)
        except (Livelock, NodeFailed) as exc:
            self.stopped = exc
            for checker in self.checkers:
                if isinstance(checker, RunProgress):
                    checker.stopped(self.sim.now, exc)
            return self.metrics()
        for checker in self.checkers:
            checker.finish()
        return self.metrics()

    def metrics(self) -> dict[str, Any]:
        """Metrics JSON of the run (see docs/simulator.md for each field)."""
        l1 = self.l1_node()
        chains: dict[str, Any] = {}
        for chain in self.chain_ids:
            sequencer = self.sequencer_by_node(sequencer_node(chain))
            verifier = self.verifier(chain)
            chains[str(chain)] = {
                "sequencer_head": sequencer.chain.head.number if sequencer else None,
                "safe_head": verifier.safe_head if verifier else None,
                "transactions": sum(len(b.transactions) for b in sequencer.chain.blocks)
                if sequencer
                else None,
                "evidence": [e.kind.value for e in verifier.evidence] if verifier else [],
                "frozen": verifier.frozen if verifier else None,
                "invalid_batches": verifier.invalid_batches if verifier else None,
            }
        latency = sorted(self.timeline.safe_latency)
        counts = self.timeline.counts
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "trace_hash": self.sim.trace_hash(),
            "virtual_seconds": self.sim.now,
            "steps": self.sim.steps,
            "invariants": {c.name: c.violation or "ok" for c in self.checkers},
            "l1": {
                "head": l1.head.number if l1 else None,
                "finalized": l1.finalized_number if l1 else None,
                "reorgs": counts.get(L1Reorg.kind, 0),
            },
            "rollups": chains,
            "blocks_produced": counts.get(SequencerBlock.kind, 0),
            "batches_posted": counts.get(BatcherBatch.kind, 0),
            "batches_dropped_by_reorg": counts.get(BatcherBatchDropped.kind, 0),
            "transactions_acknowledged": len(self.client().s.acked),
            "transactions_rejected": self.client().s.rejected,
            "deposits": self.client().s.deposits,
            "safe_latency_s": _percentiles(latency),
            **self._interop_metrics(),
        }

    def _count_logs(self, event: str, by_topic: int | None) -> dict[int, int]:
        """Messenger logs on the final chains, per destination: ``SentMessage`` counted by
        its destination topic, ``RelayedMessage`` by the chain it is on."""
        topic0 = MESSENGER_ABI.event(event).topic0
        counts: dict[int, int] = {}
        for sequencer in self.sequencers():
            for receipts in sequencer.chain.receipts:
                for receipt in receipts:
                    for log in receipt.logs:
                        if log.address == MESSENGER_ADDRESS and log.topics[:1] == (topic0,):
                            chain = (
                                sequencer.chain_id
                                if by_topic is None
                                else int.from_bytes(log.topics[by_topic], "big")
                            )
                            counts[chain] = counts.get(chain, 0) + 1
        return counts

    def _interop_metrics(self) -> dict[str, Any]:
        """Messages per destination trust mode, hub levels, invalidations and rebuilds."""
        if not self.scenario.hub.enabled:
            return {}
        t = self.timeline
        sent = self._count_logs("SentMessage", by_topic=1)
        executed = self._count_logs("RelayedMessage", by_topic=None)
        messages: dict[str, dict[str, Any]] = {}
        for chain in self.chain_ids:
            mode = MODE_NAMES[self.trust_modes[chain]]
            entry = messages.setdefault(mode, {"sent": 0, "executed": 0, "_lat": []})
            entry["sent"] += sent.get(chain, 0)
            entry["executed"] += executed.get(chain, 0)
            entry["_lat"].extend(t.delivered.get(chain, []))
        for entry in messages.values():
            lat = sorted(entry.pop("_lat"))
            pct = _percentiles(lat)
            entry["latency_p50_s"] = pct["p50"]
            entry["latency_p99_s"] = pct["p99"]
        hub = self.hub()
        if self.scenario.settlement.enabled:
            for mode, stages in self._send_to_finalized().items():
                messages.setdefault(mode, {})["send_to_level_s"] = stages
        return {
            **(
                {"settlement": self._settlement_metrics()}
                if self.scenario.settlement.enabled
                else {}
            ),
            "messages": messages,
            "blocks_invalidated": t.counts.get(HubInvalid.kind, 0),
            "blocks_rebuilt": t.rebuilt,
            "time_to_level_s": {
                level: _percentiles(sorted(v)) for level, v in sorted(t.level_latency.items())
            },
            "hub": {
                "head": hub.head.number if hub else None,
                "evidence": len(hub.tracker.evidence) if hub else None,
                "frozen": sorted(c for c, cl in hub.tracker.clients.items() if cl.frozen)
                if hub
                else None,
            },
        }

    STAGES = ("preconfirmed", "safe", "confirmed", "finalized")

    def _send_to_finalized(self) -> dict[str, dict[str, Any]]:
        """Per destination trust mode: seconds from the source block that sent a message to
        its relay's destination block being made, then reaching each hub level."""
        t = self.timeline
        per_mode: dict[str, dict[str, list[float]]] = {}
        for _source, _number, destination, dest_number, sent in t.relays:
            mode = MODE_NAMES[self.trust_modes[ChainId(destination)]]
            stages = per_mode.setdefault(mode, {"executed": []})
            made = t.seq_blocks.get((destination, dest_number))
            if made is not None:
                stages["executed"].append(made - sent)
            reached = t.level_times.get((destination, dest_number), {})
            for level in self.STAGES:
                if level in reached:
                    stages.setdefault(level, []).append(reached[level] - sent)
        return {
            mode: {
                stage: {**_percentiles(sorted(values)), "count": len(values)}
                for stage, values in stages.items()
            }
            for mode, stages in sorted(per_mode.items())
        }

    def _settlement_metrics(self) -> dict[str, Any]:
        """Games, proofs, aggregates and finalized heads at the end of the run."""
        counts = self.timeline.counts
        hub = self.hub()
        finalized: dict[str, int] = {}
        confirmed: dict[str, int] = {}
        if hub is not None:
            for chain in hub.tracker.clients:
                confirmed[str(chain)], finalized[str(chain)] = _settled_heads(hub, chain)
        return {
            "kinds": {str(c): k.name.lower() for c, k in self.kinds.items()},
            "games_created": counts.get(GameCreated.kind, 0),
            "games_resolved": counts.get(GameResolved.kind, 0),
            "game_steps": counts.get(GameStep.kind, 0),
            "proofs_seen": counts.get(HubProofSeen.kind, 0),
            "outputs_valid": counts.get(HubOutputValid.kind, 0),
            "outputs_invalid": counts.get(HubOutputInvalid.kind, 0),
            "aggregates_posted": counts.get(HubAggregate.kind, 0),
            "confirmed_head": confirmed,
            "finalized_head": finalized,
        }


def _settled_heads(hub: Hub, chain: int) -> tuple[int, int]:
    """The hub's highest (confirmed, finalized) valid block of a chain."""
    held = [(n, b.level) for n, b in hub.tracker.clients[chain].blocks.items()]
    valid = [(n, level) for n, level in held if level != SafetyLevel.INVALID]
    return (
        max((n for n, level in valid if level >= SafetyLevel.CONFIRMED), default=0),
        max((n for n, level in valid if level >= SafetyLevel.FINALIZED), default=0),
    )


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p90": None, "p99": None}

    def pick(q: float) -> float:
        return round(values[min(len(values) - 1, int(q * len(values)))], 4)

    return {"p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99)}


def _factory(cls: Any, node: NodeId, params: Any) -> Callable[[StoreView], Role]:
    def build(store: StoreView) -> Role:
        role = cls(node, params, store)
        assert isinstance(role, Role)
        return role

    return build
