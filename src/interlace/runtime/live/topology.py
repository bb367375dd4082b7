"""A devnet's shape: its configuration, and the nodes it resolves to.

``DevnetConfig`` is everything that decides a devnet's genesis and layout
(seed, rollup count, block times, ports, the shared clock epoch). It is read
from TOML (``load_config_file``), overridden by CLI flags, and written
resolved into the data directory as ``devnet.json`` so that ``up`` on the
same directory resumes with the same genesis and keys and every node
process reads one file.

``build_topology`` turns a config into the nodes, built the way the
simulator's world builds them (``runtime/sim/world.py``): one L1 node; per
rollup a sequencer, a batcher and a verifier node; the hub and a relayer;
and with settlement (on by default) the L1 settlement modules in genesis,
the hub posting aggregates, and per optimistic rollup a proposer and a
challenger, per validity rollup a proof coordinator and ``provers`` worker
processes. Keys come from ``dev_key(seed, ...)``; development accounts
``dev_key(seed, "dev", i)`` are prefunded on L1 and on every rollup, as
anvil and hardhat do. Each node gets an RPC port and a P2P port.

The settlement wiring repeats ``World._build``/``_add_provers``/``_add_players``
on purpose (the simulator's scenario types are not the devnet's config, and the
two runtimes are kept independent); what differs is timing: real proving
(workers model no time), and game depths derived from the block time
(``game_depths``).
"""

import dataclasses
import json
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from interlace.primitives.errors import InterlaceError
from interlace.primitives.keys import PrivateKey
from interlace.primitives.types import U64, U256, ZERO_HASH, Address, ChainId, Hash32
from interlace.protocol.chain.block import Block
from interlace.protocol.interop.messenger import MessengerConfig, TrustMode
from interlace.protocol.l1.genesis import (
    L1_CHAIN_ID,
    L1_CONFIG,
    L1Genesis,
    SettlementGenesis,
    build_l1_genesis,
    rollup_anchor,
)
from interlace.protocol.l1.modules import RollupKind, RollupRecord
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import L1Origin, origin_of
from interlace.protocol.settlement.confirmation import settlement_readers
from interlace.protocol.settlement.dispute import GameConfig, dispute_seconds
from interlace.protocol.settlement.dispute import game_depths as dispute_game_depths
from interlace.roles.base import NodeId, Role, StoreView
from interlace.roles.batcher import Batcher, BatcherParams
from interlace.roles.challenger import Challenger, ChallengerParams
from interlace.roles.client import dev_key
from interlace.roles.hub import Hub, HubParams, HubSettlementParams
from interlace.roles.l1_node import L1Node, L1Params
from interlace.roles.names import (
    HUB_NODE,
    L1_NODE,
    RELAYER_NODE,
    batcher_node,
    challenger_node,
    coordinator_node,
    proposer_node,
    sequencer_node,
    verifier_node,
    worker_node,
)
from interlace.roles.proposer import Proposer, ProposerParams
from interlace.roles.prover import Coordinator, CoordinatorParams, ProverWorker, WorkerParams
from interlace.roles.relayer import Relayer, RelayerParams
from interlace.roles.sequencer import RollupParams, Sequencer
from interlace.roles.verifier import VerifierNode, VerifierParams
from interlace.runtime.store import MemoryStore

CONFIG_FILE: Final = "devnet.json"
ETHER: Final = 10**18
NODE_BALANCE: Final = 10**24
"""Wei on L1 for every node that sends L1 transactions (batchers, hub, settlement nodes)."""
GAME_BOND: Final = 10**16
"""Wei each dispute-game claim carries (the simulator's value)."""
KINDS: Final = {"optimistic": RollupKind.OPTIMISTIC, "validity": RollupKind.VALIDITY}
P2P_PORT_OFFSET: Final = 1000
"""A node's P2P port is its RPC port plus this."""
TRUST_MODES: Final = {
    "p2p": TrustMode.P2P,
    "preconfirmed": TrustMode.PRECONFIRMED,
    "confirmed": TrustMode.CONFIRMED,
    "finalized": TrustMode.FINALIZED,
    "opt-out": TrustMode.OPT_OUT,
}


