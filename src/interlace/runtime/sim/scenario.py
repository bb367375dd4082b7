"""Scenario files: a TOML description of a world, its workload, its faults and its length.

A scenario names everything a run needs besides the seed. Unknown keys and
wrong types are refused with a ``ScenarioError`` that names the field, so a
typo never silently falls back to a default. Built-in scenarios live in
``interlace/runtime/sim/scenarios/*.toml``; ``load_scenario`` accepts a
built-in name or a path.
"""

import math
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Final

import tomli_w

from interlace.primitives.errors import InterlaceError
from interlace.protocol.settlement.dispute import dispute_seconds, game_depths

FAULT_KINDS: Final = (
    "l1_reorg",
    "crash",
    "partition",
    "equivocate",
    "batcher_outage",
    "proposer_lie",
    "withhold_proofs",
    "bad_state_root",
)


class ScenarioError(InterlaceError):
    """A scenario file is missing, unreadable, or has a bad field (named in the message)."""


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
    """Parameters shared by every rollup in the scenario."""

    count: int = 3
    """How many rollups."""
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
    """Run a relayer that delivers messages automatically."""


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
    past the anchor); 0 picks it from the window and block times as the devnet does
    (``dispute.game_depths``)."""
    max_depth: int = 0
    """Dispute games: total depth (even, so a liar's game ends in a one-step proof; traces
    hold 2^(max_depth - split_depth - 1) transactions per block); 0: split_depth + 4,
    made even."""
    clock_margin: int = 3
    """Players skip a move their clock would not allow this many seconds from now."""
    provers: int = 2
    """Validity chains: prover worker nodes per chain."""
    prove_seconds_per_block: float = 0.2
    """Modelled proving time per block (fixed part)."""
    prove_seconds_per_tx: float = 0.05
    """Modelled proving time per transaction."""
    aggregate_every: float = 4.0
    """Seconds between the hub's aggregates."""


@dataclass(frozen=True, slots=True)
class WorkloadSpec:
    """The user traffic."""

    transfers_per_block: int = 2
    """Transfers per rollup per rollup block time."""
    accounts_per_chain: int = 4
    """Funded accounts per rollup."""
    deposit_every: float = 0.0
    """Seconds between L1 deposits (0: none)."""
    messages_per_block: float = 0.0
    """Cross-rollup messages sent per rollup per block time (fractions send every few blocks)."""


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    """The default link profile."""

    latency_ms: float = 20.0
    """One-way base latency."""
    jitter_ms: float = 10.0
    """Extra uniform delay."""
    loss: float = 0.0
    """Drop probability."""
    duplicate: float = 0.0
    """Duplicate probability."""


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One scheduled fault."""

    kind: str
    """One of ``FAULT_KINDS``."""
    at: float
    """Virtual time it starts."""
    duration: float = 0.0
    """For crash/partition/equivocate/outage: when it ends (0: never)."""
    node: str = ""
    """Target node (crash)."""
    chain: int = 0
    """Target rollup index 0… or chain id (equivocate, batcher_outage)."""
    depth: int = 1
    """Reorg depth (l1_reorg)."""
    drop_transactions: bool = False
    """l1_reorg: lose the replaced blocks' transactions instead of re-queuing them."""
    delay_blocks: int = 0
    """equivocate: gossip each conflicting block this many blocks after the first."""
    nodes: tuple[str, ...] = ()
    """One side of a partition."""
    peers: tuple[str, ...] = ()
    """partition: the other side (default: every other node). With peers only the links
    between the two sides are cut: a verifier that hears L1 and its sequencer but not the
    hub."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """A complete scenario."""

    name: str
    """Short name."""
    description: str
    """One line on what it shows."""
    duration: float
    """Virtual seconds of the safety phase (faults happen in it)."""
    drain: float
    """Extra virtual seconds with faults healed and no new traffic (liveness phase)."""
    l1: L1Spec = field(default_factory=L1Spec)
    rollups: RollupSpec = field(default_factory=RollupSpec)
    workload: WorkloadSpec = field(default_factory=WorkloadSpec)
    network: NetworkSpec = field(default_factory=NetworkSpec)
    hub: HubSpec = field(default_factory=HubSpec)
    settlement: SettlementSpec = field(default_factory=SettlementSpec)
    faults: tuple[FaultSpec, ...] = ()
    seed: int | None = None
    """The seed ``interlace sim run`` uses when none is given (a regression scenario names the
    seed that reproduces it)."""

    def game_depths(self) -> tuple[int, int]:
        """(split_depth, max_depth) of the dispute games, the automatic ones resolved."""
        return game_depths(
            challenge_window=self.settlement.challenge_window,
            l1_block_time=self.l1.block_time,
            block_time=self.rollups.block_time,
            split_depth=self.settlement.split_depth,
            max_depth=self.settlement.max_depth,
        )

    def kind_of(self, index: int) -> str:
        """The kind of the ``index``-th rollup (0-based)."""
        kinds = self.rollups.kinds or (self.rollups.kind,)
        return kinds[index % len(kinds)]


_SECTIONS: Final[dict[str, type]] = {
    "l1": L1Spec,
    "rollups": RollupSpec,
    "workload": WorkloadSpec,
    "network": NetworkSpec,
    "hub": HubSpec,
    "settlement": SettlementSpec,
}

TRUST_MODE_NAMES: Final = ("p2p", "preconfirmed", "confirmed", "finalized", "opt-out")


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario names and their files."""
    folder = resources.files("interlace.runtime.sim") / "scenarios"
    found: dict[str, Path] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            found[entry.name.removesuffix(".toml")] = Path(str(entry))
    return dict(sorted(found.items()))


