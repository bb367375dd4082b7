"""Batches (round trip, hostile bytes), the L1-attributes deposit, rollup blocks on L1 origins."""

import zlib
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlace.primitives.hashing import keccak256
from interlace.primitives.rlp_codec import encode_rlp, encode_uint
from interlace.primitives.tx import DepositTransaction
from interlace.primitives.types import U64, U256, Hash32, address_from_hex
from interlace.protocol.chain.block import build_block, execute_block
from interlace.protocol.l1.genesis import L1_CHAIN_ID, build_l1_genesis, l1_modules
from interlace.protocol.l1.modules import PORTAL_ABI, PORTAL_ADDRESS, escrowed_on_l1
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import (
    BATCH_VERSION,
    MAX_BATCH_BYTES,
    Batch,
    BatchBlock,
    BatchTooLarge,
    L1Origin,
    MalformedBatch,
    attributes_deposit,
    decode_batch,
    deposits_in_l1_block,
    encode_batch,
    origin_of,
)
from interlace.protocol.rollup.payload import block_from_payload, payload_from_block
from interlace.protocol.rollup.predeploys import (
    L1_ATTRIBUTES_DEPOSITOR,
    L1_BLOCK_ABI,
    L1_BLOCK_ADDRESS,
    read_l1_origin,
)
from tests.protocol.support import (
    ALICE,
    BOB,
    ETHER,
    ROLLUP_ID,
    l1_genesis,
    source_hash,
    transfer,
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

u64 = st.integers(0, 2**64 - 1)
batch_blocks = st.builds(
    BatchBlock,
    number=u64,
    timestamp=u64,
    origin_number=u64,
    origin_hash=st.binary(min_size=32, max_size=32),
    transactions=st.lists(st.binary(max_size=200), max_size=4).map(tuple),
)
batches = st.builds(Batch, chain_id=u64, blocks=st.lists(batch_blocks, max_size=5).map(tuple))

ORIGIN = L1Origin(U64(7), Hash32(keccak256(b"l1 block 7")), U64(84), U256(1_000_000_007))


# ---- batches ------------------------------------------------------------------------------


@given(batches)
@FAST
def test_batch_round_trip(batch: Batch) -> None:
    raw = encode_batch(batch)
    assert raw[0] == BATCH_VERSION
    assert decode_batch(raw) == batch


def test_zlib_bomb_is_rejected() -> None:
    bomb = bytes([BATCH_VERSION]) + zlib.compress(b"\x00" * (50 * 1024 * 1024), 9)
    assert len(bomb) < 100_000
    with pytest.raises(MalformedBatch):
        decode_batch(bomb)


def test_body_just_over_the_limit_is_rejected() -> None:
    body = encode_rlp([encode_uint(1), [[b"", b"", b"", b"\x00" * 32, [b"x" * MAX_BATCH_BYTES]]]])
    with pytest.raises(MalformedBatch):
        decode_batch(bytes([BATCH_VERSION]) + zlib.compress(body))


def test_encoder_refuses_a_batch_derivation_would_refuse() -> None:
    big = BatchBlock(U64(1), U64(2), U64(3), Hash32(b"\x00" * 32), (b"x" * MAX_BATCH_BYTES,))
    with pytest.raises(BatchTooLarge, match="limit"):
        encode_batch(Batch(1, (big,)))
    small = replace(big, transactions=(b"x" * (MAX_BATCH_BYTES - 1000),))
    assert decode_batch(encode_batch(Batch(1, (small,)))).blocks == (small,)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x01" + zlib.compress(b"\xc0"),
        b"\xff" + encode_batch(Batch(1, ()))[1:],
        b"\x00not zlib at all",
        encode_batch(Batch(1, (BatchBlock(U64(1), U64(2), U64(3), Hash32(b"\x00" * 32), ()),)))[
            :-5
        ],
        b"\x00" + zlib.compress(b"\xff\xff"),  # not RLP
        b"\x00" + zlib.compress(encode_rlp([encode_uint(1)])),  # wrong shape
        b"\x00" + zlib.compress(encode_rlp([encode_uint(1), [[b"\x01"]]])),
        b"\x00" + zlib.compress(encode_rlp([b"\x00" * 9, []])),  # chain id over 64 bits
        b"\x00" + zlib.compress(encode_rlp([encode_uint(1), [[b"", b"", b"", b"\x00" * 31, []]]])),
    ],
    ids=[
        "empty",
        "version-1",
        "version-ff",
        "bad-zlib",
        "truncated",
        "not-rlp",
        "short-list",
        "short-block",
        "huge-chain-id",
        "short-hash",
    ],
)
def test_malformed_batches_are_rejected(raw: bytes) -> None:
    with pytest.raises(MalformedBatch):
        decode_batch(raw)


def test_trailing_bytes_after_the_zlib_stream_are_rejected() -> None:
    raw = encode_batch(Batch(1, ()))
    with pytest.raises(MalformedBatch):
        decode_batch(raw + b"trailing junk")


# ---- the L1-attributes deposit -------------------------------------------------------------


