"""Claim verification as ``claimAsset`` does it, and every bad claim of the issue refused by
name: zero roots, all-zero proofs, a local exit root no global exit root holds, altered leaf
fields, another destination, an unknown or another fork's global exit root, unused bits."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlace.primitives.exit_tree import ExitTree
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import ZERO_HASH, Address, Hash32
from interlace.protocol.bridge.claim import ClaimProof, build_claim_proof, verify_claim
from interlace.protocol.bridge.errors import (
    DestinationNetworkInvalid,
    GlobalExitRootInvalid,
    InvalidGlobalIndex,
    InvalidSmtProof,
    MalformedBridgeValue,
)
from interlace.protocol.bridge.format import (
    ETH_TOKEN,
    BridgeExit,
    GlobalIndex,
    LeafType,
    TokenInfo,
    global_exit_root,
)

USER = Address(b"\xaa" * 20)
TOKEN = TokenInfo(0, Address(b"\x70" * 20))


class Network:
    """L1 and three rollups with some exits each, and the roots L1 would record."""

    def __init__(self, exits_per_chain: int = 3) -> None:
        self.exits: dict[int, list[BridgeExit]] = {}
        self.trees: dict[int, ExitTree] = {}
        for network in range(4):
            destination = 2 if network != 2 else 1
            chain_exits = [
                BridgeExit(LeafType.ASSET, TOKEN, destination, USER, 100 + i + 10 * network)
                for i in range(exits_per_chain)
            ]
            self.exits[network] = chain_exits
            self.trees[network] = ExitTree.from_leaves(e.leaf_hash() for e in chain_exits)
        self.rollup_tree = ExitTree.from_leaves(self.trees[n].root() for n in (1, 2, 3))
        self.known = {global_exit_root(self.trees[0].root(), self.rollup_tree.root())}

    def proof(self, network: int, leaf: int) -> ClaimProof:
        index = GlobalIndex.for_exit(network, leaf)
        return build_claim_proof(index, self.trees[network], self.rollup_tree, self.trees[0].root())

    def knows(self, root: Hash32) -> bool:
        return root in self.known


@pytest.fixture
def net() -> Network:
    return Network()


@settings(max_examples=25, deadline=None)
@given(network=st.integers(0, 3), leaf=st.integers(0, 2), per_chain=st.integers(3, 9))
def test_every_exit_claims_on_its_destination(network: int, leaf: int, per_chain: int) -> None:
    world = Network(per_chain)
    exit_ = world.exits[network][leaf]
    index = verify_claim(exit_, world.proof(network, leaf), exit_.destination_network, world.knows)
    assert index.source_network == network
    assert index.leaf_index == leaf


def test_claim_on_another_network(net: Network) -> None:
    exit_ = net.exits[1][0]
    with pytest.raises(DestinationNetworkInvalid, match="destination is network 2"):
        verify_claim(exit_, net.proof(1, 0), 3, net.knows)


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 101},
        {"destination_address": Address(b"\xbb" * 20)},
        {"token": ETH_TOKEN},
        {"metadata_hash": keccak256(b"other")},
        {"leaf_type": LeafType.MESSAGE},
    ],
)
def test_altered_leaf_fields_are_refused(net: Network, change: dict[str, object]) -> None:
    exit_ = dataclasses.replace(net.exits[1][0], **change)  # type: ignore[arg-type]
    with pytest.raises(InvalidSmtProof, match="does not prove against rollup exit root"):
        verify_claim(exit_, net.proof(1, 0), 2, net.knows)


def test_mainnet_exit_altered(net: Network) -> None:
    exit_ = dataclasses.replace(net.exits[0][1], amount=1)
    with pytest.raises(InvalidSmtProof, match="mainnet exit root"):
        verify_claim(exit_, net.proof(0, 1), 2, net.knows)


def test_unknown_global_exit_root(net: Network) -> None:
    proof = dataclasses.replace(net.proof(1, 0), rollup_exit_root=Hash32(b"\x01" * 32))
    with pytest.raises(GlobalExitRootInvalid, match="never recorded on network 2"):
        verify_claim(net.exits[1][0], proof, 2, net.knows)


def test_root_of_another_fork(net: Network) -> None:
    # the same chains on another L1 fork: exit 0 of network 1 differs there
    fork = Network()
    fork.exits[1][0] = dataclasses.replace(fork.exits[1][0], amount=999)
    fork.trees[1] = ExitTree.from_leaves(e.leaf_hash() for e in fork.exits[1])
    fork.rollup_tree = ExitTree.from_leaves(fork.trees[n].root() for n in (1, 2, 3))
    with pytest.raises(GlobalExitRootInvalid):
        verify_claim(fork.exits[1][0], fork.proof(1, 0), 2, net.knows)


def test_zero_roots_are_refused_even_if_recorded(net: Network) -> None:
    exit_ = net.exits[1][0]
    zero_rollup = dataclasses.replace(net.proof(1, 0), rollup_exit_root=ZERO_HASH)
    net.known.add(zero_rollup.global_exit_root)
    with pytest.raises(GlobalExitRootInvalid, match="rollup exit root is zero"):
        verify_claim(exit_, zero_rollup, 2, net.knows)
    zero_mainnet = dataclasses.replace(net.proof(0, 0), mainnet_exit_root=ZERO_HASH)
    net.known.add(zero_mainnet.global_exit_root)
    with pytest.raises(GlobalExitRootInvalid, match="mainnet exit root is zero"):
        verify_claim(net.exits[0][0], zero_mainnet, 2, net.knows)


def test_all_zero_proofs(net: Network) -> None:
    zeros = (ZERO_HASH,) * 32
    proof = dataclasses.replace(
        net.proof(1, 0), smt_proof_local_exit_root=zeros, smt_proof_rollup_exit_root=zeros
    )
    with pytest.raises(InvalidSmtProof):
        verify_claim(net.exits[1][0], proof, 2, net.knows)


def test_a_local_exit_root_no_global_root_holds(net: Network) -> None:
    # network 1's tree with one more exit, whose root L1 never saw
    extra = BridgeExit(LeafType.ASSET, TOKEN, 2, USER, 10**30)
    tree = ExitTree.from_leaves([*(e.leaf_hash() for e in net.exits[1]), extra.leaf_hash()])
    proof = build_claim_proof(
        GlobalIndex.for_exit(1, 3), tree, net.rollup_tree, net.trees[0].root()
    )
    with pytest.raises(InvalidSmtProof, match="local exit root"):
        verify_claim(extra, proof, 2, net.knows)


def test_global_index_naming_another_chain(net: Network) -> None:
    # exit 0 of network 1 presented as exit 0 of network 3
    proof = dataclasses.replace(net.proof(1, 0), global_index=GlobalIndex.for_exit(3, 0).encode())
    with pytest.raises(InvalidSmtProof):
        verify_claim(net.exits[1][0], proof, 2, net.knows)


def test_global_index_with_unused_bits(net: Network) -> None:
    proof = net.proof(1, 0)
    bad = dataclasses.replace(proof, global_index=proof.global_index | (1 << 100))
    with pytest.raises(InvalidGlobalIndex, match="unused bits"):
        verify_claim(net.exits[1][0], bad, 2, net.knows)


def test_malformed_proof_shapes() -> None:
    with pytest.raises(MalformedBridgeValue, match="32 32-byte siblings"):
        ClaimProof((ZERO_HASH,) * 31, (ZERO_HASH,) * 32, 0, ZERO_HASH, ZERO_HASH)
    with pytest.raises(MalformedBridgeValue, match="mainnet_exit_root"):
        ClaimProof((ZERO_HASH,) * 32, (ZERO_HASH,) * 32, 0, Hash32(b"\x00"), ZERO_HASH)
