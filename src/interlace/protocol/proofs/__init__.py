"""Validity proofs of rollup blocks: one interface, the claim it proves, and its typed errors.

A proof system turns a block and its parent state into bytes that convince
a verifier holding only the parent header of the ``BlockClaim``: this block
of this chain takes the parent state root to this post-state root, with
these receipts and transactions. Backends sit behind ``ProofSystem`` and
say what they are (DESIGN.md §6): ``witness.WitnessProofSystem`` is a
*witness proof*, stateless re-execution against a Merkle multiproof of the
touched state; it is sound, but neither succinct nor zero-knowledge. A
zkVM backend can plug in later behind the same interface.

Errors follow ``interlace.primitives.errors``: ``MalformedValidityProof``
when the proof's bytes do not decode, ``InvalidValidityProof`` when they
decode but do not prove the claim.

A claim travels (to the L1 ``ValidityVerifier``) in its canonical encoding,
the RLP list of its fields in declaration order (``encode_block_claim``)::

    RLP[chainId, number, parentHash, parentStateRoot, stateRoot,
        receiptsRoot, transactionsRoot, blockHash, dependenciesHash,
        l1OriginNumber, l1OriginHash]

integers minimal big-endian, hashes 32 bytes; ``decode_block_claim`` accepts
only that encoding and raises ``MalformedBlockClaim`` otherwise.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from interlace.primitives.errors import InvalidProof, MalformedInput, MalformedProof
from interlace.primitives.header import BlockHeader
from interlace.primitives.rlp_codec import (
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_hash32,
    read_list,
    read_u64,
)
from interlace.primitives.types import U64, ChainId, Hash32
from interlace.protocol.chain.block import Block
from interlace.protocol.chain.state import WorldState

__all__ = [
    "BlockClaim",
    "BlockInputs",
    "InvalidValidityProof",
    "MalformedBlockClaim",
    "MalformedValidityProof",
    "ProofSystem",
    "decode_block_claim",
    "encode_block_claim",
]


class InvalidValidityProof(InvalidProof):
    """A well-formed validity proof does not prove its block claim."""


class MalformedValidityProof(MalformedProof):
    """A validity proof's bytes do not decode as the proof system's format."""


class MalformedBlockClaim(MalformedInput):
    """Bytes that are not the canonical encoding of a ``BlockClaim``."""


@dataclass(frozen=True, slots=True)
class BlockClaim:
    """What a validity proof proves about one rollup block (its public inputs)."""

    chain_id: ChainId
    """The rollup the block belongs to."""
    number: U64
    """Block number."""
    parent_hash: Hash32
    """Hash of the parent block, so proven blocks chain."""
    parent_state_root: Hash32
    """State root the block starts from (the parent header's)."""
    state_root: Hash32
    """Post-state root after the block (the header's)."""
    receipts_root: Hash32
    """Root of the block's receipts (the header's)."""
    transactions_root: Hash32
    """Root of the block's transactions (the header's)."""
    block_hash: Hash32
    """keccak256 of the block header, which commits to every field above but the parent root."""
    dependencies_hash: Hash32
    """Commitment to the cross-chain dependencies the block declares (see ``witness``)."""
    l1_origin_number: U64
    """The block's L1Origin number, from its L1-attributes deposit (0 with the zero hash
    when it has none)."""
    l1_origin_hash: Hash32
    """The block's L1Origin hash: L1 accepts the proof only while that block is an
    ancestor of the L1 block it lands in (``verifier_module``)."""


def encode_block_claim(claim: BlockClaim) -> bytes:
    """The canonical encoding of ``claim`` (layout: module docstring)."""
    return encode_rlp(
        [
            encode_uint(claim.chain_id),
            encode_uint(claim.number),
            claim.parent_hash,
            claim.parent_state_root,
            claim.state_root,
            claim.receipts_root,
            claim.transactions_root,
            claim.block_hash,
            claim.dependencies_hash,
            encode_uint(claim.l1_origin_number),
            claim.l1_origin_hash,
        ]
    )


def decode_block_claim(raw: bytes) -> BlockClaim:
    """Inverse of ``encode_block_claim``; raises only ``MalformedBlockClaim``."""
    if not isinstance(raw, bytes):
        raise MalformedBlockClaim("a block claim is bytes")
    try:
        items = read_list(decode_rlp(raw), 11, "block claim")
        h = [read_hash32(item, "block claim hash") for item in items[2:9]]
        claim = BlockClaim(
            ChainId(read_u64(items[0], "chain id")),
            read_u64(items[1], "block number"),
            parent_hash=h[0],
            parent_state_root=h[1],
            state_root=h[2],
            receipts_root=h[3],
            transactions_root=h[4],
            block_hash=h[5],
            dependencies_hash=h[6],
            l1_origin_number=read_u64(items[9], "L1Origin number"),
            l1_origin_hash=read_hash32(items[10], "L1Origin hash"),
        )
    except MalformedInput as exc:
        raise MalformedBlockClaim(f"bad block claim: {exc}") from exc
    if encode_block_claim(claim) != raw:  # one claim, one encoding
        raise MalformedBlockClaim("block claim is not canonically encoded")
    return claim


@dataclass(frozen=True, slots=True)
class BlockInputs:
    """What a prover needs to prove one block."""

    parent_state: WorldState
    """State after the parent block (full, flushed)."""
    parent_header: BlockHeader
    """The parent block's header."""
    block: Block
    """The block to prove."""


class ProofSystem(ABC):
    """A validity proof backend for the blocks of one chain."""

    name: ClassVar[str]
    """What the proofs are, in words that do not overstate them (never 'ZK' unless they are)."""

    @abstractmethod
    def prove(self, inputs: BlockInputs) -> bytes:
        """A proof of ``inputs.block``; raises ``InvalidBlock`` if the block is not valid."""

    @abstractmethod
    def verify(self, claim: BlockClaim, proof: bytes) -> None:
        """Return if ``proof`` proves ``claim``, else raise one of the two typed errors above."""
