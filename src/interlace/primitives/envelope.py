"""OP Stack signed block envelopes (``blocks/v3`` gossip) and the execution payload inside.

An envelope is ``signature(65: r‖s‖v, v ∈ {0,1}) ‖ parentBeaconBlockRoot(32) ‖
SSZ(ExecutionPayload)``, the Ecotone ("v3") payload of the Deneb consensus
spec. The sequencer signs ``keccak256(bytes32(0) ‖ uint256(chainId) ‖
payloadHash)`` with ``payloadHash = keccak256(parentBeaconBlockRoot ‖ SSZ)``,
as op-node does (``op-node/p2p/signer.go``, ``op-service/eth/ssz.go``).
The gossip transport's snappy compression is not part of this layer.

The SSZ codec here is hand-written (fixed part, then offsets) because py-ssz
decodes a 20-transaction payload about eight times slower than a signature
recovery; ``encode_payload_reference``/``decode_payload_reference`` keep the
py-ssz definition of the same container, which the tests cross-check
against the fast codec.

The module also rebuilds the Ethereum header a payload commits to
(``header_from_payload``), so ``block_hash`` can be checked or computed.

Next to OP's envelope signature it owns Interlace's *header attestation*,
which OP does not have: the sequencer signs ``keccak256(bytes32(2) ‖
uint256(chainId) ‖ blockHash)`` (domain 2, apart from OP's 0 and the hub's
1), so a peer-mode event proof can carry one header instead of a whole
block (docs/proofs.md §3).
"""

import dataclasses
import functools
import itertools
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ssz import codec as _ssz_codec
from ssz.exceptions import SSZException
from ssz.sedes.byte_list import ByteList
from ssz.sedes.byte_vector import ByteVector, bytes32
from ssz.sedes.container import Container
from ssz.sedes.list import List
from ssz.sedes.uint import uint64, uint256

from interlace.primitives.errors import InputError, MalformedEnvelope
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import (
    BLOOM_BYTES,
    EMPTY_OMMERS_HASH,
    MAX_EXTRA_DATA_BYTES,
    ZERO_NONCE,
    BlockHeader,
    header_hash,
)
from interlace.primitives.keys import PrivateKey, recover_address, sign_hash
from interlace.primitives.mpt import EMPTY_TRIE_ROOT, trie_root
from interlace.primitives.receipt import transactions_root
from interlace.primitives.rlp_codec import encode_rlp, encode_uint
from interlace.primitives.types import (
    U64,
    U64_MAX,
    U256,
    U256_MAX,
    Address,
    Bytes256,
    Hash32,
)

SIGNATURE_LENGTH: Final = 65
"""r ‖ s ‖ v with v ∈ {0, 1}."""
ENVELOPE_PREFIX_LENGTH: Final = SIGNATURE_LENGTH + 32
"""Signature plus parent beacon block root, before the SSZ payload."""
PAYLOAD_FIXED_LENGTH: Final = 528
"""Size of the SSZ fixed part of an Ecotone payload (offsets included)."""
MAX_TRANSACTIONS_PER_PAYLOAD: Final = 1 << 20
"""SSZ list limit on transactions (consensus spec, Bellatrix)."""
MAX_BYTES_PER_TRANSACTION: Final = 1 << 30
"""SSZ byte-list limit on one transaction (consensus spec, Bellatrix)."""
MAX_WITHDRAWALS_PER_PAYLOAD: Final = 16
"""SSZ list limit on withdrawals (consensus spec, Capella)."""
WITHDRAWAL_LENGTH: Final = 44
"""SSZ size of one withdrawal: index(8) ‖ validator_index(8) ‖ address(20) ‖ amount(8)."""
SIGNING_DOMAIN_BLOCKS: Final = b"\x00" * 32
"""op-node's ``SigningDomainBlocksV1``: the 32-byte domain of block signatures."""
SEQUENCER_HEADER_DOMAIN: Final = (2).to_bytes(32, "big")
"""Interlace's domain of a sequencer's header attestation (OP has none; the hub's is 1)."""