def load_scenario(name_or_path: str) -> Scenario:
    """Load a built-in scenario by name, or a TOML file by path."""
    builtins = builtin_scenarios()
    path = builtins.get(name_or_path) or Path(name_or_path)
    if not path.is_file():
        raise ScenarioError(
            f"no scenario {name_or_path!r}: not a built-in ({', '.join(builtins)}) nor a file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read {path}: {exc}") from exc
    return parse_scenario(text, source=str(path))


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Parse and check scenario TOML."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from exc
    allowed = {"name", "description", "duration", "drain", "seed", "faults", *_SECTIONS}
    _reject_unknown(data, allowed, "")
    sections: dict[str, Any] = {}
    for key, cls in _SECTIONS.items():
        raw = data.get(key, {})
        if not isinstance(raw, dict):
            raise ScenarioError(f"{source}: [{key}] must be a table")
        sections[key] = _build(cls, raw, key)
    faults_raw = data.get("faults", [])
    if not isinstance(faults_raw, list):
        raise ScenarioError(f"{source}: faults must be an array of tables ([[faults]])")
    faults = tuple(_build_fault(f, i) for i, f in enumerate(faults_raw))
    scenario = Scenario(
        name=_typed(data.get("name", Path(source).stem), str, "name"),
        description=_typed(data.get("description", ""), str, "description"),
        duration=float(_typed(data.get("duration", 60.0), (int, float), "duration")),
        drain=float(_typed(data.get("drain", 20.0), (int, float), "drain")),
        faults=faults,
        seed=_typed(data["seed"], int, "seed") if "seed" in data else None,
        **sections,
    )
    check_scenario(scenario)
    return scenario


def _reject_unknown(data: dict[str, Any], allowed: set[str], prefix: str) -> None:
    for key in data:
        if key not in allowed:
            raise ScenarioError(
                f"unknown field '{prefix}{key}' (allowed: {', '.join(sorted(allowed))})"
            )


