"""``interlace sim``: list and run simulator scenarios.

``run`` prints a readable timeline summary (or, with ``--json``, only the
metrics JSON) and writes ``metrics.json`` and the PNG plots into ``--out``. A run whose
invariants fail exits with status 1 and prints the command that replays it.
"""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from interlace.runtime.sim.plots import write_plots
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
