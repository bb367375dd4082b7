"""Ethereum block headers in their post-Cancun form: the dataclass, RLP and the block hash.

A header is the RLP list of the 20 fields Ethereum has carried since Cancun
(EIP-4844 and EIP-4788); the block hash is keccak256 of that RLP. Only that
full 20-field form is accepted by ``decode_header``: shorter pre-Cancun
headers and longer post-Prague ones (``requests_hash``) are rejected as
``MalformedHeader``, since every Interlace chain and every OP Stack chain
after Ecotone produces exactly this form.
"""

from dataclasses import dataclass
from typing import Final

from interlace.primitives.errors import MalformedHeader, MalformedInput
from interlace.primitives.hashing import keccak256
from interlace.primitives.mpt import EMPTY_TRIE_ROOT
from interlace.primitives.rlp_codec import (
    RLPItem,
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_address,
    read_bytes,
    read_fixed,
    read_hash32,
    read_list,
    read_u64,
    read_u256,
)
from interlace.primitives.types import (
    U64,
    U64_MAX,
    U256,
    U256_MAX,
    Address,
    Bytes256,
    Hash32,
)

HEADER_FIELD_COUNT: Final = 20
"""Number of RLP fields in a post-Cancun (pre-Prague) header."""
MAX_EXTRA_DATA_BYTES: Final = 32
"""Upper bound on ``extra_data`` (Ethereum consensus rule, also the SSZ limit)."""
BLOOM_BYTES: Final = 256
"""Size of a logs bloom (2048 bits)."""
NONCE_BYTES: Final = 8
"""Size of the (post-merge always zero) proof-of-work nonce."""

EMPTY_OMMERS_HASH: Final = keccak256(encode_rlp([]))
"""keccak256(rlp([])): the ommers hash of every post-merge block (0x1dcc4de8…9347)."""
EMPTY_BLOOM: Final = Bytes256(b"\x00" * BLOOM_BYTES)
"""A bloom with no bits set: the bloom of a block without logs."""
ZERO_NONCE: Final = b"\x00" * NONCE_BYTES
"""The nonce of every post-merge block."""
EMPTY_TRANSACTIONS_ROOT: Final = EMPTY_TRIE_ROOT
"""Transactions root of a block without transactions."""
EMPTY_RECEIPTS_ROOT: Final = EMPTY_TRIE_ROOT
"""Receipts root of a block without transactions."""
EMPTY_WITHDRAWALS_ROOT: Final = EMPTY_TRIE_ROOT
"""Withdrawals root of a block without withdrawals (every OP block before Isthmus)."""

