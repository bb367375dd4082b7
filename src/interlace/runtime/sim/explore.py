"""The fault explorer: swarm testing in the spirit of TigerBeetle's VOPR.

One seed draws a whole world: how many rollups and of which kinds, their trust
modes, hub and settlement on or off, block times and depths, a network profile,
a workload, and one to four faults of the kinds asked for, at random times,
targets and lengths (``draw_scenario``). The world runs its safety phase with
the faults, heals everything, and runs its liveness phase; every checker of
``checkers.py`` watches, and the kernel stops a run that spins
(``Livelock``) or whose role raises (``NodeFailed``). A seed therefore replays
exactly: ``interlace sim explore --seeds N`` draws and runs the same world.

A failing seed can be shrunk (``shrink_scenario``): faults, rollups,
settlement, the hub, traffic and network noise are removed and the run is
shortened for as long as it still fails the same way, and the result is a
scenario file (TOML) that reproduces the failure with ``interlace sim run``.

Seeds run in parallel: on the cores of this machine (``run_local``, one
process per core) or on Ray (``run_ray``: a local Ray by default, a cluster
with ``address``).
"""

import contextlib
import math
import multiprocessing
import re
import signal
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from random import Random
from typing import Any

from interlace.primitives.errors import InputError
from interlace.protocol.l1.modules import RollupKind
from interlace.protocol.settlement.dispute import dispute_seconds, game_depths
from interlace.roles.names import parse_node
from interlace.runtime.plan import TRUST_MODES, AccountsSpec
from interlace.runtime.sim.kernel import Livelock, NodeFailed
from interlace.runtime.sim.scenario import (
    FAULT_KINDS,
    FaultSpec,
    HubSpec,
    L1Spec,
    NetworkSpec,
    RollupSpec,
    Scenario,
    ScenarioError,
    SettlementSpec,
    WorkloadSpec,
    check_scenario,
)
from interlace.runtime.sim.world import World

MAX_FAULTS = 4
"""Most faults one seed draws."""


class ExploreError(InputError):
    """Bad explorer input: a seed range, a fault kind or a Ray address."""


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed check of a run."""

    check: str
    """The checker's name (``liveness_run_progress``, ``inv5_safety_monotonic``, …)."""
    message: str
    """What it saw, with the virtual time."""


@dataclass(frozen=True, slots=True)
class SeedResult:
    """The outcome of one seed."""

    seed: int
    scenario: Scenario
    """The world the seed drew (or the scenario it was given)."""
    failures: tuple[Failure, ...]
    kind: str
    """The failure class, stable across seeds (node numbers and figures removed); empty if
    the run passed. Shrinking keeps a run only while its kind stays the same."""
    wall_seconds: float
    steps: int
    virtual_seconds: float

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return not self.failures


# ---- drawing a world ------------------------------------------------------------------


def parse_fault_kinds(text: str) -> tuple[str, ...]:
    """``"crash,l1_reorg"`` → the kinds; ``"all"`` → every kind. Unknown kinds are refused."""
    if text.strip() in ("", "all"):
        return FAULT_KINDS
    kinds = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown:
        raise ExploreError(
            f"--faults: unknown fault kind {', '.join(unknown)} (kinds: {', '.join(FAULT_KINDS)})"
        )
    return kinds


def parse_seeds(text: str) -> list[int]:
    """``"0-999"``, ``"7"`` or ``"1,5,10-12"`` → the seeds, in order, without repeats."""
    seeds: dict[int, None] = {}
    for part in text.split(","):
        piece = part.strip()
        match = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", piece)
        if match is None:
            raise ExploreError(
                f"--seeds: {piece!r} is not a seed or a range (write 7, 0-999 or 1,5,10-12)"
            )
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise ExploreError(f"--seeds: range {piece!r} ends before it starts")
        seeds.update(dict.fromkeys(range(first, last + 1)))
    return list(seeds)


def format_seeds(seeds: Iterable[int]) -> str:
    """Seeds as ranges: ``[1, 2, 3, 7]`` → ``"1-3,7"``."""
    ordered = sorted(set(seeds))
    parts: list[str] = []
    start = previous = None
    for seed in [*ordered, None]:
        if start is not None and (seed is None or seed != previous + 1):  # type: ignore[operator]
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = None
        if seed is not None and start is None:
            start = seed
        previous = seed
    return ",".join(parts)


