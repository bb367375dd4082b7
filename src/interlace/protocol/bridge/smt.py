"""AggLayer's sparse Merkle tree (``agglayer-tries``' ``Smt<DEPTH>``), for a chain's local
balance tree (depth 192) and nullifier tree (depth 64).

A leaf is a 32-byte value, zero when unset; an inner node is ``keccak256(left ‖ right)``;
the key's bits choose the path from the root down (bit 0 at the root). The empty subtree of
height h has root ``EMPTY_SUBTREE[h]`` (``EMPTY_SUBTREE[0]`` is zero). There is no leaf
hashing and no key mix-in: a value sits in the leaf as it is.

Two proof shapes, as theirs:

- an inclusion proof (``SmtMerkleProof``) is ``depth`` siblings, the leaf's own sibling
  first, and proves the value at a key (zero for an unset key);
- a non-inclusion proof (``SmtNonInclusionProof``) is the siblings from the root down to the
  first empty subtree on the key's path, and proves the key unset.

The tree keeps every node it ever built, so a proof against any earlier root still works as
long as that root's nodes were built here. The verify functions need only the root.
"""

from collections.abc import Sequence
from typing import Final

from interlace.primitives.errors import MisuseError
from interlace.primitives.exit_tree import ZERO_HASHES
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import ZERO_HASH, Hash32

__all__ = [
    "EMPTY_SUBTREE",
    "KeyPresent",
    "SparseMerkleTree",
    "root_from_inclusion",
    "root_from_non_inclusion",
]

_MAX_DEPTH: Final = 192


def _empty_subtrees() -> tuple[Hash32, ...]:
    hashes = list(ZERO_HASHES)  # the exit tree's ladder is the same one, to height 32
    while len(hashes) <= _MAX_DEPTH:
        hashes.append(keccak256(hashes[-1] + hashes[-1]))
    return tuple(hashes)


EMPTY_SUBTREE: Final = _empty_subtrees()
"""``EMPTY_SUBTREE[h]``: the root of an empty subtree of height h, h in 0..192."""


class KeyPresent(MisuseError, ValueError):
    """A non-inclusion proof was asked for a key that holds a value (a caller's mistake)."""


def _check_key(bits: Sequence[bool], depth: int) -> None:
    if len(bits) != depth:
        raise ValueError(f"a key of this tree is {depth} bits, got {len(bits)}")


def root_from_inclusion(
    bits: Sequence[bool], value: Hash32, siblings: Sequence[Hash32]
) -> Hash32 | None:
    """The root that an inclusion proof gives for ``value`` at the key ``bits``
    (``SmtMerkleProof::verify``); the caller compares it with the root it trusts. None for
    a proof of the wrong length, which leads to no root."""
    depth = len(bits)
    if len(siblings) != depth:
        return None
    node = value
    for height, sibling in enumerate(siblings):
        right = bits[depth - 1 - height]
        node = keccak256(sibling + node) if right else keccak256(node + sibling)
    return node


def root_from_non_inclusion(
    bits: Sequence[bool], siblings: Sequence[Hash32], value: Hash32 = ZERO_HASH
) -> Hash32 | None:
    """The root a non-inclusion proof gives with ``value`` at the key (zero: the root it
    proves the key unset under, ``SmtNonInclusionProof::verify``; non-zero: the root after
    setting it, ``verify_and_update``). A proof longer than the key leads to no root
    (None)."""
    depth = len(bits)
    count = len(siblings)
    if count > depth:
        return None
    if value == ZERO_HASH:
        node = EMPTY_SUBTREE[depth - count]
    else:
        node = value
        for position in range(depth - 1, count - 1, -1):
            sibling = EMPTY_SUBTREE[depth - 1 - position]
            node = keccak256(sibling + node) if bits[position] else keccak256(node + sibling)
    for position in range(count - 1, -1, -1):
        sibling = siblings[position]
        node = keccak256(sibling + node) if bits[position] else keccak256(node + sibling)
    return node


class SparseMerkleTree:
    """A depth-``depth`` sparse Merkle tree that can prove and update any key."""

    __slots__ = ("_nodes", "depth", "root")

    def __init__(self, depth: int) -> None:
        if not 0 < depth <= _MAX_DEPTH:
            raise ValueError(f"depth must be 1..{_MAX_DEPTH}, got {depth}")
        self.depth = depth
        self.root: Hash32 = EMPTY_SUBTREE[depth]
        self._nodes: dict[Hash32, tuple[Hash32, Hash32]] = {}

    def copy(self) -> "SparseMerkleTree":
        """An independent tree with the same nodes and root (writes to it stay its own)."""
        other = SparseMerkleTree(self.depth)
        other.root = self.root
        other._nodes = dict(self._nodes)
        return other

    def _children(self, node: Hash32, height: int) -> tuple[Hash32, Hash32]:
        """The children of ``node``, the root of a subtree of ``height`` (> 0)."""
        if node == EMPTY_SUBTREE[height]:
            empty = EMPTY_SUBTREE[height - 1]
            return empty, empty
        return self._nodes[node]

    def _path(self, bits: Sequence[bool]) -> tuple[list[Hash32], Hash32]:
        """The siblings from the root down (top first) and the leaf value at the key."""
        _check_key(bits, self.depth)
        siblings: list[Hash32] = []
        node = self.root
        for position, bit in enumerate(bits):
            left, right = self._children(node, self.depth - position)
            siblings.append(left if bit else right)
            node = right if bit else left
        return siblings, node

    def get(self, bits: Sequence[bool]) -> Hash32:
        """The value at the key (zero if unset)."""
        return self._path(bits)[1]

    def set(self, bits: Sequence[bool], value: Hash32) -> Hash32:
        """Write ``value`` at the key and return the new root."""
        if len(value) != 32:
            raise ValueError(f"a leaf value is 32 bytes, got {len(value)}")
        siblings, _ = self._path(bits)
        node = Hash32(bytes(value))
        for position in range(self.depth - 1, -1, -1):
            sibling = siblings[position]
            pair = (sibling, node) if bits[position] else (node, sibling)
            node = keccak256(pair[0] + pair[1])
            self._nodes[node] = pair
        self.root = node
        return node

    def inclusion_proof(self, bits: Sequence[bool]) -> tuple[Hash32, ...]:
        """The ``depth`` siblings (the leaf's first) proving the key's value, set or not."""
        siblings, _ = self._path(bits)
        return tuple(reversed(siblings))

    def non_inclusion_proof(self, bits: Sequence[bool]) -> tuple[Hash32, ...]:
        """The siblings from the root to the first empty subtree on the key's path.

        Raises ``KeyPresent`` if the key holds a value."""
        _check_key(bits, self.depth)
        siblings: list[Hash32] = []
        node = self.root
        for position, bit in enumerate(bits):
            height = self.depth - position
            if node == EMPTY_SUBTREE[height]:
                return tuple(siblings)
            left, right = self._children(node, height)
            siblings.append(left if bit else right)
            node = right if bit else left
        if node != ZERO_HASH:
            raise KeyPresent("the key holds a value; it has no non-inclusion proof")
        return tuple(siblings)
