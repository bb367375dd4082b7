"""The aggregate format: ``Aggregate`` and its blocks, their shape checks, the canonical RLP
(``encode_aggregate``/``decode_aggregate``) and the hub's domain-2 signature."""

from dataclasses import dataclass
from typing import Final

from interlace.primitives.errors import InvalidSignature, MalformedInput
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey, recover_address, sign_hash
from interlace.primitives.rlp_codec import (
    RLPItem,
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_bytes,
    read_hash32,
    read_list,
    read_u64,
)
from interlace.primitives.types import (
    U64,
    U64_MAX,
    ZERO_ADDRESS,
    Address,
    Hash32,
)
from interlace.protocol.interop.messenger import Dependency
from interlace.protocol.settlement.aggregate.errors import MalformedAggregate, WrongAggregateSigner

AGGREGATE_SIGNING_DOMAIN: Final = (2).to_bytes(32, "big")


# --- data --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AggregateBlock:
    """One rollup block the hub asks L1 to settle."""

    chain_id: U64
    """The rollup's chain id (1 ≤ id < 2^64)."""
    number: U64
    """Block number (≥ 1: block 0 is the genesis registered with ``configure``)."""
    block_hash: Hash32
    """The block's hash."""
    parent_hash: Hash32
    """Its parent's hash: the chain's settled head, or the previous block in the aggregate."""
    dependencies: tuple[Dependency, ...]
    """Cross-chain dependencies the block committed to in its signed payload."""
    confirmation: bytes
    """Opaque reference to what confirmed the block: a verified proof or a finished game."""


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A hub aggregate: confirmed rollup blocks, grouped per chain, under one hub block.

    Construction checks the shape (ranges, ordering, field widths) and raises
    ``ValueError`` on local misuse; ``decode_aggregate`` turns the same
    failures on outside bytes into ``MalformedAggregate``.
    """

    hub_number: U64
    """The hub block whose state this aggregate settles."""
    hub_state_root: Hash32
    """That hub block's state root (stored on L1 by hub number)."""
    blocks: tuple[AggregateBlock, ...]
    """Per chain (ascending chain id) one run of consecutive block numbers."""

    def __post_init__(self) -> None:
        _check_u64(self.hub_number, "hub number")
        _check_hash(self.hub_state_root, "hub state root")
        previous: AggregateBlock | None = None
        for block in self.blocks:
            _check_block(block)
            if previous is not None:
                if block.chain_id == previous.chain_id:
                    if block.number != previous.number + 1:
                        raise ValueError(
                            f"chain {block.chain_id}: block {block.number} does not follow"
                            f" {previous.number} (a chain's blocks are one consecutive run)"
                        )
                elif block.chain_id < previous.chain_id:
                    raise ValueError(
                        f"chain {block.chain_id} after chain {previous.chain_id}"
                        " (chains are grouped in ascending id order, each once)"
                    )
            previous = block


def _check_u64(value: int, what: str) -> None:
    if type(value) is not int or not 0 <= value <= U64_MAX:
        raise ValueError(f"{what} is not a uint64: {value!r}")


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != 32:
        raise ValueError(f"{what} is not 32 bytes")


def _check_block(block: AggregateBlock) -> None:
    _check_u64(block.chain_id, "chain id")
    _check_u64(block.number, "block number")
    if block.chain_id == 0:
        raise ValueError("chain id 0 is not a chain")
    if block.number == 0:
        raise ValueError(f"chain {block.chain_id}: block 0 is the genesis and is never aggregated")
    _check_hash(block.block_hash, "block hash")
    _check_hash(block.parent_hash, "parent hash")
    if not isinstance(block.confirmation, bytes):
        raise ValueError("confirmation must be bytes")
    for dep in block.dependencies:
        _check_u64(dep.chain_id, "dependency chain id")
        _check_u64(dep.number, "dependency number")
        _check_hash(dep.block_hash, "dependency hash")


