"""``interlace devnet``: start, inspect, fault and stop a local devnet of real node processes.

``up`` starts one process per node (L1, per rollup a sequencer, batcher
and verifier, the hub and a relayer; with settlement, per optimistic rollup
a proposer and a challenger, per validity rollup a prover coordinator and
its workers), waits until each is healthy, prints
the prefunded development accounts and a table of endpoints, writes
``DATA_DIR/endpoints.json`` and supervises (restarting crashed nodes) until
Ctrl-C, or hands supervision to a background process with ``--detach``.
``down`` stops a background devnet; ``kill`` (kill -9) and ``restart`` act
on one node; ``equivocate`` switches a sequencer's byzantine mode. Every
error is one line that says what to do.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from interlace.primitives.errors import InterlaceError
from interlace.roles.messages import SetByzantine
from interlace.runtime.live.codec import encode_message
from interlace.runtime.live.supervisor import (
    ENDPOINTS_FILE,
    HOLD_FILE,
    SUPERVISOR_LOG,
    Devnet,
    DevnetError,
    fetch_health,
    is_node_process,
    lock_data_dir,
    post_admin,
    read_endpoints,
    resolve_config,
    running_supervisor,
    tail,
    write_config,
)
from interlace.runtime.live.topology import DevnetConfig

app = typer.Typer(help="Run a local devnet: one process per node.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

DEFAULT_DATA_DIR = Path(".interlace-devnet")
DataDir = Annotated[
    Path, typer.Option("--data-dir", help="The devnet's directory (stores, logs, endpoints).")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


def _fail(exc: Exception, code: int = 1) -> typer.Exit:
    errors.print(f"[red]error:[/red] {exc}")
    return typer.Exit(code)


@app.command("up")
def up(  # noqa: PLR0917 - one parameter per CLI option
    data_dir: DataDir = DEFAULT_DATA_DIR,
    rollups: Annotated[int | None, typer.Option(help="Number of rollups (default 2).")] = None,
    block_time: Annotated[
        float | None, typer.Option(help="Seconds between rollup blocks (default 1).")
    ] = None,
    l1_block_time: Annotated[
        float | None, typer.Option(help="Seconds between L1 blocks (default 1).")
    ] = None,
    settlement: Annotated[
        bool | None,
        typer.Option(
            "--settlement/--no-settlement",
            help="Settle on L1: proposers, challengers, provers, hub aggregates (default on).",
            show_default=False,
        ),
    ] = None,
    provers: Annotated[
        int | None, typer.Option(help="Prover worker processes per validity rollup (default 2).")
    ] = None,
    challenge_window: Annotated[
        int | None,
        typer.Option(help="Seconds an optimistic output can be disputed (default 20)."),
    ] = None,
    port_base: Annotated[
        int | None, typer.Option(help="L1 RPC port; others count up (P2P +1000). Default 8545.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of every key (default 0).")] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="TOML file: [devnet] settings and plan sections ([rollups] …) over the "
            "devnet's defaults.",
        ),
    ] = None,
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="Run the network plan of this TOML file (a simulator scenario, say) as the "
            "simulator would.",
        ),
    ] = None,
    detach: Annotated[
        bool, typer.Option("--detach", help="Leave it running in the background.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every node.")] = 120.0,
    json_output: JsonFlag = False,
) -> None:
    """Start (or resume) the devnet in DATA_DIR and supervise it until Ctrl-C."""
    overrides: dict[str, Any] = {
        "rollups": rollups,
        "block_time": block_time,
        "l1_block_time": l1_block_time,
        "settlement": settlement,
        "provers": provers,
        "challenge_window": challenge_window,
        "port_base": port_base,
        "seed": seed,
    }
    try:
        resolved = resolve_config(data_dir, overrides, config, plan)
    except InterlaceError as exc:
        raise _fail(exc, 2) from exc
    if detach:
        _up_detached(data_dir, resolved, timeout, json_output)
        return
    say = errors.print if json_output else console.print
    devnet = Devnet(data_dir, resolved, say=say)
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        if not json_output:
            network = resolved.plan
            console.print(
                f"starting {len(devnet.nodes)} nodes in {devnet.data_dir} "
                f"({network.rollups.count} rollups, {network.rollups.block_time} s blocks, "
                f"L1 {network.l1.block_time} s, settlement "
                f"{'on' if network.settlement.enabled else 'off'})…"
            )
        devnet.start(timeout)
        _show(devnet.endpoints(), json_output)
        if not json_output:
            console.print("[green]devnet running[/green]; Ctrl-C stops every node.")
        devnet.run(stop)
    except InterlaceError as exc:
        raise _fail(exc) from exc
    finally:
        devnet.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not json_output:
        console.print("devnet stopped.")


def _up_detached(data_dir: Path, config: DevnetConfig, timeout: float, json_output: bool) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        os.close(lock_data_dir(data_dir))  # fail now, with the usual message, if it is in use
    except InterlaceError as exc:
        raise _fail(exc) from exc
    write_config(data_dir, config)
    (data_dir / ENDPOINTS_FILE).unlink(missing_ok=True)
    with (data_dir / SUPERVISOR_LOG).open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "interlace.runtime.live.supervisor",
                "--data-dir",
                str(data_dir),
                "--timeout",
                str(timeout),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout + 10
    while not (data_dir / ENDPOINTS_FILE).exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise _fail(
                DevnetError(
                    f"the devnet did not start; {data_dir / SUPERVISOR_LOG} ends with:\n"
                    + tail(data_dir / SUPERVISOR_LOG)
                )
            )
        time.sleep(0.1)
    _show(read_endpoints(data_dir), json_output)
    if not json_output:
        console.print(
            f"[green]devnet running in the background[/green] (supervisor pid {process.pid}); "
            f"stop it with `interlace devnet down --data-dir {data_dir}`."
        )


def _show(endpoints: dict[str, Any], json_output: bool) -> None:
    if json_output:
        typer.echo(json.dumps(endpoints, indent=2))
        return
    _show_accounts(endpoints.get("accounts", []))
    table = Table("node", "kind", "chain", "rpc http", "rpc ws", "p2p", "pid", box=None)
    for name, node in endpoints["nodes"].items():
        table.add_row(
            name,
            node["kind"],
            str(node["chain_id"] or ""),
            node["rpc_http"],
            node["rpc_ws"],
            node["p2p"],
            str(node["pid"] or "down"),
        )
    console.print(table)


def _show_accounts(listed: list[dict[str, str]]) -> None:
    accounts = Table("#", "address", "private key", title="development accounts", box=None)
    for index, account in enumerate(listed):
        accounts.add_row(str(index), account["address"], account["private_key"])
    console.print(accounts)
    console.print(
        "[dim]prefunded on L1 and on every rollup; for development only, never use them "
        "on a real network.[/dim]"
    )


@app.command("down")
def down(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    grace: Annotated[float, typer.Option(help="Seconds before SIGKILL.")] = 10.0,
) -> None:
    """Stop the background devnet in DATA_DIR (and any node it left behind)."""
    pid = running_supervisor(data_dir)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace + 5
        while running_supervisor(data_dir) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        if running_supervisor(data_dir) is not None:
            raise _fail(DevnetError(f"the supervisor (pid {pid}) did not stop; kill -9 {pid}"))
    orphans = _orphans(data_dir)
    for orphan in orphans:
        os.kill(orphan, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(is_node_process(o) for o in orphans) and time.monotonic() < deadline:
        time.sleep(0.1)
    for orphan in orphans:
        if is_node_process(orphan):
            os.kill(orphan, signal.SIGKILL)
    (data_dir / ENDPOINTS_FILE).unlink(missing_ok=True)
    if pid is None and not orphans:
        console.print(f"no devnet running in {data_dir}.")
    else:
        console.print(f"devnet in {data_dir} stopped.")


def _orphans(data_dir: Path) -> list[int]:
    """Node processes an endpoints file names that still run (their supervisor died)."""
    try:
        nodes = read_endpoints(data_dir)["nodes"]
    except DevnetError:
        return []
    pids = [n.get("pid") for n in nodes.values()]
    return [p for p in pids if isinstance(p, int) and is_node_process(p)]


def _node_entry(data_dir: Path, node: str) -> dict[str, Any]:
    try:
        nodes = read_endpoints(data_dir)["nodes"]
    except DevnetError as exc:
        raise _fail(exc) from exc
    entry = nodes.get(node)
    if not isinstance(entry, dict):
        raise _fail(DevnetError(f"no node {node!r}; nodes: {', '.join(nodes)}"))
    return entry


@app.command("kill")
def kill(
    node: Annotated[str, typer.Argument(help="Node id, e.g. seq-901.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    hold: Annotated[
        bool, typer.Option("--hold", help="Keep it down until `devnet restart NODE`.")
    ] = False,
) -> None:
    """kill -9 one node; the supervisor restarts it from its store (unless --hold)."""
    entry = _node_entry(data_dir, node)
    if hold:
        (data_dir / node / HOLD_FILE).touch()
    pid = entry.get("pid")
    if not isinstance(pid, int) or not is_node_process(pid):
        raise _fail(DevnetError(f"{node} is not running"))
    os.kill(pid, signal.SIGKILL)
    console.print(
        f"killed {node} (pid {pid}); "
        + ("held down." if hold else "the supervisor restarts it from its store.")
    )


@app.command("restart")
def restart(
    node: Annotated[str, typer.Argument(help="Node id, e.g. hub.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for it to be healthy.")] = 60.0,
) -> None:
    """Stop one node gracefully (or release a held one) and wait until it is back."""
    entry = _node_entry(data_dir, node)
    if running_supervisor(data_dir) is None:
        raise _fail(DevnetError(f"no supervisor runs in {data_dir}; `interlace devnet up` first"))
    (data_dir / node / HOLD_FILE).unlink(missing_ok=True)
    pid = entry.get("pid")
    if isinstance(pid, int) and is_node_process(pid):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = _node_entry(data_dir, node)
        if now.get("pid") not in (None, pid) and fetch_health(now["p2p"]) is not None:
            console.print(f"{node} is back (pid {now['pid']}, restart #{now['restarts']}).")
            return
        time.sleep(0.2)
    raise _fail(DevnetError(f"{node} is not healthy after {timeout:.0f} s; see {entry['log']}"))


@app.command("equivocate")
def equivocate(
    node: Annotated[str, typer.Argument(help="A sequencer node, e.g. seq-901.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    off: Annotated[bool, typer.Option("--off", help="Switch equivocation off again.")] = False,
    delay_blocks: Annotated[
        int, typer.Option(help="Gossip each second block this many blocks later.")
    ] = 0,
) -> None:
    """Make a sequencer sign two blocks per height (the hub must freeze its chain)."""
    entry = _node_entry(data_dir, node)
    if entry.get("kind") != "sequencer":
        raise _fail(DevnetError(f"{node} is a {entry.get('kind')}, not a sequencer"))
    try:
        post_admin(entry["p2p"], encode_message(SetByzantine(not off, delay_blocks)), wait=False)
    except InterlaceError as exc:
        raise _fail(exc) from exc
    console.print(f"{node}: equivocation {'off' if off else 'on'}.")


@app.command("ps")
def ps(data_dir: DataDir = DEFAULT_DATA_DIR, json_output: JsonFlag = False) -> None:
    """Each node's process and health (heads, evidence, frozen chains)."""
    try:
        endpoints = read_endpoints(data_dir)
    except DevnetError as exc:
        raise _fail(exc) from exc
    rows: dict[str, Any] = {}
    for name, node in endpoints["nodes"].items():
        health = fetch_health(node["p2p"])
        rows[name] = {
            "kind": node["kind"],
            "pid": node["pid"],
            "restarts": node["restarts"],
            "healthy": health is not None,
            **(
                {k: v for k, v in health.items() if k not in ("node", "ok", "stats", "peers")}
                if health
                else {}
            ),
        }
    if json_output:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("node", "pid", "restarts", "health", "details", box=None)
    for name, row in rows.items():
        details = " ".join(
            f"{k}={v}"
            for k, v in row.items()
            if k not in ("kind", "pid", "restarts", "healthy", "role", "head_hash")
        )
        table.add_row(
            name,
            str(row["pid"] or "down"),
            str(row["restarts"]),
            "[green]ok[/green]" if row["healthy"] else "[red]down[/red]",
            details,
        )
    console.print(table)


@app.command("accounts")
def accounts(data_dir: DataDir = DEFAULT_DATA_DIR, json_output: JsonFlag = False) -> None:
    """The prefunded development accounts with their private keys."""
    try:
        listed = read_endpoints(data_dir)["accounts"]
    except (DevnetError, KeyError) as exc:
        raise _fail(DevnetError(f"no running devnet in {data_dir}")) from exc
    if json_output:
        typer.echo(json.dumps(listed, indent=2))
        return
    _show_accounts(listed)