__all__ = [
    "ENVELOPE_PREFIX_LENGTH",
    "MAX_TRANSACTIONS_PER_PAYLOAD",
    "MAX_WITHDRAWALS_PER_PAYLOAD",
    "PAYLOAD_FIXED_LENGTH",
    "SEQUENCER_HEADER_DOMAIN",
    "SIGNATURE_LENGTH",
    "ExecutionPayload",
    "InvalidBlockHash",
    "SignedEnvelope",
    "Withdrawal",
    "check_payload_block_hash",
    "compute_block_hash",
    "decode_envelope",
    "decode_payload",
    "decode_payload_reference",
    "encode_envelope",
    "encode_payload",
    "encode_payload_reference",
    "envelope_signing_hash",
    "header_from_payload",
    "header_signing_hash",
    "payload_hash",
    "recover_header_signer",
    "seal_payload",
    "sign_block_header",
    "sign_envelope",
    "verify_envelope",
    "withdrawals_root",
]


class InvalidBlockHash(InputError):
    """A well-formed payload's ``block_hash`` is not the hash of the header it commits to."""


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """An EIP-4895 withdrawal (always empty on OP chains, kept for layout fidelity)."""

    index: U64
    """Global withdrawal counter."""
    validator_index: U64
    """Index of the withdrawing validator."""
    address: Address
    """Recipient."""
    amount: U64
    """Amount in gwei."""


@dataclass(frozen=True, slots=True)
class ExecutionPayload:
    """The Ecotone (engine API v3) execution payload, field for field as in SSZ."""

    parent_hash: Hash32
    """Hash of the parent block."""
    fee_recipient: Address
    """Header ``coinbase``."""
    state_root: Hash32
    """State root after the block."""
    receipts_root: Hash32
    """Root of the receipts trie."""
    logs_bloom: Bytes256
    """Bloom of the block's logs."""
    prev_randao: Hash32
    """Header ``mix_hash``; on OP chains, the L1 origin's RANDAO."""
    block_number: U64
    """Block height."""
    gas_limit: U64
    """Block gas limit."""
    gas_used: U64
    """Gas used by the block."""
    timestamp: U64
    """Unix time in seconds."""
    extra_data: bytes
    """Up to 32 bytes."""
    base_fee_per_gas: U256
    """EIP-1559 base fee."""
    block_hash: Hash32
    """keccak of the header this payload commits to (see ``header_from_payload``)."""
    transactions: tuple[bytes, ...]
    """Opaque EIP-2718 transaction bytes, in block order."""
    withdrawals: tuple[Withdrawal, ...]
    """At most 16 withdrawals."""
    blob_gas_used: U64
    """Blob gas used (EIP-4844)."""
    excess_blob_gas: U64
    """Excess blob gas (EIP-4844)."""


@dataclass(frozen=True, slots=True)
class SignedEnvelope:
    """A decoded envelope whose signature has been recovered (not yet authorised)."""

    signature: bytes
    """The 65-byte r ‖ s ‖ v signature."""
    parent_beacon_block_root: Hash32
    """Parent beacon block root carried next to the payload."""
    payload: ExecutionPayload
    """The decoded execution payload."""
    payload_hash: Hash32
    """keccak256(parent_beacon_block_root ‖ SSZ(payload))."""
    signer: Address
    """Address recovered from the signature; the caller compares it with the sequencer."""


# ---------------------------------------------------------------------------
# Fast SSZ codec.

# Fixed part: 6 byte vectors, 4 uint64, extra_data offset, base fee (uint256 LE),
# block hash, transactions offset, withdrawals offset, 2 uint64.
_FIXED = struct.Struct("<32s20s32s32s256s32sQQQQI32s32sIIQQ")
_WITHDRAWAL = struct.Struct("<QQ20sQ")
_OFFSET = struct.Struct("<I")
assert _FIXED.size == PAYLOAD_FIXED_LENGTH
assert _WITHDRAWAL.size == WITHDRAWAL_LENGTH


def _check_payload(payload: ExecutionPayload) -> None:
    # Checked when encoding, not on construction: decoding builds payloads on the hot
    # path and already bounds every field, and struct.pack would silently pad bytes.
    for name in ("parent_hash", "state_root", "receipts_root", "prev_randao", "block_hash"):
        if len(getattr(payload, name)) != 32:
            raise ValueError(f"ExecutionPayload.{name} must be 32 bytes")
    if len(payload.fee_recipient) != 20:
        raise ValueError("ExecutionPayload.fee_recipient must be 20 bytes")
    if len(payload.logs_bloom) != BLOOM_BYTES:
        raise ValueError("ExecutionPayload.logs_bloom must be 256 bytes")
    if len(payload.extra_data) > MAX_EXTRA_DATA_BYTES:
        raise ValueError("ExecutionPayload.extra_data is at most 32 bytes")
    if len(payload.transactions) > MAX_TRANSACTIONS_PER_PAYLOAD:
        raise ValueError("too many transactions for one payload")
    if len(payload.withdrawals) > MAX_WITHDRAWALS_PER_PAYLOAD:
        raise ValueError("at most 16 withdrawals per payload")
    if any(len(w.address) != 20 for w in payload.withdrawals):
        raise ValueError("Withdrawal.address must be 20 bytes")
    for value in (
        payload.block_number,
        payload.gas_limit,
        payload.gas_used,
        payload.timestamp,
        payload.blob_gas_used,
        payload.excess_blob_gas,
    ):
        if not 0 <= value <= U64_MAX:
            raise ValueError("ExecutionPayload integer field out of uint64 range")
    if not 0 <= payload.base_fee_per_gas <= U256_MAX:
        raise ValueError("ExecutionPayload.base_fee_per_gas out of uint256 range")


