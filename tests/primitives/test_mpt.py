"""Merkle-Patricia trie against the Ethereum vectors and the ``trie`` package (HexaryTrie).

Roots, the incremental ``Trie`` with diverging snapshots, EIP-1186 proofs in
both directions, ``PartialTrie`` over multiproofs, the hand-written node RLP
against the ``rlp`` package, and tampered or garbage proofs, which may only
ever raise ``InvalidProof`` or ``MalformedProof``.
"""

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rlp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trie import HexaryTrie
from trie.exceptions import ValidationError as TrieValidationError

from interlace.primitives.errors import InvalidProof, MalformedProof
from interlace.primitives.hashing import keccak256
from interlace.primitives.mpt import (
    EMPTY_TRIE_ROOT,
    BranchNode,
    HashNode,
    MissingTrieNode,
    PartialTrie,
    Trie,
    _rlp_list,
    _rlp_string,
    encode_node,
    make_multiproof,
    make_proof,
    trie_root,
    verify_proof,
)
from interlace.primitives.types import Hash32, parse_hex

VECTORS = Path(__file__).parents[3] / "shared" / "vectors"
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Short keys over a tiny alphabet: many shared prefixes and keys that are
# prefixes of others. Values cross 32 bytes so nodes are both inline and hashed.
keys = st.binary(max_size=4).map(lambda b: bytes(x % 3 for x in b)) | st.binary(max_size=33)
values = st.binary(min_size=1, max_size=40)
ops = st.lists(st.tuples(keys, st.one_of(st.just(b""), values)), max_size=40)


def _vector_bytes(text: str | None) -> bytes:
    if text is None:
        return b""
    return parse_hex(text) if text.startswith("0x") else text.encode()


