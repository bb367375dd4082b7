"""Hub formats: safety levels, the hub state trie and signed hub block headers.

The hub state is a plain (not secure) Merkle-Patricia trie keyed by
``uint64 chainId ‖ uint64 blockNumber`` (16 bytes, big-endian) whose values
are ``RLP[blockHash, level, crossLevel]``. ``level`` is the block's own
safety level and ``crossLevel`` the lowest level over the block and all its
dependencies, transitively; ``INVALID`` (255) marks a block proven invalid,
equivocated, orphaned by an L1 reorg, or depending on such a block.

A hub block header is ``RLP[number, timestamp, parentHash, stateRoot,
l1Number, l1Hash]``; its hash is keccak of that RLP, and the hub signs
``keccak256(bytes32(1) ‖ hubBlockHash)`` (domain 1, apart from OP's domain 0
for sequencer blocks) as a 65-byte r‖s‖v signature.
"""

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from interlace.primitives.errors import MalformedInput
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey, recover_address, sign_hash
from interlace.primitives.rlp_codec import (
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_bytes,
    read_hash32,
    read_list,
    read_u64,
    read_uint,
)
from interlace.primitives.types import U64, Address, Hash32

HUB_SIGNING_DOMAIN: Final = (1).to_bytes(32, "big")


class MalformedHubData(MalformedInput):
    """Hub headers, state values or keys that do not decode."""


class SafetyLevel(IntEnum):
    """A block's safety in the hub's view (DESIGN.md §4); higher is safer, INVALID is final."""

    UNKNOWN = 0
    PRECONFIRMED = 1
    SAFE = 2
    CONFIRMED = 3
    FINALIZED = 4
    INVALID = 255


def state_key(chain_id: int, number: int) -> bytes:
    """Hub state trie key of a rollup block."""
    return chain_id.to_bytes(8, "big") + number.to_bytes(8, "big")


@dataclass(frozen=True, slots=True)
class BlockStatus:
    """The hub state value of one rollup block."""

    block_hash: Hash32
    """The block the hub accepted at this height."""
    level: SafetyLevel
    """Its own safety level."""
    cross_level: SafetyLevel
    """Lowest level over it and every dependency, transitively."""


def encode_status(status: BlockStatus) -> bytes:
    """``RLP[blockHash, level, crossLevel]``."""
    return encode_rlp(
        [status.block_hash, encode_uint(status.level), encode_uint(status.cross_level)]
    )


def decode_status(raw: bytes) -> BlockStatus:
    """Inverse of ``encode_status``; raises ``MalformedHubData``."""
    try:
        block_hash, level, cross = read_list(decode_rlp(raw), 3, "hub status")
        return BlockStatus(
            read_hash32(block_hash),
            SafetyLevel(read_uint(level, 8)),
            SafetyLevel(read_uint(cross, 8)),
        )
    except (MalformedInput, ValueError) as exc:
        raise MalformedHubData(f"bad hub status value: {exc}") from exc


@dataclass(frozen=True, slots=True)
class HubHeader:
    """A hub block header."""

    number: U64
    """Hub block number."""
    timestamp: U64
    """Seconds."""
    parent_hash: Hash32
    """Hash of the previous hub header."""
    state_root: Hash32
    """Root of the hub state trie after this block."""
    l1_number: U64
    """The hub's L1 head when it made the block (its L1 view)."""
    l1_hash: Hash32
    """That L1 block's hash."""


def encode_hub_header(header: HubHeader) -> bytes:
    """RLP of a hub header."""
    return encode_rlp(
        [
            encode_uint(header.number),
            encode_uint(header.timestamp),
            header.parent_hash,
            header.state_root,
            encode_uint(header.l1_number),
            header.l1_hash,
        ]
    )


def decode_hub_header(raw: bytes) -> HubHeader:
    """Inverse of ``encode_hub_header``; raises ``MalformedHubData``."""
    try:
        number, timestamp, parent, root, l1_number, l1_hash = read_list(
            decode_rlp(raw), 6, "hub header"
        )
        return HubHeader(
            read_u64(number),
            read_u64(timestamp),
            read_hash32(parent),
            read_hash32(root),
            read_u64(l1_number),
            read_hash32(l1_hash),
        )
    except MalformedInput as exc:
        raise MalformedHubData(f"bad hub header: {exc}") from exc


def hub_header_hash(header: HubHeader) -> Hash32:
    """keccak256 of the header RLP."""
    return keccak256(encode_hub_header(header))


def hub_signing_hash(header_hash: Hash32) -> Hash32:
    """What the hub key signs: keccak256(bytes32(1) ‖ hubBlockHash)."""
    return keccak256(HUB_SIGNING_DOMAIN + header_hash)


def sign_hub_header(header: HubHeader, key: PrivateKey) -> bytes:
    """65-byte r‖s‖v signature of a hub header."""
    return sign_hash(key, hub_signing_hash(hub_header_hash(header)))


def recover_hub_signer(header: HubHeader, signature: bytes) -> Address:
    """Signer of a hub header (raises ``InvalidSignature``)."""
    return recover_address(hub_signing_hash(hub_header_hash(header)), signature)


def encode_signed_hub_block(header: HubHeader, signature: bytes) -> bytes:
    """``RLP[headerRLP, signature]``: what the hub forwards and rollups store."""
    return encode_rlp([encode_hub_header(header), signature])


def decode_signed_hub_block(raw: bytes) -> tuple[HubHeader, bytes]:
    """Inverse of ``encode_signed_hub_block``; raises ``MalformedHubData``."""
    try:
        header_raw, signature = read_list(decode_rlp(raw), 2, "signed hub block")
        return decode_hub_header(read_bytes(header_raw)), read_bytes(signature)
    except MalformedInput as exc:
        raise MalformedHubData(f"bad signed hub block: {exc}") from exc
