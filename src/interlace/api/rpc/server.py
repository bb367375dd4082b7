"""The aiohttp application every live node serves: JSON-RPC over HTTP and WebSocket.

``build_rpc_app(host)`` returns an ``aiohttp.web.Application`` with:

- ``POST /``: JSON-RPC 2.0, one request or a batch (at most ``MAX_BATCH``),
  bodies up to ``MAX_REQUEST_BYTES``;
- ``GET /ws``: the same methods over a WebSocket, plus ``eth_subscribe`` /
  ``eth_unsubscribe`` (``newHeads``, ``logs``);
- ``GET /health``: ``interlace_health`` as plain JSON, for supervisors;
- ``GET /``: one line saying what this endpoint is.

Every malformed input gets a JSON-RPC error (docs/rpc.md lists the codes)
and the node keeps serving; nothing raised by a handler reaches the wire as
a traceback.
"""

import json
import re
from typing import Final

from aiohttp import WSMsgType, web

from interlace.api.rpc.chain import ChainIndex
from interlace.api.rpc.dispatch import (
    CHAIN_NODES,
    Dispatcher,
    Method,
    RpcContext,
    error_response,
    method_table,
)
from interlace.api.rpc.errors import (
    InvalidParams,
    InvalidRequest,
    LimitExceeded,
    MethodNotSupported,
    ParseError,
    RpcError,
)
from interlace.api.rpc.eth import ETH_METHODS
from interlace.api.rpc.interlace import INTERLACE_METHODS, health
from interlace.api.rpc.params import LogFilter, Param, parse_string
from interlace.api.rpc.subscriptions import (
    MAX_SUBSCRIPTIONS,
    HeadWatcher,
    Session,
    logs_filter_of,
)
from interlace.runtime.live.host import NodeHostApi

MAX_REQUEST_BYTES: Final = 5 * 1024 * 1024
"""Largest HTTP body or WebSocket message accepted (geth's limit)."""


def _subscribe(ctx: RpcContext, kind: str, log_filter: LogFilter | None) -> str:
    session = ctx.websocket
    if not isinstance(session, WsContext):
        raise MethodNotSupported(
            "eth_subscribe needs a WebSocket connection: connect to the node's /ws endpoint"
        )
    if kind not in ("newHeads", "logs"):
        raise InvalidParams(f"unsupported subscription {kind!r} (supported: newHeads, logs)")
    if kind == "newHeads" and log_filter is not None:
        raise InvalidParams("a newHeads subscription takes no options")
    if kind == "logs" and log_filter is None:
        log_filter = logs_filter_of({})
    if len(session.session.subscriptions) >= MAX_SUBSCRIPTIONS:
        raise LimitExceeded(f"at most {MAX_SUBSCRIPTIONS} subscriptions per connection")
    return session.watcher.subscribe(session.session, kind, log_filter)


def _unsubscribe(ctx: RpcContext, sub_id: str) -> bool:
    session = ctx.websocket
    if not isinstance(session, WsContext):
        raise MethodNotSupported("eth_unsubscribe needs the WebSocket connection that subscribed")
    return session.watcher.unsubscribe(session.session, sub_id)


SUBSCRIPTION_METHODS: Final = (
    Method(
        "eth_subscribe",
        (Param("kind", parse_string), Param("options", logs_filter_of, required=False)),
        _subscribe,
        CHAIN_NODES,
        "newHeads / logs notifications (WebSocket only)",
    ),
    Method(
        "eth_unsubscribe",
        (Param("subscription", parse_string),),
        _unsubscribe,
        CHAIN_NODES,
        "cancel a subscription",
    ),
)

METHODS: Final = method_table(ETH_METHODS, INTERLACE_METHODS, SUBSCRIPTION_METHODS)
"""Every JSON-RPC method Interlace serves, by name."""


class WsContext:
    """What a WebSocket request's handlers see of their connection."""

    def __init__(self, session: Session, watcher: HeadWatcher) -> None:
        self.session = session
        self.watcher = watcher


