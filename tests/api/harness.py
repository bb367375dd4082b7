"""Serve simulator roles over real HTTP: the RPC app behind a fake host, no processes.

A small simulator world (one L1, two rollups, the hub and the relayer, no
workload) provides the roles. ``SimHost`` implements ``NodeHostApi`` over
one of its nodes: ``request`` adds a one-shot ``Mailbox`` peer that sends
the message and keeps the reply, then runs the simulator until the reply
arrives (virtual time, a few milliseconds of it). ``serve_world`` starts an
aiohttp ``TestServer`` per node plus a ticker that advances virtual time ten
times faster than wall time, so blocks keep coming while a synchronous
client (web3.py, the SDK, the CLI) runs in a worker thread.
"""

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Final

from aiohttp.test_utils import TestServer

from interlace.api.rpc import build_rpc_app
from interlace.primitives.keys import PrivateKey
from interlace.primitives.record import Record
from interlace.roles.base import (
    Effect,
    Event,
    Message,
    MessageReceived,
    NodeId,
    Role,
    SendMessage,
    Started,
    StoreView,
    Timestamp,
)
from interlace.roles.client import dev_key
from interlace.runtime.sim.kernel import Simulator
from interlace.runtime.sim.scenario import (
    AccountsSpec,
    HubSpec,
    L1Spec,
    NetworkSpec,
    RollupSpec,
    Scenario,
    WorkloadSpec,
)
from interlace.runtime.sim.world import World
from interlace.runtime.store import Store

SEED: Final = 7
CHAINS: Final = (901, 902)
WARMUP: Final = 12.0
"""Virtual seconds run before serving: L1 blocks, rollup blocks and hub blocks exist."""


def make_world(*, relayer: bool = True) -> World:
    """Two rollups (901 pre-confirmed, 902 peer-to-peer), the hub, no workload traffic."""
    scenario = Scenario(
        name="rpc-test",
        description="RPC tests",
        duration=10_000.0,
        drain=0.0,
        l1=L1Spec(block_time=2.0, safe_depth=1, finality_depth=3),
        rollups=RollupSpec(count=2, trust_modes=("preconfirmed", "p2p"), confirmation_depth=1),
        workload=WorkloadSpec(transfers_per_block=0, messages_per_block=0),
        accounts=AccountsSpec(per_chain=3),
        network=NetworkSpec(latency_ms=1.0, jitter_ms=0.0),
        hub=HubSpec(enabled=True, relayer=relayer),
    )
    world = World(scenario, SEED)
    world.sim.run_until(WARMUP)
    return world


def user_key(chain: int, index: int = 0) -> PrivateKey:
    """A funded development account on ``chain`` (the workload sends nothing from them)."""
    return dev_key(SEED, f"rollup-{chain}", index)


def l1_key() -> PrivateKey:
    """The funded L1 development account."""
    return dev_key(SEED, "l1", 0)


class Mailbox(Role):
    """A one-shot peer: sends ``message`` to ``target`` when started, keeps what comes back."""

    def __init__(self, node_id: NodeId, target: NodeId, message: Message) -> None:
        self.node_id = node_id
        self.target = target
        self.message = message
        self.replies: list[Message] = []

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        if isinstance(event, Started):
            return [SendMessage(self.target, self.message)]
        if isinstance(event, MessageReceived):
            self.replies.append(event.message)
        return []


class _RecordTap:
    def __init__(self, node: NodeId, callback: Callable[[Record], None]) -> None:
        self.node = node
        self.callback = callback

    def on_record(self, now: Timestamp, node: NodeId, event: Record) -> None:
        if node == self.node:
            self.callback(event)

    def after_step(self, sim: Simulator) -> None:
        del sim