class ConfigError(InterlaceError):
    """A devnet configuration is missing, unreadable, or has a bad field (named)."""


@dataclass(frozen=True, slots=True)
class DevnetConfig:
    """Everything that decides a devnet's genesis, keys, timing and ports."""

    seed: int = 0
    """Derives every key (``dev_key(seed, label, i)``)."""
    rollups: int = 2
    """How many rollups (chain ids ``first_chain_id`` …)."""
    first_chain_id: int = 901
    """Chain id of the first rollup."""
    block_time: float = 1.0
    """Seconds between rollup blocks."""
    l1_block_time: float = 1.0
    """Seconds between L1 blocks."""
    l1_safe_depth: int = 2
    """L1 blocks behind the head that are safe."""
    l1_finality_depth: int = 4
    """L1 blocks behind the head that are finalized (settlement waits for it twice: for
    proofs and game results, then for the aggregate)."""
    confirmation_depth: int = 2
    """L1 confirmations behind the head for a rollup block's L1Origin."""
    max_drift: int = 30
    """Seconds a rollup block may run ahead of its origin with user transactions."""
    hub_block_time: float = 0.5
    """Seconds between hub blocks."""
    trust_modes: tuple[str, ...] = ("preconfirmed",)
    """Each rollup's trust mode as a message destination, assigned in turn."""
    kinds: tuple[str, ...] = ("optimistic", "validity")
    """Each rollup's kind, ``optimistic`` or ``validity``, assigned in turn (recorded in the
    L1 registry; ``kind = "…"`` in a file sets every rollup's)."""
    settlement: bool = True
    """Settle on L1 (proposers, challengers, provers, hub aggregates): blocks reach
    CONFIRMED and FINALIZED. Off: they stop at SAFE."""
    challenge_window: int = 20
    """Optimistic rollups: seconds on each side's chess clock in a dispute game; an
    unchallenged output resolves after it."""
    output_interval: int = 4
    """Optimistic rollups: the proposer posts the output of every this many blocks."""
    split_depth: int = 0
    """Dispute games' output-bisection depth (a game covers at most 2^split_depth blocks
    past the anchor); 0 picks one from the block time (``game_depths``)."""
    max_depth: int = 0
    """Dispute games' total depth (even); 0 picks ``split_depth`` + 4, rounded up to even."""
    provers: int = 2
    """Validity rollups: prover worker processes per rollup."""
    aggregate_every: float = 3.0
    """Seconds between the hub's settlement aggregates."""
    dev_accounts: int = 10
    """Prefunded development accounts (same keys on L1 and every rollup)."""
    dev_balance: int = 10_000 * ETHER
    """Wei each development account holds at genesis."""
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


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One node of the devnet."""

    node_id: NodeId
    """Its name, e.g. ``seq-901``."""
    kind: str
    """``l1``, ``sequencer``, ``batcher``, ``verifier``, ``hub`` or ``relayer``."""
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


# ---- config files --------------------------------------------------------------


def config_from_mapping(data: Mapping[str, Any], source: str) -> DevnetConfig:
    """A config from parsed TOML/JSON, refusing unknown keys and wrong types by name."""
    known = {f.name: f for f in dataclasses.fields(DevnetConfig)}
    values: dict[str, Any] = {}
    data = dict(data)
    if "kind" in data:  # one kind for every rollup (the key of devnets made before ``kinds``)
        if "kinds" in data:
            raise ConfigError(f"{source}: give kind or kinds, not both")
        kind = data.pop("kind")
        data["kinds"] = [kind] if isinstance(kind, str) else kind
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in known:
            raise ConfigError(f"{source}: unknown setting {key!r} (known: {', '.join(known)})")
        values[name] = _coerce(name, value, known[name].type, source)
    config = DevnetConfig(**values)
    check_config(config)
    return config


def _coerce(name: str, value: Any, declared: object, source: str) -> Any:
    expected = {"int": int, "float": float, "str": str, "tuple[str, ...]": tuple}
    kind = declared if isinstance(declared, str) else getattr(declared, "__name__", "")
    if declared is bool or kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: {name} must be true or false")
        return value
    if declared == tuple[str, ...] or kind == "tuple[str, ...]":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: {name} must be a list of strings")
        return tuple(value)
    if declared is float or kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{source}: {name} must be a number")
        return float(value)
    if declared is int or kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{source}: {name} must be an integer")
        return value
    if not isinstance(value, expected.get(kind, str)):
        raise ConfigError(f"{source}: {name} must be a string")
    return value


def check_config(config: DevnetConfig) -> None:
    """Refuse configs no devnet can run, naming the field."""
    if not 1 <= config.rollups <= 64:
        raise ConfigError("rollups must be between 1 and 64")
    for name in ("block_time", "l1_block_time", "hub_block_time"):
        if not 0.05 <= getattr(config, name) <= 3600:
            raise ConfigError(f"{name} must be between 0.05 and 3600 seconds")
    unknown = [m for m in config.trust_modes if m not in TRUST_MODES]
    if not config.trust_modes or unknown:
        raise ConfigError(f"trust_modes must be among {', '.join(TRUST_MODES)}")
    if not config.kinds or any(k not in KINDS for k in config.kinds):
        raise ConfigError("kinds must be a list of 'optimistic' and 'validity'")
    _check_settlement(config)
    if config.synchronous not in ("normal", "full"):
        raise ConfigError("synchronous must be 'normal' or 'full'")
    last_port = config.port_base + P2P_PORT_OFFSET + node_count(config)
    if config.port_base < 1024 or last_port > 65535:
        raise ConfigError("port_base must leave room for every node's ports (1024-64000)")
    if config.dev_accounts < 0 or config.dev_balance < 0:
        raise ConfigError("dev_accounts and dev_balance must not be negative")


def _check_settlement(config: DevnetConfig) -> None:
    if not 1 <= config.provers <= 16:
        raise ConfigError("provers must be between 1 and 16")
    if not 1 <= config.output_interval <= 10_000:
        raise ConfigError("output_interval must be between 1 and 10000 blocks")
    if not 0.05 <= config.aggregate_every <= 3600:
        raise ConfigError("aggregate_every must be between 0.05 and 3600 seconds")
    if not 1 <= config.challenge_window <= 7 * 86_400:
        raise ConfigError("challenge_window must be between 1 second and 7 days")
    if config.split_depth < 0 or config.max_depth < 0:
        raise ConfigError("split_depth and max_depth must not be negative (0: automatic)")
    split, depth = game_depths(config)
    try:
        GameConfig(GAME_BOND, split, depth, config.challenge_window)
    except ValueError as exc:
        raise ConfigError(f"split_depth/max_depth: {exc}") from None
    # A dispute is ``max_depth`` moves, each an L1 transaction; a side must be able to
    # make its half with time to spare, or an honest player loses on time.
    needed = dispute_seconds(depth, config.l1_block_time)
    if config.settlement and config.challenge_window < needed:
        raise ConfigError(
            f"challenge_window must be at least {math.ceil(needed)} s with "
            f"{config.l1_block_time} s L1 blocks and max_depth {depth} (a dispute's moves "
            "must fit in it): raise challenge_window or lower l1_block_time"
        )


def game_depths(config: DevnetConfig) -> tuple[int, int]:
    """(split_depth, max_depth) of the dispute games (``dispute.game_depths``)."""
    return dispute_game_depths(
        challenge_window=config.challenge_window,
        l1_block_time=config.l1_block_time,
        block_time=config.block_time,
        split_depth=config.split_depth,
        max_depth=config.max_depth,
    )


def load_config_file(path: Path) -> DevnetConfig:
    """Read a TOML (``*.toml``) or resolved JSON (``devnet.json``) config."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table of settings")
    section = data.get("devnet", data)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [devnet] must be a table")
    if path.suffix == ".json" and "settlement" not in section:
        # A devnet.json written before settlement existed: resume it as it was made (no
        # settlement, and the challenge window its L1 registry recorded then).
        section = {"challenge_window": 60, **section, "settlement": False}
    return config_from_mapping(section, str(path))


