"""JSON-RPC for live nodes: ``eth_*`` on L1 and rollup nodes, ``interlace_*`` on the hub.

``build_rpc_app(host)`` builds the aiohttp application a node process
serves (``server``); ``docs/rpc.md`` lists every method, its parameters and
results, and the error codes.
"""

from interlace.api.rpc.server import MAX_REQUEST_BYTES, METHODS, build_rpc_app

__all__ = ["MAX_REQUEST_BYTES", "METHODS", "build_rpc_app"]
