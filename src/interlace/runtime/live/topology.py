"""A devnet's shape: its configuration, and the nodes it resolves to.

``DevnetConfig`` is everything that decides a devnet: its network plan
(``runtime/plan.py``, the description the simulator runs too) and what only
a live network has (seed, host, ports, the shared clock epoch, SQLite
durability). It is read from TOML (``load_config_file``) by the plan's
parser, overridden by CLI flags, and written resolved into the data
directory as ``devnet.json`` so that ``up`` on the same directory resumes
with the same genesis and keys and every node process reads one file.

A devnet file takes the plan's sections (``[l1]``, ``[rollups]``, ``[hub]``,
``[settlement]``, ``[accounts]``: a simulator scenario's plan runs live as
it is) and a ``[devnet]`` table (or top-level keys) with the live settings
and the short flat names of the common plan fields (``rollups = 3``,
``block_time = 0.5``: ``FLAT_SETTINGS``), which are also the CLI's flags.
What a file does not set comes from ``DEVNET_PLAN``, the devnet's defaults:
two rollups (optimistic and validity), 1 s L1 blocks, the hub and settlement
on, real proving (no modelled proving time), ten development accounts
``dev_key(seed, "dev", i)`` funded on L1 and on every rollup, as anvil and
hardhat do.

``build_topology`` is the devnet's adapter over ``build_plan``: each of the
plan's nodes becomes a process with an RPC port and a P2P port, in start
order (the L1, the sequencers, the hub and the relayer, then each rollup's
other nodes).
"""

import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final

from interlace.primitives.keys import PrivateKey
from interlace.primitives.types import ChainId
from interlace.roles.base import NodeId, Role, StoreView
from interlace.runtime.plan import (
    NODE_BALANCE,
    PLAN_SECTIONS,
    AccountsSpec,
    HubSpec,
    L1Spec,
    NetworkPlan,
    PlanError,
    PlanSpec,
    RoleKind,
    RollupSpec,
    SettlementSpec,
    build_plan,
    check_plan,
    parse_plan,
    parse_table,
    plan_to_mapping,
    read_field,
    reject_unknown,
)
from interlace.runtime.store import MemoryStore

CONFIG_FILE: Final = "devnet.json"
ETHER: Final = 10**18
P2P_PORT_OFFSET: Final = 1000
"""A node's P2P port is its RPC port plus this."""
MAX_DEVNET_ROLLUPS: Final = 64
__all__ = ["NODE_BALANCE"]


class ConfigError(PlanError):
    """A devnet configuration is missing, unreadable, or has a bad field (named)."""


DEVNET_PLAN: Final = PlanSpec(
    l1=L1Spec(block_time=1.0, safe_depth=2, finality_depth=4),
    rollups=RollupSpec(count=2, kinds=("optimistic", "validity")),
    hub=HubSpec(enabled=True),
    settlement=SettlementSpec(
        enabled=True,
        challenge_window=20,
        aggregate_every=3.0,
        prove_seconds_per_block=0.0,
        prove_seconds_per_tx=0.0,
        settle_exit_roots=True,
    ),
    accounts=AccountsSpec(shared=10, per_chain=0, l1=0, balance=10_000 * ETHER),
)
"""The devnet's defaults, under what a file or a flag sets."""


@dataclass(frozen=True, slots=True)
class DevnetConfig:
    """Everything that decides a devnet's genesis, keys, timing and ports."""

    plan: PlanSpec = DEVNET_PLAN
    """The network (chains, L1, hub, settlement, accounts)."""
    seed: int = 0
    """Derives every key (``dev_key(seed, label, i)``)."""
    host: str = "127.0.0.1"
    """Interface every node listens on."""
    port_base: int = 8545
    """The L1's RPC port; other nodes count up from it (P2P ports are +1000)."""
    epoch: float = 0.0
    """Unix time of the devnet's time 0 (its clock: ``Timestamp`` = now - epoch); set
    when the devnet is first created and kept across restarts."""
    synchronous: str = "normal"
    """SQLite durability: ``normal`` survives kill -9, ``full`` also power loss."""
    outbox_limit: int = 1024
    """Messages queued per unreachable peer before the oldest are dropped."""


