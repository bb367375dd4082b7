"""Batches and derivation: how a rollup's blocks are rebuilt from L1 data alone.

A batch is ``0x00 ‖ zlib(RLP[chainId, [[number, timestamp, originNumber,
originHash, [userTx…], [signedHubBlock…]]…]])``: a range of blocks with only
what L1 cannot supply. Everything else is derived. Each block's
transactions are:
1. the L1-attributes deposit (OP source-hash domain 1) naming its L1Origin;
2. if any user transaction relays a cross-rollup message, the dependency
   declaration (a system deposit to the messenger listing the source blocks
   those relays prove, computed from the relays themselves);
3. one hub-client update per forwarded hub block the batch entry carries;
4. on the first block of a new L1Origin (sequence number 0), the deposits
   that L1 block's logs announce, each a 0x7E deposit with OP's user-deposit
   source hash (L1 block hash, log index): a user deposit per
   ``TransactionDeposited`` log, and a global exit root insertion per
   ``UpdateL1InfoTree`` log of L1's exit root manager (docs/bridge.md);
5. the user transactions from the batch.

Simplified on purpose (see docs/architecture.md): batches are posted whole in
one L1 transaction (no channels or frames), and a missing batch does not
force deposit-only blocks after a sequencing window; the safe head simply
waits.
"""

import zlib
from dataclasses import dataclass
from typing import Final

from interlace.primitives.errors import InterlaceError, MalformedInput, MisuseError
from interlace.primitives.receipt import Receipt
from interlace.primitives.rlp_codec import (
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_bytes,
    read_hash32,
    read_list,
    read_u64,
)
from interlace.primitives.tx import (
    DepositTransaction,
    l1_info_deposit_source_hash,
    user_deposit_source_hash,
)
from interlace.primitives.types import U64, U256, Address, Hash32
from interlace.protocol.bridge.module import global_exit_root_deposit, global_exit_root_of_log
from interlace.protocol.chain.block import Block
from interlace.protocol.l1.modules import INBOX_ABI, INBOX_ADDRESS, PORTAL_ABI, PORTAL_ADDRESS
from interlace.protocol.rollup.predeploys import (
    L1_BLOCK_ABI,
    L1_BLOCK_ADDRESS,
    system_deposit,
)

BATCH_VERSION: Final = 0
MAX_BATCH_BYTES: Final = 4 * 1024 * 1024
"""Largest decompressed batch accepted (bounds zlib bombs)."""
L1_ATTRIBUTES_GAS: Final = 1_000_000


class MalformedBatch(MalformedInput):
    """Batch bytes that do not decode (bad version, bad zlib, bad RLP, too large)."""


@dataclass(frozen=True, slots=True)
class L1Origin:
    """The L1 block a rollup block is anchored to."""

    number: U64
    """L1 block number."""
    hash: Hash32
    """L1 block hash."""
    timestamp: U64
    """L1 block timestamp."""
    base_fee: U256
    """L1 base fee (recorded in L1Block, as OP does)."""


def origin_of(block: Block) -> L1Origin:
    """The ``L1Origin`` view of an L1 block."""
    header = block.header
    return L1Origin(
        U64(header.number), block.hash, U64(header.timestamp), U256(header.base_fee_per_gas)
    )


@dataclass(frozen=True, slots=True)
class BatchBlock:
    """One rollup block inside a batch."""

    number: U64
    """Rollup block number."""
    timestamp: U64
    """Rollup block timestamp."""
    origin_number: U64
    """L1Origin number."""
    origin_hash: Hash32
    """L1Origin hash."""
    transactions: tuple[bytes, ...]
    """User transactions (network encoding); deposits are derived, not batched."""
    hub_updates: tuple[bytes, ...] = ()
    """Signed hub blocks the sequencer forwarded to its hub client in this block."""


@dataclass(frozen=True, slots=True)
class Batch:
    """A range of consecutive rollup blocks posted together."""

    chain_id: int
    """The rollup."""
    blocks: tuple[BatchBlock, ...]
    """Consecutive blocks, lowest first."""


class BatchTooLarge(MisuseError):
    """A batch whose RLP body exceeds ``MAX_BATCH_BYTES`` (derivation would refuse it)."""


def encode_batch(batch: Batch) -> bytes:
    """Version byte ‖ zlib(RLP(batch)); raises ``BatchTooLarge`` for a body derivation
    would refuse to decompress."""
    body = encode_rlp(
        [
            encode_uint(batch.chain_id),
            [
                [
                    encode_uint(b.number),
                    encode_uint(b.timestamp),
                    encode_uint(b.origin_number),
                    b.origin_hash,
                    list(b.transactions),
                    list(b.hub_updates),
                ]
                for b in batch.blocks
            ],
        ]
    )
    if len(body) > MAX_BATCH_BYTES:
        raise BatchTooLarge(
            f"batch body is {len(body):,} bytes, above the {MAX_BATCH_BYTES:,}-byte limit"
        )
    return bytes([BATCH_VERSION]) + zlib.compress(body, 6)


