"""The exit tree against a naive full-tree computation and the zkEVM bridge's vectors.

The known vectors are the ``mt-bridge`` leaf and claim vectors of
0xPolygonHermez/zkevm-testvectors (``leaf-vectors.json``,
``claim-vectors.json``): four bridge exits, their ``getLeafValue`` leaves,
the root after appending them, and sample siblings of their proofs.
"""

from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlace.primitives.errors import InvalidProof, MalformedProof, MalformedValue
from interlace.primitives.exit_tree import (
    EMPTY_EXIT_ROOT,
    EXIT_TREE_CAPACITY,
    EXIT_TREE_DEPTH,
    ZERO_HASHES,
    ExitTree,
    ExitTreeFull,
    compute_root_from_proof,
    exit_leaf_hash,
    verify_exit_proof,
)
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import Hash32, address_from_hex, hash32_from_hex

leaves_strategy = st.lists(st.binary(min_size=32, max_size=32).map(Hash32), max_size=70)
# A zero leaf is indistinguishable from an empty slot, so it also verifies at
# every empty index; tampering tests use distinct non-zero leaves.
distinct_leaves = st.lists(
    st.binary(min_size=32, max_size=32).filter(any).map(Hash32),
    min_size=1,
    max_size=70,
    unique=True,
)


def _naive_levels(leaves: list[Hash32]) -> list[list[bytes]]:
    """Every level of the full 2^32-leaf tree, storing only the non-empty prefix."""
    zero = b"\x00" * 32
    levels: list[list[bytes]] = [list(leaves)]
    for _ in range(EXIT_TREE_DEPTH):
        below = levels[-1]
        padded = below + [zero] * (len(below) % 2)
        levels.append([keccak256(padded[i] + padded[i + 1]) for i in range(0, len(padded), 2)])
        zero = keccak256(zero + zero)
    return levels


def _naive_root(leaves: list[Hash32]) -> bytes:
    top = _naive_levels(leaves)[-1]
    return top[0] if top else EMPTY_EXIT_ROOT


def _naive_proof(leaves: list[Hash32], index: int) -> list[bytes]:
    levels = _naive_levels(leaves)
    proof = []
    for height in range(EXIT_TREE_DEPTH):
        sibling = (index >> height) ^ 1
        level = levels[height]
        proof.append(level[sibling] if sibling < len(level) else ZERO_HASHES[height])
    return proof


def test_empty_root_constant() -> None:
    expected = "27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757"
    assert EMPTY_EXIT_ROOT.hex() == expected
    assert ExitTree().root() == EMPTY_EXIT_ROOT
    assert len(ExitTree()) == 0


def test_zero_hash_ladder() -> None:
    assert len(ZERO_HASHES) == EXIT_TREE_DEPTH + 1
    assert ZERO_HASHES[0] == b"\x00" * 32
    for height in range(EXIT_TREE_DEPTH):
        assert ZERO_HASHES[height + 1] == keccak256(ZERO_HASHES[height] * 2)
    # Pinned rungs, as the deposit contract's zero-hash tables list them.
    assert ZERO_HASHES[1].hex() == (
        "ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5"
    )
    assert ZERO_HASHES[2].hex() == (
        "b4c11951957c6f8f642c4af61cd6b24640fec6dc7fc607ee8206a99e92410d30"
    )


@given(leaves_strategy)
@settings(max_examples=60, deadline=None)
def test_appends_match_naive_tree(leaves: list[Hash32]) -> None:
    tree = ExitTree()
    for expected_index, leaf in enumerate(leaves):
        assert tree.append(leaf) == expected_index
    assert len(tree) == len(leaves)
    assert tree.root() == _naive_root(leaves)
    for index, leaf in enumerate(leaves):
        assert tree.leaf(index) == leaf


@given(leaves_strategy.filter(bool), st.data())
@settings(max_examples=60, deadline=None)
def test_proofs_match_naive_and_verify(leaves: list[Hash32], data: st.DataObject) -> None:
    tree = ExitTree.from_leaves(leaves)
    root = tree.root()
    for index, leaf in enumerate(leaves):
        proof = tree.proof(index)
        assert list(proof) == _naive_proof(leaves, index)
        assert compute_root_from_proof(leaf, index, proof) == root
        verify_exit_proof(leaf, index, proof, root)
    # Proofs stay right after further appends (the spine cache is invalidated).
    extra = data.draw(st.binary(min_size=32, max_size=32).map(Hash32))
    tree.append(extra)
    index = data.draw(st.integers(0, len(leaves)))
    verify_exit_proof(tree.leaf(index), index, tree.proof(index), tree.root())


