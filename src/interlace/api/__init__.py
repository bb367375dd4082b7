"""Network-facing entry points of a live node: the node process and JSON-RPC (``api.rpc``)."""
