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