def test_root_after_each_append_matches_naive() -> None:
    leaves = [keccak256(i.to_bytes(4, "big")) for i in range(40)]
    tree = ExitTree()
    for count, leaf in enumerate(leaves, start=1):
        tree.append(leaf)
        assert tree.root() == _naive_root(leaves[:count])
        verify_exit_proof(leaf, count - 1, tree.proof(count - 1), tree.root())


@given(distinct_leaves, st.data())
@settings(max_examples=60, deadline=None)
def test_tampering_raises_invalid_proof(leaves: list[Hash32], data: st.DataObject) -> None:
    tree = ExitTree.from_leaves(leaves)
    root = tree.root()
    index = data.draw(st.integers(0, len(leaves) - 1))
    leaf = leaves[index]
    proof = list(tree.proof(index))

    height = data.draw(st.integers(0, EXIT_TREE_DEPTH - 1))
    bit = data.draw(st.integers(0, 255))
    tampered = bytearray(proof[height])
    tampered[bit // 8] ^= 1 << (bit % 8)
    bad_proof = [*proof[:height], bytes(tampered), *proof[height + 1 :]]
    with pytest.raises(InvalidProof):
        verify_exit_proof(leaf, index, bad_proof, root)

    other_index = data.draw(st.integers(0, 2**32 - 1).filter(lambda i: i != index))
    with pytest.raises(InvalidProof):
        verify_exit_proof(leaf, other_index, proof, root)

    bad_root = Hash32(bytes([root[0] ^ 1]) + root[1:])
    with pytest.raises(InvalidProof):
        verify_exit_proof(leaf, index, proof, bad_root)

    bad_leaf = Hash32(bytes([leaf[0] ^ 0x80]) + leaf[1:])
    with pytest.raises(InvalidProof):
        verify_exit_proof(bad_leaf, index, proof, root)


def test_malformed_proofs() -> None:
    tree = ExitTree.from_leaves([keccak256(b"a"), keccak256(b"b")])
    leaf, root, proof = tree.leaf(1), tree.root(), list(tree.proof(1))
    for bad in (proof[:-1], [*proof, proof[0]], [*proof[:-1], proof[-1][:31]]):
        with pytest.raises(MalformedProof):
            verify_exit_proof(leaf, 1, bad, root)
    for bad_index in (-1, 2**32):
        with pytest.raises(MalformedProof):
            verify_exit_proof(leaf, bad_index, proof, root)
    with pytest.raises(MalformedProof):
        verify_exit_proof(Hash32(leaf[:31]), 1, proof, root)
    with pytest.raises(MalformedProof):
        verify_exit_proof(leaf, 1, proof, Hash32(root + b"\x00"))


def test_misuse_and_capacity() -> None:
    tree = ExitTree()
    with pytest.raises(IndexError):
        tree.proof(0)
    with pytest.raises(IndexError):
        tree.leaf(0)
    with pytest.raises(ValueError, match="32 bytes"):
        tree.append(Hash32(b"\x01" * 31))
    tree.append(keccak256(b"x"))
    with pytest.raises(IndexError):
        tree.proof(1)
    # Reaching 2^32 - 1 real leaves is out of reach; fake the count as a full contract.
    tree._count = EXIT_TREE_CAPACITY
    with pytest.raises(ExitTreeFull):
        tree.append(keccak256(b"y"))


def test_frontier_is_the_contract_branch() -> None:
    leaves = [keccak256(bytes([i])) for i in range(5)]
    tree = ExitTree.from_leaves(leaves)
    frontier = tree.frontier()
    assert len(frontier) == EXIT_TREE_DEPTH
    # 5 = 0b101: branch[0] is leaf 4, branch[2] is the root of leaves 0..3.
    assert frontier[0] == leaves[4]
    assert frontier[2] == _naive_levels(leaves[:4])[2][0]


# mt-bridge vectors from 0xPolygonHermez/zkevm-testvectors.
class BridgeLeafVector(NamedTuple):
    leaf_type: int
    origin_network: int
    token_address: str
    amount: int
    destination_network: int
    destination_address: str
    metadata: str
    leaf_value: str


_DAI = "0x6B175474E89094C44Da98b954EedeAC495271d0F"
_DEST = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
_NO_ADDR = "0x" + "00" * 20
BRIDGE_LEAF_VECTORS = [
    BridgeLeafVector(0, 0, _DAI, 0x8AC7230489E80000, 1, _DEST, "",
        "a4bfa0908dc7b06d98da4309f859023d6947561bc19bc00d77f763dea1a0b9f5"),
    BridgeLeafVector(0, 1, _DAI, 0x8AC7230489E80000, 0, _DEST, "12345670",
        "315fee1aa202bf4a6bd0fde560c89be90b6e6e2aaf92dc5e8d118209abc3410f"),
    BridgeLeafVector(0, 0, _NO_ADDR, 0x8AC7230489E80000, 1, _DEST, "12345678",
        "b598ce65aa15c08dda126a2985ba54f0559eaac562bb43ba430c7344261fbc5d"),
    BridgeLeafVector(0, 10, _NO_ADDR, 0x01, 4, _NO_ADDR,
        "f39Fd6e51aad88F6F4ce6aB8827279cffFb922661234e51aad88F6F4ce6aB8827279cffFb92266",
        "e6585bdf74b6a46b9ede8b1b877e1232fb79ee93106c4db8ffd49cf1685bf242"),
]  # fmt: skip
BRIDGE_ROOT_AFTER_FOUR = "42d3339fe8eb57770953423f20a029e778a707e8d58aaf110b40d5eb4dd25721"


@pytest.mark.parametrize("vector", BRIDGE_LEAF_VECTORS)
def test_exit_leaf_hash_matches_bridge_vectors(vector: BridgeLeafVector) -> None:
    leaf = exit_leaf_hash(
        leaf_type=vector.leaf_type,
        origin_network=vector.origin_network,
        origin_address=address_from_hex(vector.token_address),
        destination_network=vector.destination_network,
        destination_address=address_from_hex(vector.destination_address),
        amount=vector.amount,
        metadata_hash=keccak256(bytes.fromhex(vector.metadata)),
    )
    assert leaf.hex() == vector.leaf_value


def test_bridge_claim_vector_root_and_proofs() -> None:
    leaves = [hash32_from_hex(v.leaf_value) for v in BRIDGE_LEAF_VECTORS]
    tree = ExitTree.from_leaves(leaves)
    assert tree.root().hex() == BRIDGE_ROOT_AFTER_FOUR
    proof0, proof2 = tree.proof(0), tree.proof(2)
    assert proof0[0] == leaves[1]
    assert proof0[1].hex() == "b48c8301099f75206bc93b1512c7b3855b60b4f8cbaedf8679a184d1d450a4f1"
    assert proof2[0] == leaves[3]
    assert proof2[1].hex() == "653142d4a4d6f7985a3f33cad31e011dbee8909846b34c38c7b235ca08828521"
    assert proof0[2:] == ZERO_HASHES[2:EXIT_TREE_DEPTH]
    for index, leaf in enumerate(leaves):
        verify_exit_proof(leaf, index, tree.proof(index), tree.root())


def test_exit_leaf_hash_rejects_out_of_range() -> None:
    addr = address_from_hex(_DEST)
    good: dict[str, Any] = {
        "leaf_type": 0,
        "origin_network": 0,
        "origin_address": addr,
        "destination_network": 1,
        "destination_address": addr,
        "amount": 1,
        "metadata_hash": keccak256(b""),
    }
    exit_leaf_hash(**good)
    for field, bad in (
        ("leaf_type", 256),
        ("origin_network", 2**32),
        ("destination_network", -1),
        ("amount", 2**256),
        ("origin_address", addr[:19]),
        ("metadata_hash", b"\x00" * 31),
    ):
        with pytest.raises(MalformedValue):
            exit_leaf_hash(**{**good, field: bad})
