"""Ethereum logs, typed receipts, the 2048-bit logs bloom and the block's list roots.

A receipt is encoded as it is stored in the receipts trie (EIP-2718): a
legacy receipt (type 0) is the bare RLP list [status, cumulativeGasUsed,
logsBloom, logs]; a typed receipt is the type byte followed by that RLP.
OP Stack deposit receipts (type 0x7E) append depositNonce (since Regolith)
and depositReceiptVersion (since Canyon) to the list. Only post-Byzantium
receipts (a status, not an intermediate state root) are accepted.

This module also owns the list roots of a block: ``receipts_root`` and
``transactions_root`` (transactions are opaque bytes here; their meaning
lives in ``interlace.primitives.tx``).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from interlace.primitives.errors import MalformedInput, MalformedReceipt
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import BLOOM_BYTES
from interlace.primitives.mpt import trie_root
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
)
from interlace.primitives.types import U8, U64, Address, Bytes256, Hash32

LEGACY_TX_TYPE: Final = U8(0)
"""Type of a legacy (untyped) transaction and its receipt."""
DEPOSIT_TX_TYPE: Final = U8(0x7E)
"""OP Stack deposit transaction type."""
MAX_TX_TYPE: Final = 0x7F
"""EIP-2718 reserves type bytes above 0x7f (they would be read as RLP lists)."""

__all__ = [
    "BLOOM_BYTES",
    "DEPOSIT_TX_TYPE",
    "LEGACY_TX_TYPE",
    "Log",
    "Receipt",
    "bloom_contains",
    "decode_log",
    "decode_receipt",
    "encode_log",
    "encode_receipt",
    "logs_bloom",
    "receipts_root",
    "transactions_root",
]


@dataclass(frozen=True, slots=True)
class Log:
    """An Ethereum log (event)."""

    address: Address
    """Contract (or native module) that emitted the log."""
    topics: tuple[Hash32, ...]
    """Indexed topics; topic0 is the keccak of the event signature. At most 4 in the EVM."""
    data: bytes
    """ABI-encoded non-indexed arguments."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """The outcome of one transaction, as committed in the receipts trie."""

    tx_type: U8
    """EIP-2718 type of the transaction (0 legacy, 1, 2, 3, 4, 0x7E deposit)."""
    success: bool
    """Execution status (EIP-658): True for status 1, False for status 0."""
    cumulative_gas_used: U64
    """Gas used in the block up to and including this transaction."""
    logs_bloom: Bytes256
    """Bloom of this receipt's logs (see ``logs_bloom``)."""
    logs: tuple[Log, ...]
    """Logs in emission order."""
    deposit_nonce: U64 | None = None
    """OP deposits only (Regolith+): the sender's nonce before the deposit."""
    deposit_receipt_version: U64 | None = None
    """OP deposits only (Canyon+): receipt version, 1; requires ``deposit_nonce``."""

    def __post_init__(self) -> None:
        if not 0 <= self.tx_type <= MAX_TX_TYPE:
            raise ValueError("Receipt.tx_type must be in [0, 0x7f]")
        if len(self.logs_bloom) != BLOOM_BYTES:
            raise ValueError("Receipt.logs_bloom must be 256 bytes")
        has_deposit_fields = (
            self.deposit_nonce is not None or self.deposit_receipt_version is not None
        )
        if has_deposit_fields and self.tx_type != DEPOSIT_TX_TYPE:
            raise ValueError("deposit fields are only for deposit (0x7E) receipts")
        if self.deposit_receipt_version is not None and self.deposit_nonce is None:
            raise ValueError("deposit_receipt_version requires deposit_nonce")

    @property
    def status(self) -> int:
        """The EIP-658 status code: 1 on success, 0 on failure."""
        return 1 if self.success else 0


def _log_item(log: Log) -> list[object]:
    return [log.address, list(log.topics), log.data]


def encode_log(log: Log) -> bytes:
    """rlp([address, [topic, …], data])."""
    return encode_rlp(_log_item(log))


def decode_log(raw: bytes) -> Log:
    """Decode ``encode_log`` output; raises ``MalformedReceipt``."""
    try:
        return _log_from_item(decode_rlp(raw))
    except MalformedInput as exc:
        raise MalformedReceipt(f"malformed log: {exc}") from exc


def _log_from_item(item: RLPItem) -> Log:
    fields = read_list(item, 3, "log")
    topics = read_list(fields[1], None, "log topics")
    return Log(
        address=read_address(fields[0], "log address"),
        topics=tuple(read_hash32(t, "log topic") for t in topics),
        data=read_bytes(fields[2], "log data"),
    )


def encode_receipt(r: Receipt) -> bytes:
    """Receipt bytes as stored in the receipts trie (legacy RLP, or type ‖ RLP)."""
    # Written out, as every block encodes every receipt for its root: the
    # 256-byte bloom fixes the list prefix at 0xf9 ‖ u16 for any receipt with
    # under 64 KB of logs. ``_encode_receipt_readable`` is the same by the
    # general encoder; the tests hold both to py-evm.
    parts = [
        b"\x01" if r.success else b"\x80",
        _rlp_uint(r.cumulative_gas_used),
        b"\xb9\x01\x00",
        r.logs_bloom,
        encode_rlp([_log_item(log) for log in r.logs]) if r.logs else b"\xc0",
    ]
    if r.deposit_nonce is not None:
        parts.append(_rlp_uint(r.deposit_nonce))
        if r.deposit_receipt_version is not None:
            parts.append(_rlp_uint(r.deposit_receipt_version))
    payload = b"".join(parts)
    if len(payload) > 0xFFFF:
        return _encode_receipt_readable(r)
    body = b"\xf9" + len(payload).to_bytes(2, "big") + payload
    if r.tx_type == LEGACY_TX_TYPE:
        return body
    return _TYPE_BYTE[r.tx_type] + body


