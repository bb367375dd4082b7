"""Malformed requests get JSON-RPC errors, for every method, and the node keeps serving.

One world serves a node of each kind; every method is called on a node
that serves it with its parameters missing, of the wrong type, too many,
and inside an oversized body; then invalid JSON, invalid request objects,
unknown methods, bad batches and methods asked of the wrong kind of node.
After each round the node must still answer a good request.
"""

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from interlace.api.rpc import MAX_REQUEST_BYTES, METHODS
from interlace.api.rpc.dispatch import MAX_BATCH, Method
from tests.api.harness import make_world, serve_world

ZERO = "0x" + "00" * 20
NODES = ("seq-901", "l1", "verifier-901", "hub", "relayer")
KIND_NODE = {
    "sequencer": "seq-901",
    "l1": "l1",
    "verifier": "verifier-901",
    "hub": "hub",
    "relayer": "relayer",
}
PREFERRED = ("sequencer", "hub", "relayer", "l1", "verifier")
SAMPLES: dict[str, object] = {
    "address": "0x" + "00" * 20,
    "block": "latest",
    "slot": "0x0",
    "fullTransactions": False,
    "blockHash": "0x" + "00" * 32,
    "transactionHash": "0x" + "00" * 32,
    "index": "0x0",
    "filter": {},
    "blockCount": "0x1",
    "newestBlock": "latest",
    "rewardPercentiles": [],
    "storageKeys": [],
    "data": "0x",
    "chainId": 901,
    "number": 1,
    "hubNumber": 1,
    "hash": "0x" + "00" * 32,
    "message": "0x" + "00" * 32,
    "kind": "newHeads",
    "options": {},
    "subscription": "0x1",
    "limit": 10,
    "sourceChainId": 901,
}
WRONG_VALUES = ([[[]]], -1, {"not": "valid"})
"""Values every parser refuses (a nested array, a negative number, an object)."""


def serving_node(method: Method) -> str:
    kind = next(k for k in PREFERRED if k in method.nodes)
    return KIND_NODE[kind]


def sample(method: Method, position: int) -> object:
    param = method.params[position]
    if param.name == "transaction":
        return "0x" if method.name == "eth_sendRawTransaction" else {"to": SAMPLES["address"]}
    return SAMPLES[param.name]


Client = Callable[[str, bytes], Awaitable[tuple[int, Any]]]


def with_nodes(test: Callable[[Client], Awaitable[None]]) -> None:
    async def main() -> None:
        world = make_world()
        async with serve_world(world, NODES, tick=False) as urls, aiohttp.ClientSession() as http:

            async def post(node: str, body: bytes) -> tuple[int, Any]:
                payload = io.BytesIO(body) if len(body) > 2**20 else body  # aiohttp warns otherwise
                async with http.post(
                    urls[node], data=payload, headers={"Content-Type": "application/json"}
                ) as response:
                    text = await response.text()
                    return response.status, json.loads(text) if text else None

            await test(post)

    asyncio.run(main())


