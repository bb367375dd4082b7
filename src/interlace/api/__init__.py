"""Network-facing entry points of a live node: the node process (``api.node``) and JSON-RPC (``api.rpc``)."""
