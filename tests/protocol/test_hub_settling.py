"""The hub's settlement side: CONFIRMED and FINALIZED from L1 facts, and the next aggregate."""

import pytest

from interlace.primitives.hashing import keccak256
from interlace.primitives.rlp_codec import encode_rlp, encode_uint
from interlace.primitives.types import Hash32
from interlace.protocol.hub.settling import FactKind, SettlementFact, SettlementFollower
from interlace.protocol.hub.state import SafetyLevel
from interlace.protocol.hub.tracker import HubTracker, Outcome
from interlace.protocol.l1.modules import RollupKind
from interlace.protocol.settlement.confirmation import read_output_reference
from tests.protocol.hub_support import (
    INVALID,
    A,
    B,
    Rollup,
    batch_entry,
    ingest_all,
    l1_hash,
    level,
    tracker_for,
)

SAFE, CONFIRMED, FINAL = SafetyLevel.SAFE, SafetyLevel.CONFIRMED, SafetyLevel.FINALIZED


def _world(blocks_a: int = 3, blocks_b: int = 0) -> tuple[HubTracker, Rollup, Rollup]:
    a, b = Rollup(A), Rollup(B)
    tracker = tracker_for(a, b)
    ingest_all(tracker, A, [a.add(1) for _ in range(blocks_a)])
    ingest_all(tracker, B, [b.add(1) for _ in range(blocks_b)])
    return tracker, a, b


def _make_safe(tracker: HubTracker, rollup: Rollup, *numbers: int) -> None:
    tracker.apply_batch(rollup.chain_id, [batch_entry(rollup, n) for n in numbers], (3, l1_hash(3)))


def _hash(rollup: Rollup, number: int) -> Hash32:
    return rollup.chain.blocks[number].hash


def test_an_output_confirms_its_block_and_ancestors_once_they_are_safe() -> None:
    tracker, a, _b = _world()
    # L1 showed the output at block 3 valid before the batches were seen: nothing rises yet.
    assert tracker.confirm(A, 3, _hash(a, 3), ancestors=True) == 0
    assert level(tracker, A, 3)[0] == SafetyLevel.PRECONFIRMED
    _make_safe(tracker, a, 1, 2)
    assert level(tracker, A, 1) == (CONFIRMED, CONFIRMED)
    assert level(tracker, A, 2) == (CONFIRMED, CONFIRMED)
    assert level(tracker, A, 3)[0] == SafetyLevel.PRECONFIRMED
    _make_safe(tracker, a, 3)
    assert level(tracker, A, 3) == (CONFIRMED, CONFIRMED)


def test_an_output_heard_before_its_block_confirms_the_ancestors_with_the_next_output() -> None:
    # Explorer seed 8649: a restarted hub re-read an output valid at block 3 before its
    # replayed envelopes reached block 3, so the walk to the ancestors stopped there; the
    # next output's walk stopped at block 3 (already known) and blocks 1-2 never rose.
    a, b = Rollup(A), Rollup(B)
    tracker = tracker_for(a, b)
    envelopes = [a.add(1) for _ in range(4)]
    ingest_all(tracker, A, envelopes[:2])
    assert tracker.confirm(A, 3, _hash(a, 3), ancestors=True) == 0  # block 3 not held yet
    ingest_all(tracker, A, envelopes[2:])
    _make_safe(tracker, a, 1, 2, 3, 4)
    assert level(tracker, A, 3) == (CONFIRMED, SAFE)
    tracker.confirm(A, 4, _hash(a, 4), ancestors=True)
    for number in (1, 2, 3, 4):
        assert level(tracker, A, number) == (CONFIRMED, CONFIRMED)


def test_a_proof_confirms_one_block_and_only_the_version_it_names() -> None:
    tracker, a, _b = _world()
    _make_safe(tracker, a, 1, 2, 3)
    assert tracker.confirm(A, 2, _hash(a, 2), ancestors=False) == 1
    assert level(tracker, A, 2) == (CONFIRMED, SAFE)  # the parent is only SAFE
    assert level(tracker, A, 1)[0] == SAFE
    assert tracker.confirm(A, 1, Hash32(keccak256(b"other")), ancestors=False) == 0
    assert level(tracker, A, 1)[0] == SAFE


