"""JSON-RPC over WebSocket: plain calls, ``newHeads`` and ``logs`` subscriptions, removed logs."""

import asyncio
import json
from typing import Any

import aiohttp

from interlace.api.rpc.subscriptions import HeadWatcher, logs_filter_of
from interlace.primitives.tx import sign_dynamic_fee
from interlace.protocol.interop.messenger import MESSENGER_ABI, MESSENGER_ADDRESS
from interlace.roles.sequencer import Sequencer
from tests.api.harness import SimHost, make_world, serve_world, user_key


async def receive(ws: aiohttp.ClientWebSocketResponse, timeout: float = 10.0) -> Any:
    message = await asyncio.wait_for(ws.receive(), timeout)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return json.loads(message.data)


async def call(ws: aiohttp.ClientWebSocketResponse, method: str, params: list[Any]) -> Any:
    await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
    while True:  # skip notifications until the answer arrives
        answer = await receive(ws)
        if answer.get("id") == 1:
            return answer


def test_websocket_calls_and_subscriptions() -> None:
    async def main() -> None:
        world = make_world()
        sequencer = world.sim.role("seq-901")  # type: ignore[arg-type]
        assert isinstance(sequencer, Sequencer)
        async with (
            serve_world(world, ("seq-901",)) as urls,
            aiohttp.ClientSession() as http,
            http.ws_connect(urls["seq-901"] + "ws") as ws,
        ):
            answer = await call(ws, "eth_chainId", [])
            assert answer["result"] == hex(901)
            answer = await call(ws, "eth_subscribe", ["newPendingTransactions"])
            assert answer["error"]["code"] == -32602
            answer = await call(ws, "eth_subscribe", ["newHeads", {"address": []}])
            assert answer["error"]["code"] == -32602
            heads = (await call(ws, "eth_subscribe", ["newHeads"]))["result"]
            topic0 = "0x" + MESSENGER_ABI.event("SentMessage").topic0.hex()
            filter_ = {"address": "0x" + MESSENGER_ADDRESS.hex(), "topics": [topic0]}
            logs = (await call(ws, "eth_subscribe", ["logs", filter_]))["result"]
            assert heads != logs
            # Send a message on chain 901; its SentMessage log must be pushed.
            key = user_key(901, 0)
            data = MESSENGER_ABI.function("sendMessage").encode_call(902, key.address, b"ws")
            tx = sign_dynamic_fee(
                key,
                chain_id=901,
                nonce=sequencer.chain.head_state.get_account(key.address).nonce,
                to=MESSENGER_ADDRESS,
                gas_limit=200_000,
                max_priority_fee_per_gas=1,
                max_fee_per_gas=10**10,
                data=data,
            )
            answer = await call(ws, "eth_sendRawTransaction", ["0x" + tx.raw.hex()])
            assert answer["result"] == "0x" + tx.hash.hex()
            seen_head = None
            seen_log = None
            while seen_head is None or seen_log is None:
                note = await receive(ws)
                assert note["method"] == "eth_subscription"
                params = note["params"]
                if params["subscription"] == heads:
                    seen_head = params["result"]
                elif params["subscription"] == logs:
                    seen_log = params["result"]
            assert int(seen_head["number"], 16) > 0
            assert seen_log["transactionHash"] == "0x" + tx.hash.hex()
            assert seen_log["removed"] is False
            assert (await call(ws, "eth_unsubscribe", [heads]))["result"] is True
            assert (await call(ws, "eth_unsubscribe", [heads]))["result"] is False
            # Garbage over the socket gets an error and the socket stays usable.
            await ws.send_str("{oops")
            assert (await receive(ws))["error"]["code"] == -32700
            assert (await call(ws, "eth_blockNumber", []))["result"].startswith("0x")

    asyncio.run(main())


def test_watcher_sends_removed_logs_after_a_rewind() -> None:
    """A sequencer rewind replaces announced blocks: their logs go out again as removed."""

    class Collector:
        def __init__(self) -> None:
            self.sent: list[Any] = []
            self.subscriptions: set[str] = set()

        def send(self, message: Any) -> None:
            self.sent.append(message)

    world = make_world()
    host = SimHost(world, "seq-901")
    sequencer = host.role
    assert isinstance(sequencer, Sequencer)

    async def main() -> None:
        watcher = HeadWatcher(host)
        collector = Collector()
        watcher.subscribe(collector, "logs", logs_filter_of({}))  # type: ignore[arg-type]
        watcher.subscribe(collector, "newHeads", None)  # type: ignore[arg-type]
        world.sim.run_until(world.sim.now + 3)
        watcher.poll()
        fresh = [m["params"]["result"] for m in collector.sent]
        assert any("logIndex" in r and r["removed"] is False for r in fresh)
        collector.sent.clear()
        sequencer._rewind(sequencer.chain.head.number - 2)  # what an L1 reorg or rebuild does
        watcher.poll()
        removed = [m["params"]["result"] for m in collector.sent]
        assert removed
        assert all(r.get("removed") is True for r in removed if "logIndex" in r)
        assert any("logIndex" in r for r in removed)
        assert any("stateRoot" in r for r in removed)  # and the older block is the new head
        await watcher.stop()

    asyncio.run(main())


def test_web3_websocket_provider_subscribes_to_new_heads() -> None:
    """web3.py's own WebSocketProvider (async) reads and subscribes over /ws."""
    from web3 import AsyncWeb3, WebSocketProvider

    async def main() -> None:
        world = make_world()
        async with serve_world(world, ("seq-901",)) as urls:
            url = urls["seq-901"].replace("http://", "ws://", 1) + "ws"
            async with AsyncWeb3(WebSocketProvider(url)) as w3:
                assert await w3.eth.chain_id == 901
                start = await w3.eth.block_number
                subscription = await w3.eth.subscribe("newHeads")
                async for payload in w3.socket.process_subscriptions():
                    assert payload["subscription"] == subscription
                    assert payload["result"]["number"] > start
                    break
                assert await w3.eth.unsubscribe(subscription) is True

    asyncio.run(main())
