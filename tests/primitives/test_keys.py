"""Keys, signatures and addresses against eth-account, on random keys and hashes."""

import contextlib

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from interlace.primitives.errors import InvalidSignature, MalformedValue
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import (
    SECP256K1_HALF_N,
    SECP256K1_N,
    PrivateKey,
    recover_address,
    sign_hash,
)
from interlace.primitives.types import Hash32

secrets = st.integers(min_value=1, max_value=SECP256K1_N - 1).map(lambda i: i.to_bytes(32, "big"))
hashes = st.binary(min_size=32, max_size=32).map(Hash32)


@given(secrets, hashes)
@settings(max_examples=50)
def test_sign_matches_eth_account(secret: bytes, message_hash: Hash32) -> None:
    key = PrivateKey(secret)
    theirs = Account.from_key(secret)
    assert key.address.hex() == theirs.address[2:].lower()
    sig = sign_hash(key, message_hash)
    signed = Account.unsafe_sign_hash(message_hash, secret)
    assert sig[:64] == signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big")
    assert sig[64] == signed.v - 27
    assert int.from_bytes(sig[32:64], "big") <= SECP256K1_HALF_N
    assert recover_address(message_hash, sig) == key.address


def test_keccak_known_value() -> None:
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )


@pytest.mark.parametrize("secret", [b"\x00" * 32, SECP256K1_N.to_bytes(32, "big"), b"\x01" * 31])
def test_bad_private_keys_rejected(secret: bytes) -> None:
    with pytest.raises(MalformedValue):
        PrivateKey(secret)


@given(st.binary(max_size=80), hashes)
def test_recover_raises_only_typed_errors(signature: bytes, message_hash: Hash32) -> None:
    with contextlib.suppress(InvalidSignature):
        recover_address(message_hash, signature)


def test_recover_rejects_bad_v() -> None:
    key = PrivateKey(b"\x07" * 32)
    sig = sign_hash(key, keccak256(b"m"))
    with pytest.raises(InvalidSignature):
        recover_address(keccak256(b"m"), sig[:64] + b"\x1b")


@given(st.binary(max_size=600))
def test_keccak_matches_pycryptodome_reference(data: bytes) -> None:
    from Crypto.Hash import keccak

    assert keccak256(data) == keccak.new(digest_bits=256, data=data).digest()


rlp_items = st.recursive(
    st.binary(max_size=80) | st.integers(min_value=0, max_value=2**256),
    lambda children: st.lists(children, max_size=6),
    max_leaves=30,
)


@given(rlp_items)
def test_rlp_encoder_matches_pyrlp(item: object) -> None:
    import rlp

    from interlace.primitives.rlp_codec import encode_rlp

    assert encode_rlp(item) == rlp.encode(item)


def _pyrlp_decode(raw: bytes) -> object:
    import rlp

    try:
        return rlp.decode(raw, strict=True)
    except (rlp.exceptions.DecodingError, RecursionError):
        return "error"


def _ours_decode(raw: bytes) -> object:
    from interlace.primitives.errors import MalformedRLP
    from interlace.primitives.rlp_codec import decode_rlp

    try:
        return decode_rlp(raw)
    except MalformedRLP:
        return "error"


@given(rlp_items, st.data())
def test_rlp_decoder_agrees_with_pyrlp_on_valid_and_mutated_input(
    item: object, data: st.DataObject
) -> None:
    import rlp

    raw = bytearray(rlp.encode(item))
    assert _ours_decode(bytes(raw)) == _pyrlp_decode(bytes(raw))
    if raw:
        index = data.draw(st.integers(0, len(raw) - 1))
        raw[index] = data.draw(st.integers(0, 255))
        cut = data.draw(st.integers(0, len(raw)))
        for variant in (bytes(raw), bytes(raw[:cut]), bytes(raw) + b"\x00"):
            assert _ours_decode(variant) == _pyrlp_decode(variant)


@given(st.binary(max_size=120))
def test_rlp_decoder_agrees_with_pyrlp_on_random_bytes(raw: bytes) -> None:
    assert _ours_decode(raw) == _pyrlp_decode(raw)
