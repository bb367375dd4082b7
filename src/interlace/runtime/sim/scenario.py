"""Scenario files: a TOML description of a world, its workload, its faults and its length.

A scenario names everything a run needs besides the seed. Unknown keys and
wrong types are refused with a ``ScenarioError`` that names the field, so a
typo never silently falls back to a default. Built-in scenarios live in
``interlace/runtime/sim/scenarios/*.toml``; ``load_scenario`` accepts a
built-in name or a path.
"""

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

from interlace.primitives.errors import InterlaceError

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
    split_depth: int = 5
    """Dispute games: output bisection depth (a proposal covers at most 2^split_depth blocks
    past the anchor)."""
    max_depth: int = 10
    """Dispute games: total depth (even, so a liar's game ends in a one-step proof; traces
    hold 2^(max_depth - split_depth - 1) transactions per block)."""
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
    """One side of a partition (the rest of the world is the other)."""


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
    allowed = {"name", "description", "duration", "drain", "faults", *_SECTIONS}
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
        **sections,
    )
    _check(scenario)
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
        if key == "nodes":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ScenarioError(f"{where}.nodes must be a list of node names")
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


def _check(s: Scenario) -> None:
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
    if s.settlement.split_depth < 1 or s.settlement.max_depth < s.settlement.split_depth + 2:
        raise ScenarioError(
            "fields 'settlement.split_depth' ≥ 1 and 'settlement.max_depth' ≥ split_depth + 2"
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
        if not 0 <= fault.at <= s.duration:
            raise ScenarioError(f"faults[{index}].at must be within the duration")
        if fault.kind == "crash" and not fault.node:
            raise ScenarioError(f"faults[{index}].node is required for a crash")
        if fault.kind == "partition" and not fault.nodes:
            raise ScenarioError(f"faults[{index}].nodes is required for a partition")
        if fault.kind in ("proposer_lie", "withhold_proofs") and not s.settlement.enabled:
            raise ScenarioError(f"faults[{index}] ({fault.kind}) needs [settlement] enabled")
        if fault.kind == "l1_reorg" and fault.depth < 1:
            raise ScenarioError(f"faults[{index}].depth must be at least 1")
