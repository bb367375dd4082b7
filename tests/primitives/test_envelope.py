"""OP blocks/v3 envelopes: SSZ vs py-ssz, op-alloy vectors, signatures, tampering, block hash.

Also Interlace's header attestation (domain 2), which OP does not have.
"""

import contextlib
import dataclasses

import pytest
import rlp
from Crypto.Hash import keccak as reference_keccak
from eth_keys import keys as eth_keys
from hypothesis import given, settings
from hypothesis import strategies as st
from trie import HexaryTrie

from interlace.primitives.envelope import (
    PAYLOAD_FIXED_LENGTH,
    SEQUENCER_HEADER_DOMAIN,
    ExecutionPayload,
    InvalidBlockHash,
    Withdrawal,
    check_payload_block_hash,
    compute_block_hash,
    decode_envelope,
    decode_payload,
    decode_payload_reference,
    encode_envelope,
    encode_payload,
    encode_payload_reference,
    envelope_signing_hash,
    header_from_payload,
    header_signing_hash,
    payload_hash,
    recover_header_signer,
    seal_payload,
    sign_block_header,
    sign_envelope,
    verify_envelope,
    withdrawals_root,
)
from interlace.primitives.errors import InvalidSignature, MalformedEnvelope
from interlace.primitives.header import EMPTY_OMMERS_HASH, header_hash
from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.types import U64, U256, Address, Bytes256, Hash32
from interlace.protocol.hub.state import hub_signing_hash

H = bytes.fromhex
KEY = private_key_from_seed(b"interlace test sequencer")
CHAIN_ID = 901

u64 = st.integers(0, 2**64 - 1)
h32 = st.binary(min_size=32, max_size=32)
withdrawals_st = st.builds(
    Withdrawal, index=u64, validator_index=u64, address=st.binary(min_size=20, max_size=20),
    amount=u64,
)  # fmt: skip
payloads = st.builds(
    ExecutionPayload,
    parent_hash=h32,
    fee_recipient=st.binary(min_size=20, max_size=20),
    state_root=h32,
    receipts_root=h32,
    logs_bloom=st.binary(min_size=256, max_size=256),
    prev_randao=h32,
    block_number=u64,
    gas_limit=u64,
    gas_used=u64,
    timestamp=u64,
    extra_data=st.binary(max_size=32),
    base_fee_per_gas=st.integers(0, 2**256 - 1),
    block_hash=h32,
    transactions=st.lists(st.binary(max_size=120), max_size=6).map(tuple),
    withdrawals=st.lists(withdrawals_st, max_size=3).map(tuple),
    blob_gas_used=u64,
    excess_blob_gas=u64,
)


def small_payload() -> ExecutionPayload:
    payload = ExecutionPayload(
        parent_hash=Hash32(b"\x01" * 32),
        fee_recipient=Address(H("4200000000000000000000000000000000000011")),
        state_root=Hash32(b"\x02" * 32),
        receipts_root=Hash32(b"\x03" * 32),
        logs_bloom=Bytes256(b"\x00" * 256),
        prev_randao=Hash32(b"\x04" * 32),
        block_number=U64(7),
        gas_limit=U64(30_000_000),
        gas_used=U64(42_000),
        timestamp=U64(1_700_000_000),
        extra_data=b"interlace",
        base_fee_per_gas=U256(1_000_000_007),
        block_hash=Hash32(b"\x00" * 32),
        transactions=(b"\x7e" + b"\xaa" * 40, b"\x02" + b"\xbb" * 60),
        withdrawals=(Withdrawal(U64(1), U64(2), Address(b"\x05" * 20), U64(3)),),
        blob_gas_used=U64(0),
        excess_blob_gas=U64(0),
    )
    return seal_payload(payload, Hash32(b"\x06" * 32))


