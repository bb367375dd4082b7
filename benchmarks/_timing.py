"""Shared timing helper for the benchmarks: best-of-N rate measurement.

Every benchmark reports a ratio against a reference measured in the same
run, so machine noise cancels as far as it can; the absolute rates are
printed only as context.
"""

import time
from collections.abc import Callable


def measure_rate(fn: Callable[[], int], *, min_seconds: float = 1.0, repeats: int = 3) -> float:
    """Run ``fn`` (which returns how many operations it did) repeatedly; best ops/second.

    Each repeat runs ``fn`` until ``min_seconds`` pass; the best repeat is
    kept, since noise on a shared machine only ever slows a run down.
    """
    best = 0.0
    for _ in range(repeats):
        ops = 0
        start = time.perf_counter()
        elapsed = 0.0
        while elapsed < min_seconds:
            ops += fn()
            elapsed = time.perf_counter() - start
        best = max(best, ops / elapsed)
    return best


def print_ratio(name: str, ours: float, reference: float, reference_name: str, goal: str) -> None:
    """Print one benchmark line: both rates, the ratio and the goal it is judged against."""
    print(
        f"{name}: ours {ours:,.0f}/s, {reference_name} {reference:,.0f}/s, "
        f"ratio {ours / reference:.2f} (goal {goal})"
    )
