"""``interlace sim``: list and run simulator scenarios.

``run`` prints a readable timeline summary (or, with ``--json``, only the
metrics JSON) and writes ``metrics.json`` into ``--out``. A run whose
invariants fail exits with status 1 and prints the command that replays it.
"""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from interlace.runtime.sim.scenario import ScenarioError, builtin_scenarios, load_scenario
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
    seed: Annotated[int, typer.Option(help="Seed that drives workload, network and faults.")] = 1,
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
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        except OSError as exc:
            errors.print(f"[red]error:[/red] cannot write to {out}: {exc}")
            raise typer.Exit(2) from exc
    failed = [k for k, v in metrics["invariants"].items() if v != "ok"]
    if json_output:
        typer.echo(json.dumps(metrics, indent=2))
    else:
        _print_summary(world, metrics)
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
            "\n[bold]timeline[/bold] (heads every tenth of the run; faults, reorgs, evidence)"
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
    inv = Table("invariant", "result")
    for name, result in metrics["invariants"].items():
        inv.add_row(name, "[green]ok[/green]" if result == "ok" else f"[red]{result}[/red]")
    console.print(inv)
    console.print(f"trace hash {metrics['trace_hash']}")