def request(method: str, params: object, request_id: int = 1) -> bytes:
    return json.dumps(
        {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    ).encode()


async def assert_still_serving(post: Client, node: str) -> None:
    status, answer = await post(node, request("interlace_health", []))
    assert status == 200
    assert answer["result"]["ok"] is True


def assert_error(answer: Any, code: int, *fragments: str) -> None:
    assert "result" not in answer, answer
    assert answer["error"]["code"] == code, answer
    for fragment in fragments:
        assert fragment in answer["error"]["message"], answer


METHOD_NAMES = sorted(METHODS)


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_every_method_refuses_bad_parameters(name: str) -> None:
    method = METHODS[name]

    async def test(post: Client) -> None:
        node = serving_node(method)
        required = [p for p in method.params if p.required]
        if required:
            _, answer = await post(node, request(name, []))
            assert_error(answer, -32602, "missing value for required argument 0")
        for position in range(len(method.params)):
            prefix = [sample(method, i) for i in range(position)]
            for wrong in WRONG_VALUES:
                _, answer = await post(node, request(name, [*prefix, wrong]))
                assert_error(answer, -32602, f"invalid argument {position}")
        too_many = [sample(method, i) for i in range(len(method.params))] + ["extra"]
        _, answer = await post(node, request(name, too_many))
        assert_error(answer, -32602, "too many arguments")
        _, answer = await post(node, request(name, "not-an-array"))
        assert_error(answer, -32602, "params must be an array or an object")
        padding = "0x" + "00" * (MAX_REQUEST_BYTES // 2 + 1)
        status, answer = await post(node, request(name, [padding]))
        assert status == 413
        assert_error(answer, -32600, "exceeds the limit")
        await assert_still_serving(post, node)

    with_nodes(test)


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_every_method_says_which_nodes_serve_it(name: str) -> None:
    method = METHODS[name]
    elsewhere = [k for k in PREFERRED if k not in method.nodes]
    if not elsewhere:
        pytest.skip("served by every node")

    async def test(post: Client) -> None:
        node = KIND_NODE[elsewhere[0]]
        args = [sample(method, i) for i in range(len(method.params)) if method.params[i].required]
        _, answer = await post(node, request(name, args))
        assert_error(answer, -32004, f"not served by a {elsewhere[0]} node")
        await assert_still_serving(post, node)

    with_nodes(test)


def test_malformed_payloads_get_standard_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("interlace.api.rpc.eth.MAX_LOG_RANGE", 3)  # a short chain, a small limit

    async def test(post: Client) -> None:
        node = "seq-901"
        cases: list[tuple[bytes, int, str]] = [
            (b"{not json", -32700, "invalid JSON"),
            (b"\xff\xfe", -32700, "invalid JSON"),
            (b"[" * 100_000 + b"]" * 100_000, -32700, "nested deeper"),
            (b"[" * 33 + b"]" * 33, -32700, "nested deeper"),
            (b'"a string"', -32600, "must be a JSON object"),
            (b"42", -32600, "must be a JSON object"),
            (b"[]", -32600, "empty batch"),
            (b'{"id": 1, "method": "eth_chainId"}', -32600, '"jsonrpc" must be "2.0"'),
            (b'{"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"}', -32600, "2.0"),
            (b'{"jsonrpc": "2.0", "id": 1}', -32600, '"method" must be a string'),
            (b'{"jsonrpc": "2.0", "id": 1, "method": 7}', -32600, '"method" must be a string'),
            (b'{"jsonrpc": "2.0", "id": [1], "method": "eth_chainId"}', -32600, "id must be"),
            (request("eth_noSuchMethod", []), -32601, "does not exist"),
            (request("", []), -32601, "does not exist"),
            (request("x" * 10_000, []), -32601, "does not exist"),
            (
                json.dumps([json.loads(request("eth_chainId", []))] * (MAX_BATCH + 1)).encode(),
                -32600,
                f"limit of {MAX_BATCH}",
            ),
            (request("eth_getBalance", ["0x12", "latest"]), -32602, "20-byte address"),
            (request("eth_getBlockByNumber", ["0x01", False]), -32602, "leading zero"),
            (request("eth_getBlockByNumber", ["0x", False]), -32602, "empty hex quantity"),
            (request("eth_getBlockByNumber", ["0x" + "f" * 17, False]), -32602, "64 bits"),
            (request("eth_getBlockByNumber", ["pending", "yes"]), -32602, "true or false"),
            (request("eth_getLogs", [{"fromBlock": "0x0", "toBlock": "0x5"}]), -32005, "range"),
            (
                request("eth_getLogs", [{"blockHash": "0x" + "00" * 32, "toBlock": "0x1"}]),
                -32602,
                "not both",
            ),
            (request("eth_getLogs", [{"topics": [[], [], [], [], []]}]), -32602, "at most 4"),
            (request("eth_sendRawTransaction", ["0x02"]), -32003, "invalid transaction"),
            (request("eth_sendRawTransaction", ["0x" + "ab" * 600_000]), -32602, "longer than"),
            (request("eth_call", [{"data": "0x"}, "latest"]), -32000, "contract creation"),
            (request("eth_subscribe", ["newHeads"]), -32004, "WebSocket"),
            (
                request("eth_getBalance", ["0x" + "00" * 20, "0x" + "f" * 10]),
                -32001,
                "header not found",
            ),
            (request("eth_getBalance", [ZERO, "safe"]), -39001, "safe block not found"),
            (request("eth_feeHistory", ["0x0", "latest", []]), -32602, "block count"),
            (request("eth_feeHistory", ["0x1", "latest", [50, 10]]), -32602, "increasing"),
        ]
        for body, code, fragment in cases:
            _, answer = await post(node, body)
            assert_error(answer, code, fragment)
            await assert_still_serving(post, node)
        # Notifications get no answer, alone or in a batch; a mixed batch answers the rest.
        note = json.dumps({"jsonrpc": "2.0", "method": "eth_chainId"}).encode()
        status, answer = await post(node, note)
        assert (status, answer) == (204, None)
        batch = json.dumps(
            [
                {"jsonrpc": "2.0", "method": "eth_chainId"},
                {"jsonrpc": "2.0", "id": "a", "method": "eth_chainId"},
                {"jsonrpc": "2.0", "id": "b", "method": "eth_nothing"},
                5,
            ]
        ).encode()
        _, answer = await post(node, batch)
        assert [a.get("id") for a in answer] == ["a", "b", None]
        assert answer[0]["result"] == hex(901)
        assert answer[1]["error"]["code"] == -32601
        assert answer[2]["error"]["code"] == -32600
        # Named parameters work too.
        _, answer = await post(
            node, request("eth_getBalance", {"address": "0x" + "00" * 20, "block": "latest"})
        )
        assert answer["result"] == "0x0"
        _, answer = await post(node, request("eth_getBalance", {"who": "0x00"}))
        assert_error(answer, -32602, "unknown named parameters")

    with_nodes(test)


def test_hub_methods_refuse_unknown_chains_and_blocks() -> None:
    async def test(post: Client) -> None:
        _, answer = await post("hub", request("interlace_blockSafety", [999, 1]))
        assert_error(answer, -32001, "not registered")
        _, answer = await post("hub", request("interlace_getProof", [901, 1, 10**9]))
        assert_error(answer, -32001, "not kept")
        _, answer = await post("hub", request("interlace_blockSafety", [901, 10**6]))
        assert answer["result"] is None
        _, answer = await post("hub", request("interlace_blockSafety", [0, 1]))
        assert_error(answer, -32602, "positive")
        await assert_still_serving(post, "hub")

    with_nodes(test)
