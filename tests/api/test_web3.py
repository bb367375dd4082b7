"""Unmodified web3.py against the RPC app of simulator roles (no processes).

Every test builds a fresh small world (hub, two rollups, no workload),
serves the nodes it needs with ``serve_world`` and runs web3.py's
synchronous ``HTTPProvider`` in a worker thread while the event loop serves
and a ticker advances virtual time (so blocks get made). Transactions are
signed by eth-account, exactly as an application would.
"""

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import rlp
from eth_account import Account
from hexbytes import HexBytes
from trie import HexaryTrie
from web3 import Web3
from web3.exceptions import BlockNotFound, ContractLogicError, Web3RPCError
from web3.middleware import SignAndSendRawMiddlewareBuilder

from interlace.primitives.hashing import keccak256
from interlace.protocol.interop.messenger import MESSENGER_ABI, MESSENGER_ADDRESS
from interlace.protocol.l1.genesis import L1_CHAIN_ID
from interlace.protocol.l1.modules import PORTAL_ABI, PORTAL_ADDRESS
from tests.api.harness import l1_key, make_world, serve_world, user_key

MESSENGER = Web3.to_checksum_address(MESSENGER_ADDRESS)


def run_with(nodes: tuple[str, ...], flow: Callable[[dict[str, str]], Any]) -> Any:
    """Serve ``nodes`` of a fresh world and run the synchronous ``flow(urls)`` in a thread."""

    async def main() -> Any:
        world = make_world()
        async with serve_world(world, nodes) as urls:
            return await asyncio.to_thread(flow, urls)

    return asyncio.run(main())


def connect(url: str) -> Web3:
    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 20}))


def transfer_flow(urls: dict[str, str]) -> None:
    w3 = connect(urls["seq-901"])
    assert w3.is_connected()
    assert w3.eth.chain_id == 901
    assert w3.net.version == "901"
    sender = Account.from_key(user_key(901, 0).secret)
    receiver = Account.from_key(user_key(901, 1).secret).address
    before = w3.eth.get_balance(receiver)
    nonce = w3.eth.get_transaction_count(sender.address, "pending")
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    tx = {
        "type": 2,
        "chainId": 901,
        "nonce": nonce,
        "to": receiver,
        "value": 10**15,
        "gas": w3.eth.estimate_gas({"from": sender.address, "to": receiver, "value": 10**15}),
        "maxPriorityFeePerGas": w3.eth.max_priority_fee,
        "maxFeePerGas": 2 * base_fee + w3.eth.max_priority_fee,
    }
    assert tx["gas"] == 21_000
    signed = sender.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    assert tx_hash == HexBytes(signed.hash)
    # Pending: known to the node, counted by the pending nonce.
    assert w3.eth.get_transaction_count(sender.address, "pending") == nonce + 1
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=20, poll_latency=0.05)
    assert receipt["status"] == 1
    assert receipt["type"] == 2
    assert receipt["gasUsed"] == 21_000
    assert receipt["from"] == sender.address
    assert receipt["effectiveGasPrice"] > 0
    assert w3.eth.get_balance(receiver) == before + 10**15
    mined = w3.eth.get_transaction(tx_hash)
    assert mined["blockNumber"] == receipt["blockNumber"]
    assert mined["nonce"] == nonce
    block = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    assert block["hash"] == receipt["blockHash"]
    assert block["transactions"][receipt["transactionIndex"]]["hash"] == tx_hash
    assert block["transactions"][0]["type"] == 0x7E  # the L1-attributes deposit comes first
    by_hash = w3.eth.get_block(receipt["blockHash"])
    assert by_hash["transactions"][receipt["transactionIndex"]] == tx_hash
    assert w3.eth.get_block("earliest")["number"] == 0
    with pytest.raises(BlockNotFound):
        w3.eth.get_block(10**9)
    # The same sender again, this time letting web3 fill every field (fees, gas, nonce).
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(sender), layer=0)
    auto = w3.eth.send_transaction({"from": sender.address, "to": receiver, "value": 7})
    assert w3.eth.wait_for_transaction_receipt(auto, timeout=20, poll_latency=0.05)["status"] == 1
    # A replayed nonce is refused with geth's wording.
    with pytest.raises(Web3RPCError, match="nonce too low"):
        w3.eth.send_raw_transaction(signed.raw_transaction)