__all__ = [
    "BLOOM_BYTES",
    "EMPTY_BLOOM",
    "EMPTY_OMMERS_HASH",
    "EMPTY_RECEIPTS_ROOT",
    "EMPTY_TRANSACTIONS_ROOT",
    "EMPTY_WITHDRAWALS_ROOT",
    "HEADER_FIELD_COUNT",
    "MAX_EXTRA_DATA_BYTES",
    "NONCE_BYTES",
    "ZERO_NONCE",
    "BlockHeader",
    "decode_header",
    "encode_header",
    "header_hash",
]


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """An Ethereum block header with every field up to and including Cancun."""

    parent_hash: Hash32
    """Hash of the parent block's header."""
    ommers_hash: Hash32
    """keccak of the RLP ommers list; ``EMPTY_OMMERS_HASH`` since the merge."""
    coinbase: Address
    """Fee recipient (``miner`` in JSON-RPC, ``fee_recipient`` in the engine API)."""
    state_root: Hash32
    """Root of the secure state trie after the block."""
    transactions_root: Hash32
    """Root of the trie rlp(index) → transaction bytes."""
    receipts_root: Hash32
    """Root of the trie rlp(index) → typed receipt bytes."""
    logs_bloom: Bytes256
    """The 2048-bit bloom of every log address and topic in the block."""
    difficulty: U256
    """Proof-of-work difficulty; zero since the merge."""
    number: U64
    """Block height."""
    gas_limit: U64
    """Gas available to the block."""
    gas_used: U64
    """Gas used by all transactions in the block."""
    timestamp: U64
    """Unix time in seconds."""
    extra_data: bytes
    """Up to 32 bytes chosen by the block producer."""
    prev_randao: Hash32
    """RANDAO mix from the beacon chain (``mixHash`` in JSON-RPC)."""
    nonce: bytes
    """8-byte proof-of-work nonce; zero since the merge."""
    base_fee_per_gas: U256
    """EIP-1559 base fee."""
    withdrawals_root: Hash32
    """Root of the trie rlp(index) → rlp(withdrawal) (EIP-4895)."""
    blob_gas_used: U64
    """Blob gas consumed by the block's blob transactions (EIP-4844)."""
    excess_blob_gas: U64
    """Running excess of blob gas over the target (EIP-4844)."""
    parent_beacon_block_root: Hash32
    """Root of the parent beacon block (EIP-4788); on OP chains, of the L1 origin's."""

    def __post_init__(self) -> None:
        # Local misuse, not untrusted input: decode_header checks before it builds.
        for name in (
            "parent_hash",
            "ommers_hash",
            "state_root",
            "transactions_root",
            "receipts_root",
            "prev_randao",
            "withdrawals_root",
            "parent_beacon_block_root",
        ):
            if len(getattr(self, name)) != 32:
                raise ValueError(f"BlockHeader.{name} must be 32 bytes")
        if len(self.coinbase) != 20:
            raise ValueError("BlockHeader.coinbase must be 20 bytes")
        if len(self.logs_bloom) != BLOOM_BYTES:
            raise ValueError("BlockHeader.logs_bloom must be 256 bytes")
        if len(self.nonce) != NONCE_BYTES:
            raise ValueError("BlockHeader.nonce must be 8 bytes")
        if len(self.extra_data) > MAX_EXTRA_DATA_BYTES:
            raise ValueError("BlockHeader.extra_data is at most 32 bytes")
        for name in ("number", "gas_limit", "gas_used", "timestamp", "blob_gas_used"):
            if not 0 <= getattr(self, name) <= U64_MAX:
                raise ValueError(f"BlockHeader.{name} must be a uint64")
        if not 0 <= self.excess_blob_gas <= U64_MAX:
            raise ValueError("BlockHeader.excess_blob_gas must be a uint64")
        if not (0 <= self.difficulty <= U256_MAX and 0 <= self.base_fee_per_gas <= U256_MAX):
            raise ValueError("BlockHeader.difficulty and base_fee_per_gas must be uint256")


def _header_fields(h: BlockHeader) -> list[bytes]:
    return [
        h.parent_hash,
        h.ommers_hash,
        h.coinbase,
        h.state_root,
        h.transactions_root,
        h.receipts_root,
        h.logs_bloom,
        encode_uint(h.difficulty),
        encode_uint(h.number),
        encode_uint(h.gas_limit),
        encode_uint(h.gas_used),
        encode_uint(h.timestamp),
        h.extra_data,
        h.prev_randao,
        h.nonce,
        encode_uint(h.base_fee_per_gas),
        h.withdrawals_root,
        encode_uint(h.blob_gas_used),
        encode_uint(h.excess_blob_gas),
        h.parent_beacon_block_root,
    ]


