"""NodeHost with tiny fake roles: timers, persist-before-send, request(), transports, crashes."""

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest
from aiohttp import web

from interlace.primitives.record import Record
from interlace.roles.base import (
    Broadcast,
    Effect,
    Event,
    Message,
    MessageReceived,
    NodeId,
    PersistBatch,
    Role,
    SendMessage,
    SetTimer,
    Started,
    StoreView,
    TimerFired,
    Timestamp,
)
from interlace.runtime.live.codec import encode_message
from interlace.runtime.live.node import NodeHost, build_p2p_app, is_loopback
from interlace.runtime.live.transport import HttpTransport, LocalNetwork, LocalTransport
from interlace.runtime.store import MemoryStore, Store


@dataclass(frozen=True, slots=True)
class Ping(Message):
    n: int


@dataclass(frozen=True, slots=True)
class Pong(Message):
    n: int
    seen: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Boom(Message):
    pass


@dataclass(frozen=True, slots=True)
class EchoTimer(Record):
    kind: ClassVar[str] = "echo.timer"
    tag: str


@dataclass(frozen=True, slots=True)
class EchoGossip(Record):
    kind: ClassVar[str] = "echo.gossip"
    n: int


@dataclass(frozen=True, slots=True)
class EchoPing(Record):
    kind: ClassVar[str] = "echo.ping"
    n: int
    raw: bytes


class EchoRole(Role):
    """Persists every ping, answers with a pong, gossips on ``pings``, fires timers."""

    def __init__(self, node_id: NodeId, store: StoreView) -> None:
        self.node_id = node_id
        self.seen = [int.from_bytes(v, "big") for _k, v in store.iterate_prefix(b"ping/")]
        self.fired: list[tuple[str, float]] = []

    def subscriptions(self) -> tuple[str, ...]:
        return ("pings",)

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        if isinstance(event, Started):
            return [
                SetTimer("a", Timestamp(now + 0.05)),
                SetTimer("b", Timestamp(now + 0.02)),
                SetTimer("b", Timestamp(now + 0.08)),  # replaces the first "b"
            ]
        if isinstance(event, TimerFired):
            self.fired.append((event.tag, float(now)))
            return [EchoTimer(tag=event.tag)]
        if isinstance(event, MessageReceived):
            message = event.message
            if isinstance(message, Boom):
                raise RuntimeError("role bug")
            if isinstance(message, Ping):
                self.seen.append(message.n)
                key = b"ping/" + message.n.to_bytes(4, "big")
                return [
                    PersistBatch(((key, message.n.to_bytes(4, "big")),)),
                    SendMessage(event.sender, Pong(message.n, tuple(self.seen))),
                    Broadcast("pings", Ping(message.n + 1000))
                    if message.n < 1000
                    else EchoGossip(n=message.n),
                    EchoPing(n=message.n, raw=b"\x01\x02"),
                ]
        return []


class RecordingStore(MemoryStore):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def write_batch(self, writes: Sequence[tuple[bytes, bytes | None]]) -> None:
        self.log.append("persist")
        super().write_batch(writes)


class RecordingTransport:
    def __init__(self, log: list[str], store: Store) -> None:
        self.log = log
        self.store = store
        self.sent: list[tuple[NodeId, bytes]] = []

    def send(self, to: NodeId, payload: bytes) -> None:
        self.log.append(f"send:{to}")
        self.sent.append((to, payload))

    async def close(self) -> None:
        pass


def run(coro: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(coro(), 20))  # type: ignore[arg-type]


def make_host(
    node: str, store: Store, transport: Any, tmp: Path | None = None, **kw: Any
) -> NodeHost:
    return NodeHost(
        NodeId(node),
        lambda s: EchoRole(NodeId(node), s),
        store,
        transport,
        epoch=0.0,
        topics={"pings": (NodeId("a"), NodeId("b"))},
        data_dir=tmp,
        **kw,
    )


