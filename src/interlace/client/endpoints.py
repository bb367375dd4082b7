"""Where a devnet's nodes answer: ``DATA_DIR/endpoints.json``.

``interlace devnet up`` writes the file (``runtime.live.supervisor``): per
node its kind (``l1``, ``sequencer``, ``verifier``, ``batcher``, ``hub``,
``relayer``), its chain id and its JSON-RPC URLs (``rpc_http``, ``rpc_ws``),
plus the prefunded development accounts. ``load_endpoints`` reads it into
typed values; it also accepts the short keys ``rpc`` / ``ws`` and infers
kind and chain from node names such as ``seq-901`` when they are missing,
so a hand-written file for a remote deployment can stay small.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from interlace.client.errors import EndpointsNotFound, UnknownNode

DEFAULT_DATA_DIR: Final = Path(".interlace-devnet")
"""Where ``interlace devnet up`` keeps its files unless told otherwise."""
DATA_DIR_ENV: Final = "INTERLACE_DATA_DIR"
"""Environment variable naming the data directory (overridden by ``--data-dir``)."""
ENDPOINTS_FILE: Final = "endpoints.json"
_PREFIX_KINDS: Final = {"seq": "sequencer", "verifier": "verifier", "batcher": "batcher"}


@dataclass(frozen=True, slots=True)
class NodeEndpoint:
    """One node's RPC address."""

    name: str
    """Node id, e.g. ``seq-901``."""
    kind: str
    """``l1``, ``sequencer``, ``verifier``, ``batcher``, ``hub``, ``relayer``."""
    chain_id: int | None
    """The chain it holds (None for the hub and the relayer)."""
    rpc: str
    """HTTP JSON-RPC URL."""
    ws: str | None = None
    """WebSocket JSON-RPC URL."""


@dataclass(frozen=True, slots=True)
class DevAccount:
    """A prefunded development account."""

    address: str
    """0x-prefixed address."""
    private_key: str
    """0x-prefixed private key (development only)."""


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Every node of a deployment."""

    nodes: Mapping[str, NodeEndpoint]
    """By node id."""
    accounts: tuple[DevAccount, ...] = ()
    """Prefunded development accounts, if the file lists any."""
    source: str = "<memory>"
    """Where they were read from (for error messages)."""

    @property
    def chain_ids(self) -> tuple[int, ...]:
        """Rollup chain ids (chains with a sequencer), sorted."""
        return tuple(
            sorted(
                {n.chain_id for n in self.nodes.values() if n.kind == "sequencer" and n.chain_id}
            )
        )

    @property
    def l1_chain_id(self) -> int | None:
        """The L1's chain id, if an L1 node is listed."""
        return next((n.chain_id for n in self.nodes.values() if n.kind == "l1"), None)

    def of_kind(self, kind: str, chain_id: int | None = None) -> NodeEndpoint:
        """The node of ``kind`` (for ``chain_id``), or ``UnknownNode``."""
        for node in self.nodes.values():
            if node.kind == kind and (chain_id is None or node.chain_id == chain_id):
                return node
        where = f" for chain {chain_id}" if chain_id is not None else ""
        known = ", ".join(sorted(self.nodes)) or "none"
        raise UnknownNode(f"no {kind} node{where} in {self.source} (nodes: {known})")

    def for_chain(self, chain_id: int) -> NodeEndpoint:
        """The node that takes transactions for ``chain_id``: the L1 node or the sequencer."""
        if chain_id == self.l1_chain_id:
            return self.of_kind("l1")
        try:
            return self.of_kind("sequencer", chain_id)
        except UnknownNode:
            chains = ", ".join(str(c) for c in (self.l1_chain_id, *self.chain_ids) if c)
            raise UnknownNode(
                f"no node serves chain {chain_id} in {self.source} (chains: {chains or 'none'})"
            ) from None


def resolve_data_dir(data_dir: Path | str | None = None) -> Path:
    """``data_dir``, else ``$INTERLACE_DATA_DIR``, else ``.interlace-devnet``."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else DEFAULT_DATA_DIR


def load_endpoints(data_dir: Path | str | None = None) -> Endpoints:
    """Read ``endpoints.json`` from the data directory (see the module docstring)."""
    folder = resolve_data_dir(data_dir)
    path = folder / ENDPOINTS_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EndpointsNotFound(
            f"no {ENDPOINTS_FILE} in {folder}: is the devnet running? start it with "
            f"`interlace devnet up --data-dir {folder}` (or pass the right --data-dir)"
        ) from None
    except (OSError, ValueError) as exc:
        raise EndpointsNotFound(f"cannot read {path}: {exc}") from None
    return parse_endpoints(raw, source=str(path))


def parse_endpoints(raw: object, source: str = "<endpoints>") -> Endpoints:
    """Typed endpoints from the decoded JSON (the devnet's schema or the short one)."""
    if not isinstance(raw, dict):
        raise EndpointsNotFound(f"{source} is not an endpoints file (expected a JSON object)")
    listed = raw.get("nodes", raw)
    if not isinstance(listed, dict):
        raise EndpointsNotFound(f"{source}: 'nodes' must be an object")
    nodes: dict[str, NodeEndpoint] = {}
    for name, entry in listed.items():
        if name in ("devnet", "accounts"):
            continue
        if not isinstance(entry, dict):
            raise EndpointsNotFound(f"{source}: node {name!r} must be an object")
        nodes[name] = _node(name, entry, source)
    accounts = tuple(
        DevAccount(str(a["address"]), str(a["private_key"]))
        for a in raw.get("accounts", ())
        if isinstance(a, dict) and "address" in a and "private_key" in a
    )
    return Endpoints(nodes, accounts, source)


def _node(name: str, entry: Mapping[str, Any], source: str) -> NodeEndpoint:
    rpc = entry.get("rpc_http", entry.get("rpc"))
    if not isinstance(rpc, str) or not rpc.startswith(("http://", "https://")):
        raise EndpointsNotFound(f"{source}: node {name!r} has no http(s) 'rpc_http' URL")
    ws = entry.get("rpc_ws", entry.get("ws"))
    kind, chain = _infer(name)
    kind = str(entry.get("kind") or kind)
    chain_id = entry.get("chain_id", chain)
    if chain_id is not None and not isinstance(chain_id, int):
        raise EndpointsNotFound(f"{source}: node {name!r} has a non-integer chain_id")
    return NodeEndpoint(name, kind, chain_id, rpc, ws if isinstance(ws, str) else None)


def _infer(name: str) -> tuple[str, int | None]:
    """Kind and chain from a node name: ``seq-901`` → (sequencer, 901)."""
    prefix, _, suffix = name.partition("-")
    if prefix in _PREFIX_KINDS and suffix.isdigit():
        return _PREFIX_KINDS[prefix], int(suffix)
    return name, None