LIVE_SETTINGS: Final = frozenset(f.name for f in fields(DevnetConfig) if f.name != "plan")
"""``[devnet]`` keys that only a live network has."""
FLAT_SETTINGS: Final = {
    "rollups": ("rollups", "count"),
    "first_chain_id": ("rollups", "first_chain_id"),
    "block_time": ("rollups", "block_time"),
    "confirmation_depth": ("rollups", "confirmation_depth"),
    "max_drift": ("rollups", "max_drift"),
    "kinds": ("rollups", "kinds"),
    "trust_modes": ("rollups", "trust_modes"),
    "l1_block_time": ("l1", "block_time"),
    "l1_safe_depth": ("l1", "safe_depth"),
    "l1_finality_depth": ("l1", "finality_depth"),
    "hub_block_time": ("hub", "block_time"),
    "settlement": ("settlement", "enabled"),
    "challenge_window": ("settlement", "challenge_window"),
    "output_interval": ("settlement", "output_interval"),
    "split_depth": ("settlement", "split_depth"),
    "max_depth": ("settlement", "max_depth"),
    "provers": ("settlement", "provers"),
    "aggregate_every": ("settlement", "aggregate_every"),
    "settle_exit_roots": ("settlement", "settle_exit_roots"),
    "dev_accounts": ("accounts", "shared"),
    "dev_balance": ("accounts", "balance"),
}
"""Short names of plan fields (``[devnet]`` keys, ``devnet up`` flags, ``running_devnet``
keywords) → (section, field)."""


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One node of the devnet."""

    node_id: NodeId
    """Its name, e.g. ``seq-901``."""
    kind: RoleKind
    """What it is (``l1``, ``sequencer``, ``batcher``, ``verifier``, ``hub`` …)."""
    factory: Callable[[StoreView], Role] = field(repr=False)
    """Builds the role from its store."""
    rpc_port: int
    """JSON-RPC port (HTTP at ``/``, WebSocket at ``/ws``)."""
    p2p_port: int
    """Node-to-node port (``/p2p``, ``/p2p/ws``, ``/health``, ``/admin/*``)."""
    chain_id: int | None = None
    """The chain it serves (L1's id for the L1 node, none for the hub and relayer)."""


@dataclass(frozen=True, slots=True)
class Topology:
    """The resolved devnet: nodes in start order, keys and chains."""

    config: DevnetConfig
    plan: NetworkPlan
    nodes: dict[NodeId, NodeSpec]
    chain_ids: tuple[ChainId, ...]
    dev_keys: tuple[PrivateKey, ...]
    """Prefunded on L1 and on every rollup."""

    def p2p_url(self, node: NodeId) -> str:
        """Base URL of a node's P2P server."""
        return f"http://{self.config.host}:{self.nodes[node].p2p_port}"

    def rpc_url(self, node: NodeId) -> str:
        """Base URL of a node's JSON-RPC server."""
        return f"http://{self.config.host}:{self.nodes[node].rpc_port}"


# ---- settings and files -------------------------------------------------------------


def flat_setting(config: DevnetConfig, name: str) -> Any:
    """The value of a ``FLAT_SETTINGS`` or live setting (``rollups``, ``port_base`` …)."""
    if name in LIVE_SETTINGS:
        return getattr(config, name)
    section, key = FLAT_SETTINGS[name]
    return getattr(getattr(config.plan, section), key)


def with_settings(config: DevnetConfig, settings: Mapping[str, Any]) -> DevnetConfig:
    """``config`` with flat and live ``settings`` applied (``None`` values are skipped);
    refuses an unknown name. Not checked (``check_config``)."""
    given = {k.replace("-", "_"): v for k, v in settings.items() if v is not None}
    reject_unknown(given, set(FLAT_SETTINGS) | LIVE_SETTINGS, "", ConfigError)
    live = {k: v for k, v in given.items() if k in LIVE_SETTINGS}
    sections: dict[str, dict[str, Any]] = {}
    for name, value in given.items():
        if name in FLAT_SETTINGS:
            section, key = FLAT_SETTINGS[name]
            sections.setdefault(section, {})[key] = value
    plan = config.plan
    for section, values in sections.items():
        updated = replace(getattr(plan, section), **values)
        plan = replace(plan, **{section: updated})
    return replace(config, plan=plan, **live)


def devnet_config(**settings: Any) -> DevnetConfig:
    """A checked config from ``DEVNET_PLAN`` and flat or live ``settings``
    (``devnet_config(rollups=1, block_time=0.25)``)."""
    return config_from_mapping(settings, "settings")


def config_from_mapping(data: Mapping[str, Any], source: str) -> DevnetConfig:
    """A checked config from parsed TOML/JSON: the plan's sections, and the live settings
    and flat names at the top or in a ``[devnet]`` table; refuses unknown keys and wrong
    types by name."""
    try:
        return _config_from_mapping(data)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _config_from_mapping(data: Mapping[str, Any]) -> DevnetConfig:
    sections = {k: v for k, v in data.items() if k in PLAN_SECTIONS and isinstance(v, dict)}
    flat = {k: v for k, v in data.items() if k not in sections and k != "devnet"}
    if "devnet" in data:
        table = data["devnet"]
        if not isinstance(table, dict):
            raise ConfigError("[devnet] must be a table")
        flat = {**flat, **table}
    flat = {k.replace("-", "_"): v for k, v in flat.items()}
    if "kind" in flat:  # one kind for every rollup (the key of devnets made before ``kinds``)
        if "kinds" in flat:
            raise ConfigError("give kind or kinds, not both")
        kind = flat.pop("kind")
        flat["kinds"] = [kind] if isinstance(kind, str) else kind
    reject_unknown(flat, set(FLAT_SETTINGS) | LIVE_SETTINGS, "", ConfigError)
    for name, value in flat.items():  # each flat name is read (and named) on its own
        if name in FLAT_SETTINGS:
            section, key = FLAT_SETTINGS[name]
            if key in sections.get(section, {}):
                raise ConfigError(f"fields {name!r} and '{section}.{key}' say the same: give one")
            flat[name] = read_field(PLAN_SECTIONS[section], key, value, name, ConfigError)
    live = {k: v for k, v in flat.items() if k in LIVE_SETTINGS}
    live_values = parse_table(_LiveSettings, live, "", error=ConfigError)
    plan = parse_plan(sections, DEVNET_PLAN, ConfigError)
    config = with_settings(
        DevnetConfig(plan=plan),
        {**{k: v for k, v in flat.items() if k in FLAT_SETTINGS}, **_fields(live_values)},
    )
    try:
        check_config(config)
    except ConfigError as exc:  # name the short name too, if that is how it was set
        given = [n for n in flat if n in FLAT_SETTINGS and _path(n) in str(exc)]
        if not given:
            raise
        raise ConfigError(f"{exc} (set as {', '.join(map(repr, given))})") from None
    return config


def _path(name: str) -> str:
    section, key = FLAT_SETTINGS[name]
    return f"'{section}.{key}'"


@dataclass(frozen=True, slots=True)
class _LiveSettings:
    """The live settings' types, for the parser."""

    seed: int = 0
    host: str = "127.0.0.1"
    port_base: int = 8545
    epoch: float = 0.0
    synchronous: str = "normal"
    outbox_limit: int = 1024


def _fields(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in fields(value)}


def check_config(config: DevnetConfig) -> None:
    """Refuse configs no devnet can run, naming the field."""
    plan = config.plan
    check_plan(plan, ConfigError)
    if not plan.hub.enabled:
        raise ConfigError(
            "field 'hub.enabled' must be true on a devnet (its relayer, RPC and dashboard "
            "read the hub)"
        )
    if plan.rollups.count > MAX_DEVNET_ROLLUPS:
        raise ConfigError(
            f"field 'rollups.count' must be at most {MAX_DEVNET_ROLLUPS} on a devnet, "
            f"got {plan.rollups.count}"
        )
    for name, value in (
        ("rollups.block_time", plan.rollups.block_time),
        ("l1.block_time", plan.l1.block_time),
        ("hub.block_time", plan.hub.block_time),
        ("settlement.aggregate_every", plan.settlement.aggregate_every),
    ):
        if not 0.05 <= value <= 3600:
            raise ConfigError(f"field {name!r} must be between 0.05 and 3600 seconds on a devnet")
    if plan.settlement.provers > 16:
        raise ConfigError("field 'settlement.provers' must be at most 16 on a devnet")
    if plan.settlement.output_interval > 10_000:
        raise ConfigError("field 'settlement.output_interval' must be at most 10000 blocks")
    if plan.settlement.challenge_window > 7 * 86_400:
        raise ConfigError("field 'settlement.challenge_window' must be at most 7 days")
    if config.synchronous not in ("normal", "full"):
        raise ConfigError("field 'synchronous' must be 'normal' or 'full'")
    last_port = config.port_base + P2P_PORT_OFFSET + node_count(config)
    if config.port_base < 1024 or last_port > 65535:
        raise ConfigError("field 'port_base' must leave room for every node's ports (1024-64000)")
    if config.outbox_limit < 1:
        raise ConfigError("field 'outbox_limit' must be positive")


def game_depths(config: DevnetConfig) -> tuple[int, int]:
    """(split_depth, max_depth) of the dispute games (``dispute.game_depths``)."""
    return config.plan.game_depths()


def load_config_file(path: Path) -> DevnetConfig:
    """Read a TOML (``*.toml``) or resolved JSON (``devnet.json``) config."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if path.suffix == ".json" else "TOML"
        raise ConfigError(f"{path}: not valid {kind}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table of settings")
    if path.suffix == ".json" and "devnet" not in data and "settlement" not in data:
        # A flat devnet.json written before settlement existed: resume it as it was made
        # (no settlement, and the challenge window its L1 registry recorded then).
        data = {"challenge_window": 60, **data, "settlement": False}
    return config_from_mapping(data, str(path))


def config_to_json(config: DevnetConfig) -> str:
    """The resolved form written to ``DATA_DIR/devnet.json`` (every field, by section)."""
    data = {
        "devnet": {name: getattr(config, name) for name in sorted(LIVE_SETTINGS)},
        **plan_to_mapping(config.plan),
    }
    return json.dumps(data, indent=2) + "\n"


def node_count(config: DevnetConfig) -> int:
    """How many nodes the devnet runs."""
    return len(build_plan(config.plan, config.seed).nodes)


# ---- topology -------------------------------------------------------------------


_START_ORDER: Final = {RoleKind.L1: 0, RoleKind.SEQUENCER: 1, RoleKind.HUB: 2, RoleKind.RELAYER: 3}
"""Nodes start by tier (what the others talk to first); the rest follow in plan order."""


def build_topology(config: DevnetConfig) -> Topology:
    """The devnet's nodes, keys and genesis: the plan's nodes with ports, in start order."""
    check_config(config)
    plan = build_plan(config.plan, config.seed)
    ordered = sorted(plan.nodes, key=lambda n: _START_ORDER.get(n.kind, len(_START_ORDER)))
    nodes = {
        node.node_id: NodeSpec(
            node_id=node.node_id,
            kind=node.kind,
            factory=node.factory(),
            rpc_port=config.port_base + index,
            p2p_port=config.port_base + P2P_PORT_OFFSET + index,
            chain_id=node.chain_id,
        )
        for index, node in enumerate(ordered)
    }
    return Topology(config, plan, nodes, plan.chain_ids, plan.shared_keys)


def resolve_topics(topology: Topology) -> dict[str, tuple[NodeId, ...]]:
    """Gossip topic → subscribed nodes, from each role's ``subscriptions()``.

    Every role is built once on an empty store to ask it (what the simulator
    kernel learns when it boots a node).
    """
    topics: dict[str, list[NodeId]] = {}
    for node, spec in topology.nodes.items():
        for topic in spec.factory(MemoryStore()).subscriptions():
            topics.setdefault(topic, []).append(node)
    return {topic: tuple(nodes) for topic, nodes in topics.items()}