def test_web3_sends_an_eip1559_transfer_and_reads_it_back() -> None:
    run_with(("seq-901",), transfer_flow)


def messenger_flow(urls: dict[str, str]) -> None:
    w3 = connect(urls["seq-901"])
    sender = Account.from_key(user_key(901, 2).secret)
    messenger = w3.eth.contract(address=MESSENGER, abi=MESSENGER_ABI.abi_json())
    assert messenger.functions.trustMode().call() == 1  # pre-confirmed
    nonce_before = messenger.functions.messageNonce().call()
    target = Account.from_key(user_key(902, 0).secret).address
    tx = messenger.functions.sendMessage(902, target, b"hello 902").build_transaction(
        {
            "from": sender.address,
            "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
            "chainId": 901,
        }
    )
    signed = sender.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=20, poll_latency=0.05)
    assert receipt["status"] == 1
    events = messenger.events.SentMessage().process_receipt(receipt)
    assert len(events) == 1
    assert events[0]["args"]["destination"] == 902
    assert events[0]["args"]["message"] == b"hello 902"
    assert messenger.functions.messageNonce().call() == nonce_before + 1
    # getLogs by address and topic0 finds the same log, with its block-global index.
    topic0 = "0x" + MESSENGER_ABI.event("SentMessage").topic0.hex()
    logs = w3.eth.get_logs(
        {
            "fromBlock": receipt["blockNumber"],
            "toBlock": "latest",
            "address": MESSENGER,
            "topics": [topic0],
        }
    )
    assert [log["transactionHash"] for log in logs] == [tx_hash]
    assert logs[0]["logIndex"] == receipt["logs"][0]["logIndex"]
    by_block = w3.eth.get_logs({"blockHash": receipt["blockHash"], "topics": [topic0]})
    assert by_block == logs
    assert w3.eth.get_logs({"fromBlock": 0, "toBlock": 1, "topics": [topic0]}) == []
    # A revert comes back as web3's ContractLogicError, with the module's reason.
    with pytest.raises(ContractLogicError, match="cannot target its own chain"):
        messenger.functions.sendMessage(901, target, b"x").call({"from": sender.address})
    # Modules have code (the preimage of their code hash); accounts have none.
    code = w3.eth.get_code(MESSENGER)
    assert keccak256(bytes(code)) == w3.eth.get_proof(MESSENGER, [], "latest")["codeHash"]
    assert w3.eth.get_code(sender.address) == b""


def test_web3_calls_a_module_through_a_contract_object_and_reads_its_logs() -> None:
    run_with(("seq-901",), messenger_flow)


