"""Event proofs: one self-contained byte string saying "this log is in that rollup block".

This module owns the cross-rollup event proof of DESIGN.md §3, in two modes.
A *hub* proof chains hub header (signed by the hub) → hub state trie entry
for (chainId, blockNumber) → source block header → receipts trie → receipt →
log, plus a transactions-trie proof of transaction 0, the L1-attributes
deposit that names the block's L1Origin. A *peer* proof replaces the hub's
word with the source sequencer's header attestation (``sign_block_header``)
and keeps the rest: header → receipts trie → receipt → log and the proof of
transaction 0. Neither carries a whole block, so a proof's size is bounded
by one header, a few trie proofs and signatures, also when the proven
block's own transactions carry proofs. The wire layout is ``0x01 ‖ RLP[mode,
…]`` and docs/proofs.md gives it byte for byte. ``verify_event_proof``
checks every commitment inside the proof and returns the decoded
``EventClaim``; it decides no policy (which hub key or sequencer to trust,
which safety level is enough), which stays with the caller. On any input it
raises only ``InvalidEventProof`` (well-formed, but it does not prove its
claim) or ``MalformedEventProof`` (not this format).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from interlace.primitives.envelope import SIGNATURE_LENGTH, recover_header_signer
from interlace.primitives.errors import (
    InterlaceError,
    InvalidProof,
    InvalidSignature,
    MalformedInput,
    MalformedProof,
    MalformedReceipt,
    MalformedRLP,
)
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import BlockHeader, decode_header, encode_header
from interlace.primitives.mpt import Trie, verify_proof
from interlace.primitives.receipt import (
    Log,
    Receipt,
    decode_receipt,
    encode_receipt,
)
from interlace.primitives.rlp_codec import (
    RLPItem,
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_bytes,
    read_fixed,
    read_list,
    read_u64,
)
from interlace.primitives.types import U64, U64_MAX, ZERO_HASH, Address, ChainId, Hash32
from interlace.protocol.hub.state import (
    BlockStatus,
    HubHeader,
    MalformedHubData,
    decode_hub_header,
    decode_status,
    encode_hub_header,
    recover_hub_signer,
    state_key,
)
from interlace.protocol.rollup.declaration import (
    InvalidDeclaration,
    MalformedDeclaration,
    read_origin,
)

__all__ = [
    "HUB_PROOF_FIELDS",
    "PEER_PROOF_FIELDS",
    "PROOF_VERSION",
    "BlockIndex",
    "EventClaim",
    "InvalidEventProof",
    "MalformedEventProof",
    "ProofMode",
    "build_hub_event_proof",
    "build_peer_event_proof",
    "index_block",
    "verify_event_proof",
]

PROOF_VERSION: Final = 1
"""First byte of every event proof."""
HUB_PROOF_FIELDS: Final = 10
"""Items in the RLP list of a hub-mode proof (docs/proofs.md §2)."""
PEER_PROOF_FIELDS: Final = 8
"""Items in the RLP list of a peer-mode proof (docs/proofs.md §3)."""
_TX0_KEY: Final = encode_rlp(encode_uint(0))
"""Transactions-trie key of transaction 0: rlp(0) = 0x80."""


class InvalidEventProof(InvalidProof):
    """A well-formed event proof whose commitments do not chain up to its claim."""


class MalformedEventProof(MalformedProof):
    """Bytes that are not an event proof in the documented layout."""


class ProofMode(IntEnum):
    """Who vouches for the source block."""

    HUB = 0
    """The hub: a hub header signature and a hub state trie proof."""
    PEER = 1
    """The source sequencer: its signature of the source header (``sign_block_header``)."""


@dataclass(frozen=True, slots=True)
class EventClaim:
    """What a verified event proof establishes; the caller judges whether it trusts it."""

    mode: ProofMode
    """Hub-attested or sequencer-signed."""
    chain_id: ChainId
    """Source rollup."""
    block_number: U64
    """Source block height."""
    block_hash: Hash32
    """keccak(rlp(source header))."""
    block_timestamp: U64
    """Source block timestamp."""
    receipt_index: U64
    """Index of the receipt (= of its transaction) in the source block."""
    log_position: U64
    """Index of the log inside that receipt (not Ethereum's block-global ``logIndex``)."""
    log: Log
    """The proven log."""
    l1_origin_number: U64
    """L1Origin number, from the block's L1-attributes deposit (transaction 0)."""
    l1_origin_hash: Hash32
    """L1Origin hash, from the same deposit."""
    hub_number: U64 | None = None
    """HUB mode: number of the hub block whose state proves the source block."""
    hub_block_hash: Hash32 | None = None
    """HUB mode: keccak of that hub header's RLP."""
    hub_state_root: Hash32 | None = None
    """HUB mode: that hub header's state root."""
    hub_signer: Address | None = None
    """HUB mode: address recovered from the hub header signature (not yet trusted)."""
    status: BlockStatus | None = None
    """HUB mode: the source block's entry in the hub state (levels not yet judged)."""
    sequencer: Address | None = None
    """PEER mode: address recovered from the header signature (not yet trusted)."""

    @property
    def message_hash(self) -> Hash32:
        """keccak256(topics ‖ data) of the log: the key for replay protection (DESIGN.md §3)."""
        return keccak256(b"".join(self.log.topics) + self.log.data)


@dataclass(frozen=True, slots=True)
class BlockIndex:
    """The receipts and transactions tries of one source block, built once and kept by a prover."""

    receipts_trie: Trie
    """rlp(index) → ``encode_receipt(receipt)``, the pairs ``receipt.receipts_root`` uses."""
    transactions_trie: Trie
    """rlp(index) → raw transaction, the pairs ``receipt.transactions_root`` uses."""
    receipts_root: Hash32
    """Root of ``receipts_trie``."""
    transactions_root: Hash32
    """Root of ``transactions_trie``."""


def _index_key(index: int) -> bytes:
    """Key of item ``index`` in a block's list tries: rlp(index)."""
    return encode_rlp(encode_uint(index))


# --- building -----------------------------------------------------------------------------


def index_block(receipts: Sequence[Receipt], transactions: Sequence[bytes]) -> BlockIndex:
    """Build and hash both list tries of a block (what every proof of that block shares).

    ``Trie(pairs).proof(key)`` is exactly ``mpt.make_proof(pairs, key)``;
    keeping the trie saves rebuilding and re-hashing it per proof.
    """
    receipts_trie = Trie([(_index_key(i), encode_receipt(r)) for i, r in enumerate(receipts)])
    transactions_trie = Trie([(_index_key(i), bytes(tx)) for i, tx in enumerate(transactions)])
    return BlockIndex(
        receipts_trie, transactions_trie, receipts_trie.root(), transactions_trie.root()
    )


def _check_position(receipts: Sequence[Receipt], receipt_index: int, log_position: int) -> None:
    """Local misuse check: the log to prove exists."""
    if not 0 <= receipt_index < len(receipts):
        raise ValueError(f"receipt index {receipt_index} out of range ({len(receipts)} receipts)")
    logs = len(receipts[receipt_index].logs)
    if not 0 <= log_position < logs:
        raise ValueError(f"log position {log_position} out of range (receipt has {logs} logs)")


def _check_chain_id(chain_id: int) -> None:
    if not 0 < chain_id <= U64_MAX:
        raise ValueError(f"chain id {chain_id} is not a positive uint64")


def _index_source(
    source_header: BlockHeader,
    receipts: Sequence[Receipt],
    transactions: Sequence[bytes],
    index: BlockIndex | None,
) -> BlockIndex:
    """The block's tries, checked against its header (local misuse raises ``ValueError``)."""
    if index is None:
        index = index_block(receipts, transactions)
    if index.receipts_root != source_header.receipts_root:
        raise ValueError("receipts do not match the source header's receipts root")
    if index.transactions_root != source_header.transactions_root:
        raise ValueError("transactions do not match the source header's transactions root")
    return index


def _block_fields(index: BlockIndex, receipt_index: int, log_position: int) -> list[RLPItem]:
    """The fields both modes end with: txProof, receiptIndex, receiptProof, logPosition."""
    return [
        [*index.transactions_trie.proof(_TX0_KEY)],
        encode_uint(receipt_index),
        [*index.receipts_trie.proof(_index_key(receipt_index))],
        encode_uint(log_position),
    ]


def build_hub_event_proof(
    *,
    chain_id: int,
    hub_header: HubHeader,
    hub_signature: bytes,
    hub_state_proof: Sequence[bytes],
    source_header: BlockHeader,
    receipts: Sequence[Receipt],
    transactions: Sequence[bytes],
    receipt_index: int,
    log_position: int,
    index: BlockIndex | None = None,
) -> bytes:
    """A hub-mode proof that log ``log_position`` of receipt ``receipt_index`` is in the block.

    ``hub_state_proof`` is the hub state trie proof of ``state_key(chain_id,
    source_header.number)`` against ``hub_header.state_root``, and
    ``hub_signature`` the hub's signature of ``hub_header``; neither is
    re-checked here (``verify_event_proof`` does). ``receipts`` and
    ``transactions`` (raw) are the source block's; pass ``index`` from
    ``index_block`` to reuse the tries across proofs of one block. Raises
    ``ValueError`` if the receipts or transactions do not match the header's
    roots or the log does not exist (local misuse).
    """
    _check_chain_id(chain_id)
    if len(hub_signature) != SIGNATURE_LENGTH:
        raise ValueError("a hub signature is 65 bytes")
    _check_position(receipts, receipt_index, log_position)
    index = _index_source(source_header, receipts, transactions, index)
    return bytes((PROOF_VERSION,)) + encode_rlp(
        [
            encode_uint(ProofMode.HUB),
            encode_uint(chain_id),
            encode_hub_header(hub_header),
            bytes(hub_signature),
            [bytes(node) for node in hub_state_proof],
            encode_header(source_header),
            *_block_fields(index, receipt_index, log_position),
        ]
    )


def build_peer_event_proof(
    *,
    chain_id: int,
    source_header: BlockHeader,
    header_signature: bytes,
    receipts: Sequence[Receipt],
    transactions: Sequence[bytes],
    receipt_index: int,
    log_position: int,
    index: BlockIndex | None = None,
) -> bytes:
    """A peer-mode proof: the source header, its sequencer's signature and the trie proofs.

    ``source_header`` is the source block's header and
    ``header_signature`` the sequencer's ``sign_block_header`` of its hash
    for ``chain_id``; the signature is not checked here (``verify_event_proof``
    recovers it). ``receipts``, ``transactions`` and ``index`` are as in
    ``build_hub_event_proof``. Raises ``ValueError`` on local misuse
    (tries that do not match the header, a log that does not exist, a
    signature that is not 65 bytes).
    """
    _check_chain_id(chain_id)
    if len(header_signature) != SIGNATURE_LENGTH:
        raise ValueError("a header signature is 65 bytes")
    _check_position(receipts, receipt_index, log_position)
    index = _index_source(source_header, receipts, transactions, index)
    return bytes((PROOF_VERSION,)) + encode_rlp(
        [
            encode_uint(ProofMode.PEER),
            encode_uint(chain_id),
            encode_header(source_header),
            bytes(header_signature),
            *_block_fields(index, receipt_index, log_position),
        ]
    )


# --- verifying ----------------------------------------------------------------------------


def verify_event_proof(raw: bytes) -> EventClaim:
    """Check every commitment inside an event proof and return what it proves.

    Raises ``MalformedEventProof`` when the bytes are not an event proof in
    the documented layout, and ``InvalidEventProof`` when a well-formed
    proof does not chain up (a trie proof that does not match its root, a
    hub entry for another block, a log position past the receipt's logs, a
    transaction 0 that is not the L1-attributes deposit, a signature that
    does not recover, …); never anything else. Trust policy (the hub key,
    the sequencer, the required safety level) is the caller's.
    """
    try:
        return _verify(bytes(raw))
    except (InvalidEventProof, MalformedEventProof):
        raise
    except MalformedInput as exc:
        raise MalformedEventProof(str(exc)) from exc
    except InterlaceError as exc:
        raise InvalidEventProof(str(exc)) from exc


def _verify(raw: bytes) -> EventClaim:
    if not raw:
        raise MalformedEventProof("empty event proof")
    if raw[0] != PROOF_VERSION:
        raise MalformedEventProof(f"unknown event proof version {raw[0]} (expected 1)")
    try:
        item = decode_rlp(raw[1:])
    except MalformedRLP as exc:
        raise MalformedEventProof(f"event proof body is not RLP: {exc}") from exc
    fields = read_list(item, None, "event proof")
    if not fields:
        raise MalformedEventProof("event proof list is empty")
    mode = read_u64(fields[0], "proof mode")
    if mode == ProofMode.HUB.value:
        return _verify_hub(fields)
    if mode == ProofMode.PEER.value:
        return _verify_peer(fields)
    raise MalformedEventProof(f"unknown proof mode {mode}")


def _read_chain_id(item: RLPItem) -> ChainId:
    value = read_u64(item, "chain id")
    if value == 0:
        raise MalformedEventProof("chain id 0 is not a chain")
    return ChainId(value)


def _read_nodes(item: RLPItem, what: str) -> list[bytes]:
    return [read_bytes(node, f"{what} node") for node in read_list(item, None, what)]


@dataclass(frozen=True, slots=True)
class _BlockProof:
    """The fields both modes end with, read but not yet checked."""

    tx_proof: list[bytes]
    """Transactions-trie proof of transaction 0."""
    receipt_index: U64
    """Index of the receipt in the block."""
    receipt_proof: list[bytes]
    """Receipts-trie proof of that receipt."""
    log_position: U64
    """Index of the log inside the receipt."""


def _read_block_proof(fields: list[RLPItem]) -> _BlockProof:
    """Parse ``txProof, receiptIndex, receiptProof, logPosition`` (the last four fields)."""
    tx_proof, receipt_index, receipt_proof, log_position = fields
    return _BlockProof(
        _read_nodes(tx_proof, "transaction proof"),
        read_u64(receipt_index, "receipt index"),
        _read_nodes(receipt_proof, "receipt proof"),
        read_u64(log_position, "log position"),
    )


def _prove_block(source: BlockHeader, proof: _BlockProof) -> tuple[U64, Hash32, Log]:
    """(L1Origin number, L1Origin hash, log): the block opens with its L1-attributes
    deposit and holds the receipt and the log."""
    tx0 = _prove(
        "transaction",
        "transactions root",
        source.transactions_root,
        _TX0_KEY,
        proof.tx_proof,
        item="transaction 0",
    )
    origin_number, origin_hash = _read_l1_origin(tx0)
    log = _prove_log(
        source.receipts_root, proof.receipt_index, proof.receipt_proof, proof.log_position
    )
    return origin_number, origin_hash, log


def _verify_hub(fields: list[RLPItem]) -> EventClaim:
    if len(fields) != HUB_PROOF_FIELDS:
        raise MalformedEventProof(
            f"hub event proof has {len(fields)} fields, expected {HUB_PROOF_FIELDS}"
        )
    chain_id = _read_chain_id(fields[1])
    hub_header_raw = read_bytes(fields[2], "hub header")
    try:
        hub_header = decode_hub_header(hub_header_raw)
    except MalformedHubData as exc:
        raise MalformedEventProof(f"hub header: {exc}") from exc
    signature = read_fixed(fields[3], SIGNATURE_LENGTH, "hub signature")
    hub_state_proof = _read_nodes(fields[4], "hub state proof")
    header_raw = read_bytes(fields[5], "source header")
    source = _decode_source_header(header_raw)
    block_proof = _read_block_proof(fields[6:])

    # The hub signed a state root that records this block at this height.
    try:
        hub_signer = recover_hub_signer(hub_header, signature)
    except InvalidSignature as exc:
        raise InvalidEventProof(f"hub signature does not recover a signer: {exc}") from exc
    # Both decoders accept canonical RLP only, so hashing the bytes as given is
    # hashing the re-encoded header.
    block_hash = keccak256(header_raw)
    where = f"chain {chain_id} block {source.number}"
    value = _prove(
        "hub state",
        "hub state root",
        hub_header.state_root,
        state_key(chain_id, source.number),
        hub_state_proof,
        item=where,
    )
    try:
        status = decode_status(value)
    except MalformedHubData as exc:
        raise MalformedEventProof(f"hub state value of {where}: {exc}") from exc
    if status.block_hash != block_hash:
        raise InvalidEventProof(
            f"hub status for {where} is for block 0x{status.block_hash.hex()}, "
            f"not the source header's 0x{block_hash.hex()}"
        )
    origin_number, origin_hash, log = _prove_block(source, block_proof)
    return EventClaim(
        mode=ProofMode.HUB,
        chain_id=chain_id,
        block_number=source.number,
        block_hash=block_hash,
        block_timestamp=source.timestamp,
        receipt_index=block_proof.receipt_index,
        log_position=block_proof.log_position,
        log=log,
        l1_origin_number=origin_number,
        l1_origin_hash=origin_hash,
        hub_number=hub_header.number,
        hub_block_hash=keccak256(hub_header_raw),
        hub_state_root=hub_header.state_root,
        hub_signer=hub_signer,
        status=status,
    )


def _verify_peer(fields: list[RLPItem]) -> EventClaim:
    if len(fields) != PEER_PROOF_FIELDS:
        raise MalformedEventProof(
            f"peer event proof has {len(fields)} fields, expected {PEER_PROOF_FIELDS}"
        )
    chain_id = _read_chain_id(fields[1])
    header_raw = read_bytes(fields[2], "source header")
    source = _decode_source_header(header_raw)
    signature = read_fixed(fields[3], SIGNATURE_LENGTH, "sequencer signature")
    block_proof = _read_block_proof(fields[4:])

    # The sequencer signed this header's hash for this chain (as in hub mode, the
    # bytes as given are canonical, so their hash is the header's).
    block_hash = keccak256(header_raw)
    try:
        sequencer = recover_header_signer(chain_id, block_hash, signature)
    except InvalidSignature as exc:
        raise InvalidEventProof(f"sequencer signature does not recover a signer: {exc}") from exc
    origin_number, origin_hash, log = _prove_block(source, block_proof)
    return EventClaim(
        mode=ProofMode.PEER,
        chain_id=chain_id,
        block_number=source.number,
        block_hash=block_hash,
        block_timestamp=source.timestamp,
        receipt_index=block_proof.receipt_index,
        log_position=block_proof.log_position,
        log=log,
        l1_origin_number=origin_number,
        l1_origin_hash=origin_hash,
        sequencer=sequencer,
    )


def _decode_source_header(raw: bytes) -> BlockHeader:
    try:
        return decode_header(raw)
    except MalformedInput as exc:
        raise MalformedEventProof(f"source header: {exc}") from exc


def _prove(
    what: str, root_name: str, root: Hash32, key: bytes, proof: list[bytes], *, item: str
) -> bytes:
    """The value ``proof`` proves at ``key`` under ``root``, or a typed error naming ``what``."""
    if root == ZERO_HASH:
        raise InvalidEventProof(f"{what} proof is against an all-zero root")
    value = _included_value(root, key, proof)
    if value is not None:
        return value
    # Absent, or anything unusual: the reference verifier decides and says why.
    try:
        value = verify_proof(root, key, proof)
    except MalformedProof as exc:
        raise MalformedEventProof(f"{what} proof: {exc}") from exc
    except InvalidProof as exc:
        raise InvalidEventProof(f"{what} proof does not match the {root_name}: {exc}") from exc
    if value is None:
        raise InvalidEventProof(f"{what} proof does not contain {item}")
    return value


def _prove_log(
    receipts_root: Hash32, receipt_index: int, proof: list[bytes], log_position: int
) -> Log:
    """Log ``log_position`` of the receipt that ``proof`` proves at ``receipt_index``."""
    raw = _prove(
        "receipt",
        "receipts root",
        receipts_root,
        _index_key(receipt_index),
        proof,
        item=f"receipt {receipt_index}",
    )
    try:
        receipt = decode_receipt(raw)
    except MalformedReceipt as exc:
        raise MalformedEventProof(f"receipt {receipt_index}: {exc}") from exc
    logs = receipt.logs
    if log_position >= len(logs):
        raise InvalidEventProof(
            f"log position {log_position} out of range (receipt has {len(logs)} logs)"
        )
    return logs[log_position]


def _read_l1_origin(tx_raw: bytes) -> tuple[U64, Hash32]:
    """(number, hash) of the L1Origin named by transaction 0, the L1-attributes deposit."""
    try:
        declared = read_origin((tx_raw,)).origin
    except MalformedDeclaration as exc:
        raise MalformedEventProof(str(exc)) from exc
    except InvalidDeclaration as exc:
        raise InvalidEventProof(str(exc)) from exc
    return declared.number, declared.hash


# --- optimised inclusion check ----------------------------------------------------------------
#
# ``mpt.verify_proof`` decodes every node into node objects, all sixteen children
# of each branch included; that was two thirds of verifying an event proof. The
# walk below reads only the RLP prefixes it needs. It answers only the common
# case, a clean inclusion proof, and returns None for anything else (absence,
# a hash mismatch, any non-canonical or unexpected shape), so that the
# reference verifier gives the verdict and the error message. The tests check
# that whenever it returns a value, ``verify_proof`` returns the same one.


def _item(data: bytes, pos: int, end: int) -> tuple[int, int, bool] | None:
    """(payload start, payload end, is a list) of the canonical RLP item at ``pos``."""
    first = data[pos]
    if first < 0x80:
        return pos, pos + 1, False
    if first < 0xB8:
        start, stop = pos + 1, pos + 1 + first - 0x80
        if stop > end or (stop == start + 1 and data[start] < 0x80):
            return None
        return start, stop, False
    if first < 0xC0:
        size = first - 0xB7
        start = pos + 1 + size
        length = int.from_bytes(data[pos + 1 : start], "big")
        if start > end or data[pos + 1] == 0 or length < 56 or start + length > end:
            return None
        return start, start + length, False
    if first < 0xF8:
        start, stop = pos + 1, pos + 1 + first - 0xC0
        return (start, stop, True) if stop <= end else None
    size = first - 0xF7
    start = pos + 1 + size
    length = int.from_bytes(data[pos + 1 : start], "big")
    if start > end or data[pos + 1] == 0 or length < 56 or start + length > end:
        return None
    return start, start + length, True


def _items(data: bytes, start: int, end: int) -> tuple[list[tuple[int, int, bool]], int] | None:
    """The items of the list payload ``data[start:end]`` (None if not exactly canonical).

    Also returns how many leading items are plain references (an empty string
    or a 32-byte hash), the shape of nearly every branch child.
    """
    out: list[tuple[int, int, bool]] = []
    plain = -1
    pos = start
    while pos < end:
        first = data[pos]
        # Inlined common cases: a 32-byte hash and an empty string.
        if first == 0xA0 and pos + 33 <= end:
            item: tuple[int, int, bool] | None = (pos + 1, pos + 33, False)
        elif first == 0x80:
            item = (pos + 1, pos + 1, False)
        else:
            item = _item(data, pos, end)
            if item is None:
                return None
            if plain < 0:
                plain = len(out)
        assert item is not None
        out.append(item)
        pos = item[1]
    if pos != end:
        return None
    return out, len(out) if plain < 0 else plain


def _included_value(root: bytes, key: bytes, proof: list[bytes]) -> bytes | None:
    """The value ``proof`` proves at ``key`` under ``root``, or None to defer to the reference."""
    path = key.hex()
    pos = 0
    expected = root
    count = len(proof)
    for index, raw in enumerate(proof):
        if keccak256(raw) != expected or (index and len(raw) < 32) or not raw:
            return None
        node = _item(raw, 0, len(raw))
        if node is None or not node[2] or node[1] != len(raw):
            return None
        data = raw
        while True:  # down through this hashed node and any nodes inline in it
            scanned = _items(data, node[0], node[1])
            if scanned is None:
                return None
            items, plain = scanned
            if len(items) == 17:
                # Siblings must be what the reference accepts: empty or a hash
                # (inline siblings are rare enough to leave to it).
                if plain < 16 or items[16][2]:
                    return None
                if pos == len(path):
                    start, stop, is_list = items[16]
                    if is_list or stop == start or index + 1 != count:
                        return None
                    return data[start:stop]
                start, stop, is_list = items[int(path[pos], 16)]
                pos += 1
            elif len(items) == 2:
                p_start, p_stop, p_list = items[0]
                if p_list or p_stop == p_start:
                    return None
                flag = data[p_start] >> 4
                if flag > 3 or (not flag & 1 and data[p_start] & 0x0F):
                    return None
                nibbles = data[p_start:p_stop].hex()[1 if flag & 1 else 2 :]
                start, stop, is_list = items[1]
                if flag >= 2:  # a leaf
                    if path[pos:] != nibbles or is_list or stop == start or index + 1 != count:
                        return None
                    return data[start:stop]
                if not nibbles or not path.startswith(nibbles, pos):
                    return None
                pos += len(nibbles)
            else:
                return None
            if is_list:
                if stop - start >= 31:  # an inline node is shorter than 32 bytes
                    return None
                node = (start, stop, True)
                continue
            if stop - start != 32:
                return None
            expected = data[start:stop]
            break
    return None
