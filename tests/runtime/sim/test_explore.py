"""Fault explorer tests: seeds and kinds, drawn worlds, the kernel's livelock and failure
detection, the liveness checkers failing when they should, sweeps, shrinking and the CLI."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interlace.cli.main import app
from interlace.roles.base import (
    Effect,
    Event,
    MessageReceived,
    NodeId,
    Role,
    SendMessage,
    SetTimer,
    Started,
    StoreView,
    TimerFired,
    Timestamp,
)
from interlace.roles.l1_node import L1Node
from interlace.roles.sequencer import Sequencer
from interlace.runtime.sim.explore import (
    ExploreError,
    classify_failure,
    draw_scenario,
    explore_seed,
    format_seeds,
    parse_fault_kinds,
    parse_seeds,
    replay_command,
    run_local,
    run_scenario,
    shrink_scenario,
)
from interlace.runtime.sim.kernel import Livelock, NodeFailed, ProgressLimits, Simulator
from interlace.runtime.sim.scenario import (
    FAULT_KINDS,
    FaultSpec,
    ScenarioError,
    check_scenario,
    load_scenario,
    parse_scenario,
    scenario_to_toml,
)
from interlace.runtime.sim.world import World

runner = CliRunner()


# ---- seeds and kinds ---------------------------------------------------------------------


def test_seed_ranges_parse_and_format() -> None:
    assert parse_seeds("0-3") == [0, 1, 2, 3]
    assert parse_seeds("7") == [7]
    assert parse_seeds("1,5,10-12,5") == [1, 5, 10, 11, 12]
    assert format_seeds([12, 1, 2, 3, 7, 10, 11]) == "1-3,7,10-12"
    assert format_seeds([]) == ""


@pytest.mark.parametrize("text", ["x", "3-1", "1,,2", "-4", "1.5"])
def test_bad_seed_ranges_are_refused(text: str) -> None:
    with pytest.raises(ExploreError, match="--seeds"):
        parse_seeds(text)


def test_fault_kinds_parse_and_unknown_kinds_are_named() -> None:
    assert parse_fault_kinds("all") == FAULT_KINDS
    assert parse_fault_kinds("crash, l1_reorg,crash") == ("crash", "l1_reorg")
    with pytest.raises(ExploreError, match="meteor"):
        parse_fault_kinds("crash,meteor")


# ---- drawn worlds ------------------------------------------------------------------------


def test_a_seed_draws_one_world_and_seeds_differ() -> None:
    assert draw_scenario(11) == draw_scenario(11)
    drawn = {scenario_to_toml(draw_scenario(seed)) for seed in range(20)}
    assert len(drawn) == 20


def test_drawn_worlds_are_valid_round_trip_as_toml_and_use_only_the_kinds_asked() -> None:
    seen: set[str] = set()
    for seed in range(60):
        scenario = draw_scenario(seed, ("crash", "partition"))
        check_scenario(scenario)
        assert parse_scenario(scenario_to_toml(scenario)) == scenario
        assert {f.kind for f in scenario.faults} <= {"crash", "partition"}
        seen |= {f.kind for f in scenario.faults}
        World(scenario, seed)  # every target names a node of the world
    assert seen == {"crash", "partition"}
    every = {f.kind for seed in range(200) for f in draw_scenario(seed).faults}
    assert every == set(FAULT_KINDS)


def test_replay_command_names_the_kinds_when_not_all() -> None:
    assert replay_command(4) == "interlace sim explore --seeds 4"
    assert replay_command(4, ("crash",)) == "interlace sim explore --seeds 4 --faults crash"


# ---- the kernel: every run ends ----------------------------------------------------------


class _Spinner(Role):
    """Re-arms its timer at ``now`` once t ≥ 1: the bug class the kernel must catch."""

    def __init__(self, node_id: NodeId) -> None:
        self.node_id = node_id

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        if isinstance(event, Started):
            return [SetTimer("spin", Timestamp(now + 0.5))]
        return [SetTimer("spin", now if now >= 1.0 else Timestamp(now + 0.5))]


class _PingPong(Role):
    """Answers every message with two: two of them flood each other (the storm a verifier and
    the L1 node once made, each answer asking again for everything)."""

    def __init__(self, node_id: NodeId, peer: NodeId, fanout: int = 2) -> None:
        self.node_id = node_id
        self.peer = peer
        self.fanout = fanout

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        if isinstance(event, Started | MessageReceived):
            return [SendMessage(self.peer, TimerFired("ping"))] * self.fanout
        return []


class _Raiser(Role):
    def __init__(self, node_id: NodeId) -> None:
        self.node_id = node_id

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        if isinstance(event, TimerFired):
            raise ValueError("boom")
        return [SetTimer("t", Timestamp(now + 1.0))]


def test_a_timer_rearmed_at_now_is_a_livelock_naming_node_and_timer() -> None:
    sim = Simulator(1)
    sim.add_node(NodeId("spinner"), lambda _store: _Spinner(NodeId("spinner")))
    with pytest.raises(Livelock) as caught:
        sim.run_until(5.0)
    assert caught.value.node == "spinner"
    assert caught.value.activity == "timer spin"
    assert caught.value.at == pytest.approx(1.0)
    assert "one instant" in str(caught.value)


def test_two_nodes_answering_each_other_forever_are_a_livelock() -> None:
    sim = Simulator(1)
    sim.add_node(NodeId("a"), lambda _store: _PingPong(NodeId("a"), NodeId("b")))
    sim.add_node(NodeId("b"), lambda _store: _PingPong(NodeId("b"), NodeId("a")))
    with pytest.raises(Livelock, match="one virtual second") as caught:
        sim.run_until(60.0)
    assert caught.value.node in ("a", "b")
    assert caught.value.activity.startswith("message TimerFired from ")


def test_limits_are_configurable_and_none_turns_the_detector_off() -> None:
    def world(limits: ProgressLimits | None) -> Simulator:
        sim = Simulator(1, limits=limits)
        sim.add_node(NodeId("a"), lambda _store: _PingPong(NodeId("a"), NodeId("b"), fanout=1))
        sim.add_node(NodeId("b"), lambda _store: _PingPong(NodeId("b"), NodeId("a"), fanout=1))
        return sim

    tight = ProgressLimits(per_second_base=20, per_second_per_node=0)
    with pytest.raises(Livelock, match="events in one virtual second"):
        world(tight).run_until(3.0)
    unchecked = world(None)
    unchecked.run_until(3.0)
    assert unchecked.steps > 60


def test_a_role_raising_stops_the_run_naming_node_and_event() -> None:
    sim = Simulator(1)
    sim.add_node(NodeId("r"), lambda _store: _Raiser(NodeId("r")))
    with pytest.raises(NodeFailed, match=r"r failed at t=1\.000s handling timer t: ValueError"):
        sim.run_until(3.0)


def test_a_role_that_cannot_rebuild_from_its_store_fails_its_restart() -> None:
    boots: list[int] = []

    def factory(store: StoreView) -> Role:
        del store
        if boots:
            raise KeyError("corrupt")
        boots.append(1)
        return _Raiser(NodeId("r"))

    sim = Simulator(1)
    sim.add_node(NodeId("r"), factory)
    sim.crash(NodeId("r"))
    with pytest.raises(NodeFailed, match="restart from its store: KeyError"):
        sim.restart(NodeId("r"))


# ---- the liveness checkers fail when they should ------------------------------------------


def _failed(metrics: dict[str, object]) -> dict[str, str]:
    invariants = metrics["invariants"]
    assert isinstance(invariants, dict)
    return {k: v for k, v in invariants.items() if v != "ok"}


def test_run_progress_catches_a_loop_that_is_no_longer_armed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(L1Node, "loops", lambda self: ("block", "never-armed"))
    failed = _failed(World(load_scenario("quickstart"), 1).run())
    assert "never-armed loop is no longer armed" in failed["liveness_run_progress"]


def test_heads_advance_catches_a_sequencer_that_stops_after_healing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    produce = Sequencer._produce

    def stop_late(self: Sequencer, now: Timestamp) -> list[Effect]:
        return [] if now > 62 else produce(self, now)

    monkeypatch.setattr(Sequencer, "_produce", stop_late)
    failed = _failed(World(load_scenario("quickstart"), 1).run())
    assert "sequencer advanced" in failed["liveness_heads_advance"]


def test_heads_advance_catches_a_safe_head_left_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(load_scenario("quickstart"), 1)
    monkeypatch.setattr(type(world), "batcher_resubmit_after", -3)  # allowance of 2 blocks
    verifier = world.verifier(world.chain_ids[0])
    assert verifier is not None
    failed = _failed(world.run())
    assert "blocks behind its sequencer" in failed["liveness_heads_advance"]


# ---- sweeps, classification, shrinking ----------------------------------------------------


def test_a_livelock_is_classified_without_numbers() -> None:
    spin = Livelock("x", 3.0, NodeId("prover-901"), "timer ask", 1.0)
    from interlace.runtime.sim.explore import Failure

    failure = (Failure("liveness_run_progress", str(spin)),)
    assert classify_failure(failure, spin) == "livelock prover timer ask"
    message = Livelock("x", 3.0, NodeId("verifier-903"), "message L1BlockPublished from l1", 1.0)
    assert (
        classify_failure(failure, message) == "livelock verifier message L1BlockPublished from l1"
    )
    assert classify_failure((), None) == ""


def test_hashes_are_classified_away() -> None:
    """One lost-transaction bug is one class, whichever transaction the checker names."""
    from interlace.runtime.sim.explore import Failure

    lost = Failure(
        "inv9_crash_recovery", f"t=70.00s: acknowledged transaction {'3d' * 32} was lost"
    )
    assert (
        classify_failure((lost,), None)
        == "inv9_crash_recovery: acknowledged transaction H was lost"
    )


def test_a_sweep_on_two_processes_gives_what_one_gives() -> None:
    seen: list[int] = []
    one = run_local([3, 4, 5], FAULT_KINDS, 1, lambda r: seen.append(r.seed))
    two = run_local([3, 4, 5], FAULT_KINDS, 2, lambda r: None)
    assert sorted(seen) == [3, 4, 5]
    assert {s: (r.kind, r.steps) for s, r in one.results.items()} == {
        s: (r.kind, r.steps) for s, r in two.results.items()
    }
    assert explore_seed(4).steps == one.results[4].steps


def test_a_time_budget_stops_the_sweep_and_names_unreached_seeds() -> None:
    sweep = run_local(list(range(40)), FAULT_KINDS, 2, lambda r: None, budget=1.0)
    assert sweep.interrupted == "time budget"
    assert sweep.unreached
    assert set(sweep.unreached) | set(sweep.results) == set(range(40))


def test_shrinking_keeps_the_failure_and_drops_what_it_does_not_need(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A planted bug: the hub's aggregate loop dies. Everything else in the world is noise.
    from interlace.roles.hub import Hub

    monkeypatch.setattr(Hub, "loops", lambda self: ("hub_block", "no-such-loop"))
    scenario = replace(
        load_scenario("hub-crash"),
        faults=(
            FaultSpec("crash", 10.0, 5.0, node="seq-902"),
            FaultSpec("l1_reorg", 12.0, depth=1),
        ),
    )
    first = run_scenario(scenario, 3)
    assert "no-such-loop" in first.kind
    small = shrink_scenario(scenario, 3, first.kind, max_runs=25)
    assert small.faults == ()
    assert small.rollups.count < scenario.rollups.count
    assert small.seed == 3
    again = run_scenario(parse_scenario(scenario_to_toml(small)), 3)
    assert again.kind == first.kind


# ---- scenario files: bad input names the field, nothing runs ------------------------------


@pytest.mark.parametrize(
    ("faults", "named"),
    [
        ("[[faults]]\nkind = 'crash'\nat = -2\nnode = 'l1'", r"faults\[0\]\.at is -2"),
        ("[[faults]]\nkind = 'meteor'\nat = 1", r"faults\[0\]\.kind 'meteor'"),
        (
            "[[faults]]\nkind = 'crash'\nat = 1\nduration = -1\nnode = 'l1'",
            r"faults\[0\]\.duration",
        ),
        (
            (
                "[[faults]]\nkind = 'crash'\nat = 5\nduration = 10\nnode = 'seq-901'\n"
                "[[faults]]\nkind = 'crash'\nat = 8\nduration = 3\nnode = 'seq-901'"
            ),
            r"faults\[1\] \(crash of node 'seq-901' at 8\) overlaps faults\[0\]",
        ),
        (
            (
                "[[faults]]\nkind = 'equivocate'\nat = 5\nchain = 0\n"
                "[[faults]]\nkind = 'equivocate'\nat = 9\nchain = 901"
            ),
            r"faults\[1\] \(equivocate of chain 901 at 9\) overlaps faults\[0\]",
        ),
    ],
)
def test_bad_faults_name_the_field(faults: str, named: str) -> None:
    with pytest.raises(ScenarioError, match=named):
        parse_scenario("duration = 20\n" + faults)


def test_faults_on_one_target_one_after_the_other_are_fine() -> None:
    parse_scenario(
        "duration = 20\n[[faults]]\nkind = 'crash'\nat = 5\nduration = 3\nnode = 'seq-901'\n"
        "[[faults]]\nkind = 'crash'\nat = 8\nduration = 3\nnode = 'seq-901'"
    )


def test_cli_run_refuses_an_unknown_node_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("duration = 10\n[[faults]]\nkind = 'crash'\nat = 1\nnode = 'seq-999'\n")
    result = runner.invoke(app, ["sim", "run", str(path)])
    assert result.exit_code == 2
    assert "faults[0].node 'seq-999' is not a node of this world" in result.output
    assert "Traceback" not in result.output


# ---- the CLI -----------------------------------------------------------------------------


def test_cli_explore_reports_seeds_and_bad_options() -> None:
    result = runner.invoke(app, ["sim", "explore", "--seeds", "2-3", "--workers", "1"])
    assert "explored 2 seeds" in result.output
    assert result.exit_code == (1 if "failed:" in result.output else 0)
    bad = runner.invoke(app, ["sim", "explore", "--seeds", "9-1"])
    assert bad.exit_code == 2
    assert "ends before it starts" in bad.output
    assert runner.invoke(app, ["sim", "explore", "--faults", "meteor"]).exit_code == 2


def test_cli_explore_prints_findings_and_unreached_seeds_on_ctrl_c(tmp_path: Path) -> None:
    # A shell's background job inherits SIGINT ignored, and Python then never raises
    # KeyboardInterrupt; the child restores the default handler, as a terminal has it.
    start = (
        "import signal, runpy, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "sys.argv = ['interlace', 'sim', 'explore', '--seeds', '0-400']; "
        "runpy.run_module('interlace.cli.main', run_name='__main__')"
    )
    command = [sys.executable, "-c", start]
    env = {**os.environ, "COLUMNS": "200"}
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # printed once the sweep starts (imports done)
    assert first.startswith("exploring"), first
    time.sleep(4)
    process.send_signal(signal.SIGINT)
    try:
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:  # a failure here must not leave the process to a later test
            process.kill()
            process.communicate()
    output = first + rest
    assert process.returncode == 130, output
    assert "stopped early (Ctrl-C)" in output
    assert "seeds not run:" in output
    assert "Traceback" not in output
