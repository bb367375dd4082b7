"""Every decoder raises only ``InterlaceError`` subclasses on hostile bytes.

``interlace.primitives.errors`` promises that a decoder fed arbitrary bytes
raises nothing but typed errors (DESIGN.md §3, STYLE.md: bad input from
outside never gives a traceback). Each test here feeds one decoder random
bytes and mutations (flip, insert, delete, truncate) of valid encodings; the
mutations are applied below the outer layer where one exists (inside the
zlib of a batch, inside the RLP of a typed transaction) so that they reach
the deep checks instead of the first one. Any exception that is not an
``InterlaceError`` propagates and fails the test, with hypothesis printing
the input.
"""

import contextlib
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import rlp
from eth_account import Account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlace.primitives.abi import AbiModule
from interlace.primitives.envelope import (
    ExecutionPayload,
    Withdrawal,
    decode_envelope,
    header_from_payload,
    seal_payload,
    sign_envelope,
    verify_envelope,
)
from interlace.primitives.errors import InterlaceError
from interlace.primitives.exit_tree import ExitTree, verify_exit_proof
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import decode_header, encode_header
from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.mpt import Trie, verify_proof
from interlace.primitives.receipt import (
    Log,
    Receipt,
    decode_log,
    decode_receipt,
    encode_log,
    encode_receipt,
    logs_bloom,
)
from interlace.primitives.rlp_codec import decode_rlp, encode_rlp
from interlace.primitives.tx import DepositTransaction, decode_transaction
from interlace.primitives.types import U8, U64, U256, Address, Bytes256, Hash32
from interlace.protocol.l1.modules import INBOX_ABI, PORTAL_ABI, REGISTRY_ABI
from interlace.protocol.rollup.derivation import Batch, BatchBlock, decode_batch, encode_batch
from interlace.protocol.rollup.predeploys import L1_BLOCK_ABI

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CHAIN_ID = 901


def expect_only_typed_errors(decode: Callable[[], object]) -> None:
    """Run ``decode``; a typed error is a pass, any other exception fails the test."""
    with contextlib.suppress(InterlaceError):
        decode()


# --- mutations ------------------------------------------------------------------------------

_OPS = ("flip", "insert", "delete", "truncate", "set")


def mutate(sample: bytes, ops: Sequence[tuple[str, int, int]]) -> bytes:
    """Apply (op, position, byte) edits to ``sample``; positions wrap around its length."""
    data = bytearray(sample)
    for op, position, value in ops:
        index = position % (len(data) + 1)
        if op == "insert":
            data.insert(index, value)
        elif op == "truncate":
            del data[index:]
        elif not data:
            continue
        elif op == "flip":
            data[index % len(data)] ^= value or 1
        elif op == "set":
            data[index % len(data)] = value
        else:
            del data[index % len(data)]
    return bytes(data)


_edits = st.lists(
    st.tuples(st.sampled_from(_OPS), st.integers(0, 2**16), st.integers(0, 255)),
    min_size=1,
    max_size=4,
)
_few_edits = st.lists(
    st.tuples(st.sampled_from(_OPS), st.integers(0, 2**16), st.integers(0, 255)), max_size=2
)