def test_timers_fire_and_replace_by_tag(tmp_path: Path) -> None:
    async def body() -> None:
        log: list[str] = []
        store = RecordingStore(log)
        host = make_host("a", store, RecordingTransport(log, store), tmp_path)
        await host.start()
        await asyncio.sleep(0.2)
        role = host.role
        assert isinstance(role, EchoRole)
        assert [tag for tag, _ in role.fired] == ["a", "b"]  # one "b": the later one
        await host.stop()
        kinds = [
            json.loads(line)["kind"]
            for line in (tmp_path / "events.jsonl").read_text().splitlines()
        ]
        assert kinds == ["echo.timer", "echo.timer"]

    run(body)


def test_persist_happens_before_any_send_of_the_step() -> None:
    async def body() -> None:
        log: list[str] = []
        store = RecordingStore(log)
        transport = RecordingTransport(log, store)
        host = make_host("a", store, transport)
        await host.start()
        await host.started.wait()
        host.receive(NodeId("b"), Ping(7))
        await asyncio.sleep(0.05)
        assert log == ["persist", "send:b", "send:b"]  # the pong, then the gossip to b
        assert store.get(b"ping/" + (7).to_bytes(4, "big")) is not None
        await host.stop()

    run(body)


def test_request_answers_after_persisting() -> None:
    async def body() -> None:
        log: list[str] = []
        store = RecordingStore(log)
        host = make_host("a", store, RecordingTransport(log, store))
        await host.start()
        answer = await host.request(Ping(3))
        assert answer == Pong(3, (3,))
        assert store.get(b"ping/" + (3).to_bytes(4, "big")) is not None
        assert await host.request(Message(), timeout=0.1) is None  # nothing answers
        assert host.stats.unroutable == 0
        await host.stop()

    run(body)


def test_records_reach_subscribers_until_unsubscribed() -> None:
    async def body() -> None:
        log: list[str] = []
        store = RecordingStore(log)
        host = make_host("a", store, RecordingTransport(log, store))
        seen: list[str] = []
        unsubscribe = host.subscribe_records(lambda e: seen.append(e.kind))
        host.subscribe_records(lambda e: 1 / 0)  # type: ignore[func-returns-value]
        await host.start()
        await host.request(Ping(1))
        unsubscribe()
        await host.request(Ping(2))
        assert seen == ["echo.ping"]
        await host.stop()

    run(body)


def test_restart_restores_from_store() -> None:
    async def body() -> None:
        log: list[str] = []
        store = RecordingStore(log)
        host = make_host("a", store, RecordingTransport(log, store))
        await host.start()
        await host.request(Ping(1))
        await host.request(Ping(2))
        await host.stop()
        again = make_host("a", store, RecordingTransport(log, store))
        await again.start()
        assert await again.request(Ping(3)) == Pong(3, (1, 2, 3))
        await again.stop()

    run(body)


def test_a_role_that_raises_stops_the_host(tmp_path: Path) -> None:
    async def body() -> None:
        log: list[str] = []
        store = RecordingStore(log)
        host = make_host("a", store, RecordingTransport(log, store), tmp_path)
        await host.start()
        host.deliver(Boom())
        await asyncio.wait_for(host.stopped.wait(), 2)
        assert isinstance(host.failed, RuntimeError)
        assert host.health()["ok"] is False
        await host.stop()
        lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
        assert lines[-1]["kind"] == "host.crashed"

    run(body)