def decode_batch(raw: bytes) -> Batch:
    """Inverse of ``encode_batch``; raises ``MalformedBatch`` on anything else."""
    if not raw or raw[0] != BATCH_VERSION:
        raise MalformedBatch("unknown batch version")
    try:
        inflater = zlib.decompressobj()
        body = inflater.decompress(raw[1:], MAX_BATCH_BYTES)
        if inflater.unconsumed_tail or inflater.unused_data or not inflater.eof:
            raise MalformedBatch(
                "batch is truncated, has trailing bytes, or exceeds the size limit"
            )
    except zlib.error as exc:
        raise MalformedBatch(f"bad compression: {exc}") from exc
    try:
        chain_item, blocks_item = read_list(decode_rlp(body), 2, "batch")
        blocks = []
        for item in read_list(blocks_item, what="batch blocks"):
            number, timestamp, origin_number, origin_hash, txs, hubs = read_list(
                item, 6, "batch block"
            )
            blocks.append(
                BatchBlock(
                    read_u64(number, "number"),
                    read_u64(timestamp, "timestamp"),
                    read_u64(origin_number, "origin number"),
                    read_hash32(origin_hash, "origin hash"),
                    tuple(read_bytes(t, "transaction") for t in read_list(txs)),
                    tuple(read_bytes(h, "hub block") for h in read_list(hubs)),
                )
            )
        return Batch(read_u64(chain_item, "chain id"), tuple(blocks))
    except InterlaceError as exc:
        raise MalformedBatch(f"bad batch body: {exc}") from exc


def attributes_deposit(origin: L1Origin, sequence_number: int) -> DepositTransaction:
    """The L1-attributes deposit that opens every rollup block."""
    data = L1_BLOCK_ABI.function("setL1BlockValues").encode_call(
        origin.number,
        origin.timestamp,
        origin.base_fee,
        origin.hash,
        sequence_number,
        b"\x00" * 32,
        0,
        0,
    )
    return system_deposit(
        l1_info_deposit_source_hash(origin.hash, sequence_number),
        L1_BLOCK_ADDRESS,
        L1_ATTRIBUTES_GAS,
        data,
    )


def deposits_in_l1_block(
    block: Block, receipts: tuple[Receipt, ...], chain_id: int
) -> list[DepositTransaction]:
    """The deposits one L1 block gives ``chain_id``, in log order: a user deposit for each
    portal ``TransactionDeposited`` log naming the chain, and for every chain a global exit
    root insertion for each ``UpdateL1InfoTree`` log of L1's exit root manager (the
    bridge's roots reach a rollup through its L1Origin)."""
    deposits: list[DepositTransaction] = []
    event = PORTAL_ABI.event("TransactionDeposited")
    log_index = 0
    for receipt in receipts:
        for log in receipt.logs:
            root = global_exit_root_of_log(log)
            if root is not None:
                source = user_deposit_source_hash(block.hash, log_index)
                deposits.append(global_exit_root_deposit(root, source))
            elif (
                log.address == PORTAL_ADDRESS
                and log.topics[:1] == (event.topic0,)
                and int.from_bytes(log.topics[1], "big") == chain_id
            ):
                _chain, sender, to, mint, value, gas_limit, data = event.decode_log(
                    log.topics, log.data
                )
                deposits.append(
                    DepositTransaction(
                        source_hash=user_deposit_source_hash(block.hash, log_index),
                        sender=Address(_as_bytes(sender)),
                        to=Address(_as_bytes(to)),
                        mint=U256(_as_int(mint)),
                        value=U256(_as_int(value)),
                        gas_limit=U64(_as_int(gas_limit)),
                        is_system_transaction=False,
                        data=_as_bytes(data),
                    )
                )
            log_index += 1
    return deposits


def batches_in_l1_block(
    block: Block, receipts: tuple[Receipt, ...], chain_id: int, batcher: Address
) -> list[bytes]:
    """Batch payloads for ``chain_id`` that its batcher posted successfully in one L1 block."""
    found: list[bytes] = []
    for tx, receipt in zip(block.transactions, receipts, strict=True):
        if tx.to != INBOX_ADDRESS or tx.sender != batcher or not receipt.success:
            continue
        try:
            function, args = INBOX_ABI.decode_call(tx.data)
        except InterlaceError:
            continue
        if function == "postBatch" and args[0] == chain_id:
            data = args[1]
            assert isinstance(data, bytes)
            found.append(data)
    return found


def _as_bytes(value: object) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    assert isinstance(value, bytes)
    return value


def _as_int(value: object) -> int:
    assert isinstance(value, int)
    return value