class RpcServer:
    """The request handlers of one node's application."""

    def __init__(self, host: NodeHostApi) -> None:
        self.host = host
        self.dispatcher = Dispatcher(METHODS)
        self.index = ChainIndex()
        self.watcher = HeadWatcher(host)
        self.sessions: set[Session] = set()

    def _context(self, ws: WsContext | None = None) -> RpcContext:
        return RpcContext(self.host, self.index, ws)

    async def answer_text(self, text: str | bytes, ctx: RpcContext) -> object | None:
        """Parse one JSON-RPC payload and answer it."""
        if len(text) > MAX_REQUEST_BYTES:
            return error_response(None, _too_large(len(text)))
        raw = text.encode() if isinstance(text, str) else text
        if json_too_deep(raw):
            return error_response(
                None, ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            )
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            return error_response(None, ParseError(f"invalid JSON: {_short(exc)}"))
        return await self.dispatcher.handle_payload(payload, ctx)

    async def handle_http(self, request: web.Request) -> web.StreamResponse:
        """``POST /``."""
        try:
            body = await _read_limited(request)
        except RpcError as exc:
            return web.json_response(error_response(None, exc), status=413)
        answer = await self.answer_text(body, self._context())
        if answer is None:
            return web.Response(status=204)
        return web.json_response(answer, dumps=json.dumps)

    async def handle_info(self, request: web.Request) -> web.StreamResponse:
        """``GET /``: what this endpoint is."""
        return web.Response(
            text=f"Interlace JSON-RPC ({self.host.node_id}): POST JSON-RPC 2.0 here, "
            "WebSocket at /ws, health at /health\n"
        )

    async def handle_health(self, request: web.Request) -> web.StreamResponse:
        """``GET /health``."""
        return web.json_response(health(self._context()))

    async def handle_ws(self, request: web.Request) -> web.StreamResponse:
        """``GET /ws``: JSON-RPC over a WebSocket, with subscriptions."""
        ws = web.WebSocketResponse(max_msg_size=2 * MAX_REQUEST_BYTES, heartbeat=30.0)
        await ws.prepare(request)
        session = Session(ws)
        self.sessions.add(session)
        ctx = self._context(WsContext(session, self.watcher))
        try:
            async for message in ws:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    answer = await self.answer_text(message.data, ctx)
                    if answer is not None:
                        session.send(answer)
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            self.watcher.drop_session(session)
            self.sessions.discard(session)
            await session.close()
        return ws

    async def shutdown(self, app: web.Application) -> None:
        """Close WebSockets and stop polling (``on_shutdown``)."""
        await self.watcher.stop()
        for session in list(self.sessions):
            await session.ws.close(code=1001, message=b"node shutting down")


MAX_JSON_DEPTH: Final = 32
"""Deepest array/object nesting accepted (a JSON-RPC request needs about six levels)."""

_NOT_BRACKETS: Final = bytes(b for b in range(256) if b not in b"[]{}")
_ESCAPE: Final = re.compile(rb"\\.", re.DOTALL)
_STRING: Final = re.compile(rb'"[^"]*"')

SERVER_KEY: Final = web.AppKey("interlace_rpc_server", RpcServer)
"""The app's ``RpcServer`` (tests and the node host may reach it through ``app[SERVER_KEY]``)."""


def build_rpc_app(host: NodeHostApi) -> web.Application:
    """The node's JSON-RPC application (see the module docstring)."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    server = RpcServer(host)
    app[SERVER_KEY] = server
    app.router.add_post("/", server.handle_http)
    app.router.add_get("/", server.handle_info)
    app.router.add_get("/ws", server.handle_ws)
    app.router.add_get("/health", server.handle_health)
    app.on_shutdown.append(server.shutdown)
    return app


async def _read_limited(request: web.Request) -> bytes:
    length = request.content_length
    if length is not None and length > MAX_REQUEST_BYTES:
        raise _too_large(length)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise _too_large(size)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int) -> InvalidRequest:
    return InvalidRequest(f"request of {size} bytes exceeds the limit of {MAX_REQUEST_BYTES} bytes")


def json_too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if the arrays/objects in ``raw`` nest deeper than ``limit``.

    Checked before ``json.loads``, whose C decoder recurses once per level:
    with a raised recursion limit (py-evm and py_ecc raise it to 100,000) a
    deeply nested body overflows the C stack. Strings are removed first,
    then only the brackets are kept and the innermost pairs are peeled off
    one level per pass, in C, stopping after ``limit`` passes.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", _ESCAPE.sub(b"", raw)).translate(None, _NOT_BRACKETS)
    for _level in range(limit):
        peeled = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if len(peeled) == len(brackets):
            return False  # no pairs left (or unbalanced): the parser reports it
        brackets = peeled
    return bool(brackets)


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:120]
