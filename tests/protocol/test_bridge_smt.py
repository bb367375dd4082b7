"""The balance and nullifier trees against agglayer-tries' empty-subtree constants and a
naive recursive root over the same leaves, on random keys."""

from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlace.primitives.hashing import keccak256
from interlace.primitives.types import ZERO_HASH, Hash32
from interlace.protocol.bridge.smt import (
    EMPTY_SUBTREE,
    KeyPresent,
    SparseMerkleTree,
    root_from_inclusion,
    root_from_non_inclusion,
)

# agglayer-tries utils.rs EMPTY_HASH_ARRAY_AT_193, entries 1, 2, 32, 64, 192
PINNED = {
    1: "ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5",
    2: "b4c11951957c6f8f642c4af61cd6b24640fec6dc7fc607ee8206a99e92410d30",
    32: "27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757",
    64: "e2c3ed4052eeb1d60514b4c38ece8d73a27f37fa5b36dcbf338e70de95798caa",
    192: "b89931f7384aeddb5c136a679d54464007e2d828d4741bec626ff92aeb4b12d4",
}

DEPTH = 12  # small enough for keys to collide on prefixes often
keys = st.lists(st.booleans(), min_size=DEPTH, max_size=DEPTH).map(tuple)
values = st.binary(min_size=32, max_size=32).filter(any).map(Hash32)


def naive_root(leaves: Mapping[tuple[bool, ...], Hash32], depth: int) -> Hash32:
    """The root over ``leaves`` by recursion on key prefixes, written from the definition."""

    def subtree(prefix: tuple[bool, ...]) -> Hash32:
        height = depth - len(prefix)
        below = {k: v for k, v in leaves.items() if k[: len(prefix)] == prefix}
        if not below:
            empty = ZERO_HASH
            for _ in range(height):
                empty = keccak256(empty + empty)
            return empty
        if height == 0:
            return below[prefix]
        return keccak256(subtree((*prefix, False)) + subtree((*prefix, True)))

    return subtree(())


def test_empty_subtrees_match_agglayer() -> None:
    assert EMPTY_SUBTREE[0] == ZERO_HASH
    for height, expected in PINNED.items():
        assert EMPTY_SUBTREE[height].hex() == expected
    assert SparseMerkleTree(192).root == EMPTY_SUBTREE[192]
    assert SparseMerkleTree(64).root == EMPTY_SUBTREE[64]


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(keys, values, max_size=12), keys, values)
def test_tree_matches_naive_root_and_proofs_verify(
    leaves: dict[tuple[bool, ...], Hash32], probe: tuple[bool, ...], new_value: Hash32
) -> None:
    tree = SparseMerkleTree(DEPTH)
    for key, value in leaves.items():
        tree.set(key, value)
    assert tree.root == naive_root(leaves, DEPTH)
    for key, value in leaves.items():
        assert tree.get(key) == value
        assert root_from_inclusion(key, value, tree.inclusion_proof(key)) == tree.root
    # the probe: an inclusion proof of its value (zero if unset), and an update through it
    old = tree.get(probe)
    proof = tree.inclusion_proof(probe)
    assert root_from_inclusion(probe, old, proof) == tree.root
    if probe not in leaves:
        assert old == ZERO_HASH
        path = tree.non_inclusion_proof(probe)
        assert root_from_non_inclusion(probe, path) == tree.root
        expected_after = root_from_non_inclusion(probe, path, new_value)
    else:
        with pytest.raises(KeyPresent):
            tree.non_inclusion_proof(probe)
        expected_after = root_from_inclusion(probe, new_value, proof)
    tree.set(probe, new_value)
    assert tree.root == expected_after == naive_root({**leaves, probe: new_value}, DEPTH)


def test_wrong_proofs_lead_elsewhere() -> None:
    tree = SparseMerkleTree(DEPTH)
    key = (True,) * DEPTH
    tree.set(key, Hash32(b"\x07" * 32))
    proof = tree.inclusion_proof(key)
    assert root_from_inclusion(key, Hash32(b"\x08" * 32), proof) != tree.root
    assert root_from_inclusion(key, Hash32(b"\x07" * 32), proof[:-1]) != tree.root
    # the set key cannot be shown unset with the path of a neighbour
    other = (True,) * (DEPTH - 1) + (False,)
    path = tree.non_inclusion_proof(other)
    assert root_from_non_inclusion(key, path) != tree.root
    assert root_from_non_inclusion(key, (ZERO_HASH,) * (DEPTH + 1)) != tree.root


def test_copy_is_independent() -> None:
    tree = SparseMerkleTree(DEPTH)
    tree.set((False,) * DEPTH, Hash32(b"\x01" * 32))
    copy = tree.copy()
    copy.set((True,) * DEPTH, Hash32(b"\x02" * 32))
    assert tree.get((True,) * DEPTH) == ZERO_HASH
    assert copy.get((False,) * DEPTH) == Hash32(b"\x01" * 32)
    assert copy.root != tree.root


def test_misuse_is_a_value_error() -> None:
    tree = SparseMerkleTree(DEPTH)
    with pytest.raises(ValueError, match="12 bits"):
        tree.get((True,))
    with pytest.raises(ValueError, match="32 bytes"):
        tree.set((True,) * DEPTH, Hash32(b"\x01"))
    with pytest.raises(ValueError, match="depth"):
        SparseMerkleTree(193)
