"""Post-Cancun headers: RLP and hash vs py-evm and a client-computed vector; bad input."""

import contextlib

import rlp
from hypothesis import given, settings
from hypothesis import strategies as st

from interlace.primitives.errors import MalformedHeader
from interlace.primitives.header import (
    EMPTY_OMMERS_HASH,
    EMPTY_WITHDRAWALS_ROOT,
    ZERO_NONCE,
    BlockHeader,
    decode_header,
    encode_header,
    header_hash,
)
from interlace.primitives.types import U64, U256, Address, Bytes256, Hash32
from tests.primitives.support import headers, to_pyevm

H = bytes.fromhex


def _h32(text: str) -> Hash32:
    return Hash32(H(text))


# OP block 0x16cf07c as simulated by op-reth 1.3.4 (eth_simulateV1), from the reth issue
# "eth_simulateV1 inconsistencies with the spec": a 20-field header whose hash a real
# client computed, 0x06020b54….
SIMULATED_OP_HEADER = BlockHeader(
    parent_hash=_h32("e38f6ccdd54be08167884b0ff937c4e6de0c832f50450e1c478b0d2c1068f556"),
    ommers_hash=EMPTY_OMMERS_HASH,
    coinbase=Address(H("4200000000000000000000000000000000000011")),
    state_root=_h32("1f35f1a0b2f5e829f701b186cf15153bc0258f619ce336d4850cb4abc75f47f7"),
    transactions_root=_h32("84a852ee7845263f641d071b02f898f05a594a40e188817b9673adf200761fb0"),
    receipts_root=_h32("75308898d571eafb5cd8cde8278bf5b3d13c5f6ec074926de3bb895b519264e1"),
    logs_bloom=Bytes256(b"\x00" * 256),
    difficulty=U256(0),
    number=U64(0x16CF07C),
    gas_limit=U64(0x2E631),
    gas_used=U64(0xA410),
    timestamp=U64(0x67ED3FE2),
    extra_data=b"",
    prev_randao=Hash32(b"\x00" * 32),
    nonce=ZERO_NONCE,
    base_fee_per_gas=U256(9),
    withdrawals_root=EMPTY_WITHDRAWALS_ROOT,
    blob_gas_used=U64(0),
    excess_blob_gas=U64(0),
    parent_beacon_block_root=Hash32(b"\x00" * 32),
)
SIMULATED_OP_HASH = H("06020b5490170ea024bb8ca8b965074398a7d28a1416bde587d77d1ecf68e504")


def test_empty_ommers_hash() -> None:
    assert EMPTY_OMMERS_HASH.hex() == (
        "1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
    )


def test_client_computed_vector() -> None:
    assert header_hash(SIMULATED_OP_HEADER) == SIMULATED_OP_HASH
    assert decode_header(encode_header(SIMULATED_OP_HEADER)) == SIMULATED_OP_HEADER


@settings(max_examples=60, deadline=None)
@given(headers)
def test_matches_pyevm_and_round_trips(h: BlockHeader) -> None:
    reference = to_pyevm(h)
    assert encode_header(h) == rlp.encode(reference)
    assert header_hash(h) == reference.hash
    assert decode_header(encode_header(h)) == h


def _fields(h: BlockHeader) -> list[bytes]:
    decoded = rlp.decode(encode_header(h))
    assert isinstance(decoded, list)
    return decoded


def _rejects(fields: list[object]) -> None:
    try:
        decode_header(rlp.encode(fields))
    except MalformedHeader:
        return
    raise AssertionError("decode_header accepted a malformed header")


def test_rejects_wrong_shapes() -> None:
    fields = _fields(SIMULATED_OP_HEADER)
    _rejects(fields[:19])  # pre-Cancun-like
    _rejects([*fields, b"\x00" * 32])  # Prague adds requests_hash
    bad = list(fields)
    bad[0] = b"\x00" * 31
    _rejects(bad)
    bad = list(fields)
    bad[6] = b"\x00" * 255
    _rejects(bad)
    bad = list(fields)
    bad[12] = b"x" * 33
    _rejects(bad)
    bad = list(fields)
    bad[14] = b"\x00" * 7
    _rejects(bad)
    bad = list(fields)
    bad[8] = b"\x00\x01"  # leading zero
    _rejects(bad)
    bad = list(fields)
    bad[9] = b"\x01" * 9  # over uint64
    _rejects(bad)
    bad = list(fields)
    bad[3] = [b"\x00" * 32]
    _rejects(bad)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=700))
def test_random_bytes_raise_only_malformed_header(raw: bytes) -> None:
    with contextlib.suppress(MalformedHeader):
        decode_header(raw)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 255))
def test_mutated_header_raises_only_malformed_header(position: int, xor: int) -> None:
    raw = bytearray(encode_header(SIMULATED_OP_HEADER))
    raw[position % len(raw)] ^= xor
    with contextlib.suppress(MalformedHeader):
        decode_header(bytes(raw))
