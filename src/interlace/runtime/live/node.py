"""The node host: one sans-IO role driven by asyncio, real time, a SQLite store and the network.

``NodeHost`` implements ``NodeHostApi`` (``host.py``). It feeds the role one
event at a time (``Started``, due timers, messages from peers, RPC requests)
and carries out the effects of each step in this order:

1. every ``PersistBatch`` of the step is committed to the store, as one
   transaction, before anything else happens, so nothing the step sends
   (an acknowledgement, a gossiped block) can outlive a crash that loses
   the state behind it;
2. timers are (re)armed (``SetTimer`` replaces a timer with the same tag),
   records are appended to ``events.jsonl`` and handed to subscribers;
3. messages are queued to their peers (``SendMessage``) or to every
   subscriber of the topic (``Broadcast``), or answer a pending ``request``.

Time is ``Timestamp`` = seconds since the devnet's epoch (a Unix time from
the config, shared by every node), advanced by the monotonic clock. A role
that raises is a bug: the host records ``host.crashed`` and stops, and the
supervisor restarts the process, which rebuilds the role from its store.

``build_p2p_app`` serves the node-to-node side: ``POST /p2p`` (one encoded
message, the sender in ``X-Interlace-Sender``), ``GET /p2p/ws`` (a stream of
them), ``GET /health``, and the loopback-only ``POST /admin/deliver`` and
``POST /admin/request`` for control messages (``SetByzantine`` …).
"""

import asyncio
import contextlib
import ipaddress
import json
import logging
import time
import traceback
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar, Final

from aiohttp import WSCloseCode, WSMsgType, web

from interlace.primitives.errors import MalformedInput
from interlace.primitives.record import Record, record_fields
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
from interlace.roles.batcher import Batcher
from interlace.roles.hub import Hub
from interlace.roles.l1_node import L1Node
from interlace.roles.relayer import Relayer
from interlace.roles.sequencer import Sequencer
from interlace.roles.verifier import VerifierNode
from interlace.runtime.live.codec import MalformedMessage, decode_message, encode_message
from interlace.runtime.live.transport import SENDER_HEADER, SENDER_PARAM, Transport
from interlace.runtime.store import Store

EVENTS_FILE: Final = "events.jsonl"
INBOX_LIMIT: Final = 100_000
"""Network messages waiting for the role beyond this are dropped (the role is overloaded)."""
MAX_NODE_ID: Final = 64
ADMIN_SENDER: Final = NodeId("admin")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HostCrashed(Record):
    """The role raised while handling an event (a bug); the host stopped the node."""

    kind: ClassVar[str] = "host.crashed"
    error: str
    """The exception's class name."""
    reason: str
    """Its message."""


@dataclass(slots=True)
class HostStats:
    """Counters for ``/health``."""

    steps: int = 0
    received: int = 0
    malformed: int = 0
    inbox_drops: int = 0
    unroutable: int = 0
    requests: int = 0