def draw_scenario(seed: int, kinds: Sequence[str] = FAULT_KINDS) -> Scenario:
    """The world, workload and faults seed ``seed`` stands for (drawing only from ``kinds``).

    The same seed and kinds always give the same scenario. Every drawn scenario passes
    ``check_scenario``; a drawn fault that would contradict an earlier one (two crashes of
    one node at once) is left out.
    """
    rng = Random(f"interlace-explore-{seed}")
    count = rng.choice((1, 2, 2, 3, 3))
    hub = rng.random() < 0.75
    settle = hub and rng.random() < 0.5
    safe_depth = rng.randint(1, 3)
    l1 = L1Spec(
        block_time=rng.choice((1.0, 2.0)),
        safe_depth=safe_depth,
        finality_depth=safe_depth + rng.randint(1, 4),
    )
    rollups = RollupSpec(
        count=count,
        block_time=rng.choice((0.5, 1.0, 1.0, 2.0)),
        confirmation_depth=rng.randint(0, 4),
        kinds=tuple(rng.choice(("optimistic", "validity")) for _ in range(count)),
        trust_modes=tuple(rng.choice(tuple(TRUST_MODES)) for _ in range(count)),
    )
    transfers = rng.randint(0, 3)
    accounts = AccountsSpec(per_chain=rng.randint(2, 4))
    workload = WorkloadSpec(
        transfers_per_block=transfers,
        deposit_every=rng.choice((0.0, 0.0, 5.0, 10.0)),
        messages_per_block=rng.choice((0.0, 0.5, 1.0, 2.0)) if hub else 0.0,
    )
    network = NetworkSpec(
        latency_ms=rng.choice((5.0, 20.0, 50.0, 100.0)),
        jitter_ms=rng.choice((0.0, 10.0, 40.0)),
        loss=rng.choice((0.0, 0.0, 0.0, 0.01, 0.05)),
        duplicate=rng.choice((0.0, 0.0, 0.01, 0.05)),
    )
    settlement = SettlementSpec(
        enabled=settle,
        output_interval=rng.randint(2, 6),
        challenge_window=rng.randint(10, 20),
        provers=rng.randint(1, 2),
        aggregate_every=rng.choice((2.0, 3.0, 4.0)),
    )
    # A window no dispute fits in is refused by check_scenario: widen it to the shortest
    # one that fits (no further draws, so the rest of the world is the same for a seed).
    while True:  # a wider window can deepen the games: widen until it fits
        _, depth = game_depths(
            challenge_window=settlement.challenge_window,
            l1_block_time=l1.block_time,
            block_time=rollups.block_time,
        )
        fits = math.ceil(dispute_seconds(depth, l1.block_time))
        if settlement.challenge_window >= fits:
            break
        settlement = replace(settlement, challenge_window=fits)
    base = Scenario(
        name=f"explore-{seed}",
        description=f"drawn by the fault explorer from seed {seed} (faults: {', '.join(kinds)})",
        duration=float(rng.choice((30, 40, 50, 60))),
        drain=float(rng.choice((30, 40))),
        l1=l1,
        rollups=rollups,
        workload=workload,
        network=network,
        accounts=accounts,
        hub=HubSpec(enabled=hub, block_time=rng.choice((0.5, 1.0))),
        settlement=settlement,
        seed=seed,
    )
    nodes = sorted(n for n in World(base, seed).sim.nodes if n != "client")
    faults: list[FaultSpec] = []
    for _ in range(rng.randint(1, MAX_FAULTS)):
        fault = _draw_fault(rng, base, nodes, kinds)
        if fault is None:
            continue
        try:
            check_scenario(replace(base, faults=(*faults, fault)))
        except ScenarioError:
            continue  # contradicts an earlier fault
        faults.append(fault)
    return replace(base, faults=tuple(faults))


