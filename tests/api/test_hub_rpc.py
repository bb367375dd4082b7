"""``interlace_*`` over HTTP: the hub and the relayer (with an equivocating chain), sequencers."""

import asyncio
import json
from typing import Any

import aiohttp

from interlace.primitives.envelope import decode_envelope, recover_header_signer
from interlace.primitives.header import decode_header, header_hash
from interlace.primitives.tx import sign_dynamic_fee
from interlace.protocol.hub.tracker import HubEvidence
from interlace.roles.hub import Hub
from interlace.roles.messages import SetByzantine
from interlace.roles.sequencer import Sequencer
from tests.api.harness import advance, make_world, serve_world, user_key


async def rpc(http: aiohttp.ClientSession, url: str, method: str, *params: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    async with http.post(url, json=body) as response:
        answer = json.loads(await response.text())
    assert "error" not in answer, answer
    return answer["result"]


def test_equivocation_shows_in_status_evidence_and_block_safety() -> None:
    world = make_world()
    world.sim.inject("seq-902", SetByzantine(True))  # type: ignore[arg-type]
    advance(world, 6)
    hub = world.hub()
    assert isinstance(hub, Hub)
    assert hub.tracker.evidence, "the scenario must produce evidence"
    held: HubEvidence = hub.tracker.evidence[0]

    async def main() -> None:
        async with (
            serve_world(world, ("hub", "relayer"), tick=False) as urls,
            aiohttp.ClientSession() as http,
        ):
            status = await rpc(http, urls["hub"], "interlace_status")
            chains = {c["chainId"]: c for c in status["chains"]}
            assert chains[902]["frozen"] is True
            assert chains[902]["evidence"] >= 1
            assert chains[901]["frozen"] is False
            assert chains[901]["heads"]["preconfirmed"] >= 1
            evidence = await rpc(http, urls["hub"], "interlace_evidence", 902)
            assert evidence[0]["number"] == held.number
            expected = ["0x" + decode_envelope(e)[2].block_hash.hex() for e in held.envelopes]
            assert evidence[0]["hashes"] == expected
            assert len(set(expected)) == 2
            assert await rpc(http, urls["hub"], "interlace_evidence", 901) == []
            safety = await rpc(http, urls["hub"], "interlace_blockSafety", 902, held.number)
            assert safety["level"] == "invalid"
            assert safety["frozen"] is True
            health = await rpc(http, urls["hub"], "interlace_health")
            assert health["frozenChains"] == [902]
            relayer = await rpc(http, urls["relayer"], "interlace_health")
            assert relayer["kind"] == "relayer"
            assert await rpc(http, urls["relayer"], "interlace_messages") == []
            unknown = "0x" + "ab" * 32
            assert await rpc(http, urls["relayer"], "interlace_messageStatus", unknown) is None
            identifier = {"chainId": 901, "blockNumber": 3, "logIndex": 0}
            assert await rpc(http, urls["relayer"], "interlace_messageStatus", identifier) is None

    asyncio.run(main())


def test_pending_transaction_is_visible_before_it_is_mined() -> None:
    world = make_world()
    sequencer = world.sim.role("seq-901")  # type: ignore[arg-type]
    assert isinstance(sequencer, Sequencer)
    key = user_key(901, 0)
    tx = sign_dynamic_fee(
        key,
        chain_id=901,
        nonce=0,
        to=user_key(901, 1).address,
        gas_limit=21_000,
        max_priority_fee_per_gas=1,
        max_fee_per_gas=10**10,
        value=3,
    )

    async def main() -> None:
        async with (
            serve_world(world, ("seq-901",), tick=False) as urls,
            aiohttp.ClientSession() as http,
        ):
            url = urls["seq-901"]
            assert await rpc(http, url, "eth_sendRawTransaction", "0x" + tx.raw.hex()) == (
                "0x" + tx.hash.hex()
            )
            pending = await rpc(http, url, "eth_getTransactionByHash", "0x" + tx.hash.hex())
            assert pending["blockHash"] is None
            assert pending["nonce"] == "0x0"
            assert await rpc(http, url, "eth_getTransactionReceipt", "0x" + tx.hash.hex()) is None
            raw = await rpc(http, url, "debug_getRawTransaction", "0x" + tx.hash.hex())
            assert raw == "0x" + tx.raw.hex()
            advance(world, 1.5)
            mined = await rpc(http, url, "eth_getTransactionByHash", "0x" + tx.hash.hex())
            assert mined["blockHash"] is not None
            receipt = await rpc(http, url, "eth_getTransactionReceipt", "0x" + tx.hash.hex())
            assert receipt["status"] == "0x1"
            block = await rpc(http, url, "eth_getBlockReceipts", receipt["blockNumber"])
            assert [r["transactionHash"] for r in block][int(receipt["transactionIndex"], 16)] == (
                "0x" + tx.hash.hex()
            )
            deposit = block[0]
            assert deposit["type"] == "0x7e"
            assert deposit["depositReceiptVersion"] == "0x1"
            assert deposit["effectiveGasPrice"] == "0x0"
            envelope = await rpc(
                http, url, "interlace_getEnvelope", int(receipt["blockNumber"], 16)
            )
            signed = bytes.fromhex(envelope["envelope"][2:])
            assert "0x" + decode_envelope(signed)[2].block_hash.hex() == receipt["blockHash"]

    asyncio.run(main())


def test_header_signature_is_the_sequencers_over_the_block_hash() -> None:
    world = make_world()
    sequencer = world.sim.role("seq-902")  # type: ignore[arg-type]
    assert isinstance(sequencer, Sequencer)
    expected_signer = sequencer.params.sequencer_key.address

    async def main() -> None:
        async with (
            serve_world(world, ("seq-902",), tick=False) as urls,
            aiohttp.ClientSession() as http,
        ):
            url = urls["seq-902"]
            head = int(await rpc(http, url, "eth_blockNumber"), 16)
            assert head >= 2
            for number in (1, head):
                answer = await rpc(http, url, "interlace_getHeaderSignature", number)
                assert set(answer) == {"chainId", "number", "blockHash", "signature"}
                assert (answer["chainId"], answer["number"]) == (902, number)
                block = await rpc(http, url, "eth_getBlockByNumber", hex(number), False)
                assert answer["blockHash"] == block["hash"]
                raw_header = await rpc(http, url, "debug_getRawHeader", hex(number))
                block_hash = header_hash(decode_header(bytes.fromhex(raw_header[2:])))
                assert "0x" + block_hash.hex() == answer["blockHash"]
                signature = bytes.fromhex(answer["signature"][2:])
                assert recover_header_signer(902, block_hash, signature) == expected_signer
                # Signed on demand and deterministic: a second call gives the same bytes.
                again = await rpc(http, url, "interlace_getHeaderSignature", hex(number))
                assert again == answer
            assert await rpc(http, url, "interlace_getHeaderSignature", head + 100) is None
            assert await rpc(http, url, "interlace_getHeaderSignature", 0) is None

    asyncio.run(main())
