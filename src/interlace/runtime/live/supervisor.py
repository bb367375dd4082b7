"""Starting, watching and stopping a devnet's node processes.

``Devnet`` owns one data directory. ``start`` takes the directory's lock,
checks every port is free, writes the resolved ``devnet.json``, starts one
``python -m interlace.api.node`` process per node (its output goes to
``<node>/node.log``), waits until each answers ``/health``, and writes
``endpoints.json``. ``supervise`` restarts a process that exited (with an
exponential backoff that resets once a process has lived a while, and a
restart count), unless ``<node>/HOLD`` exists (``devnet kill --hold``).
``stop`` sends SIGTERM to every node, then SIGKILL after a grace period.

The directory layout::

    DATA_DIR/devnet.json      resolved config (genesis, keys and epoch derive from it)
    DATA_DIR/endpoints.json   per node: kind, chain, RPC/P2P URLs, pid, restarts
    DATA_DIR/devnet.lock      held by the running supervisor (its pid inside)
    DATA_DIR/supervisor.log   the detached supervisor's output
    DATA_DIR/<node>/          store.sqlite (+ WAL), events.jsonl, node.log, HOLD

``python -m interlace.runtime.live.supervisor --data-dir DIR`` runs a
supervisor in the foreground on an already written ``devnet.json`` (what
``interlace devnet up --detach`` starts in the background).
"""

import argparse
import contextlib
import fcntl
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Final

from interlace.primitives.errors import InputError, InterlaceError
from interlace.roles.base import NodeId
from interlace.roles.names import L1_NODE
from interlace.runtime.live.topology import (
    CONFIG_FILE,
    P2P_PORT_OFFSET,
    ConfigError,
    DevnetConfig,
    Topology,
    build_topology,
    check_config,
    config_to_json,
    flat_setting,
    load_config_file,
    node_count,
    with_settings,
)
from interlace.runtime.plan import load_plan_file

ENDPOINTS_FILE: Final = "endpoints.json"
LOCK_FILE: Final = "devnet.lock"
SUPERVISOR_LOG: Final = "supervisor.log"
NODE_LOG: Final = "node.log"
HOLD_FILE: Final = "HOLD"
NODE_MODULE: Final = "interlace.api.node"
BACKOFF_START: Final = 0.5
BACKOFF_MAX: Final = 10.0
STABLE_AFTER: Final = 30.0
"""A process that lived this long restarts at once when it dies (backoff resets)."""


class DevnetError(InputError):
    """A devnet cannot be started, reached or controlled; the message says what to do."""


class DevnetLocked(DevnetError):
    """The data directory belongs to a running devnet."""


@dataclass(slots=True)
class NodeProcess:
    """The supervisor's view of one node process."""

    node: NodeId
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    failures_in_a_row: int = 0
    next_start: float = 0.0
    last_exit: int | None = None
    log: IO[bytes] | None = field(default=None, repr=False)


# ---- config resolution --------------------------------------------------------------


def resolve_config(
    data_dir: Path,
    overrides: Mapping[str, Any],
    config_file: Path | None = None,
    plan_file: Path | None = None,
) -> DevnetConfig:
    """The config ``up`` runs: the directory's ``devnet.json`` if it exists, else
    ``config_file`` (or the defaults), or the network plan of ``plan_file`` (a scenario
    file: the network the simulator runs from it), with ``overrides`` (CLI flags:
    ``FLAT_SETTINGS`` and live settings by name, ``None`` for a flag not given) applied.

    Resuming refuses flags or a plan that would change an existing devnet's genesis or
    layout.
    """
    if config_file is not None and plan_file is not None:
        raise DevnetError("give --config or --plan, not both")
    plan = load_plan_file(plan_file, ConfigError) if plan_file is not None else None
    existing = data_dir / CONFIG_FILE
    if existing.exists():
        config = load_config_file(existing)
        with_settings(config, overrides)  # an unknown name is refused here too
        conflicts = [
            f"--{k.replace('_', '-')} {v} (it has {flat_setting(config, k)})"
            for k, v in overrides.items()
            if v is not None and flat_setting(config, k) != v
        ]
        if plan is not None and plan != config.plan:
            conflicts.append(f"--plan {plan_file} (a different network)")
        if conflicts:
            raise DevnetError(
                f"{data_dir} holds a devnet created with other settings: "
                f"{'; '.join(conflicts)}. Drop those flags to resume it, or use a fresh "
                "--data-dir (or delete this one) to create a new devnet"
            )
        return config
    if plan is not None:
        base = DevnetConfig(plan=plan)
    else:
        base = load_config_file(config_file) if config_file is not None else DevnetConfig()
    config = with_settings(base, overrides)
    if config.epoch == 0.0:
        config = replace(config, epoch=round(time.time(), 3))
    check_config(config)
    return config


