"""The live devnet on loopback: cross-rollup message latency and transaction intake.

A devnet of real processes (2 rollups, 0.25 s blocks, 1 s L1 blocks, both
chains in the pre-confirmed trust mode) is started in a temporary directory.
Everything goes through JSON-RPC on the nodes' RPC ports (raw aiohttp
calls, as any Ethereum client would make them).

1. **Message latency.** ``--messages`` (200) ``sendMessage`` calls from
   rollup 901 to rollup 902, one every 0.1 s. For each: the time
   ``eth_sendRawTransaction`` was sent, the time the source block holding it
   was made, and the time the destination block that executed the relay was
   made (the last two from the nodes' ``events.jsonl``, in the devnet's
   clock). Reported as p50/p99 beside one source block plus one destination
   block (0.5 s; goal: p50 ≤ 0.75 s from submission) and beside what a
   pipeline with no overhead would give: from submission half a block of
   waiting on average plus one block (0.375 s), from the source block one
   destination block (0.25 s).
2. **Intake.** ``--seconds`` (60) of ``eth_sendRawTransaction`` into rollup
   901 from 32 concurrent senders, each with its own account and nonces;
   any JSON-RPC error fails the run. Then every account's nonce on chain is
   checked against what it sent (nothing acknowledged was lost). The
   reference, measured in the same run: the sequencer role accepting the
   same kind of transactions in-process (no RPC, network or SQLite).

Run: ``python benchmarks/bench_devnet.py [--messages 200] [--seconds 60]``
"""

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey
from interlace.primitives.tx import sign_dynamic_fee
from interlace.primitives.types import Address, Hash32
from interlace.protocol.interop.messenger import (
    MESSENGER_ABI,
    MESSENGER_ADDRESS,
    message_payload,
    relay_key,
)
from interlace.roles.base import MessageReceived, NodeId, Started, Timestamp
from interlace.roles.messages import SubmitTransaction, TransactionAccepted
from interlace.roles.sequencer import Sequencer
from interlace.runtime.live.supervisor import Devnet, running_devnet
from interlace.runtime.store import MemoryStore

SOURCE, DESTINATION = 901, 902
BLOCK_TIME = 0.25
SENDERS = 32
MAX_FEE = 10**11


class Rpc:
    """A minimal JSON-RPC client over one aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self._id = 0

    async def call(self, method: str, *params: Any) -> Any:
        self._id += 1
        body = {"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)}
        async with self.session.post(self.url, json=body) as response:
            answer = await response.json()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def sent_message_key(receipt: dict[str, Any]) -> str:
    """The relayer's key of the ``SentMessage`` in a receipt (first 16 hex digits)."""
    topic0 = "0x" + MESSENGER_ABI.event("SentMessage").topic0.hex()
    for log in receipt["logs"]:
        if log["topics"][0] == topic0:
            topics = tuple(Hash32(bytes.fromhex(t[2:])) for t in log["topics"])
            payload = message_payload(topics, bytes.fromhex(log["data"][2:]))
            return relay_key(SOURCE, keccak256(payload)).hex()[:16]
    raise RuntimeError("no SentMessage log in the receipt")