def test_attributes_deposit_matches_op() -> None:
    deposit = attributes_deposit(ORIGIN, 3)
    assert deposit.sender == L1_ATTRIBUTES_DEPOSITOR
    assert deposit.sender == address_from_hex("0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001")
    assert deposit.to == L1_BLOCK_ADDRESS
    assert deposit.mint == 0 and deposit.value == 0
    # Bedrock setL1BlockValues selector
    assert deposit.data[:4] == bytes.fromhex("015d8eb9")
    function, args = L1_BLOCK_ABI.decode_call(deposit.data)
    assert function == "setL1BlockValues"
    assert args == (7, 84, 1_000_000_007, ORIGIN.hash, 3, b"\x00" * 32, 0, 0)
    assert deposit.source_hash == source_hash(1, ORIGIN.hash, 3)
    assert deposit.source_hash != source_hash(0, ORIGIN.hash, 3)


# ---- rollup chain ----------------------------------------------------------------------------


def _chain() -> RollupChain:
    genesis = RollupGenesis(
        chain_id=ROLLUP_ID, l1_origin=ORIGIN, timestamp=100, alloc={ALICE.address: 10 * ETHER}
    )
    return RollupChain(genesis)


def test_built_block_records_its_l1_origin() -> None:
    chain = _chain()
    built = chain.build_next(ORIGIN, [], [], timestamp=102)
    first = built.block.transactions[0]
    assert isinstance(first, DepositTransaction)
    assert first == attributes_deposit(ORIGIN, 1)
    assert built.receipts[0].success
    assert read_l1_origin(built.state) == (7, ORIGIN.hash, 1)
    assert built.block.header.prev_randao == ORIGIN.hash
    chain.append(built, ORIGIN)
    assert chain.sequence_number(ORIGIN) == 2


def test_sequence_number_resets_on_a_new_origin_and_deposits_enter_then() -> None:
    chain = _chain()
    chain.append(chain.build_next(ORIGIN, [], [], timestamp=102), ORIGIN)
    new_origin = L1Origin(U64(8), Hash32(keccak256(b"l1 block 8")), U64(96), U256(1_000_000))
    deposit = DepositTransaction(
        source_hash=source_hash(0, new_origin.hash, 0),
        sender=BOB.address,
        to=BOB.address,
        mint=U256(ETHER),
        value=U256(0),
        gas_limit=U64(100_000),
        is_system_transaction=False,
        data=b"",
    )
    user = transfer(ALICE, 0, BOB.address, 5, chain_id=ROLLUP_ID)
    built = chain.build_next(new_origin, [deposit], [user], timestamp=104)
    assert read_l1_origin(built.state) == (8, new_origin.hash, 0)
    assert built.block.transactions[1:] == (deposit, user)
    assert built.state.balance_of(BOB.address) == ETHER + 5
    chain.append(built, new_origin)
    again = chain.build_next(new_origin, [deposit], [], timestamp=106)
    assert read_l1_origin(again.state) == (8, new_origin.hash, 1)
    assert len(again.block.transactions) == 1  # deposits only on sequence number 0


def test_rollup_block_replays_on_a_verifier() -> None:
    sequencer, verifier = _chain(), _chain()
    built = sequencer.build_next(
        ORIGIN, [], [transfer(ALICE, 0, BOB.address, 1, chain_id=ROLLUP_ID)], timestamp=102
    )
    sequencer.append(built, ORIGIN)
    verifier.replay(built.block, ORIGIN)
    assert verifier.head.hash == sequencer.head.hash
    assert verifier.head_state.state_root() == built.block.header.state_root
    assert read_l1_origin(verifier.head_state) == (7, ORIGIN.hash, 1)


def test_payload_round_trip() -> None:
    chain = _chain()
    built = chain.build_next(
        ORIGIN, [], [transfer(ALICE, 0, BOB.address, 1, chain_id=ROLLUP_ID)], timestamp=102
    )
    block = built.block
    again = block_from_payload(payload_from_block(block), block.header.parent_beacon_block_root)
    assert again.hash == block.hash
    assert again.transactions == block.transactions


def test_l1_deposit_is_minted_on_the_rollup() -> None:
    """Escrowed on L1 equals minted on L2 (DESIGN §5, invariant 4)."""
    genesis = l1_genesis()
    header, state = build_l1_genesis(genesis)
    data = PORTAL_ABI.function("depositTransaction").encode_call(
        ROLLUP_ID, BOB.address, ETHER // 4, 100_000, b""
    )
    tx = transfer(
        ALICE, 0, PORTAL_ADDRESS, ETHER, chain_id=L1_CHAIN_ID, gas_limit=200_000, data=data
    )
    l1 = build_block(genesis.config, header, state, l1_modules(), [tx], timestamp=12)
    assert l1.receipts[0].success
    deposits = deposits_in_l1_block(l1.block, l1.receipts, ROLLUP_ID)
    origin = origin_of(l1.block)

    chain = _chain()
    built = chain.build_next(origin, deposits, [], timestamp=102)
    assert all(r.success for r in built.receipts)
    minted = (
        built.state.balance_of(ALICE.address) - 10 * ETHER + built.state.balance_of(BOB.address)
    )
    assert minted == escrowed_on_l1(l1.state, ROLLUP_ID) == ETHER
    assert built.state.balance_of(BOB.address) == ETHER // 4
    post, _ = execute_block(
        chain.config, chain.head.header, chain.head_state, chain.modules, built.block
    )
    assert post.state_root() == built.block.header.state_root
