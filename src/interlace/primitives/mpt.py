"""Ethereum Merkle-Patricia trie: roots, EIP-1186 proofs, a persistent mutable trie.

This module owns the hexary Merkle-Patricia trie of the Yellow Paper
(appendix D) as Ethereum clients build it: ``trie_root`` for a batch of
pairs, ``make_proof``/``verify_proof`` for EIP-1186 inclusion and absence
proofs, ``Trie`` for mutable account state whose nodes are immutable and
cache their hash (so updating a few keys re-hashes only the changed paths and
``copy`` is an O(1) snapshot sharing structure), and ``PartialTrie`` plus
``make_multiproof`` for stateless re-execution against a witness. Node RLP is
written by hand on the hot path (it is only ever lists of byte strings); the
tests check it against the ``rlp`` package. Nibble paths are lower-case hex
strings, one character per nibble, so slicing, comparing and hex-prefix
encoding all run in C.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final, TypeAlias

from interlace.primitives.errors import (
    InputError,
    InvalidProof,
    MalformedProof,
    MalformedRLP,
)
from interlace.primitives.hashing import keccak256
from interlace.primitives.rlp_codec import RLPItem, decode_rlp
from interlace.primitives.types import Hash32

__all__ = [
    "EMPTY_TRIE_ROOT",
    "MissingTrieNode",
    "PartialTrie",
    "Trie",
    "make_multiproof",
    "make_proof",
    "trie_root",
    "verify_proof",
]

EMPTY_TRIE_ROOT: Final = Hash32(
    bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
)
"""keccak256(rlp(b"")): the root of a trie with no keys."""

_NIBBLE: Final = {c: i for i, c in enumerate("0123456789abcdef")}
_HEX: Final = "0123456789abcdef"
_EMPTY_STRING: Final = b"\x80"


class MissingTrieNode(InputError):
    """A ``PartialTrie`` operation needs a node that the witness does not hold."""

    def __init__(self, node_hash: bytes) -> None:
        super().__init__(f"witness lacks trie node 0x{node_hash.hex()}")
        self.node_hash = node_hash
        """keccak256 of the missing node's RLP."""


# --- nodes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeafNode:
    """A leaf: the rest of the key path and the (non-empty) value."""

    path: str
    """Remaining key nibbles, one lower-case hex character each."""
    value: bytes
    """The stored value; never empty (empty means absent)."""
    ref: bytes | None = field(default=None, compare=False, repr=False)
    """Cached reference as embedded in a parent: the RLP if < 32 bytes, else 0xa0‖hash."""


@dataclass(frozen=True, slots=True)
class ExtensionNode:
    """An extension: a shared run of nibbles leading to one branch."""

    path: str
    """Shared nibbles (at least one), one lower-case hex character each."""
    child: "Node"
    """The node the run leads to (a branch, or a hash stub in a partial trie)."""
    ref: bytes | None = field(default=None, compare=False, repr=False)
    """Cached reference as embedded in a parent."""


@dataclass(frozen=True, slots=True)
class BranchNode:
    """A branch: sixteen children by next nibble and the value of a key ending here."""

    children: "tuple[Node | None, ...]"
    """Exactly sixteen entries; ``None`` where no key continues with that nibble."""
    value: bytes
    """Value of the key that ends at this branch, or empty."""
    ref: bytes | None = field(default=None, compare=False, repr=False)
    """Cached reference as embedded in a parent."""


@dataclass(frozen=True, slots=True)
class HashNode:
    """A subtree known only by its hash (a partial trie has not resolved it yet)."""

    node_hash: Hash32
    """keccak256 of the subtree's root node RLP."""

    @property
    def ref(self) -> bytes:
        """Reference as embedded in a parent: 0xa0‖hash."""
        return b"\xa0" + self.node_hash


Node: TypeAlias = LeafNode | ExtensionNode | BranchNode | HashNode
"""Any trie node; ``None`` stands for the empty trie."""

