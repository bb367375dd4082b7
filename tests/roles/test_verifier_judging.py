"""How a verifier following the hub judges two signed blocks at one height.

The verifier is fed by hand: one canonical L1 block (the origin of every rollup
block here), the sequencer's gossip, and hub blocks with the status changes and
frozen chains the hub would publish. Only the height's judgement is looked at.
"""

from interlace.primitives.header import EMPTY_OMMERS_HASH, ZERO_NONCE, BlockHeader
from interlace.primitives.mpt import EMPTY_TRIE_ROOT
from interlace.primitives.types import U64, U256, ZERO_HASH, Address, Bytes256, Hash32
from interlace.protocol.chain.block import Block
from interlace.protocol.hub.state import (
    HubHeader,
    SafetyLevel,
    encode_signed_hub_block,
    sign_hub_header,
)
from interlace.protocol.rollup.derivation import L1Origin
from interlace.roles.base import Effect, MessageReceived, NodeId, Timestamp
from interlace.roles.messages import (
    BlockGossip,
    HubBlockPublished,
    L1BlockPublished,
    StatusChange,
)
from interlace.roles.names import HUB_NODE, L1_NODE
from interlace.roles.records import Record, VerifierEvidence, VerifierRebuildSeen
from interlace.roles.rollup_follower import FollowerParams
from interlace.roles.verifier import VerifierNode, VerifierParams
from interlace.runtime.store import MemoryStore
from tests.protocol.hub_support import HUB_KEY, B, Rollup, batcher_address

L1_GENESIS = Block(
    BlockHeader(
        parent_hash=ZERO_HASH,
        ommers_hash=EMPTY_OMMERS_HASH,
        coinbase=Address(b"\xfe" * 20),
        state_root=EMPTY_TRIE_ROOT,
        transactions_root=EMPTY_TRIE_ROOT,
        receipts_root=EMPTY_TRIE_ROOT,
        logs_bloom=Bytes256(b"\x00" * 256),
        difficulty=U256(0),
        number=U64(0),
        gas_limit=U64(30_000_000),
        gas_used=U64(0),
        timestamp=U64(0),
        extra_data=b"",
        prev_randao=ZERO_HASH,
        nonce=ZERO_NONCE,
        base_fee_per_gas=U256(1_000_000_000),
        withdrawals_root=EMPTY_TRIE_ROOT,
        blob_gas_used=U64(0),
        excess_blob_gas=U64(0),
        parent_beacon_block_root=ZERO_HASH,
    ),
    (),
)
ORIGIN = L1Origin(U64(0), L1_GENESIS.hash, U64(0), U256(1_000_000_000))
"""A canonical origin in the verifier's L1 view."""
NOW = Timestamp(100.0)


def verifier_for(rollup: Rollup) -> VerifierNode:
    params = VerifierParams(
        follower=FollowerParams(
            genesis=rollup.chain.genesis,
            batcher_address=batcher_address(rollup.chain_id),
            follow_hub=True,
        ),
        sequencer_address=rollup.key.address,
    )
    verifier = VerifierNode(NodeId("verifier-902"), params, MemoryStore())
    verifier.handle(MessageReceived(L1_NODE, L1BlockPublished(L1_GENESIS, (), 0, 0)), NOW)
    return verifier


def gossip(verifier: VerifierNode, envelope: bytes) -> list[Effect]:
    return verifier.handle(MessageReceived(NodeId("seq-902"), BlockGossip(B, envelope)), NOW)


def hub_block(
    verifier: VerifierNode, number: int, invalid: list[tuple[int, Hash32]], frozen: tuple[int, ...]
) -> list[Effect]:
    header = HubHeader(U64(number), U64(number), ZERO_HASH, ZERO_HASH, U64(0), ZERO_HASH)
    changes = tuple(
        StatusChange(B, height, block_hash, SafetyLevel.INVALID, SafetyLevel.INVALID)
        for height, block_hash in invalid
    )
    signed = encode_signed_hub_block(header, sign_hub_header(header, HUB_KEY))
    message = HubBlockPublished(signed, changes, frozen)
    return verifier.handle(MessageReceived(HUB_NODE, message), NOW)


def kinds(effects: list[Effect]) -> list[type[Record]]:
    return [type(e) for e in effects if isinstance(e, Record)]


def test_a_rebuild_heard_after_a_freeze_elsewhere_is_no_equivocation() -> None:
    # The hub invalidated block 2 for a dependency, then froze the chain for an
    # equivocation at another height; the rebuild of block 2 reaches the verifier only
    # after that. The hub's verdict on block 2 still says why it was re-signed.
    rollup = Rollup(B)
    verifier = verifier_for(rollup)
    gossip(verifier, rollup.add(ORIGIN))
    first = rollup.add(ORIGIN)
    gossip(verifier, first)
    invalid = rollup.chain.blocks[2].hash
    hub_block(verifier, 1, [(2, invalid)], ())
    hub_block(verifier, 2, [(5, Hash32(b"\x05" * 32))], (B,))
    rollup.chain.rewind(1)
    effects = gossip(verifier, rollup.add(ORIGIN, extra=b"rebuilt"))
    assert VerifierRebuildSeen in kinds(effects)
    assert not verifier.frozen
    assert not verifier.evidence


def test_a_pair_at_a_height_the_freezing_hub_block_invalidated_is_equivocation() -> None:
    # The hub invalidates an equivocating pair's height in the block that freezes the chain:
    # that verdict is no rebuild, and the verifier keeps its own evidence.
    rollup = Rollup(B)
    verifier = verifier_for(rollup)
    gossip(verifier, rollup.add(ORIGIN))
    gossip(verifier, rollup.add(ORIGIN))
    held = rollup.chain.blocks[2].hash
    hub_block(verifier, 1, [(2, held)], (B,))
    rollup.chain.rewind(1)
    effects = gossip(verifier, rollup.add(ORIGIN, extra=b"equivocation"))
    assert VerifierEvidence in kinds(effects)
    assert verifier.frozen
    assert [(e.kind, e.number) for e in verifier.evidence] == [("equivocation", 2)]


def test_a_block_on_replaced_l1_history_does_not_count_against_a_rebuild() -> None:
    # Explorer seed 2674: height 2 holds a block whose origin a reorg replaced, its
    # re-sign on the new fork (the hub invalidated it for a dependency) and that one's
    # rebuild. The reorged block must not keep the rebuild waiting for a verdict.
    rollup = Rollup(B)
    verifier = verifier_for(rollup)
    gossip(verifier, rollup.add(ORIGIN))
    reorged = L1Origin(U64(0), Hash32(b"\x0f" * 32), U64(0), U256(1_000_000_000))
    gossip(verifier, rollup.add(reorged))
    rollup.chain.rewind(1)
    resigned = rollup.add(ORIGIN, extra=b"re-signed")
    gossip(verifier, resigned)
    hub_block(verifier, 1, [(2, rollup.chain.blocks[2].hash)], ())
    rollup.chain.rewind(1)
    effects = gossip(verifier, rollup.add(ORIGIN, extra=b"rebuilt"))
    assert VerifierRebuildSeen in kinds(effects)
    assert 2 not in verifier.suspects
    # A freeze for an equivocation elsewhere finds nothing to judge at height 2.
    hub_block(verifier, 2, [(5, Hash32(b"\x05" * 32))], (B,))
    assert not verifier.frozen
    assert not verifier.evidence
