"""One devnet node as an OS process (``python -m interlace.api.node --config FILE --node ID``).

It reads the resolved devnet config, builds the topology, opens the node's
SQLite store under ``<config dir>/<node>/``, rebuilds the role from it,
serves the P2P port (``runtime.live.node.build_p2p_app``) and the JSON-RPC
port (``interlace.api.rpc.server.build_rpc_app``, when that package is
installed), and runs until SIGTERM or SIGINT. Exit codes: 0 after a signal,
2 bad arguments or config, 3 store locked by another process, 4 port in use,
70 the role crashed (the supervisor restarts the process).
"""

import argparse
import asyncio
import contextlib
import errno
import importlib
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final, cast

from aiohttp import web

from interlace.primitives.errors import InputError
from interlace.roles.base import NodeId
from interlace.runtime.live.host import NodeHostApi
from interlace.runtime.live.node import NodeHost, build_p2p_app
from interlace.runtime.live.sqlite_store import SqliteStore, StoreLocked
from interlace.runtime.live.topology import (
    ConfigError,
    build_topology,
    load_config_file,
    resolve_topics,
)
from interlace.runtime.live.transport import HttpTransport

EXIT_OK: Final = 0
EXIT_USAGE: Final = 2
EXIT_LOCKED: Final = 3
EXIT_PORT: Final = 4
EXIT_CRASHED: Final = 70
RPC_MODULE: Final = "interlace.api.rpc.server"

log = logging.getLogger("interlace.node")


class PortInUse(InputError):
    """A node's port is held by another process."""


def load_rpc_builder() -> Callable[[NodeHostApi], web.Application] | None:
    """``build_rpc_app`` from ``interlace.api.rpc.server``, or None while it is not there."""
    try:
        module = importlib.import_module(RPC_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name in (RPC_MODULE, "interlace.api.rpc"):
            return None
        raise
    builder = getattr(module, "build_rpc_app", None)
    return cast("Callable[[NodeHostApi], web.Application]", builder) if callable(builder) else None


async def run_node(config_path: Path, node: NodeId) -> int:
    """Run one node until a signal (0) or a role crash (70)."""
    config = load_config_file(config_path)
    topology = build_topology(config)
    spec = topology.nodes.get(node)
    if spec is None:
        raise ConfigError(f"no node {node!r} in this devnet (nodes: {', '.join(topology.nodes)})")
    data_dir = config_path.parent / node
    store = SqliteStore(data_dir, "full" if config.synchronous == "full" else "normal")
    peers = {n: topology.p2p_url(n) for n in topology.nodes if n != node}
    host = NodeHost(
        node,
        spec.factory,
        store,
        HttpTransport(node, peers, config.outbox_limit),
        epoch=config.epoch,
        topics=resolve_topics(topology),
        data_dir=data_dir,
    )
    runners: list[web.AppRunner] = []
    try:
        await host.start()
        runners.append(await _serve(build_p2p_app(host), config.host, spec.p2p_port, "p2p", node))
        build_rpc = load_rpc_builder()
        if build_rpc is not None:
            runners.append(await _serve(build_rpc(host), config.host, spec.rpc_port, "rpc", node))
        log.info("%s up: p2p %s rpc %s", node, spec.p2p_port, spec.rpc_port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        stopping = asyncio.ensure_future(stop.wait())
        crashed = asyncio.ensure_future(host.stopped.wait())
        await asyncio.wait({stopping, crashed}, return_when=asyncio.FIRST_COMPLETED)
        for task in (stopping, crashed):
            task.cancel()
        return EXIT_CRASHED if host.failed is not None else EXIT_OK
    finally:
        await host.stop()  # our outgoing links first, so peers' shutdowns do not wait on us
        for runner in runners:
            await runner.cleanup()
        store.close()


async def _serve(app: web.Application, host: str, port: int, what: str, node: str) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"port {port} ({what} of {node}) is in use: stop what holds it "
                "(another devnet?) or start the devnet with another --port-base"
            ) from exc
        raise
    return runner


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the node, map typed errors to exit codes and one clear line."""
    parser = argparse.ArgumentParser(prog="python -m interlace.api.node", description=__doc__)
    parser.add_argument("--config", required=True, type=Path, help="the devnet's devnet.json")
    parser.add_argument("--node", required=True, help="node id, e.g. seq-901")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    try:
        return asyncio.run(run_node(args.config, NodeId(args.node)))
    except ConfigError as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    except StoreLocked as exc:
        log.error("%s", exc)
        return EXIT_LOCKED
    except PortInUse as exc:
        log.error("%s", exc)
        return EXIT_PORT
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
