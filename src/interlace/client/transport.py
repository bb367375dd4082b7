"""JSON-RPC over HTTP for the SDK, synchronous, with the standard library only.

``Transport`` is the small interface the client talks to (httpx-style: a
test or an application can pass its own); ``HttpTransport`` posts one
JSON-RPC 2.0 request per call with ``urllib`` and turns every failure into
a typed ``ClientError``: connection refused or timed out →
``NodeUnreachable`` (with the hint to start the devnet), an error object →
``RpcFailure`` (code, message, data), anything not JSON-RPC →
``BadResponse``.
"""

import itertools
import json
import urllib.error
import urllib.request
from typing import Any, Final, Protocol

from interlace.client.errors import START_HINT, BadResponse, NodeUnreachable, RpcFailure

DEFAULT_TIMEOUT: Final = 30.0
"""Seconds one HTTP request may take."""


class Transport(Protocol):
    """Sends one JSON-RPC call to a URL and returns its ``result``."""

    def call(self, url: str, method: str, params: list[Any]) -> Any:
        """The call's result, or a ``ClientError``."""
        ...


class HttpTransport:
    """``Transport`` over HTTP POST (see the module docstring)."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._ids = itertools.count(1)

    def call(self, url: str, method: str, params: list[Any]) -> Any:
        request_id = next(self._ids)
        body = json.dumps(
            {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL comes from endpoints.json
            url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                text = response.read()
        except urllib.error.HTTPError as exc:
            text = exc.read()  # a JSON-RPC error may come with a 4xx status (413)
            if not text:
                raise BadResponse(f"{url} answered HTTP {exc.code} to {method}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise NodeUnreachable(f"cannot reach {url} ({reason}): {START_HINT}") from None
        return _result(url, method, request_id, text)


def _result(url: str, method: str, request_id: int, text: bytes) -> Any:
    del request_id  # one request per connection: the answer is ours
    try:
        answer = json.loads(text)
    except ValueError:
        raise BadResponse(f"{url} did not answer JSON to {method}: {text[:80]!r}") from None
    if not isinstance(answer, dict):
        raise BadResponse(f"{url} answered {method} with a non-object")
    error = answer.get("error")
    if isinstance(error, dict):
        raise RpcFailure(
            method, int(error.get("code", 0)), str(error.get("message", "")), error.get("data")
        )
    if "result" not in answer:
        raise BadResponse(f"{url} answered {method} without a result")
    return answer["result"]
