"""The network plan: one description of a topology, for the simulator and the devnet.

A plan says what a network is, not how it runs: the chains (their kinds,
parents, trust modes and timing), the L1, the hub, settlement, and the
accounts funded at genesis. ``PlanSpec`` is that description as the user
writes it (TOML sections ``[l1]``, ``[rollups]``, ``[hub]``, ``[settlement]``,
``[accounts]``), read by the one parser of this module (``parse_table``),
which also reads the simulator's other sections and the devnet's settings.
``check_plan`` refuses a plan no runtime can run, naming the field (and the
chain it belongs to).

``build_plan`` resolves a spec and a seed into a ``NetworkPlan``: every key
(``dev_key(seed, …)``), the L1 and rollup genesis, and every node with its
role class and its parameters, in one order. The two runtimes are small
adapters over it: the simulator adds each node to its kernel with a memory
store (``runtime/sim/world.py``, which adds the workload client), the devnet
gives each node a process, ports and SQLite (``runtime/live/topology.py``).
Node names come from ``roles/names.py``.

Per node of a plan:

- ``l1``: the L1 node;
- per rollup: ``seq-<chain>``, ``batcher-<chain>``, ``verifier-<chain>``, and with
  settlement, for an optimistic chain ``proposer-<chain>`` and ``challenger-<chain>``,
  for a validity chain ``prover-<chain>`` (the coordinator) and its workers
  ``prover-<chain>-<i>``;
- with the hub: ``hub`` and ``relayer``.

Every rollup's parent is the L1 (``ChainPlan.parent``); an L3's parent will be
a rollup.
"""

import math
import tomllib
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, TypeVar

from interlace.primitives.errors import InputError
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
from interlace.protocol.settlement.dispute import GameConfig, dispute_seconds, game_depths
from interlace.roles.base import NodeId, Role, StoreView
from interlace.roles.batcher import RESUBMIT_L1_BLOCKS, Batcher, BatcherParams
from interlace.roles.challenger import Challenger, ChallengerParams
from interlace.roles.client import dev_key
from interlace.roles.exit_settler import ExitRootSettler, SettlerParams
from interlace.roles.game_player import RESUBMIT_L1_BLOCKS as PLAYER_RESUBMIT_L1_BLOCKS
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
    settler_node,
    verifier_node,
    worker_node,
)
from interlace.roles.proposer import Proposer, ProposerParams
from interlace.roles.prover import RESUBMIT_L1_BLOCKS as PROVER_RESUBMIT_L1_BLOCKS
from interlace.roles.prover import Coordinator, CoordinatorParams, ProverWorker, WorkerParams
from interlace.roles.relayer import Relayer, RelayerParams
from interlace.roles.rollup_follower import FollowerParams
from interlace.roles.sequencer import RollupParams, Sequencer
from interlace.roles.verifier import VerifierNode, VerifierParams

GAME_BOND: Final = 10**16
"""Wei each dispute-game claim carries."""
NODE_BALANCE: Final = 10**24
"""Wei on L1 for every node that sends L1 transactions (batchers, hub, settlement nodes),
and on every rollup for the relayer."""
ROLLUP_KINDS: Final = {"optimistic": RollupKind.OPTIMISTIC, "validity": RollupKind.VALIDITY}
TRUST_MODES: Final = {
    "p2p": TrustMode.P2P,
    "preconfirmed": TrustMode.PRECONFIRMED,
    "confirmed": TrustMode.CONFIRMED,
    "finalized": TrustMode.FINALIZED,
    "opt-out": TrustMode.OPT_OUT,
}
"""A trust mode's name in a plan file → the mode."""
TRUST_MODE_NAMES: Final = {mode: name for name, mode in TRUST_MODES.items()}
MAX_ROLLUPS: Final = 1000


class PlanError(InputError):
    """A network plan (or a file holding one) has a missing, unknown, mistyped or
    contradictory field; the message names it, and the chain or node it belongs to."""


# ---- the description ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class L1Spec:
    """The L1's parameters."""

    block_time: float = 2.0
    """Seconds between L1 blocks."""
    safe_depth: int = 2
    """Blocks behind the head that are safe."""
    finality_depth: int = 6
    """Blocks behind the head that are finalized."""