def _typed(value: Any, kind: type | tuple[type, ...], name: str) -> Any:
    if isinstance(value, bool) and kind is not bool:
        raise ScenarioError(f"field {name!r} must be {_kind_name(kind)}, got a boolean")
    if not isinstance(value, kind):
        raise ScenarioError(f"field {name!r} must be {_kind_name(kind)}, got {value!r}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return " or ".join(k.__name__ for k in kind)
    return kind.__name__


def _build(cls: Any, raw: dict[str, Any], section: str) -> Any:
    fields = cls.__dataclass_fields__
    _reject_unknown(raw, set(fields), f"{section}.")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        default = fields[key].default
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ScenarioError(f"field '{section}.{key}' must be a list of strings")
            values[key] = tuple(value)
            continue
        expected: type | tuple[type, ...] = (
            (int, float) if isinstance(default, float) else type(default)
        )
        values[key] = _typed(value, expected, f"{section}.{key}")
        if isinstance(default, float):
            values[key] = float(value)
    return cls(**values)


def _build_fault(raw: Any, index: int) -> FaultSpec:
    where = f"faults[{index}]"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where} must be a table")
    if "kind" not in raw or "at" not in raw:
        raise ScenarioError(f"{where} needs 'kind' and 'at'")
    kind = _typed(raw["kind"], str, f"{where}.kind")
    if kind not in FAULT_KINDS:
        raise ScenarioError(f"{where}.kind {kind!r} is not one of {', '.join(FAULT_KINDS)}")
    fields = FaultSpec.__dataclass_fields__
    _reject_unknown(raw, set(fields), f"{where}.")
    values: dict[str, Any] = {"kind": kind}
    for key, value in raw.items():
        if key == "kind":
            continue
        if key in ("nodes", "peers"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ScenarioError(f"{where}.{key} must be a list of node names")
            values[key] = tuple(value)
            continue
        default = fields[key].default
        expected: type | tuple[type, ...] = (
            (int, float) if isinstance(default, float) else type(default)
        )
        if key == "at":
            expected = (int, float)
        values[key] = _typed(value, expected, f"{where}.{key}")
        if key in ("at", "duration"):
            values[key] = float(value)
    return FaultSpec(**values)


def check_scenario(s: Scenario) -> None:
    """Refuse a scenario whose fields are out of range or whose faults contradict each other."""
    positive = {
        "duration": s.duration,
        "l1.block_time": s.l1.block_time,
        "rollups.block_time": s.rollups.block_time,
        "rollups.count": s.rollups.count,
    }
    for name, value in positive.items():
        if value <= 0:
            raise ScenarioError(f"field {name!r} must be positive, got {value}")
    if s.drain < 0:
        raise ScenarioError("field 'drain' must not be negative")
    if s.rollups.kind not in ("optimistic", "validity"):
        raise ScenarioError("field 'rollups.kind' must be 'optimistic' or 'validity'")
    for kind in s.rollups.kinds:
        if kind not in ("optimistic", "validity"):
            raise ScenarioError(
                f"field 'rollups.kinds' has {kind!r}; use 'optimistic' or 'validity'"
            )
    if s.settlement.enabled and not s.hub.enabled:
        raise ScenarioError("field 'settlement.enabled' needs [hub] enabled = true")
    settlement_positive = {
        "settlement.output_interval": s.settlement.output_interval,
        "settlement.challenge_window": s.settlement.challenge_window,
        "settlement.provers": s.settlement.provers,
        "settlement.aggregate_every": s.settlement.aggregate_every,
    }
    for name, value in settlement_positive.items():
        if value <= 0:
            raise ScenarioError(f"field {name!r} must be positive, got {value}")
    if s.settlement.split_depth < 0 or s.settlement.max_depth < 0:
        raise ScenarioError(
            "fields 'settlement.split_depth' and 'settlement.max_depth' must not be negative "
            "(0: automatic)"
        )
    split, depth = s.game_depths()
    if depth < split + 2 or depth > 120:
        raise ScenarioError(
            f"field 'settlement.max_depth' must be at least split_depth + 2 ({split + 2}) "
            f"and at most 120, got {depth}"
        )
    needed = dispute_seconds(depth, s.l1.block_time)
    if s.settlement.enabled and s.settlement.challenge_window < needed:
        raise ScenarioError(
            f"field 'settlement.challenge_window' must be at least {math.ceil(needed)} s with "
            f"{s.l1.block_time} s L1 blocks and max_depth {depth} (a dispute's moves must "
            "fit in it)"
        )
    if s.settlement.prove_seconds_per_block < 0 or s.settlement.prove_seconds_per_tx < 0:
        raise ScenarioError("fields 'settlement.prove_seconds_*' must not be negative")
    if s.l1.finality_depth < s.l1.safe_depth:
        raise ScenarioError("field 'l1.finality_depth' must be at least 'l1.safe_depth'")
    if not 0 <= s.network.loss < 1 or not 0 <= s.network.duplicate < 1:
        raise ScenarioError("fields 'network.loss' and 'network.duplicate' must be in [0, 1)")
    for mode in s.rollups.trust_modes:
        if mode not in TRUST_MODE_NAMES:
            raise ScenarioError(
                f"field 'rollups.trust_modes' has {mode!r}; use {', '.join(TRUST_MODE_NAMES)}"
            )
    if not s.rollups.trust_modes:
        raise ScenarioError("field 'rollups.trust_modes' must not be empty")
    if s.workload.messages_per_block and not s.hub.enabled:
        raise ScenarioError("field 'workload.messages_per_block' needs [hub] enabled = true")
    if s.hub.block_time <= 0:
        raise ScenarioError("field 'hub.block_time' must be positive")
    if s.rollups.count > 1000:
        raise ScenarioError("field 'rollups.count' must be at most 1000")
    for index, fault in enumerate(s.faults):
        where = f"faults[{index}]"
        if not 0 <= fault.at <= s.duration:
            raise ScenarioError(
                f"{where}.at is {fault.at:g}: a fault must start within the safety phase "
                f"(0 to duration = {s.duration:g})"
            )
        if fault.duration < 0:
            raise ScenarioError(f"{where}.duration is {fault.duration:g}: must not be negative")
        if fault.kind == "crash" and not fault.node:
            raise ScenarioError(f"{where}.node is required for a crash")
        if fault.kind == "partition" and not fault.nodes:
            raise ScenarioError(f"{where}.nodes is required for a partition")
        if fault.peers and fault.kind != "partition":
            raise ScenarioError(f"{where}.peers is only for a partition")
        if set(fault.peers) & set(fault.nodes):
            both = ", ".join(sorted(set(fault.peers) & set(fault.nodes)))
            raise ScenarioError(f"{where}.peers and .nodes both name {both}")
        if fault.kind in ("proposer_lie", "withhold_proofs") and not s.settlement.enabled:
            raise ScenarioError(f"{where} ({fault.kind}) needs [settlement] enabled")
        if fault.kind == "l1_reorg" and fault.depth < 1:
            raise ScenarioError(f"{where}.depth must be at least 1")
        if fault.chain < 0:
            raise ScenarioError(f"{where}.chain is {fault.chain}: must not be negative")
    _check_overlaps(s)


_EXCLUSIVE: Final = {
    "crash": "node",
    "partition": "nodes",
    "equivocate": "chain",
    "batcher_outage": "chain",
}
"""Fault kinds two of which cannot hold the same target at once, and the field naming it:
the first to end would end the other (restart the node, heal the side, make the sequencer
honest, bring the batcher back) while the other still says it lasts."""


def _check_overlaps(s: Scenario) -> None:
    """Refuse two faults of one kind on one target whose active times overlap."""
    active: dict[tuple[str, object], tuple[int, float]] = {}
    order = sorted(range(len(s.faults)), key=lambda i: s.faults[i].at)
    for index in order:
        fault = s.faults[index]
        target_field = _EXCLUSIVE.get(fault.kind)
        if target_field is None:
            continue
        target: object = getattr(fault, target_field)
        if target_field == "nodes":
            target = (frozenset(fault.nodes), frozenset(fault.peers))
        elif target_field == "chain":
            target = fault.chain - FIRST_CHAIN_ID if fault.chain >= s.rollups.count else fault.chain
        end = fault.at + fault.duration if fault.duration else s.duration
        key = (fault.kind, target)
        previous = active.get(key)
        if previous is not None and fault.at < previous[1]:
            raise ScenarioError(
                f"faults[{index}] ({fault.kind} of {target_field} "
                f"{getattr(fault, target_field)!r} at {fault.at:g}) overlaps faults[{previous[0]}]"
                f", which lasts until {previous[1]:g}: one would end the other early"
            )
        active[key] = (index, end)


FIRST_CHAIN_ID: Final = 901
"""Chain id of the first rollup; a fault's ``chain`` is an index below the count, else an id."""


def scenario_to_toml(scenario: Scenario) -> str:
    """The scenario as TOML that ``parse_scenario`` reads back to an equal scenario.

    Only fields that differ from their defaults are written, so a shrunk regression
    scenario shows exactly what it sets.
    """
    data: dict[str, Any] = {"name": scenario.name}
    if scenario.description:
        data["description"] = scenario.description
    if scenario.seed is not None:
        data["seed"] = scenario.seed
    data["duration"] = scenario.duration
    data["drain"] = scenario.drain
    for key in _SECTIONS:
        section = getattr(scenario, key)
        changed = _changed_fields(section, type(section)())
        if changed:
            data[key] = changed
    if scenario.faults:
        data["faults"] = [
            {"kind": f.kind, "at": f.at, **_changed_fields(f, FaultSpec(f.kind, f.at))}
            for f in scenario.faults
        ]
    return tomli_w.dumps(data)


def _changed_fields(value: Any, default: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in fields(value):
        item = getattr(value, spec.name)
        if item != getattr(default, spec.name):
            out[spec.name] = list(item) if isinstance(item, tuple) else item
    return out