async def wait_receipt(rpc: Rpc, tx_hash: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        receipt = await rpc.call("eth_getTransactionReceipt", tx_hash)
        if receipt is not None:
            return receipt  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise RuntimeError(f"no receipt for {tx_hash}")


async def bench_latency(devnet: Devnet, count: int) -> dict[str, Any]:
    key = devnet.topology.dev_keys[0]
    epoch = devnet.config.epoch
    submitted: dict[str, float] = {}
    async with aiohttp.ClientSession() as session:
        rpc = Rpc(session, devnet.topology.rpc_url(NodeId(f"seq-{SOURCE}")))
        nonce = int(
            await rpc.call("eth_getTransactionCount", "0x" + key.address.hex(), "latest"), 16
        )
        hashes: list[str] = []
        for i in range(count):
            calldata = MESSENGER_ABI.function("sendMessage").encode_call(
                DESTINATION, key.address, keccak256(b"bench/%d" % i)
            )
            tx = sign_dynamic_fee(
                key,
                chain_id=SOURCE,
                nonce=nonce + i,
                to=MESSENGER_ADDRESS,
                gas_limit=200_000,
                max_priority_fee_per_gas=1_000,
                max_fee_per_gas=MAX_FEE,
                data=calldata,
            )
            sent_at = time.time() - epoch
            tx_hash = await rpc.call("eth_sendRawTransaction", "0x" + tx.raw.hex())
            submitted[tx_hash] = sent_at
            hashes.append(tx_hash)
            await asyncio.sleep(0.1)
        keys = {}
        source_numbers = {}
        for tx_hash in hashes:
            receipt = await wait_receipt(rpc, tx_hash)
            keys[tx_hash] = sent_message_key(receipt)
            source_numbers[tx_hash] = int(receipt["blockNumber"], 16)
    data_dir = devnet.data_dir
    wanted = set(keys.values())
    delivered: dict[str, tuple[int, int]] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for event in read_events(data_dir / "relayer" / "events.jsonl"):
            if event["kind"] == "relayer.delivered" and event["message"] in wanted:
                delivered[event["message"]] = (event["destination"], event["number"])
        if len(delivered) == len(wanted):
            break
        await asyncio.sleep(0.5)
    made: dict[tuple[int, int], float] = {}
    for chain in (SOURCE, DESTINATION):
        for event in read_events(data_dir / f"seq-{chain}" / "events.jsonl"):
            if event["kind"] == "sequencer.block":
                made[(chain, event["number"])] = event["t"]  # the last one wins after a rebuild
    from_submit: list[float] = []
    from_source_block: list[float] = []
    for tx_hash, message in keys.items():
        if message not in delivered:
            continue
        executed = made[delivered[message]]
        from_submit.append(executed - submitted[tx_hash])
        from_source_block.append(executed - made[(SOURCE, source_numbers[tx_hash])])
    return {
        "messages": count,
        "delivered": len(from_submit),
        "from_submit_p50_s": round(percentile(from_submit, 0.5), 3),
        "from_submit_p99_s": round(percentile(from_submit, 0.99), 3),
        "from_source_block_p50_s": round(percentile(from_source_block, 0.5), 3),
        "from_source_block_p99_s": round(percentile(from_source_block, 0.99), 3),
        "source_plus_destination_block_s": 2 * BLOCK_TIME,
        "ideal_from_submit_mean_s": 1.5 * BLOCK_TIME,
        "ideal_from_source_block_s": BLOCK_TIME,
    }


async def bench_intake(devnet: Devnet, seconds: float) -> dict[str, Any]:
    keys = devnet.topology.dev_keys[1 : 1 + SENDERS]
    url = devnet.topology.rpc_url(NodeId(f"seq-{SOURCE}"))
    errors: list[str] = []
    sent = dict.fromkeys((k.address for k in keys), 0)
    connector = aiohttp.TCPConnector(limit=SENDERS)
    async with aiohttp.ClientSession(connector=connector) as session:
        rpc = Rpc(session, url)
        starts = {
            k.address: int(await rpc.call("eth_getTransactionCount", "0x" + k.address.hex()), 16)
            for k in keys
        }
        stop_at = time.monotonic() + seconds

        async def sender(key: PrivateKey) -> None:
            client = Rpc(session, url)
            nonce = starts[key.address]
            while time.monotonic() < stop_at:
                tx = sign_dynamic_fee(
                    key,
                    chain_id=SOURCE,
                    nonce=nonce,
                    to=Address(b"\x42" * 20),
                    gas_limit=21_000,
                    max_priority_fee_per_gas=1_000,
                    max_fee_per_gas=MAX_FEE,
                    value=1,
                )
                try:
                    await client.call("eth_sendRawTransaction", "0x" + tx.raw.hex())
                except (RuntimeError, aiohttp.ClientError) as exc:
                    errors.append(str(exc))
                    return
                nonce += 1
                sent[key.address] += 1

        began = time.monotonic()
        await asyncio.gather(*(sender(k) for k in keys))
        elapsed = time.monotonic() - began
        total = sum(sent.values())
        deadline = time.monotonic() + 60
        lost = -1
        while time.monotonic() < deadline:
            lost = 0
            for k in keys:
                on_chain = int(
                    await rpc.call("eth_getTransactionCount", "0x" + k.address.hex()), 16
                )
                lost += starts[k.address] + sent[k.address] - on_chain
            if lost == 0:
                break
            await asyncio.sleep(0.5)
    return {
        "seconds": round(elapsed, 1),
        "accepted": total,
        "accepted_per_s": round(total / elapsed, 1),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "not_included_after_drain": lost,
    }


def reference_intake(devnet: Devnet, per_sender: int = 60) -> float:
    """The sequencer role accepting transfers in-process (MemoryStore, no RPC or network)."""
    spec = devnet.topology.nodes[NodeId(f"seq-{SOURCE}")]
    role = spec.factory(MemoryStore())
    assert isinstance(role, Sequencer)
    role.handle(Started(), Timestamp(0.0))
    keys = devnet.topology.dev_keys[1 : 1 + SENDERS]
    count = per_sender * len(keys)  # under the mempool's 64 pending per sender
    raws = [
        sign_dynamic_fee(
            keys[i % len(keys)],
            chain_id=SOURCE,
            nonce=i // len(keys),
            to=Address(b"\x42" * 20),
            gas_limit=21_000,
            max_priority_fee_per_gas=1_000,
            max_fee_per_gas=MAX_FEE,
            value=1,
        ).raw
        for i in range(count)
    ]
    began = time.perf_counter()
    for raw in raws:
        effects = role.handle(
            MessageReceived(NodeId("rpc-1"), SubmitTransaction(raw)), Timestamp(1.0)
        )
        assert any(getattr(e, "message", None).__class__ is TransactionAccepted for e in effects)
    return count / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_devnet(
            Path(tmp) / "devnet",
            rollups=2,
            block_time=BLOCK_TIME,
            l1_block_time=1.0,
            hub_block_time=BLOCK_TIME,
            trust_modes=("preconfirmed",),
            dev_accounts=1 + SENDERS,
        ) as devnet,
    ):
        time.sleep(3)  # let the L1 origin move past genesis
        latency = asyncio.run(bench_latency(devnet, args.messages))
        print("message latency (2 rollups, 0.25 s blocks, pre-confirmed):")
        print(json.dumps(latency, indent=2))
        print(
            f"  p50 from submission {latency['from_submit_p50_s']:.3f} s (goal <= 0.75 s) beside "
            f"one source + one destination block, {2 * BLOCK_TIME:.2f} s; a pipeline with no "
            f"overhead averages {1.5 * BLOCK_TIME:.3f} s from submission (half a block of "
            f"waiting, then one block): "
            f"{latency['from_submit_p50_s'] / (1.5 * BLOCK_TIME):.2f}x that"
        )
        print(
            f"  p50 from the source block {latency['from_source_block_p50_s']:.3f} s = "
            f"{latency['from_source_block_p50_s'] / BLOCK_TIME:.2f}x one destination block"
        )
        intake = asyncio.run(bench_intake(devnet, args.seconds))
        reference = reference_intake(devnet)
        print("eth_sendRawTransaction intake into one rollup:")
        print(json.dumps(intake, indent=2))
        print(
            f"  {intake['accepted_per_s']:.0f} tx/s over JSON-RPC = "
            f"{intake['accepted_per_s'] / reference:.2f}x the sequencer role in-process "
            f"({reference:.0f} tx/s, no RPC, network or SQLite)"
        )


if __name__ == "__main__":
    main()
