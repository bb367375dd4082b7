"""The local exit tree: the depth-32 append-only keccak Merkle tree of AggLayer.

It is the tree of the Ethereum deposit contract as the zkEVM/AggLayer bridge
uses it (``DepositContractBase._addLeaf``/``getRoot``/``calculateRoot`` and
``LocalExitTree`` in the agglayer crates): leaves are 32-byte hashes, an inner
node is ``keccak256(left ‖ right)``, and the 2^32 leaf slots not yet written
are zero. The root is the plain Merkle root over those zero-padded 2^32
leaves, with **no length mix-in**: unlike the beacon deposit contract's
``get_deposit_root`` (``sha256(root ‖ le64(count) ‖ 0…)``) the leaf count is
not part of it. The empty root is therefore the depth-32 zero hash
0x27ae5ba0…d757. Appends follow the Solidity contract (a 32-entry branch
array, O(depth)); the tree also keeps its complete inner nodes so that it
can hand out the 32-sibling proofs ``calculateRoot`` and the bridge's
``claimAsset``/``claimMessage`` check. ``exit_leaf_hash`` is the bridge's
``getLeafValue``.
"""

from collections.abc import Iterable, Sequence
from typing import Final

from interlace.primitives.errors import (
    InvalidProof,
    MalformedProof,
    MalformedValue,
    MisuseError,
)
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import ZERO_HASH, Address, Hash32

__all__ = [
    "EMPTY_EXIT_ROOT",
    "EXIT_TREE_CAPACITY",
    "EXIT_TREE_DEPTH",
    "LEAF_TYPE_ASSET",
    "LEAF_TYPE_MESSAGE",
    "ZERO_HASHES",
    "ExitTree",
    "ExitTreeFull",
    "append_to_frontier",
    "compute_root_from_proof",
    "exit_leaf_hash",
    "frontier_root",
    "verify_exit_proof",
]

EXIT_TREE_DEPTH: Final = 32
"""Levels between a leaf and the root (the contract's ``_DEPOSIT_CONTRACT_TREE_DEPTH``)."""

EXIT_TREE_CAPACITY: Final = 2**EXIT_TREE_DEPTH - 1
"""Most leaves a tree holds (``_MAX_DEPOSIT_COUNT``); the last slot is never written."""

LEAF_TYPE_ASSET: Final = 0
"""``leafType`` of an ether or token transfer (``bridgeAsset``)."""

LEAF_TYPE_MESSAGE: Final = 1
"""``leafType`` of a message (``bridgeMessage``)."""


def _zero_hashes() -> tuple[Hash32, ...]:
    hashes = [ZERO_HASH]
    for _ in range(EXIT_TREE_DEPTH):
        hashes.append(keccak256(hashes[-1] + hashes[-1]))
    return tuple(hashes)


ZERO_HASHES: Final = _zero_hashes()
"""``ZERO_HASHES[h]`` is the root of an empty subtree of height h, for h in 0..32."""

EMPTY_EXIT_ROOT: Final = ZERO_HASHES[EXIT_TREE_DEPTH]
"""Root of the tree with no leaves, the depth-32 zero hash:
0x27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757."""


class ExitTreeFull(MisuseError):
    """An append would exceed the tree's capacity of 2^32 - 1 leaves."""