def _draw_fault(
    rng: Random, s: Scenario, nodes: Sequence[str], kinds: Sequence[str]
) -> FaultSpec | None:
    chains = range(s.rollups.count)
    optimistic = [i for i in chains if s.kind_of(i) is RollupKind.OPTIMISTIC]
    validity = [i for i in chains if s.kind_of(i) is RollupKind.VALIDITY]
    usable = [
        k
        for k in kinds
        if not (k == "proposer_lie" and not (s.settlement.enabled and optimistic))
        and not (k == "withhold_proofs" and not (s.settlement.enabled and validity))
    ]
    if not usable:
        return None
    kind = rng.choice(usable)
    at = round(rng.uniform(2.0, s.duration - 2.0), 2)
    length = round(rng.uniform(1.0, 15.0), 1)
    if kind == "l1_reorg":
        return FaultSpec(
            kind,
            at,
            depth=rng.randint(1, min(3, s.l1.finality_depth - 1)),
            drop_transactions=rng.random() < 0.3,
        )
    if kind == "crash":
        return FaultSpec(kind, at, duration=length, node=rng.choice(nodes))
    if kind == "partition":
        side = tuple(sorted(rng.sample(nodes, rng.randint(1, min(3, len(nodes))))))
        rest = [n for n in nodes if n not in side]
        if rest and rng.random() < 0.4:  # cut only the links to a few peers
            peers = tuple(sorted(rng.sample(rest, rng.randint(1, min(2, len(rest))))))
            return FaultSpec(kind, at, duration=length, nodes=side, peers=peers)
        return FaultSpec(kind, at, duration=length, nodes=side)
    if kind == "equivocate":
        return FaultSpec(
            kind, at, duration=length, chain=rng.choice(chains), delay_blocks=rng.randint(0, 3)
        )
    if kind == "batcher_outage":
        return FaultSpec(kind, at, duration=length, chain=rng.choice(chains))
    if kind == "proposer_lie":
        return FaultSpec(kind, at, chain=rng.choice(optimistic))
    if kind == "withhold_proofs":
        return FaultSpec(kind, at, chain=rng.choice(validity))
    return FaultSpec(kind, at, chain=rng.choice(chains))  # bad_state_root


# ---- running a seed ------------------------------------------------------------------


def run_scenario(scenario: Scenario, seed: int) -> SeedResult:
    """Run ``scenario`` with ``seed`` and classify what failed.

    Never raises for a failing run: an exception anywhere in the world (a bug outside the
    roles, which the kernel does not catch) is a failure of kind ``error <Type>`` with its
    traceback in the message.
    """
    started = time.perf_counter()
    try:
        world = World(scenario, seed)
        metrics = world.run()
    except Exception as exc:  # noqa: BLE001 - the explorer reports every failure as a value
        message = "".join(traceback.format_exception(exc))
        failure = Failure("error", message)
        kind = f"error {type(exc).__name__}"
        return SeedResult(seed, scenario, (failure,), kind, time.perf_counter() - started, 0, 0.0)
    failures = tuple(
        Failure(name, str(result))
        for name, result in metrics["invariants"].items()
        if result != "ok"
    )
    return SeedResult(
        seed=seed,
        scenario=scenario,
        failures=failures,
        kind=classify_failure(failures, world.stopped),
        wall_seconds=time.perf_counter() - started,
        steps=world.sim.steps,
        virtual_seconds=float(world.sim.now),
    )


def explore_seed(seed: int, kinds: Sequence[str] = FAULT_KINDS) -> SeedResult:
    """Draw seed ``seed``'s world and run it."""
    try:
        scenario = draw_scenario(seed, kinds)
    except Exception as exc:  # noqa: BLE001 - a drawing bug is a finding too
        failure = Failure("draw", "".join(traceback.format_exception(exc)))
        empty = Scenario(name=f"explore-{seed}", description="", duration=1.0, drain=0.0)
        return SeedResult(seed, empty, (failure,), f"draw {type(exc).__name__}", 0.0, 0, 0.0)
    return run_scenario(scenario, seed)


