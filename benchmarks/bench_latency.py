"""Simulated cross-rollup message latency in pre-confirmed mode, in seconds and block times.

Workload: the inline scenario below (3 rollups, every one a pre-confirmed
destination, hub blocks at half the rollup block time, ~0.2 messages per
rollup per block, 5 ms ± 2 ms links), run by ``World(scenario, seed).run()``
at 100 ms rollup blocks (20 + 5 virtual s) and, for comparison, at 1 s
blocks over the same number of blocks (200 + 50 virtual s). Latency is the
simulator's own metric, ``metrics["messages"]["preconfirmed"]``: from the
source block that sent the message being made to the destination block that
executes it being made.

The reference is the lower bound from the issue, in the same units: one
source block plus one destination block, 2 block times (a message sent by a
user waits up to a block to be included, then at least a block to run on
the destination). The issue's goal is p50 <= 3 block times. Note the metric
starts at the source block, so its own floor is 1 block time. Prints only;
no assertions.

Run: ``python benchmarks/bench_latency.py``
"""

import time

from interlace.runtime.sim.scenario import parse_scenario
from interlace.runtime.sim.world import World

SEED = 1
GOAL_BLOCK_TIMES = 3.0
LOWER_BOUND_BLOCK_TIMES = 2.0
SCENARIO = """
name = "bench-latency-{label}"
description = "pre-confirmed messages between 3 rollups at {block_time} s blocks"
duration = {duration}
drain = {drain}

[rollups]
count = 3
block_time = {block_time}
trust_modes = ["preconfirmed"]

[hub]
enabled = true
block_time = {hub_block_time}

[workload]
transfers_per_block = 1
messages_per_block = 0.2

[network]
latency_ms = 5
jitter_ms = 2
"""


def run(block_time: float, duration: float, drain: float) -> None:
    """Run one scenario and print its message latency against the bound and the goal."""
    scenario = parse_scenario(
        SCENARIO.format(
            label=f"{block_time:g}s",
            block_time=block_time,
            hub_block_time=block_time / 2,
            duration=duration,
            drain=drain,
        ),
        source="bench_latency",
    )
    start = time.perf_counter()
    metrics = World(scenario, SEED).run()
    wall = time.perf_counter() - start
    entry = metrics["messages"]["preconfirmed"]
    bad = {k: v for k, v in metrics["invariants"].items() if v != "ok"}
    levels = metrics["time_to_level_s"]
    print(
        f"\n{block_time * 1000:.0f} ms blocks (hub {block_time * 500:.0f} ms), "
        f"{duration:g}+{drain:g} virtual s, wall {wall:.1f} s: "
        f"sent {entry['sent']}, executed {entry['executed']}, "
        f"invariants {bad or 'ok'}"
    )
    print(
        f"  hub pre-confirmed p50 {levels['preconfirmed']['p50']} s after the block is made; "
        f"lower bound {LOWER_BOUND_BLOCK_TIMES:g} block times = "
        f"{LOWER_BOUND_BLOCK_TIMES * block_time:.3f} s; "
        f"goal p50 <= {GOAL_BLOCK_TIMES:g} block times = {GOAL_BLOCK_TIMES * block_time:.3f} s"
    )
    for name in ("p50", "p99"):
        seconds = entry[f"latency_{name}_s"]
        if seconds is None:
            print(f"  latency {name}: no message executed")
            continue
        blocks = seconds / block_time
        verdict = ""
        if name == "p50":
            verdict = " (meets goal)" if blocks <= GOAL_BLOCK_TIMES else " (misses goal)"
        print(
            f"  latency {name}: {seconds:.3f} s = {blocks:.2f} block times, "
            f"{blocks / LOWER_BOUND_BLOCK_TIMES:.2f}x the 2-block bound{verdict}"
        )


def main() -> None:
    print("pre-confirmed message latency (source block made -> destination block made)")
    print(
        "(the metric starts when the source block is made, so its floor is 1 block time; "
        "from a user's submission add the wait for inclusion, up to 1 block)"
    )
    run(0.1, 20.0, 5.0)
    run(1.0, 200.0, 50.0)


if __name__ == "__main__":
    main()