def config_to_json(config: DevnetConfig) -> str:
    """The resolved form written to ``DATA_DIR/devnet.json``."""
    return json.dumps(dataclasses.asdict(config), indent=2) + "\n"


def node_count(config: DevnetConfig) -> int:
    """How many nodes the devnet runs."""
    count = 3 + 3 * config.rollups
    if config.settlement:
        for index in range(config.rollups):
            count += (
                2 if rollup_kind(config, index) == RollupKind.OPTIMISTIC else 1 + config.provers
            )
    return count


def rollup_kind(config: DevnetConfig, index: int) -> RollupKind:
    """The kind of the ``index``-th rollup (0-based)."""
    return KINDS[config.kinds[index % len(config.kinds)]]


# ---- topology -------------------------------------------------------------------


NodeEntry = tuple[NodeId, str, Callable[[StoreView], Role], int | None]
"""(node, kind, factory, chain) before ports are assigned."""


def build_topology(config: DevnetConfig) -> Topology:
    """The devnet's nodes, keys and genesis, as ``runtime/sim/world.py`` builds them."""
    check_config(config)
    seed = config.seed
    chain_ids = tuple(ChainId(config.first_chain_id + i) for i in range(config.rollups))
    kinds = {c: rollup_kind(config, i) for i, c in enumerate(chain_ids)}
    sequencer_keys = {c: dev_key(seed, "sequencer", c) for c in chain_ids}
    batcher_keys = {c: dev_key(seed, "batcher", c) for c in chain_ids}
    admin = dev_key(seed, "admin", 0)
    hub_key = dev_key(seed, "hub", 0)
    relayer_key = dev_key(seed, "relayer", 0)
    dev_keys = tuple(dev_key(seed, "dev", i) for i in range(config.dev_accounts))
    records = [
        RollupRecord(
            chain_id=c,
            kind=kinds[c],
            sequencer=sequencer_keys[c].address,
            batcher=batcher_keys[c].address,
            challenge_window=U64(config.challenge_window),
            admin=admin.address,
        )
        for c in chain_ids
    ]
    trust_modes = {
        c: TRUST_MODES[config.trust_modes[i % len(config.trust_modes)]]
        for i, c in enumerate(chain_ids)
    }
    peers = tuple((c, sequencer_keys[c].address) for c in chain_ids)
    rollup_alloc: dict[Address, int] = {k.address: config.dev_balance for k in dev_keys}
    rollup_alloc[relayer_key.address] = NODE_BALANCE
    messengers = {c: MessengerConfig(trust_modes[c], hub_key.address, peers) for c in chain_ids}
    l1_alloc: dict[Address, int] = {k.address: config.dev_balance for k in dev_keys}
    l1_alloc.update({k.address: NODE_BALANCE for k in batcher_keys.values()})
    settlement: SettlementGenesis | None = None
    if config.settlement:
        l1_alloc[hub_key.address] = NODE_BALANCE
        l1_alloc.update({k.address: NODE_BALANCE for k in _settlement_keys(seed, kinds)})
        settlement = _settlement_genesis(
            config, hub_key.address, chain_ids, rollup_alloc, messengers
        )
    genesis = L1Genesis(L1_CONFIG, l1_alloc, records, settlement=settlement)
    l1_params = L1Params(
        genesis, config.l1_block_time, config.l1_safe_depth, config.l1_finality_depth
    )
    l1_header, _state = build_l1_genesis(genesis)
    l1_origin = origin_of(Block(l1_header, ()))
    specs: list[NodeEntry] = [(L1_NODE, "l1", _factory(L1Node, L1_NODE, l1_params), L1_CHAIN_ID)]
    genesis_hashes: dict[int, Hash32] = {}
    rollup_nodes: list[NodeEntry] = []
    for chain_id in chain_ids:
        rollup_genesis = RollupGenesis(chain_id, l1_origin, 0, rollup_alloc, messengers[chain_id])
        genesis_hashes[chain_id] = RollupChain(rollup_genesis).head.hash
        seq_node = sequencer_node(chain_id)
        seq_params = RollupParams(
            genesis=rollup_genesis,
            sequencer_key=sequencer_keys[chain_id],
            block_time=config.block_time,
            confirmation_depth=config.confirmation_depth,
            max_drift=config.max_drift,
            hub_signer=hub_key.address,
        )
        batcher_id = batcher_node(chain_id)
        batcher_params = BatcherParams(
            chain_id=chain_id,
            l1_chain_id=L1_CHAIN_ID,
            batcher_key=batcher_keys[chain_id],
            sequencer_address=sequencer_keys[chain_id].address,
            sequencer_node=seq_node,
            follow_hub=True,
        )
        verifier_id = verifier_node(chain_id)
        verifier_params = VerifierParams(
            genesis=rollup_genesis,
            sequencer_address=sequencer_keys[chain_id].address,
            batcher_address=batcher_keys[chain_id].address,
            max_drift=config.max_drift,
            follow_hub=True,
        )
        specs.append((seq_node, "sequencer", _factory(Sequencer, seq_node, seq_params), chain_id))
        rollup_nodes.append(
            (batcher_id, "batcher", _factory(Batcher, batcher_id, batcher_params), chain_id)
        )
        rollup_nodes.append(
            (
                verifier_id,
                "verifier",
                _factory(VerifierNode, verifier_id, verifier_params),
                chain_id,
            )
        )
        if not config.settlement:
            continue
        if kinds[chain_id] == RollupKind.VALIDITY:
            rollup_nodes.extend(_prover_nodes(config, rollup_genesis, sequencer_keys[chain_id]))
        else:
            rollup_nodes.extend(_player_nodes(config, verifier_params))
    sequencer_nodes = tuple((c, sequencer_node(c)) for c in chain_ids)
    hub_params = HubParams(
        key=hub_key,
        rollups=tuple((r, genesis_hashes[r.chain_id]) for r in records),
        block_time=config.hub_block_time,
        sequencer_nodes=sequencer_nodes,
        settlement=HubSettlementParams(
            l1_chain_id=L1_CHAIN_ID,
            readers=settlement_readers(),
            aggregate_every=config.aggregate_every,
        )
        if config.settlement
        else None,
    )
    relayer_params = RelayerParams(
        key=relayer_key,
        chains=tuple((c, sequencer_node(c), trust_modes[c]) for c in chain_ids),
    )
    specs.append((HUB_NODE, "hub", _factory(Hub, HUB_NODE, hub_params), None))
    specs.append((RELAYER_NODE, "relayer", _factory(Relayer, RELAYER_NODE, relayer_params), None))
    specs.extend(rollup_nodes)
    nodes = {
        node: NodeSpec(
            node_id=node,
            kind=kind_name,
            factory=factory,
            rpc_port=config.port_base + index,
            p2p_port=config.port_base + P2P_PORT_OFFSET + index,
            chain_id=chain,
        )
        for index, (node, kind_name, factory, chain) in enumerate(specs)
    }
    return Topology(config, nodes, chain_ids, dev_keys)