def write_config(data_dir: Path, config: DevnetConfig) -> Path:
    """Write ``devnet.json`` atomically (a reader never sees half a file)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / CONFIG_FILE
    _write_atomic(path, config_to_json(config))
    return path


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# ---- the supervisor -----------------------------------------------------------------------


class Devnet:
    """See the module docstring."""

    def __init__(
        self,
        data_dir: Path,
        config: DevnetConfig,
        *,
        python: str = sys.executable,
        grace: float = 5.0,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.config = config
        self.topology: Topology = build_topology(config)
        self.python = python
        self.grace = grace
        self.say = say or (lambda _text: None)
        self.nodes = {n: NodeProcess(n) for n in self.topology.nodes}
        self._lock_fd: int | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # ---- start -----------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> None:
        """Lock the directory, start every node and wait until all are healthy."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_fd = lock_data_dir(self.data_dir)
        try:
            write_config(self.data_dir, self.config)
            self._check_ports()
            for node in self.nodes.values():
                (self.data_dir / node.node / HOLD_FILE).unlink(missing_ok=True)
                self._spawn(node)
            self.wait_healthy(timeout)
            self.write_endpoints()
        except BaseException:
            self.stop()
            raise

    def _check_ports(self) -> None:
        for node, spec in self.topology.nodes.items():
            for what, port in (("rpc", spec.rpc_port), ("p2p", spec.p2p_port)):
                if not port_is_free(self.config.host, port):
                    raise DevnetError(
                        f"port {port} ({what} of {node}) is in use: stop what holds it "
                        "(another devnet? `interlace devnet down --data-dir …`) or pass "
                        "--port-base to use other ports"
                    )

    def _spawn(self, node: NodeProcess) -> None:
        directory = self.data_dir / node.node
        directory.mkdir(parents=True, exist_ok=True)
        if node.log is None:
            node.log = (directory / NODE_LOG).open("ab")
        node.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                self.python,
                "-m",
                NODE_MODULE,
                "--config",
                str(self.data_dir / CONFIG_FILE),
                "--node",
                node.node,
            ],
            stdout=node.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops nodes in order
        )
        node.started_at = time.monotonic()

    def wait_healthy(self, timeout: float = 60.0, nodes: Sequence[NodeId] | None = None) -> None:
        """Block until every node (or ``nodes``) answers ``/health`` with 200."""
        deadline = time.monotonic() + timeout
        waiting = set(nodes if nodes is not None else self.nodes)
        while waiting:
            for name in sorted(waiting):
                node = self.nodes[name]
                if node.process is not None and node.process.poll() is not None:
                    raise DevnetError(
                        f"{name} exited with code {node.process.returncode} while starting; "
                        f"its log ends with:\n{tail(self.data_dir / name / NODE_LOG)}"
                    )
                if self.health(name) is not None:
                    waiting.discard(name)
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise DevnetError(
                    f"not healthy after {timeout:.0f} s: {', '.join(sorted(waiting))}; "
                    f"see {self.data_dir}/<node>/{NODE_LOG}"
                )
            time.sleep(0.1)

    def health(self, node: NodeId, timeout: float = 1.0) -> dict[str, Any] | None:
        """A node's ``/health`` answer, or None if it is down or not ready."""
        return fetch_health(self.topology.p2p_url(node), timeout)

    # ---- supervision ------------------------------------------------------------------

    def supervise_once(self) -> None:
        """Restart exited processes whose backoff has passed (and that are not held)."""
        changed = False
        now = time.monotonic()
        with self._lock:
            if self._stop.is_set():
                return
            for node in self.nodes.values():
                process = node.process
                if process is None or process.poll() is None:
                    if process is None and now >= node.next_start and not self._held(node):
                        self._restart(node)
                        changed = True
                    continue
                node.last_exit = process.returncode
                lived = now - node.started_at
                node.failures_in_a_row = 0 if lived > STABLE_AFTER else node.failures_in_a_row + 1
                delay = (
                    0.0
                    if node.failures_in_a_row == 0
                    else min(BACKOFF_START * 2 ** (node.failures_in_a_row - 1), BACKOFF_MAX)
                )
                node.process = None
                node.next_start = now + delay
                self.say(
                    f"{node.node} exited (code {process.returncode}); "
                    + ("held" if self._held(node) else f"restarting in {delay:.1f} s")
                )
                changed = True
        if changed:
            self.write_endpoints()

    def _restart(self, node: NodeProcess) -> None:
        node.restarts += 1
        self._spawn(node)
        self.say(f"{node.node} restarted (restart #{node.restarts})")

    def _held(self, node: NodeProcess) -> bool:
        return (self.data_dir / node.node / HOLD_FILE).exists()

    def run(self, stop: threading.Event | None = None, interval: float = 0.1) -> None:
        """Supervise until ``stop`` (or ``self.close``) is set."""
        stop = stop or self._stop
        while not stop.is_set() and not self._stop.is_set():
            self.supervise_once()
            stop.wait(interval)

    def run_in_background(self) -> None:
        """Supervise from a daemon thread (tests and embedding)."""
        self._thread = threading.Thread(target=self.run, name="devnet-supervisor", daemon=True)
        self._thread.start()

    # ---- control ----------------------------------------------------------------------

    def kill(self, node: NodeId, *, hold: bool = False, sig: int = signal.SIGKILL) -> None:
        """Signal a node's process (kill -9 by default); with ``hold`` it stays down."""
        if hold:
            (self.data_dir / node / HOLD_FILE).touch()
        process = self.nodes[node].process
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            process.wait()

    def release(self, node: NodeId) -> None:
        """Let a held node start again (at the next supervision pass)."""
        (self.data_dir / node / HOLD_FILE).unlink(missing_ok=True)
        self.nodes[node].next_start = 0.0

    def stop(self) -> None:
        """SIGTERM every node, SIGKILL what is left after the grace period, unlock."""
        with self._lock:
            self._stop.set()
            alive = [
                n.process for n in self.nodes.values() if n.process and n.process.poll() is None
            ]
            for process in alive:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
            deadline = time.monotonic() + self.grace
            for process in alive:
                try:
                    process.wait(max(deadline - time.monotonic(), 0.01))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for node in self.nodes.values():
                if node.log is not None:
                    node.log.close()
                    node.log = None
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        if self._lock_fd is not None:
            (self.data_dir / ENDPOINTS_FILE).unlink(missing_ok=True)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> "Devnet":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- endpoints --------------------------------------------------------------------

    def endpoints(self) -> dict[str, Any]:
        """What ``endpoints.json`` holds (see docs/devnet.md)."""
        topo = self.topology
        nodes: dict[str, Any] = {}
        for name, spec in topo.nodes.items():
            process = self.nodes[name].process
            rpc = topo.rpc_url(name)
            nodes[name] = {
                "kind": spec.kind,
                "chain_id": spec.chain_id,
                "rpc_http": rpc,
                "rpc_ws": rpc.replace("http://", "ws://", 1) + "/ws",
                "p2p": topo.p2p_url(name),
                "health": topo.p2p_url(name) + "/health",
                "pid": process.pid if process is not None and process.poll() is None else None,
                "restarts": self.nodes[name].restarts,
                "log": str(self.data_dir / name / NODE_LOG),
            }
        return {
            "devnet": {
                "data_dir": str(self.data_dir),
                "config": str(self.data_dir / CONFIG_FILE),
                "supervisor_pid": os.getpid(),
                "epoch": self.config.epoch,
                "l1_chain_id": topo.nodes[L1_NODE].chain_id,
                "chain_ids": list(topo.chain_ids),
            },
            "nodes": nodes,
            "accounts": [
                {"address": "0x" + k.address.hex(), "private_key": "0x" + k.secret.hex()}
                for k in topo.dev_keys
            ],
        }

    def write_endpoints(self) -> None:
        """Rewrite ``endpoints.json`` (atomically)."""
        with self._lock:
            if self._lock_fd is None:
                return
            _write_atomic(
                self.data_dir / ENDPOINTS_FILE, json.dumps(self.endpoints(), indent=2) + "\n"
            )