def classify_failure(failures: Sequence[Failure], stopped: Livelock | NodeFailed | None) -> str:
    """A failure's class: the same bug on other chains, nodes or times gives the same class."""
    if not failures:
        return ""
    if isinstance(stopped, Livelock):
        return f"livelock {_role(stopped.node)} {_generic(stopped.activity)}"
    if isinstance(stopped, NodeFailed):
        error = type(stopped.error).__name__
        return f"node failed {_role(stopped.node)} {_generic(stopped.activity)}: {error}"
    first = failures[0]
    text = re.sub(r"^t=[\d.]+s: ", "", first.message)
    return f"{first.check}: {_generic(text)[:80]}"


def _role(node: str) -> str:
    """``prover-901-0`` → ``prover worker``, ``seq-902`` → ``seq``."""
    return parse_node(node).role


def _generic(text: str) -> str:
    """Text with node numbers, hashes and figures replaced, so one bug gives one class."""
    text = re.sub(r"\b(0x)?[0-9a-f]{16,}\b", "H", text)
    text = re.sub(r"\b([a-z]+)-\d+-\d+\b", r"\1 worker", text)
    text = re.sub(r"\b([a-z]+)-\d+\b", r"\1", text)
    return re.sub(r"(?<![A-Za-z\d])-?\d+(\.\d+)?", "N", text)


def replay_command(seed: int, kinds: Sequence[str] = FAULT_KINDS) -> str:
    """The command that replays one explorer seed exactly."""
    faults = "" if tuple(kinds) == FAULT_KINDS else f" --faults {','.join(kinds)}"
    return f"interlace sim explore --seeds {seed}{faults}"


# ---- many seeds in parallel ----------------------------------------------------------


@dataclass(slots=True)
class Sweep:
    """What a sweep found so far (filled in as results arrive)."""

    seeds: list[int]
    results: dict[int, SeedResult]
    interrupted: str = ""
    """Why it stopped before every seed ran (``Ctrl-C``, ``time budget``), or empty."""

    @property
    def unreached(self) -> list[int]:
        """Seeds that did not run."""
        return [s for s in self.seeds if s not in self.results]

    @property
    def failed(self) -> list[SeedResult]:
        """Failing results, by seed."""
        return [r for _, r in sorted(self.results.items()) if not r.ok]

    def by_kind(self) -> dict[str, list[int]]:
        """Failure class → failing seeds."""
        kinds: dict[str, list[int]] = {}
        for result in self.failed:
            kinds.setdefault(result.kind, []).append(result.seed)
        return dict(sorted(kinds.items(), key=lambda kv: (-len(kv[1]), kv[0])))


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops the sweep cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_local(
    seeds: Sequence[int],
    kinds: Sequence[str],
    workers: int,
    on_result: Callable[[SeedResult], None],
    budget: float | None = None,
) -> Sweep:
    """Run ``seeds`` on ``workers`` processes of this machine, calling ``on_result`` as each
    seed finishes. Stops early on Ctrl-C or when ``budget`` wall seconds have passed; the
    sweep says which seeds did not run."""
    sweep = Sweep(list(seeds), {})
    deadline = None if budget is None else time.monotonic() + budget
    job = partial(explore_seed, kinds=tuple(kinds))
    if workers <= 1:
        try:
            for seed in seeds:
                if deadline is not None and time.monotonic() > deadline:
                    sweep.interrupted = "time budget"
                    break
                _collect(sweep, job(seed), on_result)
        except KeyboardInterrupt:
            sweep.interrupted = "Ctrl-C"
        return sweep
    context = multiprocessing.get_context("fork")
    pool = context.Pool(workers, initializer=_ignore_sigint, maxtasksperchild=100)
    try:
        results = pool.imap_unordered(job, seeds)
        while True:
            timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                result = results.next(timeout)
            except StopIteration:
                break
            except multiprocessing.TimeoutError:
                sweep.interrupted = "time budget"
                break
            _collect(sweep, result, on_result)
    except KeyboardInterrupt:
        sweep.interrupted = "Ctrl-C"
    finally:
        pool.terminate()
        pool.join()
    return sweep


