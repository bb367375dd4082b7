"""End to end on a real devnet with settlement: web3.py, the CLI, finality, kill -9.

One devnet of 14 processes (L1; per rollup a sequencer, batcher and verifier;
hub, relayer; proposer and challenger for the optimistic rollup 901; prover
coordinator and two workers for the validity rollup 902) with half-second
blocks, 1 s L1 blocks, L1 finality after 3 blocks and a 15 s challenge
window, so a block sent in the first seconds is FINALIZED at the hub within
about 40 s. Slow (about 60 s on two cores). Every process is stopped by
``running_devnet`` on the way out, also when an assertion fails; the test
checks none is left.
"""

import json
import os
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from typer.testing import CliRunner

from interlace.cli.main import app
from interlace.client import InterlaceClient
from interlace.protocol.bridge.module import BRIDGE_ADDRESS
from interlace.protocol.hub.state import SafetyLevel
from interlace.roles.base import NodeId
from interlace.runtime.live.supervisor import Devnet, running_devnet

with warnings.catch_warnings():  # web3 7 imports websockets.legacy, which warns on import
    warnings.filterwarnings("ignore", "websockets.legacy is deprecated", DeprecationWarning)
    from web3 import Web3

pytestmark = pytest.mark.slow

SOURCE = 901  # optimistic: finalized through a dispute game that resolves unchallenged
DESTINATION = 902  # validity: finalized through witness proofs on L1
SETTINGS: dict[str, Any] = {
    "rollups": 2,
    "block_time": 0.5,
    "l1_block_time": 1.0,
    "hub_block_time": 0.25,
    "l1_finality_depth": 3,
    "challenge_window": 15,
    "aggregate_every": 2.0,
}


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)


def cli(data_dir: Path | None, *args: str) -> Any:
    """Run ``interlace ARGS [--data-dir …] --json`` in-process and return the parsed JSON."""
    where = [] if data_dir is None else ["--data-dir", str(data_dir)]
    result = CliRunner().invoke(app, [*args, *where, "--json"])
    assert result.exit_code == 0, f"interlace {' '.join(args)[:200]}: {result.output}"
    return json.loads(result.stdout)


def node_pids(data_dir: Path) -> list[int]:
    """Live processes whose command line names this devnet's config."""
    marker = str(data_dir.resolve() / "devnet.json").encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[Devnet]:
    data_dir = tmp_path / "devnet"
    with running_devnet(data_dir, **SETTINGS) as net:
        yield net
    assert all(p.process is None or p.process.poll() is not None for p in net.nodes.values())
    assert node_pids(data_dir) == [], "node processes outlived the devnet"