def _apply(table: dict[bytes, bytes], changes: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    out = dict(table)
    for k, v in changes:
        if v:
            out[k] = v
        else:
            out.pop(k, None)
    return out


def _hexary(table: dict[bytes, bytes], secure: bool = False) -> HexaryTrie:
    ref = HexaryTrie({})
    for k, v in table.items():
        ref.set(keccak256(k) if secure else k, v)
    return ref


def _their_proof_as_ours(proof: tuple[Any, ...]) -> list[bytes]:
    """HexaryTrie lists inline nodes separately; EIP-1186 keeps them inside their parent."""
    encoded = [rlp.encode(n) for n in proof]
    return [e for i, e in enumerate(encoded) if i == 0 or len(e) >= 32]


# --- vectors ----------------------------------------------------------------------------


def test_vector_path_resolves() -> None:
    assert (VECTORS / "trietest.json").is_file()
    assert (VECTORS / "hex_encoded_securetrie_test.json").is_file()


def _trietest_cases() -> Iterator[Any]:
    for name, case in json.loads((VECTORS / "trietest.json").read_text()).items():
        yield pytest.param(case, id=name)


@pytest.mark.parametrize("case", list(_trietest_cases()))
def test_trietest_vectors(case: dict[str, Any]) -> None:
    pairs = [(_vector_bytes(k), _vector_bytes(v)) for k, v in case["in"]]
    expected = parse_hex(case["root"])
    assert trie_root(pairs) == expected
    incremental = Trie()
    for k, v in pairs:
        incremental.set(k, v)
    assert incremental.root() == expected
    assert Trie(pairs).root() == expected


def test_secure_trie_vectors() -> None:
    cases = json.loads((VECTORS / "hex_encoded_securetrie_test.json").read_text())
    for case in cases.values():
        pairs = [(_vector_bytes(k), _vector_bytes(v)) for k, v in case["data"]]
        assert trie_root(pairs, secure=True) == parse_hex(case["result"])
        trie = Trie(secure=True)
        for k, v in pairs:
            trie.set(k, v)
        assert trie.root() == parse_hex(case["result"])
        for k, v in pairs:
            assert verify_proof(trie.root(), k, trie.proof(k), secure=True) == v


def test_empty_trie() -> None:
    assert trie_root({}) == EMPTY_TRIE_ROOT == keccak256(b"\x80")
    assert Trie().root() == EMPTY_TRIE_ROOT
    assert make_proof({}, b"k") == []
    assert verify_proof(EMPTY_TRIE_ROOT, b"k", []) is None
    assert HexaryTrie.get_from_proof(EMPTY_TRIE_ROOT, b"k", []) == b""


# --- hand-written RLP ---------------------------------------------------------------------


@given(st.lists(st.binary(max_size=300), max_size=20))
@FAST
def test_node_rlp_matches_rlp_package(items: list[bytes]) -> None:
    for item in items:
        assert _rlp_string(item) == rlp.encode(item)
    assert _rlp_list(b"".join(_rlp_string(i) for i in items)) == rlp.encode(items)


@given(ops)
@FAST
def test_every_node_encoding_matches_rlp_package(changes: list[tuple[bytes, bytes]]) -> None:
    trie = Trie(changes)
    for k, _ in changes:
        for node in trie.proof(k):
            assert rlp.encode(rlp.decode(node)) == node


# --- roots and the incremental trie against HexaryTrie ------------------------------------


@given(ops, st.booleans())
@FAST
def test_root_matches_hexary_trie(changes: list[tuple[bytes, bytes]], secure: bool) -> None:
    table = _apply({}, changes)
    assert trie_root(changes, secure=secure) == _hexary(table, secure).root_hash
    assert trie_root(table, secure=secure) == _hexary(table, secure).root_hash


@given(ops, ops, ops, st.booleans())
@FAST
def test_incremental_trie_with_diverging_snapshots(
    first: list[tuple[bytes, bytes]],
    left: list[tuple[bytes, bytes]],
    right: list[tuple[bytes, bytes]],
    secure: bool,
) -> None:
    trie = Trie(secure=secure)
    reference = HexaryTrie({})
    table: dict[bytes, bytes] = {}
    for k, v in first:
        trie.set(k, v)
        path = keccak256(k) if secure else k
        if v:
            reference.set(path, v)
        else:
            reference.delete(path)
        table = _apply(table, [(k, v)])
        assert trie.root() == reference.root_hash
    snapshot = trie.copy()
    frozen_root = trie.root()
    for k, v in left:
        if v:
            trie.set(k, v)
        else:
            trie.delete(k)
    for k, v in right:
        snapshot.set(k, v)
    for target, extra in ((trie, left), (snapshot, right)):
        expected = _apply(table, extra)
        assert target.root() == trie_root(expected, secure=secure)
        assert len(target) == len(expected)
        for k in {k for k, _ in first + left + right}:
            assert target.get(k) == expected.get(k)
        hashed = {(keccak256(k) if secure else k): v for k, v in expected.items()}
        assert list(target.items()) == sorted(hashed.items())
    # A snapshot taken earlier is untouched by both branches.
    again = Trie(table.items(), secure=secure)
    assert again.root() == frozen_root


def test_copy_is_independent() -> None:
    base = Trie({b"a": b"1", b"ab": b"2"})
    snap = base.copy()
    base.set(b"a", b"changed")
    base.delete(b"ab")
    assert snap.get(b"a") == b"1"
    assert snap.get(b"ab") == b"2"
    assert snap.root() == trie_root({b"a": b"1", b"ab": b"2"})
    assert base.root() == trie_root({b"a": b"changed"})


# --- proofs ------------------------------------------------------------------------------


@given(ops, st.lists(keys, max_size=5), st.booleans())
@FAST
def test_proofs_agree_with_hexary_trie(
    changes: list[tuple[bytes, bytes]], extra: list[bytes], secure: bool
) -> None:
    table = _apply({}, changes)
    trie = Trie(changes, secure=secure)
    reference = _hexary(table, secure)
    root = trie.root()
    assert root == reference.root_hash
    for key in [k for k, _ in changes] + extra:
        path = keccak256(key) if secure else key
        proof = make_proof(changes, key, secure=secure)
        assert proof == trie.proof(key)
        assert verify_proof(root, key, proof, secure=secure) == table.get(key)
        # Ours verified by theirs.
        decoded = [rlp.decode(n) for n in proof]
        try:
            theirs_value = HexaryTrie.get_from_proof(root, path, decoded)
        except TrieValidationError:
            # trie 4.0 bug: a key ending inside an extension's path fails its traversal
            # (HexaryTrie.get on the full trie raises the same), so there is nothing to compare.
            pass
        else:
            assert theirs_value == table.get(key, b"")
        # Theirs verified by ours, and it is the same node list.
        theirs = _their_proof_as_ours(reference.get_proof(path))
        assert theirs == proof
        assert verify_proof(root, path, theirs) == table.get(key)


def test_inline_nodes_in_proofs() -> None:
    # Short keys and values: the root extension and its branch are hashed, the
    # leaves under the branch are inline in it and not listed on their own.
    pairs = {b"\x01": b"a", b"\x02": b"b", b"\x01\x05": b"c"}
    trie = Trie(pairs)
    for key, value in pairs.items():
        proof = trie.proof(key)
        assert len(proof) == 2
        assert verify_proof(trie.root(), key, proof) == value
    assert verify_proof(trie.root(), b"\x03", trie.proof(b"\x03")) is None


# --- multiproofs and the partial trie --------------------------------------------------------


class _RecordingPartialTrie(PartialTrie):
    """A partial trie over the full node set that records which nodes it opens."""

    __slots__ = ("opened",)

    def __init__(self, root: bytes, nodes: list[bytes]) -> None:
        super().__init__(root, nodes)
        self.opened: dict[bytes, None] = {}

    def _resolve(self, stub: HashNode) -> Any:
        self.opened[self._db[stub.node_hash]] = None
        return super()._resolve(stub)


def _all_nodes(trie: Trie) -> list[bytes]:
    return make_multiproof(trie, [k for k, _ in trie.items()])


@given(ops, ops)
@FAST
def test_partial_trie_reaches_same_post_root(
    pre: list[tuple[bytes, bytes]], block: list[tuple[bytes, bytes]]
) -> None:
    full = Trie(pre)
    root = full.root()
    touched = [k for k, _ in block]
    witness = make_multiproof(full, touched)
    assert len(witness) == len(set(witness))
    post = full.copy()
    for k, v in block:
        post.set(k, v)

    partial = PartialTrie(root, witness)
    for k in touched:
        assert partial.get(k) == full.get(k)
    try:
        for k, v in block:
            partial.set(k, v)
    except MissingTrieNode:
        # Only a delete collapsing a branch onto an unwitnessed sibling may need more.
        assert any(not v for _, v in block)
    else:
        assert partial.root() == post.root()

    # The nodes a run actually opens form a sufficient witness.
    recorder = _RecordingPartialTrie(root, _all_nodes(full))
    for k, v in block:
        recorder.set(k, v)
    assert recorder.root() == post.root()
    exact = PartialTrie(root, list(recorder.opened))
    for k, v in block:
        exact.set(k, v)
    assert exact.root() == post.root()
    for k in touched:
        assert exact.get(k) == post.get(k)


def test_partial_trie_delete_needs_sibling() -> None:
    # Two long values under one branch: deleting one merges the branch into the other.
    pairs = {b"\x10": b"x" * 40, b"\x20": b"y" * 40}
    full = Trie(pairs)
    partial = PartialTrie(full.root(), make_multiproof(full, [b"\x10"]))
    with pytest.raises(MissingTrieNode) as info:
        partial.delete(b"\x10")
    assert len(info.value.node_hash) == 32
    covered = PartialTrie(full.root(), make_multiproof(full, [b"\x10", b"\x20"]))
    covered.delete(b"\x10")
    assert covered.root() == trie_root({b"\x20": b"y" * 40})


def test_partial_trie_missing_node() -> None:
    full = Trie({bytes([i]) * 3: bytes([i]) * 40 for i in range(20)})
    partial = PartialTrie(full.root(), make_multiproof(full, [b"\x00\x00\x00"]))
    assert partial.get(b"\x00\x00\x00") == b"\x00" * 40
    with pytest.raises(MissingTrieNode):
        partial.get(b"\x05\x05\x05")
    with pytest.raises(MissingTrieNode):
        partial.set(b"\x05\x05\x06", b"v")
    assert PartialTrie(EMPTY_TRIE_ROOT, []).get(b"a") is None


def test_secure_multiproof_for_state() -> None:
    accounts = {bytes([i]) * 20: bytes([i + 1]) * 70 for i in range(50)}
    state = Trie(accounts, secure=True)
    touched = [bytes([3]) * 20, bytes([7]) * 20, b"\xee" * 20]
    partial = PartialTrie(state.root(), make_multiproof(state, touched), secure=True)
    post = state.copy()
    for key in touched:
        partial.set(key, b"new" * 30)
        post.set(key, b"new" * 30)
    assert partial.root() == post.root()


# --- tampered and garbage proofs -------------------------------------------------------------

_REJECT = (InvalidProof, MalformedProof)


def _must_reject(root: bytes, key: bytes, proof: list[bytes]) -> None:
    with pytest.raises(_REJECT):
        verify_proof(root, key, proof)


big_pairs = st.dictionaries(st.binary(min_size=1, max_size=6), values, min_size=1, max_size=30)


@given(big_pairs, st.data())
@FAST
def test_tampered_proofs_are_rejected(pairs: dict[bytes, bytes], data: st.DataObject) -> None:
    trie = Trie(pairs)
    root = trie.root()
    key = data.draw(st.sampled_from(sorted(pairs)) | keys)
    proof = trie.proof(key)
    assert verify_proof(root, key, proof) == pairs.get(key)
    n = len(proof)

    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.integers(0, len(proof[i]) - 1))
    flip = data.draw(st.integers(1, 255))
    flipped = bytearray(proof[i])
    flipped[j] ^= flip
    _must_reject(root, key, [*proof[:i], bytes(flipped), *proof[i + 1 :]])

    _must_reject(root, key, proof[:i] + proof[i + 1 :])
    extra = data.draw(st.binary(max_size=80) | st.sampled_from(proof))
    _must_reject(root, key, [*proof, extra])
    _must_reject(root, key, [extra, *proof])
    if n > 1:
        a, b = sorted(
            data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
        )
        swapped = list(proof)
        swapped[a], swapped[b] = swapped[b], swapped[a]
        _must_reject(root, key, swapped)
    _must_reject(b"\x00" * 32, key, proof)
    _must_reject(root[:31], key, proof)


