"""RLP, hand-written, with typed errors and canonical field readers.

``encode_rlp`` takes nested lists of bytes and non-negative integers;
``decode_rlp`` returns nested lists of bytes and raises ``MalformedRLP`` on
exactly what pyrlp's strict mode rejects (including non-canonical encodings).
Both are hand-written because pyrlp was too slow on the hot paths (a third
of the chain engine's encoding time, a fifth of transaction decoding;
``benchmarks/bench_rlp.py`` measures both against it); pyrlp stays the
reference in the tests, on random and mutated input. The
``read_*`` helpers turn one decoded item into a typed field and reject what
Ethereum clients reject: integers with leading zero bytes, hashes of the
wrong length, lists where bytes belong.
"""

from collections.abc import Sequence
from typing import Any, Final, TypeAlias

from interlace.primitives.errors import MalformedRLP
from interlace.primitives.types import U64, U64_MAX, U256, U256_MAX, Address, Hash32

RLPItem: TypeAlias = "bytes | list[RLPItem]"
"""A decoded RLP value: a byte string or a list of decoded values."""


def encode_rlp(item: object) -> bytes:
    """Encode bytes, non-negative ints and nested lists/tuples as RLP.

    Hand-written: pyrlp infers a serializer for every field, which made
    encoding a third of the chain engine's time. The tests check this
    against pyrlp on random nested data.
    """
    value: Any = item  # dispatched on its exact type below
    value_type = type(value)
    if value_type is list or value_type is tuple:
        # Byte strings are encoded inline: they are most list elements, and the
        # recursive call per element was most of the encoder's time.
        payload = b"".join(
            [
                (
                    x
                    if len(x) == 1 and x[0] < 0x80
                    else (_STRING_PREFIX[len(x)] if len(x) < 56 else _length_prefix(len(x), 0x80))
                    + x
                )
                if type(x) is bytes
                else encode_rlp(x)
                for x in value
            ]
        )
        n = len(payload)
        return (_LIST_PREFIX[n] if n < 56 else _length_prefix(n, 0xC0)) + payload
    if value_type is bytes:
        raw: bytes = value
    elif value_type is int and 0 <= value < 0x80:
        return _SMALL_UINT[value]  # type: ignore[no-any-return]
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
    elif isinstance(value, list | tuple):
        return encode_rlp(list(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            msg = "RLP cannot encode a negative integer"
            raise ValueError(msg)
        raw = encode_uint(value)
    else:
        msg = f"RLP cannot encode {type(item).__name__}"
        raise TypeError(msg)
    n = len(raw)
    if n == 1 and raw[0] < 0x80:
        return raw
    return (_STRING_PREFIX[n] if n < 56 else _length_prefix(n, 0x80)) + raw


_STRING_PREFIX: Final = [bytes((0x80 + n,)) for n in range(56)]
"""The one-byte prefix of a byte string of length n < 56."""
_LIST_PREFIX: Final = [bytes((0xC0 + n,)) for n in range(56)]
"""The one-byte prefix of a list whose payload is n < 56 bytes."""
_SMALL_UINT: Final = [b"\x80"] + [bytes((n,)) for n in range(1, 0x80)]
"""RLP of the integers 0 to 127."""


def _length_prefix(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes((offset + length,))
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((offset + 55 + len(size),)) + size


MAX_RLP_DEPTH = 256
"""Deepest list nesting accepted; deeper input is refused rather than recursed into."""


def decode_rlp(raw: bytes) -> RLPItem:
    """Decode canonical RLP or raise ``MalformedRLP``.

    Hand-written for speed (pyrlp was a fifth of transaction decoding); it
    is strict exactly where pyrlp's strict mode is (minimal length prefixes,
    no single byte below 0x80 wrapped as a string, no trailing bytes), and
    the tests check both agree on random and mutated input.
    """
    data = bytes(raw)
    item, end = _decode_at(data, 0, len(data), 0)
    if end != len(data):
        raise MalformedRLP("invalid RLP: trailing bytes after the item")
    return item


def _decode_at(data: bytes, pos: int, limit: int, depth: int) -> tuple[RLPItem, int]:
    if pos >= limit:
        raise MalformedRLP("invalid RLP: unexpected end of input")
    first = data[pos]
    if first < 0x80:
        return data[pos : pos + 1], pos + 1
    if first < 0xC0:
        start, length = _span(data, pos, limit, first, 0x80)
        if length == 1 and data[start] < 0x80:
            raise MalformedRLP("invalid RLP: single byte below 0x80 encoded as a string")
        return data[start : start + length], start + length
    if depth >= MAX_RLP_DEPTH:
        raise MalformedRLP("invalid RLP: lists nested too deeply")
    start, length = _span(data, pos, limit, first, 0xC0)
    end = start + length
    items: list[RLPItem] = []
    while start < end:
        # Short byte strings (most fields) are read inline, with the same checks
        # in the same order as the recursive path.
        first = data[start]
        if first < 0x80:
            items.append(data[start : start + 1])
            start += 1
        elif first < 0xB8:
            item_start = start + 1
            item_end = item_start + first - 0x80
            if item_end > end:
                raise MalformedRLP("invalid RLP: payload runs past the input")
            if first == 0x81 and data[item_start] < 0x80:
                raise MalformedRLP("invalid RLP: single byte below 0x80 encoded as a string")
            items.append(data[item_start:item_end])
            start = item_end
        else:
            item, start = _decode_at(data, start, end, depth + 1)
            items.append(item)
    return items, end


def _span(data: bytes, pos: int, limit: int, first: int, offset: int) -> tuple[int, int]:
    """(payload start, payload length) of the item whose prefix byte is at ``pos``."""
    short = first - offset
    if short <= 55:
        start, length = pos + 1, short
    else:
        size = short - 55
        if pos + 1 + size > limit:
            raise MalformedRLP("invalid RLP: length prefix runs past the input")
        length_bytes = data[pos + 1 : pos + 1 + size]
        if length_bytes[0] == 0:
            raise MalformedRLP("invalid RLP: length has leading zero bytes")
        length = int.from_bytes(length_bytes, "big")
        if length < 56:
            raise MalformedRLP("invalid RLP: long form used for a short payload")
        start = pos + 1 + size
    if start + length > limit:
        raise MalformedRLP("invalid RLP: payload runs past the input")
    return start, length


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
    raw = item if type(item) is bytes else read_bytes(item, what)
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