@dataclass(frozen=True, slots=True)
class RollupSpec:
    """The rollups: how many, and the parameters they share."""

    count: int = 3
    """How many rollups (chain ids ``first_chain_id`` …)."""
    first_chain_id: int = 901
    """Chain id of the first rollup."""
    block_time: float = 1.0
    """Seconds between rollup blocks."""
    confirmation_depth: int = 2
    """L1 confirmations behind the head for the L1Origin."""
    max_drift: int = 30
    """Seconds a block may run ahead of its origin with user transactions."""
    kind: str = "optimistic"
    """``optimistic`` or ``validity`` (every chain, unless ``kinds`` is given)."""
    kinds: tuple[str, ...] = ()
    """Each chain's kind, assigned in turn (overrides ``kind``)."""
    trust_modes: tuple[str, ...] = ("preconfirmed",)
    """Each chain's trust mode as a destination, assigned in turn: ``p2p``,
    ``preconfirmed``, ``confirmed``, ``finalized`` or ``opt-out``."""


@dataclass(frozen=True, slots=True)
class HubSpec:
    """The hub and the relayer."""

    enabled: bool = False
    """Run a hub (and forward its blocks to every rollup)."""
    block_time: float = 0.5
    """Seconds between hub blocks."""
    relayer: bool = True
    """The relayer delivers messages automatically (off: it runs but only on request)."""


@dataclass(frozen=True, slots=True)
class SettlementSpec:
    """Settlement on L1: proposers, challengers, provers and hub aggregates."""

    enabled: bool = False
    """Run settlement (needs the hub): confirmed and finalized levels become reachable."""
    output_interval: int = 4
    """Optimistic chains: the proposer posts an output every this many blocks."""
    challenge_window: int = 15
    """Optimistic chains: seconds on each side's chess clock (an unchallenged output
    resolves after it)."""
    split_depth: int = 0
    """Dispute games: output bisection depth (a proposal covers at most 2^split_depth blocks
    past the anchor); 0 picks it from the window and block times (``dispute.game_depths``)."""
    max_depth: int = 0
    """Dispute games: total depth (even, so a liar's game ends in a one-step proof; traces
    hold 2^(max_depth - split_depth - 1) transactions per block); 0: split_depth + 4,
    made even."""
    clock_margin: int = 0
    """Players skip a move their clock would not allow this many seconds from now; 0 picks
    max(3, ⌈1.5 L1 blocks⌉), the time a move takes to land."""
    provers: int = 2
    """Validity chains: prover workers per chain."""
    prove_seconds_per_block: float = 0.2
    """Modelled proving time per block (fixed part), on top of the real work."""
    prove_seconds_per_tx: float = 0.05
    """Modelled proving time per transaction."""
    aggregate_every: float = 4.0
    """Seconds between the hub's aggregates."""
    settle_exit_roots: bool = False
    """Run a settler per rollup (``bridge-<chain>``) that takes the rollup's local exit
    root into L1, with its certificate, after each aggregate that settles a block with
    bridge activity (off: only users' ``interlace bridge settle`` does). Only with
    settlement enabled; without it nothing is settled on L1 and no settler runs."""


@dataclass(frozen=True, slots=True)
class AccountsSpec:
    """Accounts funded at genesis (keys ``dev_key(seed, label, i)``)."""

    shared: int = 0
    """Accounts funded on L1 and on every rollup (label ``dev``), as anvil and hardhat do."""
    per_chain: int = 4
    """Accounts funded on one rollup each (label ``rollup-<chain>``)."""
    l1: int = 1
    """Accounts funded on L1 only (label ``l1``)."""
    balance: int = NODE_BALANCE
    """Wei each of them holds."""


@dataclass(frozen=True, slots=True)
class PlanSpec:
    """A network as its user describes it (see the module docstring)."""

    l1: L1Spec = field(default_factory=L1Spec)
    rollups: RollupSpec = field(default_factory=RollupSpec)
    hub: HubSpec = field(default_factory=HubSpec)
    settlement: SettlementSpec = field(default_factory=SettlementSpec)
    accounts: AccountsSpec = field(default_factory=AccountsSpec)

    def game_depths(self) -> tuple[int, int]:
        """(split_depth, max_depth) of the dispute games, the automatic ones resolved."""
        return game_depths(
            challenge_window=self.settlement.challenge_window,
            l1_block_time=self.l1.block_time,
            block_time=self.rollups.block_time,
            split_depth=self.settlement.split_depth,
            max_depth=self.settlement.max_depth,
        )

    def clock_margin(self) -> int:
        """Seconds a game player keeps in hand (``settlement.clock_margin``, resolved)."""
        margin = self.settlement.clock_margin
        return margin or max(3, math.ceil(1.5 * self.l1.block_time))

    def kind_name(self, index: int) -> str:
        """The kind of the ``index``-th rollup (0-based), as written."""
        kinds = self.rollups.kinds or (self.rollups.kind,)
        return kinds[index % len(kinds)]

    def kind(self, index: int) -> RollupKind:
        """The kind of the ``index``-th rollup (0-based)."""
        return ROLLUP_KINDS[self.kind_name(index)]

    def chain_ids(self) -> tuple[ChainId, ...]:
        """Every rollup's chain id, in order."""
        first = self.rollups.first_chain_id
        return tuple(ChainId(first + i) for i in range(self.rollups.count))


