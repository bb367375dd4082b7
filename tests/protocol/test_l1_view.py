"""L1View: released bodies keep canonical hashes, reorgs above finality, per-sender counts."""

from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import interlace.protocol.l1.view as view_module
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import EMPTY_OMMERS_HASH, ZERO_NONCE, BlockHeader
from interlace.primitives.mpt import EMPTY_TRIE_ROOT
from interlace.primitives.tx import Transaction, sign_dynamic_fee
from interlace.primitives.types import U64, U256, ZERO_HASH, Address, Bytes256, Hash32
from interlace.protocol.chain.block import Block
from interlace.protocol.l1.view import (
    RETAIN_MARGIN,
    L1View,
    ReleasedBlock,
    ReleasedHistoryReorged,
)
from interlace.roles.client import dev_key

KEYS = [dev_key(7, "view", i) for i in range(3)]
SENDERS = [key.address for key in KEYS]
POOL: list[Transaction] = [
    sign_dynamic_fee(
        key,
        chain_id=1,
        nonce=nonce,
        to=Address(b"\x01" * 20),
        gas_limit=21_000,
        max_priority_fee_per_gas=1,
        max_fee_per_gas=10,
    )
    for key in KEYS
    for nonce in range(3)
]
FINALITY = 3


def make_block(number: int, parent: Hash32, salt: bytes, txs: tuple[Transaction, ...]) -> Block:
    header = BlockHeader(
        parent_hash=parent,
        ommers_hash=EMPTY_OMMERS_HASH,
        coinbase=Address(b"\xfe" * 20),
        state_root=Hash32(keccak256(salt)),
        transactions_root=EMPTY_TRIE_ROOT,
        receipts_root=EMPTY_TRIE_ROOT,
        logs_bloom=Bytes256(b"\x00" * 256),
        difficulty=U256(0),
        number=U64(number),
        gas_limit=U64(30_000_000),
        gas_used=U64(0),
        timestamp=U64(number),
        extra_data=salt,
        prev_randao=ZERO_HASH,
        nonce=ZERO_NONCE,
        base_fee_per_gas=U256(1_000_000),
        withdrawals_root=EMPTY_TRIE_ROOT,
        blob_gas_used=U64(0),
        excess_blob_gas=U64(0),
        parent_beacon_block_root=ZERO_HASH,
    )
    return Block(header, txs)


class Chain:
    """A toy L1: a canonical list, finality at a fixed depth, reorgs only above it."""

    def __init__(self) -> None:
        self.blocks = [make_block(0, ZERO_HASH, b"genesis", ())]
        self.forks = 0

    @property
    def finalized(self) -> int:
        return max(0, len(self.blocks) - 1 - FINALITY)

    def extend(self, view: L1View, txs: tuple[Transaction, ...], reorged_from: int | None) -> None:
        parent = self.blocks[-1]
        salt = b"fork%d" % self.forks
        block = make_block(parent.number + 1, parent.hash, salt, txs)
        self.blocks.append(block)
        receipts = ()
        view.apply(block, receipts, self.finalized, self.finalized, reorged_from)

    def reorg(self, view: L1View, depth: int, txs: tuple[Transaction, ...]) -> None:
        depth = min(depth, len(self.blocks) - 1 - self.finalized)
        if depth <= 0:
            return
        del self.blocks[-depth:]
        self.forks += 1
        first = len(self.blocks)
        for i in range(depth + 1):
            self.extend(view, txs if i == 0 else (), first if i == 0 else None)


def brute_count(chain: Chain, sender: Address) -> int:
    return sum(1 for b in chain.blocks for tx in b.transactions if tx.sender == sender)


def grown(length: int) -> tuple[Chain, L1View]:
    chain, view = Chain(), L1View()
    view.apply(chain.blocks[0], (), 0, 0, None)
    for i in range(length):
        chain.extend(view, (POOL[i % len(POOL)],), None)
    return chain, view


