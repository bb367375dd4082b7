"""The L1 ``ValidityVerifier``: a validity rollup's proven blocks, one verified block at a time.

This module owns the L1 native module at ``VALIDITY_VERIFIER_ADDRESS``
(0x…10a8), its genesis helper (``configure_verifier``), its gas schedule and
the read helpers the hub and the roles use. A validity chain is registered
at L1 genesis with its genesis block hash and state root, which become its
first proven block (number 0). ``submitProof(chainId, claim, proof)`` proves
one block whose parent is proven: the claim (``encode_block_claim``) must
name a proven block (its number − 1, its hash) as parent, with that block's
state root, and the proof must prove exactly that claim with the chain's
proof system.

The proven blocks form a tree, not a chain: a proof shows that a block is a
correct execution of its transactions on a proven parent, not that it is the
version the chain settles. Two versions at one height (an equivocating
sequencer, or a block the sequencer rebuilt after the hub invalidated one of
its dependencies, explorer seed 2009) can both be proven; which one counts
is decided by the hub's aggregate (``HubSettlement`` settles a block only if
the version it names is proven, ``settlement.confirmation``). The *proven
head* is the first block proven at the greatest height.

Proofs are *witness proofs* (``witness.WitnessProofSystem``): stateless
re-execution of the whole block against the trie nodes it touches, sound,
but neither succinct nor zero-knowledge, so verification costs a
re-execution and the proof is as large as the block plus its witness.
Anyone may submit: the proof is the authority.

A refused submission reverts with ``"<ErrorName>: <message>"`` before any
write. Storage (Solidity layout):

- mapping slot 0 ``heads[chainId]`` = {uint64 number, bytes32 blockHash,
  bytes32 stateRoot} (three consecutive words; a zero hash: no such chain);
- mapping slot 1 ``provenRoot[chainId][number][blockHash]`` = bytes32
  stateRoot (zero: not proven), block 0 being the genesis.

Gas, on top of the transaction's intrinsic gas (which already charges the
calldata, 16 per non-zero byte): ``G_VERIFY_BASE`` + ``G_VERIFY_PER_BYTE``
per proof byte, charged before the proof is checked, plus the storage reads,
writes and the log. The per-byte charge stands for the work, which grows
with the proof: every byte is hashed (witness nodes) or decoded and
re-executed (transactions). See docs/witness.md for what a 1,000-transfer
block costs against the 30M L1 block gas limit.
"""

from collections.abc import Mapping
from typing import Final

from interlace.primitives.abi import AbiModule
from interlace.primitives.errors import InputError
from interlace.primitives.types import U64, U64_MAX, ZERO_HASH, ChainId, Hash32, address_from_hex
from interlace.protocol.chain.block import ChainConfig
from interlace.protocol.chain.history import read_block_hash
from interlace.protocol.chain.modules import (
    G_SLOAD,
    CallContext,
    NativeModule,
    install_module,
    mapping_slot,
    revert,
)
from interlace.protocol.chain.state import WorldState
from interlace.protocol.proofs import (
    BlockClaim,
    InvalidValidityProof,
    MalformedBlockClaim,
    MalformedValidityProof,
    decode_block_claim,
)
from interlace.protocol.proofs.witness import WitnessProofSystem
from interlace.protocol.rollup.chain import rollup_modules

__all__ = [
    "G_SUBMIT_OVERHEAD",
    "G_VERIFY_BASE",
    "G_VERIFY_PER_BYTE",
    "VALIDITY_VERIFIER_ABI",
    "VALIDITY_VERIFIER_ADDRESS",
    "AlreadyProven",
    "NotNextBlock",
    "OriginNotAncestor",
    "ParentMismatch",
    "ParentStateRootMismatch",
    "ProofRefused",
    "UnknownValidityChain",
    "ValidityVerifier",
    "WrongClaimChain",
    "configure_verifier",
    "read_proven_block",
    "read_proven_head",
    "submit_proof_gas",
    "verification_gas",
]

VALIDITY_VERIFIER_ADDRESS: Final = address_from_hex("0x00000000000000000000000000000000000010a8")

