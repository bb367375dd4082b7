"""The hub's deferred block-hash check (the in-place L1Origin read is tested with the
reader it speeds up, in test_declaration.py)."""

import dataclasses

from interlace.primitives.envelope import sign_envelope
from interlace.primitives.types import U64, ZERO_HASH, Hash32
from interlace.protocol.hub.state import SafetyLevel
from interlace.protocol.rollup.derivation import BatchBlock
from interlace.protocol.rollup.payload import payload_from_block
from tests.protocol.hub_support import NOW, A, Rollup, l1_hash, tracker_for


def test_a_signed_hash_that_is_not_the_payloads_header_never_becomes_safe() -> None:
    """Pre-confirmation trusts the signed hash; SAFE checks it and invalidates a lie."""
    rollup = Rollup(A)
    tracker = tracker_for(rollup)
    built = rollup.build(1, users=1)
    rollup.append(built)
    payload = payload_from_block(built.block)
    lying = dataclasses.replace(payload, block_hash=Hash32(b"\x42" * 32))
    envelope = sign_envelope(lying, ZERO_HASH, A, rollup.key)
    accepted = tracker.ingest_envelope(A, envelope, NOW).accepted
    assert [b.block_hash for b in accepted] == [b"\x42" * 32]
    entry = BatchBlock(
        U64(1),
        U64(built.block.header.timestamp),
        U64(1),
        l1_hash(1),
        tuple(tx.raw for tx in built.block.transactions[1:]),
    )
    tracker.apply_batch(A, [entry], (3, l1_hash(3)))
    status = tracker.status(A, 1)
    assert status is not None
    assert status.level == SafetyLevel.INVALID


def test_an_honest_block_becomes_safe_on_its_batch() -> None:
    rollup = Rollup(A)
    tracker = tracker_for(rollup)
    envelope = rollup.add(1, users=1)
    tracker.ingest_envelope(A, envelope, NOW)
    block = rollup.chain.blocks[1]
    entry = BatchBlock(
        U64(1),
        U64(block.header.timestamp),
        U64(1),
        l1_hash(1),
        tuple(tx.raw for tx in block.transactions[1:]),
    )
    tracker.apply_batch(A, [entry], (3, l1_hash(3)))
    status = tracker.status(A, 1)
    assert status is not None
    assert status.level == SafetyLevel.SAFE
