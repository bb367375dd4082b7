"""A state read at a block whose state the rollup node pruned is a JSON-RPC error, not a crash."""

import asyncio
import json
from typing import Any
from unittest.mock import patch

import aiohttp

import interlace.protocol.rollup.chain as chain_module
from interlace.roles.sequencer import Sequencer
from interlace.roles.verifier import VerifierNode
from tests.api.harness import make_world, serve_world

ZERO = "0x" + "00" * 20
NODES = ("seq-901", "verifier-901")


def call(method: str, params: list[object]) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()


def test_state_reads_at_a_pruned_block_answer_missing_trie_node() -> None:
    async def main() -> None:
        world = make_world()
        for node in NODES:
            role = world.sim.role(node)
            assert isinstance(role, Sequencer | VerifierNode)
            assert role.chain.head.number >= 3
            with patch.object(chain_module, "KEEP_STATES", 1):
                role.chain.release_states_below(10**9)  # as a long-running node would
        async with serve_world(world, NODES, tick=False) as urls, aiohttp.ClientSession() as http:

            async def post(node: str, body: bytes) -> Any:
                async with http.post(
                    urls[node], data=body, headers={"Content-Type": "application/json"}
                ) as response:
                    return json.loads(await response.text())

            for node in NODES:
                for method, params in (
                    ("eth_getBalance", [ZERO, "0x1"]),
                    ("eth_getTransactionCount", [ZERO, "earliest"]),
                    ("eth_getProof", [ZERO, [], "0x1"]),
                    ("eth_call", [{"to": ZERO, "data": "0x"}, "0x1"]),
                ):
                    answer = await post(node, call(method, params))
                    assert answer["error"]["code"] == -32001, (node, method, answer)
                    message = answer["error"]["message"]
                    assert "missing trie node" in message, message
                    assert "is pruned" in message and "keeps the last 256 blocks" in message
                answer = await post(node, call("eth_getBalance", [ZERO, "latest"]))
                assert answer["result"] == "0x0", answer
                answer = await post(node, call("eth_getBlockByNumber", ["0x1", False]))
                assert answer["result"]["number"] == "0x1"  # blocks stay; only states go

    asyncio.run(main())
