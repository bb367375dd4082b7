"""secp256k1 keys, 65-byte r‖s‖v signatures and Ethereum addresses, via coincurve.

A signature here is always 65 bytes: r (32) ‖ s (32) ‖ v (1) with v the
recovery id in {0, 1}, which is the form geth's ``crypto.Sign`` produces and
OP Stack gossip carries. Transactions convert to and from their own v
encodings (EIP-155, y-parity) in ``interlace.primitives.tx``.
"""

from dataclasses import dataclass, field
from typing import Final

from coincurve import PrivateKey as _CoincurvePrivateKey
from coincurve import PublicKey as _CoincurvePublicKey

from interlace.primitives.errors import InvalidSignature, MalformedValue
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import Address, Hash32

SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SECP256K1_HALF_N: Final = SECP256K1_N // 2
SIGNATURE_LENGTH: Final = 65


@dataclass(frozen=True, slots=True)
class PrivateKey:
    """A secp256k1 private key with its cached Ethereum address."""

    secret: bytes
    """The 32-byte secret scalar, 1 ≤ secret < n."""
    address: Address = field(init=False)
    """The address derived from the public key (last 20 bytes of its keccak)."""
    _signer: _CoincurvePrivateKey = field(init=False, repr=False, compare=False)
    """coincurve's key object, kept because building one recomputes the public key."""

    def __post_init__(self) -> None:
        if len(self.secret) != 32 or not 0 < int.from_bytes(self.secret, "big") < SECP256K1_N:
            raise MalformedValue("a private key is a 32-byte scalar in [1, n)")
        signer = _CoincurvePrivateKey(self.secret)
        pub = signer.public_key.format(compressed=False)
        object.__setattr__(self, "address", address_from_public_key(pub))
        object.__setattr__(self, "_signer", signer)

    def __repr__(self) -> str:
        return f"PrivateKey(address=0x{self.address.hex()})"


def private_key_from_seed(seed: bytes) -> PrivateKey:
    """Derive a deterministic development key: keccak256(seed), as a scalar."""
    return PrivateKey(keccak256(seed))


def address_from_public_key(public_key: bytes) -> Address:
    """Ethereum address of a 65-byte uncompressed (0x04‖X‖Y) or 64-byte public key."""
    raw = public_key[1:] if len(public_key) == 65 else public_key
    if len(raw) != 64:
        raise MalformedValue("public key must be 64 or 65 bytes")
    return Address(keccak256(raw)[12:])


def sign_hash(key: PrivateKey, message_hash: Hash32) -> bytes:
    """Sign a 32-byte hash; returns r‖s‖v with v ∈ {0, 1} and low s (RFC 6979)."""
    return bytes(key._signer.sign_recoverable(message_hash, hasher=None))


def recover_address(message_hash: Hash32, signature: bytes) -> Address:
    """Recover the signer address of ``message_hash`` from a 65-byte r‖s‖v signature.

    Raises ``InvalidSignature`` for a signature of the wrong length, r or s
    out of range, a v other than 0 or 1, or a point that does not recover.
    """
    if len(signature) != SIGNATURE_LENGTH:
        raise InvalidSignature(f"signature must be 65 bytes, got {len(signature)}")
    r = int.from_bytes(signature[0:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    if not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N) or signature[64] > 1:
        raise InvalidSignature("signature r, s or v out of range")
    try:
        pub = _CoincurvePublicKey.from_signature_and_message(signature, message_hash, hasher=None)
    except Exception as exc:  # coincurve raises bare Exception/ValueError
        raise InvalidSignature("signature does not recover a public key") from exc
    return Address(keccak256(pub.format(compressed=False)[1:])[12:])
