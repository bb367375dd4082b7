"""Hand-written encoders and root builders against their readable forms and the libraries.

Each fast path in ``primitives`` keeps a readable twin (the general RLP
encoder over a field list, or the node-building trie): on random data both
must give the bytes pyrlp, py-evm or the ``trie`` package give.
"""

from typing import Any

import rlp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trie import HexaryTrie

from interlace.primitives.errors import MalformedRLP
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import _encode_header_readable, encode_header
from interlace.primitives.mpt import (
    Trie,
    _build_table,
    _key_path,
    _root_hash,
    trie_root,
)
from interlace.primitives.receipt import (
    _encode_receipt_readable,
    encode_receipt,
    receipts_root,
    transactions_root,
)
from interlace.primitives.rlp_codec import decode_rlp, encode_rlp
from tests.primitives.support import headers, pyevm_receipt_body, receipts_st, to_pyevm

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Byte strings around every RLP length boundary (1 byte below 0x80, 55/56, 255/256).
rlp_bytes = st.one_of(
    st.binary(max_size=2),
    st.binary(min_size=54, max_size=58),
    st.binary(min_size=254, max_size=258),
    st.binary(max_size=40),
)
rlp_items = st.recursive(
    rlp_bytes | st.integers(0, 2**300),
    lambda inner: st.lists(inner, max_size=6) | st.lists(inner, max_size=4).map(tuple),
    max_leaves=40,
)


@given(rlp_items)
@FAST
def test_encode_rlp_matches_pyrlp(item: Any) -> None:
    assert encode_rlp(item) == rlp.encode(item)


@given(rlp_items)
@FAST
def test_encode_rlp_takes_bytearray_and_subclasses_like_bytes(item: Any) -> None:
    class Items(list[Any]):
        pass

    def convert(x: Any) -> Any:
        if isinstance(x, bytes):
            return bytearray(x)
        if isinstance(x, list | tuple):
            return Items(convert(y) for y in x)
        return x

    assert encode_rlp(convert(item)) == rlp.encode(item)


@given(headers)
@FAST
def test_header_encoding_fast_and_readable_match_pyevm(h: Any) -> None:
    expected = rlp.encode(to_pyevm(h))
    assert encode_header(h) == expected
    assert _encode_header_readable(h) == expected


@given(receipts_st())
@FAST
def test_receipt_encoding_fast_and_readable_match_pyevm(r: Any) -> None:
    body = pyevm_receipt_body(r)
    if r.deposit_nonce is not None:
        # py-evm has no OP deposit receipts: append the two trailing fields by hand.
        fields = [*rlp.decode(body), r.deposit_nonce]
        if r.deposit_receipt_version is not None:
            fields.append(r.deposit_receipt_version)
        body = rlp.encode(fields)
    expected = body if r.tx_type == 0 else bytes((r.tx_type,)) + body
    assert encode_receipt(r) == expected
    assert _encode_receipt_readable(r) == expected


def _index_trie(values: list[bytes]) -> bytes:
    reference = HexaryTrie({})
    for i, value in enumerate(values):
        reference[rlp.encode(i)] = value
    return bytes(reference.root_hash)


@given(st.lists(st.binary(min_size=1, max_size=120), max_size=140))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_list_roots_match_trie_package_beyond_one_byte_indices(values: list[bytes]) -> None:
    # Up to 140 entries: indices past 127 have two-byte RLP keys.
    assert transactions_root(values) == _index_trie(values)


@given(st.lists(receipts_st(), max_size=5))
@FAST
def test_receipts_root_matches_trie_package(receipts: list[Any]) -> None:
    assert receipts_root(receipts) == _index_trie([encode_receipt(r) for r in receipts])


pairs = st.lists(
    st.tuples(st.binary(max_size=6), st.binary(max_size=40) | st.binary(min_size=0, max_size=1)),
    max_size=40,
)


@given(pairs, st.booleans())
@FAST
def test_hash_only_root_matches_node_building_root(
    changes: list[tuple[bytes, bytes]], secure: bool
) -> None:
    table: dict[str, bytes] = {}
    for key, value in changes:
        path = (keccak256(key) if secure else key).hex()
        if value:
            table[path] = value
        else:
            table.pop(path, None)
    assert trie_root(changes, secure=secure) == _root_hash(_build_table(table))


@given(st.lists(st.binary(max_size=33), max_size=30))
@FAST
def test_cached_secure_key_paths_are_keccak_paths(keys: list[bytes]) -> None:
    for key in keys + keys:
        assert _key_path(key, True) == keccak256(key).hex()
        assert _key_path(bytearray(key), True) == keccak256(key).hex()
        assert _key_path(key, False) == key.hex()


@given(pairs, pairs, st.booleans())
@FAST
def test_rewriting_held_values_keeps_the_root(
    first: list[tuple[bytes, bytes]], second: list[tuple[bytes, bytes]], secure: bool
) -> None:
    trie = Trie(first, secure=secure)
    snapshot = trie.copy()
    for key, _ in first:
        held = trie.get(key)
        if held is not None:
            trie.set(key, held)  # skipped: the value is already there
    assert trie.root() == snapshot.root()
    assert len(trie) == len(snapshot)
    for key, value in second:
        trie.set(key, value)
    assert trie.root() == trie_root(first + second, secure=secure)
    assert snapshot.root() == trie_root(first, secure=secure)


def _pyrlp_decode(raw: bytes) -> Any:
    try:
        return rlp.decode(raw, strict=True)
    except rlp.exceptions.DecodingError:
        return None


def _ours_decode(raw: bytes) -> Any:
    try:
        return decode_rlp(raw)
    except MalformedRLP:
        return None


@given(rlp_items, st.data())
@FAST
def test_decode_rlp_matches_pyrlp_on_valid_and_mutated_input(
    item: Any, data: st.DataObject
) -> None:
    raw = bytearray(rlp.encode(item))
    assert decode_rlp(bytes(raw)) == rlp.decode(bytes(raw))
    action = data.draw(st.sampled_from(["flip", "cut", "extend", "insert"]))
    position = data.draw(st.integers(0, len(raw) - 1))
    if action == "flip":
        raw[position] ^= data.draw(st.integers(1, 255))
    elif action == "cut":
        del raw[position:]
    elif action == "extend":
        raw += data.draw(st.binary(min_size=1, max_size=3))
    else:
        raw[position:position] = data.draw(st.binary(min_size=1, max_size=2))
    assert _ours_decode(bytes(raw)) == _pyrlp_decode(bytes(raw))


@given(st.binary(max_size=80))
@FAST
def test_decode_rlp_matches_pyrlp_on_random_bytes(raw: bytes) -> None:
    assert _ours_decode(raw) == _pyrlp_decode(raw)
