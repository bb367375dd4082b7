"""The static-word fast path of ``interlace.primitives.abi`` against eth-abi.

Signatures made only of uintN, intN, address, bool, bytesN and bytes are
encoded and decoded by hand (see ``_encode_static``/``_decode_static``); everything
else, and every value or byte string the fast path does not find plainly
valid, goes to eth-abi. These tests feed random types, values and bytes
(canonical, mutated and truncated) to both and require the same answer:
the same bytes, the same values, or an error from both.
"""

from typing import Any

from eth_abi.abi import decode as eth_abi_decode
from eth_abi.abi import encode as eth_abi_encode
from eth_abi.exceptions import EncodingError
from hypothesis import given, settings
from hypothesis import strategies as st

from interlace.primitives.abi import MalformedCalldata, abi_decode, abi_encode, parse_function
from interlace.primitives.abi import _decode_static as decode_static
from interlace.primitives.abi import _encode_static as encode_static
from interlace.primitives.abi import _static_words as static_words
from interlace.primitives.types import Address

_SIZES = st.sampled_from([8, 16, 32, 64, 128, 160, 248, 256])


@st.composite
def static_types(draw: st.DrawFn) -> str:
    """One ABI type the fast path covers."""
    kind = draw(st.sampled_from(["uint", "int", "address", "bool", "bytes", "dynbytes"]))
    if kind == "dynbytes":
        return "bytes"
    if kind in ("uint", "int"):
        return f"{kind}{draw(_SIZES)}"
    if kind == "bytes":
        return f"bytes{draw(st.integers(1, 32))}"
    return kind


def valid_value(type_str: str) -> st.SearchStrategy[Any]:
    """Values eth-abi encodes as ``type_str``."""
    if type_str.startswith("uint"):
        return st.integers(0, 2 ** int(type_str[4:]) - 1)
    if type_str.startswith("int"):
        bits = int(type_str[3:])
        return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if type_str == "address":
        return st.binary(min_size=20, max_size=20)
    if type_str == "bool":
        return st.booleans()
    if type_str == "bytes":
        return st.binary(max_size=100)
    return st.binary(min_size=0, max_size=int(type_str[5:]))


def any_value() -> st.SearchStrategy[Any]:
    """Values of any static kind, often not valid for the type they are given."""
    return st.one_of(
        st.integers(-(2**257), 2**257),
        st.booleans(),
        st.binary(max_size=40),
        st.text(max_size=4),
        st.none(),
    )


def eth_abi_decode_native(types: list[str], data: bytes) -> tuple[Any, ...]:
    """eth-abi's decoding with addresses as 20 raw bytes, as ``abi_decode`` returns them."""
    values = eth_abi_decode(types, data)
    return tuple(
        Address(bytes.fromhex(v[2:])) if t == "address" else v
        for t, v in zip(types, values, strict=True)
    )


@settings(max_examples=300)
@given(
    st.lists(static_types(), max_size=8).flatmap(
        lambda types: st.tuples(st.just(types), st.tuples(*[valid_value(t) for t in types]))
    )
)
def test_valid_values_encode_and_decode_as_eth_abi(case: tuple[list[str], tuple[Any, ...]]) -> None:
    types, values = case
    words = static_words(tuple(types))
    assert words is not None
    expected = eth_abi_encode(types, values)
    assert encode_static(words, values) == expected
    assert abi_encode(types, values) == expected
    decoded = decode_static(words, expected)
    assert decoded == eth_abi_decode_native(types, expected)
    assert [type(v) for v in decoded] == [type(v) for v in eth_abi_decode_native(types, expected)]


@settings(max_examples=300)
@given(st.lists(static_types(), min_size=1, max_size=4), st.data())
def test_any_value_encodes_as_eth_abi_or_both_refuse(types: list[str], data: st.DataObject) -> None:
    values = data.draw(st.tuples(*[any_value() for _ in types]))
    fast = encode_static(static_words(tuple(types)) or (), values)
    try:
        expected: bytes | None = eth_abi_encode(types, values)
    except (EncodingError, TypeError, ValueError):
        expected = None
    if fast is not None:  # the fast path only answers what eth-abi accepts, identically
        assert fast == expected
    try:
        ours: bytes | None = abi_encode(types, values)
    except ValueError:
        ours = None
    assert ours == expected


