"""The network plan: one description, one parser, the same nodes in both runtimes."""

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from interlace.roles.base import NodeId
from interlace.roles.names import CLIENT_NODE
from interlace.runtime.live.supervisor import DevnetError, resolve_config
from interlace.runtime.live.topology import (
    DEVNET_PLAN,
    ConfigError,
    DevnetConfig,
    build_topology,
    config_to_json,
    load_config_file,
    resolve_topics,
)
from interlace.runtime.plan import (
    PlanError,
    PlanSpec,
    RoleKind,
    build_plan,
    check_plan,
    load_plan_file,
    parse_plan,
    plan_to_mapping,
)
from interlace.runtime.sim.scenario import (
    ScenarioError,
    builtin_scenarios,
    load_scenario,
)
from interlace.runtime.sim.world import World
from interlace.runtime.store import MemoryStore

REGRESSIONS = Path(__file__).parent / "sim" / "regressions"


def _sim_params(world: World) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node, slot in world.sim.nodes.items():
        assert slot.role is not None
        out[node] = (type(slot.role), slot.role.params)  # type: ignore[attr-defined]
    return out


def _devnet_params(config: DevnetConfig) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node, spec in build_topology(config).nodes.items():
        role = spec.factory(MemoryStore())
        out[node] = (type(role), role.params)  # type: ignore[attr-defined]
    return out


@pytest.mark.parametrize("name", ["settlement", "interop", "quickstart"])
def test_a_scenario_and_a_devnet_built_from_one_plan_give_every_role_the_same_parameters(
    name: str,
) -> None:
    path = builtin_scenarios()[name]
    scenario = load_scenario(name)
    plan = load_plan_file(path)
    assert plan == scenario.plan
    seed = 7
    sim = _sim_params(World(scenario, seed))
    if not plan.hub.enabled:  # a devnet always runs the hub: the plan is refused, by name
        with pytest.raises(ConfigError, match=r"'hub\.enabled' must be true on a devnet"):
            build_topology(DevnetConfig(plan=plan, seed=seed))
        return
    live = _devnet_params(DevnetConfig(plan=plan, seed=seed))
    assert set(sim) - set(live) == {CLIENT_NODE}  # the simulator's workload is its own
    assert set(live) <= set(sim)
    for node, (role, params) in live.items():
        assert sim[node] == (role, params), node


def test_every_scenario_file_reads_to_the_plan_its_simulation_runs() -> None:
    files = [*builtin_scenarios().values(), *sorted(REGRESSIONS.glob("*.toml"))]
    assert len(files) > 30
    for path in files:
        scenario = load_scenario(str(path))
        assert load_plan_file(path) == scenario.plan, path
        # the accounts the workload sends from are the ones the plan funds
        world = World(scenario, 1)
        keys = world.plan.chains[0].accounts
        assert len(keys) == scenario.accounts.per_chain


def test_the_devnet_starts_nodes_by_tier_and_the_simulator_boots_them_in_plan_order() -> None:
    plan = build_plan(DEVNET_PLAN, 0)
    kinds = [n.kind for n in plan.nodes]
    assert kinds[:4] == [RoleKind.L1, RoleKind.SEQUENCER, RoleKind.BATCHER, RoleKind.VERIFIER]
    # the settlers come last, so that they leave the other nodes' ports as they were
    assert kinds[-4:] == [RoleKind.HUB, RoleKind.RELAYER, RoleKind.SETTLER, RoleKind.SETTLER]
    topology = build_topology(DevnetConfig())
    order = [s.kind for s in topology.nodes.values()]
    assert order[:5] == [
        RoleKind.L1,
        RoleKind.SEQUENCER,
        RoleKind.SEQUENCER,
        RoleKind.HUB,
        RoleKind.RELAYER,
    ]
    assert sorted(topology.nodes) == sorted(n.node_id for n in plan.nodes)
    scenario = load_scenario("settlement")
    booted = list(World(scenario, 1).sim.nodes)
    planned = [n.node_id for n in build_plan(scenario.plan, 1).nodes]
    assert [n for n in booted if n != CLIENT_NODE] == planned
    assert booted.index(CLIENT_NODE) == planned.index(NodeId("hub"))


BAD_PLANS = [
    ("[rollups]\ncuont = 2\n", "unknown field 'rollups.cuont'"),
    ('[rollups]\ncount = 2\nkinds = ["optimistic", "zk"]\n', "'rollups.kinds[1]' (chain 902)"),
    ('[rollups]\ntrust_modes = ["sometimes"]\n', "'rollups.trust_modes[0]' (chain 901)"),
    ('[l1]\nblock_time = "fast"\n', "field 'l1.block_time' must be a number, got 'fast'"),
    ("[settlement]\nprovers = 0\n", "field 'settlement.provers' must be positive, got 0"),
    ("[accounts]\nshared = -1\n", "field 'accounts.shared' must not be negative"),
    ("[l1]\nsafe_depth = 5\nfinality_depth = 2\n", "'l1.finality_depth' must be at least"),
    (
        "[hub]\nenabled = false\n[settlement]\nenabled = true\n",
        "field 'settlement.enabled' needs [hub] enabled = true",
    ),
    ("[rollups]\ncount = 2\nfirst_chain_id = 0\n", "field 'rollups.first_chain_id'"),
    ("rollups = 3\n[rollups]\ncount = 2\n", None),  # a TOML error: a key defined twice
]