G_VERIFY_BASE: Final = 50_000
"""Gas of every verification, whatever its size."""
G_VERIFY_PER_BYTE: Final = 24
"""Gas per proof byte: hashing witness nodes, decoding and re-executing transactions."""
G_SUBMIT_OVERHEAD: Final = 150_000
"""Bound on the rest of a successful call: the module call, reads, five writes and the log."""

_HEADS: Final = 0
_PROVEN: Final = 1

VALIDITY_VERIFIER_ABI: Final = AbiModule.declare(
    "ValidityVerifier",
    functions=[
        "submitProof(uint64 chainId, bytes claim, bytes proof)",
        (
            "provenHead(uint64 chainId) view returns"
            " (uint64 number, bytes32 blockHash, bytes32 stateRoot)"
        ),
        (
            "provenStateRoot(uint64 chainId, uint64 number, bytes32 blockHash) view returns"
            " (bytes32 stateRoot)"
        ),
        "isProven(uint64 chainId, uint64 number, bytes32 blockHash) view returns (bool)",
    ],
    events=[
        (
            "BlockProven(uint64 indexed chainId, uint64 indexed number, bytes32 blockHash,"
            " bytes32 stateRoot)"
        ),
    ],
)


# --- errors ----------------------------------------------------------------------------------


class ProofRefused(InputError):
    """A submission that does not extend the chain's proven head; nothing changes."""


class AlreadyProven(ProofRefused):
    """This version of the block (its number and hash) is proven already."""


class UnknownValidityChain(ProofRefused):
    """The chain was not registered with the verifier at L1 genesis."""


class WrongClaimChain(ProofRefused):
    """The claim is about another chain than the one the call names."""


class NotNextBlock(ProofRefused):
    """The claim's number is beyond the proven head's + 1: it skips a block."""


class ParentMismatch(ProofRefused):
    """The claim's parent (its number − 1 and parent hash) is not a proven block."""


class ParentStateRootMismatch(ProofRefused):
    """The claim's parent state root is not its proven parent's state root."""


class OriginNotAncestor(ProofRefused):
    """The claim's L1Origin is not an ancestor of the L1 block the proof lands in: an L1
    reorg replaced it (the block can never be derived now), or it is older than the
    8,191 blocks of EIP-2935 history L1 can check."""


# --- gas ------------------------------------------------------------------------------------


def verification_gas(proof_length: int) -> int:
    """Gas the module charges to check a proof of ``proof_length`` bytes."""
    return G_VERIFY_BASE + G_VERIFY_PER_BYTE * proof_length


def submit_proof_gas(calldata: bytes, proof_length: int) -> int:
    """A transaction gas limit that covers ``submitProof`` with this calldata: intrinsic
    (21,000 + 16 per non-zero and 4 per zero calldata byte) + verification + overhead."""
    zeros = calldata.count(0)
    intrinsic = 21_000 + 4 * zeros + 16 * (len(calldata) - zeros)
    return intrinsic + verification_gas(proof_length) + G_SUBMIT_OVERHEAD


# --- storage --------------------------------------------------------------------------------


def _offset(slot: bytes, index: int) -> bytes:
    return ((int.from_bytes(slot, "big") + index) % 2**256).to_bytes(32, "big")


def _head_slots(chain_id: int) -> tuple[bytes, bytes, bytes]:
    base = mapping_slot(_HEADS, chain_id)
    return base, _offset(base, 1), _offset(base, 2)


def _proven_slot(chain_id: int, number: int, block_hash: bytes) -> bytes:
    return mapping_slot(_PROVEN, chain_id, number, block_hash)


def _hash(word: int) -> Hash32:
    return Hash32(word.to_bytes(32, "big"))


def _word(value: bytes) -> int:
    return int.from_bytes(value, "big")