def encode_payload(payload: ExecutionPayload) -> bytes:
    """SSZ bytes of ``payload`` (identical to py-ssz's, see ``encode_payload_reference``).

    Raises ``ValueError`` if a field has the wrong size or range (local misuse).
    """
    _check_payload(payload)
    txs = payload.transactions
    tx_offsets: list[int] = []
    cursor = 4 * len(txs)
    for tx in txs:
        tx_offsets.append(cursor)
        cursor += len(tx)
    tx_start = PAYLOAD_FIXED_LENGTH + len(payload.extra_data)
    fixed = _FIXED.pack(
        payload.parent_hash,
        payload.fee_recipient,
        payload.state_root,
        payload.receipts_root,
        payload.logs_bloom,
        payload.prev_randao,
        payload.block_number,
        payload.gas_limit,
        payload.gas_used,
        payload.timestamp,
        PAYLOAD_FIXED_LENGTH,
        payload.base_fee_per_gas.to_bytes(32, "little"),
        payload.block_hash,
        tx_start,
        tx_start + cursor,
        payload.blob_gas_used,
        payload.excess_blob_gas,
    )
    return b"".join(
        (
            fixed,
            payload.extra_data,
            struct.pack(f"<{len(txs)}I", *tx_offsets),
            *txs,
            *(
                _WITHDRAWAL.pack(w.index, w.validator_index, w.address, w.amount)
                for w in payload.withdrawals
            ),
        )
    )


def decode_payload(data: bytes) -> ExecutionPayload:
    """Decode SSZ payload bytes; raises ``MalformedEnvelope`` on anything non-canonical."""
    return _decode_payload_at(data, 0)


def _decode_payload_at(data: bytes, base: int) -> ExecutionPayload:
    # Offsets in the SSZ are relative to ``base``, the payload's first byte in ``data``.
    size = len(data) - base
    if size < PAYLOAD_FIXED_LENGTH:
        raise MalformedEnvelope(f"payload is {size} bytes, fixed part alone is 528")
    (
        parent_hash,
        fee_recipient,
        state_root,
        receipts_root,
        logs_bloom,
        prev_randao,
        block_number,
        gas_limit,
        gas_used,
        timestamp,
        extra_offset,
        base_fee,
        block_hash,
        tx_offset,
        wd_offset,
        blob_gas_used,
        excess_blob_gas,
    ) = _FIXED.unpack_from(data, base)
    if extra_offset != PAYLOAD_FIXED_LENGTH:
        raise MalformedEnvelope(f"extra_data offset {extra_offset}, expected 528")
    if not extra_offset <= tx_offset <= wd_offset <= size:
        raise MalformedEnvelope("payload offsets out of order or out of range")
    if tx_offset - extra_offset > MAX_EXTRA_DATA_BYTES:
        raise MalformedEnvelope("extra_data longer than 32 bytes")
    wd_size = size - wd_offset
    if wd_size % WITHDRAWAL_LENGTH or wd_size > MAX_WITHDRAWALS_PER_PAYLOAD * WITHDRAWAL_LENGTH:
        raise MalformedEnvelope("withdrawals are not a whole list of at most 16")
    # Every field is already bounded by its SSZ width, so no NewType wrapping on this hot path.
    return ExecutionPayload(
        parent_hash,
        fee_recipient,
        state_root,
        receipts_root,
        logs_bloom,
        prev_randao,
        block_number,
        gas_limit,
        gas_used,
        timestamp,
        data[base + extra_offset : base + tx_offset],
        U256(int.from_bytes(base_fee, "little")),
        block_hash,
        _decode_transactions(data, base + tx_offset, base + wd_offset),
        _decode_withdrawals(data[base + wd_offset :]) if wd_size else (),
        blob_gas_used,
        excess_blob_gas,
    )


