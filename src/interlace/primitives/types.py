"""Typed protocol quantities: ``U64``, ``U256``, ``Hash32``, ``Address``, ``ChainId``.

They are ``NewType`` aliases so that mypy keeps a block number apart from a
balance and a hash apart from arbitrary bytes, at no runtime cost on hot
paths. The ``to_*`` constructors check ranges and lengths and are what every
decoder calls on untrusted input; they raise ``MalformedValue``.
"""

from typing import Final, NewType

from interlace.primitives.errors import MalformedValue

U8 = NewType("U8", int)
U64 = NewType("U64", int)
U256 = NewType("U256", int)
ChainId = NewType("ChainId", int)
Hash32 = NewType("Hash32", bytes)
Address = NewType("Address", bytes)
Bytes256 = NewType("Bytes256", bytes)

U64_MAX: Final = 2**64 - 1
U256_MAX: Final = 2**256 - 1
ZERO_HASH: Final = Hash32(b"\x00" * 32)
ZERO_ADDRESS: Final = Address(b"\x00" * 20)


def to_u64(value: int) -> U64:
    """Return ``value`` as a ``U64``, or raise ``MalformedValue`` if out of range."""
    if not 0 <= value <= U64_MAX:
        raise MalformedValue(f"{value} is not a uint64")
    return U64(value)


def to_u256(value: int) -> U256:
    """Return ``value`` as a ``U256``, or raise ``MalformedValue`` if out of range."""
    if not 0 <= value <= U256_MAX:
        raise MalformedValue(f"{value} is not a uint256")
    return U256(value)


def to_chain_id(value: int) -> ChainId:
    """Return ``value`` as a ``ChainId`` (a positive uint64, as EIP-155 uses)."""
    if not 0 < value <= U64_MAX:
        raise MalformedValue(f"{value} is not a valid chain id")
    return ChainId(value)


def to_hash32(value: bytes) -> Hash32:
    """Return ``value`` as a ``Hash32``, or raise ``MalformedValue`` if not 32 bytes."""
    if len(value) != 32:
        raise MalformedValue(f"expected a 32-byte hash, got {len(value)} bytes")
    return Hash32(bytes(value))


def to_address(value: bytes) -> Address:
    """Return ``value`` as an ``Address``, or raise ``MalformedValue`` if not 20 bytes."""
    if len(value) != 20:
        raise MalformedValue(f"expected a 20-byte address, got {len(value)} bytes")
    return Address(bytes(value))


def parse_hex(text: str) -> bytes:
    """Decode ``0x``-prefixed (or bare) hex, raising ``MalformedValue`` on bad digits."""
    body = text[2:] if text[:2] in ("0x", "0X") else text
    try:
        return bytes.fromhex(body)
    except ValueError as exc:
        raise MalformedValue(f"not hex: {text[:40]!r}") from exc


def address_from_hex(text: str) -> Address:
    """Parse a hex address (checksum not required)."""
    return to_address(parse_hex(text))


def hash32_from_hex(text: str) -> Hash32:
    """Parse a hex 32-byte hash."""
    return to_hash32(parse_hex(text))


def to_hex(value: bytes) -> str:
    """Render bytes as ``0x``-prefixed lower-case hex."""
    return "0x" + value.hex()
