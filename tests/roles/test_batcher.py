"""The batcher posts only batches that L1 can carry and derivation accepts.

Peer-mode relays carry whole source envelopes, so rollup blocks can be large;
a 64-block batch once grew past both the L1 block gas limit and derivation's
decompressed-size limit and was re-sent forever (explorer seed 263).
"""

import os

from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.types import U64, ChainId, Hash32
from interlace.protocol.rollup.derivation import MAX_BATCH_BYTES, BatchBlock, decode_batch
from interlace.roles.base import NodeId
from interlace.roles.batcher import Batcher, BatcherParams
from interlace.roles.records import BatcherBlockTooLarge, Record
from interlace.runtime.store import MemoryStore

KEY = private_key_from_seed(b"batcher-test")


def batcher_with(sizes: list[int]) -> Batcher:
    params = BatcherParams(
        chain_id=ChainId(901),
        l1_chain_id=ChainId(900),
        batcher_key=KEY,
        sequencer_address=KEY.address,
        sequencer_node=NodeId("seq-901"),
    )
    batcher = Batcher(NodeId("batcher-901"), params, MemoryStore())
    for number, size in enumerate(sizes, start=1):
        entry = BatchBlock(U64(number), U64(number), U64(0), Hash32(bytes(32)), (os.urandom(size),))
        batcher.blocks[number] = (Hash32(number.to_bytes(32, "big")), entry)
    return batcher


def test_a_range_that_fits_is_posted_whole() -> None:
    batcher = batcher_with([10_000] * 8)
    fitted = batcher._fit(1, 8)
    assert fitted is not None
    last, data, _calldata = fitted
    assert last == 8
    assert [b.number for b in decode_batch(data).blocks] == list(range(1, 9))


def test_a_range_over_the_l1_gas_limit_is_halved_until_it_fits() -> None:
    # 600 KB of incompressible data per block: 16 gas a byte puts three over 30M gas.
    batcher = batcher_with([600_000] * 8)
    fitted = batcher._fit(1, 8)
    assert fitted is not None
    last, _data, calldata = fitted
    assert last == 2  # 8 → 4 → 2
    assert 100_000 + 16 * len(calldata) <= batcher.params.l1_gas_limit


def test_a_range_over_the_decompressed_limit_is_halved_even_if_it_compresses() -> None:
    batcher = batcher_with([])
    for number in range(1, 5):  # compresses to almost nothing, but too large to derive
        entry = BatchBlock(
            U64(number), U64(number), U64(0), Hash32(bytes(32)), (b"\x00" * (MAX_BATCH_BYTES // 3),)
        )
        batcher.blocks[number] = (Hash32(number.to_bytes(32, "big")), entry)
    fitted = batcher._fit(1, 4)
    assert fitted is not None
    assert fitted[0] == 2


def test_a_block_too_large_for_any_batch_is_reported_once_and_not_posted() -> None:
    batcher = batcher_with([2_000_000])  # 32M gas of calldata alone
    assert batcher._fit(1, 1) is None
    first = batcher._maybe_post()
    assert [type(e) for e in first if isinstance(e, Record)] == [BatcherBlockTooLarge]
    assert batcher._maybe_post() == []
