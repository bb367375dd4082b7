"""The live runtime: the same sans-IO roles, run for real.

One OS process per node, asyncio, real time, HTTP and WebSocket between
nodes, a SQLite store per node. ``host.NodeHostApi`` is what the JSON-RPC
layer (``interlace.api.rpc``) sees of a running node.
"""
