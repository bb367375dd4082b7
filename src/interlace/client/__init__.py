"""Interlace's Python SDK: a typed client over the nodes' JSON-RPC.

```python
from interlace.client import InterlaceClient

client = InterlaceClient.from_data_dir()  # reads .interlace-devnet/endpoints.json
key = client.endpoints.accounts[0].private_key
client.transfer(key, 901, "0x" + "12" * 20, 10**15)
sent = client.send_message(key, 901, 902, "0x" + "34" * 20, b"hello")
client.wait_for_message(sent, "executed")
```

docs/sdk.md describes every call; the public names are listed in ``__all__``
(and pinned by a test).
"""

from interlace.client.client import (
    WAIT_STAGES,
    ChainClient,
    InterlaceClient,
    has_reached,
    load_key,
    receipt_from_json,
)
from interlace.client.endpoints import (
    DEFAULT_DATA_DIR,
    DevAccount,
    Endpoints,
    NodeEndpoint,
    load_endpoints,
    parse_endpoints,
)
from interlace.client.errors import (
    BadKey,
    BadResponse,
    ClientError,
    EndpointsNotFound,
    MessageAlreadyRelayed,
    MessageNotFound,
    MessageNotReady,
    NodeUnreachable,
    RpcFailure,
    TransactionFailed,
    UnknownNode,
    WaitTimeout,
)
from interlace.client.transport import HttpTransport, Transport
from interlace.client.types import (
    BlockSafety,
    ChainSafety,
    HubStatus,
    LogEntry,
    MessageStatus,
    SentMessage,
    TxReceipt,
)

__all__ = [
    "DEFAULT_DATA_DIR",
    "WAIT_STAGES",
    "BadKey",
    "BadResponse",
    "BlockSafety",
    "ChainClient",
    "ChainSafety",
    "ClientError",
    "DevAccount",
    "Endpoints",
    "EndpointsNotFound",
    "HttpTransport",
    "HubStatus",
    "InterlaceClient",
    "LogEntry",
    "MessageAlreadyRelayed",
    "MessageNotFound",
    "MessageNotReady",
    "MessageStatus",
    "NodeEndpoint",
    "NodeUnreachable",
    "RpcFailure",
    "SentMessage",
    "TransactionFailed",
    "Transport",
    "TxReceipt",
    "UnknownNode",
    "WaitTimeout",
    "has_reached",
    "load_endpoints",
    "load_key",
    "parse_endpoints",
    "receipt_from_json",
]