def test_finalized_blocks_survive_a_later_equivocation() -> None:
    tracker, a, _b = _world()
    _make_safe(tracker, a, 1, 2, 3)
    tracker.confirm(A, 3, _hash(a, 3), ancestors=True)
    assert tracker.finalize(A, 1, _hash(a, 1))
    assert not tracker.finalize(A, 1, _hash(a, 1))  # once
    assert level(tracker, A, 1) == (FINAL, FINAL)
    # A second signed block at height 1: evidence, frozen, but block 1 stays finalized.
    fork = Rollup(A)
    other = fork.add(1, extra=b"fork")
    assert tracker.ingest_envelope(A, other, 1e6).outcome is Outcome.EQUIVOCATION
    assert tracker.clients[A].frozen
    assert level(tracker, A, 1) == (FINAL, FINAL)
    assert level(tracker, A, 2) == INVALID


def _follower(**kinds: RollupKind) -> SettlementFollower:
    a, b = Rollup(A), Rollup(B)
    return SettlementFollower(
        kinds={A: kinds.get("a", RollupKind.VALIDITY), B: kinds.get("b", RollupKind.VALIDITY)},
        genesis={A: a.genesis_hash, B: b.genesis_hash},
    )


def test_the_aggregate_takes_each_chains_cross_confirmed_run() -> None:
    a, b = Rollup(A), Rollup(B)
    tracker = tracker_for(a, b)
    ingest_all(tracker, A, [a.add(1), a.add(1), a.add(1)])
    ingest_all(tracker, B, [b.add(1, deps=[a.dep(3)]), b.add(1)])
    _make_safe(tracker, a, 1, 2, 3)
    _make_safe(tracker, b, 1, 2)
    for n in (1, 2):
        tracker.confirm(A, n, _hash(a, n), ancestors=False)
        tracker.confirm(B, n, _hash(b, n), ancestors=False)
    follower = _follower()
    aggregate = follower.build_aggregate(tracker, 7, Hash32(keccak256(b"root")))
    assert aggregate is not None and aggregate.hub_number == 7
    # B1 depends on A3, which is not confirmed: B's run is empty; A's is 1..2.
    assert [(blk.chain_id, blk.number) for blk in aggregate.blocks] == [(A, 1), (A, 2)]
    assert all(blk.confirmation == b"" for blk in aggregate.blocks)
    tracker.confirm(A, 3, _hash(a, 3), ancestors=False)
    aggregate = follower.build_aggregate(tracker, 8, Hash32(keccak256(b"root")))
    assert aggregate is not None
    assert [(blk.chain_id, blk.number) for blk in aggregate.blocks] == [
        (A, 1),
        (A, 2),
        (A, 3),
        (B, 1),
        (B, 2),
    ]
    assert aggregate.blocks[3].dependencies == (a.dep(3),)


def test_an_optimistic_run_ends_at_the_output_that_confirmed_it() -> None:
    tracker, a, _b = _world(blocks_a=4)
    _make_safe(tracker, a, 1, 2, 3, 4)
    follower = _follower(a=RollupKind.OPTIMISTIC)
    fact = SettlementFact(FactKind.OUTPUT_VALID, A, 3, _hash(a, 3))
    follower.note_confirmation(tracker, fact)
    tracker.confirm(A, 3, _hash(a, 3), ancestors=True)
    aggregate = follower.build_aggregate(tracker, 1, Hash32(keccak256(b"r")))
    assert aggregate is not None
    assert [blk.number for blk in aggregate.blocks] == [1, 2, 3]
    assert {blk.confirmation for blk in aggregate.blocks} == {encode_rlp(encode_uint(3))}
    # Block 4 confirmed by a proof-like single confirmation but no output: not aggregated.
    tracker.confirm(A, 4, _hash(a, 4), ancestors=False)
    aggregate = follower.build_aggregate(tracker, 2, Hash32(keccak256(b"r")))
    assert aggregate is not None and [blk.number for blk in aggregate.blocks] == [1, 2, 3]


def test_nothing_to_aggregate_gives_none() -> None:
    tracker, _a, _b = _world()
    assert _follower().build_aggregate(tracker, 1, Hash32(keccak256(b"r"))) is None


@pytest.mark.parametrize("output", [1, 127, 128, 200, 2**32 + 5])
def test_the_output_reference_reads_back_as_the_output_number_l1_checks(output: int) -> None:
    """The hub writes rlp(outputNumber); L1's rule reads it back (128 and up included)."""
    follower = _follower(a=RollupKind.OPTIMISTIC)
    follower.confirmed_by[(A, output)] = output
    reference = follower._reference(A, output)
    assert reference is not None
    assert read_output_reference(reference) == output
