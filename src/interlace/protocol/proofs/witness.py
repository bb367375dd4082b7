"""Witness proofs: stateless re-execution against a Merkle multiproof of the touched state.

A witness proof is sound, but neither succinct nor zero-knowledge: the
verifier re-executes the whole block, with ``execute_block``'s rules,
against ``PartialTrie``s that hold only the trie nodes the block touches,
and the proof is as large as that witness plus the block's transactions.

The prover executes the block on tries that resolve nodes from the full
parent state and record each node they resolve (``recording.py``, shared
with the fault game's one-step proofs); the verifier's execution
performs the same trie operations in the same order, so it asks for
exactly those nodes. That covers reads, writes and the sibling a delete
collapses a branch into, with no special case. A proof that lacks a node
the execution needs, carries one it does not need, or whose re-execution
disagrees with its header is invalid.

Layout (``WITNESS_PROOF_VERSION`` then RLP)::

    0x01 ‖ RLP[chainId, parentHeaderRLP, headerRLP,
               [accountNode, ...],
               [[address, [storageNode, ...]], ...],
               [rawTransaction, ...]]

Nodes are trie-node RLPs, each listed once, in the order the prover's
execution first needed them; storage witnesses are listed per account in
the order their tries were opened, and only for accounts whose storage
trie had nodes to resolve. The claim is not carried: it is derived from
the two headers and the transactions (``block_claim``), so it cannot
disagree with what was re-executed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

from interlace.primitives.errors import InterlaceError, InvalidSignature, MalformedInput
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import BlockHeader, decode_header, encode_header
from interlace.primitives.mpt import MissingTrieNode
from interlace.primitives.rlp_codec import (
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_address,
    read_bytes,
    read_list,
    read_u64,
)
from interlace.primitives.tx import Transaction, decode_transaction
from interlace.primitives.types import U64, ZERO_HASH, Address, ChainId, Hash32
from interlace.protocol.chain.block import Block, ChainConfig, execute_block
from interlace.protocol.chain.errors import InvalidBlock
from interlace.protocol.chain.modules import NativeModule
from interlace.protocol.chain.state import WorldState
from interlace.protocol.proofs import (
    BlockClaim,
    BlockInputs,
    InvalidValidityProof,
    MalformedValidityProof,
    ProofSystem,
)
from interlace.protocol.proofs.recording import (
    index_nodes,
    index_storage_nodes,
    open_witness_state,
    record_state,
)
from interlace.protocol.rollup.declaration import InvalidDeclaration, read_dependencies, read_origin

__all__ = [
    "MALFORMED_DEPENDENCIES_HASH",
    "WITNESS_PROOF_VERSION",
    "BlockClaim",
    "WitnessProofSystem",
    "block_claim",
    "block_origin",
    "dependencies_hash",
    "make_witness_proof",
    "prove_block_witness",
    "verify_witness_proof",
]

WITNESS_PROOF_VERSION: Final = b"\x01"
"""First byte of every witness proof of this layout."""
MALFORMED_DEPENDENCIES_HASH: Final = ZERO_HASH
"""``dependencies_hash`` of a block whose dependency declaration does not decode."""


# --- the claim ------------------------------------------------------------------


def dependencies_hash(transactions: Sequence[Transaction]) -> Hash32:
    """keccak256(RLP[[chainId, number, blockHash], ...]) of the dependencies a block declares.

    The declaration is the block's transaction 1 (``read_dependencies``);
    a block declaring none commits to the empty list, and a malformed
    declaration (which the hub treats as invalid) to
    ``MALFORMED_DEPENDENCIES_HASH``.
    """
    try:
        deps = read_dependencies(tuple(tx.raw for tx in transactions))
    except InvalidDeclaration:
        return MALFORMED_DEPENDENCIES_HASH
    return keccak256(
        encode_rlp([[encode_uint(d.chain_id), encode_uint(d.number), d.block_hash] for d in deps])
    )


def block_claim(chain_id: ChainId, parent_header: BlockHeader, block: Block) -> BlockClaim:
    """The claim a validity proof of ``block`` (child of ``parent_header``) proves."""
    header = block.header
    origin = block_origin(block)
    return BlockClaim(
        chain_id=chain_id,
        number=header.number,
        parent_hash=header.parent_hash,
        parent_state_root=parent_header.state_root,
        state_root=header.state_root,
        receipts_root=header.receipts_root,
        transactions_root=header.transactions_root,
        block_hash=block.hash,
        dependencies_hash=dependencies_hash(block.transactions),
        l1_origin_number=origin[0],
        l1_origin_hash=origin[1],
    )


def block_origin(block: Block) -> tuple[U64, Hash32]:
    """(number, hash) of the L1Origin that ``block``'s L1-attributes deposit sets, or
    (0, zero hash) if its first transaction is not one (L1 never holds that hash)."""
    try:
        origin = read_origin(tuple(tx.raw for tx in block.transactions[:1])).origin
    except InvalidDeclaration:
        return U64(0), ZERO_HASH
    return origin.number, origin.hash


# --- proving ----------------------------------------------------------------------


def make_witness_proof(
    parent_state: WorldState,
    parent_header: BlockHeader,
    block: Block,
    modules: Mapping[Address, NativeModule],
    config: ChainConfig,
) -> bytes:
    """Witness proof of ``block`` on ``parent_state`` (the full state after ``parent_header``).

    Re-executes the block with ``execute_block`` on recording tries, so the
    block is checked as a verifier node would check it: an invalid block
    raises ``InvalidBlock`` and gets no proof.
    """
    recorded = record_state(parent_state)
    execute_block(config, parent_header, recorded.state, modules, block)
    payload = [
        encode_uint(config.chain_id),
        encode_header(parent_header),
        encode_header(block.header),
        recorded.account_witness(),
        recorded.storage_witness(),
        [tx.raw for tx in block.transactions],
    ]
    return WITNESS_PROOF_VERSION + encode_rlp(payload)


# --- verifying ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Witness:
    """A decoded witness proof."""

    chain_id: ChainId
    parent_header: BlockHeader
    header: BlockHeader
    account_nodes: dict[bytes, bytes]
    storage_nodes: dict[Address, dict[bytes, bytes]]
    transactions: tuple[Transaction, ...]


def _decode_witness(proof: bytes) -> _Witness:
    """Parse the layout of the module docstring; ``MalformedValidityProof`` if it does not fit."""
    if not isinstance(proof, bytes):
        raise MalformedValidityProof("a witness proof is bytes")
    if proof[:1] != WITNESS_PROOF_VERSION:
        raise MalformedValidityProof(f"unknown witness proof version {proof[:1].hex() or 'none'}")
    try:
        items = read_list(decode_rlp(proof[1:]), 6, "witness proof")
        chain_id = ChainId(read_u64(items[0], "chain id"))
        parent_header = decode_header(read_bytes(items[1], "parent header"))
        header = decode_header(read_bytes(items[2], "header"))
        account_raws = [read_bytes(n, "account node") for n in read_list(items[3])]
        storage_raws: list[tuple[Address, list[bytes]]] = []
        for entry in read_list(items[4], None, "storage witnesses"):
            address_item, nodes_item = read_list(entry, 2, "storage witness")
            storage_raws.append(
                (
                    read_address(address_item, "storage witness address"),
                    [read_bytes(n, "storage node") for n in read_list(nodes_item, None, "nodes")],
                )
            )
        raws = [read_bytes(t, "transaction") for t in read_list(items[5], None, "transactions")]
        transactions = tuple(decode_transaction(raw) for raw in raws)
    except MalformedInput as exc:
        raise MalformedValidityProof(f"witness proof does not decode: {exc}") from exc
    except InvalidSignature as exc:
        raise InvalidValidityProof(f"a transaction's signature is invalid: {exc}") from exc
    storage_nodes = index_storage_nodes(storage_raws, InvalidValidityProof)
    account_nodes = index_nodes(account_raws, "account witness", InvalidValidityProof)
    return _Witness(chain_id, parent_header, header, account_nodes, storage_nodes, transactions)


def verify_witness_proof(
    proof: bytes,
    config: ChainConfig,
    modules: Mapping[Address, NativeModule],
    parent_header: BlockHeader | None = None,
) -> BlockClaim:
    """Re-execute the proven block statelessly; return its claim or raise.

    The proof carries the parent header, which the claimed block's hash
    commits to; pass ``parent_header`` to also require that it is this
    one. Raises ``MalformedValidityProof`` if the bytes do not decode and
    ``InvalidValidityProof`` if they do not prove a valid block on that
    parent: a transaction that does not validate, a gas, receipts, bloom or
    state root that re-execution does not reproduce, a header that does not
    hash to the claimed block, a witness lacking a node the execution needs
    or holding one it does not, or a proof for another chain or parent.
    """
    witness = _decode_witness(proof)
    if witness.chain_id != config.chain_id:
        raise InvalidValidityProof(
            f"proof is for chain {witness.chain_id}, this verifier is chain {config.chain_id}"
        )
    if parent_header is not None and witness.parent_header != parent_header:
        raise InvalidValidityProof("proof is for a block on another parent")
    parent = witness.parent_header
    replayed = open_witness_state(parent.state_root, witness.account_nodes, witness.storage_nodes)
    block = Block(witness.header, witness.transactions)
    try:
        execute_block(config, parent, replayed.state, modules, block)
    except InvalidBlock as exc:
        raise InvalidValidityProof(f"re-execution rejects the block: {exc}") from exc
    except MissingTrieNode as exc:
        raise InvalidValidityProof(f"the witness is incomplete: {exc}") from exc
    except InterlaceError as exc:  # a witness node that hashes right but does not decode
        raise InvalidValidityProof(f"re-execution failed: {exc}") from exc
    replayed.check_all_used(InvalidValidityProof, "block")
    return block_claim(config.chain_id, parent, block)


def prove_block_witness(
    witness: bytes, config: ChainConfig, modules: Mapping[Address, NativeModule]
) -> tuple[BlockClaim, bytes]:
    """Stateless proving from a captured witness: what a prover worker runs.

    ``witness`` is what ``make_witness_proof`` captured while executing the
    block on its full parent state (the block, its parent header and the
    touched pre-state nodes, in the proof layout). The worker holds no
    state: it re-executes the block against those nodes with
    ``execute_block``'s checks (post-state root, receipts, bloom, gas,
    transactions root) and derives the claim, including the dependency
    commitment. For witness proofs the checked witness *is* the proof, so
    the second element is ``witness`` itself; a zkVM backend would run its
    prover from the same inputs here. Raises like ``verify_witness_proof``.
    """
    return verify_witness_proof(witness, config, modules), witness


class WitnessProofSystem(ProofSystem):
    """Witness proofs for one chain: stateless re-execution, sound, not succinct, not ZK."""

    name: ClassVar[str] = "witness"

    def __init__(self, config: ChainConfig, modules: Mapping[Address, NativeModule]) -> None:
        self.config = config
        """The chain's parameters."""
        self.modules = modules
        """The chain's native modules, which re-execution runs."""

    def prove(self, inputs: BlockInputs) -> bytes:
        """``make_witness_proof`` of ``inputs.block``."""
        return make_witness_proof(
            inputs.parent_state, inputs.parent_header, inputs.block, self.modules, self.config
        )

    def verify(self, claim: BlockClaim, proof: bytes) -> None:
        """``verify_witness_proof``, then require that the proof proves exactly ``claim``."""
        proven = verify_witness_proof(proof, self.config, self.modules)
        if proven != claim:
            raise InvalidValidityProof(
                f"proof is for block 0x{proven.block_hash.hex()}, not the claimed "
                f"0x{claim.block_hash.hex()} (or the claim's other fields differ)"
            )