def test_devnet_end_to_end(devnet: Devnet) -> None:
    data_dir = devnet.data_dir
    topology = devnet.topology
    assert {spec.kind for spec in topology.nodes.values()} >= {
        "proposer",
        "challenger",
        "prover",
        "prover-worker",
    }

    # ---- unmodified web3.py + eth-account: a transfer on a rollup ----------------------------
    w3 = Web3(Web3.HTTPProvider(topology.rpc_url(NodeId(f"seq-{SOURCE}"))))
    assert w3.eth.chain_id == SOURCE
    sender = Account.from_key(topology.dev_keys[1].secret)
    recipient = Account.create().address
    before = w3.eth.get_balance(sender.address)
    signed = sender.sign_transaction(
        {
            "chainId": SOURCE,
            "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
            "to": recipient,
            "value": 12_345,
            "gas": 21_000,
            "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 10**9,
            "type": 2,
        }
    )
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=20, poll_latency=0.1)
    assert receipt["status"] == 1
    assert w3.eth.get_balance(recipient) == 12_345
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert w3.eth.get_balance(sender.address) == before - 12_345 - fee

    # ---- the CLI: status, a cross-rollup message, its status until executed ------------------
    status = cli(data_dir, "status")
    assert sorted(c["chainId"] for c in status["chains"]) == [SOURCE, DESTINATION]
    target = "0x" + "ab" * 20
    sent = cli(
        data_dir,
        "msg",
        "send",
        "--from",
        str(SOURCE),
        "--to",
        str(DESTINATION),
        "--target",
        target,
        "--text",
        "hello, 902",
    )
    assert (sent["source"], sent["destination"]) == (SOURCE, DESTINATION)
    source_block = int(sent["blockNumber"])
    tx = sent["transactionHash"]

    def executed() -> dict[str, Any] | None:
        answer = cli(data_dir, "msg", "status", "--source", str(SOURCE), "--tx", tx)
        return answer if answer["executed"] else None

    done = wait_for("the message to execute on 902", executed, timeout=30)
    assert done["stage"] == "executed"
    relay_tx = done["relayTransaction"]
    assert relay_tx is not None
    dest_w3 = Web3(Web3.HTTPProvider(topology.rpc_url(NodeId(f"seq-{DESTINATION}"))))
    dest_block = int(dest_w3.eth.get_transaction_receipt(relay_tx)["blockNumber"])

    # ---- safety levels at the hub: pre-confirmed at once, finalized once settled -------------
    client = InterlaceClient.from_data_dir(data_dir)

    def level(chain: int, number: int) -> SafetyLevel:
        safety = client.block_safety(chain, number)
        assert safety is not None, f"the hub holds no block {number} of {chain}"
        return safety.level

    assert level(SOURCE, source_block) >= SafetyLevel.PRECONFIRMED
    # The README's command: it waits for the source block, not for delivery (done already).
    final = cli(
        data_dir, "msg", "status", "--source", str(SOURCE), "--tx", tx,
        "--wait", "finalized", "--timeout", "60",
    )  # fmt: skip
    assert final["stage"] == "executed"
    assert final["crossLevel"] == "finalized"
    assert level(SOURCE, source_block) == SafetyLevel.FINALIZED
    wait_for(
        f"{DESTINATION} block {dest_block} (the relay) to finalize",
        lambda: level(DESTINATION, dest_block) == SafetyLevel.FINALIZED,
        timeout=20,
    )
    heads = {c["chainId"]: c for c in cli(data_dir, "status")["chains"]}
    assert heads[SOURCE]["heads"]["finalized"] >= source_block
    assert heads[DESTINATION]["heads"]["finalized"] >= dest_block

    # ---- the message's proof, fetched and verified with the CLI ----------------------------
    got = cli(data_dir, "proof", "get", "--source", str(SOURCE), "--tx", tx)
    assert got["claim"]["chainId"] == SOURCE
    assert got["claim"]["blockNumber"] == source_block
    verified = cli(None, "proof", "verify", got["proof"])  # offline: no devnet needed
    assert verified["valid"] is True
    assert verified["claim"]["messageHash"] == sent["messageHash"]
    proof = bytearray.fromhex(got["proof"].removeprefix("0x"))
    proof[len(proof) // 2] ^= 0x01
    bad = CliRunner().invoke(app, ["proof", "verify", "0x" + proof.hex()])
    assert bad.exit_code == 1, bad.output  # a changed byte is refused, in one line

    # ---- the bridge: ETH from L1 to 902 with bridgeAsset, claimed there with the CLI --------
    recipient_902 = "0x" + "c4" * 20
    made = cli(
        data_dir, "bridge", "deposit", "--to-chain", str(DESTINATION), "--amount", "0.25eth",
        "--recipient", recipient_902,
    )  # fmt: skip
    assert made["destinationNetwork"] == 2  # networks: L1 0, then 901 = 1, 902 = 2
    assert made["amount"] == str(25 * 10**16)
    claimed = cli(data_dir, "bridge", "claim", "--tx", made["transactionHash"], "--wait")
    assert claimed["status"] == 1
    assert claimed["chainId"] == DESTINATION
    assert dest_w3.eth.get_balance(Web3.to_checksum_address(recipient_902)) == 25 * 10**16
    after = cli(data_dir, "bridge", "status", "--tx", made["transactionHash"])
    assert after["stage"] == "claimed"
    # web3.py reads the bridge through AggLayer's ABI, unchanged
    bridge_abi = [
        {"name": "networkID", "type": "function", "stateMutability": "view", "inputs": [],
         "outputs": [{"name": "", "type": "uint32"}]},
        {"name": "isClaimed", "type": "function", "stateMutability": "view",
         "inputs": [{"name": "leafIndex", "type": "uint32"},
                    {"name": "sourceBridgeNetwork", "type": "uint32"}],
         "outputs": [{"name": "", "type": "bool"}]},
    ]  # fmt: skip
    on_902 = dest_w3.eth.contract(
        address=Web3.to_checksum_address("0x" + BRIDGE_ADDRESS.hex()), abi=bridge_abi
    )
    assert on_902.functions.networkID().call() == 2
    assert on_902.functions.isClaimed(made["depositCount"], 0).call() is True
    twice = CliRunner().invoke(
        app, ["bridge", "claim", "--tx", made["transactionHash"], "--data-dir", str(data_dir)]
    )
    assert twice.exit_code == 1
    assert "already claimed on 902" in twice.output
    # back to L1: withdraw from 902, L1 takes 902's local exit root with a storage proof
    # against a block it settled, then the claim on L1 pays out of escrow
    recipient_l1 = "0x" + "c5" * 20
    out = cli(
        data_dir, "bridge", "withdraw", "--from-chain", str(DESTINATION), "--amount", "0.1eth",
        "--recipient", recipient_l1,
    )  # fmt: skip
    assert (out["sourceNetwork"], out["destinationNetwork"]) == (2, 0)
    waiting = cli(
        data_dir, "bridge", "status", "--chain", str(DESTINATION), "--tx", out["transactionHash"]
    )
    assert waiting["stage"] == "sent"
    assert "interlace bridge settle --chain 902" in waiting["waitingFor"]

    def claimable_on_l1() -> bool:
        # nobody calls settle here: 902's settler (bridge-902) takes its exit root into L1
        # with the certificate once an aggregate settles a block at or above the withdrawal
        now = cli(
            data_dir,
            "bridge",
            "status",
            "--chain",
            str(DESTINATION),
            "--tx",
            out["transactionHash"],
        )
        return bool(now["stage"] == "claimable")

    wait_for("902's settler to take its exit root past the withdrawal", claimable_on_l1, timeout=60)
    claimed_l1 = cli(
        data_dir, "bridge", "claim", "--chain", str(DESTINATION), "--tx", out["transactionHash"],
        "--wait",
    )  # fmt: skip
    assert claimed_l1["chainId"] == 900
    l1_w3 = Web3(Web3.HTTPProvider(topology.rpc_url(NodeId("l1"))))
    assert l1_w3.eth.get_balance(Web3.to_checksum_address(recipient_l1)) == 10**17
    # per-chain accounting: 902 got 0.25 ETH through the bridge and sent 0.1 back, so its
    # bridge refuses to exit 0.2 more (L1 would refuse the certificate of such a range
    # too, tests/protocol/test_bridge_certificate.py), with the figures
    refused = CliRunner().invoke(
        app,
        ["bridge", "withdraw", "--from-chain", str(DESTINATION), "--amount", "0.2eth",
         "--recipient", recipient_l1, "--data-dir", str(data_dir)],
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "InsufficientBridgedBalance: network 2 exits 200000000000000000" in refused.output
    assert "holds 150000000000000000 bridged in" in refused.output, refused.output

    # ---- an ERC-20 token: made on L1, to 902 and back, read with web3.py's ERC-20 ABI -----
    made_token = cli(
        data_dir, "token", "create", "--name", "Interlace Gold", "--symbol", "IGLD",
        "--decimals", "6", "--supply", "1000000",
    )  # fmt: skip
    me, token = made_token["creator"], made_token["token"]
    sent = cli(
        data_dir, "bridge", "deposit", "--to-chain", str(DESTINATION), "--amount", "2500",
        "--token", token,
    )  # fmt: skip
    assert (sent["originNetwork"], sent["originAddress"]) == (0, token)
    cli(data_dir, "bridge", "claim", "--tx", sent["transactionHash"], "--wait")
    on_902 = cli(data_dir, "token", "balance", "--token", token, "--chain", str(DESTINATION))
    assert on_902["balance"] == "2500" and on_902["token"] != token  # the wrapped token
    erc20_abi = [
        {"name": name, "type": "function", "stateMutability": "view", "inputs": [],
         "outputs": [{"name": "", "type": kind}]}
        for name, kind in (("name", "string"), ("symbol", "string"), ("decimals", "uint8"),
                           ("totalSupply", "uint256"))
    ] + [
        {"name": "balanceOf", "type": "function", "stateMutability": "view",
         "inputs": [{"name": "account", "type": "address"}],
         "outputs": [{"name": "", "type": "uint256"}]},
    ]  # fmt: skip
    wrapped = dest_w3.eth.contract(address=Web3.to_checksum_address(on_902["token"]), abi=erc20_abi)
    assert (wrapped.functions.name().call(), wrapped.functions.symbol().call()) == (
        "Interlace Gold",
        "IGLD",
    )
    assert wrapped.functions.decimals().call() == 6
    assert wrapped.functions.totalSupply().call() == 2500
    assert wrapped.functions.balanceOf(Web3.to_checksum_address(me)).call() == 2500
    l1_token = l1_w3.eth.contract(address=Web3.to_checksum_address(token), abi=erc20_abi)
    assert l1_token.functions.balanceOf(Web3.to_checksum_address(me)).call() == 1_000_000 - 2500
    back = cli(
        data_dir, "bridge", "withdraw", "--from-chain", str(DESTINATION), "--amount", "1000",
        "--token", token,
    )  # fmt: skip
    wait_for(
        "L1 to take 902's exit root past the token withdrawal",
        lambda: (
            int(cli(data_dir, "bridge", "settle", "--chain", str(DESTINATION))["settledBlock"])
            >= int(back["blockNumber"])
        ),
        timeout=60,
    )
    cli(
        data_dir, "bridge", "claim", "--chain", str(DESTINATION), "--tx", back["transactionHash"],
        "--wait",
    )  # fmt: skip
    assert l1_token.functions.balanceOf(Web3.to_checksum_address(me)).call() == 1_000_000 - 1500
    assert wrapped.functions.totalSupply().call() == 1500

    # ---- kill -9 a sequencer: it resumes from its store, with no height gap -----------------
    seq = NodeId(f"seq-{SOURCE}")
    head_before = w3.eth.block_number
    devnet.kill(seq)
    wait_for("the sequencer's restart", lambda: (devnet.health(seq) or {}).get("ok"))
    assert devnet.nodes[seq].restarts == 1
    wait_for("blocks after the restart", lambda: w3.eth.block_number >= head_before + 6)
    parent = w3.eth.get_block(max(head_before - 4, 0))
    for number in range(parent["number"] + 1, w3.eth.block_number + 1):
        block = w3.eth.get_block(number)
        assert block["parentHash"] == parent["hash"], f"block {number} does not extend its parent"
        parent = block
    # ... and the restarted sequencer takes transactions again (web3.py's nonce from it).
    again = sender.sign_transaction(
        {
            "chainId": SOURCE,
            "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
            "to": recipient,
            "value": 1,
            "gas": 21_000,
            "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 10**9,
            "type": 2,
        }
    )
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(again.raw_transaction), timeout=20, poll_latency=0.1
    )
    assert w3.eth.get_balance(recipient) == 12_346

    pids = [p.process.pid for p in devnet.nodes.values() if p.process is not None]
    assert sorted(pids) == sorted(node_pids(data_dir))
    assert all(os.path.exists(f"/proc/{pid}") for pid in pids)
