"""Claim verification: is this exit in a global exit root the claiming chain knows?

It is the check of ``PolygonZkEVMBridgeV2.claimAsset``/``claimMessage`` and ``_verifyLeaf``,
in the same order and with the same refusals:

1. the exit's destination network is the claiming network (``DestinationNetworkInvalid``);
2. ``keccak256(mainnetExitRoot ‖ rollupExitRoot)`` is a global exit root the claiming chain
   recorded (``GlobalExitRootInvalid``);
3. the global index has no unused bit set (``InvalidGlobalIndex``);
4. an exit of L1 proves its leaf against ``mainnetExitRoot`` at the leaf index; an exit of
   a rollup proves its leaf to the rollup's local exit root and that root against
   ``rollupExitRoot`` at the rollup index (``InvalidSmtProof``);
5. the nullifier is not set yet (``AlreadyClaimed``; the caller's, it owns the bitmap).

Two refusals are added that the contract does not make: a zero exit root, and an exit whose
local exit root is zero. A zero root is what an unset slot reads as, and Nomad's bridge lost
$190M to a zero root accepted as proven; here it is refused by name.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from interlace.primitives.exit_tree import (
    EXIT_TREE_DEPTH,
    ExitTree,
    compute_root_from_proof,
)
from interlace.primitives.types import ZERO_HASH, Hash32, to_hex
from interlace.protocol.bridge.errors import (
    DestinationNetworkInvalid,
    GlobalExitRootInvalid,
    InvalidSmtProof,
    MalformedBridgeValue,
)
from interlace.protocol.bridge.format import (
    BridgeExit,
    GlobalIndex,
    decode_global_index,
    global_exit_root,
)

__all__ = ["ClaimProof", "build_claim_proof", "verify_claim"]


@dataclass(frozen=True, slots=True)
class ClaimProof:
    """What ``claimAsset``/``claimMessage`` take besides the exit's own fields."""

    smt_proof_local_exit_root: tuple[Hash32, ...]
    """32 siblings from the leaf to its chain's local exit root (to ``mainnetExitRoot``
    for an exit of L1)."""
    smt_proof_rollup_exit_root: tuple[Hash32, ...]
    """32 siblings from the rollup's local exit root to ``rollupExitRoot`` (all zero and
    unused for an exit of L1)."""
    global_index: int
    """The ``uint256`` global index, as sent; decoded strictly by ``verify_claim``."""
    mainnet_exit_root: Hash32
    rollup_exit_root: Hash32

    def __post_init__(self) -> None:
        for name in ("smt_proof_local_exit_root", "smt_proof_rollup_exit_root"):
            proof: Sequence[bytes] = getattr(self, name)
            if len(proof) != EXIT_TREE_DEPTH or any(len(s) != 32 for s in proof):
                raise MalformedBridgeValue(f"{name} must be {EXIT_TREE_DEPTH} 32-byte siblings")
        for name in ("mainnet_exit_root", "rollup_exit_root"):
            if len(getattr(self, name)) != 32:
                raise MalformedBridgeValue(f"{name} must be 32 bytes")

    @property
    def global_exit_root(self) -> Hash32:
        """The global exit root the claim proves against."""
        return global_exit_root(self.mainnet_exit_root, self.rollup_exit_root)


def verify_claim(
    exit_: BridgeExit,
    proof: ClaimProof,
    claiming_network: int,
    knows_root: Callable[[Hash32], bool],
) -> GlobalIndex:
    """Check that ``exit_`` may be claimed on ``claiming_network``; return its decoded
    global index (whose nullifier the caller then checks and sets).

    ``knows_root`` answers whether the claiming chain recorded a global exit root. Raises a
    ``BridgeRefused`` subclass naming the value that failed.
    """
    if exit_.destination_network != claiming_network:
        raise DestinationNetworkInvalid(
            f"the exit's destination is network {exit_.destination_network}, "
            f"it cannot be claimed on network {claiming_network}"
        )
    ger = proof.global_exit_root
    if not knows_root(ger):
        raise GlobalExitRootInvalid(
            f"global exit root {to_hex(ger)} (mainnet exit root {to_hex(proof.mainnet_exit_root)}, "
            f"rollup exit root {to_hex(proof.rollup_exit_root)}) was never recorded on "
            f"network {claiming_network}"
        )
    index = decode_global_index(proof.global_index)
    leaf = exit_.leaf_hash()
    local_root = compute_root_from_proof(leaf, index.leaf_index, proof.smt_proof_local_exit_root)
    if index.mainnet:
        if proof.mainnet_exit_root == ZERO_HASH:
            raise GlobalExitRootInvalid("the claim's mainnet exit root is zero")
        if local_root != proof.mainnet_exit_root:
            raise InvalidSmtProof(
                f"leaf {index.leaf_index} of L1's exit tree does not prove against mainnet "
                f"exit root {to_hex(proof.mainnet_exit_root)} "
                f"(the proof gives {to_hex(local_root)})"
            )
        return index
    if proof.rollup_exit_root == ZERO_HASH:
        raise GlobalExitRootInvalid("the claim's rollup exit root is zero")
    if local_root == ZERO_HASH:
        raise InvalidSmtProof("the proof gives a zero local exit root")
    rollup_root = compute_root_from_proof(
        local_root, index.rollup_index, proof.smt_proof_rollup_exit_root
    )
    if rollup_root != proof.rollup_exit_root:
        raise InvalidSmtProof(
            f"local exit root {to_hex(local_root)} of network {index.source_network} (leaf "
            f"{index.leaf_index}) does not prove against rollup exit root "
            f"{to_hex(proof.rollup_exit_root)} at rollup index {index.rollup_index} "
            f"(the proof gives {to_hex(rollup_root)})"
        )
    return index


def build_claim_proof(
    index: GlobalIndex,
    source_tree: ExitTree,
    rollup_tree: ExitTree,
    mainnet_exit_root: Hash32,
) -> ClaimProof:
    """The claim witness for the exit at ``index``: ``source_tree`` is the source chain's
    local exit tree (L1's for a mainnet index) at the root the global exit root holds, and
    ``rollup_tree`` the rollup exit tree (leaf i: rollup index i's local exit root) of that
    global exit root."""
    local_proof = source_tree.proof(index.leaf_index)
    if index.mainnet:
        rollup_proof: tuple[Hash32, ...] = (ZERO_HASH,) * EXIT_TREE_DEPTH
    else:
        rollup_proof = rollup_tree.proof(index.rollup_index)
    return ClaimProof(
        smt_proof_local_exit_root=local_proof,
        smt_proof_rollup_exit_root=rollup_proof,
        global_index=index.encode(),
        mainnet_exit_root=mainnet_exit_root,
        rollup_exit_root=rollup_tree.root(),
    )
