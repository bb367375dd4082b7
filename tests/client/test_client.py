"""The SDK against simulator roles served over real HTTP (no processes).

Each test serves a fresh world's nodes, writes an ``endpoints.json`` for
them in the devnet's schema and runs the synchronous SDK in a worker
thread. Chain 901 takes messages once the hub pre-confirms their source
(hub proofs), chain 902 takes the source sequencer's signature (peer
proofs). With the relayer off, the tests relay by hand.
"""

import json
import socket
import time
from pathlib import Path

import pytest

import interlace.client
from interlace.client import (
    WAIT_STAGES,
    BadKey,
    ClientError,
    EndpointsNotFound,
    InterlaceClient,
    MessageAlreadyRelayed,
    MessageNotReady,
    MessageStatus,
    NodeUnreachable,
    RpcFailure,
    SentMessage,
    TxReceipt,
    UnknownNode,
    has_reached,
    load_endpoints,
    parse_endpoints,
)
from interlace.primitives.mpt import verify_proof
from interlace.protocol.hub.state import SafetyLevel, decode_signed_hub_block, state_key
from interlace.protocol.interop.proof import InvalidEventProof, MalformedEventProof, ProofMode
from interlace.runtime.sim.world import World
from tests.api.harness import (
    l1_key,
    make_world,
    run_against_world,
    user_key,
    write_endpoints,
)

TARGET = "0x" + "34" * 20


def hexkey(chain: int, index: int) -> str:
    return "0x" + user_key(chain, index).secret.hex()


def client_for(tmp_path: Path, urls: dict[str, str]) -> InterlaceClient:
    write_endpoints(tmp_path, urls)
    return InterlaceClient.from_data_dir(tmp_path)


def test_transfers_balances_nonces_and_deposits(tmp_path: Path) -> None:
    def flow(urls: dict[str, str]) -> None:
        client = client_for(tmp_path, urls)
        receiver = "0x" + user_key(901, 1).address.hex()
        before = client.balance(901, receiver)
        nonce = client.nonce(901, "0x" + user_key(901, 0).address.hex())
        receipt = client.transfer(hexkey(901, 0), 901, receiver, 12345)
        assert isinstance(receipt, TxReceipt)
        assert receipt.success
        assert receipt.gas_used == 21_000
        assert client.balance(901, receiver) == before + 12345
        assert client.nonce(901, user_key(901, 0).address) == nonce + 1
        # Without waiting: the hash comes back at once and the pending nonce counts it.
        tx_hash = client.transfer(hexkey(901, 0), 901, receiver, 1, wait=False)
        assert isinstance(tx_hash, bytes)
        assert client.nonce(901, user_key(901, 0).address) == nonce + 2
        assert client.chain(901).wait_for_receipt(tx_hash, timeout=20).success
        # An L1 deposit shows up on the rollup once its sequencer adopts the L1 block.
        target = "0x" + "56" * 20
        l1_receipt = client.deposit(l1_key(), 901, 777, to=target)
        assert l1_receipt.chain_id == 900
        for _ in range(200):
            if client.balance(901, target) == 777:
                break
            time.sleep(0.05)
        assert client.balance(901, target) == 777

    run_against_world(flow)


def test_peer_to_peer_message_relayed_by_hand(tmp_path: Path) -> None:
    world = make_world(relayer=False)

    def flow(urls: dict[str, str]) -> None:
        client = client_for(tmp_path, urls)
        sent = client.send_message(hexkey(901, 0), 901, 902, TARGET, b"to 902")
        assert (sent.source_chain, sent.destination, sent.message) == (901, 902, b"to 902")
        assert client.find_message(901, sent.tx_hash) == sent
        status = client.message_status(sent)
        assert status.on_source
        assert not status.executed
        assert status.relayer_state == "waiting"  # the relayer watches but does not relay
        proof = client.get_message_proof(sent)
        claim = client.verify_proof(proof)
        assert claim.mode is ProofMode.PEER
        assert claim.sequencer == world.sequencer_keys[901].address
        assert claim.message_hash == sent.message_hash
        receipt = client.relay_message(hexkey(902, 0), sent, proof=proof)
        assert receipt.success
        assert receipt.chain_id == 902
        assert client.message_status(sent).stage == "executed"
        with pytest.raises(MessageAlreadyRelayed):
            client.relay_message(hexkey(902, 0), sent)
        with pytest.raises((InvalidEventProof, MalformedEventProof)):
            client.verify_proof(proof[:-1] + bytes([proof[-1] ^ 1]))

    run_against_world(flow, world=world)


def test_hub_message_relayed_by_hand(tmp_path: Path) -> None:
    world = make_world(relayer=False)

    def flow(urls: dict[str, str]) -> None:
        client = client_for(tmp_path, urls)
        sent = client.send_message(hexkey(902, 0), 902, 901, TARGET, b"to 901")
        reached = client.wait_for_message(sent, "preconfirmed", timeout=30)
        assert reached.cross_level >= SafetyLevel.PRECONFIRMED
        proof = client.get_message_proof(sent)
        claim = client.verify_proof(proof)
        assert claim.mode is ProofMode.HUB
        assert claim.hub_signer == world.hub_key.address
        assert claim.status is not None
        assert claim.status.block_hash == sent.block_hash
        receipt = client.relay_message(hexkey(901, 1), sent, proof=proof)
        assert receipt.success
        assert client.is_executed(sent)
        assert client.message_status(sent).stage == "executed"

    run_against_world(flow, world=world)