class ExitTree:
    """An append-only depth-32 exit tree that can prove any of its leaves.

    ``append`` and ``root`` mirror ``DepositContractBase`` line by line.
    Alongside the branch array the tree keeps ``_levels[h]``, every
    *complete* node at height h (``_levels[0]`` are the leaves); each append
    adds on average one hash there. The one partly filled node per height
    (the right spine) is recomputed in O(depth) when a proof needs it and
    cached until the next append.
    """

    __slots__ = ("_branch", "_count", "_levels", "_spine")

    def __init__(self) -> None:
        self._count = 0
        self._branch: list[Hash32] = [ZERO_HASH] * EXIT_TREE_DEPTH
        self._levels: list[list[Hash32]] = [[] for _ in range(EXIT_TREE_DEPTH + 1)]
        self._spine: list[Hash32 | None] | None = None

    @classmethod
    def from_leaves(cls, leaves: Iterable[Hash32]) -> "ExitTree":
        """Build a tree by appending ``leaves`` in order."""
        tree = cls()
        for leaf in leaves:
            tree.append(leaf)
        return tree

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"ExitTree(len={self._count}, root=0x{self.root().hex()})"

    def leaf(self, index: int) -> Hash32:
        """Return the leaf at ``index``; raises ``IndexError`` past the end."""
        if not 0 <= index < self._count:
            raise IndexError(f"exit tree has {self._count} leaves, no leaf {index}")
        return self._levels[0][index]

    def append(self, leaf: Hash32) -> int:
        """Append ``leaf`` and return its index (``_addLeaf``).

        Raises ``ExitTreeFull`` once 2^32 - 1 leaves are in, and
        ``ValueError`` if ``leaf`` is not 32 bytes.
        """
        if len(leaf) != 32:
            raise ValueError(f"an exit tree leaf is 32 bytes, got {len(leaf)}")
        if self._count >= EXIT_TREE_CAPACITY:
            raise ExitTreeFull(f"exit tree is full ({EXIT_TREE_CAPACITY} leaves)")
        leaf = Hash32(bytes(leaf))
        index = self._count
        self._count = index + 1
        self._spine = None

        append_to_frontier(index, self._branch, leaf)

        # The same walk, recorded: every node this append completes.
        node = leaf
        for height in range(EXIT_TREE_DEPTH + 1):
            level = self._levels[height]
            level.append(node)
            if len(level) & 1:
                break
            node = keccak256(level[-2] + node)
        return index

    def root(self) -> Hash32:
        """Return the current root (``getRoot``), O(depth)."""
        return frontier_root(self._count, self._branch)

    def frontier(self) -> tuple[Hash32, ...]:
        """The 32-entry branch array, as the contract stores it in ``_branch``.

        Entry h is meaningful only when bit h of ``len(self)`` is set; other
        entries hold stale values, exactly as in the contract's storage.
        """
        return tuple(self._branch)

    def proof(self, index: int) -> tuple[Hash32, ...]:
        """The 32 siblings (bottom first) proving leaf ``index`` against ``root()``."""
        if not 0 <= index < self._count:
            raise IndexError(f"exit tree has {self._count} leaves, no leaf {index}")
        spine = self._right_spine()
        return tuple(
            self._node(height, (index >> height) ^ 1, spine) for height in range(EXIT_TREE_DEPTH)
        )

    def _node(self, height: int, position: int, spine: Sequence[Hash32 | None]) -> Hash32:
        level = self._levels[height]
        if position < len(level):
            return level[position]
        partial = spine[height]
        if partial is not None and position == self._count >> height:
            return partial
        return ZERO_HASHES[height]

    def _right_spine(self) -> list[Hash32 | None]:
        """Value of the partly filled node at each height (None where there is none)."""
        if self._spine is not None:
            return self._spine
        spine: list[Hash32 | None] = [None] * (EXIT_TREE_DEPTH + 1)
        size = self._count
        for height in range(1, EXIT_TREE_DEPTH + 1):
            if size & ((1 << height) - 1):
                position = size >> height
                left = self._node(height - 1, 2 * position, spine)
                right = self._node(height - 1, 2 * position + 1, spine)
                spine[height] = keccak256(left + right)
        self._spine = spine
        return spine


def frontier_root(count: int, frontier: Sequence[Hash32]) -> Hash32:
    """The root of a tree of ``count`` leaves from its 32-entry branch array (``getRoot``)."""
    node = ZERO_HASH
    for height in range(EXIT_TREE_DEPTH):
        if (count >> height) & 1:
            node = keccak256(frontier[height] + node)
        else:
            node = keccak256(node + ZERO_HASHES[height])
    return node