class SimHost:
    """``NodeHostApi`` over one node of a simulator world (see the module docstring)."""

    _ids = itertools.count()

    def __init__(self, world: World, node_id: str) -> None:
        self.world = world
        self._node = NodeId(node_id)
        self.requests: list[Message] = []

    @property
    def node_id(self) -> NodeId:
        return self._node

    @property
    def role(self) -> Role:
        role = self.world.sim.role(self._node)
        assert role is not None
        return role

    @property
    def store(self) -> Store:
        return self.world.sim.nodes[self._node].store

    def now(self) -> Timestamp:
        return self.world.sim.now

    def _mailbox(self, message: Message) -> Mailbox:
        self.requests.append(message)
        name = NodeId(f"rpc-{next(self._ids)}")
        box = Mailbox(name, self._node, message)

        def factory(store: StoreView) -> Role:
            del store
            return box

        self.world.sim.add_node(name, factory)
        return box

    async def request(self, message: Message, *, timeout: float = 10.0) -> Message | None:
        box = self._mailbox(message)
        sim = self.world.sim
        deadline = sim.now + timeout
        while not box.replies and sim.now < deadline:
            sim.run_until(sim.now + 0.005)
        return box.replies[0] if box.replies else None

    def deliver(self, message: Message) -> None:
        self._mailbox(message)

    def subscribe_records(self, callback: Callable[[Record], None]) -> Callable[[], None]:
        tap = _RecordTap(self._node, callback)
        self.world.sim.observers.append(tap)
        return lambda: self.world.sim.observers.remove(tap)


def advance(world: World, seconds: float) -> None:
    """Run the world ``seconds`` of virtual time further."""
    world.sim.run_until(world.sim.now + seconds)


async def _tick(world: World, step: float, every: float) -> None:
    while True:
        world.sim.run_until(world.sim.now + step)
        await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def serve_world(
    world: World, nodes: tuple[str, ...], *, tick: bool = True
) -> AsyncIterator[dict[str, str]]:
    """Serve each node's RPC app on loopback; yield node id → base URL."""
    servers = [TestServer(build_rpc_app(SimHost(world, node)), port=0) for node in nodes]
    for server in servers:
        await server.start_server()
    ticker = asyncio.get_running_loop().create_task(_tick(world, 0.05, 0.005)) if tick else None
    try:
        yield {node: str(server.make_url("/")) for node, server in zip(nodes, servers, strict=True)}
    finally:
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        for server in servers:
            await server.close()


ALL_NODES: Final = (
    "l1",
    "seq-901",
    "seq-902",
    "verifier-901",
    "verifier-902",
    "hub",
    "relayer",
)
_KINDS: Final = {"l1": "l1", "seq": "sequencer", "verifier": "verifier"}


def write_endpoints(data_dir: Path, urls: dict[str, str]) -> Path:
    """An ``endpoints.json`` in the devnet's schema for the served nodes."""
    nodes = {}
    for name, url in urls.items():
        prefix, _, chain = name.partition("-")
        rpc = url.rstrip("/")
        nodes[name] = {
            "kind": _KINDS.get(prefix, name),
            "chain_id": int(chain) if chain else (900 if name == "l1" else None),
            "rpc_http": rpc,
            "rpc_ws": rpc.replace("http://", "ws://", 1) + "/ws",
        }
    accounts = [
        {"address": "0x" + k.address.hex(), "private_key": "0x" + k.secret.hex()}
        for k in (user_key(901, 0), user_key(901, 1), user_key(902, 0))
    ]
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "endpoints.json"
    path.write_text(json.dumps({"nodes": nodes, "accounts": accounts}, indent=2))
    return path


def run_against_world(
    flow: Callable[[dict[str, str]], Any],
    *,
    nodes: tuple[str, ...] = ALL_NODES,
    relayer: bool = True,
    world: World | None = None,
) -> Any:
    """Serve ``nodes`` of a (fresh) world and run the synchronous ``flow(urls)`` in a thread."""

    async def main() -> Any:
        served = world if world is not None else make_world(relayer=relayer)
        async with serve_world(served, nodes) as urls:
            return await asyncio.to_thread(flow, urls)

    return asyncio.run(main())
