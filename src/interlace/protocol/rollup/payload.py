"""Conversion between chain-engine blocks and OP ``ExecutionPayload``s.

A rollup block travels as a signed ``blocks/v3`` envelope; the header is not
sent, it is rebuilt from the payload (``header_from_payload``) and must hash
to the payload's ``block_hash``.
"""

from interlace.primitives.envelope import ExecutionPayload, header_from_payload
from interlace.primitives.errors import MalformedEnvelope
from interlace.primitives.tx import decode_transaction
from interlace.primitives.types import Hash32
from interlace.protocol.chain.block import Block


def payload_from_block(block: Block) -> ExecutionPayload:
    """The ``ExecutionPayload`` of a sealed block."""
    h = block.header
    return ExecutionPayload(
        parent_hash=h.parent_hash,
        fee_recipient=h.coinbase,
        state_root=h.state_root,
        receipts_root=h.receipts_root,
        logs_bloom=h.logs_bloom,
        prev_randao=h.prev_randao,
        block_number=h.number,
        gas_limit=h.gas_limit,
        gas_used=h.gas_used,
        timestamp=h.timestamp,
        extra_data=h.extra_data,
        base_fee_per_gas=h.base_fee_per_gas,
        block_hash=block.hash,
        transactions=tuple(tx.raw for tx in block.transactions),
        withdrawals=(),
        blob_gas_used=h.blob_gas_used,
        excess_blob_gas=h.excess_blob_gas,
    )


def block_from_payload(payload: ExecutionPayload, parent_beacon_block_root: Hash32) -> Block:
    """Rebuild the block of a payload; raise ``MalformedEnvelope`` if it does not hash right."""
    header = header_from_payload(payload, parent_beacon_block_root)
    txs = tuple(decode_transaction(raw) for raw in payload.transactions)
    block = Block(header, txs)
    if block.hash != payload.block_hash:
        raise MalformedEnvelope("payload block_hash does not match its reconstructed header")
    return block
