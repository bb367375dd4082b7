"""Simulator speed: rollup blocks per wall-clock second, against the signature-work limit.

Workload: the inline scenario below (100 rollups, 1 s blocks, two transfers
per rollup per block, 20 virtual seconds plus 5 of drain, no faults) with
real signatures and real roots, run by ``World(scenario, seed).run()``; the
rate is ``metrics["blocks_produced"]`` over the wall time of ``run``.

The reference is measured in the same run: the blocks per second the
simulator would reach if a block cost nothing but the secp256k1 work it
needs. Per block that is, from the run's own metrics, one sender recovery
per user transaction at the sequencer and again at the verifier, two
envelope verifications (batcher and verifier) and the L1 node's recovery of
the batch transactions; and one signature per user transaction (client), per
envelope (sequencer) and per batch transaction (batcher). Recovery and
signing are timed with raw coincurve (plus the keccak that turns a key into
an address). A second line shows the secp256k1 calls the run actually made,
counted by a profiled run, so any redundant recoveries are visible.

A third line prices the kernel's livelock detector (``ProgressLimits``, see
``runtime/sim/kernel.py``): the same workload with the detector off
(``World(..., limits=None)``), runs interleaved on and off, best of each; the
goal is that the detector costs at most 5 % (ratio ≥ 0.95).

Finally the profiled run prints the top functions by cumulative and by own
time, so a reader sees where the rest of the time goes.

Run: ``python benchmarks/bench_sim.py``
"""

import cProfile
import pstats
import random
import time

from coincurve import PrivateKey as CoincurvePrivateKey
from coincurve import PublicKey

from _timing import measure_rate, print_ratio
from interlace.primitives.hashing import keccak256
from interlace.runtime.sim.kernel import DEFAULT_LIMITS, ProgressLimits
from interlace.runtime.sim.scenario import Scenario, parse_scenario
from interlace.runtime.sim.world import World

SCENARIO = """
name = "bench-sim"
description = "100 rollups at 1 s blocks with light traffic, no faults"
duration = 20.0
drain = 5.0

[rollups]
count = 100
block_time = 1.0

[workload]
transfers_per_block = 2
"""
SEED = 1
TIMED_RUNS = 3
GOAL_BLOCKS_PER_SECOND = 2_000
TOP = 15
RECOVER = "secp256k1_ecdsa_recover"
SIGN = "secp256k1_ecdsa_sign_recoverable"


def run_world(
    scenario: Scenario, limits: ProgressLimits | None = DEFAULT_LIMITS
) -> tuple[dict[str, object], float]:
    """Build a world, run it; metrics and the wall time of ``run`` alone."""
    world = World(scenario, SEED, limits)
    start = time.perf_counter()
    metrics = world.run()
    elapsed = time.perf_counter() - start
    invariants = metrics["invariants"]
    assert isinstance(invariants, dict)
    bad = {name: verdict for name, verdict in invariants.items() if verdict != "ok"}
    assert not bad, f"invariants failed: {bad}"
    return metrics, elapsed


def crypto_rates() -> tuple[float, float]:
    """(recoveries/s, signatures/s) of raw coincurve on random hashes."""
    rng = random.Random(7)
    keys = [CoincurvePrivateKey(rng.randbytes(32)) for _ in range(20)]
    hashes = [rng.randbytes(32) for _ in range(200)]
    signed = [
        (keys[i % len(keys)].sign_recoverable(h, hasher=None), h) for i, h in enumerate(hashes)
    ]

    def recover() -> int:
        for signature, message_hash in signed:
            public_key = PublicKey.from_signature_and_message(signature, message_hash, hasher=None)
            keccak256(public_key.format(compressed=False)[1:])[12:]
        return len(signed)

    def sign() -> int:
        for i, message_hash in enumerate(hashes):
            keys[i % len(keys)].sign_recoverable(message_hash, hasher=None)
        return len(hashes)

    return measure_rate(recover), measure_rate(sign)


def builtin_calls(stats: pstats.Stats, name: str) -> int:
    """How many times the profiled run called the C function ``name``."""
    table = stats.stats  # type: ignore[attr-defined]
    suffix = f".{name}>"  # exact: coincurve has several secp256k1_ecdsa_recover* helpers
    return sum(entry[1] for key, entry in table.items() if key[2].endswith(suffix))


def main() -> None:
    """Time the simulator, derive the signature-work limit, print ratios and the profile."""
    scenario = parse_scenario(SCENARIO, source="bench_sim")
    best = best_off = 0.0
    metrics: dict[str, object] = {}
    for _ in range(TIMED_RUNS):
        metrics, elapsed = run_world(scenario)
        blocks = metrics["blocks_produced"]
        assert isinstance(blocks, int) and blocks > 0
        best = max(best, blocks / elapsed)
        unchecked, elapsed_off = run_world(scenario, limits=None)
        assert unchecked["trace_hash"] == metrics["trace_hash"]  # the detector only watches
        best_off = max(best_off, blocks / elapsed_off)
    blocks = metrics["blocks_produced"]
    batches = metrics["batches_posted"]
    transfers = metrics["transactions_acknowledged"]
    assert isinstance(blocks, int) and isinstance(batches, int) and isinstance(transfers, int)

    profiler = cProfile.Profile()
    profiler.enable()
    run_world(scenario)
    profiler.disable()
    stats = pstats.Stats(profiler)
    recover_rate, sign_rate = crypto_rates()

    # What a block needs (see the module docstring), per block.
    txs = transfers / blocks
    needed_recover = 2 * txs + 2 + batches / blocks
    needed_sign = txs + 1 + batches / blocks
    needed_seconds = needed_recover / recover_rate + needed_sign / sign_rate
    # What the run did, counted by the profiler.
    done_recover = builtin_calls(stats, RECOVER) / blocks
    done_sign = builtin_calls(stats, SIGN) / blocks
    done_seconds = done_recover / recover_rate + done_sign / sign_rate

    print(
        f"scenario: {scenario.rollups.count} rollups, {blocks} blocks, {transfers} transfers, "
        f"{batches} batches; coincurve {recover_rate:,.0f} recoveries/s, {sign_rate:,.0f} signs/s"
    )
    print_ratio(
        "simulated rollup blocks",
        best,
        1 / needed_seconds,
        f"signature-work-only limit ({needed_recover:.2f} recoveries + "
        f"{needed_sign:.2f} signatures needed per block)",
        f">= {GOAL_BLOCKS_PER_SECOND * needed_seconds:.2f}, i.e. "
        f">= {GOAL_BLOCKS_PER_SECOND:,} blocks/s",
    )
    print_ratio(
        "simulated rollup blocks",
        best,
        1 / done_seconds,
        f"signature work actually done ({done_recover:.2f} recoveries + "
        f"{done_sign:.2f} signatures per block)",
        f"none; needed is {needed_seconds / done_seconds:.0%} of the crypto done",
    )
    print_ratio(
        "simulated rollup blocks, livelock detector on",
        best,
        best_off,
        "detector off",
        ">= 0.95: the detector costs at most 5 %",
    )
    print(
        f"per block: wall {1e6 / best:,.0f} µs, needed crypto {1e6 * needed_seconds:,.0f} µs, "
        f"crypto actually done {1e6 * done_seconds:,.0f} µs"
    )

    stats.strip_dirs()
    print(f"\n--- profile (one run under cProfile): top {TOP} by cumulative time ---")
    stats.sort_stats("cumulative").print_stats(TOP)
    print(f"--- top {TOP} by own time ---")
    stats.sort_stats("tottime").print_stats(TOP)


if __name__ == "__main__":
    main()