def _decode_withdrawals(data: bytes) -> tuple[Withdrawal, ...]:
    return tuple(
        Withdrawal(U64(i), U64(v), Address(a), U64(amount))
        for i, v, a, amount in _WITHDRAWAL.iter_unpack(data)
    )


def _decode_transactions(data: bytes, start: int, end: int) -> tuple[bytes, ...]:
    # SSZ list of byte lists: N little-endian uint32 offsets (relative to start), then bodies.
    size = end - start
    if size == 0:
        return ()
    if size < 4:
        raise MalformedEnvelope("transactions list shorter than one offset")
    (first,) = _OFFSET.unpack_from(data, start)
    if first == 0 or first % 4 or first > size:
        raise MalformedEnvelope(f"bad first transaction offset {first}")
    count = first // 4
    if count > MAX_TRANSACTIONS_PER_PAYLOAD:
        raise MalformedEnvelope("more than 2**20 transactions")
    bounds = (*struct.unpack_from(f"<{count}I", data, start), size)
    # Offsets must be non-decreasing and end inside the list (checked in C by sorted()).
    if list(bounds) != sorted(bounds):
        raise MalformedEnvelope("transaction offsets out of order or out of range")
    if size > MAX_BYTES_PER_TRANSACTION and any(
        hi - lo > MAX_BYTES_PER_TRANSACTION for lo, hi in itertools.pairwise(bounds)
    ):
        raise MalformedEnvelope("a transaction is over 2**30 bytes")
    return tuple(data[start + lo : start + hi] for lo, hi in itertools.pairwise(bounds))


# ---------------------------------------------------------------------------
# Reference codec: the same container declared with py-ssz (used by the tests).

_WITHDRAWAL_SEDES = Container((uint64, uint64, ByteVector(20), uint64))
PAYLOAD_SEDES: Final = Container(
    (
        bytes32,  # parent_hash
        ByteVector(20),  # fee_recipient
        bytes32,  # state_root
        bytes32,  # receipts_root
        ByteVector(BLOOM_BYTES),  # logs_bloom
        bytes32,  # prev_randao
        uint64,  # block_number
        uint64,  # gas_limit
        uint64,  # gas_used
        uint64,  # timestamp
        ByteList(MAX_EXTRA_DATA_BYTES),  # extra_data
        uint256,  # base_fee_per_gas
        bytes32,  # block_hash
        List(ByteList(MAX_BYTES_PER_TRANSACTION), MAX_TRANSACTIONS_PER_PAYLOAD),
        List(_WITHDRAWAL_SEDES, MAX_WITHDRAWALS_PER_PAYLOAD),
        uint64,  # blob_gas_used
        uint64,  # excess_blob_gas
    )
)
"""py-ssz sedes of the Ecotone ``ExecutionPayload`` container."""
_ssz_encode: Callable[[object, object], bytes] = _ssz_codec.encode
_ssz_decode: Callable[[bytes, object], tuple[object, ...]] = _ssz_codec.decode


def encode_payload_reference(payload: ExecutionPayload) -> bytes:
    """SSZ bytes of ``payload`` computed by py-ssz (slow; for tests)."""
    value = (
        payload.parent_hash,
        payload.fee_recipient,
        payload.state_root,
        payload.receipts_root,
        payload.logs_bloom,
        payload.prev_randao,
        payload.block_number,
        payload.gas_limit,
        payload.gas_used,
        payload.timestamp,
        payload.extra_data,
        payload.base_fee_per_gas,
        payload.block_hash,
        payload.transactions,
        tuple((w.index, w.validator_index, w.address, w.amount) for w in payload.withdrawals),
        payload.blob_gas_used,
        payload.excess_blob_gas,
    )
    return bytes(_ssz_encode(value, PAYLOAD_SEDES))