@contextlib.contextmanager
def running_devnet(
    data_dir: Path, timeout: float = 60.0, plan_file: Path | None = None, **settings: Any
) -> Iterator[Devnet]:
    """Start a supervised devnet in ``data_dir`` for tests and scripts; stop it on exit.

    ``settings`` are flat or live settings (``rollups=1, block_time=0.25`` …), over the
    network plan of ``plan_file`` if one is given (as ``up --plan``); without
    ``port_base`` a free range of ports is chosen. Every process it started is stopped
    when the block exits, also on an error.
    """
    if "port_base" not in settings:
        base = DevnetConfig(plan=load_plan_file(plan_file)) if plan_file else DevnetConfig()
        settings["port_base"] = free_port_base(node_count(with_settings(base, settings)))
    config = resolve_config(data_dir, settings, plan_file=plan_file)
    devnet = Devnet(data_dir, config)
    try:
        devnet.start(timeout)
        devnet.run_in_background()
        yield devnet
    finally:
        devnet.stop()


EPHEMERAL_RANGE_FILE: Final = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_PORT_BASE: Final = 10000


def ephemeral_port_range() -> tuple[int, int]:
    """The ports the OS hands out to outbound connections (Linux's setting, else a wide guess)."""
    try:
        low, high = (int(word) for word in EPHEMERAL_RANGE_FILE.read_text().split())
    except (OSError, ValueError):
        return 32768, 65535  # covers Linux's default and the IANA range (macOS, Windows)
    return low, high