# --- SSZ -----------------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(payloads)
def test_ssz_matches_py_ssz_and_round_trips(p: ExecutionPayload) -> None:
    raw = encode_payload(p)
    assert raw == encode_payload_reference(p)
    assert decode_payload(raw) == p
    assert decode_payload_reference(raw) == p


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 255), st.integers(0, 3))
def test_fast_decoder_agrees_with_py_ssz_on_mutations(position: int, xor: int, cut: int) -> None:
    raw = bytearray(encode_payload(small_payload()))
    # Concentrate half the mutations on the offsets, the only bytes that can break layout.
    offsets = (436, 437, 504, 505, 508, 509, 510, 537, 538, 541)
    index = offsets[position % len(offsets)] if position % 2 else position % len(raw)
    raw[index] ^= xor
    data = bytes(raw[: len(raw) - cut])
    outcomes = []
    for decode in (decode_payload, decode_payload_reference):
        try:
            outcomes.append(decode(data))
        except MalformedEnvelope:
            outcomes.append(None)
    if outcomes[0] is None and outcomes[1] is not None and _first_tx_offset(data) == 0:
        return  # py-ssz accepts a zero first offset in a non-empty list; the SSZ spec does not
    assert outcomes[0] == outcomes[1]


def _first_tx_offset(payload: bytes) -> int | None:
    """The first offset of the transactions list, if the payload's offsets reach it."""
    tx_offset = int.from_bytes(payload[504:508], "little")
    wd_offset = int.from_bytes(payload[508:512], "little")
    if not 528 <= tx_offset < min(wd_offset, len(payload)) - 3:
        return None
    return int.from_bytes(payload[tx_offset : tx_offset + 4], "little")


def test_zero_first_transaction_offset_is_rejected() -> None:
    """SSZ: a non-empty list of variable-size items starts with offset 4 × count, never 0.

    py-ssz 0.6 accepts 0 and reads the offsets as a transaction; the fast decoder refuses.
    """
    raw = bytearray(encode_payload(small_payload()))
    tx_offset = int.from_bytes(raw[504:508], "little")
    raw[tx_offset : tx_offset + 4] = b"\x00\x00\x00\x00"
    with pytest.raises(MalformedEnvelope, match="first transaction offset 0"):
        decode_payload(bytes(raw))


def test_ssz_layout_edges() -> None:
    p = small_payload()
    raw = encode_payload(p)
    assert int.from_bytes(raw[436:440], "little") == PAYLOAD_FIXED_LENGTH
    empty = dataclasses.replace(p, transactions=(), withdrawals=(), extra_data=b"")
    assert len(encode_payload(empty)) == PAYLOAD_FIXED_LENGTH
    assert decode_payload(encode_payload(empty)) == empty
    with_empty_tx = dataclasses.replace(p, transactions=(b"", b"\x01"))
    assert decode_payload(encode_payload(with_empty_tx)) == with_empty_tx
    for bad in (b"", raw[:527], raw + b"\x00"):
        try:
            decode_payload(bad)
        except MalformedEnvelope:
            continue
        raise AssertionError("accepted a malformed payload")


