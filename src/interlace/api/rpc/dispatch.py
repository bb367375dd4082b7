"""The method table and the JSON-RPC 2.0 dispatcher, independent of the transport.

A ``Method`` names its positional parameters (``params.Param``) and the node
kinds that serve it; ``Dispatcher.handle_payload`` takes one decoded JSON
payload (a request or a batch) and returns the response payload, or None
when every request was a notification. Parameters are parsed before the
handler runs, so a handler only ever sees typed values; every failure
becomes a JSON-RPC error object and nothing escapes to the transport.
"""

import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from interlace.api.rpc.chain import ChainIndex, ChainView, chain_view_of
from interlace.api.rpc.errors import (
    InternalError,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    MethodNotSupported,
    RpcError,
)
from interlace.api.rpc.params import Param, ParamError
from interlace.roles.base import Role
from interlace.roles.hub import Hub
from interlace.roles.l1_node import L1Node
from interlace.roles.relayer import Relayer
from interlace.roles.sequencer import Sequencer
from interlace.roles.verifier import VerifierNode
from interlace.runtime.live.host import NodeHostApi

MAX_BATCH: Final = 100
"""Most requests in one batch."""
ALL_NODES: Final = frozenset({"l1", "sequencer", "verifier", "hub", "relayer", "other"})
CHAIN_NODES: Final = frozenset({"l1", "sequencer", "verifier"})

_log = logging.getLogger("interlace.api.rpc")

Handler = Callable[..., Any]


def node_kind(role: Role) -> str:
    """``l1``, ``sequencer``, ``verifier``, ``hub``, ``relayer`` or ``other``."""
    if isinstance(role, L1Node):
        return "l1"
    if isinstance(role, Sequencer):
        return "sequencer"
    if isinstance(role, VerifierNode):
        return "verifier"
    if isinstance(role, Hub):
        return "hub"
    if isinstance(role, Relayer):
        return "relayer"
    return "other"


@dataclass(frozen=True, slots=True)
class Method:
    """One JSON-RPC method."""

    name: str
    """Wire name, e.g. ``eth_getBalance``."""
    params: tuple[Param, ...]
    """Positional parameters, required ones first."""
    handler: Handler
    """``handler(ctx, *args)``; may be a coroutine function."""
    nodes: frozenset[str] = ALL_NODES
    """Node kinds that serve it."""
    summary: str = ""
    """One line for docs and errors."""


@dataclass(slots=True)
class RpcContext:
    """What a handler sees: the host, the node kind and the RPC layer's own index."""

    host: NodeHostApi
    """The running node."""
    index: ChainIndex = field(default_factory=ChainIndex)
    """Transaction/block hash index of the node's chain."""
    websocket: Any = None
    """The WebSocket session, when the request came over ``/ws``."""

    @property
    def role(self) -> Role:
        """The node's role (read only)."""
        return self.host.role

    @property
    def kind(self) -> str:
        """Node kind (``node_kind``)."""
        return node_kind(self.host.role)

    def view(self) -> ChainView:
        """The node's chain; only called by methods restricted to chain nodes."""
        view = chain_view_of(self.host.role)
        if view is None:
            raise MethodNotSupported(f"a {self.kind} node holds no chain")
        return view


class Dispatcher:
    """Routes JSON-RPC payloads to methods (see the module docstring)."""

    def __init__(self, methods: Mapping[str, Method]) -> None:
        self.methods = dict(methods)

    async def handle_payload(self, payload: object, ctx: RpcContext) -> object | None:
        """Answer one request or a batch; None if nothing needs an answer."""
        if isinstance(payload, list):
            if not payload:
                return error_response(None, InvalidRequest("empty batch"))
            if len(payload) > MAX_BATCH:
                return error_response(
                    None,
                    InvalidRequest(
                        f"batch of {len(payload)} requests exceeds the limit of {MAX_BATCH}"
                    ),
                )
            answers = []
            for item in payload:
                answer = await self.handle_request(item, ctx)
                if answer is not None:
                    answers.append(answer)
            return answers or None
        return await self.handle_request(payload, ctx)

    async def handle_request(self, request: object, ctx: RpcContext) -> dict[str, Any] | None:
        """Answer one request object (None for a notification)."""
        if not isinstance(request, dict):
            return error_response(None, InvalidRequest("a request must be a JSON object"))
        request_id = request.get("id")
        notification = "id" not in request
        if not isinstance(request_id, str | int | float | None) or isinstance(request_id, bool):
            return error_response(None, InvalidRequest("id must be a string, a number or null"))
        try:
            result = await self._call(request, ctx)
        except RpcError as exc:
            return None if notification else error_response(request_id, exc)
        except Exception:  # noqa: BLE001 - a bug: logged here, never sent as a traceback
            _log.exception("internal error in %s", request.get("method"))
            error = InternalError(f"internal error while serving {request.get('method')!r}")
            return None if notification else error_response(request_id, error)
        if notification:
            return None
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    async def _call(self, request: dict[str, Any], ctx: RpcContext) -> object:
        if request.get("jsonrpc") != "2.0":
            raise InvalidRequest('"jsonrpc" must be "2.0"')
        name = request.get("method")
        if not isinstance(name, str):
            raise InvalidRequest('"method" must be a string')
        method = self.methods.get(name)
        if method is None:
            raise MethodNotFound(f"the method {name[:64]} does not exist")
        kind = ctx.kind
        if kind not in method.nodes:
            where = ", ".join(sorted(method.nodes))
            raise MethodNotSupported(
                f"{name} is not served by a {kind} node (ask a node of kind: {where})"
            )
        args = parse_params(method, request.get("params"))
        outcome = method.handler(ctx, *args)
        if inspect.isawaitable(outcome):
            outcome = await outcome
        return outcome


def parse_params(method: Method, raw: object) -> list[Any]:
    """Check and parse a request's ``params`` (array or object) for ``method``."""
    spec = method.params
    if raw is None:
        values: list[object] = []
    elif isinstance(raw, list):
        values = list(raw)
    elif isinstance(raw, dict):
        names = {p.name for p in spec}
        unknown = sorted(set(raw) - names)
        if unknown:
            raise InvalidParams(f"{method.name}: unknown named parameters {unknown}")
        values = [raw.get(p.name) for p in spec]
        while values and values[-1] is None:
            values.pop()
    else:
        raise InvalidParams(f"{method.name}: params must be an array or an object")
    if len(values) > len(spec):
        raise InvalidParams(
            f"{method.name}: too many arguments, want at most {len(spec)}, got {len(values)}"
        )
    parsed: list[Any] = []
    for position, param in enumerate(spec):
        value = values[position] if position < len(values) else None
        if value is None:
            if param.required:
                raise InvalidParams(
                    f"{method.name}: missing value for required argument {position} ({param.name})"
                )
            parsed.append(param.default)
            continue
        try:
            parsed.append(param.parse(value))
        except ParamError as exc:
            raise InvalidParams(
                f"{method.name}: invalid argument {position} ({param.name}): {exc}"
            ) from None
    return parsed


def error_response(request_id: object, error: RpcError) -> dict[str, Any]:
    """A JSON-RPC error response."""
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


def method_table(*groups: tuple[Method, ...]) -> dict[str, Method]:
    """Merge method groups into one table (names must be unique)."""
    table: dict[str, Method] = {}
    for group in groups:
        for method in group:
            if method.name in table:
                msg = f"duplicate RPC method {method.name}"
                raise ValueError(msg)
            table[method.name] = method
    return table