# ---- settlement nodes (as World._add_provers / _add_players / _settlement_keys) --------------


def _settlement_keys(seed: int, kinds: Mapping[ChainId, RollupKind]) -> list[PrivateKey]:
    """L1 accounts of the proposers, challengers and provers."""
    return [
        dev_key(seed, role, c)
        for c, kind in kinds.items()
        for role in (("proposer", "challenger") if kind == RollupKind.OPTIMISTIC else ("prover",))
    ]


def _settlement_genesis(
    config: DevnetConfig,
    hub: Address,
    chain_ids: tuple[ChainId, ...],
    alloc: Mapping[Address, int],
    messengers: Mapping[ChainId, MessengerConfig],
) -> SettlementGenesis:
    # A rollup's genesis block does not commit to its L1Origin, so the anchors can be
    # computed before the L1 genesis block they start from.
    placeholder = L1Origin(U64(0), ZERO_HASH, U64(0), U256(0))
    anchors = tuple(
        rollup_anchor(RollupChain(RollupGenesis(c, placeholder, 0, alloc, messengers[c])))
        for c in chain_ids
    )
    split, depth = game_depths(config)
    return SettlementGenesis(hub, anchors, bond=GAME_BOND, split_depth=split, max_depth=depth)


def _prover_nodes(
    config: DevnetConfig, genesis: RollupGenesis, sequencer: PrivateKey
) -> list[NodeEntry]:
    """A validity rollup's proof coordinator and its worker processes (real proving)."""
    chain_id = genesis.chain_id
    workers = tuple(worker_node(chain_id, i) for i in range(config.provers))
    coordinator = coordinator_node(chain_id)
    params = CoordinatorParams(
        genesis=genesis,
        sequencer_address=sequencer.address,
        sequencer_node=sequencer_node(chain_id),
        prover_key=dev_key(config.seed, "prover", chain_id),
        l1_chain_id=L1_CHAIN_ID,
        workers=workers,
        follow_hub=True,
    )
    nodes: list[NodeEntry] = [
        (coordinator, "prover", _factory(Coordinator, coordinator, params), chain_id)
    ]
    for worker in workers:
        worker_params = WorkerParams(chain_id=chain_id)  # no modelled time: the work is real
        nodes.append(
            (worker, "prover-worker", _factory(ProverWorker, worker, worker_params), chain_id)
        )
    return nodes