def run_ray(
    seeds: Sequence[int],
    kinds: Sequence[str],
    on_result: Callable[[SeedResult], None],
    *,
    address: str | None = None,
    workers: int | None = None,
    budget: float | None = None,
) -> Sweep:
    """Run ``seeds`` as Ray tasks: on a local Ray with ``workers`` CPUs, or on the cluster at
    ``address`` (``auto`` or ``ray://host:10001``; every node needs interlace's
    dependencies, and the interlace package itself is shipped with the job)."""
    try:
        import ray  # noqa: PLC0415 - optional dependency, imported only when asked for
    except ImportError as exc:
        raise ExploreError(
            "Ray is not installed: pip install 'interlace[cluster]' (or run without --ray)"
        ) from exc
    import interlace  # noqa: PLC0415

    sweep = Sweep(list(seeds), {})
    deadline = None if budget is None else time.monotonic() + budget
    options: dict[str, Any] = {"log_to_driver": False, "include_dashboard": False}
    if address is None:
        options["num_cpus"] = workers
    else:
        options["runtime_env"] = {"py_modules": [interlace]}
    try:
        ray.init(address=address, **options)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise ExploreError(f"--address {address}: cannot connect to Ray: {exc}") from exc
    remote: Any = ray.remote(explore_seed)
    pending = [remote.remote(seed, tuple(kinds)) for seed in seeds]
    try:
        while pending:
            timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            done, pending = ray.wait(pending, num_returns=1, timeout=timeout)
            if not done:
                sweep.interrupted = "time budget"
                break
            _collect(sweep, ray.get(done[0]), on_result)
    except KeyboardInterrupt:
        sweep.interrupted = "Ctrl-C"
    finally:
        for ref in pending:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        ray.shutdown()
    return sweep


def _collect(sweep: Sweep, result: SeedResult, on_result: Callable[[SeedResult], None]) -> None:
    sweep.results[result.seed] = result
    on_result(result)


# ---- shrinking -----------------------------------------------------------------------

Runner = Callable[[Callable[[Scenario], SeedResult], list[Scenario]], Iterator[SeedResult]]
"""Runs a function over candidate scenarios, in order (``map`` or a pool's ``imap``)."""


def shrink_scenario(
    scenario: Scenario,
    seed: int,
    kind: str,
    *,
    runner: Runner = map,
    max_runs: int = 80,
    on_step: Callable[[Scenario, int], None] | None = None,
) -> Scenario:
    """The smallest scenario found that still fails with class ``kind`` under ``seed``.

    Greedy: each round tries every one-step reduction (drop a fault, a rollup, settlement,
    the hub, traffic, network noise; shorten faults, the run and its drain) and keeps the
    first that still fails the same way, until none does or ``max_runs`` runs were spent.
    ``on_step`` hears each kept reduction and the runs spent so far.
    """
    current = scenario
    spent = 0
    check = partial(run_scenario, seed=seed)
    while spent < max_runs:
        candidates = list(_reductions(current))[: max_runs - spent]
        if not candidates:
            break
        kept = None
        for candidate, result in zip(candidates, runner(check, candidates), strict=False):
            spent += 1
            if result.kind == kind:
                kept = candidate
                break
        if kept is None:
            break
        current = kept
        if on_step is not None:
            on_step(current, spent)
    return replace(
        current,
        name=f"regression-{seed}",
        description=f"shrunk by the fault explorer from seed {seed}: {kind}",
        seed=seed,
    )