def test_relayer_delivers_and_the_status_follows(tmp_path: Path) -> None:
    def flow(urls: dict[str, str]) -> None:
        client = client_for(tmp_path, urls)
        sent = client.send_message(hexkey(901, 2), 901, 902, TARGET, b"auto")
        done = client.wait_for_message(sent, "executed", timeout=60)
        assert done.executed
        assert done.relayer_state == "done"
        assert done.relay_tx is not None
        relay = client.chain(902).receipt(done.relay_tx)
        assert relay is not None
        assert relay.success
        # The relayer answers by relay key, by message hash + source, or by identifier.
        by_hash = client.relayer_rpc("interlace_messageStatus", "0x" + sent.message_hash.hex(), 901)
        identifier = {"chainId": 901, "blockNumber": sent.block_number, "logIndex": sent.log_index}
        by_id = client.relayer_rpc("interlace_messageStatus", identifier)
        assert by_hash == by_id
        assert by_id["state"] == "done"
        assert by_id["relayKey"] == "0x" + sent.relay_key.hex()

    run_against_world(flow)


def test_hub_status_block_safety_and_proofs(tmp_path: Path) -> None:
    def flow(urls: dict[str, str]) -> None:
        client = client_for(tmp_path, urls)
        status = client.status()
        assert [c.chain_id for c in status.chains] == [901, 902]
        assert all(c.preconfirmed >= 1 and not c.frozen and c.evidence == 0 for c in status.chains)
        assert status.hub_number > 0
        assert status.l1_finalized <= status.l1_safe <= status.l1_head
        by_number = client.block_safety(901, 3)
        assert by_number is not None
        by_hash = client.block_safety(901, by_number.block_hash)
        assert by_hash == by_number
        assert by_number.level >= SafetyLevel.PRECONFIRMED
        assert client.chain(901).block(3)["hash"] == "0x" + by_number.block_hash.hex()  # type: ignore[index]
        assert client.block_safety(901, 10**6) is None
        assert client.evidence() == []
        assert client.evidence(902) == []
        # The hub's prove API: a state proof against its signed hub block.
        answer = client.hub_rpc("interlace_getProof", 901, 3)
        header, _signature = decode_signed_hub_block(bytes.fromhex(answer["signedHubBlock"][2:]))
        value = verify_proof(
            header.state_root,
            state_key(901, 3),
            [bytes.fromhex(n[2:]) for n in answer["proof"]],
        )
        assert value is not None
        assert answer["status"]["blockHash"] == "0x" + by_number.block_hash.hex()
        older = client.hub_rpc("interlace_getProof", 901, 3, answer["hubNumber"] - 1)
        assert older["hubNumber"] == answer["hubNumber"] - 1
        health = client.hub_rpc("interlace_health")
        assert health["kind"] == "hub"
        assert health["ok"] is True

    run_against_world(flow)


def test_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(EndpointsNotFound, match="interlace devnet up"):
        InterlaceClient.from_data_dir(tmp_path / "nothing-here")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "endpoints.json").write_text("{not json")
    with pytest.raises(EndpointsNotFound, match="cannot read"):
        load_endpoints(tmp_path / "bad")
    with pytest.raises(EndpointsNotFound, match="rpc_http"):
        parse_endpoints({"nodes": {"l1": {"kind": "l1"}}})
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = parse_endpoints({"nodes": {"seq-901": {"rpc_http": f"http://127.0.0.1:{port}"}}})
    client = InterlaceClient(dead)
    with pytest.raises(NodeUnreachable, match="interlace devnet up"):
        client.balance(901, TARGET)
    with pytest.raises(UnknownNode, match="no node serves chain 999"):
        client.balance(999, TARGET)
    with pytest.raises(UnknownNode, match="no hub node"):
        client.status()
    with pytest.raises(BadKey):
        client.transfer("0x1234", 901, TARGET, 1)

    def flow(urls: dict[str, str]) -> None:
        live = client_for(tmp_path / "live", urls)
        with pytest.raises(RpcFailure, match="insufficient funds") as info:
            live.transfer("0x" + "42" * 32, 901, TARGET, 1)  # an account with nothing
        assert info.value.code == -32003
        with pytest.raises(RpcFailure) as info:
            live.chain(901).rpc("eth_getBalance", "0x12")
        assert info.value.code == -32602

    run_against_world(flow, nodes=("seq-901",))


