"""``interlace sim``: list and run simulator scenarios, and explore random ones.

``run`` prints a readable timeline summary (or, with ``--json``, only the
metrics JSON) and writes ``metrics.json`` and the PNG plots into ``--out``. A run whose
invariants fail exits with status 1 and prints the command that replays it.

``explore`` runs many seeds of random worlds with random faults in parallel
(see ``runtime/sim/explore.py``), prints each failure with the command that
replays it, and can shrink each kind of failure to a small scenario file.
"""

import json
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from interlace.runtime.sim.explore import (
    ExploreError,
    SeedResult,
    Sweep,
    format_seeds,
    parse_fault_kinds,
    parse_seeds,
    replay_command,
    run_local,
    run_ray,
    shrink_in_parallel,
)
from interlace.runtime.sim.plots import write_plots
from interlace.runtime.sim.scenario import (
    Scenario,
    ScenarioError,
    builtin_scenarios,
    load_scenario,
    scenario_to_toml,
)
from interlace.runtime.sim.world import World

app = typer.Typer(help="Run the deterministic simulator.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


@app.command("list")
def list_scenarios() -> None:
    """Name the built-in scenarios with a line each."""
    table = Table("scenario", "what it shows", box=None)
    for name, path in builtin_scenarios().items():
        table.add_row(name, load_scenario(str(path)).description)
    console.print(table)


@app.command("run")
def run(
    scenario: Annotated[str, typer.Argument(help="A built-in scenario name or a TOML file.")],
    seed: Annotated[
        int | None,
        typer.Option(
            help="Seed that drives workload, network and faults "
            "(default: the scenario's own `seed`, else 1)."
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print only the metrics JSON on stdout.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option(help="Directory to write metrics.json (and plots) into.")
    ] = None,
) -> None:
    """Run SCENARIO with --seed and report the timeline, metrics and invariants."""
    try:
        loaded = load_scenario(scenario)
        seed = seed if seed is not None else (loaded.seed if loaded.seed is not None else 1)
        world = World(loaded, seed)
    except ScenarioError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        errors.print("hint: `interlace sim list` names the built-in scenarios.")
        raise typer.Exit(2) from exc
    total = loaded.duration + loaded.drain
    if json_output:
        metrics = world.run()
    else:
        with Progress(
            TextColumn(f"[bold]{loaded.name}[/bold] seed {seed}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f} virtual s"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("run", total=total)
            metrics = world.run(lambda now: progress.update(task, completed=now))
    written: list[Path] = []
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
            written = [out / "metrics.json", *write_plots(world, out)]
        except OSError as exc:
            errors.print(f"[red]error:[/red] cannot write to {out}: {exc}")
            raise typer.Exit(2) from exc
    failed = [k for k, v in metrics["invariants"].items() if v != "ok"]
    if world.stopped is not None and not json_output:
        errors.print(f"[red]run stopped early:[/red] {world.stopped}")
    if json_output:
        typer.echo(json.dumps(metrics, indent=2))
    else:
        _print_summary(world, metrics)
        if written:
            # No wrapping or markup: paths must stay copyable, and may contain brackets.
            console.print(
                "wrote " + ", ".join(str(path) for path in written), soft_wrap=True, markup=False
            )
    if failed:
        errors.print(
            f"[red]invariants violated:[/red] {', '.join(failed)}; "
            f"replay with: interlace sim run {scenario} --seed {seed}"
        )
        raise typer.Exit(1)


def _print_summary(world: World, metrics: dict[str, Any]) -> None:
    console.print(
        f"[bold]{metrics['scenario']}[/bold] seed={metrics['seed']} "
        f"virtual={metrics['virtual_seconds']:.0f}s steps={metrics['steps']:,}"
    )
    entries = world.timeline.entries
    if entries:
        console.print(
            "\n[bold]timeline[/bold] (heads and settlement counts every tenth of the run;"
            " faults, reorgs, evidence, disputed games)"
        )
        shown = entries[:80]
        for at, node, text in shown:
            console.print(f"  {at:8.2f}s  {node:<14} {text}")
        if len(entries) > len(shown):
            console.print(f"  … {len(entries) - len(shown)} more")
    l1 = metrics["l1"]
    console.print(
        f"\n[bold]L1[/bold] head {l1['head']}, finalized {l1['finalized']}, reorgs {l1['reorgs']}"
    )
    table = Table("chain", "sequencer head", "safe head", "txs", "evidence", "frozen")
    for chain, info in metrics["rollups"].items():
        table.add_row(
            chain,
            str(info["sequencer_head"]),
            str(info["safe_head"]),
            str(info["transactions"]),
            ", ".join(info["evidence"]) or "-",
            "yes" if info["frozen"] else "no",
        )
    console.print(table)
    latency = metrics["safe_latency_s"]
    console.print(
        f"blocks {metrics['blocks_produced']}, batches posted {metrics['batches_posted']}, "
        f"acknowledged txs {metrics['transactions_acknowledged']}, deposits {metrics['deposits']}; "
        f"time to safe p50 {latency['p50']}s p99 {latency['p99']}s"
    )
    _print_interop(metrics)
    inv = Table("invariant", "result")
    for name, result in metrics["invariants"].items():
        inv.add_row(name, "[green]ok[/green]" if result == "ok" else f"[red]{result}[/red]")
    console.print(inv)
    console.print(f"trace hash {metrics['trace_hash']}")


def _print_interop(metrics: dict[str, Any]) -> None:
    """Messages per trust mode, invalidations and time to each hub level (hub runs only)."""
    messages = metrics.get("messages")
    if messages:
        table = Table("trust mode", "sent", "executed", "latency p50", "latency p99")
        for mode, entry in messages.items():
            table.add_row(
                mode,
                str(entry["sent"]),
                str(entry["executed"]),
                _seconds(entry["latency_p50_s"]),
                _seconds(entry["latency_p99_s"]),
            )
        console.print(table)
    if "blocks_invalidated" in metrics:
        console.print(
            f"blocks invalidated by the hub {metrics['blocks_invalidated']}, "
            f"rebuilt by sequencers {metrics['blocks_rebuilt']}"
        )
    levels = metrics.get("time_to_level_s")
    if levels:
        console.print(
            "time to hub level: "
            + "; ".join(
                f"{level} p50 {_seconds(p['p50'])} p99 {_seconds(p['p99'])}"
                for level, p in levels.items()
            )
        )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"


@app.command("explore")
def explore(
    *,
    seeds: Annotated[
        str, typer.Option(help="Seeds to run: 7, 0-999 or 1,5,10-12 (each seed is one world).")
    ] = "0-99",
    faults: Annotated[
        str,
        typer.Option(help="Fault kinds to draw from, comma-separated, or `all`."),
    ] = "all",
    workers: Annotated[
        int, typer.Option(help="Processes (or Ray CPUs) to run seeds on (default: all cores).")
    ] = 0,
    budget: Annotated[
        float | None,
        typer.Option(help="Stop after this many wall-clock seconds and list unreached seeds."),
    ] = None,
    ray: Annotated[bool, typer.Option("--ray", help="Run the seeds as Ray tasks.")] = False,
    address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to run on (`auto`, `ray://host:10001`); implies --ray."),
    ] = None,
    shrink: Annotated[
        bool,
        typer.Option(
            "--shrink", help="Shrink the first seed of each failure kind to a scenario file."
        ),
    ] = False,
    out: Annotated[
        Path,
        typer.Option(help="Where failing (and shrunk) scenario files are written."),
    ] = Path("explore-findings"),
) -> None:
    """Run random worlds with random faults, one per seed, and report every failure."""
    try:
        seed_list = parse_seeds(seeds)
        kinds = parse_fault_kinds(faults)
    except ExploreError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if workers < 0:
        errors.print("[red]error:[/red] --workers must not be negative (0: all cores)")
        raise typer.Exit(2)
    if budget is not None and budget <= 0:
        errors.print("[red]error:[/red] --budget must be positive (seconds)")
        raise typer.Exit(2)
    cores = workers or os.cpu_count() or 1
    on_ray = ray or address is not None
    console.print(
        f"exploring {len(seed_list)} seeds ({format_seeds(seed_list)}) on "
        f"{'Ray ' + (address or 'local') if on_ray else f'{cores} processes'}; "
        f"faults: {', '.join(kinds)}"
    )
    started = time.monotonic()
    with Progress(
        TextColumn("[bold]explore[/bold]"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} seeds, {task.fields[failed]} failed"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("explore", total=len(seed_list), failed=0)
        failed = 0

        def on_result(result: SeedResult) -> None:
            nonlocal failed
            if not result.ok:
                failed += 1
                _print_failure(result, kinds, out)
            progress.update(task, advance=1, failed=failed)

        try:
            if on_ray:
                sweep = run_ray(
                    seed_list,
                    kinds,
                    on_result,
                    address=address,
                    workers=workers or None,
                    budget=budget,
                )
            else:
                sweep = run_local(seed_list, kinds, cores, on_result, budget=budget)
        except ExploreError as exc:
            errors.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
    _print_sweep(sweep, time.monotonic() - started, cores)
    if shrink and sweep.failed and not sweep.interrupted:
        _shrink_findings(sweep, cores, out)
    if sweep.interrupted == "Ctrl-C":
        raise typer.Exit(130)
    if sweep.failed:
        raise typer.Exit(1)


def _print_failure(result: SeedResult, kinds: tuple[str, ...], out: Path) -> None:
    saved = _save(result.scenario, out / f"seed-{result.seed}.toml")
    console.print(f"[red]seed {result.seed} failed[/red]: {result.kind}", markup=True)
    for failure in result.failures:
        first, *rest = failure.message.rstrip().splitlines() or [""]
        console.print(f"  {failure.check}: {first}", markup=False, soft_wrap=True)
        if rest and failure.check in ("error", "draw"):
            console.print("    " + "\n    ".join(rest[-12:]), markup=False, soft_wrap=True)
    console.print(f"  replay: {replay_command(result.seed, kinds)}", markup=False, soft_wrap=True)
    if saved is not None:
        console.print(
            f"     or: interlace sim run {saved}", markup=False, soft_wrap=True, highlight=False
        )


def _save(scenario: Scenario, path: Path) -> Path | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(scenario_to_toml(scenario), encoding="utf-8")
    except OSError as exc:
        errors.print(f"[yellow]warning:[/yellow] cannot write {path}: {exc}")
        return None
    return path


def _print_sweep(sweep: Sweep, wall: float, cores: int) -> None:
    ran = len(sweep.results)
    rate = ran / wall * 60 if wall > 0 else 0.0
    console.print(
        f"\n[bold]explored {ran} seeds[/bold] in {wall:.0f}s ({rate:.0f} seeds/min, "
        f"{rate * 60 * 24:,.0f} a day at this rate): "
        + (f"[red]{len(sweep.failed)} failed[/red]" if sweep.failed else "[green]0 failed[/green]")
    )
    kinds = sweep.by_kind()
    if kinds:
        table = Table("failures", "kind", "seeds", box=None)
        for kind, seeds in kinds.items():
            table.add_row(str(len(seeds)), kind, format_seeds(seeds))
        console.print(table)
    if sweep.interrupted:
        console.print(
            f"[yellow]stopped early ({sweep.interrupted})[/yellow]; seeds not run: "
            f"{format_seeds(sweep.unreached) or 'none'}",
            soft_wrap=True,
        )
    del cores


def _shrink_findings(sweep: Sweep, cores: int, out: Path) -> None:
    for kind, seeds in sweep.by_kind().items():
        seed = seeds[0]
        result = sweep.results[seed]
        console.print(f"\n[bold]shrinking seed {seed}[/bold] ({kind})")

        def on_step(scenario: Scenario, spent: int) -> None:
            console.print(
                f"  {spent} runs: {scenario.rollups.count} rollups, {len(scenario.faults)} "
                f"faults, {scenario.duration:.0f}+{scenario.drain:.0f} s",
                markup=False,
            )

        try:
            small = shrink_in_parallel(result.scenario, seed, kind, workers=cores, on_step=on_step)
        except KeyboardInterrupt:
            console.print("[yellow]shrinking interrupted[/yellow]")
            return
        saved = _save(small, out / f"shrunk-{seed}.toml")
        if saved is not None:
            console.print(
                f"  smallest: {saved}; replay: interlace sim run {saved}",
                markup=False,
                soft_wrap=True,
            )
        console.print(scenario_to_toml(small), markup=False, highlight=False)