@settings(max_examples=400)
@given(st.lists(static_types(), min_size=1, max_size=4), st.data())
def test_any_bytes_decode_as_eth_abi_or_both_reject(types: list[str], data: st.DataObject) -> None:
    # Mostly near-canonical words (small values, zero or 0xff padding), some random bytes.
    word = st.one_of(
        st.binary(min_size=32, max_size=32),
        st.builds(lambda n: n.to_bytes(32, "big"), st.integers(0, 2**170)),
        st.builds(lambda n: n.to_bytes(32, "big", signed=True), st.integers(-(2**130), -1)),
        st.builds(lambda b: b.ljust(32, b"\x00"), st.binary(max_size=32)),
    )
    raw = b"".join(data.draw(st.lists(word, min_size=len(types) - 1, max_size=len(types) + 1)))
    raw += data.draw(st.binary(max_size=5))
    try:
        expected: tuple[Any, ...] | None = eth_abi_decode_native(types, raw)
    except Exception:  # noqa: BLE001 - any eth-abi rejection; abi_decode must reject too
        expected = None
    fast = decode_static(static_words(tuple(types)) or (), raw)
    if fast is not None:
        assert fast == expected
    try:
        ours: tuple[Any, ...] | None = abi_decode(types, raw)
    except MalformedCalldata:
        ours = None
    assert ours == expected


@settings(max_examples=400)
@given(
    st.lists(static_types(), min_size=1, max_size=5).flatmap(
        lambda types: st.tuples(st.just(types), st.tuples(*[valid_value(t) for t in types]))
    ),
    st.data(),
)
def test_mutated_encodings_decode_as_eth_abi_or_both_reject(
    case: tuple[list[str], tuple[Any, ...]], data: st.DataObject
) -> None:
    # Valid encodings (offsets, lengths, tails) with one byte changed, cut or extended.
    types, values = case
    raw = bytearray(eth_abi_encode(types, values))
    action = data.draw(st.sampled_from(["flip", "cut", "extend"]))
    if action == "flip" and raw:
        raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    elif action == "cut" and raw:
        del raw[data.draw(st.integers(0, len(raw) - 1)) :]
    else:
        raw += data.draw(st.binary(min_size=1, max_size=40))
    blob = bytes(raw)
    try:
        expected: tuple[Any, ...] | None = eth_abi_decode_native(types, blob)
    except Exception:  # noqa: BLE001 - any eth-abi rejection; abi_decode must reject too
        expected = None
    fast = decode_static(static_words(tuple(types)) or (), blob)
    if fast is not None:
        assert fast == expected
    try:
        ours: tuple[Any, ...] | None = abi_decode(types, blob)
    except MalformedCalldata:
        ours = None
    assert ours == expected


def test_only_covered_signatures_take_the_fast_path() -> None:
    assert static_words(("uint64", "bytes32", "address", "bool", "int8")) == (
        ("uint", 64),
        ("bytes", 32),
        ("address", 0),
        ("bool", 0),
        ("int", 8),
    )
    assert static_words(("uint256", "bytes")) == (("uint", 256), ("dynbytes", 0))
    for types in (("string",), ("uint256[]",), ("bytes[]",), ("(uint256,bool)",), ("uint7",)):
        assert static_words(types) is None


def test_l1_attributes_call_round_trips() -> None:
    function = parse_function(
        "setL1BlockValues(uint64 _number, uint64 _timestamp, uint256 _basefee, bytes32 _hash,"
        " uint64 _sequenceNumber, bytes32 _batcherHash, uint256 _l1FeeOverhead,"
        " uint256 _l1FeeScalar)"
    )
    args = (7, 1_700_000_000, 10**9, b"\x11" * 32, 3, b"\x00" * 32, 0, 0)
    calldata = function.encode_call(*args)
    assert calldata == function.selector + eth_abi_encode(list(function.input_types), args)
    assert function.decode_call(calldata) == args