PLAN_SECTIONS: Final[dict[str, type]] = {
    "l1": L1Spec,
    "rollups": RollupSpec,
    "hub": HubSpec,
    "settlement": SettlementSpec,
    "accounts": AccountsSpec,
}
"""A plan's TOML sections and the class each is read into."""


# ---- the one parser ---------------------------------------------------------------------

T = TypeVar("T")


def reject_unknown(
    data: Mapping[str, Any], allowed: set[str], prefix: str, error: type[PlanError] = PlanError
) -> None:
    """Refuse a key that is not one of ``allowed`` (shown as ``prefix`` + key)."""
    for key in data:
        if key not in allowed:
            raise error(f"unknown field '{prefix}{key}' (allowed: {', '.join(sorted(allowed))})")


def typed(
    value: Any, kind: type | tuple[type, ...], name: str, error: type[PlanError] = PlanError
) -> Any:
    """``value`` if it is a ``kind`` (a boolean is not a number), else a refusal naming it."""
    if isinstance(value, bool) and kind is not bool:
        raise error(f"field {name!r} must be {_kind_name(kind)}, got a boolean")
    if not isinstance(value, kind):
        raise error(f"field {name!r} must be {_kind_name(kind)}, got {value!r}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false"}
    if isinstance(kind, tuple):
        return "a number" if set(kind) == {int, float} else " or ".join(k.__name__ for k in kind)
    return names.get(kind.__name__, kind.__name__)


