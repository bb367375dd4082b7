"""Regression scenarios: each file in ``regressions/`` is a failure the fault explorer found,
shrunk to the smallest world that still showed it (``interlace sim explore --shrink``), with
the seed that reproduces it. Each must now run with every invariant ok. The file's
description says what failed before the fix."""

from pathlib import Path

import pytest

from interlace.runtime.sim.scenario import load_scenario
from interlace.runtime.sim.world import World

REGRESSIONS = sorted((Path(__file__).parent / "regressions").glob("*.toml"))


def test_there_are_regression_scenarios() -> None:
    assert REGRESSIONS


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.stem for p in REGRESSIONS])
def test_regression_scenario_holds_every_invariant(path: Path) -> None:
    scenario = load_scenario(str(path))
    assert scenario.seed is not None, "a regression scenario names the seed it fails with"
    world = World(scenario, scenario.seed)
    metrics = world.run()
    assert world.stopped is None, str(world.stopped)
    failed = {k: v for k, v in metrics["invariants"].items() if v != "ok"}
    assert not failed, f"{path.name} ({scenario.description}): {failed}"
