"""Scenario files: a TOML description of a world, its workload, its faults and its length.

A scenario names everything a run needs besides the seed. Its network is a
network plan (``runtime/plan.py``: sections ``[l1]``, ``[rollups]``,
``[hub]``, ``[settlement]``, ``[accounts]``, the same a devnet file takes);
the simulator adds ``[workload]``, ``[network]`` (the link profile),
``[[faults]]``, ``duration``, ``drain`` and ``seed``. Every section is read
by the plan's one parser: unknown keys and wrong types are refused with a
``ScenarioError`` that names the field, so a typo never silently falls back
to a default. Built-in scenarios live in
``interlace/runtime/sim/scenarios/*.toml``; ``load_scenario`` accepts a
built-in name or a path.
"""

import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Final

import tomli_w

from interlace.protocol.l1.modules import RollupKind
from interlace.runtime.plan import (
    PLAN_SECTIONS,
    AccountsSpec,
    HubSpec,
    L1Spec,
    PlanError,
    PlanSpec,
    RollupSpec,
    SettlementSpec,
    accounts_from_workload,
    check_plan,
    parse_plan,
    parse_table,
    plan_to_mapping,
    reject_unknown,
    typed,
)

__all__ = [
    "FAULT_KINDS",
    "AccountsSpec",
    "FaultSpec",
    "HubSpec",
    "L1Spec",
    "NetworkSpec",
    "RollupSpec",
    "Scenario",
    "ScenarioError",
    "SettlementSpec",
    "WorkloadSpec",
    "builtin_scenarios",
    "check_scenario",
    "load_scenario",
    "parse_scenario",
    "scenario_to_toml",
]

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


class ScenarioError(PlanError):
    """A scenario file is missing, unreadable, or has a bad field (named in the message)."""


@dataclass(frozen=True, slots=True)
class WorkloadSpec:
    """The user traffic."""

    transfers_per_block: int = 2
    """Transfers per rollup per rollup block time (from the plan's ``accounts.per_chain``
    accounts of each rollup)."""
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
    accounts: AccountsSpec = field(default_factory=AccountsSpec)
    faults: tuple[FaultSpec, ...] = ()
    seed: int | None = None
    """The seed ``interlace sim run`` uses when none is given (a regression scenario names the
    seed that reproduces it)."""

    @property
    def plan(self) -> PlanSpec:
        """The network this scenario runs (its plan sections)."""
        return PlanSpec(self.l1, self.rollups, self.hub, self.settlement, self.accounts)

    def game_depths(self) -> tuple[int, int]:
        """(split_depth, max_depth) of the dispute games, the automatic ones resolved."""
        return self.plan.game_depths()

    def kind_of(self, index: int) -> RollupKind:
        """The kind of the ``index``-th rollup (0-based)."""
        return self.plan.kind(index)

    @property
    def first_chain_id(self) -> int:
        """Chain id of the first rollup (a fault's ``chain`` below the count is an index)."""
        return self.rollups.first_chain_id


_SIM_SECTIONS: Final[dict[str, type]] = {"workload": WorkloadSpec, "network": NetworkSpec}


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
    """Parse and check scenario TOML; a refusal starts with ``source``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return _parse_scenario(data, source)
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None


def _parse_scenario(data: dict[str, Any], source: str) -> Scenario:
    allowed = {"name", "description", "duration", "drain", "seed", "faults"}
    reject_unknown(data, allowed | set(PLAN_SECTIONS) | set(_SIM_SECTIONS), "", ScenarioError)
    data = accounts_from_workload(data, ScenarioError)
    plan = parse_plan(data, error=ScenarioError)
    sections: dict[str, Any] = {}
    for key, cls in _SIM_SECTIONS.items():
        raw = data.get(key, {})
        if not isinstance(raw, dict):
            raise ScenarioError(f"[{key}] must be a table")
        sections[key] = parse_table(cls, raw, key, error=ScenarioError)
    faults_raw = data.get("faults", [])
    if not isinstance(faults_raw, list):
        raise ScenarioError("faults must be an array of tables ([[faults]])")
    faults = tuple(_build_fault(f, i) for i, f in enumerate(faults_raw))
    scenario = Scenario(
        name=typed(data.get("name", Path(source).stem), str, "name", ScenarioError),
        description=typed(data.get("description", ""), str, "description", ScenarioError),
        duration=float(typed(data.get("duration", 60.0), (int, float), "duration", ScenarioError)),
        drain=float(typed(data.get("drain", 20.0), (int, float), "drain", ScenarioError)),
        faults=faults,
        seed=typed(data["seed"], int, "seed", ScenarioError) if "seed" in data else None,
        l1=plan.l1,
        rollups=plan.rollups,
        hub=plan.hub,
        settlement=plan.settlement,
        accounts=plan.accounts,
        **sections,
    )
    check_scenario(scenario)
    return scenario


def _build_fault(raw: Any, index: int) -> FaultSpec:
    where = f"faults[{index}]"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where} must be a table")
    if "kind" not in raw or "at" not in raw:
        raise ScenarioError(f"{where} needs 'kind' and 'at'")
    kind = typed(raw["kind"], str, f"{where}.kind", ScenarioError)
    if kind not in FAULT_KINDS:
        raise ScenarioError(f"{where}.kind {kind!r} is not one of {', '.join(FAULT_KINDS)}")
    return parse_table(FaultSpec, raw, where, error=ScenarioError)


def check_scenario(s: Scenario) -> None:
    """Refuse a scenario whose fields are out of range or whose faults contradict each other."""
    check_plan(s.plan, ScenarioError)
    if s.duration <= 0:
        raise ScenarioError(f"field 'duration' must be positive, got {s.duration}")
    if s.drain < 0:
        raise ScenarioError("field 'drain' must not be negative")
    if not 0 <= s.network.loss < 1 or not 0 <= s.network.duplicate < 1:
        raise ScenarioError("fields 'network.loss' and 'network.duplicate' must be in [0, 1)")
    if s.workload.messages_per_block and not s.hub.enabled:
        raise ScenarioError("field 'workload.messages_per_block' needs [hub] enabled = true")
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
            target = (
                fault.chain - s.first_chain_id if fault.chain >= s.rollups.count else fault.chain
            )
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
    plan = plan_to_mapping(scenario.plan, PlanSpec())
    for key in ("l1", "rollups", "workload", "network", "hub", "settlement", "accounts"):
        if key in plan:
            data[key] = plan[key]
        elif key in _SIM_SECTIONS:
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