def configure_verifier(state: WorldState, genesis: Mapping[int, tuple[Hash32, Hash32]]) -> None:
    """Genesis helper: install ``ValidityVerifier`` and register each validity chain.

    ``genesis`` maps a chain id to its (genesis block hash, genesis state
    root), which become the chain's proven head at number 0. Local misuse
    (an id out of range, a zero hash, registering a chain twice) raises
    ``ValueError``.
    """
    install_module(state, ValidityVerifier())
    address = VALIDITY_VERIFIER_ADDRESS
    for chain_id, (block_hash, state_root) in genesis.items():
        if not 0 < chain_id <= U64_MAX:
            raise ValueError(f"chain id {chain_id} out of range")
        for what, value in (("genesis hash", block_hash), ("genesis state root", state_root)):
            if len(value) != 32 or value == ZERO_HASH:
                raise ValueError(f"chain {chain_id}: {what} must be 32 non-zero bytes")
        if read_proven_head(state, chain_id) is not None:
            raise ValueError(f"chain {chain_id} is already registered")
        number_slot, hash_slot, root_slot = _head_slots(chain_id)
        state.set_storage(address, number_slot, 0)
        state.set_storage(address, hash_slot, _word(block_hash))
        state.set_storage(address, root_slot, _word(state_root))
        state.set_storage(address, _proven_slot(chain_id, 0, block_hash), _word(state_root))


def read_proven_head(state: WorldState, chain_id: int) -> tuple[U64, Hash32, Hash32] | None:
    """(number, block hash, state root) of the chain's proven head, or None if unregistered."""
    number_slot, hash_slot, root_slot = _head_slots(chain_id)
    block_hash = state.get_storage(VALIDITY_VERIFIER_ADDRESS, hash_slot)
    if not block_hash:
        return None
    return (
        U64(state.get_storage(VALIDITY_VERIFIER_ADDRESS, number_slot)),
        _hash(block_hash),
        _hash(state.get_storage(VALIDITY_VERIFIER_ADDRESS, root_slot)),
    )


def read_proven_block(
    state: WorldState, chain_id: int, number: int, block_hash: Hash32
) -> Hash32 | None:
    """The state root of block ``number`` with hash ``block_hash`` of the chain if that
    version is proven, else None."""
    root = state.get_storage(VALIDITY_VERIFIER_ADDRESS, _proven_slot(chain_id, number, block_hash))
    return _hash(root) if root else None


# --- the module -----------------------------------------------------------------------------


class ValidityVerifier(NativeModule):
    """Verifies witness validity proofs of rollup blocks and keeps each chain's proven head.

    See the module docstring. Each chain's proofs are checked by a
    ``WitnessProofSystem`` over ``ChainConfig(chain_id)`` and the rollup
    predeploys (``rollup_modules``), the same rules its nodes execute.
    """

    address = VALIDITY_VERIFIER_ADDRESS
    abi = VALIDITY_VERIFIER_ABI

    def __init__(self) -> None:
        self._systems: dict[int, WitnessProofSystem] = {}

    def proof_system(self, chain_id: int) -> WitnessProofSystem:
        """The proof system of ``chain_id`` (built once; it holds no state)."""
        system = self._systems.get(chain_id)
        if system is None:
            system = WitnessProofSystem(ChainConfig(ChainId(chain_id)), rollup_modules())
            self._systems[chain_id] = system
        return system

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if function == "submitProof":
            chain_id, claim, proof = args
            assert isinstance(chain_id, int) and isinstance(claim, bytes)
            assert isinstance(proof, bytes)
            self._submit(ctx, chain_id, claim, proof)
            return b""
        if function == "provenHead":
            (chain_id,) = args
            assert isinstance(chain_id, int)
            number_slot, hash_slot, root_slot = _head_slots(chain_id)
            return self.abi.function("provenHead").encode_return(
                ctx.sload(number_slot), _hash(ctx.sload(hash_slot)), _hash(ctx.sload(root_slot))
            )
        if function in ("provenStateRoot", "isProven"):
            chain_id, number, block_hash = args
            assert isinstance(chain_id, int) and isinstance(number, int)
            assert isinstance(block_hash, bytes)
            root = ctx.sload(_proven_slot(chain_id, number, block_hash))
            value = _hash(root) if function == "provenStateRoot" else root != 0
            return self.abi.function(function).encode_return(value)
        raise revert(f"unknown function {function}")

    def _submit(self, ctx: CallContext, chain_id: int, raw_claim: bytes, proof: bytes) -> None:
        # Every check and charge comes before the first write, so a refusal (or running
        # out of gas) changes nothing even when the module is called directly.
        try:
            number_slot, hash_slot, root_slot = _head_slots(chain_id)
            head_hash = ctx.sload(hash_slot)
            if not head_hash:
                raise UnknownValidityChain(f"chain {chain_id} is not a registered validity chain")
            head_number = ctx.sload(number_slot)
            claim = decode_block_claim(raw_claim)
            _check_successor(ctx, chain_id, claim, head_number)
            _check_origin(ctx, claim)
            ctx.charge(verification_gas(len(proof)))
            self.proof_system(chain_id).verify(claim, proof)
        except (
            ProofRefused,
            MalformedBlockClaim,
            MalformedValidityProof,
            InvalidValidityProof,
        ) as exc:
            raise revert(f"{type(exc).__name__}: {exc}") from exc
        if claim.number > head_number:
            ctx.sstore(number_slot, claim.number)
            ctx.sstore(hash_slot, _word(claim.block_hash))
            ctx.sstore(root_slot, _word(claim.state_root))
        proven = _proven_slot(chain_id, claim.number, claim.block_hash)
        ctx.sstore(proven, _word(claim.state_root))
        topics, data = self.abi.event("BlockProven").encode_log(
            chain_id, claim.number, claim.block_hash, claim.state_root
        )
        ctx.emit(topics, data)


