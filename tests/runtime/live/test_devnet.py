"""A real devnet of OS processes: blocks flow, kill -9 loses nothing acknowledged, the hub resumes.

Slow (about 30 s on two cores). Every process started here is stopped by
``running_devnet`` on the way out, also when an assertion fails.
"""

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from interlace.api.node import load_rpc_builder
from interlace.primitives.envelope import recover_header_signer
from interlace.primitives.header import decode_header
from interlace.primitives.keys import PrivateKey
from interlace.primitives.tx import decode_transaction, sign_dynamic_fee
from interlace.primitives.types import Address
from interlace.roles.base import Message, NodeId
from interlace.roles.client import dev_key
from interlace.roles.messages import (
    ReceiptsRequest,
    ReceiptsResponse,
    SetByzantine,
    SubmitTransaction,
    TransactionAccepted,
)
from interlace.runtime.live.codec import decode_message, encode_message
from interlace.runtime.live.supervisor import (
    ENDPOINTS_FILE,
    Devnet,
    DevnetError,
    post_admin,
    running_devnet,
)

pytestmark = pytest.mark.slow

SEQ = NodeId("seq-901")
OTHER_SEQ = NodeId("seq-902")
HUB = NodeId("hub")


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[Devnet]:
    with running_devnet(
        tmp_path / "devnet", rollups=2, block_time=0.25, l1_block_time=1.0, hub_block_time=0.25
    ) as net:
        yield net


def ask(devnet: Devnet, node: NodeId, message: Message) -> Message | None:
    raw = post_admin(devnet.topology.p2p_url(node), encode_message(message), wait=True)
    return None if raw is None else decode_message(raw)


