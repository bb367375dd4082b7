"""Regressions for bugs a review found: each test failed before its fix."""

import pytest

from interlace.primitives.header import encode_header
from interlace.primitives.receipt import Log, Receipt, encode_receipt, logs_bloom
from interlace.primitives.types import U8, U64, Hash32
from interlace.protocol.interop.messenger import MESSENGER_ABI, MESSENGER_ADDRESS
from interlace.roles.base import MessageReceived, NodeId, TimerFired, Timestamp
from interlace.roles.hub import Hub
from interlace.roles.messages import HubProofRequest, ReceiptsResponse
from interlace.roles.names import HUB_NODE, RELAYER_NODE
from interlace.roles.records import Record, RelayerBadReceipts
from interlace.roles.relayer import FORGET_AFTER, Relayer
from interlace.runtime.sim.scenario import load_scenario, parse_scenario
from interlace.runtime.sim.world import World

LONG_HUB_CRASH = """
name = "long-hub-crash"
description = "equivocation after more than 256 blocks per chain, then a hub crash"
duration = 160
drain = 25
[rollups]
count = 3
block_time = 0.5
trust_modes = ["preconfirmed", "p2p", "preconfirmed"]
[hub]
enabled = true
[workload]
transfers_per_block = 1
messages_per_block = 0.2
[[faults]]
kind = "equivocate"
chain = 2
at = 140
duration = 2
[[faults]]
kind = "crash"
node = "hub"
at = 150
duration = 5
"""


def test_restarted_hub_keeps_evidence_after_a_long_history() -> None:
    """Replay used to overflow the bounded pending queue and drop the evidence."""
    world = World(parse_scenario(LONG_HUB_CRASH), 1)
    metrics = world.run()
    assert metrics["invariants"]["inv6_hub_frozen"] == "ok"
    assert metrics["hub"]["frozen"] == [903]
    assert metrics["hub"]["evidence"] == 1


@pytest.fixture(scope="module")
def interop_world() -> World:
    world = World(load_scenario("interop"), 1)
    world.sim.run_until(10.0)
    return world


def _short_log_response(world: World, event: str) -> ReceiptsResponse:
    sequencer = world.sequencer_by_node(NodeId("seq-901"))
    assert sequencer is not None
    block = sequencer.chain.blocks[3]
    log = Log(MESSENGER_ADDRESS, (Hash32(MESSENGER_ABI.event(event).topic0),), b"")
    receipt = Receipt(U8(2), True, U64(21_000), logs_bloom([log]), (log,))
    return ReceiptsResponse(
        1,
        901,
        3,
        block.hash,
        encode_header(block.header),
        tuple(tx.raw for tx in block.transactions),
        (encode_receipt(receipt),),
        # The sequencer's real header signature, so that the receipts check is what refuses.
        sequencer.sign_header(block),
    )


@pytest.mark.parametrize("event", ["SentMessage", "RelayedMessage"])
def test_relayer_survives_receipts_that_do_not_match_the_block(
    interop_world: World, event: str
) -> None:
    relayer = interop_world.sim.role(RELAYER_NODE)
    assert isinstance(relayer, Relayer)
    before = dict(relayer.messages)
    message = MessageReceived(NodeId("seq-901"), _short_log_response(interop_world, event))
    effects = relayer.handle(message, Timestamp(10.0))
    assert [type(e) for e in effects if isinstance(e, Record)] == [RelayerBadReceipts]
    relayer.handle(TimerFired("retry"), Timestamp(11.0))
    assert relayer.messages == before


@pytest.mark.parametrize(("chain_id", "number"), [(901, -1), (901, 2**64), (-5, 1), (0, 1)])
def test_hub_ignores_out_of_range_proof_requests(
    interop_world: World, chain_id: int, number: int
) -> None:
    hub = interop_world.sim.role(HUB_NODE)
    assert isinstance(hub, Hub)
    request = MessageReceived(NodeId("relayer"), HubProofRequest(chain_id, number, 1))
    assert hub.handle(request, Timestamp(10.0)) == []


def test_message_once_checker_flags_a_double_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inv. 2's checker is not vacuous: report every relay twice and it fails."""
    from interlace.runtime.sim import checkers

    real = checkers.relayed_list
    monkeypatch.setattr(checkers, "relayed_list", lambda receipts: real(receipts) * 2)
    metrics = World(load_scenario("interop"), 1).run()
    assert metrics["invariants"]["inv2_message_once"] != "ok"


def test_relayer_forgets_settled_messages() -> None:
    """The relayer's memory is bounded: delivered messages are forgotten after a while."""
    text = """
name = "interop-long"
description = "long interop run"
duration = 200
drain = 20
[rollups]
count = 3
trust_modes = ["p2p", "preconfirmed"]
[hub]
enabled = true
[workload]
transfers_per_block = 1
messages_per_block = 0.5
"""
    world = World(parse_scenario(text), 2)
    metrics = world.run()
    relayer = world.sim.role(RELAYER_NODE)
    assert isinstance(relayer, Relayer)
    executed = sum(m["executed"] for m in metrics["messages"].values())
    assert executed > 200
    assert len(relayer.messages) < executed
    now = world.sim.now
    for pending in relayer.messages.values():
        assert pending.settled_at is None or pending.settled_at >= now - FORGET_AFTER - 2