def mutations_of(samples: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    """Mutations of one of ``samples``."""
    return st.builds(mutate, st.sampled_from(samples), _edits)


def hostile(samples: Sequence[bytes], max_size: int = 600) -> st.SearchStrategy[bytes]:
    """Random bytes, the samples themselves, or mutations of them."""
    return st.one_of(st.binary(max_size=max_size), st.sampled_from(samples), mutations_of(samples))


# --- valid samples --------------------------------------------------------------------------

KEY = private_key_from_seed(b"interlace fuzz sequencer")
BEACON_ROOT = Hash32(b"\x06" * 32)


def _signed_tx(fields: dict[str, Any]) -> bytes:
    base = {"nonce": 7, "gas": 50_000, "to": "0x" + "42" * 20, "value": 5, "data": b"\x01\x02"}
    return bytes(Account.sign_transaction({**base, **fields}, b"\x11" * 32).raw_transaction)


_ACCESS_LIST = [{"address": "0x" + "33" * 20, "storageKeys": ["0x" + "44" * 32]}]
TX_SAMPLES = [
    _signed_tx({"chainId": CHAIN_ID, "gasPrice": 10**9}),
    _signed_tx({"gasPrice": 10**9}),  # pre-EIP-155
    _signed_tx({"chainId": CHAIN_ID, "type": 1, "gasPrice": 10**9, "accessList": _ACCESS_LIST}),
    _signed_tx(
        {
            "chainId": CHAIN_ID,
            "type": 2,
            "maxFeePerGas": 2 * 10**9,
            "maxPriorityFeePerGas": 10**9,
            "accessList": _ACCESS_LIST,
        }
    ),
    DepositTransaction(
        source_hash=Hash32(b"\x09" * 32),
        sender=Address(b"\x01" * 20),
        to=None,
        mint=U256(10**18),
        value=U256(1),
        gas_limit=U64(100_000),
        is_system_transaction=False,
        data=b"\x60\x00",
    ).raw,
]


def _split_typed(raw: bytes) -> tuple[bytes, bytes]:
    return (b"", raw) if raw[0] >= 0xC0 else (raw[:1], raw[1:])


def _inner_mutation(samples: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    """Keep the EIP-2718 type byte, mutate the RLP behind it."""

    def build(sample: bytes, edits: list[tuple[str, int, int]]) -> bytes:
        prefix, body = _split_typed(sample)
        return prefix + mutate(body, edits)

    return st.builds(build, st.sampled_from(samples), _edits)


_rlp_values = st.recursive(
    st.one_of(
        st.binary(max_size=40),
        st.sampled_from([b"", b"\x00", b"\x00\x01", b"\x01", b"\x02", b"\x7e", b"\xff" * 33]),
    ),
    lambda children: st.lists(children, max_size=4),
    max_leaves=8,
)


def _replace_item(item: Any, path: Sequence[int], value: Any) -> Any:
    """``item`` (decoded RLP) with the element at ``path`` (indices wrap) replaced."""
    if not path or not isinstance(item, list) or not item:
        return value
    index = path[0] % len(item)
    return [*item[:index], _replace_item(item[index], path[1:], value), *item[index + 1 :]]


def _item_mutation(samples: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    """Re-encoded RLP with one field replaced: well-formed RLP that reaches the field checks."""

    def build(sample: bytes, path: list[int], value: Any) -> bytes:
        prefix, body = _split_typed(sample)
        return prefix + encode_rlp(_replace_item(rlp.decode(body), path, value))

    return st.builds(
        build, st.sampled_from(samples), st.lists(st.integers(0, 30), max_size=3), _rlp_values
    )


def _small_payload() -> ExecutionPayload:
    # Built as tests/primitives/test_envelope.py builds its small payload.
    return seal_payload(
        ExecutionPayload(
            parent_hash=Hash32(b"\x01" * 32),
            fee_recipient=Address(bytes.fromhex("4200000000000000000000000000000000000011")),
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
        ),
        BEACON_ROOT,
    )


PAYLOAD = _small_payload()
ENVELOPE = sign_envelope(PAYLOAD, BEACON_ROOT, CHAIN_ID, KEY)
HEADER = encode_header(header_from_payload(PAYLOAD, BEACON_ROOT))

LOGS = (
    Log(Address(b"\x07" * 20), (Hash32(b"\x08" * 32), Hash32(b"\x09" * 32)), b"hello"),
    Log(Address(b"\x0a" * 20), (), b""),
)
RECEIPT_SAMPLES = [
    encode_receipt(Receipt(U8(0), True, U64(21_000), logs_bloom(LOGS), LOGS)),
    encode_receipt(Receipt(U8(2), False, U64(42_000), logs_bloom(()), ())),
    encode_receipt(
        Receipt(U8(0x7E), True, U64(50_000), logs_bloom(LOGS[:1]), LOGS[:1], U64(3), U64(1))
    ),
    encode_receipt(Receipt(U8(0x7E), True, U64(50_000), logs_bloom(()), (), U64(3))),
]
LOG_SAMPLES = [encode_log(log) for log in LOGS]

RLP_SAMPLES = [
    encode_rlp([]),
    encode_rlp([b"", b"\x01", b"\x7f", b"\x80", [b"x" * 60, [[]]]]),
    encode_rlp(b"y" * 70),
    HEADER,
    *(_split_typed(raw)[1] for raw in RECEIPT_SAMPLES),
]

# --- mpt ----------------------------------------------------------------------------------------

_PAIRS = {bytes([i, i * 7 % 256]): bytes([i]) * (1 + i % 40) for i in range(40)}
_PAIRS |= {b"do": b"verb", b"dog": b"puppy", b"doge": b"coin", b"horse": b"stallion"}
_PLAIN = Trie(_PAIRS)
_SECURE = Trie(_PAIRS, secure=True)
_PROOF_KEYS = [b"do", b"dog", b"doge", b"horse", b"cat", bytes([3, 21]), bytes([3, 22]), b""]
PROOFS = [(trie, key, trie.proof(key)) for trie in (_PLAIN, _SECURE) for key in _PROOF_KEYS]


def _relinked(
    proof: list[bytes], index: int, edits: list[tuple[str, int, int]]
) -> tuple[bytes, list[bytes]]:
    """Mutate node ``index`` and re-point its ancestors at it, so the walk reaches the damage."""
    nodes = list(proof)
    index %= len(nodes)
    old, new = nodes[index], mutate(nodes[index], edits)
    nodes[index] = new
    for parent in range(index - 1, -1, -1):
        old_ref, new_ref = keccak256(old), keccak256(new)
        old = nodes[parent]
        nodes[parent] = old.replace(old_ref, new_ref)
        new = nodes[parent]
    return keccak256(nodes[0]), nodes


# --- abi ----------------------------------------------------------------------------------------

FUZZ_ABI = AbiModule.declare(
    "Fuzz",
    functions=[
        "mixed(uint8 a, int16 b, bool c, address d, bytes3 e, bytes f, string g) returns (bool)",
        "nested((uint64,address,bytes)[] items, uint256[2][] pairs, string[] labels)",
        "deep(((bool,bytes32)[],int256) outer, address[3] fixed)",
    ],
    events=[
        "Mixed(uint256 indexed id, address indexed who, bytes indexed blob, string s, bool ok)",
        "Plain(int8 a, (uint8,bytes)[] b)",
    ],
)
ABI_MODULES = [FUZZ_ABI, INBOX_ABI, PORTAL_ABI, REGISTRY_ABI, L1_BLOCK_ABI]
CALL_SAMPLES = [
    FUZZ_ABI.function("mixed").encode_call(
        7, -3, True, b"\x01" * 20, b"abc", b"\xff" * 40, "héllo"
    ),
    FUZZ_ABI.function("nested").encode_call(
        [(1, b"\x02" * 20, b"xyz"), (2, b"\x03" * 20, b"")], [[1, 2], [3, 4]], ["a", "bc"]
    ),
    FUZZ_ABI.function("deep").encode_call(
        ([(True, b"\x04" * 32)], -5), [b"\x05" * 20, b"\x06" * 20, b"\x07" * 20]
    ),
    INBOX_ABI.function("postBatch").encode_call(CHAIN_ID, b"\x00batch"),
    PORTAL_ABI.function("depositTransaction").encode_call(
        CHAIN_ID, b"\x08" * 20, 5, 100_000, b"data"
    ),
    REGISTRY_ABI.function("registerRollup").encode_call(
        CHAIN_ID, 1, b"\x09" * 20, b"\x0a" * 20, 600
    ),
]
LOG_EVENTS = [
    FUZZ_ABI.event("Mixed").encode_log(1, b"\x01" * 20, b"blob", "text", True),
    FUZZ_ABI.event("Plain").encode_log(-1, [(1, b"a"), (2, b"bc")]),
    PORTAL_ABI.event("TransactionDeposited").encode_log(
        CHAIN_ID, b"\x01" * 20, b"\x02" * 20, 1, 2, 21_000, b"call"
    ),
    REGISTRY_ABI.event("SequencerChanged").encode_log(CHAIN_ID, b"\x03" * 20),
]

# --- batches -------------------------------------------------------------------------------------

BATCH_BODY_SAMPLES = [
    encode_rlp([b"\x03\x85", []]),
    encode_rlp(
        [
            b"\x03\x85",
            [
                [b"\x05", b"\x64", b"\x02", b"\x0b" * 32, TX_SAMPLES[:2], []],
                [b"\x06", b"\x66", b"\x02", b"\x0b" * 32, [], []],
            ],
        ]
    ),
]
BATCH_SAMPLES = [
    encode_batch(Batch(CHAIN_ID, ())),
    encode_batch(
        Batch(
            CHAIN_ID,
            (
                BatchBlock(U64(5), U64(100), U64(2), Hash32(b"\x0b" * 32), tuple(TX_SAMPLES[:2])),
                BatchBlock(U64(6), U64(102), U64(2), Hash32(b"\x0b" * 32), ()),
            ),
        )
    ),
]


def test_samples_are_valid() -> None:
    """The mutation seeds decode, so mutations start from real encodings."""
    for sample in RLP_SAMPLES:
        decode_rlp(sample)
    for raw in TX_SAMPLES:
        decode_transaction(raw)
    decode_header(HEADER)
    for raw in RECEIPT_SAMPLES:
        decode_receipt(raw)
    for raw in LOG_SAMPLES:
        decode_log(raw)
    assert verify_envelope(ENVELOPE, CHAIN_ID).signer == KEY.address
    for trie, key, proof in PROOFS:
        assert verify_proof(trie.root(), key, proof, secure=trie.secure) == trie.get(key)
    for calldata in CALL_SAMPLES:
        assert any(calldata[:4] == f.selector for m in ABI_MODULES for f in m.functions.values())
    for topics, data in LOG_EVENTS:
        owners = [m for m in ABI_MODULES if topics[0] in {e.topic0 for e in m.events.values()}]
        assert [m.decode_log(topics, data) for m in owners]
    for body, raw in zip(BATCH_BODY_SAMPLES, BATCH_SAMPLES, strict=True):
        assert decode_batch(raw) == decode_batch(b"\x00" + zlib.compress(body))


# --- the properties ---------------------------------------------------------------------------


@FUZZ
@given(hostile(RLP_SAMPLES))
def test_decode_rlp(raw: bytes) -> None:
    expect_only_typed_errors(lambda: decode_rlp(raw))


@FUZZ
@given(
    st.one_of(hostile(TX_SAMPLES), _inner_mutation(TX_SAMPLES), _item_mutation(TX_SAMPLES)),
    st.sampled_from([None, CHAIN_ID, 1]),
)
def test_decode_transaction(raw: bytes, expected_chain_id: int | None) -> None:
    expect_only_typed_errors(lambda: decode_transaction(raw, expected_chain_id))
    expect_only_typed_errors(lambda: decode_transaction(raw))


@FUZZ
@given(st.one_of(hostile([HEADER], max_size=700), _item_mutation([HEADER])))
def test_decode_header(raw: bytes) -> None:
    expect_only_typed_errors(lambda: decode_header(raw))


@FUZZ
@given(
    st.one_of(
        hostile(RECEIPT_SAMPLES),
        _inner_mutation(RECEIPT_SAMPLES),
        _item_mutation(RECEIPT_SAMPLES),
    )
)
def test_decode_receipt(raw: bytes) -> None:
    expect_only_typed_errors(lambda: decode_receipt(raw))


@FUZZ
@given(st.one_of(hostile(LOG_SAMPLES), _item_mutation(LOG_SAMPLES)))
def test_decode_log(raw: bytes) -> None:
    expect_only_typed_errors(lambda: decode_log(raw))


# Byte positions in ENVELOPE of the payload's SSZ offsets: extra_data, transactions,
# withdrawals (fixed part), then the first transaction offset (after 9 bytes of extra data).
_ENVELOPE_OFFSETS = tuple(97 + at for at in (436, 504, 508, 528 + 9, 528 + 13))


def _envelope_offset_edit(position: int, value: int, edits: list[tuple[str, int, int]]) -> bytes:
    data = bytearray(ENVELOPE)
    at = _ENVELOPE_OFFSETS[position % len(_ENVELOPE_OFFSETS)]
    data[at : at + 4] = value.to_bytes(4, "little")
    return mutate(bytes(data), edits) if edits else bytes(data)


@FUZZ
@given(
    st.one_of(
        hostile([ENVELOPE], max_size=900),
        st.builds(
            _envelope_offset_edit,
            st.integers(0, 10),
            st.one_of(st.integers(0, 700), st.sampled_from([2**32 - 1, 2**31, 4 * 2**20 + 4])),
            _few_edits,
        ),
    )
)
def test_decode_and_verify_envelope(raw: bytes) -> None:
    expect_only_typed_errors(lambda: decode_envelope(raw))
    expect_only_typed_errors(lambda: verify_envelope(raw, CHAIN_ID))


_random_proof = st.lists(st.binary(max_size=120), max_size=6)


# Node-shaped RLP: a hex-prefix path with a value or child, or 16 children and a value.
_hex_prefix = st.one_of(
    st.binary(max_size=6),
    st.builds(lambda flag, rest: bytes([flag]) + rest, st.integers(0, 0x3F), st.binary(max_size=4)),
)
_child = st.one_of(
    st.just(b""),
    st.binary(min_size=32, max_size=32),
    st.binary(max_size=33),
    st.lists(st.binary(max_size=8), max_size=3),
    st.tuples(_hex_prefix, st.binary(max_size=6)).map(list),
)
_node_like = st.one_of(
    st.tuples(_hex_prefix, _child).map(list),
    st.lists(_child, min_size=17, max_size=17),
    st.lists(_child, max_size=18),
)


@st.composite
def _proof_cases(draw: st.DrawFn) -> tuple[bytes, bytes, list[bytes], bool]:
    trie, key, proof = draw(st.sampled_from(PROOFS))
    secure = trie.secure
    if draw(st.booleans()):
        key = draw(st.sampled_from([*_PROOF_KEYS, draw(st.binary(max_size=4))]))
    kind = draw(st.integers(0, 5))
    if kind == 0:  # random root, random nodes
        root = draw(st.one_of(st.binary(min_size=32, max_size=32), st.binary(max_size=40)))
        return root, key, draw(_random_proof), secure
    if kind == 5:  # well-formed RLP lists shaped like nodes, chained by hash
        nodes = [encode_rlp(n) for n in draw(st.lists(_node_like, min_size=1, max_size=4))]
        return keccak256(nodes[0]), key, nodes, secure
    if kind == 1:  # random first node that does hash to the root
        nodes = draw(st.lists(st.binary(max_size=120), min_size=1, max_size=4))
        return keccak256(nodes[0]), key, nodes, secure
    if kind == 2:  # a node mutated with its ancestors re-linked to it
        root, nodes = _relinked(proof, draw(st.integers(0, 16)), draw(_edits))
        return root, key, nodes, secure
    if kind == 3:  # real nodes dropped, duplicated or reordered
        nodes = draw(st.permutations(proof + proof[:1])).copy()
        return trie.root(), key, nodes[: draw(st.integers(0, len(nodes)))], secure
    return trie.root(), key, [mutate(n, draw(_edits)) for n in proof], secure


@FUZZ
@given(_proof_cases())
def test_verify_proof(case: tuple[bytes, bytes, list[bytes], bool]) -> None:
    root, key, proof, secure = case
    expect_only_typed_errors(lambda: verify_proof(root, key, proof, secure=secure))


_EXIT_TREE = ExitTree.from_leaves(keccak256(bytes([i])) for i in range(11))
_EXIT_ROOT = _EXIT_TREE.root()


@st.composite
def _exit_cases(draw: st.DrawFn) -> tuple[bytes, int, list[bytes], bytes]:
    index = draw(st.integers(0, 10))
    leaf, proof, root = _EXIT_TREE.leaf(index), list(_EXIT_TREE.proof(index)), _EXIT_ROOT
    if draw(st.booleans()):
        hash_like = st.one_of(st.binary(min_size=32, max_size=32), st.binary(max_size=40))
        return (
            draw(hash_like),
            draw(st.integers(-(2**40), 2**40)),
            draw(st.lists(hash_like, min_size=30, max_size=34)),
            draw(hash_like),
        )
    position = draw(st.integers(0, 33))
    edit = draw(st.sampled_from(["sibling", "drop", "add", "leaf", "root", "index"]))
    if edit == "sibling":
        proof[position % len(proof)] = mutate(proof[position % len(proof)], draw(_edits))
    elif edit == "drop":
        del proof[position % len(proof)]
    elif edit == "add":
        proof.insert(position, draw(st.binary(min_size=31, max_size=33)))
    elif edit == "leaf":
        leaf = Hash32(mutate(leaf, draw(_edits)))
    elif edit == "root":
        root = Hash32(mutate(root, draw(_edits)))
    else:
        index = draw(st.sampled_from([-1, 2**32 - 1, 2**32, index ^ 1, index + 2**20]))
    return leaf, index, proof, root


@FUZZ
@given(_exit_cases())
def test_verify_exit_proof(case: tuple[bytes, int, list[bytes], bytes]) -> None:
    leaf, index, proof, root = case
    expect_only_typed_errors(lambda: verify_exit_proof(Hash32(leaf), index, proof, Hash32(root)))


def _abi_words(samples: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    """Mutations that also overwrite whole 32-byte words (offsets, lengths) with extremes."""
    extremes = [0, 1, 31, 32, 64, 2**31, 2**63, 2**64, 2**255, 2**256 - 1]

    def build(sample: bytes, word: int, value: int, edits: list[tuple[str, int, int]]) -> bytes:
        data = bytearray(sample)
        words = max(1, (len(data) - 4) // 32)
        start = 4 + (word % words) * 32
        data[start : start + 32] = value.to_bytes(32, "big")
        return mutate(bytes(data), edits) if edits else bytes(data)

    return st.builds(
        build,
        st.sampled_from(samples),
        st.integers(0, 40),
        st.sampled_from(extremes),
        _few_edits,
    )


@FUZZ
@given(
    st.one_of(
        hostile(CALL_SAMPLES, max_size=300),
        _abi_words(CALL_SAMPLES),
        st.builds(
            lambda selector, tail: selector + tail,
            st.sampled_from([c[:4] for c in CALL_SAMPLES]),
            st.binary(max_size=300),
        ),
    ),
    st.sampled_from(ABI_MODULES),
)
def test_abi_decode_call(calldata: bytes, module: AbiModule) -> None:
    expect_only_typed_errors(lambda: module.decode_call(calldata))
    for function in module.functions.values():
        expect_only_typed_errors(lambda f=function: f.decode_call(calldata))


@st.composite
def _log_cases(draw: st.DrawFn) -> tuple[list[bytes], bytes]:
    topics, data = draw(st.sampled_from(LOG_EVENTS))
    topic_list = list(topics)
    choice = draw(st.integers(0, 3))
    if choice == 0:
        topic_list = draw(st.lists(st.binary(min_size=0, max_size=33), max_size=5))
    elif choice == 1 and topic_list:
        i = draw(st.integers(0, len(topic_list) - 1))
        topic_list[i] = mutate(topic_list[i], draw(_edits))
    elif choice == 2:
        topic_list = [*topic_list, draw(st.binary(min_size=32, max_size=32))]
    payload = draw(
        st.one_of(
            st.just(data),
            mutations_of([data]),
            _abi_words([b"\x00" * 4 + data]).map(lambda b: b[4:]),
            st.binary(max_size=300),
        )
    )
    return topic_list, payload


@FUZZ
@given(_log_cases(), st.sampled_from(ABI_MODULES))
def test_abi_decode_log(case: tuple[list[bytes], bytes], module: AbiModule) -> None:
    topics, data = case
    expect_only_typed_errors(lambda: module.decode_log(topics, data))
    for event in module.events.values():
        expect_only_typed_errors(lambda e=event: e.decode_log(topics, data))


@FUZZ
@given(
    st.one_of(
        hostile(BATCH_SAMPLES),
        st.binary(max_size=300).map(lambda b: b"\x00" + zlib.compress(b)),
        mutations_of(BATCH_BODY_SAMPLES).map(lambda b: b"\x00" + zlib.compress(b)),
        _item_mutation(BATCH_BODY_SAMPLES).map(lambda b: b"\x00" + zlib.compress(b)),
        st.builds(  # valid zlib whose content is cut or padded
            lambda raw, cut, tail: raw[: len(raw) - cut] + tail,
            st.sampled_from(BATCH_SAMPLES),
            st.integers(0, 6),
            st.binary(max_size=4),
        ),
    )
)
def test_decode_batch(raw: bytes) -> None:
    expect_only_typed_errors(lambda: decode_batch(raw))