def parse_table(
    cls: type[T],
    raw: Mapping[str, Any],
    where: str,
    base: T | None = None,
    error: type[PlanError] = PlanError,
) -> T:
    """Read a TOML table into the frozen dataclass ``cls``: each key must be one of its
    fields and of that field's type (``bool``, ``int``, ``float`` (an integer is taken),
    ``str`` or ``tuple[str, ...]`` (a list of strings)); ``-`` in a key reads as ``_``.
    Fields not given keep ``base``'s value (or the class default). ``where`` names the
    table in messages (``rollups`` → ``'rollups.count'``)."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    prefix = f"{where}." if where else ""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in names:
            reject_unknown({key: value}, names, prefix, error)
        values[name] = _read_value(value, hints[name], f"{prefix}{name}", error)
    if base is not None:
        return replace(base, **values)  # type: ignore[type-var]
    return cls(**values)


def read_field(
    cls: type, key: str, value: Any, name: str, error: type[PlanError] = PlanError
) -> Any:
    """``value`` read as field ``key`` of the dataclass ``cls`` (as ``parse_table`` reads
    it), named ``name`` in a refusal."""
    return _read_value(value, typing.get_type_hints(cls)[key], name, error)


def _read_value(value: Any, hint: Any, name: str, error: type[PlanError]) -> Any:
    if hint is bool:
        return typed(value, bool, name, error)
    if hint is float:
        return float(typed(value, (int, float), name, error))
    if hint is int or hint is str:
        return typed(value, hint, name, error)
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise error(f"field {name!r} must be a list of strings")
        return tuple(value)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):  # int | None
        if value is None:
            return None
        (inner,) = (a for a in typing.get_args(hint) if a is not type(None))
        return _read_value(value, inner, name, error)
    msg = f"no reader for field {name!r} of type {hint!r}"
    raise TypeError(msg)


def parse_plan(
    data: Mapping[str, Any], base: PlanSpec | None = None, error: type[PlanError] = PlanError
) -> PlanSpec:
    """The plan in the sections ``PLAN_SECTIONS`` of ``data`` (other keys are the caller's),
    over ``base`` (or the defaults); not yet checked (``check_plan``)."""
    plan = base or PlanSpec()
    sections: dict[str, Any] = {}
    for key, cls in PLAN_SECTIONS.items():
        raw = data.get(key, {})
        if not isinstance(raw, dict):
            raise error(f"[{key}] must be a table")
        sections[key] = parse_table(cls, raw, key, getattr(plan, key), error)
    return PlanSpec(**sections)


OTHER_SECTIONS: Final = frozenset(
    {"name", "description", "duration", "drain", "seed", "workload", "network", "faults", "devnet"}
)
"""Top-level keys a plan file may hold for a runtime (a simulator scenario's, a devnet's):
``load_plan_file`` passes over them."""


def load_plan_file(path: Path, error: type[PlanError] = PlanError) -> PlanSpec:
    """The network plan of a TOML file (a scenario file, say), over the plan's defaults:
    the network ``interlace sim run FILE`` simulates. Checked."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from exc
    try:
        reject_unknown(data, set(PLAN_SECTIONS) | OTHER_SECTIONS, "", error)
        plan = parse_plan(accounts_from_workload(data, error), error=error)
        check_plan(plan, error)
    except PlanError as exc:
        raise error(f"{path}: {exc}") from None
    return plan


def accounts_from_workload(
    data: Mapping[str, Any], error: type[PlanError] = PlanError
) -> dict[str, Any]:
    """``data`` with ``workload.accounts_per_chain`` (a scenario's spelling from before the
    network plan) read as ``accounts.per_chain``."""
    workload = data.get("workload")
    if not isinstance(workload, dict) or "accounts_per_chain" not in workload:
        return dict(data)
    accounts = data.get("accounts", {})
    if not isinstance(accounts, dict):
        raise error("[accounts] must be a table")
    if "per_chain" in accounts:
        raise error(
            "fields 'workload.accounts_per_chain' and 'accounts.per_chain' say the same: give one"
        )
    workload = dict(workload)
    per_chain = workload.pop("accounts_per_chain")
    return {**data, "workload": workload, "accounts": {**accounts, "per_chain": per_chain}}


def plan_to_mapping(plan: PlanSpec, base: PlanSpec | None = None) -> dict[str, Any]:
    """The plan as TOML/JSON sections that ``parse_plan`` reads back to an equal plan; with
    ``base``, only the fields that differ from it (sections without one are left out)."""
    out: dict[str, Any] = {}
    for key in PLAN_SECTIONS:
        section = getattr(plan, key)
        default = getattr(base, key) if base is not None else None
        values = {
            f.name: list(v) if isinstance(v := getattr(section, f.name), tuple) else v
            for f in fields(section)
            if default is None or getattr(section, f.name) != getattr(default, f.name)
        }
        if values:
            out[key] = values
    return out


# ---- checks -----------------------------------------------------------------------------


def check_plan(plan: PlanSpec, error: type[PlanError] = PlanError) -> None:
    """Refuse a plan no runtime can run, naming the field (and the chain it belongs to)."""
    _check_chains(plan, error)
    l1 = plan.l1
    if l1.block_time <= 0:
        raise error(f"field 'l1.block_time' must be positive, got {l1.block_time}")
    if l1.safe_depth < 0:
        raise error(f"field 'l1.safe_depth' must not be negative, got {l1.safe_depth}")
    if l1.finality_depth < l1.safe_depth:
        raise error("field 'l1.finality_depth' must be at least 'l1.safe_depth'")
    if plan.hub.block_time <= 0:
        raise error("field 'hub.block_time' must be positive")
    if plan.settlement.enabled and not plan.hub.enabled:
        raise error("field 'settlement.enabled' needs [hub] enabled = true")
    _check_settlement(plan, error)
    accounts = plan.accounts
    for name in ("shared", "per_chain", "l1", "balance"):
        if getattr(accounts, name) < 0:
            raise error(f"field 'accounts.{name}' must not be negative")


def _check_chains(plan: PlanSpec, error: type[PlanError]) -> None:
    rollups = plan.rollups
    if not 1 <= rollups.count <= MAX_ROLLUPS:
        raise error(
            f"field 'rollups.count' must be between 1 and {MAX_ROLLUPS}, got {rollups.count}"
        )
    last = rollups.first_chain_id + rollups.count - 1
    if (
        rollups.first_chain_id < 1
        or last >= 2**64
        or L1_CHAIN_ID in range(rollups.first_chain_id, last + 1)
    ):
        raise error(
            f"field 'rollups.first_chain_id' must give chain ids from 1 up that miss the L1's "
            f"({L1_CHAIN_ID}), got {rollups.first_chain_id} to {last}"
        )
    if rollups.block_time <= 0:
        raise error(f"field 'rollups.block_time' must be positive, got {rollups.block_time}")
    if rollups.confirmation_depth < 0 or rollups.max_drift < 0:
        raise error(
            "fields 'rollups.confirmation_depth' and 'rollups.max_drift' must not be negative"
        )
    if rollups.kind not in ROLLUP_KINDS:
        raise error(
            f"field 'rollups.kind' must be 'optimistic' or 'validity', got {rollups.kind!r}"
        )
    ids = plan.chain_ids()
    for index, kind in enumerate(rollups.kinds):
        if kind not in ROLLUP_KINDS:
            chain = f" (chain {ids[index]})" if index < len(ids) else ""
            raise error(
                f"field 'rollups.kinds[{index}]'{chain} is {kind!r}; use 'optimistic' or 'validity'"
            )
    if not rollups.trust_modes:
        raise error("field 'rollups.trust_modes' must not be empty")
    for index, mode in enumerate(rollups.trust_modes):
        if mode not in TRUST_MODES:
            chain = f" (chain {ids[index]})" if index < len(ids) else ""
            raise error(
                f"field 'rollups.trust_modes[{index}]'{chain} is {mode!r}; use "
                f"{', '.join(TRUST_MODES)}"
            )


def _check_settlement(plan: PlanSpec, error: type[PlanError]) -> None:
    s = plan.settlement
    positive = {
        "settlement.output_interval": s.output_interval,
        "settlement.challenge_window": s.challenge_window,
        "settlement.provers": s.provers,
        "settlement.aggregate_every": s.aggregate_every,
    }
    for name, value in positive.items():
        if value <= 0:
            raise error(f"field {name!r} must be positive, got {value}")
    if s.split_depth < 0 or s.max_depth < 0:
        raise error(
            "fields 'settlement.split_depth' and 'settlement.max_depth' must not be negative "
            "(0: automatic)"
        )
    if s.clock_margin < 0:
        raise error("field 'settlement.clock_margin' must not be negative (0: automatic)")
    split, depth = plan.game_depths()
    if depth < split + 2 or depth > 120:
        raise error(
            f"field 'settlement.max_depth' must be at least split_depth + 2 ({split + 2}) "
            f"and at most 120, got {depth}"
        )
    try:
        GameConfig(GAME_BOND, split, depth, s.challenge_window)
    except ValueError as exc:
        raise error(f"fields 'settlement.split_depth'/'settlement.max_depth': {exc}") from None
    needed = dispute_seconds(depth, plan.l1.block_time)
    if s.enabled and s.challenge_window < needed:
        raise error(
            f"field 'settlement.challenge_window' must be at least {math.ceil(needed)} s with "
            f"{plan.l1.block_time} s L1 blocks and max_depth {depth} (a dispute's moves must "
            "fit in it): raise it or lower l1.block_time"
        )
    if s.prove_seconds_per_block < 0 or s.prove_seconds_per_tx < 0:
        raise error("fields 'settlement.prove_seconds_*' must not be negative")


# ---- the resolved plan ------------------------------------------------------------------


class RoleKind(StrEnum):
    """What a node of a plan is."""

    L1 = "l1"
    SEQUENCER = "sequencer"
    BATCHER = "batcher"
    VERIFIER = "verifier"
    HUB = "hub"
    RELAYER = "relayer"
    PROVER = "prover"
    """A validity chain's proof coordinator."""
    PROVER_WORKER = "prover-worker"
    PROPOSER = "proposer"
    CHALLENGER = "challenger"
    SETTLER = "settler"
    """A rollup's exit-root settler (``bridge-<chain>``)."""


@dataclass(frozen=True, slots=True)
class NodePlan:
    """One node: its name, what it is, the chain it serves, and its role's parameters."""

    node_id: NodeId
    kind: RoleKind
    chain_id: ChainId | None
    """The rollup it serves (the L1's id for the L1 node, none for the hub and relayer)."""
    role: type[Role]
    params: Any
    """The role's parameters (``RollupParams``, ``HubParams`` …), frozen."""

    def build(self, store: StoreView) -> Role:
        """The role, built on ``store`` (what either runtime does at boot and restart)."""
        return self.role(self.node_id, self.params, store)  # type: ignore[call-arg]

    def factory(self) -> Callable[[StoreView], Role]:
        """``build`` as a callable a runtime keeps per node."""
        return self.build


@dataclass(frozen=True, slots=True)
class ChainPlan:
    """One rollup of a plan."""

    chain_id: ChainId
    kind: RollupKind
    parent: ChainId
    """The chain it settles on (the L1 for every rollup today; a rollup for an L3)."""
    trust_mode: TrustMode
    """How it accepts messages as a destination."""
    genesis: RollupGenesis
    genesis_hash: Hash32
    sequencer_key: PrivateKey
    batcher_key: PrivateKey
    accounts: tuple[PrivateKey, ...]
    """Keys funded on this rollup only (``accounts.per_chain``)."""


@dataclass(frozen=True, slots=True)
class NetworkPlan:
    """A plan resolved for a seed: keys, genesis and every node (see ``build_plan``)."""

    spec: PlanSpec
    seed: int
    l1: L1Params
    chains: tuple[ChainPlan, ...]
    nodes: tuple[NodePlan, ...]
    """Every node, L1 first, then each rollup's nodes chain by chain, then hub and relayer."""
    hub_key: PrivateKey
    relayer_key: PrivateKey
    shared_keys: tuple[PrivateKey, ...]
    """Funded on L1 and on every rollup (``accounts.shared``)."""
    l1_keys: tuple[PrivateKey, ...]
    """Funded on L1 only (``accounts.l1``)."""
    split_depth: int
    max_depth: int

    @property
    def chain_ids(self) -> tuple[ChainId, ...]:
        """Every rollup's chain id, in order."""
        return tuple(c.chain_id for c in self.chains)

    def chain(self, chain_id: int) -> ChainPlan:
        """The rollup ``chain_id``."""
        for chain in self.chains:
            if chain.chain_id == chain_id:
                return chain
        msg = f"no chain {chain_id} in this plan (chains: {', '.join(map(str, self.chain_ids))})"
        raise PlanError(msg)

    def node(self, node_id: str) -> NodePlan:
        """The node named ``node_id``."""
        for node in self.nodes:
            if node.node_id == node_id:
                return node
        msg = (
            f"no node {node_id!r} in this plan (nodes: {', '.join(n.node_id for n in self.nodes)})"
        )
        raise PlanError(msg)


def build_plan(spec: PlanSpec, seed: int) -> NetworkPlan:
    """Resolve ``spec`` for ``seed`` (checked first: a bad plan fails here, before any
    runtime starts anything)."""
    check_plan(spec)
    chain_ids = spec.chain_ids()
    hub_on = spec.hub.enabled
    settle = spec.settlement.enabled
    accounts = spec.accounts
    kinds = {c: spec.kind(i) for i, c in enumerate(chain_ids)}
    modes = spec.rollups.trust_modes
    trust_modes = {c: TRUST_MODES[modes[i % len(modes)]] for i, c in enumerate(chain_ids)}
    sequencer_keys = {c: dev_key(seed, "sequencer", c) for c in chain_ids}
    batcher_keys = {c: dev_key(seed, "batcher", c) for c in chain_ids}
    hub_key = dev_key(seed, "hub", 0)
    relayer_key = dev_key(seed, "relayer", 0)
    shared_keys = tuple(dev_key(seed, "dev", i) for i in range(accounts.shared))
    l1_keys = tuple(dev_key(seed, "l1", i) for i in range(accounts.l1))
    chain_accounts = {
        c: tuple(dev_key(seed, f"rollup-{c}", i) for i in range(accounts.per_chain))
        for c in chain_ids
    }
    admin = dev_key(seed, "admin", 0)
    records = [
        RollupRecord(
            chain_id=c,
            kind=kinds[c],
            sequencer=sequencer_keys[c].address,
            batcher=batcher_keys[c].address,
            challenge_window=U64(spec.settlement.challenge_window),
            admin=admin.address,
        )
        for c in chain_ids
    ]
    peers = tuple((c, sequencer_keys[c].address) for c in chain_ids)
    # AggLayer's network ids: L1 is 0, rollups count from 1 in registration order.
    network_ids = {c: i + 1 for i, c in enumerate(chain_ids)}
    messengers = {
        c: MessengerConfig(trust_modes[c], hub_key.address, peers) if hub_on else None
        for c in chain_ids
    }
    rollup_alloc: dict[ChainId, dict[Address, int]] = {}
    for c in chain_ids:
        alloc = {k.address: accounts.balance for k in shared_keys + chain_accounts[c]}
        if hub_on:
            alloc[relayer_key.address] = NODE_BALANCE
        rollup_alloc[c] = alloc
    l1_alloc: dict[Address, int] = {k.address: accounts.balance for k in shared_keys}
    l1_alloc.update({k.address: NODE_BALANCE for k in batcher_keys.values()})
    l1_alloc.update({k.address: accounts.balance for k in l1_keys})
    split, depth = spec.game_depths()
    settlement: SettlementGenesis | None = None
    if settle:
        l1_alloc[hub_key.address] = NODE_BALANCE
        l1_alloc.update({k.address: NODE_BALANCE for k in _settlement_keys(seed, kinds)})
        if spec.settlement.settle_exit_roots:
            l1_alloc.update({dev_key(seed, "settler", c).address: NODE_BALANCE for c in chain_ids})
        # A rollup's genesis block does not commit to its L1Origin, so the anchors can be
        # computed before the L1 genesis block they start from.
        placeholder = L1Origin(U64(0), ZERO_HASH, U64(0), U256(0))
        anchors = tuple(
            rollup_anchor(
                RollupChain(
                    RollupGenesis(c, placeholder, 0, rollup_alloc[c], messengers[c], network_ids[c])
                )
            )
            for c in chain_ids
        )
        settlement = SettlementGenesis(
            hub_key.address, anchors, bond=GAME_BOND, split_depth=split, max_depth=depth
        )
    genesis = L1Genesis(L1_CONFIG, l1_alloc, records, settlement=settlement)
    l1_params = L1Params(genesis, spec.l1.block_time, spec.l1.safe_depth, spec.l1.finality_depth)
    l1_header, _state = build_l1_genesis(genesis)
    l1_origin = origin_of(Block(l1_header, ()))
    nodes = [NodePlan(L1_NODE, RoleKind.L1, L1_CHAIN_ID, L1Node, l1_params)]
    chains: list[ChainPlan] = []
    for chain_id in chain_ids:
        rollup_genesis = RollupGenesis(
            chain_id,
            l1_origin,
            0,
            rollup_alloc[chain_id],
            messengers[chain_id],
            network_ids[chain_id],
        )
        genesis_hash = RollupChain(rollup_genesis).head.hash
        if settlement is not None:
            anchor = next(a for a in settlement.anchors if a.chain_id == chain_id)
            assert anchor.block_hash == genesis_hash
        chain = ChainPlan(
            chain_id=chain_id,
            kind=kinds[chain_id],
            parent=L1_CHAIN_ID,
            trust_mode=trust_modes[chain_id],
            genesis=rollup_genesis,
            genesis_hash=genesis_hash,
            sequencer_key=sequencer_keys[chain_id],
            batcher_key=batcher_keys[chain_id],
            accounts=chain_accounts[chain_id],
        )
        chains.append(chain)
        nodes.extend(_rollup_nodes(spec, seed, chain, hub_key.address if hub_on else None))
    if hub_on:
        hub_params = HubParams(
            key=hub_key,
            rollups=tuple((r, c.genesis_hash) for r, c in zip(records, chains, strict=True)),
            block_time=spec.hub.block_time,
            sequencer_nodes=tuple((c, sequencer_node(c)) for c in chain_ids),
            settlement=HubSettlementParams(
                l1_chain_id=L1_CHAIN_ID,
                readers=settlement_readers(),
                aggregate_every=spec.settlement.aggregate_every,
            )
            if settle
            else None,
        )
        relayer_params = RelayerParams(
            key=relayer_key,
            chains=tuple((c, sequencer_node(c), trust_modes[c]) for c in chain_ids),
            enabled=spec.hub.relayer,
        )
        nodes.append(NodePlan(HUB_NODE, RoleKind.HUB, None, Hub, hub_params))
        nodes.append(NodePlan(RELAYER_NODE, RoleKind.RELAYER, None, Relayer, relayer_params))
    if settle and spec.settlement.settle_exit_roots:
        # After every other node, so that adding them leaves the others' ports as they were.
        nodes.extend(
            _settler_node(spec, seed, chain, network_ids[chain.chain_id], nodes) for chain in chains
        )
    return NetworkPlan(
        spec=spec,
        seed=seed,
        l1=l1_params,
        chains=tuple(chains),
        nodes=tuple(nodes),
        hub_key=hub_key,
        relayer_key=relayer_key,
        shared_keys=shared_keys,
        l1_keys=l1_keys,
        split_depth=split,
        max_depth=depth,
    )


def _rollup_nodes(
    spec: PlanSpec, seed: int, chain: ChainPlan, hub_signer: Address | None
) -> list[NodePlan]:
    """A rollup's sequencer, batcher and verifier, and with settlement its provers or its
    game players."""
    chain_id = chain.chain_id
    follow_hub = hub_signer is not None
    sequencer = RollupParams(
        genesis=chain.genesis,
        sequencer_key=chain.sequencer_key,
        block_time=spec.rollups.block_time,
        confirmation_depth=spec.rollups.confirmation_depth,
        max_drift=spec.rollups.max_drift,
        hub_signer=hub_signer,
    )
    batcher = BatcherParams(
        chain_id=chain_id,
        l1_chain_id=L1_CHAIN_ID,
        batcher_key=chain.batcher_key,
        sequencer_address=chain.sequencer_key.address,
        sequencer_node=sequencer_node(chain_id),
        resubmit_after=RESUBMIT_L1_BLOCKS * spec.l1.block_time,
        follow_hub=follow_hub,
    )
    verifier = VerifierParams(
        follower=FollowerParams(
            genesis=chain.genesis,
            batcher_address=chain.batcher_key.address,
            max_drift=spec.rollups.max_drift,
            follow_hub=follow_hub,
        ),
        sequencer_address=chain.sequencer_key.address,
    )
    nodes = [
        NodePlan(sequencer_node(chain_id), RoleKind.SEQUENCER, chain_id, Sequencer, sequencer),
        NodePlan(batcher_node(chain_id), RoleKind.BATCHER, chain_id, Batcher, batcher),
        NodePlan(verifier_node(chain_id), RoleKind.VERIFIER, chain_id, VerifierNode, verifier),
    ]
    if not spec.settlement.enabled:
        return nodes
    if chain.kind == RollupKind.VALIDITY:
        return nodes + _prover_nodes(spec, seed, chain)
    return nodes + _player_nodes(spec, seed, verifier)


def _settler_node(
    spec: PlanSpec, seed: int, chain: ChainPlan, network_id: int, nodes: Sequence[NodePlan]
) -> NodePlan:
    """A rollup's exit-root settler, following the chain as its verifier node does."""
    verifier = next(
        n.params for n in nodes if n.kind == RoleKind.VERIFIER and n.chain_id == chain.chain_id
    )
    params = SettlerParams(
        verifier=verifier,
        kind=chain.kind,
        network_id=network_id,
        l1_chain_id=L1_CHAIN_ID,
        key=dev_key(seed, "settler", chain.chain_id),
        resubmit_after=PLAYER_RESUBMIT_L1_BLOCKS * spec.l1.block_time,
    )
    node = settler_node(chain.chain_id)
    return NodePlan(node, RoleKind.SETTLER, chain.chain_id, ExitRootSettler, params)


def _prover_nodes(spec: PlanSpec, seed: int, chain: ChainPlan) -> list[NodePlan]:
    """A validity chain's proof coordinator and its workers."""
    s = spec.settlement
    chain_id = chain.chain_id
    workers = tuple(worker_node(chain_id, i) for i in range(s.provers))
    coordinator = CoordinatorParams(
        genesis=chain.genesis,
        sequencer_address=chain.sequencer_key.address,
        sequencer_node=sequencer_node(chain_id),
        prover_key=dev_key(seed, "prover", chain_id),
        l1_chain_id=L1_CHAIN_ID,
        workers=workers,
        resubmit_after=PROVER_RESUBMIT_L1_BLOCKS * spec.l1.block_time,
        follow_hub=True,
    )
    worker = WorkerParams(
        chain_id=chain_id,
        seconds_per_tx=s.prove_seconds_per_tx,
        seconds_per_block=s.prove_seconds_per_block,
    )
    return [
        NodePlan(coordinator_node(chain_id), RoleKind.PROVER, chain_id, Coordinator, coordinator),
        *(NodePlan(w, RoleKind.PROVER_WORKER, chain_id, ProverWorker, worker) for w in workers),
    ]


def _player_nodes(spec: PlanSpec, seed: int, verifier: VerifierParams) -> list[NodePlan]:
    """An optimistic chain's proposer and challenger (each derives the chain itself)."""
    s = spec.settlement
    chain_id = verifier.genesis.chain_id
    game = GameConfig(
        bond=GAME_BOND,
        split_depth=spec.game_depths()[0],
        max_depth=spec.game_depths()[1],
        max_clock=s.challenge_window,
    )
    proposer = ProposerParams(
        verifier=verifier,
        l1_chain_id=L1_CHAIN_ID,
        key=dev_key(seed, "proposer", chain_id),
        game=game,
        max_clock=s.challenge_window,
        clock_margin=spec.clock_margin(),
        resubmit_after=PLAYER_RESUBMIT_L1_BLOCKS * spec.l1.block_time,
        interval=s.output_interval,
    )
    challenger = ChallengerParams(
        verifier=verifier,
        l1_chain_id=L1_CHAIN_ID,
        key=dev_key(seed, "challenger", chain_id),
        game=game,
        max_clock=s.challenge_window,
        clock_margin=spec.clock_margin(),
        resubmit_after=PLAYER_RESUBMIT_L1_BLOCKS * spec.l1.block_time,
    )
    return [
        NodePlan(proposer_node(chain_id), RoleKind.PROPOSER, chain_id, Proposer, proposer),
        NodePlan(challenger_node(chain_id), RoleKind.CHALLENGER, chain_id, Challenger, challenger),
    ]


def _settlement_keys(seed: int, kinds: Mapping[ChainId, RollupKind]) -> list[PrivateKey]:
    """L1 accounts of the proposers, challengers and provers."""
    return [
        dev_key(seed, role, c)
        for c, kind in kinds.items()
        for role in (("proposer", "challenger") if kind == RollupKind.OPTIMISTIC else ("prover",))
    ]