def decode_payload_reference(data: bytes) -> ExecutionPayload:
    """Decode SSZ payload bytes with py-ssz (slow; for tests); raises ``MalformedEnvelope``."""
    try:
        v: Any = _ssz_decode(data, PAYLOAD_SEDES)
    except (SSZException, ValueError, TypeError, IndexError, OverflowError) as exc:
        raise MalformedEnvelope(f"py-ssz rejects payload: {exc}") from exc
    except AttributeError as exc:
        # py-ssz 0.5/0.6 bug: ByteList.deserialize builds its "too long" error message
        # from a missing attribute, so an over-long byte list surfaces as AttributeError.
        raise MalformedEnvelope(f"py-ssz rejects payload (over-long byte list): {exc}") from exc
    return ExecutionPayload(
        parent_hash=Hash32(bytes(v[0])),
        fee_recipient=Address(bytes(v[1])),
        state_root=Hash32(bytes(v[2])),
        receipts_root=Hash32(bytes(v[3])),
        logs_bloom=Bytes256(bytes(v[4])),
        prev_randao=Hash32(bytes(v[5])),
        block_number=U64(v[6]),
        gas_limit=U64(v[7]),
        gas_used=U64(v[8]),
        timestamp=U64(v[9]),
        extra_data=bytes(v[10]),
        base_fee_per_gas=U256(v[11]),
        block_hash=Hash32(bytes(v[12])),
        transactions=tuple(bytes(tx) for tx in v[13]),
        withdrawals=tuple(
            Withdrawal(U64(w[0]), U64(w[1]), Address(bytes(w[2])), U64(w[3])) for w in v[14]
        ),
        blob_gas_used=U64(v[15]),
        excess_blob_gas=U64(v[16]),
    )


# ---------------------------------------------------------------------------
# Envelope hashing, signing and verification.


def payload_hash(parent_beacon_block_root: Hash32, payload_bytes: bytes) -> Hash32:
    """keccak256(parentBeaconBlockRoot ‖ SSZ(payload)): what the signature commits to."""
    return keccak256(parent_beacon_block_root + payload_bytes)


def envelope_signing_hash(chain_id: int, payload_hash: Hash32) -> Hash32:
    """keccak256(bytes32(0) ‖ uint256(chain_id) ‖ payload_hash), op-node's ``BlockSigningHash``."""
    return keccak256(_signing_prefix(SIGNING_DOMAIN_BLOCKS, chain_id) + payload_hash)


@functools.lru_cache(maxsize=64)
def _signing_prefix(domain: bytes, chain_id: int) -> bytes:
    if not 0 <= chain_id <= U256_MAX:
        raise ValueError(f"chain id {chain_id} is not a uint256")
    return domain + chain_id.to_bytes(32, "big")


def encode_envelope(
    signature: bytes, parent_beacon_block_root: Hash32, payload: ExecutionPayload
) -> bytes:
    """signature ‖ parentBeaconBlockRoot ‖ SSZ(payload)."""
    if len(signature) != SIGNATURE_LENGTH or len(parent_beacon_block_root) != 32:
        raise ValueError("signature must be 65 bytes and the beacon root 32")
    return signature + parent_beacon_block_root + encode_payload(payload)


def sign_envelope(
    payload: ExecutionPayload, parent_beacon_block_root: Hash32, chain_id: int, key: PrivateKey
) -> bytes:
    """The raw ``blocks/v3`` envelope of ``payload`` signed by ``key`` for ``chain_id``."""
    body = parent_beacon_block_root + encode_payload(payload)
    signature = sign_hash(key, envelope_signing_hash(chain_id, keccak256(body)))
    return signature + body


def decode_envelope(raw: bytes) -> tuple[bytes, Hash32, ExecutionPayload]:
    """Split and decode an envelope into (signature, parent beacon block root, payload).

    Raises ``MalformedEnvelope``; the signature is not checked here.
    """
    if len(raw) < ENVELOPE_PREFIX_LENGTH + PAYLOAD_FIXED_LENGTH:
        raise MalformedEnvelope(f"envelope is {len(raw)} bytes, too short")
    payload = _decode_payload_at(raw, ENVELOPE_PREFIX_LENGTH)
    return raw[:SIGNATURE_LENGTH], Hash32(raw[SIGNATURE_LENGTH:ENVELOPE_PREFIX_LENGTH]), payload


def verify_envelope(raw: bytes, chain_id: int) -> SignedEnvelope:
    """Decode an envelope and recover its signer for ``chain_id``.

    Raises ``MalformedEnvelope`` or ``InvalidSignature`` only. Whether the
    signer is the chain's sequencer is the caller's decision.
    """
    signature, parent_beacon_block_root, payload = decode_envelope(raw)
    digest = keccak256(raw[SIGNATURE_LENGTH:])
    signer = recover_address(envelope_signing_hash(chain_id, digest), signature)
    return SignedEnvelope(signature, parent_beacon_block_root, payload, digest, signer)


