"""Failures the fault explorer found that are not fixed yet: each scenario still breaks an
invariant, and each test is a strict xfail, so the day a fix makes it pass the test fails
and the scenario moves to ``regressions/``. The description in each file says what fails
and the fix it needs."""

from pathlib import Path

import pytest

from interlace.runtime.sim.scenario import load_scenario
from interlace.runtime.sim.world import World

KNOWN = sorted((Path(__file__).parent / "known_failures").glob("*.toml"))


@pytest.mark.parametrize("path", KNOWN, ids=[p.stem for p in KNOWN])
@pytest.mark.xfail(strict=True, reason="a known failure the explorer found; see its description")
def test_known_failure_still_fails(path: Path) -> None:
    scenario = load_scenario(str(path))
    assert scenario.seed is not None
    world = World(scenario, scenario.seed)
    metrics = world.run()
    failed = {k: v for k, v in metrics["invariants"].items() if v != "ok"}
    assert world.stopped is None and not failed, f"{path.name}: {failed}"