_TYPE_BYTE: Final = [bytes((t,)) for t in range(MAX_TX_TYPE + 1)]


def _rlp_uint(value: int) -> bytes:
    """RLP of an unsigned integer of at most 55 bytes."""
    if value < 0x80:
        return bytes((value,)) if value else b"\x80"
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return bytes((0x80 + len(raw),)) + raw


def _encode_receipt_readable(r: Receipt) -> bytes:
    """``encode_receipt`` by the general RLP encoder."""
    fields: list[object] = [
        b"\x01" if r.success else b"",
        encode_uint(r.cumulative_gas_used),
        r.logs_bloom,
        [_log_item(log) for log in r.logs],
    ]
    if r.deposit_nonce is not None:
        fields.append(encode_uint(r.deposit_nonce))
        if r.deposit_receipt_version is not None:
            fields.append(encode_uint(r.deposit_receipt_version))
    body = encode_rlp(fields)
    if r.tx_type == LEGACY_TX_TYPE:
        return body
    return bytes((r.tx_type,)) + body


def decode_receipt(raw: bytes) -> Receipt:
    """Decode ``encode_receipt`` output; raises ``MalformedReceipt`` on anything else.

    A first byte ≥ 0xC0 is a legacy receipt; 0x01 to 0x7F a typed one. Only
    deposit (0x7E) receipts may carry the two trailing deposit fields.
    """
    if not raw:
        raise MalformedReceipt("empty receipt")
    first = raw[0]
    if first >= 0xC0:
        tx_type, body = LEGACY_TX_TYPE, raw
    elif 0 < first <= MAX_TX_TYPE:
        tx_type, body = U8(first), raw[1:]
    else:
        raise MalformedReceipt(f"invalid receipt type byte 0x{first:02x}")
    try:
        return _receipt_from_item(tx_type, decode_rlp(body))
    except MalformedReceipt:
        raise
    except MalformedInput as exc:
        raise MalformedReceipt(f"malformed receipt: {exc}") from exc


def _receipt_from_item(tx_type: U8, item: RLPItem) -> Receipt:
    fields = read_list(item, None, "receipt")
    extra = len(fields) - 4
    if extra < 0 or extra > (2 if tx_type == DEPOSIT_TX_TYPE else 0):
        raise MalformedReceipt(f"receipt of type {tx_type} has {len(fields)} fields")
    status = read_bytes(fields[0], "status")
    if status not in (b"", b"\x01"):
        raise MalformedReceipt("status must be 0 or 1 (pre-Byzantium roots unsupported)")
    return Receipt(
        tx_type=tx_type,
        success=status == b"\x01",
        cumulative_gas_used=read_u64(fields[1], "cumulative_gas_used"),
        logs_bloom=Bytes256(read_fixed(fields[2], BLOOM_BYTES, "logs_bloom")),
        logs=tuple(_log_from_item(log) for log in read_list(fields[3], None, "logs")),
        deposit_nonce=read_u64(fields[4], "deposit_nonce") if extra >= 1 else None,
        deposit_receipt_version=read_u64(fields[5], "deposit_receipt_version")
        if extra == 2
        else None,
    )


def _bloom_bits(item: bytes) -> tuple[int, int, int]:
    # Ethereum's bloom: three 11-bit indices from byte pairs (0,1), (2,3), (4,5) of keccak.
    h = keccak256(item)
    return (
        ((h[0] << 8) | h[1]) & 2047,
        ((h[2] << 8) | h[3]) & 2047,
        ((h[4] << 8) | h[5]) & 2047,
    )


def logs_bloom(logs: Iterable[Log]) -> Bytes256:
    """The 2048-bit bloom over every log's address and topics (bit 0 is the last byte's LSB)."""
    bits = 0
    for log in logs:
        for item in (log.address, *log.topics):
            for bit in _bloom_bits(item):
                bits |= 1 << bit
    return Bytes256(bits.to_bytes(BLOOM_BYTES, "big"))


def bloom_contains(bloom: bytes, item: bytes) -> bool:
    """Whether ``item`` (an address or a topic) may be in ``bloom`` (false positives possible)."""
    if len(bloom) != BLOOM_BYTES:
        raise ValueError("a bloom is 256 bytes")
    value = int.from_bytes(bloom, "big")
    return all(value >> bit & 1 for bit in _bloom_bits(item))


def _index_key(index: int) -> bytes:
    if index < len(_INDEX_KEYS):
        return _INDEX_KEYS[index]
    return encode_rlp(encode_uint(index))


_INDEX_KEYS: Final = [encode_rlp(encode_uint(i)) for i in range(1024)]
"""rlp(index) of the first list positions, the keys of every block's list tries."""


def receipts_root(receipts: Sequence[Receipt]) -> Hash32:
    """Root of the trie rlp(index) → ``encode_receipt(receipt)``."""
    return trie_root([(_index_key(i), encode_receipt(r)) for i, r in enumerate(receipts)])


def transactions_root(raw_txs: Sequence[bytes]) -> Hash32:
    """Root of the trie rlp(index) → transaction bytes (typed: type ‖ payload; legacy: RLP)."""
    return trie_root([(_index_key(i), tx) for i, tx in enumerate(raw_txs)])