def encode_header(h: BlockHeader) -> bytes:
    """RLP of the header's 20 fields, in Ethereum order."""
    # Written out, since every block hash needs it: ``__post_init__`` fixed the
    # length of every byte field, so their prefixes are constants, and the
    # 256-byte bloom makes the payload 256 to 65,535 bytes long (prefix 0xf9 ‖ u16).
    # ``_encode_header_readable`` is the same by the general encoder; the tests
    # hold both to py-evm.
    payload = b"".join(
        (
            b"\xa0",
            h.parent_hash,
            b"\xa0",
            h.ommers_hash,
            b"\x94",
            h.coinbase,
            b"\xa0",
            h.state_root,
            b"\xa0",
            h.transactions_root,
            b"\xa0",
            h.receipts_root,
            b"\xb9\x01\x00",
            h.logs_bloom,
            _rlp_uint(h.difficulty),
            _rlp_uint(h.number),
            _rlp_uint(h.gas_limit),
            _rlp_uint(h.gas_used),
            _rlp_uint(h.timestamp),
            _rlp_short_bytes(h.extra_data),
            b"\xa0",
            h.prev_randao,
            b"\x88",
            h.nonce,
            _rlp_uint(h.base_fee_per_gas),
            b"\xa0",
            h.withdrawals_root,
            _rlp_uint(h.blob_gas_used),
            _rlp_uint(h.excess_blob_gas),
            b"\xa0",
            h.parent_beacon_block_root,
        )
    )
    return b"\xf9" + len(payload).to_bytes(2, "big") + payload


def _encode_header_readable(h: BlockHeader) -> bytes:
    """``encode_header`` by the general RLP encoder."""
    return encode_rlp(_header_fields(h))


def _rlp_uint(value: int) -> bytes:
    """RLP of an unsigned integer of at most 55 bytes."""
    if value < 0x80:
        return bytes((value,)) if value else b"\x80"
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return bytes((0x80 + len(raw),)) + raw


def _rlp_short_bytes(data: bytes) -> bytes:
    """RLP of a byte string shorter than 56 bytes."""
    if len(data) == 1 and data[0] < 0x80:
        return data
    return bytes((0x80 + len(data),)) + data


def header_hash(h: BlockHeader) -> Hash32:
    """The block hash: keccak256(rlp(header))."""
    return keccak256(encode_header(h))


def decode_header(raw: bytes) -> BlockHeader:
    """Decode the RLP of a 20-field post-Cancun header.

    Raises ``MalformedHeader`` on non-canonical RLP, a field count other
    than 20, a hash, address, bloom or nonce of the wrong length, an
    integer that is non-canonical or out of range, or extra data over 32
    bytes.
    """
    try:
        fields = read_list(decode_rlp(raw), HEADER_FIELD_COUNT, "header")
        return _header_from_fields(fields)
    except MalformedHeader:
        raise
    except MalformedInput as exc:
        raise MalformedHeader(f"malformed header: {exc}") from exc


def _header_from_fields(f: list[RLPItem]) -> BlockHeader:
    extra_data = read_bytes(f[12], "extra_data")
    if len(extra_data) > MAX_EXTRA_DATA_BYTES:
        raise MalformedHeader(f"extra_data is {len(extra_data)} bytes, limit 32")
    return BlockHeader(
        parent_hash=read_hash32(f[0], "parent_hash"),
        ommers_hash=read_hash32(f[1], "ommers_hash"),
        coinbase=read_address(f[2], "coinbase"),
        state_root=read_hash32(f[3], "state_root"),
        transactions_root=read_hash32(f[4], "transactions_root"),
        receipts_root=read_hash32(f[5], "receipts_root"),
        logs_bloom=Bytes256(read_fixed(f[6], BLOOM_BYTES, "logs_bloom")),
        difficulty=read_u256(f[7], "difficulty"),
        number=read_u64(f[8], "number"),
        gas_limit=read_u64(f[9], "gas_limit"),
        gas_used=read_u64(f[10], "gas_used"),
        timestamp=read_u64(f[11], "timestamp"),
        extra_data=extra_data,
        prev_randao=read_hash32(f[13], "prev_randao"),
        nonce=read_fixed(f[14], NONCE_BYTES, "nonce"),
        base_fee_per_gas=read_u256(f[15], "base_fee_per_gas"),
        withdrawals_root=read_hash32(f[16], "withdrawals_root"),
        blob_gas_used=read_u64(f[17], "blob_gas_used"),
        excess_blob_gas=read_u64(f[18], "excess_blob_gas"),
        parent_beacon_block_root=read_hash32(f[19], "parent_beacon_block_root"),
    )