def _reductions(s: Scenario) -> Iterator[Scenario]:
    """One-step-smaller variants of ``s`` that are still valid scenarios, most useful first."""
    for index in range(len(s.faults)):
        yield replace(s, faults=s.faults[:index] + s.faults[index + 1 :])
    variants: list[Scenario] = []
    if s.rollups.count > 1:
        variants.append(_fewer_rollups(s))
    if s.settlement.enabled:
        variants.append(_without_settlement(s))
    elif s.hub.enabled:
        variants.append(_without_hub(s))
    if s.workload.messages_per_block:
        variants.append(replace(s, workload=replace(s.workload, messages_per_block=0.0)))
    if s.workload.deposit_every:
        variants.append(replace(s, workload=replace(s.workload, deposit_every=0.0)))
    if s.workload.transfers_per_block:
        variants.append(replace(s, workload=replace(s.workload, transfers_per_block=0)))
    if s.network.loss or s.network.duplicate or s.network.jitter_ms:
        variants.append(
            replace(s, network=replace(s.network, loss=0.0, duplicate=0.0, jitter_ms=0.0))
        )
    last_fault = max((f.at for f in s.faults), default=0.0)
    shorter = max(round(s.duration * 0.7), int(last_fault) + 1, 5)
    if shorter < s.duration:
        variants.append(replace(s, duration=float(shorter)))
    longest = max((f.duration for f in s.faults), default=0.0)
    if longest > 2:
        variants.append(
            replace(
                s,
                faults=tuple(
                    replace(f, duration=round(f.duration / 2, 1)) if f.duration > 2 else f
                    for f in s.faults
                ),
            )
        )
    for variant in variants:
        if _valid(variant):
            yield variant


def _valid(s: Scenario) -> bool:
    try:
        check_scenario(s)
        World(s, s.seed or 0)
    except ScenarioError:
        return False
    return True


def _fewer_rollups(s: Scenario) -> Scenario:
    count = s.rollups.count - 1
    gone = s.first_chain_id + count
    rollups = replace(
        s.rollups,
        count=count,
        kinds=s.rollups.kinds[:count],
        trust_modes=s.rollups.trust_modes[:count] or s.rollups.trust_modes[:1],
    )
    return replace(
        s, rollups=rollups, faults=_drop_targets(s.faults, count, s.first_chain_id, {str(gone)})
    )


def _without_settlement(s: Scenario) -> Scenario:
    faults = tuple(
        f
        for f in s.faults
        if f.kind not in ("proposer_lie", "withhold_proofs")
        and not _names_any(f, ("prover", "proposer", "challenger"))
    )
    return replace(s, settlement=replace(s.settlement, enabled=False), faults=faults)


def _without_hub(s: Scenario) -> Scenario:
    faults = tuple(f for f in s.faults if not _names_any(f, ("hub", "relayer")))
    return replace(
        s,
        hub=replace(s.hub, enabled=False),
        workload=replace(s.workload, messages_per_block=0.0),
        faults=faults,
    )


def _names_any(fault: FaultSpec, prefixes: Sequence[str]) -> bool:
    names = [fault.node, *fault.nodes]
    return any(n.startswith(p) for n in names if n for p in prefixes)


def _drop_targets(
    faults: Sequence[FaultSpec], count: int, first_chain_id: int, gone: set[str]
) -> tuple[FaultSpec, ...]:
    """Faults left once chains ≥ ``count`` are gone (chain id suffixes ``gone``)."""
    kept: list[FaultSpec] = []
    for fault in faults:
        chain_gone = fault.chain >= count and (
            fault.chain < first_chain_id or fault.chain - first_chain_id >= count
        )
        if (
            fault.kind
            in ("equivocate", "batcher_outage", "proposer_lie", "withhold_proofs", "bad_state_root")
            and chain_gone
        ):
            continue
        if fault.node and any(g in fault.node for g in gone):
            continue
        if fault.nodes:
            side = tuple(n for n in fault.nodes if not any(g in n for g in gone))
            if not side:
                continue
            kept.append(replace(fault, nodes=side))
            continue
        kept.append(fault)
    return tuple(kept)


def shrink_in_parallel(
    scenario: Scenario,
    seed: int,
    kind: str,
    *,
    workers: int,
    max_runs: int = 80,
    on_step: Callable[[Scenario, int], None] | None = None,
) -> Scenario:
    """``shrink_scenario`` trying ``workers`` reductions at a time on as many processes."""
    if workers <= 1:
        return shrink_scenario(scenario, seed, kind, max_runs=max_runs, on_step=on_step)
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_ignore_sigint) as pool:

        def runner(
            job: Callable[[Scenario], SeedResult], items: list[Scenario]
        ) -> Iterator[SeedResult]:
            for start in range(0, len(items), workers):
                yield from pool.map(job, items[start : start + workers])

        return shrink_scenario(
            scenario, seed, kind, runner=runner, max_runs=max_runs, on_step=on_step
        )