def test_endpoints_schema_and_inference() -> None:
    parsed = parse_endpoints(
        {
            "devnet": {"chain_ids": [901]},
            "nodes": {
                "l1": {"kind": "l1", "chain_id": 900, "rpc_http": "http://h:1"},
                "seq-901": {"rpc": "http://h:2", "ws": "ws://h:2/ws"},
                "hub": {"rpc_http": "http://h:3"},
            },
            "accounts": [{"address": "0x01", "private_key": "0x02"}],
        }
    )
    assert parsed.chain_ids == (901,)
    assert parsed.l1_chain_id == 900
    assert parsed.for_chain(901).name == "seq-901"
    assert parsed.for_chain(900).kind == "l1"
    assert parsed.of_kind("hub").rpc == "http://h:3"
    assert parsed.nodes["seq-901"].ws == "ws://h:2/ws"
    assert parsed.accounts[0].private_key == "0x02"


def test_public_api_is_pinned() -> None:
    assert sorted(interlace.client.__all__) == sorted(
        [
            "DEFAULT_DATA_DIR",
            "WAIT_STAGES",
            "BadKey",
            "BadResponse",
            "BlockSafety",
            "ChainClient",
            "ChainSafety",
            "ClientError",
            "DevAccount",
            "Endpoints",
            "EndpointsNotFound",
            "HttpTransport",
            "HubStatus",
            "InterlaceClient",
            "LogEntry",
            "MessageAlreadyRelayed",
            "MessageNotFound",
            "MessageNotReady",
            "MessageStatus",
            "NodeEndpoint",
            "NodeUnreachable",
            "RpcFailure",
            "SentMessage",
            "TransactionFailed",
            "Transport",
            "TxReceipt",
            "UnknownNode",
            "WaitTimeout",
            "has_reached",
            "load_endpoints",
            "load_key",
            "parse_endpoints",
            "receipt_from_json",
        ]
    )
    for name in interlace.client.__all__:
        assert hasattr(interlace.client, name)
    assert json.dumps(SentMessage.__slots__)  # a plain dataclass, picklable fields


def test_world_fixture_is_deterministic() -> None:
    """Two fresh worlds agree, so the tests above replay the same chains."""
    first, second = make_world(), make_world()
    assert isinstance(first, World)
    assert first.sim.trace_hash() == second.sim.trace_hash()


def _status(
    stage: str, cross: SafetyLevel, *, executed: bool = False, relayer: str | None = None
) -> MessageStatus:
    sent = SentMessage(
        source_chain=901,
        destination=902,
        nonce=0,
        sender=b"\x11" * 20,
        target=b"\x22" * 20,
        message=b"",
        sent_message=b"",
        message_hash=b"\x33" * 32,
        relay_key=b"\x44" * 32,
        tx_hash=b"\x55" * 32,
        block_number=1,
        block_hash=b"\x66" * 32,
        block_timestamp=0,
        receipt_index=0,
        log_position=0,
        log_index=0,
    )
    return MessageStatus(sent, stage, True, cross, cross, relayer, None, executed)


def test_safety_stages_wait_for_the_source_block_not_for_delivery() -> None:
    """A message executes at pre-confirmed and finalizes later: waiting for ``finalized``
    must not return when it executes (the bug: ``executed`` ranked above ``finalized``)."""
    executed_early = _status("executed", SafetyLevel.PRECONFIRMED, executed=True)
    assert has_reached(executed_early, "executed")
    assert has_reached(executed_early, "relayed")
    assert has_reached(executed_early, "preconfirmed")
    assert not has_reached(executed_early, "safe")
    assert not has_reached(executed_early, "finalized")
    finalized_waiting = _status("finalized", SafetyLevel.FINALIZED, relayer="waiting")
    assert has_reached(finalized_waiting, "confirmed")
    assert has_reached(finalized_waiting, "finalized")
    assert not has_reached(finalized_waiting, "relayed")
    assert not has_reached(finalized_waiting, "executed")
    assert has_reached(_status("relayed", SafetyLevel.SAFE, relayer="submitted"), "relayed")
    invalid = _status("invalid", SafetyLevel.INVALID)
    assert not any(has_reached(invalid, stage) for stage in WAIT_STAGES[1:])
    assert has_reached(_status("sent", SafetyLevel.UNKNOWN), "sent")


def test_wait_for_message_follows_the_source_level_after_execution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = InterlaceClient(parse_endpoints({"l1": {"kind": "l1", "rpc": "http://x:1"}}))
    seen = iter(
        [
            _status("executed", SafetyLevel.PRECONFIRMED, executed=True),
            _status("executed", SafetyLevel.CONFIRMED, executed=True),
            _status("executed", SafetyLevel.FINALIZED, executed=True),
        ]
    )
    monkeypatch.setattr(client, "message_status", lambda _message: next(seen))
    monkeypatch.setattr(interlace.client.client, "POLL_INTERVAL", 0.0)
    reached = client.wait_for_message(_status("sent", SafetyLevel.UNKNOWN).message, "finalized")
    assert reached.cross_level == SafetyLevel.FINALIZED
    gone = iter([_status("invalid", SafetyLevel.INVALID)])
    monkeypatch.setattr(client, "message_status", lambda _message: next(gone))
    with pytest.raises(MessageNotReady):
        client.wait_for_message(_status("sent", SafetyLevel.UNKNOWN).message, "finalized")
    with pytest.raises(ClientError):
        client.wait_for_message(_status("sent", SafetyLevel.UNKNOWN).message, "landed")