def proof_flow(urls: dict[str, str]) -> None:
    w3 = connect(urls["seq-901"])
    block = w3.eth.get_block("latest")
    sender = Account.from_key(user_key(901, 0).secret).address
    slot = "0x" + "00" * 31 + "01"  # the messenger's trust mode word
    for address, keys in ((sender, []), (MESSENGER, [slot, "0x0"]), ("0x" + "ab" * 20, [])):
        proof = w3.eth.get_proof(Web3.to_checksum_address(address), keys, block["number"])
        nodes = [rlp.decode(bytes(node)) for node in proof["accountProof"]]
        key = keccak256(bytes.fromhex(address[2:]))
        value = HexaryTrie.get_from_proof(block["stateRoot"], key, nodes)
        if proof["balance"] == 0 and proof["nonce"] == 0 and not keys:
            assert value == b""  # an absence proof
            continue
        nonce, balance, storage_root, code_hash = rlp.decode(value)
        assert int.from_bytes(nonce, "big") == proof["nonce"]
        assert int.from_bytes(balance, "big") == proof["balance"]
        assert storage_root == proof["storageHash"]
        assert code_hash == proof["codeHash"]
        assert int.from_bytes(balance, "big") == w3.eth.get_balance(
            Web3.to_checksum_address(address), block["number"]
        )
        for item in proof["storageProof"]:
            slot_key = keccak256(bytes(item["key"]).rjust(32, b"\x00"))
            stored = HexaryTrie.get_from_proof(
                proof["storageHash"], slot_key, [rlp.decode(bytes(n)) for n in item["proof"]]
            )
            word = int.from_bytes(bytes(item["value"]), "big")  # web3 gives the value as bytes
            expected = rlp.encode(word) if word else b""
            assert stored == expected
    mode = w3.eth.get_proof(MESSENGER, [slot], "latest")["storageProof"][0]["value"]
    assert int.from_bytes(bytes(mode), "big") == 1
    # A tampered proof does not verify.
    proof = w3.eth.get_proof(Web3.to_checksum_address(sender), [], block["number"])
    nodes = [rlp.decode(bytes(node)) for node in proof["accountProof"]]
    nodes[-1][-1] = b"\x00" + nodes[-1][-1]
    with pytest.raises(Exception, match=r"(?i)(proof|hash|node)"):
        HexaryTrie.get_from_proof(block["stateRoot"], keccak256(bytes.fromhex(sender[2:])), nodes)


def test_eth_get_proof_verifies_with_the_trie_package() -> None:
    run_with(("seq-901",), proof_flow)


def l1_flow(urls: dict[str, str]) -> None:
    w3 = connect(urls["l1"])
    assert w3.eth.chain_id == L1_CHAIN_ID
    account = Account.from_key(l1_key().secret)
    portal = w3.eth.contract(
        address=Web3.to_checksum_address(PORTAL_ADDRESS), abi=PORTAL_ABI.abi_json()
    )
    assert w3.eth.get_block("finalized")["number"] <= w3.eth.get_block("safe")["number"]
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(account), layer=0)
    receiver = "0x" + "12" * 20
    tx_hash = w3.eth.send_transaction(
        {"from": account.address, "to": Web3.to_checksum_address(receiver), "value": 5}
    )
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)
    assert receipt["status"] == 1
    assert w3.eth.get_balance(Web3.to_checksum_address(receiver)) == 5
    assert portal.address == Web3.to_checksum_address(PORTAL_ADDRESS)
    # A transaction for another chain is refused before it reaches the node's pool.
    bad = account.sign_transaction(
        {
            "type": 2,
            "chainId": 901,
            "nonce": 99,
            "to": receiver,
            "value": 1,
            "gas": 21_000,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 1,
        }
    )
    with pytest.raises(Web3RPCError, match="invalid chain id"):
        w3.eth.send_raw_transaction(bad.raw_transaction)


def test_web3_on_the_l1_node() -> None:
    run_with(("l1",), l1_flow)


def tags_flow(urls: dict[str, str]) -> None:
    sequencer = connect(urls["seq-901"])
    with pytest.raises(Web3RPCError, match="safe block not found"):
        sequencer.eth.get_block("safe")
    verifier = connect(urls["verifier-901"])
    assert verifier.eth.chain_id == 901
    safe = verifier.eth.get_block("safe")
    assert safe["number"] == verifier.eth.block_number
    assert verifier.eth.get_block("finalized")["number"] <= safe["number"]
    # The derived block is the sequencer's block, byte for byte.
    assert sequencer.eth.get_block(safe["number"])["hash"] == safe["hash"]
    with pytest.raises(Web3RPCError, match=r"does not accept transactions|not served"):
        verifier.eth.send_raw_transaction(b"\x02")


def test_block_tags_per_node_kind() -> None:
    run_with(("seq-901", "verifier-901"), tags_flow)
