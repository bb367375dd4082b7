"""Settlement end to end in the simulator: proofs and games confirm, aggregates finalize."""

from typing import Any

import pytest

from interlace.protocol.hub.state import SafetyLevel
from interlace.protocol.hub.tracker import HubTracker, TrackedBlock
from interlace.protocol.settlement.aggregate import read_settled_head
from interlace.roles.records import ProverConflict
from interlace.runtime.sim.scenario import ScenarioError, load_scenario, parse_scenario
from interlace.runtime.sim.world import World

VALIDITY = """
name = "validity"
description = "two validity rollups, confirmed and finalized trust modes"
duration = 36
drain = 24
[l1]
block_time = 1.0
safe_depth = 2
finality_depth = 4
[rollups]
count = 2
kinds = ["validity"]
trust_modes = ["confirmed", "finalized"]
[hub]
enabled = true
[settlement]
enabled = true
aggregate_every = 3.0
[workload]
transfers_per_block = 1
messages_per_block = 0.5
deposit_every = 4.0
"""


def _ok(metrics: dict[str, Any]) -> None:
    assert metrics["invariants"] == dict.fromkeys(metrics["invariants"], "ok")


def test_validity_chains_confirm_finalize_and_deliver_in_confirmed_and_finalized_modes() -> None:
    world = World(parse_scenario(VALIDITY), 1)
    metrics = world.run()
    _ok(metrics)
    settlement = metrics["settlement"]
    assert settlement["proofs_seen"] > 40
    assert settlement["aggregates_posted"] > 5
    for chain in ("901", "902"):
        assert settlement["finalized_head"][chain] > 20
        assert settlement["confirmed_head"][chain] >= settlement["finalized_head"][chain]
    for mode in ("confirmed", "finalized"):
        entry = metrics["messages"][mode]
        assert entry["sent"] > 5
        assert entry["executed"] > 5
        stages = entry["send_to_level_s"]
        # Every stage comes after the previous one.
        order = ["executed", "preconfirmed", "safe", "confirmed", "finalized"]
        p50 = [stages[s]["p50"] for s in order]
        assert p50 == sorted(p50)
    # A finalized-mode message waits for its source block to finalize first.
    assert (
        metrics["messages"]["finalized"]["latency_p50_s"]
        > metrics["messages"]["confirmed"]["latency_p50_s"]
    )
    # The hub's finalized blocks are the ones settled on L1.
    hub, l1 = world.hub(), world.l1_node()
    assert hub is not None and l1 is not None
    for chain in (901, 902):
        head = read_settled_head(l1.head_state, chain)
        assert head is not None
        number, block_hash = head
        assert hub.tracker.clients[chain].blocks[number].block_hash == block_hash


def test_withheld_proofs_stop_only_the_withholding_chain_and_its_dependents() -> None:
    metrics = World(load_scenario("withheld-proof"), 1).run()
    _ok(metrics)
    finalized = metrics["settlement"]["finalized_head"]
    confirmed = metrics["settlement"]["confirmed_head"]
    sequencer = {c: v["sequencer_head"] for c, v in metrics["rollups"].items()}
    assert confirmed["901"] < 25  # withheld from t=20 s
    assert finalized["901"] <= confirmed["901"]
    # 902 took 901's unconfirmed messages (pre-confirmed mode): it stalls behind them.
    assert finalized["902"] < sequencer["902"] // 2
    # 903 takes only confirmed messages: it keeps finalizing.
    assert finalized["903"] > sequencer["903"] // 2


def test_finalized_checker_catches_a_block_settled_before_its_dependency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Inv. 1 is not vacuous: with the dependency rules off on L1 and at the hub, a block
    that consumed an unproven message finalizes and the checker fails."""
    from interlace.protocol.settlement.aggregate import rules

    monkeypatch.setattr(rules, "_own_fault", lambda *args, **kwargs: None)

    def own_level_only(self: HubTracker, start: TrackedBlock) -> None:
        if start.level != SafetyLevel.INVALID:
            start.cross_level = start.level
            self._record(start)

    monkeypatch.setattr(HubTracker, "_refresh_cross", own_level_only)
    metrics = World(load_scenario("withheld-proof"), 1).run()
    assert "not finalized" in metrics["invariants"]["inv1_finalized_sound"]


def test_settlement_needs_the_hub_and_withholding_needs_a_validity_chain() -> None:
    with pytest.raises(ScenarioError, match=r"settlement\.enabled"):
        parse_scenario('name="x"\nduration=5\n[settlement]\nenabled=true\n')
    text = VALIDITY.replace('kinds = ["validity"]', 'kinds = ["optimistic"]') + (
        '[[faults]]\nkind = "withhold_proofs"\nchain = 0\nat = 5\n'
    )
    with pytest.raises(ScenarioError, match="validity chain"):
        World(parse_scenario(text), 1)


def test_a_lying_proposer_loses_its_game_by_a_one_step_proof_and_confirms_nothing() -> None:
    world = World(load_scenario("byzantine-proposer"), 1)
    metrics = world.run()
    _ok(metrics)
    settlement = metrics["settlement"]
    assert settlement["outputs_invalid"] == 1
    assert settlement["game_steps"] >= 1
    lie = next(e for e in world.timeline.entries if "sim.proposer_lie" in e[2])
    lie_at = int(lie[2].split("lie_at=")[1].split()[0])
    resolved = [
        e for e in world.timeline.entries if "CHALLENGER_WINS" in e[2] and "chain=901" in e[2]
    ]
    assert resolved, "the challenger won the lying game"
    # The block the proposer lied about was confirmed only after the lie lost, by an honest
    # output (the hub confirmed it from a DEFENDER_WINS result, never from the lie).
    assert settlement["confirmed_head"]["901"] > lie_at
    for chain in ("901", "902", "903"):
        assert settlement["finalized_head"][chain] > lie_at


def test_an_equivocating_chains_dependents_never_settle_and_honest_chains_go_on() -> None:
    world = World(load_scenario("settlement-equivocation"), 1)
    metrics = world.run()
    _ok(metrics)
    assert metrics["blocks_invalidated"] > 0
    assert metrics["hub"]["frozen"] == [901]
    settlement = metrics["settlement"]
    hub = world.hub()
    assert hub is not None
    # Nothing the hub invalidated was finalized; honest chains finalized past the fault.
    for chain in (902, 903):
        assert settlement["finalized_head"][str(chain)] > 50
        for block in hub.tracker.clients[chain].blocks.values():
            assert block.level != SafetyLevel.INVALID or all(
                d.chain_id != 901 or d.number >= 25 for d in block.deps
            )
    assert world.timeline.counts.get(ProverConflict.kind, 0) == 0