def wait_for(what: str, check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def health(devnet: Devnet, node: NodeId) -> dict[str, Any]:
    return devnet.health(node) or {}


class Submitter(threading.Thread):
    """Signs transfers with one key in nonce order and resubmits each until it is answered."""

    def __init__(self, devnet: Devnet, key: PrivateKey) -> None:
        super().__init__(daemon=True)
        self.devnet = devnet
        self.key = key
        self.acked: list[bytes] = []
        self.refused = 0
        self.stop = threading.Event()

    def run(self) -> None:
        nonce = 0
        while not self.stop.is_set():
            tx = sign_dynamic_fee(
                self.key,
                chain_id=901,
                nonce=nonce,
                to=Address(b"\x42" * 20),
                gas_limit=21_000,
                max_priority_fee_per_gas=1_000,
                max_fee_per_gas=10**11,
                value=1,
            )
            try:
                answer = ask(self.devnet, SEQ, SubmitTransaction(tx.raw))
            except DevnetError:
                time.sleep(0.05)  # the sequencer is down: try the same transaction again
                continue
            if isinstance(answer, TransactionAccepted):
                self.acked.append(answer.tx_hash)
                nonce += 1
            elif answer is not None:
                # Accepted before the crash but its acknowledgement was lost: it is known
                # under this nonce already; not counted as acknowledged.
                self.refused += 1
                nonce += 1
            time.sleep(0.02)


def chain_blocks(devnet: Devnet, node: NodeId, head: int) -> list[ReceiptsResponse]:
    blocks = []
    for number in range(1, head + 1):
        answer = ask(devnet, node, ReceiptsRequest(number, number))
        assert isinstance(answer, ReceiptsResponse), f"block {number} missing"
        blocks.append(answer)
    return blocks


def test_devnet_survives_kill_9(devnet: Devnet) -> None:
    endpoints = json.loads((devnet.data_dir / ENDPOINTS_FILE).read_text())
    assert set(endpoints["nodes"]) == set(devnet.topology.nodes)
    assert all(isinstance(n["pid"], int) for n in endpoints["nodes"].values())
    wait_for("blocks on both rollups", lambda: health(devnet, OTHER_SEQ).get("head", 0) >= 4)
    wait_for("a safe head", lambda: health(devnet, NodeId("verifier-901")).get("safe", 0) >= 1)

    if load_rpc_builder() is not None:  # the JSON-RPC layer is mounted on each node's RPC port
        request = urllib.request.Request(
            devnet.topology.rpc_url(SEQ),
            data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["result"] == hex(901)

    # kill -9 the sequencer while a client submits; the supervisor restarts it.
    submitter = Submitter(devnet, devnet.topology.dev_keys[0])
    submitter.start()
    wait_for("acknowledged transactions", lambda: len(submitter.acked) >= 20)
    devnet.kill(SEQ)
    time.sleep(0.5)
    wait_for("the sequencer's restart", lambda: health(devnet, SEQ).get("ok") is True)
    assert devnet.nodes[SEQ].restarts == 1
    before = len(submitter.acked)
    wait_for("acknowledgements after the restart", lambda: len(submitter.acked) >= before + 20)
    submitter.stop.set()
    submitter.join(5)
    wait_for("an empty mempool", lambda: health(devnet, SEQ).get("pending") == 0)

    head = int(health(devnet, SEQ)["head"])
    blocks = chain_blocks(devnet, SEQ, head)
    parent = None
    included: list[bytes] = []
    sequencer = dev_key(devnet.config.seed, "sequencer", 901).address
    for number, block in enumerate(blocks, start=1):
        header = decode_header(block.header_rlp)
        assert header.number == number
        # Before and after the restart, the same key attests every header (peer proofs).
        signer = recover_header_signer(901, block.block_hash, block.header_signature)
        assert signer == sequencer, f"block {number} header signed by another key"
        if parent is not None:
            assert header.parent_hash == parent, f"block {number} does not extend {number - 1}"
        parent = block.block_hash
        included.extend(decode_transaction(raw).hash for raw in block.transactions)
    assert len(included) == len(set(included)), "a transaction executed twice"
    missing = set(submitter.acked) - set(included)
    assert not missing, f"{len(missing)} acknowledged transactions were lost"

    # Equivocation on the other rollup: the hub freezes it, and keeps that over kill -9.
    post_admin(devnet.topology.p2p_url(OTHER_SEQ), encode_message(SetByzantine(True)), wait=False)
    wait_for("the hub to freeze 902", lambda: health(devnet, HUB).get("frozen") == [902])
    frozen_before = health(devnet, HUB)
    devnet.kill(HUB)
    time.sleep(0.5)
    wait_for("the hub's restart", lambda: health(devnet, HUB).get("ok") is True)
    wait_for(
        "the hub's replay", lambda: health(devnet, HUB).get("head", 0) >= frozen_before["head"]
    )
    # The replayed envelopes wait for the hub's L1 re-sync (their L1Origins must be
    # canonical) before the evidence is re-established.
    wait_for("902 frozen again", lambda: health(devnet, HUB).get("frozen") == [902], 10)
    after = health(devnet, HUB)
    assert after["evidence"] >= frozen_before["evidence"] >= 1
    # The honest chain keeps going while 902 is isolated (invariant 8).
    honest = health(devnet, SEQ)["head"]
    wait_for("901 to keep producing", lambda: health(devnet, SEQ)["head"] > honest + 4)
    hub_seen = after["heads"]["901"]
    wait_for("the hub to follow 901", lambda: health(devnet, HUB)["heads"]["901"] > hub_seen)

    # The directory is locked while it runs; resuming with other settings is refused.
    port_base = devnet.config.port_base
    with pytest.raises(DevnetError, match="in use by a running devnet"):
        Devnet(devnet.data_dir, devnet.config).start()
    with pytest.raises(DevnetError, match=r"--rollups 3 \(it has 2\)"):
        running_devnet(devnet.data_dir, rollups=3, port_base=port_base).__enter__()

    # A clean stop: every node exits on SIGTERM, none needs SIGKILL.
    devnet.stop()
    codes = {n: p.process.returncode for n, p in devnet.nodes.items() if p.process is not None}
    assert codes == dict.fromkeys(devnet.topology.nodes, 0)


def _rpc(url: str, method: str, params: list[Any]) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["result"]


def test_a_scenario_plan_runs_live_as_the_simulator_builds_it(tmp_path: Path) -> None:
    # One network plan, both runtimes: the plan sections of a scenario file run as a devnet
    # (``devnet up --plan``), with the scenario's accounts and no devnet defaults mixed in.
    plan = tmp_path / "scenario.toml"
    plan.write_text(
        'name = "live-plan"\nduration = 30\n'
        "[l1]\nblock_time = 1.0\nfinality_depth = 3\n"
        "[rollups]\ncount = 1\nblock_time = 0.5\n"
        "[hub]\nenabled = true\nblock_time = 0.5\n"
        "[accounts]\nper_chain = 2\nshared = 0\n"
        "[workload]\ntransfers_per_block = 1\n"
    )
    with running_devnet(tmp_path / "devnet", plan_file=plan) as devnet:
        assert sorted(devnet.topology.nodes) == [
            "batcher-901",
            "hub",
            "l1",
            "relayer",
            "seq-901",
            "verifier-901",
        ]
        assert devnet.topology.dev_keys == ()
        wait_for("blocks on 901", lambda: health(devnet, SEQ).get("head", 0) >= 3)
        wait_for(
            "the hub to follow", lambda: health(devnet, HUB).get("heads", {}).get("901", 0) > 1
        )
        rpc = devnet.topology.rpc_url(SEQ)
        funded = "0x" + dev_key(0, "rollup-901", 1).address.hex()
        shared = "0x" + dev_key(0, "dev", 0).address.hex()
        assert int(_rpc(rpc, "eth_getBalance", [funded, "latest"]), 16) == 10**24
        assert int(_rpc(rpc, "eth_getBalance", [shared, "latest"]), 16) == 0
