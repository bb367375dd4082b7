"""Devnet configs and topology: typed refusals, resume rules, genesis funding, the CLI's errors."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interlace.api.node import EXIT_USAGE
from interlace.api.node import main as node_main
from interlace.cli.main import app
from interlace.roles.base import NodeId
from interlace.roles.client import dev_key
from interlace.roles.l1_node import L1Node
from interlace.roles.sequencer import Sequencer
from interlace.runtime.live import supervisor as supervisor_module
from interlace.runtime.live.supervisor import (
    DevnetError,
    ephemeral_port_range,
    free_port_base,
    resolve_config,
    write_config,
)
from interlace.runtime.live.topology import (
    NODE_BALANCE,
    P2P_PORT_OFFSET,
    ConfigError,
    build_topology,
    config_from_mapping,
    devnet_config,
    game_depths,
    load_config_file,
    node_count,
    resolve_topics,
)
from interlace.runtime.store import MemoryStore


def test_topology_has_every_node_with_distinct_ports() -> None:
    topology = build_topology(devnet_config(rollups=2, port_base=30000))
    assert list(topology.nodes) == [
        "l1",
        "seq-901",
        "seq-902",
        "hub",
        "relayer",
        "batcher-901",
        "verifier-901",
        "proposer-901",  # 901 is optimistic, 902 validity (kinds alternate)
        "challenger-901",
        "batcher-902",
        "verifier-902",
        "prover-902",
        "prover-902-0",
        "prover-902-1",
        "bridge-901",  # the exit-root settlers, last: the other nodes keep their ports
        "bridge-902",
    ]
    assert len(topology.nodes) == node_count(topology.config)
    ports = [p for s in topology.nodes.values() for p in (s.rpc_port, s.p2p_port)]
    assert len(set(ports)) == len(ports)
    assert topology.nodes[NodeId("l1")].rpc_port == 30000
    assert topology.nodes[NodeId("l1")].p2p_port == 31000
    plain = build_topology(devnet_config(rollups=2, settlement=False, kinds=("validity",)))
    assert [
        n for n in plain.nodes if n.startswith(("prover", "proposer", "challenger", "bridge"))
    ] == []
    assert len(plain.nodes) == node_count(plain.config) == 9


def test_settlement_nodes_are_funded_and_games_sized_for_the_block_time() -> None:
    topology = build_topology(devnet_config(rollups=2, provers=3, block_time=0.25))
    l1 = topology.nodes[NodeId("l1")].factory(MemoryStore())
    assert isinstance(l1, L1Node)
    for name in ("proposer", "challenger", "prover"):
        chain = 902 if name == "prover" else 901
        key = dev_key(0, name, chain)
        assert l1.head_state.get_account(key.address).balance == NODE_BALANCE
    assert l1.head_state.get_account(dev_key(0, "hub", 0).address).balance == NODE_BALANCE
    assert "prover-902-2" in topology.nodes
    # A game must span more blocks than are made in twice the challenge window.
    split, depth = game_depths(topology.config)
    assert (1 << split) * 0.25 >= 2 * topology.config.plan.settlement.challenge_window
    assert depth % 2 == 0
    assert game_depths(devnet_config(split_depth=5, max_depth=9)) == (5, 9)


def test_a_devnet_json_from_before_settlement_resumes_unchanged(tmp_path: Path) -> None:
    old = {  # a flat devnet.json as written before settlement and the network plan
        "seed": 0,
        "rollups": 2,
        "first_chain_id": 901,
        "block_time": 1.0,
        "l1_block_time": 1.0,
        "l1_safe_depth": 2,
        "l1_finality_depth": 4,
        "confirmation_depth": 2,
        "max_drift": 30,
        "hub_block_time": 0.5,
        "trust_modes": ["preconfirmed"],
        "kind": "validity",
        "dev_accounts": 10,
        "dev_balance": 10_000 * 10**18,
        "host": "127.0.0.1",
        "port_base": 8545,
        "epoch": 1.0,
        "synchronous": "normal",
        "outbox_limit": 1024,
    }
    (tmp_path / "devnet.json").write_text(json.dumps(old))
    config = load_config_file(tmp_path / "devnet.json")
    settlement = config.plan.settlement
    assert (settlement.enabled, config.plan.rollups.kinds, settlement.challenge_window) == (
        False,
        ("validity",),
        60,
    )


def test_dev_accounts_are_funded_on_l1_and_every_rollup() -> None:
    config = devnet_config(rollups=2, dev_accounts=3)
    topology = build_topology(config)
    l1 = topology.nodes[NodeId("l1")].factory(MemoryStore())
    assert isinstance(l1, L1Node)
    for key in topology.dev_keys:
        assert l1.head_state.get_account(key.address).balance == config.plan.accounts.balance
        for chain in topology.chain_ids:
            seq = topology.nodes[NodeId(f"seq-{chain}")].factory(MemoryStore())
            assert isinstance(seq, Sequencer)
            assert (
                seq.chain.head_state.get_account(key.address).balance
                == config.plan.accounts.balance
            )


def test_topics_follow_subscriptions() -> None:
    topics = resolve_topics(build_topology(devnet_config(rollups=1)))
    assert set(topics["blocks/901"]) == {"hub", "relayer", "verifier-901"}
    assert "seq-901" in topics["l1/blocks"]
    assert "l1" not in topics["l1/blocks"]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"rollups": 0}, "rollups"),
        ({"rollupz": 2}, "unknown field 'rollupz'"),
        ({"block_time": "fast"}, "'block_time' must be a number"),
        ({"rollups": True}, "'rollups' must be an integer"),
        ({"trust_modes": ["sometimes"]}, "trust_modes"),
        ({"port_base": 65000}, "port_base"),
        ({"l1_block_time": 0.0}, "l1_block_time"),
        ({"kinds": ["zk"]}, r"rollups.kinds\[0\]' \(chain 901\) is 'zk'"),
        ({"kind": "optimistic", "kinds": ["validity"]}, "kind or kinds"),
        ({"settlement": "yes"}, "'settlement' must be true or false"),
        ({"provers": 0}, "provers"),
        ({"challenge_window": 20, "l1_block_time": 2.0}, "challenge_window' must be at least"),
        ({"split_depth": 5, "max_depth": 6}, "max_depth"),
    ],
)
def test_bad_configs_are_refused_by_name(data: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        config_from_mapping(data, "test")


def test_toml_files_with_or_without_a_devnet_table(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text("[devnet]\nrollups = 3\nblock-time = 0.5\n")
    (tmp_path / "b.toml").write_text("rollups = 1\n")
    (tmp_path / "c.toml").write_text("rollups = [\n")
    assert load_config_file(tmp_path / "a.toml").plan.rollups.block_time == 0.5
    assert load_config_file(tmp_path / "b.toml").plan.rollups.count == 1
    with pytest.raises(ConfigError, match="not valid"):
        load_config_file(tmp_path / "c.toml")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config_file(tmp_path / "missing.toml")


def test_resume_keeps_the_config_and_refuses_conflicting_flags(tmp_path: Path) -> None:
    (tmp_path / "net.toml").write_text("rollups = 3\n")
    first = resolve_config(tmp_path, {"block_time": 0.5, "rollups": None}, tmp_path / "net.toml")
    assert (first.plan.rollups.count, first.plan.rollups.block_time) == (3, 0.5)
    assert first.epoch > 0
    write_config(tmp_path, first)
    again = resolve_config(tmp_path, {"block_time": 0.5, "rollups": None})
    assert again == first  # same epoch, so the same clock and genesis
    with pytest.raises(DevnetError, match=r"--rollups 2 \(it has 3\)"):
        resolve_config(tmp_path, {"rollups": 2})
    assert json.loads((tmp_path / "devnet.json").read_text())["rollups"]["count"] == 3


def test_free_port_base_is_usable() -> None:
    base = free_port_base(6)
    assert 10000 <= base < 65535 - P2P_PORT_OFFSET - 6


@pytest.mark.parametrize("ephemeral", [(32768, 60999), (1024, 20000), (49152, 65535)])
def test_free_port_base_avoids_the_ephemeral_range(
    ephemeral: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A node's outbound connections take ephemeral ports: a devnet port in that
    # range can be taken by an earlier node before its own node binds it.
    monkeypatch.setattr(supervisor_module, "ephemeral_port_range", lambda: ephemeral)
    low, high = ephemeral
    for _ in range(30):
        base = free_port_base(14)
        span = range(base, base + P2P_PORT_OFFSET + 14)
        assert span[-1] < low or span[0] > high, (base, ephemeral)


def test_free_port_base_refuses_when_everything_is_ephemeral(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(supervisor_module, "ephemeral_port_range", lambda: (1024, 65535))
    with pytest.raises(DevnetError, match="port_base"):
        free_port_base(6)


def test_ephemeral_port_range_reads_the_system() -> None:
    low, high = ephemeral_port_range()
    assert 1 <= low <= high <= 65535


def test_node_process_refuses_an_unknown_node(tmp_path: Path) -> None:
    write_config(tmp_path, devnet_config(rollups=1, epoch=1.0))
    assert node_main(["--config", str(tmp_path / "devnet.json"), "--node", "seq-999"]) == (
        EXIT_USAGE
    )


def test_cli_errors_say_what_to_do(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["devnet", "ps", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "no running devnet" in result.output
    assert "interlace devnet up" in result.output
    result = runner.invoke(app, ["devnet", "up", "--data-dir", str(tmp_path), "--rollups", "0"])
    assert result.exit_code == 2
    assert "'rollups.count' must be between" in result.output
    result = runner.invoke(app, ["devnet", "down", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "no devnet running" in result.output


def test_devnet_up_refuses_a_bad_plan_file_by_field(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('[rollups]\ncount = 2\nkinds = ["optimistic", "zk"]\n[hub]\nenabled = true\n')
    runner = CliRunner()
    args = ["devnet", "up", "--data-dir", str(tmp_path / "d"), "--plan", str(plan)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "rollups.kinds[1]' (chain 902) is 'zk'" in result.output
    plan.write_text("[rollups]\ncount = 1\n")  # no hub: the simulator's default
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "'hub.enabled' must be true on a devnet" in result.output
    assert not (tmp_path / "d").exists()  # nothing started, nothing written
