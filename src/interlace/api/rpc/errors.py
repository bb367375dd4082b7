"""JSON-RPC error codes and the typed errors method handlers raise.

Every error a client can see is an ``RpcError`` subclass carrying its
JSON-RPC code; the dispatcher turns anything else into ``InternalError``
(-32603) with no traceback on the wire. The codes are JSON-RPC 2.0's
(-32700…-32603), EIP-1474's server range (-32000…-32005), geth's ``3`` for
a reverted call, and -39001 (geth's "unknown block") for a block tag this
node cannot resolve. ``docs/rpc.md`` lists them.
"""

from typing import Final

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603
INVALID_INPUT: Final = -32000
RESOURCE_NOT_FOUND: Final = -32001
RESOURCE_UNAVAILABLE: Final = -32002
TRANSACTION_REJECTED: Final = -32003
METHOD_NOT_SUPPORTED: Final = -32004
LIMIT_EXCEEDED: Final = -32005
EXECUTION_REVERTED: Final = 3
UNKNOWN_BLOCK: Final = -39001


class RpcError(Exception):
    """An error answered to the client as a JSON-RPC error object."""

    code: int = INTERNAL_ERROR

    def __init__(self, message: str, data: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, object]:
        """The JSON-RPC ``error`` member."""
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class ParseError(RpcError):
    """The body is not JSON."""

    code = PARSE_ERROR


class InvalidRequest(RpcError):
    """Valid JSON, but not a JSON-RPC 2.0 request (or too large)."""

    code = INVALID_REQUEST


class MethodNotFound(RpcError):
    """No such method anywhere in Interlace."""

    code = METHOD_NOT_FOUND


class InvalidParams(RpcError):
    """Wrong parameter count or a parameter of the wrong type or range."""

    code = INVALID_PARAMS


class InternalError(RpcError):
    """A bug: the handler failed in a way it did not foresee."""

    code = INTERNAL_ERROR


class InvalidInput(RpcError):
    """Well-typed parameters that make no sense together (e.g. blockHash with fromBlock)."""

    code = INVALID_INPUT


class ResourceNotFound(RpcError):
    """The block, state or object asked for is not held by this node."""

    code = RESOURCE_NOT_FOUND


class ResourceUnavailable(RpcError):
    """The node could not answer now (the role did not reply in time)."""

    code = RESOURCE_UNAVAILABLE


class TransactionRejected(RpcError):
    """The transaction was refused (malformed, bad signature, nonce, funds, fees…)."""

    code = TRANSACTION_REJECTED


class MethodNotSupported(RpcError):
    """The method exists in Interlace but not on this kind of node."""

    code = METHOD_NOT_SUPPORTED


class LimitExceeded(RpcError):
    """A request asks for more than the documented limits allow."""

    code = LIMIT_EXCEEDED


class ExecutionReverted(RpcError):
    """``eth_call`` / ``eth_estimateGas`` reverted; ``data`` is ABI ``Error(string)``."""

    code = EXECUTION_REVERTED


class UnknownBlock(RpcError):
    """A block tag this node cannot resolve (e.g. ``safe`` on a sequencer)."""

    code = UNKNOWN_BLOCK