rlp_items = st.recursive(
    st.binary(max_size=40),
    lambda inner: (
        st.lists(inner, min_size=0, max_size=17)
        | st.lists(inner, min_size=2, max_size=2)
        | st.lists(inner, min_size=17, max_size=17)
    ),
    max_leaves=40,
)


@given(st.lists(st.binary(max_size=120), max_size=6), keys)
@FAST
def test_garbage_bytes_only_raise_typed_errors(garbage: list[bytes], key: bytes) -> None:
    for root in (keccak256(garbage[0]) if garbage else EMPTY_TRIE_ROOT, b"\x11" * 32):
        with contextlib.suppress(*_REJECT):
            verify_proof(root, key, garbage)


@given(st.lists(rlp_items, min_size=1, max_size=4), keys)
@FAST
def test_garbage_rlp_nodes_only_raise_typed_errors(items: list[Any], key: bytes) -> None:
    proof = [rlp.encode(i) for i in items]
    # Chain the hashes so the walk reaches deeper garbage nodes.
    root = Hash32(keccak256(proof[0]))
    _exercise(root, key, proof)


def _exercise(root: bytes, key: bytes, proof: list[bytes]) -> None:
    """Verify and replay ``proof``; anything but the typed errors fails the test."""
    with contextlib.suppress(*_REJECT):
        verify_proof(root, key, proof)
    with contextlib.suppress(*_REJECT, MissingTrieNode):
        partial = PartialTrie(root, proof)
        partial.get(key)
        partial.set(key, b"v")
        partial.delete(key + b"\x00")
        partial.root()