# ---------------------------------------------------------------------------
# Header attestations (Interlace's, for peer-mode event proofs).


def header_signing_hash(chain_id: int, block_hash: Hash32) -> Hash32:
    """keccak256(bytes32(2) ‖ uint256(chain_id) ‖ block_hash): what a header attestation signs.

    Raises ``ValueError`` if ``chain_id`` is not a uint256 or ``block_hash``
    is not 32 bytes (local misuse).
    """
    if len(block_hash) != 32:
        raise ValueError("a block hash is 32 bytes")
    return keccak256(_signing_prefix(SEQUENCER_HEADER_DOMAIN, chain_id) + block_hash)


def sign_block_header(key: PrivateKey, chain_id: int, block_hash: Hash32) -> bytes:
    """``key``'s 65-byte r ‖ s ‖ v attestation of block ``block_hash`` on ``chain_id``.

    Deterministic (RFC 6979): the same block always gives the same bytes.
    """
    return sign_hash(key, header_signing_hash(chain_id, block_hash))


def recover_header_signer(chain_id: int, block_hash: Hash32, signature: bytes) -> Address:
    """Signer of a header attestation; raises ``InvalidSignature`` if it does not recover.

    Whether the signer is the chain's sequencer is the caller's decision.
    """
    return recover_address(header_signing_hash(chain_id, block_hash), signature)


# ---------------------------------------------------------------------------
# The Ethereum header a payload commits to.


def withdrawals_root(withdrawals: Sequence[Withdrawal]) -> Hash32:
    """Root of the trie rlp(index) → rlp([index, validator_index, address, amount])."""
    if not withdrawals:
        return EMPTY_TRIE_ROOT  # OP payloads carry none: skip building an empty trie
    return trie_root(
        [
            (
                encode_rlp(encode_uint(i)),
                encode_rlp(
                    [
                        encode_uint(w.index),
                        encode_uint(w.validator_index),
                        w.address,
                        encode_uint(w.amount),
                    ]
                ),
            )
            for i, w in enumerate(withdrawals)
        ]
    )


def header_from_payload(payload: ExecutionPayload, parent_beacon_block_root: Hash32) -> BlockHeader:
    """The post-merge header ``payload`` describes (what the engine API hashes).

    Ommers are empty, difficulty and nonce zero, and the transactions and
    withdrawals roots are recomputed from the payload's lists.
    """
    return BlockHeader(
        parent_hash=payload.parent_hash,
        ommers_hash=EMPTY_OMMERS_HASH,
        coinbase=payload.fee_recipient,
        state_root=payload.state_root,
        transactions_root=transactions_root(payload.transactions),
        receipts_root=payload.receipts_root,
        logs_bloom=payload.logs_bloom,
        difficulty=U256(0),
        number=payload.block_number,
        gas_limit=payload.gas_limit,
        gas_used=payload.gas_used,
        timestamp=payload.timestamp,
        extra_data=payload.extra_data,
        prev_randao=payload.prev_randao,
        nonce=ZERO_NONCE,
        base_fee_per_gas=payload.base_fee_per_gas,
        withdrawals_root=withdrawals_root(payload.withdrawals),
        blob_gas_used=payload.blob_gas_used,
        excess_blob_gas=payload.excess_blob_gas,
        parent_beacon_block_root=parent_beacon_block_root,
    )


def compute_block_hash(payload: ExecutionPayload, parent_beacon_block_root: Hash32) -> Hash32:
    """Hash of the header ``payload`` commits to (its ``block_hash`` field is ignored)."""
    return header_hash(header_from_payload(payload, parent_beacon_block_root))


def seal_payload(payload: ExecutionPayload, parent_beacon_block_root: Hash32) -> ExecutionPayload:
    """``payload`` with ``block_hash`` set to ``compute_block_hash`` (for the sequencer)."""
    return dataclasses.replace(
        payload, block_hash=compute_block_hash(payload, parent_beacon_block_root)
    )


def check_payload_block_hash(payload: ExecutionPayload, parent_beacon_block_root: Hash32) -> None:
    """Raise ``InvalidBlockHash`` unless ``payload.block_hash`` matches its header."""
    expected = compute_block_hash(payload, parent_beacon_block_root)
    if expected != payload.block_hash:
        raise InvalidBlockHash(
            f"payload block_hash 0x{payload.block_hash.hex()} != header hash 0x{expected.hex()}"
        )
