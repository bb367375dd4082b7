"""RLP through the ``rlp`` package, with typed errors and canonical field readers.

``encode_rlp`` takes nested lists of bytes; ``decode_rlp`` returns the same
shape and raises ``MalformedRLP`` on anything the ``rlp`` package rejects
(including non-canonical encodings). The ``read_*`` helpers turn one decoded
item into a typed field and reject what Ethereum clients reject: integers
with leading zero bytes, hashes of the wrong length, lists where bytes
belong.
"""

from collections.abc import Sequence
from typing import TypeAlias

import rlp
from rlp.exceptions import DecodingError

from interlace.primitives.errors import MalformedRLP
from interlace.primitives.types import U64, U64_MAX, U256, U256_MAX, Address, Hash32

RLPItem: TypeAlias = "bytes | list[RLPItem]"
"""A decoded RLP value: a byte string or a list of decoded values."""


def encode_rlp(item: object) -> bytes:
    """Encode bytes / ints / nested lists as RLP."""
    return bytes(rlp.encode(item))


def decode_rlp(raw: bytes) -> RLPItem:
    """Decode canonical RLP or raise ``MalformedRLP``."""
    try:
        return _to_item(rlp.decode(raw, strict=True))
    except DecodingError as exc:
        raise MalformedRLP(f"invalid RLP: {exc}") from exc
    except (TypeError, ValueError, IndexError, RecursionError) as exc:
        raise MalformedRLP(f"invalid RLP: {exc}") from exc


def _to_item(value: object) -> RLPItem:
    if isinstance(value, bytes):
        return value
    assert isinstance(value, list)
    return [_to_item(v) for v in value]


def encode_uint(value: int) -> bytes:
    """Minimal big-endian bytes of a non-negative integer (empty for zero)."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""


def read_list(item: RLPItem, length: int | None = None, what: str = "list") -> list[RLPItem]:
    """Expect an RLP list (of exactly ``length`` items when given)."""
    if not isinstance(item, list):
        raise MalformedRLP(f"{what}: expected a list")
    if length is not None and len(item) != length:
        raise MalformedRLP(f"{what}: expected {length} items, got {len(item)}")
    return item


def read_bytes(item: RLPItem, what: str = "field") -> bytes:
    """Expect an RLP byte string."""
    if not isinstance(item, bytes):
        raise MalformedRLP(f"{what}: expected bytes, got a list")
    return item


def read_uint(item: RLPItem, bits: int, what: str = "field") -> int:
    """Expect a canonical unsigned integer of at most ``bits`` bits."""
    raw = read_bytes(item, what)
    if raw[:1] == b"\x00":
        raise MalformedRLP(f"{what}: integer has a leading zero byte")
    if len(raw) * 8 > bits:
        raise MalformedRLP(f"{what}: integer wider than {bits} bits")
    return int.from_bytes(raw, "big")


def read_u64(item: RLPItem, what: str = "field") -> U64:
    """Expect a canonical uint64."""
    value = read_uint(item, 64, what)
    assert value <= U64_MAX
    return U64(value)


def read_u256(item: RLPItem, what: str = "field") -> U256:
    """Expect a canonical uint256."""
    value = read_uint(item, 256, what)
    assert value <= U256_MAX
    return U256(value)


def read_fixed(item: RLPItem, length: int, what: str = "field") -> bytes:
    """Expect a byte string of exactly ``length`` bytes."""
    raw = read_bytes(item, what)
    if len(raw) != length:
        raise MalformedRLP(f"{what}: expected {length} bytes, got {len(raw)}")
    return raw


def read_hash32(item: RLPItem, what: str = "field") -> Hash32:
    """Expect a 32-byte hash."""
    return Hash32(read_fixed(item, 32, what))


def read_address(item: RLPItem, what: str = "field") -> Address:
    """Expect a 20-byte address."""
    return Address(read_fixed(item, 20, what))


def read_optional_address(item: RLPItem, what: str = "to") -> Address | None:
    """Expect a 20-byte address or the empty string (contract creation)."""
    raw = read_bytes(item, what)
    if raw == b"":
        return None
    return Address(read_fixed(raw, 20, what))


def encode_list(items: Sequence[object]) -> bytes:
    """Encode a sequence as an RLP list."""
    return encode_rlp(list(items))
