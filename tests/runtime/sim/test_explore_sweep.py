"""The CI sweep: a fixed, short run of the fault explorer on every core.

Seeds 0-199, each a random world with random faults of every kind
(``runtime/sim/explore.py``), must pass every checker. A failure names each
failing seed with the one command that replays it. Longer sweeps are
``benchmarks/bench_explore.py --sweep``.
"""

import os

import pytest

from interlace.runtime.sim.explore import FAULT_KINDS, replay_command, run_local

CI_SEEDS = range(200)


@pytest.mark.slow
def test_the_ci_sweep_finds_nothing() -> None:
    sweep = run_local(list(CI_SEEDS), FAULT_KINDS, os.cpu_count() or 1, lambda _result: None)
    assert not sweep.interrupted
    assert len(sweep.results) == len(CI_SEEDS)
    report = [
        f"seed {r.seed}: {r.kind}\n  {r.failures[0].message.splitlines()[0]}\n"
        f"  replay: {replay_command(r.seed)}"
        for r in sweep.failed
    ]
    assert not report, "\n".join(report)
