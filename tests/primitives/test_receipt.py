"""Receipts, logs, blooms and list roots against py-evm, eth-bloom and the trie package."""

import contextlib

import rlp
from eth_bloom import BloomFilter
from hypothesis import given, settings
from hypothesis import strategies as st
from trie import HexaryTrie

from interlace.primitives.errors import MalformedReceipt
from interlace.primitives.mpt import EMPTY_TRIE_ROOT
from interlace.primitives.receipt import (
    Log,
    Receipt,
    bloom_contains,
    decode_log,
    decode_receipt,
    encode_log,
    encode_receipt,
    logs_bloom,
    receipts_root,
    transactions_root,
)
from interlace.primitives.types import U8, U64
from tests.primitives.support import logs_st, pyevm_receipt_body, receipts_st


@settings(max_examples=100, deadline=None)
@given(st.lists(logs_st, max_size=5))
def test_bloom_matches_eth_bloom(logs: list[Log]) -> None:
    reference = BloomFilter()
    for log in logs:
        reference.add(log.address)
        for topic in log.topics:
            reference.add(topic)
    bloom = logs_bloom(logs)
    assert int.from_bytes(bloom, "big") == int(reference)
    for log in logs:
        assert bloom_contains(bloom, log.address)
        assert all(bloom_contains(bloom, t) for t in log.topics)


def test_empty_bloom_contains_nothing() -> None:
    assert not bloom_contains(logs_bloom([]), b"\x11" * 20)


@settings(max_examples=100, deadline=None)
@given(receipts_st())
def test_receipt_encoding_matches_pyevm_and_round_trips(r: Receipt) -> None:
    raw = encode_receipt(r)
    assert decode_receipt(raw) == r
    if r.deposit_nonce is None:
        body = pyevm_receipt_body(r)
        assert raw == (body if r.tx_type == 0 else bytes([r.tx_type]) + body)
    for log in r.logs:
        assert decode_log(encode_log(log)) == log


def test_deposit_receipt_fields() -> None:
    base = Receipt(U8(0x7E), True, U64(21000), logs_bloom([]), ())
    with_nonce = Receipt(U8(0x7E), True, U64(21000), logs_bloom([]), (), U64(7))
    canyon = Receipt(U8(0x7E), True, U64(21000), logs_bloom([]), (), U64(7), U64(1))
    for r, length in ((base, 4), (with_nonce, 5), (canyon, 6)):
        raw = encode_receipt(r)
        assert raw[0] == 0x7E
        fields = rlp.decode(raw[1:])
        assert len(fields) == length
        assert decode_receipt(raw) == r
    assert rlp.decode(encode_receipt(canyon)[1:])[4:] == [b"\x07", b"\x01"]


def test_receipt_rejects_misuse_and_bad_bytes() -> None:
    for kwargs in ({"deposit_nonce": U64(1)}, {"deposit_receipt_version": U64(1)}):
        try:
            Receipt(U8(2), True, U64(0), logs_bloom([]), (), **kwargs)  # type: ignore[arg-type]
        except ValueError:
            pass
        else:
            raise AssertionError("deposit fields accepted on a non-deposit receipt")
    good = rlp.decode(encode_receipt(Receipt(U8(2), True, U64(1), logs_bloom([]), ()))[1:])
    for bad in (
        b"",
        b"\x80",  # type byte 0x80 is neither typed nor a list
        b"\x02" + rlp.encode([*good, b"\x01"]),  # deposit-only extra field on type 2
        b"\x02" + rlp.encode([b"\x02", *good[1:]]),  # status 2
        b"\x02" + rlp.encode([b"\x00" * 32, *good[1:]]),  # pre-Byzantium state root
        b"\x02" + rlp.encode(good[:3]),
    ):
        try:
            decode_receipt(bad)
        except MalformedReceipt:
            continue
        raise AssertionError(f"accepted {bad.hex()}")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_malformed_receipt(raw: bytes) -> None:
    with contextlib.suppress(MalformedReceipt):
        decode_receipt(raw)


def _hexary_root(values: list[bytes]) -> bytes:
    t = HexaryTrie({})
    for i, v in enumerate(values):
        t[rlp.encode(i)] = v
    return bytes(t.root_hash)


@settings(max_examples=25, deadline=None)
@given(st.lists(receipts_st(), max_size=12))
def test_receipts_root_matches_trie_package(receipts: list[Receipt]) -> None:
    expected = _hexary_root([encode_receipt(r) for r in receipts])
    assert receipts_root(receipts) == expected


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=150), max_size=140))
def test_transactions_root_matches_trie_package(txs: list[bytes]) -> None:
    assert transactions_root(txs) == _hexary_root(txs)


def test_empty_roots() -> None:
    assert receipts_root([]) == EMPTY_TRIE_ROOT
    assert transactions_root([]) == EMPTY_TRIE_ROOT