def snappy_decompress(data: bytes) -> bytes:
    """Minimal raw-snappy decoder (gossip messages are snappy-compressed)."""
    length = shift = pos = 0
    while True:
        byte = data[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        if tag & 3 == 0:
            size = tag >> 2
            if size >= 60:
                extra = size - 59
                size = int.from_bytes(data[pos : pos + extra], "little")
                pos += extra
            out += data[pos : pos + size + 1]
            pos += size + 1
            continue
        if tag & 3 == 1:
            size, offset = 4 + ((tag >> 2) & 7), ((tag >> 5) << 8) | data[pos]
            pos += 1
        else:
            width = 2 if tag & 3 == 2 else 4
            size, offset = 1 + (tag >> 2), int.from_bytes(data[pos : pos + width], "little")
            pos += width
        for _ in range(size):
            out.append(out[-offset])
    assert len(out) == length
    return bytes(out)


# alloy-rs/op-alloy crates/rpc-types-engine/src/envelope.rs, test decode_payload_v3: a snappy
# ``blocks/v3`` gossip message whose payload timestamp is 1708427461.
OP_ALLOY_V3_GOSSIP = H(
    "f104f0434442b9eb38b259f5b23826e6b623e829d2fb878dac70187a1aecf42a3f9bedfd29793d1fcb582232"
    "4be0d3e12340a95855553a65d64b83e5579dffb31470df5d010000006a03000412346a1d00fe0100fe0100fe"
    "0100fe0100fe0100fe01004201000cc588d465219504100201067601007cfece77b89685f60e3663b6e0faf2"
    "de0734674eb91339700c4858c773a8ff921e014401043e0100"
)


def test_op_alloy_v3_gossip_vector() -> None:
    raw = snappy_decompress(OP_ALLOY_V3_GOSSIP)
    signature, pbbr, payload = decode_envelope(raw)
    assert len(signature) == 65
    assert len(pbbr) == 32
    assert payload.timestamp == 1708427461
    assert payload == decode_payload_reference(raw[97:])
    assert encode_envelope(signature, pbbr, payload) == raw


def test_signing_hash_matches_op_alloy_vector() -> None:
    # op-alloy test_signature_message: payload hash keccak(0x99 * 32), chain id 10.
    digest = payload_hash(Hash32(b"\x99" * 16), b"\x99" * 16)
    assert envelope_signing_hash(10, digest).hex() == (
        "44a0e2b1aba1aae1771eddae1dcd2ad18a8cdac8891517153f03253e49d3f206"
    )


# --- signing and verification --------------------------------------------------------------------


def test_sign_verify_round_trip_and_independent_recovery() -> None:
    pbbr = Hash32(b"\x06" * 32)
    payload = small_payload()
    raw = sign_envelope(payload, pbbr, CHAIN_ID, KEY)
    signed = verify_envelope(raw, CHAIN_ID)
    assert signed.signer == KEY.address
    assert signed.payload == payload
    assert signed.parent_beacon_block_root == pbbr
    assert signed.payload_hash == payload_hash(pbbr, encode_payload(payload))
    assert raw == encode_envelope(signed.signature, pbbr, payload)
    digest = envelope_signing_hash(CHAIN_ID, signed.payload_hash)
    recovered = eth_keys.Signature(signed.signature).recover_public_key_from_msg_hash(digest)
    assert recovered.to_canonical_address() == KEY.address
    # Another chain id recovers someone else: signatures do not replay across chains.
    assert verify_envelope(raw, CHAIN_ID + 1).signer != KEY.address


def test_every_single_byte_tamper_is_caught() -> None:
    raw = sign_envelope(small_payload(), Hash32(b"\x06" * 32), CHAIN_ID, KEY)
    for index in range(len(raw)):
        tampered = bytearray(raw)
        tampered[index] ^= 0x01
        try:
            signed = verify_envelope(bytes(tampered), CHAIN_ID)
        except (MalformedEnvelope, InvalidSignature):
            continue
        assert signed.signer != KEY.address, f"byte {index} tampered unnoticed"


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 255), st.integers(-3, 3))
def test_random_tamper_raises_only_typed_errors(position: int, xor: int, resize: int) -> None:
    raw = bytearray(sign_envelope(small_payload(), Hash32(b"\x06" * 32), CHAIN_ID, KEY))
    raw[position % len(raw)] ^= xor
    data = bytes(raw[:resize]) if resize < 0 else bytes(raw) + b"\x00" * resize
    try:
        signed = verify_envelope(data, CHAIN_ID)
    except (MalformedEnvelope, InvalidSignature):
        return
    assert signed.signer != KEY.address


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1200))
def test_random_bytes_raise_only_typed_errors(raw: bytes) -> None:
    with contextlib.suppress(MalformedEnvelope, InvalidSignature):
        verify_envelope(raw, CHAIN_ID)


# --- header attestations -------------------------------------------------------------------------


def test_header_signing_hash_is_domain_2_chain_id_block_hash() -> None:
    block_hash = Hash32(b"\x42" * 32)
    message = (2).to_bytes(32, "big") + CHAIN_ID.to_bytes(32, "big") + block_hash
    expected = reference_keccak.new(data=message, digest_bits=256).digest()
    assert (2).to_bytes(32, "big") == SEQUENCER_HEADER_DOMAIN
    assert header_signing_hash(CHAIN_ID, block_hash) == expected
    # Apart from OP's block domain (0) and the hub's (1): no signature serves two purposes.
    assert header_signing_hash(CHAIN_ID, block_hash) != envelope_signing_hash(CHAIN_ID, block_hash)
    assert header_signing_hash(1, block_hash) != hub_signing_hash(block_hash)
    with pytest.raises(ValueError, match="32 bytes"):
        header_signing_hash(CHAIN_ID, Hash32(b"\x42" * 31))
    with pytest.raises(ValueError, match="uint256"):
        header_signing_hash(-1, block_hash)