_set_attr = object.__setattr__


# --- hand-written RLP for nodes -------------------------------------------------


def _rlp_string(data: bytes) -> bytes:
    """RLP of one byte string."""
    n = len(data)
    if n == 1 and data[0] < 0x80:
        return data
    if n < 56:
        return bytes((0x80 + n,)) + data
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0xB7 + len(size),)) + size + data


def _rlp_list(payload: bytes) -> bytes:
    """RLP list header prepended to the concatenated RLP of its items."""
    n = len(payload)
    if n < 56:
        return bytes((0xC0 + n,)) + payload
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0xF7 + len(size),)) + size + payload


def _hex_prefix(path: str, leaf: bool) -> bytes:
    """Compact (hex-prefix) encoding of a nibble path with the leaf flag."""
    if len(path) & 1:
        return bytes.fromhex(("3" if leaf else "1") + path)
    return bytes.fromhex(("20" if leaf else "00") + path)


def encode_node(node: Node) -> bytes:
    """RLP of one node, with children by reference (hashes or inline RLP)."""
    if isinstance(node, BranchNode):
        # Most children's references are cached: read them without a call.
        parts = [_EMPTY_STRING if c is None else (c.ref or node_ref(c)) for c in node.children]
        parts.append(_rlp_string(node.value) if node.value else _EMPTY_STRING)
        return _rlp_list(b"".join(parts))
    if isinstance(node, LeafNode):
        return _rlp_list(_rlp_string(_hex_prefix(node.path, True)) + _rlp_string(node.value))
    if isinstance(node, ExtensionNode):
        return _rlp_list(_rlp_string(_hex_prefix(node.path, False)) + node_ref(node.child))
    raise TypeError("a hash stub has no encoding of its own")


def node_ref(node: Node) -> bytes:
    """Reference to ``node`` as its parent embeds it; computed once and cached."""
    ref = node.ref
    if ref is None:
        enc = encode_node(node)
        ref = enc if len(enc) < 32 else b"\xa0" + keccak256(enc)
        _set_attr(node, "ref", ref)
    return ref


def _root_hash(node: Node | None) -> Hash32:
    """Hash of the trie rooted at ``node`` (``EMPTY_TRIE_ROOT`` for ``None``)."""
    if node is None:
        return EMPTY_TRIE_ROOT
    ref = node_ref(node)
    # The root is always hashed, even when its RLP is short enough to inline.
    return Hash32(ref[1:]) if len(ref) == 33 else keccak256(ref)


# --- building from a batch ------------------------------------------------------


