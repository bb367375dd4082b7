"""Typed errors of the SDK; every message says what happened and what to do.

They are ``InterlaceError``s (input from outside: files, the network, a
node's answers), so the CLI prints them as one line without a traceback.
"""

from interlace.primitives.errors import InputError

START_HINT = "is the devnet running? start it with `interlace devnet up`"


class ClientError(InputError):
    """Base of every SDK error."""


class EndpointsNotFound(ClientError):
    """No readable ``endpoints.json`` in the data directory."""


class UnknownNode(ClientError):
    """The endpoints name no node for this chain or role."""


class NodeUnreachable(ClientError):
    """Connection refused, reset or timed out: the node is not answering."""


class RpcFailure(ClientError):
    """The node answered with a JSON-RPC error."""

    def __init__(self, method: str, code: int, message: str, data: object = None) -> None:
        super().__init__(f"{method} failed ({code}): {message}")
        self.method = method
        self.code = code
        self.rpc_message = message
        self.data = data


class BadResponse(ClientError):
    """The node's answer is not what the method promises (not JSON, wrong shape)."""


class TransactionFailed(ClientError):
    """A transaction was mined with status 0 (reverted)."""


class WaitTimeout(ClientError):
    """Something did not happen within the time allowed."""


class MessageNotFound(ClientError):
    """The transaction holds no ``SentMessage`` log (or not that many)."""


class MessageNotReady(ClientError):
    """The message cannot be proven or relayed yet; the message says what it waits for."""


class MessageAlreadyRelayed(ClientError):
    """The destination already executed the message."""


class BadKey(ClientError):
    """A private key that does not parse."""