def _check_origin(ctx: CallContext, claim: BlockClaim) -> None:
    """Raise ``OriginNotAncestor`` unless L1's block-hash history (EIP-2935) holds the
    claim's L1Origin at its number.

    Without this check a proof of a block built on an L1 block that a reorg removed,
    sent before the reorg and re-included after it (a replaced block's transactions go
    back to the pool), would make L1 prove a block that derivation no longer produces;
    its rebuild could then never be proven (explorer seed 631)."""
    ctx.charge(G_SLOAD)
    known = read_block_hash(ctx.state, claim.l1_origin_number, ctx.env.number)
    if known != claim.l1_origin_hash:
        where = (
            "is outside the L1 block-hash history"
            if known is None
            else f"is 0x{known.hex()[:16]} on this L1 chain"
        )
        raise OriginNotAncestor(
            f"chain {claim.chain_id} block {claim.number}: L1Origin {claim.l1_origin_number}"
            f" 0x{claim.l1_origin_hash.hex()[:16]} {where}"
        )


def _check_successor(ctx: CallContext, chain_id: int, claim: BlockClaim, head_number: int) -> None:
    """Raise the ``ProofRefused`` subclass that ``claim`` breaks as a child of a proven block."""
    if claim.chain_id != chain_id:
        raise WrongClaimChain(
            f"the claim is about chain {claim.chain_id}, the call names {chain_id}"
        )
    if claim.number > head_number + 1 or claim.number == 0:
        raise NotNextBlock(
            f"chain {chain_id}: the claim is block {claim.number}, the proven head is"
            f" {head_number} (a claim's parent must be proven)"
        )
    if ctx.sload(_proven_slot(chain_id, claim.number, claim.block_hash)):
        raise AlreadyProven(
            f"chain {chain_id} block {claim.number} 0x{claim.block_hash.hex()[:16]} is proven"
        )
    parent_root = ctx.sload(_proven_slot(chain_id, claim.number - 1, claim.parent_hash))
    if not parent_root:
        raise ParentMismatch(
            f"chain {chain_id} block {claim.number}: parent 0x{claim.parent_hash.hex()[:16]}"
            f" is not a proven block {claim.number - 1}"
        )
    if claim.parent_state_root != _hash(parent_root):
        raise ParentStateRootMismatch(
            f"chain {chain_id} block {claim.number}: parent state root"
            f" 0x{claim.parent_state_root.hex()[:16]} is not its proven parent's"
            f" 0x{_hash(parent_root).hex()[:16]}"
        )