def test_header_signature_round_trip_and_independent_recovery() -> None:
    block_hash = Hash32(b"\x42" * 32)
    signature = sign_block_header(KEY, CHAIN_ID, block_hash)
    assert len(signature) == 65
    assert sign_block_header(KEY, CHAIN_ID, block_hash) == signature  # RFC 6979
    assert recover_header_signer(CHAIN_ID, block_hash, signature) == KEY.address
    digest = header_signing_hash(CHAIN_ID, block_hash)
    recovered = eth_keys.Signature(signature).recover_public_key_from_msg_hash(digest)
    assert recovered.to_canonical_address() == KEY.address
    # Another chain or another block recovers someone else.
    assert recover_header_signer(CHAIN_ID + 1, block_hash, signature) != KEY.address
    assert recover_header_signer(CHAIN_ID, Hash32(b"\x43" * 32), signature) != KEY.address


@pytest.mark.parametrize(
    "signature",
    [b"", b"\x01" * 64, b"\x01" * 66, b"\x01" * 64 + b"\x02", b"\x00" * 65],
    ids=["empty", "short", "long", "bad-v", "zero-r-s"],
)
def test_header_signature_that_does_not_recover(signature: bytes) -> None:
    with pytest.raises(InvalidSignature):
        recover_header_signer(CHAIN_ID, Hash32(b"\x42" * 32), signature)


# --- block hash ----------------------------------------------------------------------------------


def _hexary_root(values: list[bytes]) -> bytes:
    t = HexaryTrie({})
    for i, v in enumerate(values):
        t[rlp.encode(i)] = v
    return bytes(t.root_hash)


def test_withdrawals_root_mainnet_block_20013090() -> None:
    # Ethereum mainnet block 20013090 (0xb5f712d1…): its 16 withdrawals and withdrawalsRoot.
    amounts = [
        18618781, 18597620, 18605044, 18600739, 18579875, 18598395, 18567176, 60449905,
        18560098, 18589913, 18582026, 18561169, 18541141, 18583829, 18568632, 63264515,
    ]  # fmt: skip
    address = Address(H("b80efae34a4be9f813a5860ed017fc9b80751ed1"))
    withdrawals = [
        Withdrawal(U64(47650059 + i), U64(705602 + i), address, U64(amount))
        for i, amount in enumerate(amounts)
    ]
    assert withdrawals_root(withdrawals).hex() == (
        "b18681663754565d0a1b2ba18ee9519e184905f59dfc5edd846fa5909772e1df"
    )


@settings(max_examples=40, deadline=None)
@given(payloads, h32)
def test_header_from_payload(p: ExecutionPayload, pbbr: bytes) -> None:
    header = header_from_payload(p, Hash32(pbbr))
    assert header.ommers_hash == EMPTY_OMMERS_HASH
    assert header.difficulty == 0
    assert header.nonce == b"\x00" * 8
    assert header.coinbase == p.fee_recipient
    assert header.prev_randao == p.prev_randao
    assert header.transactions_root == _hexary_root(list(p.transactions))
    assert header.withdrawals_root == _hexary_root(
        [rlp.encode([w.index, w.validator_index, w.address, w.amount]) for w in p.withdrawals]
    )
    sealed = seal_payload(p, Hash32(pbbr))
    assert sealed.block_hash == header_hash(header) == compute_block_hash(p, Hash32(pbbr))
    check_payload_block_hash(sealed, Hash32(pbbr))


def test_check_payload_block_hash_rejects_mismatch() -> None:
    payload = small_payload()
    pbbr = Hash32(b"\x06" * 32)
    check_payload_block_hash(payload, pbbr)
    for bad, root in (
        (dataclasses.replace(payload, gas_used=U64(1)), pbbr),
        (payload, Hash32(b"\x07" * 32)),
        (dataclasses.replace(payload, transactions=payload.transactions[:1]), pbbr),
    ):
        try:
            check_payload_block_hash(bad, root)
        except InvalidBlockHash:
            continue
        raise AssertionError("block hash mismatch not detected")
