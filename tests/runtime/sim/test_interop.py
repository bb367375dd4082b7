"""The hub scenarios in the simulator: invariants, message delivery per trust mode, faults.

Each built-in hub scenario runs once per seed (cached for the module) and
every test reads the finished world: its metrics, its final sequencer
chains and the hub's tracker. The hub-crash run is paused just before the
crash to record what the hub held, so the restarted hub can be compared
with it. The last test breaks the hub on purpose and checks that the
checker notices, so a green run means something.
"""

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

from interlace.primitives.hashing import keccak256
from interlace.primitives.types import ChainId
from interlace.protocol.hub.state import SafetyLevel
from interlace.protocol.hub.tracker import HubEvidence, HubTracker
from interlace.protocol.interop.messenger import (
    MESSENGER_ABI,
    MESSENGER_ADDRESS,
    TrustMode,
    dependencies_of,
)
from interlace.roles.base import NodeId
from interlace.roles.hub import Hub
from interlace.runtime.sim.checkers import relayed_list
from interlace.runtime.sim.scenario import load_scenario
from interlace.runtime.sim.world import MODE_NAMES, World

HUB_SCENARIOS = (
    "interop",
    "interop-equivocation",
    "interop-l1-reorg",
    "hub-crash",
    "hub-partition",
)
MESSAGE_FIELDS = {"sent", "executed", "latency_p50_s", "latency_p99_s"}


@dataclass(frozen=True)
class HubState:
    """What the hub held at one moment."""

    hub: Hub
    frozen: frozenset[int]
    evidence: tuple[HubEvidence, ...]


@dataclass(frozen=True)
class Run:
    """A finished scenario run."""

    world: World
    metrics: dict[str, Any]
    before_crash: HubState | None
    """The hub just before a scheduled hub crash (None when the scenario has none)."""


def hub_state(world: World) -> HubState:
    hub = world.hub()
    assert hub is not None
    frozen = frozenset(c for c, client in hub.tracker.clients.items() if client.frozen)
    return HubState(hub, frozen, tuple(hub.tracker.evidence))


@cache
def run(name: str, seed: int = 1) -> Run:
    world = World(load_scenario(name), seed)
    crash = next((f for f in world.scenario.faults if f.kind == "crash" and f.node == "hub"), None)
    before = None
    if crash is not None:
        world.sim.run_until(crash.at - 0.01)
        before = hub_state(world)
    return Run(world, world.run(), before)


def hub_of(world: World) -> Hub:
    hub = world.hub()
    assert hub is not None
    return hub


# ---- every hub scenario ----------------------------------------------------------------------


@pytest.mark.parametrize("name", HUB_SCENARIOS)
def test_hub_scenario_holds_every_invariant(name: str) -> None:
    metrics = run(name).metrics
    assert metrics["invariants"] == dict.fromkeys(metrics["invariants"], "ok")
    # The hub checkers ran, not only the base ones.
    assert {"inv2_message_once", "inv3_message_proven", "inv6_hub_frozen"} <= set(
        metrics["invariants"]
    )
    assert sum(m["sent"] for m in metrics["messages"].values()) > 0


@pytest.mark.parametrize("name", HUB_SCENARIOS)
def test_metrics_report_messages_per_mode_and_hub_invalidations(name: str) -> None:
    r = run(name)
    metrics = json.loads(json.dumps(r.metrics))  # the metrics are plain JSON
    modes = {MODE_NAMES[mode] for mode in r.world.trust_modes.values()}
    assert set(metrics["messages"]) == modes
    for entry in metrics["messages"].values():
        settled = {"send_to_level_s"} if r.world.scenario.settlement.enabled else set()
        assert set(entry) == MESSAGE_FIELDS | settled
        assert 0 <= entry["executed"] <= entry["sent"]
    assert isinstance(metrics["blocks_invalidated"], int)
    assert isinstance(metrics["blocks_rebuilt"], int)


# ---- interop: delivery per trust mode --------------------------------------------------------


def test_interop_delivers_messages_in_every_trust_mode() -> None:
    messages = run("interop").metrics["messages"]
    assert set(messages) == {"p2p", "preconfirmed", "confirmed"}
    for mode in ("p2p", "preconfirmed", "confirmed"):
        assert messages[mode]["sent"] > 0
        assert messages[mode]["executed"] == messages[mode]["sent"], mode
        assert messages[mode]["latency_p50_s"] is not None
    # Confirmed mode waits for the source block's proof or unchallenged output (read from
    # finalized L1 blocks), far longer than a hub pre-confirmation.
    assert messages["confirmed"]["latency_p50_s"] > 5 * messages["preconfirmed"]["latency_p50_s"]


def test_interop_has_no_faults_to_report() -> None:
    metrics = run("interop").metrics
    assert metrics["blocks_invalidated"] == 0
    assert metrics["blocks_rebuilt"] == 0
    assert metrics["hub"]["frozen"] == []
    assert metrics["hub"]["evidence"] == 0


def test_same_seed_same_trace_hash() -> None:
    again = World(load_scenario("interop"), 1).run()
    assert again["trace_hash"] == run("interop").metrics["trace_hash"]
    assert again == run("interop").metrics


# ---- interop-equivocation --------------------------------------------------------------------