def test_released_blocks_keep_canonical_hashes() -> None:
    chain, view = grown(200)
    bound = view.finalized_number - RETAIN_MARGIN
    released = view.release_below(10**9)  # the view caps the cursor below finality
    assert [b.number for b, _r in released] == list(range(bound))
    assert min(view.bodies) == bound
    for block in chain.blocks:
        assert view.is_canonical(block.number, block.hash)
        assert view.hash_at(block.number) == block.hash
    with pytest.raises(ReleasedBlock):
        view.block(3)
    with pytest.raises(ReleasedBlock):
        view.receipts_at(3)
    assert view.block(bound) is chain.blocks[bound]
    assert view.block(500) is None  # unknown is not released
    assert view.head_number == 200
    assert view.complete_through == 200


def test_settled_through_waits_for_a_gap_below_finality() -> None:
    chain, view = grown(20)
    assert view.settled_through == view.finalized_number == 20 - FINALITY
    late = L1View()  # blocks 0..4 arrive, then the rest after a gap at 5
    for block in chain.blocks[:5] + chain.blocks[6:]:
        late.apply(block, (), 0, chain.finalized, None)
    assert late.finalized_number == chain.finalized > late.complete_through == 4
    assert late.settled_through == 4
    late.apply(chain.blocks[5], (), 0, chain.finalized, None)
    assert late.settled_through == chain.finalized


def test_release_stops_at_the_callers_cursor() -> None:
    _chain, view = grown(200)
    view.release_below(40)
    assert min(view.bodies) == 40


def test_reorg_above_finality_after_release() -> None:
    chain, view = grown(200)
    view.release_below(10**9)
    before = {s: view.sent_count(s) for s in SENDERS}
    chain.reorg(view, 2, (POOL[3],))
    assert view.head_number == len(chain.blocks) - 1
    for block in chain.blocks:
        assert view.is_canonical(block.number, block.hash)
    assert {s: view.sent_count(s) for s in SENDERS} == {s: brute_count(chain, s) for s in SENDERS}
    assert before != {s: view.sent_count(s) for s in SENDERS}


def test_replacing_released_history_is_refused() -> None:
    chain, view = grown(200)
    view.release_below(10**9)
    old = chain.blocks[10]
    fork = make_block(11, old.hash, b"deep", ())
    with pytest.raises(ReleasedHistoryReorged):
        view.apply(fork, (), 0, 0, None)
    assert view.is_canonical(11, chain.blocks[11].hash)


def test_reannounced_block_is_counted_once() -> None:
    chain, view = grown(5)
    view.apply(chain.blocks[3], (), 0, 0, None)
    assert [view.sent_count(s) for s in SENDERS] == [brute_count(chain, s) for s in SENDERS]


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("extend"), st.lists(st.integers(0, len(POOL) - 1), max_size=3)),
        st.tuples(st.just("reorg"), st.lists(st.integers(1, 5), min_size=1, max_size=1)),
        st.tuples(st.just("release"), st.lists(st.integers(0, 60), min_size=1, max_size=1)),
        st.tuples(st.just("resend"), st.lists(st.integers(0, 60), min_size=1, max_size=1)),
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(OPS)
def test_counts_and_hashes_match_a_full_scan(ops: list[tuple[str, list[int]]]) -> None:
    with patch.object(view_module, "RETAIN_MARGIN", 2):
        chain, view = Chain(), L1View()
        view.apply(chain.blocks[0], (), 0, 0, None)
        for op, args in ops:
            if op == "extend":
                chain.extend(view, tuple(POOL[i] for i in args), None)
            elif op == "reorg":
                chain.reorg(view, args[0], (POOL[args[0] % len(POOL)],))
            elif op == "resend" and args[0] < len(chain.blocks):
                block = chain.blocks[args[0]]
                view.apply(block, (), chain.finalized, chain.finalized, None)
            elif op == "release":
                held = set(view.bodies)
                released = view.release_below(args[0])
                # Nothing at or above min(cursor, finalized - margin) is released.
                low = min(args[0], view.finalized_number - 2)
                assert {b.number for b, _r in released} == {n for n in held if n < low}
                assert set(view.bodies) == {n for n in held if n >= low}
            assert view.head_number == len(chain.blocks) - 1
            assert view.hashes == {b.number: b.hash for b in chain.blocks}
            for sender in SENDERS:
                assert view.sent_count(sender) == brute_count(chain, sender)