@given(big_pairs, st.data())
@FAST
def test_rechained_mutations_only_raise_typed_errors(
    pairs: dict[bytes, bytes], data: st.DataObject
) -> None:
    # Replace one element of one decoded node, then fix every hash above it,
    # so the verifier gets past the hash checks into the mutated structure.
    trie = Trie(pairs)
    key = data.draw(st.sampled_from(sorted(pairs)) | keys)
    proof = trie.proof(key)
    i = data.draw(st.integers(0, len(proof) - 1))
    item = rlp.decode(proof[i])
    j = data.draw(st.integers(0, len(item) - 1))
    item[j] = data.draw(rlp_items)
    mutated = list(proof)
    mutated[i] = rlp.encode(item)
    for up in range(i, 0, -1):
        old, new = keccak256(proof[up]), keccak256(mutated[up])
        mutated[up - 1] = mutated[up - 1].replace(old, new)
    _exercise(keccak256(mutated[0]), key, mutated)


@pytest.mark.parametrize("depth", [20, 100, 400, 5000])
def test_deeply_nested_node_is_malformed(depth: int) -> None:
    # Built by hand: the rlp package itself recurses on nesting this deep.
    node = _rlp_list(_rlp_string(b"\x20") + _rlp_string(b"v"))
    for _ in range(depth):
        node = _rlp_list(_rlp_string(b"\x00\x01") + node)
    with pytest.raises(MalformedProof):
        verify_proof(keccak256(node), b"\x01" * 8, [node])


@pytest.mark.parametrize(
    "proof",
    [[b""], [b"\xc0"], [b"\x80"], [b"\xc2\x80\x80"], [b"\xff" * 40], [rlp.encode([b"\x40", b"v"])]],
)
def test_bad_single_nodes(proof: list[bytes]) -> None:
    _must_reject(keccak256(proof[0]), b"k", proof)


def test_non_bytes_proofs_rejected() -> None:
    root = Trie({b"a": b"b"}).root()
    for bad in ([1, 2], ["x"], [None], b"abc"):
        with pytest.raises(_REJECT):
            verify_proof(root, b"a", bad)  # type: ignore[arg-type]


def test_branch_node_encoding_is_17_items() -> None:
    node = BranchNode((None,) * 16, b"v")
    assert rlp.decode(encode_node(node)) == [b""] * 16 + [b"v"]
