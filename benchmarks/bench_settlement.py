"""Simulated time from sending a cross-rollup message to finalized, per trust mode, by stage.

Workload: the built-in ``settlement`` scenario (four rollups: 901 and 903
optimistic, 902 and 904 validity; as destinations 901 p2p, 902
pre-confirmed, 903 confirmed, 904 finalized; 1 s rollup and L1 blocks, L1
finality 4 blocks, challenge window 15 s, outputs every 4 blocks, an
aggregate every 3 s), run for ``SEEDS``. For every delivered message the
simulator records, from the production of the source block that sent it:
``executed`` (the destination block that ran the relay is made), then that
destination block reaching the hub's ``preconfirmed``, ``safe``,
``confirmed`` and ``finalized`` levels (``metrics["messages"][mode]
["send_to_level_s"]``).

Reference, in the same run's parameters: the settlement floor of the
destination block. The hub acts only on finalized L1 blocks, so a validity
block needs at least one L1 finality delay F (its proof seen) plus another
F (its aggregate finalized): 2F. An optimistic block also waits for its
output's unchallenged window W: W + 2F. The ratio says how far above that
floor the whole path (waiting for a source level, relaying, batching,
proving or proposing, aggregating) lands. Prints only; no assertions.

Run: ``python benchmarks/bench_settlement.py [seeds]``
"""

import sys
import time
from typing import Any

from interlace.runtime.sim.scenario import load_scenario
from interlace.runtime.sim.world import World

STAGES = ("executed", "preconfirmed", "safe", "confirmed", "finalized")


def run(seeds: list[int]) -> None:
    scenario = load_scenario("settlement")
    finality = scenario.l1.finality_depth * scenario.l1.block_time
    window = float(scenario.settlement.challenge_window)
    per_mode: dict[str, dict[str, list[float]]] = {}
    kinds: dict[str, str] = {}
    modes: dict[str, str] = {}
    started = time.perf_counter()
    for seed in seeds:
        world = World(scenario, seed)
        metrics: dict[str, Any] = world.run()
        bad = {k: v for k, v in metrics["invariants"].items() if v != "ok"}
        if bad:
            raise SystemExit(f"seed {seed}: invariants failed: {bad}")
        kinds = metrics["settlement"]["kinds"]
        modes = {str(c): m.name.lower() for c, m in world.trust_modes.items()}
        for mode, entry in metrics["messages"].items():
            stages = entry.get("send_to_level_s", {})
            for stage in STAGES:
                if stage in stages and stages[stage]["p50"] is not None:
                    per_mode.setdefault(mode, {}).setdefault(stage, []).append(stages[stage]["p50"])
    elapsed = time.perf_counter() - started
    print(
        f"settlement scenario, seeds {seeds} ({elapsed:.1f} s wall): L1 finality F = "
        f"{finality:.0f} s, challenge window W = {window:.0f} s; "
        "p50 seconds from the source block that sent the message (mean over seeds)"
    )
    header = f"{'mode':13} {'dest kind':10} " + " ".join(f"{s:>12}" for s in STAGES)
    print(header + f" {'floor':>8} {'ratio':>6}")
    mode_kind = {mode: kinds[chain] for chain, mode in modes.items()}
    for mode in ("p2p", "preconfirmed", "confirmed", "finalized"):
        stages = per_mode.get(mode, {})
        kind = mode_kind.get(mode, "?")
        cells = []
        for stage in STAGES:
            values = stages.get(stage, [])
            cells.append(f"{sum(values) / len(values):12.1f}" if values else f"{'-':>12}")
        floor = 2 * finality + (window if kind == "optimistic" else 0.0)
        finalized = stages.get("finalized", [])
        ratio = (sum(finalized) / len(finalized)) / floor if finalized else float("nan")
        print(f"{mode:13} {kind:10} " + " ".join(cells) + f" {floor:8.1f} {ratio:5.2f}×")
    print(
        "stages: executed = relay's destination block made; then that block's hub level. "
        "floor = 2F (validity destination) or W + 2F (optimistic destination)."
    )


if __name__ == "__main__":
    run([int(a) for a in sys.argv[1:]] or [1, 2])