def free_port_base(nodes: int, host: str = "127.0.0.1") -> int:
    """A port base whose RPC and P2P ranges (``nodes`` ports each) are free now.

    The whole span lies outside the OS's ephemeral range: nodes start one
    after another, and an earlier node's outbound connection could otherwise
    take a later node's port before it binds it.
    """
    low, high = ephemeral_port_range()
    span = P2P_PORT_OFFSET + nodes
    bases: list[int] = [
        *range(LOWEST_PORT_BASE, low - span),
        *range(max(LOWEST_PORT_BASE, high + 1), 65536 - span),
    ]
    if not bases:
        raise DevnetError(
            f"no port range outside the ephemeral ports {low}-{high}; pass port_base explicitly"
        )
    chooser = random.SystemRandom()
    for _attempt in range(50):
        base: int = chooser.choice(bases)
        ports = [
            *range(base, base + nodes),
            *range(base + P2P_PORT_OFFSET, base + P2P_PORT_OFFSET + nodes),
        ]
        if all(port_is_free(host, p) for p in ports):
            return base
    raise DevnetError("no free port range found; pass port_base explicitly")


# ---- helpers shared with the CLI ------------------------------------------------------------


def lock_data_dir(data_dir: Path) -> int:
    """Take the devnet lock of ``data_dir`` (released when the returned fd closes)."""
    path = data_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        pid = running_supervisor(data_dir)
        who = f" (supervisor pid {pid})" if pid else ""
        raise DevnetLocked(
            f"{data_dir} is in use by a running devnet{who}: stop it with "
            f"`interlace devnet down --data-dir {data_dir}` or choose another --data-dir"
        ) from exc
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def running_supervisor(data_dir: Path) -> int | None:
    """Pid of the supervisor holding ``data_dir``'s lock, or None if none does."""
    path = data_dir / LOCK_FILE
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            text = path.read_text(encoding="ascii").strip()
            return int(text) if text.isdigit() else None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def read_endpoints(data_dir: Path) -> dict[str, Any]:
    """``endpoints.json`` of a running devnet, or a ``DevnetError`` saying how to start one."""
    path = data_dir / ENDPOINTS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DevnetError(
            f"no running devnet in {data_dir}: start one with "
            f"`interlace devnet up --data-dir {data_dir}`"
        ) from None
    except (OSError, ValueError) as exc:
        raise DevnetError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        raise DevnetError(f"{path} is not an endpoints file")
    return data


def is_node_process(pid: int) -> bool:
    """True if ``pid`` is a live Interlace node process (never signal a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return NODE_MODULE.encode() in cmdline


def port_is_free(host: str, port: int) -> bool:
    """True if ``host:port`` can be bound now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def fetch_health(p2p_url: str, timeout: float = 1.0) -> dict[str, Any] | None:
    """GET ``/health``: the JSON body if the node answers 200, else None."""
    try:
        with urllib.request.urlopen(p2p_url + "/health", timeout=timeout) as response:  # noqa: S310
            body = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def post_admin(p2p_url: str, payload: bytes, *, wait: bool, timeout: float = 10.0) -> bytes | None:
    """POST an encoded control message to ``/admin/deliver`` (or ``/admin/request``)."""
    path = "/admin/request" if wait else "/admin/deliver"
    request = urllib.request.Request(  # noqa: S310 - our own node's loopback URL
        p2p_url + path, data=payload, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body: bytes = response.read()
            return body if response.status == 200 else None
    except urllib.error.HTTPError as exc:
        raise DevnetError(
            f"{p2p_url}{path} refused: {exc.read().decode(errors='replace')}"
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DevnetError(f"cannot reach {p2p_url}: {exc}; is the node up?") from exc


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file ('' if there is none)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def main(argv: Sequence[str] | None = None) -> int:
    """Run a supervisor on ``--data-dir``'s ``devnet.json`` until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m interlace.runtime.live.supervisor")
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def say(text: str) -> None:
        sys.stderr.write(f"{time.strftime('%H:%M:%S')} {text}\n")
        sys.stderr.flush()

    try:
        config = load_config_file(args.data_dir / CONFIG_FILE)
        devnet = Devnet(args.data_dir, config, say=say)
        devnet.start(args.timeout)
    except InterlaceError as exc:
        say(f"error: {exc}")
        return 1
    say("devnet running")
    try:
        devnet.run(stop)
    finally:
        devnet.stop()
        say("devnet stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