def _player_nodes(config: DevnetConfig, verifier: VerifierParams) -> list[NodeEntry]:
    """An optimistic rollup's proposer and challenger (each derives the chain itself)."""
    chain_id = verifier.genesis.chain_id
    split, depth = game_depths(config)
    window = config.challenge_window
    game = GameConfig(bond=GAME_BOND, split_depth=split, max_depth=depth, max_clock=window)
    # A move must land within its clock: about two L1 blocks, at least the simulator's 3 s.
    margin = max(3, math.ceil(3 * config.l1_block_time))
    proposer = proposer_node(chain_id)
    proposer_params = ProposerParams(
        verifier=verifier,
        l1_chain_id=L1_CHAIN_ID,
        key=dev_key(config.seed, "proposer", chain_id),
        game=game,
        max_clock=window,
        clock_margin=margin,
        interval=config.output_interval,
    )
    challenger = challenger_node(chain_id)
    challenger_params = ChallengerParams(
        verifier=verifier,
        l1_chain_id=L1_CHAIN_ID,
        key=dev_key(config.seed, "challenger", chain_id),
        game=game,
        max_clock=window,
        clock_margin=margin,
    )
    return [
        (proposer, "proposer", _factory(Proposer, proposer, proposer_params), chain_id),
        (challenger, "challenger", _factory(Challenger, challenger, challenger_params), chain_id),
    ]


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


def _factory(cls: Any, node: NodeId, params: Any) -> Callable[[StoreView], Role]:
    def build(store: StoreView) -> Role:
        role = cls(node, params, store)
        assert isinstance(role, Role)
        return role

    return build