def _pairs_table(
    pairs: "Mapping[bytes, bytes] | Iterable[tuple[bytes, bytes]]", secure: bool
) -> dict[str, bytes]:
    """Path → value after applying pairs in order (an empty value deletes)."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    table: dict[str, bytes] = {}
    for key, value in items:
        path = (keccak256(key) if secure else key).hex()
        if value:
            table[path] = bytes(value)
        else:
            table.pop(path, None)
    return table


def _build(paths: list[str], values: list[bytes], lo: int, hi: int, depth: int) -> Node:
    """Node holding sorted ``paths[lo:hi]``, which all agree on their first ``depth`` nibbles."""
    first = paths[lo]
    if hi - lo == 1:
        return LeafNode(first[depth:], values[lo])
    last = paths[hi - 1]
    # Sorted order: the prefix shared by first and last is shared by all.
    end = min(len(first), len(last))
    k = depth
    while k < end and first[k] == last[k]:
        k += 1
    if k > depth:
        return ExtensionNode(first[depth:k], _build(paths, values, lo, hi, k))
    children: list[Node | None] = [None] * 16
    value = b""
    i = lo
    if len(first) == depth:
        value = values[lo]
        i += 1
    nibble = _NIBBLE
    while i < hi:
        c = paths[i][depth]
        j = i + 1
        while j < hi and paths[j][depth] == c:
            j += 1
        children[nibble[c]] = _build(paths, values, i, j, depth + 1)
        i = j
    return BranchNode(tuple(children), value)


def _build_table(table: dict[str, bytes]) -> Node | None:
    """Root node of a trie holding ``table`` (path → non-empty value)."""
    if not table:
        return None
    paths = sorted(table)
    return _build(paths, [table[p] for p in paths], 0, len(paths), 0)


def _subtrie_ref(paths: list[str], values: list[bytes], lo: int, hi: int, depth: int) -> bytes:
    """``node_ref`` of ``_build(paths, values, lo, hi, depth)`` without building the nodes.

    ``trie_root`` only needs the hashes: skipping the node objects (and their
    cached references) makes a block's transactions and receipts roots about
    twice as fast. The tests check it against ``_build`` and the ``trie`` package.
    """
    first = paths[lo]
    if hi - lo == 1:
        enc = _rlp_list(_rlp_string(_hex_prefix(first[depth:], True)) + _rlp_string(values[lo]))
    else:
        last = paths[hi - 1]
        end = min(len(first), len(last))
        k = depth
        while k < end and first[k] == last[k]:
            k += 1
        if k > depth:
            child = _subtrie_ref(paths, values, lo, hi, k)
            enc = _rlp_list(_rlp_string(_hex_prefix(first[depth:k], False)) + child)
        else:
            parts = [_EMPTY_STRING] * 16
            value = b""
            i = lo
            if len(first) == depth:
                value = values[lo]
                i += 1
            nibble = _NIBBLE
            while i < hi:
                c = paths[i][depth]
                j = i + 1
                while j < hi and paths[j][depth] == c:
                    j += 1
                parts[nibble[c]] = _subtrie_ref(paths, values, i, j, depth + 1)
                i = j
            parts.append(_rlp_string(value))
            enc = _rlp_list(b"".join(parts))
    return enc if len(enc) < 32 else b"\xa0" + keccak256(enc)


def trie_root(
    pairs: Mapping[bytes, bytes] | Iterable[tuple[bytes, bytes]], secure: bool = False
) -> Hash32:
    """Root of the trie holding ``pairs``.

    ``pairs`` is a mapping or an iterable of (key, value) applied in order; an
    empty value means absent (it deletes an earlier pair), as in Ethereum.
    With ``secure`` every key is replaced by its keccak256 (the state trie).
    """
    table = _pairs_table(pairs, secure)
    if not table:
        return EMPTY_TRIE_ROOT
    paths = sorted(table)
    ref = _subtrie_ref(paths, [table[p] for p in paths], 0, len(paths), 0)
    # The root is always hashed, even when its RLP is short enough to inline.
    return Hash32(ref[1:]) if len(ref) == 33 else keccak256(ref)


# --- operations on persistent nodes ---------------------------------------------

_Resolver: TypeAlias = Callable[[HashNode], Node]


def _no_stubs(stub: HashNode) -> Node:
    """Resolver of a full trie, which never holds stubs."""
    raise MissingTrieNode(stub.node_hash)


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix of two nibble paths."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _lookup(node: Node | None, path: str, resolve: _Resolver) -> bytes | None:
    """Value at ``path`` under ``node``, or ``None``."""
    pos = 0
    while node is not None:
        if isinstance(node, HashNode):
            node = resolve(node)
        if isinstance(node, LeafNode):
            return node.value if path[pos:] == node.path else None
        if isinstance(node, ExtensionNode):
            if not path.startswith(node.path, pos):
                return None
            pos += len(node.path)
            node = node.child
        elif isinstance(node, BranchNode):
            if pos == len(path):
                return node.value or None
            node = node.children[_NIBBLE[path[pos]]]
            pos += 1
    return None


def _pair_leaves(path_a: str, value_a: bytes, path_b: str, value_b: bytes) -> Node:
    """Smallest subtree holding two different paths with their values."""
    k = _common_prefix(path_a, path_b)
    children: list[Node | None] = [None] * 16
    value = b""
    for p, v in ((path_a, value_a), (path_b, value_b)):
        if len(p) == k:
            value = v
        else:
            children[_NIBBLE[p[k]]] = LeafNode(p[k + 1 :], v)
    branch = BranchNode(tuple(children), value)
    return ExtensionNode(path_b[:k], branch) if k else branch


def _with_prefix(prefix: str, node: Node) -> Node:
    """``node`` moved ``prefix`` nibbles deeper: merge into a leaf/extension or add one.

    A stub passed here must stand for a branch (an extension's child).
    """
    if not prefix:
        return node
    if isinstance(node, LeafNode):
        return LeafNode(prefix + node.path, node.value)
    if isinstance(node, ExtensionNode):
        return ExtensionNode(prefix + node.path, node.child)
    return ExtensionNode(prefix, node)


def _insert(
    node: Node | None, path: str, value: bytes, resolve: _Resolver
) -> tuple[Node | None, bytes | None]:
    """(New root, previous value) after setting ``path`` to non-empty ``value``.

    Only the path is copied; if ``path`` already holds ``value`` the root is
    returned unchanged, keeping every cached hash.
    """
    root = node
    stack: list[tuple[Node, int]] = []
    pos = 0
    while True:
        if node is None:
            new: Node = LeafNode(path[pos:], value)
            break
        if isinstance(node, HashNode):
            node = resolve(node)
        rest = path[pos:]
        if isinstance(node, LeafNode):
            if rest == node.path:
                if node.value == value:
                    return root, value
                return _rebuild(stack, LeafNode(rest, value)), node.value
            new = _pair_leaves(node.path, node.value, rest, value)
            break
        if isinstance(node, ExtensionNode):
            if rest.startswith(node.path):
                stack.append((node, 0))
                pos += len(node.path)
                node = node.child
                continue
            # Split the run: the old child keeps what follows the divergence.
            k = _common_prefix(rest, node.path)
            old = _with_prefix(node.path[k + 1 :], node.child)
            children: list[Node | None] = [None] * 16
            children[_NIBBLE[node.path[k]]] = old
            branch_value = b""
            if len(rest) == k:
                branch_value = value
            else:
                children[_NIBBLE[rest[k]]] = LeafNode(rest[k + 1 :], value)
            branch = BranchNode(tuple(children), branch_value)
            new = ExtensionNode(rest[:k], branch) if k else branch
            break
        assert isinstance(node, BranchNode)
        if not rest:
            if node.value == value:
                return root, value
            return _rebuild(stack, BranchNode(node.children, value)), node.value or None
        nib = _NIBBLE[rest[0]]
        stack.append((node, nib))
        pos += 1
        node = node.children[nib]
    return _rebuild(stack, new), None


def _rebuild(stack: list[tuple[Node, int]], new: Node) -> Node:
    """Copy the parents on ``stack`` (deepest last) around a replaced child."""
    for parent, nib in reversed(stack):
        if isinstance(parent, ExtensionNode):
            new = ExtensionNode(parent.path, new)
        else:
            assert isinstance(parent, BranchNode)
            children = list(parent.children)
            children[nib] = new
            new = BranchNode(tuple(children), parent.value)
    return new


def _collapse(children: list[Node | None], value: bytes, resolve: _Resolver) -> Node | None:
    """Canonical node for a branch that may have lost an entry.

    With one child left and no value, the branch merges into that child,
    which must then be resolved (a partial trie needs the sibling's node).
    """
    live = [i for i, c in enumerate(children) if c is not None]
    if len(live) + (1 if value else 0) >= 2:
        return BranchNode(tuple(children), value)
    if not live:
        return LeafNode("", value) if value else None
    only = children[live[0]]
    assert only is not None
    if isinstance(only, HashNode):
        only = resolve(only)
    return _with_prefix(_HEX[live[0]], only)


def _remove(node: Node | None, path: str, resolve: _Resolver) -> Node | None:
    """New root after deleting ``path`` (unchanged root object if it was absent)."""
    root = node
    stack: list[tuple[Node, int]] = []
    pos = 0
    while True:
        if node is None:
            return root
        if isinstance(node, HashNode):
            node = resolve(node)
        if isinstance(node, LeafNode):
            if path[pos:] != node.path:
                return root
            new: Node | None = None
            break
        if isinstance(node, ExtensionNode):
            if not path.startswith(node.path, pos):
                return root
            stack.append((node, 0))
            pos += len(node.path)
            node = node.child
            continue
        assert isinstance(node, BranchNode)
        if pos == len(path):
            if not node.value:
                return root
            new = _collapse(list(node.children), b"", resolve)
            break
        nib = _NIBBLE[path[pos]]
        stack.append((node, nib))
        pos += 1
        node = node.children[nib]
    for parent, nib in reversed(stack):
        if isinstance(parent, ExtensionNode):
            new = None if new is None else _with_prefix(parent.path, new)
        else:
            assert isinstance(parent, BranchNode)
            children = list(parent.children)
            children[nib] = new
            if new is None:
                new = _collapse(children, parent.value, resolve)
            else:
                new = BranchNode(tuple(children), parent.value)
    return new


def _walk_proof(node: Node | None, path: str, resolve: _Resolver) -> list[bytes]:
    """Hashed nodes (RLP) on the way to ``path``: the EIP-1186 proof, root first."""
    out: list[bytes] = []
    pos = 0
    while node is not None:
        if isinstance(node, HashNode):
            node = resolve(node)
        enc = encode_node(node)
        if not out or len(enc) >= 32:
            # Inline children are already inside their parent's RLP.
            out.append(enc)
        if isinstance(node, LeafNode):
            break
        if isinstance(node, ExtensionNode):
            if not path.startswith(node.path, pos):
                break
            pos += len(node.path)
            node = node.child
        else:
            assert isinstance(node, BranchNode)
            if pos == len(path):
                break
            node = node.children[_NIBBLE[path[pos]]]
            pos += 1
    return out


def _iterate(node: Node | None, prefix: str) -> Iterator[tuple[str, bytes]]:
    """(path, value) under ``node`` in key order; depth-first with an explicit stack."""
    stack: list[tuple[Node | None, str]] = [(node, prefix)]
    while stack:
        current, pre = stack.pop()
        if current is None:
            continue
        if isinstance(current, LeafNode):
            yield pre + current.path, current.value
        elif isinstance(current, ExtensionNode):
            stack.append((current.child, pre + current.path))
        elif isinstance(current, BranchNode):
            if current.value:
                yield pre, current.value
            stack.extend(
                (current.children[i], pre + _HEX[i])
                for i in range(15, -1, -1)
                if current.children[i] is not None
            )
        else:
            raise MissingTrieNode(current.node_hash)


_SECURE_PATHS: dict[bytes, str] = {}
"""keccak256(key).hex() of recently used secure keys: the same accounts and slots recur."""
_SECURE_PATHS_LIMIT: Final = 1 << 14


def _key_path(key: bytes, secure: bool) -> str:
    """Nibble path of ``key`` (of its keccak256 when ``secure``)."""
    if not secure:
        return key.hex()
    if type(key) is not bytes:  # a bytearray or memoryview cannot be a dict key
        return keccak256(key).hex()
    path = _SECURE_PATHS.get(key)
    if path is None:
        path = keccak256(key).hex()
        if len(_SECURE_PATHS) >= _SECURE_PATHS_LIMIT:
            _SECURE_PATHS.clear()
        _SECURE_PATHS[key] = path
    return path


# --- the mutable trie -------------------------------------------------------------


class Trie:
    """A mutable trie over persistent nodes: cheap re-rooting and O(1) snapshots.

    Every update copies only the nodes on the key's path; untouched subtrees,
    and their cached hashes, are shared with earlier versions and with
    copies. With ``secure`` keys are hashed with keccak256 (Ethereum's state
    and storage tries), and ``items`` then yields the hashed keys.
    """

    __slots__ = ("_root", "_size", "secure")

    def __init__(
        self,
        pairs: Mapping[bytes, bytes] | Iterable[tuple[bytes, bytes]] | None = None,
        secure: bool = False,
    ) -> None:
        """Start from ``pairs`` (applied in order, empty values delete), or empty."""
        table = _pairs_table(pairs, secure) if pairs is not None else {}
        self.secure = secure
        self._root: Node | None = _build_table(table)
        self._size = len(table)

    def get(self, key: bytes) -> bytes | None:
        """Value stored at ``key``, or ``None``."""
        return _lookup(self._root, _key_path(key, self.secure), _no_stubs)

    def set(self, key: bytes, value: bytes) -> None:
        """Store ``value`` at ``key``; an empty value deletes the key."""
        if not value:
            self.delete(key)
            return
        self._root, old = _insert(self._root, _key_path(key, self.secure), bytes(value), _no_stubs)
        if old is None:
            self._size += 1

    def delete(self, key: bytes) -> None:
        """Remove ``key`` if present."""
        before = self._root
        self._root = _remove(before, _key_path(key, self.secure), _no_stubs)
        if self._root is not before:
            self._size -= 1

    def root(self) -> Hash32:
        """Root hash; re-hashes only nodes created since the last call."""
        return _root_hash(self._root)

    def proof(self, key: bytes) -> list[bytes]:
        """EIP-1186 proof of ``key`` (inclusion or absence): node RLPs from the root down."""
        return _walk_proof(self._root, _key_path(key, self.secure), _no_stubs)

    def copy(self) -> "Trie":
        """An independent snapshot in O(1): nodes are immutable and shared."""
        clone = Trie(secure=self.secure)
        clone._root = self._root
        clone._size = self._size
        return clone

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """(trie key, value) pairs in key order; trie keys are hashed if ``secure``."""
        for path, value in _iterate(self._root, ""):
            yield bytes.fromhex(path), value

    def __len__(self) -> int:
        """Number of keys held."""
        return self._size


def make_proof(
    pairs: Mapping[bytes, bytes] | Iterable[tuple[bytes, bytes]], key: bytes, secure: bool = False
) -> list[bytes]:
    """EIP-1186 proof for ``key`` in the trie of ``pairs``: node RLPs from the root down.

    Works for absent keys too (the path ends where the key diverges). Nodes
    shorter than 32 bytes are inline in their parent and not listed
    separately, except a short root.
    """
    return Trie(pairs, secure=secure).proof(key)


def make_multiproof(
    pairs_or_trie: "Trie | Mapping[bytes, bytes] | Iterable[tuple[bytes, bytes]]",
    keys: Iterable[bytes],
) -> list[bytes]:
    """Deduplicated union of the proofs of ``keys`` (first-seen order).

    Pass a ``Trie`` built with ``secure=True`` for a state witness; raw pairs
    build a plain (non-secure) trie. A witness for deleting a key must also
    hold the node of a branch's remaining sibling when the delete collapses
    that branch; prove the sibling's key too (see ``PartialTrie``).
    """
    trie = pairs_or_trie if isinstance(pairs_or_trie, Trie) else Trie(pairs_or_trie)
    seen: dict[bytes, None] = {}
    for key in keys:
        seen.update(dict.fromkeys(trie.proof(key)))
    return list(seen)


# --- decoding untrusted nodes ---------------------------------------------------------


def _decode_hex_prefix(raw: bytes) -> tuple[str, bool]:
    """Nibble path and leaf flag from compact encoding; rejects non-canonical padding."""
    if not raw:
        raise MalformedProof("empty hex-prefix path")
    flag = raw[0] >> 4
    if flag > 3:
        raise MalformedProof("hex-prefix flag out of range")
    text = raw.hex()
    if flag & 1:
        return text[1:], flag >= 2
    if raw[0] & 0x0F:
        raise MalformedProof("hex-prefix padding nibble is not zero")
    return text[2:], flag >= 2


_MAX_INLINE_DEPTH: Final = 16
"""Inline nodes are < 32 bytes and each level costs >= 2 bytes, so nesting is shallow."""


def _node_from_item(item: RLPItem, depth: int = 0) -> Node:
    """Turn one decoded RLP node into a node; children by hash become stubs."""
    if depth > _MAX_INLINE_DEPTH:
        raise MalformedProof("inline nodes nested too deeply")
    if not isinstance(item, list):
        raise MalformedProof("a trie node is an RLP list")
    if len(item) == 2:
        raw_path, second = item
        if not isinstance(raw_path, bytes):
            raise MalformedProof("node path is not a byte string")
        path, leaf = _decode_hex_prefix(raw_path)
        if leaf:
            if not isinstance(second, bytes) or not second:
                raise MalformedProof("leaf value must be a non-empty byte string")
            return LeafNode(path, second)
        if not path:
            raise MalformedProof("extension with an empty path")
        child = _child_from_item(second, depth)
        if child is None:
            raise MalformedProof("extension without a child")
        return ExtensionNode(path, child)
    if len(item) == 17:
        value = item[16]
        if not isinstance(value, bytes):
            raise MalformedProof("branch value is not a byte string")
        return BranchNode(tuple(_child_from_item(c, depth) for c in item[:16]), value)
    raise MalformedProof(f"a trie node has 2 or 17 items, not {len(item)}")


def _child_from_item(item: RLPItem, depth: int) -> Node | None:
    """A decoded child slot: empty, a 32-byte hash (a stub) or an inline node."""
    if isinstance(item, bytes):
        if not item:
            return None
        if len(item) != 32:
            raise MalformedProof("child reference is neither a hash nor an inline node")
        return HashNode(Hash32(item))
    node = _node_from_item(item, depth + 1)
    if len(node_ref(node)) >= 32:
        raise MalformedProof("inline child node is 32 bytes or longer")
    return node


def _decode_node(raw: bytes, node_hash: bytes) -> Node:
    """Decode a hashed node's RLP, reusing its known hash as the cached reference."""
    try:
        item = decode_rlp(raw)
    except MalformedRLP as exc:
        raise MalformedProof(f"trie node is not RLP: {exc}") from exc
    node = _node_from_item(item)
    if len(raw) >= 32:
        # A short root keeps a lazily computed inline reference instead.
        _set_attr(node, "ref", b"\xa0" + node_hash)
    return node


# --- proof verification -----------------------------------------------------------------


def verify_proof(root: bytes, key: bytes, proof: list[bytes], secure: bool = False) -> bytes | None:
    """Check an EIP-1186 proof of ``key`` against ``root``; the value, or ``None`` if absent.

    The proof must be exactly the hashed nodes on the key's path, root
    first: a missing, extra, reordered or altered node raises
    ``InvalidProof``, and node bytes that are not a trie node raise
    ``MalformedProof``. The walk is iterative and bounded by the key length.
    """
    if not isinstance(root, bytes) or len(root) != 32:
        raise InvalidProof("root is not a 32-byte hash")
    if not isinstance(key, bytes):
        raise InvalidProof("key is not bytes")
    try:
        nodes = list(proof)
    except TypeError as exc:
        raise MalformedProof("proof is not a list of nodes") from exc
    if not all(isinstance(n, bytes) for n in nodes):
        raise MalformedProof("proof nodes must be bytes")
    if not nodes:
        if root == EMPTY_TRIE_ROOT:
            return None
        raise InvalidProof("empty proof for a non-empty root")
    path = _key_path(key, secure)
    expected: bytes = root
    index = 0
    node: Node | None = None
    pos = 0
    while True:
        if node is None or isinstance(node, HashNode):
            # Next hashed node on the path: must be the next proof entry.
            if index == len(nodes):
                raise InvalidProof("proof ends before the key's path does")
            raw = nodes[index]
            got = keccak256(raw)
            if got != expected:
                raise InvalidProof(f"proof node {index} does not match its reference")
            if index > 0 and len(raw) < 32:
                raise MalformedProof("a hashed node shorter than 32 bytes")
            node = _decode_node(raw, got)
            index += 1
        result: bytes | None
        if isinstance(node, LeafNode):
            result = node.value if path[pos:] == node.path else None
            break
        if isinstance(node, ExtensionNode):
            if not path.startswith(node.path, pos):
                result = None
                break
            pos += len(node.path)
            node = node.child
        else:
            assert isinstance(node, BranchNode)
            if pos == len(path):
                result = node.value or None
                break
            child = node.children[_NIBBLE[path[pos]]]
            pos += 1
            if child is None:
                result = None
                break
            node = child
        if isinstance(node, HashNode):
            expected = node.node_hash
    if index != len(nodes):
        raise InvalidProof("proof has nodes past the end of the key's path")
    return result


# --- the partial (witness) trie ------------------------------------------------------------


class PartialTrie:
    """A trie known only through a witness: a root and some of its nodes, by hash.

    Reads and writes behave as on ``Trie`` while they stay on paths the
    witness covers; touching an unresolved subtree raises
    ``MissingTrieNode``. Untouched subtrees keep their hashes, so ``root``
    after the writes is the post-state root. A witness for deletes must
    also hold the node of the sibling left alone in a branch when the
    delete collapses it (the merge needs to know whether the sibling is a
    leaf, extension or branch); a multiproof that also proves a key under
    that sibling covers it.
    """

    __slots__ = ("_db", "_root", "secure")

    def __init__(
        self,
        root: bytes,
        nodes: Iterable[bytes] | Mapping[bytes, bytes],
        secure: bool = False,
    ) -> None:
        """Start at ``root`` with witness ``nodes`` (node RLPs; re-keyed by their keccak)."""
        if len(root) != 32:
            raise InvalidProof("root is not a 32-byte hash")
        raws = nodes.values() if isinstance(nodes, Mapping) else nodes
        self._db: dict[bytes, bytes] = {keccak256(raw): raw for raw in raws}
        self.secure = secure
        self._root: Node | None = None if root == EMPTY_TRIE_ROOT else HashNode(Hash32(root))

    def _resolve(self, stub: HashNode) -> Node:
        """The witness node behind ``stub``, or ``MissingTrieNode``."""
        raw = self._db.get(stub.node_hash)
        if raw is None:
            raise MissingTrieNode(stub.node_hash)
        return _decode_node(raw, stub.node_hash)

    def get(self, key: bytes) -> bytes | None:
        """Value stored at ``key``, or ``None``; ``MissingTrieNode`` if not witnessed."""
        return _lookup(self._root, _key_path(key, self.secure), self._resolve)

    def set(self, key: bytes, value: bytes) -> None:
        """Store ``value`` at ``key``; an empty value deletes the key."""
        if not value:
            self.delete(key)
            return
        self._root, _old = _insert(
            self._root, _key_path(key, self.secure), bytes(value), self._resolve
        )

    def delete(self, key: bytes) -> None:
        """Remove ``key`` if present (may need a collapsed branch's sibling node)."""
        self._root = _remove(self._root, _key_path(key, self.secure), self._resolve)

    def root(self) -> Hash32:
        """Root hash after the writes so far."""
        return _root_hash(self._root)

    def proof(self, key: bytes) -> list[bytes]:
        """EIP-1186 proof of ``key`` against the current root, if the witness covers it."""
        return _walk_proof(self._root, _key_path(key, self.secure), self._resolve)