def test_equivocation_freezes_901_and_rebuilds_its_dependents() -> None:
    r = run("interop-equivocation")
    metrics, hub = r.metrics, hub_of(r.world)
    assert metrics["hub"]["frozen"] == [901]
    assert hub.tracker.clients[901].frozen
    assert not hub.tracker.clients[902].frozen
    assert not hub.tracker.clients[903].frozen
    assert [e.chain_id for e in hub.tracker.evidence] == [901]
    assert metrics["blocks_invalidated"] > 0
    assert metrics["blocks_rebuilt"] > 0


def test_no_final_block_depends_on_901_at_or_after_its_equivocation() -> None:
    r = run("interop-equivocation")
    hub = hub_of(r.world)
    height = hub.tracker.evidence[0].number
    seen = 0
    for sequencer in r.world.sequencers():
        if sequencer.chain_id == 901:
            continue
        for block in sequencer.chain.blocks:
            for dep in dependencies_of(block.transactions):
                if dep.chain_id != 901:
                    continue
                seen += 1
                where = (
                    f"chain {sequencer.chain_id} block {block.number} depends on 901/{dep.number}"
                )
                assert dep.number < height, where
                status = hub.tracker.status(901, dep.number)
                assert status is not None, where
                assert status.block_hash == dep.block_hash, where
                assert status.level != SafetyLevel.INVALID, where
    assert seen > 0  # others did consume 901's messages before it equivocated
    # The hub's own view agrees: no block it holds valid depends on 901 from that height.
    for chain in (902, 903):
        for tracked in hub.tracker.clients[chain].blocks.values():
            if tracked.level != SafetyLevel.INVALID:
                assert all(d.chain_id != 901 or d.number < height for d in tracked.deps)


def test_hub_checker_is_not_vacuous(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_equivocation(self: HubTracker, *args: object) -> None:
        del self, args

    monkeypatch.setattr(HubTracker, "_equivocation", no_equivocation)
    metrics = World(load_scenario("interop-equivocation"), 1).run()
    assert metrics["invariants"]["inv6_hub_frozen"] != "ok"
    assert "did not freeze chain 901" in metrics["invariants"]["inv6_hub_frozen"]


# ---- hub-crash -------------------------------------------------------------------------------


def test_restarted_hub_keeps_its_frozen_chains_and_evidence() -> None:
    r = run("hub-crash")
    before = r.before_crash
    assert before is not None
    assert before.frozen == {903}  # the equivocation at t=10 was caught before the crash
    assert len(before.evidence) == 1
    after = hub_state(r.world)
    assert after.hub is not before.hub  # a new role instance, rebuilt from its store
    assert after.frozen == before.frozen
    assert after.evidence == before.evidence
    assert r.metrics["hub"]["frozen"] == [903]
    # And it kept following the honest chains after the restart.
    for chain in (901, 902):
        sequencer = r.world.sequencer_by_node(NodeId(f"seq-{chain}"))
        assert sequencer is not None
        assert after.hub.tracker.clients[chain].head >= sequencer.chain.head.number - 5


# ---- messages end up executed on the final chains --------------------------------------------


def _relayed_on_chains(world: World) -> list[bytes]:
    return [
        message
        for sequencer in world.sequencers()
        for receipts in sequencer.chain.receipts
        for message in relayed_list(receipts)
    ]


def _lost_messages(world: World) -> list[tuple[int, int, int]]:
    """(source, block, destination) of messages between honest chains, from blocks the hub
    holds valid, to fast-mode destinations, that no final destination chain executed."""
    hub = hub_of(world)
    frozen = {c for c, client in hub.tracker.clients.items() if client.frozen}
    fast = {TrustMode.P2P, TrustMode.PRECONFIRMED}
    executed = set(_relayed_on_chains(world))
    sent = MESSENGER_ABI.event("SentMessage").topic0
    lost: list[tuple[int, int, int]] = []
    for sequencer in world.sequencers():
        if sequencer.chain_id in frozen:
            continue
        for number, receipts in enumerate(sequencer.chain.receipts):
            status = hub.tracker.status(sequencer.chain_id, number)
            # Sends stop when the safety phase ends, so only the newest blocks (empty of
            # messages) can be missing at the hub; none it holds of an honest chain is invalid.
            assert status is None or status.level != SafetyLevel.INVALID
            for log in (log for r in receipts for log in r.logs):
                if log.address != MESSENGER_ADDRESS or log.topics[:1] != (sent,):
                    continue
                destination = int.from_bytes(log.topics[1], "big")
                if destination in frozen or world.trust_modes[ChainId(destination)] not in fast:
                    continue
                key = sequencer.chain_id.to_bytes(32, "big") + keccak256(
                    b"".join(log.topics) + log.data
                )
                if key not in executed:
                    lost.append((sequencer.chain_id, number, destination))
    return lost


@pytest.mark.parametrize(
    "name",
    [
        "interop",
        "interop-equivocation",
        "interop-l1-reorg",
        "hub-crash",
        "hub-partition",
    ],
)
def test_every_message_between_honest_chains_executes(name: str) -> None:
    assert _lost_messages(run(name).world) == []


@pytest.mark.parametrize(
    "name",
    [
        "interop",
        "interop-equivocation",
        "interop-l1-reorg",
        "hub-crash",
        "hub-partition",
    ],
)
def test_executed_metric_counts_the_relays_on_the_final_chains(name: str) -> None:
    r = run(name)
    executed = sum(m["executed"] for m in r.metrics["messages"].values())
    assert executed == len(_relayed_on_chains(r.world))