class NodeHost:
    """See the module docstring."""

    def __init__(
        self,
        node_id: NodeId,
        factory: Callable[[StoreView], Role],
        store: Store,
        transport: Transport,
        *,
        epoch: float,
        topics: Mapping[str, tuple[NodeId, ...]],
        data_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._node_id = node_id
        self._factory = factory
        self._store = store
        self.transport = transport
        self.topics = dict(topics)
        self.data_dir = data_dir
        self.stats = HostStats()
        self._epoch = epoch
        self._wall_at_start = clock()
        self._mono_at_start = time.monotonic()
        self._role: Role | None = None
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._waiting: dict[NodeId, asyncio.Future[Message]] = {}
        self._record_callbacks: list[Callable[[Record], None]] = []
        self._request_seq = 0
        self._worker: asyncio.Task[None] | None = None
        self._events_file: IO[str] | None = None
        self.started = asyncio.Event()
        self.failed: BaseException | None = None
        self.stopped = asyncio.Event()

    # ---- NodeHostApi -------------------------------------------------------------

    @property
    def node_id(self) -> NodeId:
        return self._node_id

    @property
    def role(self) -> Role:
        if self._role is None:
            raise RuntimeError("the node host has not started its role yet")
        return self._role

    @property
    def store(self) -> Store:
        return self._store

    def now(self) -> Timestamp:
        elapsed = time.monotonic() - self._mono_at_start
        return Timestamp(self._wall_at_start - self._epoch + elapsed)

    async def request(self, message: Message, *, timeout: float = 10.0) -> Message | None:
        self._request_seq += 1
        self.stats.requests += 1
        sender = NodeId(f"rpc-{self._request_seq}")
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._waiting[sender] = future
        self._queue.put_nowait(MessageReceived(sender, message))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(sender, None)

    def deliver(self, message: Message) -> None:
        self._queue.put_nowait(MessageReceived(ADMIN_SENDER, message))

    def subscribe_records(self, callback: Callable[[Record], None]) -> Callable[[], None]:
        self._record_callbacks.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._record_callbacks.remove(callback)

        return unsubscribe

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild the role from the store and start handling events (``Started`` first)."""
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._events_file = (self.data_dir / EVENTS_FILE).open("a", encoding="utf-8")
        self._role = self._factory(self._store)
        self._queue.put_nowait(Started())
        self._worker = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop handling events, cancel timers, close the transport and the events log."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        await self.transport.close()
        if self._events_file is not None:
            self._events_file.close()
            self._events_file = None
        self.stopped.set()

    async def _run(self) -> None:
        try:
            while True:
                event = await self._queue.get()
                self._step(event)
                if isinstance(event, Started):
                    self.started.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a role bug: record it and stop the node
            self.failed = exc
            log.error("role %s crashed:\n%s", self._node_id, traceback.format_exc())
            self._write_record(self.now(), HostCrashed(error=type(exc).__name__, reason=str(exc)))
            self.stopped.set()

    # ---- inbound -----------------------------------------------------------------------

    def receive_payload(self, sender: NodeId, payload: bytes) -> None:
        """A peer's encoded message: decode and queue it (``MalformedMessage`` if foreign)."""
        try:
            message = decode_message(payload)
        except MalformedMessage:
            self.stats.malformed += 1
            raise
        self.receive(sender, message)

    def receive(self, sender: NodeId, message: Message) -> None:
        """Queue a decoded message from ``sender`` (dropped if the role is far behind)."""
        if self._queue.qsize() >= INBOX_LIMIT:
            self.stats.inbox_drops += 1
            return
        self.stats.received += 1
        self._queue.put_nowait(MessageReceived(sender, message))

    # ---- one step ----------------------------------------------------------------------

    def _step(self, event: Event) -> None:
        role = self._role
        assert role is not None
        now = self.now()
        effects = role.handle(event, now)
        self.stats.steps += 1
        writes = [w for e in effects if isinstance(e, PersistBatch) for w in e.writes]
        if writes:
            self._store.write_batch(writes)  # durable before anything of this step leaves
        for effect in effects:
            self._apply(effect, now)

    def _apply(self, effect: Effect, now: Timestamp) -> None:
        if isinstance(effect, SendMessage):
            self._send(effect.to, effect.message)
        elif isinstance(effect, Broadcast):
            for subscriber in self.topics.get(effect.topic, ()):
                if subscriber != self._node_id:
                    self._send(subscriber, effect.message)
        elif isinstance(effect, SetTimer):
            self._set_timer(effect.tag, float(effect.at) - float(now))
        elif isinstance(effect, Record):
            self._record(now, effect)

    def _send(self, to: NodeId, message: Message) -> None:
        future = self._waiting.pop(to, None)
        if future is not None:
            if not future.done():
                future.set_result(message)
            return
        if to == self._node_id:
            self._queue.put_nowait(MessageReceived(to, message))
            return
        if to.startswith("rpc-") or to == ADMIN_SENDER:
            self.stats.unroutable += 1  # an answer nobody waits for any more
            return
        self.transport.send(to, encode_message(message))

    def _set_timer(self, tag: str, delay: float) -> None:
        old = self._timers.pop(tag, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self._timers[tag] = loop.call_later(max(delay, 0.0), self._fire, tag)

    def _fire(self, tag: str) -> None:
        self._timers.pop(tag, None)
        self._queue.put_nowait(TimerFired(tag))

    def _record(self, now: Timestamp, event: Record) -> None:
        self._write_record(now, event)
        for callback in list(self._record_callbacks):
            try:
                callback(event)
            except Exception:
                log.exception("record subscriber failed")

    def _write_record(self, now: Timestamp, event: Record) -> None:
        if self._events_file is None:
            return
        line = {
            "t": round(float(now), 4),
            "node": self._node_id,
            "kind": event.kind,
            **{k: _json_value(v) for k, v in record_fields(event)},
        }
        self._events_file.write(json.dumps(line) + "\n")
        self._events_file.flush()

    # ---- observation ---------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """What ``GET /health`` answers."""
        role = self._role
        stats = {
            "steps": self.stats.steps,
            "received": self.stats.received,
            "malformed": self.stats.malformed,
            "inbox_drops": self.stats.inbox_drops,
            "queued": self._queue.qsize(),
        }
        peers = getattr(self.transport, "stats", None)
        return {
            "node": self._node_id,
            "ok": self.started.is_set() and self.failed is None,
            "role": type(role).__name__ if role is not None else None,
            "now": round(float(self.now()), 3),
            "stats": stats,
            "peers": peers() if callable(peers) else {},
            **(summarize_role(role) if role is not None and self.started.is_set() else {}),
        }


def summarize_role(role: Role) -> dict[str, Any]:
    """A few numbers that say where a role is (heads, evidence), for ``/health``."""
    if isinstance(role, L1Node):
        return {
            "chain_id": role.params.genesis.config.chain_id,
            "head": role.head.number,
            "safe": role.safe_number,
            "finalized": role.finalized_number,
        }
    if isinstance(role, Sequencer):
        return {
            "chain_id": role.chain_id,
            "head": role.chain.head.number,
            "head_hash": "0x" + role.chain.head.hash.hex(),
            "pending": len(role.mempool),
            "equivocating": role.equivocate,
        }
    if isinstance(role, VerifierNode):
        return {
            "chain_id": role.params.genesis.chain_id,
            "safe": role.safe_head,
            "frozen": role.frozen,
            "evidence": len(role.evidence),
        }
    if isinstance(role, Hub):
        return {
            "head": role.head.number,
            "evidence": len(role.tracker.evidence),
            "frozen": sorted(c for c, client in role.tracker.clients.items() if client.frozen),
            "heads": {str(c): client.head for c, client in sorted(role.tracker.clients.items())},
        }
    if isinstance(role, Relayer):
        return {"delivered": role.delivered, "open": len(role.messages)}
    if isinstance(role, Batcher):
        return {"chain_id": role.params.chain_id}
    return {}


def _json_value(value: object) -> object:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return str(value)


# ---- the P2P server --------------------------------------------------------------------


def build_p2p_app(host: NodeHost) -> web.Application:
    """Routes of a node's P2P port (see the module docstring)."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

    async def close_sockets(app: web.Application) -> None:
        # Peers keep their links open; without this, shutdown waits for them.
        del app
        for ws in list(sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"node shutting down")

    app.on_shutdown.append(close_sockets)
    app.router.add_post("/p2p", _handler_post(host))
    app.router.add_get("/p2p/ws", _handler_ws(host, sockets))
    app.router.add_get("/health", _handler_health(host))
    app.router.add_post("/admin/deliver", _handler_admin(host, wait=False))
    app.router.add_post("/admin/request", _handler_admin(host, wait=True))
    return app


Handler = Callable[[web.Request], Any]


def _sender_of(value: str | None) -> NodeId:
    if not value or len(value) > MAX_NODE_ID or not value.isprintable():
        raise web.HTTPBadRequest(text="name the sending node (X-Interlace-Sender / ?sender=)")
    return NodeId(value)


def _handler_post(host: NodeHost) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        sender = _sender_of(request.headers.get(SENDER_HEADER))
        payload = await request.read()
        try:
            host.receive_payload(sender, payload)
        except MalformedInput as exc:
            raise web.HTTPBadRequest(text=f"malformed message: {exc}") from exc
        return web.Response(status=202)

    return handle


def _handler_ws(host: NodeHost, sockets: "weakref.WeakSet[web.WebSocketResponse]") -> Handler:
    async def handle(request: web.Request) -> web.WebSocketResponse:
        sender = _sender_of(request.query.get(SENDER_PARAM))
        ws = web.WebSocketResponse(max_msg_size=64 * 1024 * 1024, heartbeat=10.0)
        await ws.prepare(request)
        sockets.add(ws)
        async for frame in ws:
            if frame.type != WSMsgType.BINARY:
                continue
            with contextlib.suppress(MalformedInput):  # counted in stats; the link stays up
                host.receive_payload(sender, frame.data)
        return ws

    return handle


def _handler_health(host: NodeHost) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        del request
        body = host.health()
        return web.json_response(body, status=200 if body["ok"] else 503)

    return handle


def is_loopback(remote: str | None) -> bool:
    """True for 127.0.0.0/8 and ::1 (admin endpoints answer nobody else)."""
    if not remote:
        return False
    try:
        return ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


def _handler_admin(host: NodeHost, *, wait: bool) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        if not is_loopback(request.remote):
            raise web.HTTPForbidden(text="admin endpoints answer loopback callers only")
        try:
            message = decode_message(await request.read())
        except MalformedInput as exc:
            raise web.HTTPBadRequest(text=f"malformed message: {exc}") from exc
        if not wait:
            host.deliver(message)
            return web.Response(status=202)
        timeout = float(request.query.get("timeout", "10"))
        answer = await host.request(message, timeout=min(max(timeout, 0.0), 60.0))
        if answer is None:
            return web.Response(status=204)
        return web.Response(body=encode_message(answer), content_type="application/octet-stream")

    return handle