def test_local_network_carries_messages_and_gossip() -> None:
    async def body() -> None:
        network = LocalNetwork()
        hosts: dict[str, NodeHost] = {}
        for name in ("a", "b"):
            store = MemoryStore()
            host = NodeHost(
                NodeId(name),
                lambda s, n=name: EchoRole(NodeId(n), s),  # type: ignore[misc]
                store,
                LocalTransport(network, NodeId(name)),
                epoch=0.0,
                topics={"pings": (NodeId("a"), NodeId("b"))},
            )
            network.attach(NodeId(name), host)
            hosts[name] = host
            await host.start()
        # a's request makes a broadcast Ping(1005) that reaches b only (never a itself).
        await hosts["a"].request(Ping(5))
        await asyncio.sleep(0.05)
        role_a, role_b = hosts["a"].role, hosts["b"].role
        assert isinstance(role_a, EchoRole) and isinstance(role_b, EchoRole)
        assert role_a.seen == [5]  # b's pong is not a ping; a's own gossip skips a
        assert role_b.seen == [1005]
        for host in hosts.values():
            await host.stop()

    run(body)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_http_transport_end_to_end() -> None:
    async def body() -> None:
        ports = {"a": _free_port(), "b": _free_port()}
        peers = {NodeId(n): f"http://127.0.0.1:{p}" for n, p in ports.items()}
        hosts: dict[str, NodeHost] = {}
        runners: list[web.AppRunner] = []
        for name in ("a", "b"):
            host = make_host(name, MemoryStore(), HttpTransport(NodeId(name), peers))
            runner = web.AppRunner(build_p2p_app(host))
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", ports[name]).start()
            runners.append(runner)
            hosts[name] = host
            await host.start()
        async with aiohttp.ClientSession() as http:
            # A POST from "b" to a: a persists, answers b over the WebSocket and gossips.
            url = peers[NodeId("a")]
            resp = await http.post(
                url + "/p2p", data=encode_message(Ping(9)), headers={"X-Interlace-Sender": "b"}
            )
            assert resp.status == 202
            for _ in range(100):
                role_b = hosts["b"].role
                assert isinstance(role_b, EchoRole)
                if 1009 in role_b.seen:
                    break
                await asyncio.sleep(0.02)
            assert 1009 in role_b.seen
            bad = await http.post(url + "/p2p", data=b"\xc0", headers={"X-Interlace-Sender": "b"})
            assert bad.status == 400
            anonymous = await http.post(url + "/p2p", data=encode_message(Ping(1)))
            assert anonymous.status == 400
            health = await (await http.get(url + "/health")).json()
            assert health["ok"] is True
            assert health["stats"]["malformed"] == 1
            answer = await http.post(url + "/admin/request", data=encode_message(Ping(11)))
            assert answer.status == 200
            await http.post(url + "/admin/deliver", data=encode_message(Ping(12)))
        for host in hosts.values():
            await host.stop()
        for runner in runners:
            await runner.cleanup()

    run(body)


def test_http_transport_survives_a_peer_that_is_down() -> None:
    async def body() -> None:
        port = _free_port()
        peers = {NodeId("b"): f"http://127.0.0.1:{port}"}
        transport = HttpTransport(NodeId("a"), peers, outbox_limit=3)
        for n in range(5):
            transport.send(NodeId("b"), encode_message(Ping(n)))
        transport.send(NodeId("nobody"), b"x")
        await asyncio.sleep(0.2)
        stats = transport.stats()["b"]
        assert stats["dropped"] == 2 and stats["failures"] >= 1
        assert transport.unknown_peer_drops == 1
        # The peer comes up: the queued messages (the newest three) arrive in order.
        received: list[int] = []

        class Inbox:
            def receive_payload(self, sender: NodeId, payload: bytes) -> None:
                from interlace.runtime.live.codec import decode_message

                message = decode_message(payload)
                assert isinstance(message, Ping)
                received.append(message.n)

        inbox = Inbox()

        async def ws(request: web.Request) -> web.WebSocketResponse:
            sock = web.WebSocketResponse()
            await sock.prepare(request)
            async for frame in sock:
                inbox.receive_payload(NodeId(request.query["sender"]), frame.data)
            return sock

        app = web.Application()
        app.router.add_get("/p2p/ws", ws)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        for _ in range(200):
            if len(received) == 3:
                break
            await asyncio.sleep(0.02)
        assert received == [2, 3, 4]
        await transport.close()
        await runner.cleanup()

    run(body)


@pytest.mark.parametrize(
    ("remote", "ok"),
    [("127.0.0.1", True), ("::1", True), ("127.1.2.3", True), ("10.0.0.1", False), (None, False)],
)
def test_admin_is_loopback_only(remote: str | None, ok: bool) -> None:
    assert is_loopback(remote) is ok
