"""The trace hash of every built-in and regression scenario, for checking that a refactor
changes nothing observable.

    python benchmarks/trace_hashes.py > before.txt        # on the old tree
    python benchmarks/trace_hashes.py --against before.txt  # on the new tree

Each line is ``name hash ok|FAIL`` (FAIL: an invariant failed or the run stopped). With
``--against``, the run compares each hash to the file's and exits 1 if any differs or any
scenario fails. A built-in scenario runs at seed 1 (as ``interlace sim run NAME --seed 1``);
a regression scenario at the seed it names.
"""

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from interlace.runtime.sim.scenario import builtin_scenarios, load_scenario
from interlace.runtime.sim.world import World

REGRESSIONS = Path(__file__).resolve().parent.parent / "tests" / "runtime" / "sim" / "regressions"


def hash_scenario(item: tuple[str, str]) -> str:
    """One line: the scenario's name, its trace hash, and ok or FAIL."""
    name, path = item
    scenario = load_scenario(path)
    world = World(scenario, scenario.seed if scenario.seed is not None else 1)
    metrics = world.run()
    ok = world.stopped is None and all(v == "ok" for v in metrics["invariants"].values())
    return f"{name} {metrics['trace_hash']} {'ok' if ok else 'FAIL'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, help="a previous output to compare with")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    items = [(name, str(path)) for name, path in sorted(builtin_scenarios().items())]
    items += [(path.stem, str(path)) for path in sorted(REGRESSIONS.glob("*.toml"))]
    before: dict[str, str] = {}
    if args.against is not None:
        for line in args.against.read_text().splitlines():
            name, digest, _ = line.split()
            before[name] = digest
    bad = 0
    with ProcessPoolExecutor(args.processes) as pool:
        for line in pool.map(hash_scenario, items):
            name, digest, verdict = line.split()
            changed = name in before and before[name] != digest
            bad += verdict != "ok" or changed
            print(line + ("  CHANGED" if changed else ""), flush=True)
    if before:
        print(f"{bad} of {len(items)} changed or failed", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