@pytest.mark.parametrize(("text", "message"), BAD_PLANS)
def test_a_bad_plan_fails_with_the_same_message_in_both_runtimes(
    tmp_path: Path, text: str, message: str | None
) -> None:
    scenario_file = tmp_path / "scenario.toml"
    scenario_file.write_text(text)  # the same text: a scenario with every default
    devnet_file = tmp_path / "devnet.toml"
    devnet_file.write_text(text)
    with pytest.raises(ScenarioError) as in_sim:
        load_scenario(str(scenario_file))
    with pytest.raises(ConfigError) as in_devnet:
        load_config_file(devnet_file)
    with pytest.raises(PlanError) as as_plan:
        load_plan_file(devnet_file)
    sim = str(in_sim.value).removeprefix(f"{scenario_file}: ")
    live = str(in_devnet.value).removeprefix(f"{devnet_file}: ")
    plan = str(as_plan.value).removeprefix(f"{devnet_file}: ")
    if message is None:
        assert sim.startswith("not valid TOML")
        assert sim == live == plan
        return
    assert message in sim
    assert sim == live == plan


def test_a_devnet_file_takes_plan_sections_and_flat_names_but_not_both_for_one_field(
    tmp_path: Path,
) -> None:
    path = tmp_path / "net.toml"
    path.write_text(
        "[devnet]\nport_base = 20000\nblock_time = 0.5\n"
        '[rollups]\ncount = 3\nkinds = ["validity"]\n[settlement]\nprovers = 1\n'
    )
    config = load_config_file(path)
    assert config.port_base == 20000
    assert config.plan.rollups == DEVNET_PLAN.rollups.__class__(
        count=3, block_time=0.5, kinds=("validity",), trust_modes=("preconfirmed",)
    )
    assert config.plan.settlement.provers == 1
    assert config.plan.settlement.enabled  # the devnet's default where the file is silent
    path.write_text("[devnet]\nrollups = 2\n[rollups]\ncount = 3\n")
    with pytest.raises(ConfigError, match=r"'rollups' and 'rollups\.count' say the same"):
        load_config_file(path)


def test_devnet_json_round_trips_every_field(tmp_path: Path) -> None:
    config = resolve_config(tmp_path, {"rollups": 3, "seed": 5, "block_time": 0.5})
    path = tmp_path / "devnet.json"
    path.write_text(config_to_json(config))
    again = load_config_file(path)
    assert again == config
    data = json.loads(path.read_text())
    assert data["devnet"]["seed"] == 5
    assert data["rollups"]["count"] == 3
    assert set(data) == {"devnet", "l1", "rollups", "hub", "settlement", "accounts"}


def test_plan_mapping_round_trips_and_keeps_only_what_differs() -> None:
    plan = DEVNET_PLAN
    assert parse_plan(plan_to_mapping(plan)) == plan
    assert parse_plan(plan_to_mapping(plan, PlanSpec())) == plan
    assert plan_to_mapping(PlanSpec(), PlanSpec()) == {}
    assert plan_to_mapping(DEVNET_PLAN, DEVNET_PLAN) == {}


def test_a_plan_run_on_a_devnet_keeps_the_simulator_timing(tmp_path: Path) -> None:
    # --plan runs the scenario's network: modelled proving time and clock margin included
    path = builtin_scenarios()["withheld-proof"]
    config = resolve_config(tmp_path, {"port_base": 20000}, plan_file=path)
    assert config.plan == load_scenario("withheld-proof").plan
    topology = build_topology(config)
    topics = resolve_topics(topology)
    assert "hub" in topics["blocks/901"]
    write = tmp_path / "devnet.json"
    write.write_text(config_to_json(config))
    with pytest.raises(DevnetError, match="a different network"):
        resolve_config(tmp_path, {}, plan_file=builtin_scenarios()["settlement"])
    assert resolve_config(tmp_path, {}, plan_file=path) == config
    with pytest.raises(DevnetError, match="--config or --plan, not both"):
        resolve_config(tmp_path, {}, path, path)


def test_check_plan_accepts_the_defaults_of_both_runtimes() -> None:
    check_plan(PlanSpec())
    check_plan(DEVNET_PLAN)
    assert build_plan(DEVNET_PLAN, 0).chain(902).kind.name == "VALIDITY"
    with pytest.raises(PlanError, match="no chain 999"):
        build_plan(DEVNET_PLAN, 0).chain(999)
    with pytest.raises(PlanError, match="no node 'seq-999'"):
        build_plan(DEVNET_PLAN, 0).node("seq-999")


@pytest.mark.parametrize("l1_block_time", [0.5, 1.0])
def test_every_l1_sender_waits_as_many_l1_block_times_as_its_role_did(
    l1_block_time: float,
) -> None:
    spec = replace(DEVNET_PLAN, l1=replace(DEVNET_PLAN.l1, block_time=l1_block_time))
    blocks = {RoleKind.BATCHER: 3, RoleKind.PROVER: 3, RoleKind.PROPOSER: 4, RoleKind.CHALLENGER: 4}
    waits = {
        node.kind: node.params.resubmit_after
        for node in build_plan(spec, 0).nodes
        if node.kind in blocks
    }
    assert set(waits) == set(blocks)
    assert waits == {kind: blocks[kind] * l1_block_time for kind in waits}
