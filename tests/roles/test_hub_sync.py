"""Hub followers apply every hub block once, in order, and ask the hub again for a gap.

A follower cut off from ``hub/blocks`` for a while used to lose those blocks'
status changes for good (``regressions/hub-block-missed-in-partition.toml``).
"""

from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.types import U64, ZERO_HASH
from interlace.protocol.hub.state import HubHeader, encode_signed_hub_block, sign_hub_header
from interlace.roles.base import MessageReceived, NodeId, SendMessage, Timestamp
from interlace.roles.hub import Hub
from interlace.roles.hub_sync import HubFollower
from interlace.roles.l1_sync import RETRY_AFTER
from interlace.roles.messages import HubBlockPublished, HubSyncRequest, StatusChange
from interlace.roles.names import HUB_NODE
from interlace.runtime.sim.scenario import load_scenario
from interlace.runtime.sim.world import World

HUB = NodeId("hub")
KEY = private_key_from_seed(b"hub-sync-test")


def hub_block(number: int) -> HubBlockPublished:
    header = HubHeader(U64(number), U64(number), ZERO_HASH, ZERO_HASH, U64(0), ZERO_HASH)
    signed = encode_signed_hub_block(header, sign_hub_header(header, KEY))
    return HubBlockPublished(signed, (StatusChange(901, number, bytes(32), 1, 1),))


def test_blocks_in_order_are_applied_as_they_come() -> None:
    follower = HubFollower()
    for number in (1, 2, 3):
        steps = follower.accept(HUB, hub_block(number), Timestamp(number))
        assert steps.ready == (hub_block(number),)
        assert steps.effects == ()


def test_a_gap_is_asked_for_and_held_blocks_follow_the_answer_in_order() -> None:
    follower = HubFollower()
    follower.accept(HUB, hub_block(1), Timestamp(1.0))
    ahead = follower.accept(HUB, hub_block(4), Timestamp(4.0))
    assert ahead.ready == ()
    assert ahead.effects == (SendMessage(HUB, HubSyncRequest(2)),)
    # Asked once: a block arriving before the retry interval does not ask again.
    assert follower.accept(HUB, hub_block(5), Timestamp(5.0)).effects == ()
    # The answer re-sends 2..5; 4 and 5 are already held, so they go out after 3.
    assert follower.accept(HUB, hub_block(2), Timestamp(5.1)).ready == (hub_block(2),)
    assert follower.accept(HUB, hub_block(3), Timestamp(5.1)).ready == tuple(
        hub_block(n) for n in (3, 4, 5)
    )
    again = follower.accept(HUB, hub_block(4), Timestamp(5.1))
    assert again.ready == ()  # a duplicate of an applied block is dropped
    assert again.effects == ()


def test_a_lost_answer_is_asked_for_again_after_the_retry_interval() -> None:
    follower = HubFollower()
    follower.accept(HUB, hub_block(1), Timestamp(1.0))
    follower.accept(HUB, hub_block(3), Timestamp(3.0))
    late = follower.accept(HUB, hub_block(4), Timestamp(3.0 + RETRY_AFTER))
    assert late.effects == (SendMessage(HUB, HubSyncRequest(2)),)


def test_hub_resends_its_blocks_and_a_restarted_hub_resends_the_same() -> None:
    world = World(load_scenario("interop"), 1)
    world.sim.run_until(6.0)
    hub = world.hub()
    assert hub is not None and hub.head.number >= 3
    asked = hub.handle(MessageReceived(NodeId("batcher-901"), HubSyncRequest(2)), Timestamp(6.0))
    assert asked == [
        SendMessage(NodeId("batcher-901"), hub.published[n]) for n in range(2, hub.head.number + 1)
    ]
    assert any(hub.published[n].changes for n in range(2, hub.head.number + 1))
    restored = Hub(HUB_NODE, hub.params, world.sim.nodes[HUB_NODE].store)
    assert restored.published == hub.published