def append_to_frontier(count: int, frontier: list[Hash32], leaf: Hash32) -> int:
    """Append ``leaf`` to a tree of ``count`` leaves given by its branch array, in place
    (``_addLeaf``); return the new count. The caller checks the capacity."""
    size = count + 1
    node = leaf
    for height in range(EXIT_TREE_DEPTH):
        if (size >> height) & 1:
            frontier[height] = node
            break
        node = keccak256(frontier[height] + node)
    return size


def compute_root_from_proof(leaf: Hash32, index: int, proof: Sequence[bytes]) -> Hash32:
    """The root that ``proof`` implies for ``leaf`` at ``index`` (``calculateRoot``).

    Raises ``MalformedProof`` unless ``leaf`` and all 32 siblings are 32 bytes
    and ``index`` fits the contract's ``uint32``.
    """
    if len(leaf) != 32:
        raise MalformedProof(f"exit leaf must be 32 bytes, got {len(leaf)}")
    if not 0 <= index < 2**EXIT_TREE_DEPTH:
        raise MalformedProof(f"exit leaf index {index} is not a uint32")
    if len(proof) != EXIT_TREE_DEPTH:
        raise MalformedProof(f"exit proof has {len(proof)} siblings, expected {EXIT_TREE_DEPTH}")
    node = bytes(leaf)
    for height, sibling in enumerate(proof):
        if len(sibling) != 32:
            raise MalformedProof(f"exit proof sibling {height} is {len(sibling)} bytes")
        is_right = (index >> height) & 1
        node = keccak256(sibling + node) if is_right else keccak256(node + sibling)
    return Hash32(node)


def verify_exit_proof(leaf: Hash32, index: int, proof: Sequence[bytes], root: Hash32) -> None:
    """Check that ``leaf`` sits at ``index`` under ``root`` (``verifyMerkleProof``).

    Raises ``MalformedProof`` for wrong lengths or an out-of-range index and
    ``InvalidProof`` when the proof is well formed but leads elsewhere.
    """
    if len(root) != 32:
        raise MalformedProof(f"exit root must be 32 bytes, got {len(root)}")
    if compute_root_from_proof(leaf, index, proof) != root:
        raise InvalidProof(f"exit proof for leaf {index} does not lead to root 0x{root.hex()}")


def exit_leaf_hash(
    *,
    leaf_type: int,
    origin_network: int,
    origin_address: Address,
    destination_network: int,
    destination_address: Address,
    amount: int,
    metadata_hash: Hash32,
) -> Hash32:
    """The bridge's ``getLeafValue``: keccak256 of the packed exit fields.

    The packing is ``abi.encodePacked(uint8 leafType, uint32 originNetwork,
    address originAddress, uint32 destinationNetwork, address
    destinationAddress, uint256 amount, bytes32 metadataHash)``, 113 bytes;
    ``metadata_hash`` is keccak256 of the bridged metadata bytes. Arguments
    are keyword-only because origin and destination are easy to swap.
    Raises ``MalformedValue`` for a field out of its Solidity range.
    """
    if not 0 <= leaf_type < 2**8:
        raise MalformedValue(f"leaf type {leaf_type} is not a uint8")
    for label, network in (("origin", origin_network), ("destination", destination_network)):
        if not 0 <= network < 2**32:
            raise MalformedValue(f"{label} network {network} is not a uint32")
    if len(origin_address) != 20 or len(destination_address) != 20:
        raise MalformedValue("exit addresses must be 20 bytes")
    if not 0 <= amount < 2**256:
        raise MalformedValue(f"amount {amount} is not a uint256")
    if len(metadata_hash) != 32:
        raise MalformedValue(f"metadata hash must be 32 bytes, got {len(metadata_hash)}")
    packed = b"".join(
        (
            leaf_type.to_bytes(1, "big"),
            origin_network.to_bytes(4, "big"),
            origin_address,
            destination_network.to_bytes(4, "big"),
            destination_address,
            amount.to_bytes(32, "big"),
            metadata_hash,
        )
    )
    return keccak256(packed)