def block_ref(block: AggregateBlock) -> Dependency:
    """The (chainId, number, blockHash) naming ``block``, as a dependency would."""
    return Dependency(block.chain_id, block.number, block.block_hash)


# --- encoding and signing ------------------------------------------------------------------------


def encode_aggregate(aggregate: Aggregate) -> bytes:
    """The canonical RLP of ``aggregate`` (layout: package docstring, docs/settlement.md)."""
    return encode_rlp(
        [
            encode_uint(aggregate.hub_number),
            aggregate.hub_state_root,
            [
                [
                    encode_uint(block.chain_id),
                    encode_uint(block.number),
                    block.block_hash,
                    block.parent_hash,
                    [
                        [encode_uint(dep.chain_id), encode_uint(dep.number), dep.block_hash]
                        for dep in block.dependencies
                    ],
                    block.confirmation,
                ]
                for block in aggregate.blocks
            ],
        ]
    )


def decode_aggregate(raw: bytes) -> Aggregate:
    """Inverse of ``encode_aggregate``; raises only ``MalformedAggregate``.

    Only canonical encodings decode, so ``encode_aggregate(decode_aggregate(raw)) == raw``.
    """
    try:
        hub_number, hub_root, blocks = read_list(decode_rlp(raw), 3, "aggregate")
        return Aggregate(
            read_u64(hub_number, "hub number"),
            read_hash32(hub_root, "hub state root"),
            tuple(_decode_block(item) for item in read_list(blocks, None, "aggregate blocks")),
        )
    except (MalformedInput, ValueError) as exc:
        raise MalformedAggregate(f"bad aggregate: {exc}") from exc


def _decode_block(item: RLPItem) -> AggregateBlock:
    chain_id, number, block_hash, parent_hash, deps, confirmation = read_list(
        item, 6, "aggregate block"
    )
    return AggregateBlock(
        read_u64(chain_id, "chain id"),
        read_u64(number, "block number"),
        read_hash32(block_hash, "block hash"),
        read_hash32(parent_hash, "parent hash"),
        tuple(_decode_dependency(dep) for dep in read_list(deps, None, "dependencies")),
        read_bytes(confirmation, "confirmation"),
    )


def _decode_dependency(item: RLPItem) -> Dependency:
    chain_id, number, block_hash = read_list(item, 3, "dependency")
    return Dependency(
        read_u64(chain_id, "dependency chain id"),
        read_u64(number, "dependency number"),
        read_hash32(block_hash, "dependency hash"),
    )


def aggregate_hash(aggregate: Aggregate) -> Hash32:
    """keccak256 of the aggregate's canonical RLP."""
    return keccak256(encode_aggregate(aggregate))


def aggregate_signing_hash(aggregate: Aggregate) -> Hash32:
    """What the hub key signs: keccak256(bytes32(2) ‖ keccak256(aggregateRLP))."""
    return keccak256(AGGREGATE_SIGNING_DOMAIN + aggregate_hash(aggregate))


def sign_aggregate(aggregate: Aggregate, key: PrivateKey) -> bytes:
    """The hub's 65-byte r‖s‖v signature of ``aggregate``."""
    return sign_hash(key, aggregate_signing_hash(aggregate))


def recover_aggregate_signer(aggregate: Aggregate, signature: bytes) -> Address:
    """The key that signed ``aggregate`` (raises ``InvalidSignature``)."""
    return recover_address(aggregate_signing_hash(aggregate), signature)


def verify_aggregate_signature(aggregate: Aggregate, signature: bytes, hub: Address) -> None:
    """Raise ``WrongAggregateSigner`` unless ``hub`` signed ``aggregate``."""
    if hub == ZERO_ADDRESS:
        raise WrongAggregateSigner("no hub key is configured")
    try:
        signer = recover_aggregate_signer(aggregate, signature)
    except InvalidSignature as exc:
        raise WrongAggregateSigner(f"signature does not recover: {exc}") from exc
    if signer != hub:
        raise WrongAggregateSigner(f"signed by 0x{signer.hex()}, the hub is 0x{hub.hex()}")
