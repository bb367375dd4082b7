"""Ethereum JSON-RPC result formats: blocks, transactions, receipts, logs.

The shapes are geth's (and op-geth's for deposits): quantities are hex
without leading zeros (``0x0`` for zero), data is ``0x``-prefixed hex,
hashes are 32 bytes, addresses lower-case 20 bytes. A deposit transaction
(0x7E) carries OP's fields (``sourceHash``, ``mint``, ``isSystemTx``,
``depositReceiptVersion``, its execution nonce) and zero ``gasPrice``/``v``/
``r``/``s``; its receipt carries ``depositNonce`` and
``depositReceiptVersion`` and a zero ``effectiveGasPrice``.
"""

from collections.abc import Sequence
from typing import Any, Final

from interlace.primitives.header import BlockHeader, encode_header
from interlace.primitives.receipt import Log, Receipt
from interlace.primitives.tx import (
    AccessListTransaction,
    DepositTransaction,
    DynamicFeeTransaction,
    LegacyTransaction,
    Transaction,
)
from interlace.protocol.chain.block import Block
from interlace.protocol.chain.execution import effective_gas_price

Json = dict[str, Any]

EMPTY_LIST_RLP: Final = b"\xc0"


def quantity(value: int) -> str:
    """Hex quantity: ``0x0``, ``0x1a``."""
    return hex(value)


def data(value: bytes) -> str:
    """Hex data: ``0x`` then two digits per byte."""
    return "0x" + value.hex()


def _rlp_prefix(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes((offset + length,))
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((offset + 55 + len(size),)) + size


def encode_block(block: Block) -> bytes:
    """The block's Ethereum RLP: ``[header, transactions, ommers, withdrawals]``.

    Legacy transactions are embedded as RLP lists, typed ones as byte
    strings (EIP-2718), as ``debug_getRawBlock`` returns them.
    """
    parts: list[bytes] = []
    for tx in block.transactions:
        raw = tx.raw
        parts.append(raw if raw[0] >= 0xC0 else _rlp_prefix(len(raw), 0x80) + raw)
    txs = b"".join(parts)
    body = (
        encode_header(block.header)
        + _rlp_prefix(len(txs), 0xC0)
        + txs
        + EMPTY_LIST_RLP
        + EMPTY_LIST_RLP
    )
    return _rlp_prefix(len(body), 0xC0) + body


def header_json(header: BlockHeader, block_hash: bytes) -> Json:
    """The header fields of a block object (also a ``newHeads`` notification)."""
    return {
        "number": quantity(header.number),
        "hash": data(block_hash),
        "parentHash": data(header.parent_hash),
        "nonce": data(header.nonce),
        "mixHash": data(header.prev_randao),
        "sha3Uncles": data(header.ommers_hash),
        "logsBloom": data(header.logs_bloom),
        "transactionsRoot": data(header.transactions_root),
        "stateRoot": data(header.state_root),
        "receiptsRoot": data(header.receipts_root),
        "miner": data(header.coinbase),
        "difficulty": quantity(header.difficulty),
        "totalDifficulty": "0x0",
        "extraData": data(header.extra_data),
        "gasLimit": quantity(header.gas_limit),
        "gasUsed": quantity(header.gas_used),
        "timestamp": quantity(header.timestamp),
        "baseFeePerGas": quantity(header.base_fee_per_gas),
        "withdrawalsRoot": data(header.withdrawals_root),
        "blobGasUsed": quantity(header.blob_gas_used),
        "excessBlobGas": quantity(header.excess_blob_gas),
        "parentBeaconBlockRoot": data(header.parent_beacon_block_root),
    }


def block_json(
    block: Block, receipts: Sequence[Receipt] | None, *, full_transactions: bool
) -> Json:
    """A block object; ``full_transactions`` gives transaction objects instead of hashes."""
    result = header_json(block.header, block.hash)
    result["size"] = quantity(len(encode_block(block)))
    if full_transactions:
        result["transactions"] = [
            transaction_json(
                tx,
                block=block,
                index=i,
                receipt=receipts[i] if receipts is not None and i < len(receipts) else None,
            )
            for i, tx in enumerate(block.transactions)
        ]
    else:
        result["transactions"] = [data(tx.hash) for tx in block.transactions]
    result["uncles"] = []
    result["withdrawals"] = []
    return result


def _access_list_json(tx: AccessListTransaction | DynamicFeeTransaction) -> list[Json]:
    return [
        {"address": data(e.address), "storageKeys": [data(k) for k in e.storage_keys]}
        for e in tx.access_list
    ]


def transaction_json(
    tx: Transaction,
    *,
    block: Block | None = None,
    index: int | None = None,
    receipt: Receipt | None = None,
) -> Json:
    """A transaction object; block fields are null for a pending transaction."""
    result: Json = {
        "blockHash": data(block.hash) if block is not None else None,
        "blockNumber": quantity(block.number) if block is not None else None,
        "transactionIndex": quantity(index) if index is not None else None,
        "hash": data(tx.hash),
        "type": quantity(tx.tx_type),
        "from": data(tx.sender),
        "to": data(tx.to) if tx.to is not None else None,
        "gas": quantity(tx.gas_limit),
        "value": quantity(tx.value),
        "input": data(tx.data),
    }
    if isinstance(tx, DepositTransaction):
        nonce = receipt.deposit_nonce if receipt is not None else None
        result.update(
            {
                "sourceHash": data(tx.source_hash),
                "mint": quantity(tx.mint),
                "isSystemTx": tx.is_system_transaction,
                "nonce": quantity(nonce or 0),
                "gasPrice": "0x0",
                "v": "0x0",
                "r": "0x0",
                "s": "0x0",
            }
        )
        if receipt is not None and receipt.deposit_receipt_version is not None:
            result["depositReceiptVersion"] = quantity(receipt.deposit_receipt_version)
        return result
    result["nonce"] = quantity(tx.nonce)
    result["r"] = quantity(tx.r)
    result["s"] = quantity(tx.s)
    if isinstance(tx, LegacyTransaction):
        result["gasPrice"] = quantity(tx.gas_price)
        result["v"] = quantity(tx.v)
        if tx.chain_id is not None:
            result["chainId"] = quantity(tx.chain_id)
        return result
    result["chainId"] = quantity(tx.chain_id)
    result["accessList"] = _access_list_json(tx)
    result["v"] = quantity(tx.y_parity)
    result["yParity"] = quantity(tx.y_parity)
    if isinstance(tx, AccessListTransaction):
        result["gasPrice"] = quantity(tx.gas_price)
        return result
    result["maxFeePerGas"] = quantity(tx.max_fee_per_gas)
    result["maxPriorityFeePerGas"] = quantity(tx.max_priority_fee_per_gas)
    # geth: the effective price once mined, the fee cap while pending.
    result["gasPrice"] = quantity(
        effective_gas_price(tx, block.header.base_fee_per_gas)
        if block is not None
        else tx.max_fee_per_gas
    )
    return result


def log_json(
    log: Log, *, block: Block, tx_hash: bytes, tx_index: int, log_index: int, removed: bool = False
) -> Json:
    """A log object."""
    return {
        "address": data(log.address),
        "topics": [data(t) for t in log.topics],
        "data": data(log.data),
        "blockNumber": quantity(block.number),
        "blockHash": data(block.hash),
        "blockTimestamp": quantity(block.header.timestamp),
        "transactionHash": data(tx_hash),
        "transactionIndex": quantity(tx_index),
        "logIndex": quantity(log_index),
        "removed": removed,
    }


def first_log_index(receipts: Sequence[Receipt], index: int) -> int:
    """Block-global index of the first log of receipt ``index``."""
    return sum(len(r.logs) for r in receipts[:index])


def receipt_json(block: Block, receipts: Sequence[Receipt], index: int) -> Json:
    """The receipt object of transaction ``index`` of ``block``."""
    tx = block.transactions[index]
    receipt = receipts[index]
    previous = receipts[index - 1].cumulative_gas_used if index else 0
    first = first_log_index(receipts, index)
    price = (
        0
        if isinstance(tx, DepositTransaction)
        else effective_gas_price(tx, block.header.base_fee_per_gas)
    )
    result: Json = {
        "transactionHash": data(tx.hash),
        "transactionIndex": quantity(index),
        "blockHash": data(block.hash),
        "blockNumber": quantity(block.number),
        "from": data(tx.sender),
        "to": data(tx.to) if tx.to is not None else None,
        "cumulativeGasUsed": quantity(receipt.cumulative_gas_used),
        "gasUsed": quantity(receipt.cumulative_gas_used - previous),
        "effectiveGasPrice": quantity(price),
        "contractAddress": None,
        "logs": [
            log_json(log, block=block, tx_hash=tx.hash, tx_index=index, log_index=first + i)
            for i, log in enumerate(receipt.logs)
        ],
        "logsBloom": data(receipt.logs_bloom),
        "status": quantity(receipt.status),
        "type": quantity(receipt.tx_type),
    }
    if receipt.deposit_nonce is not None:
        result["depositNonce"] = quantity(receipt.deposit_nonce)
    if receipt.deposit_receipt_version is not None:
        result["depositReceiptVersion"] = quantity(receipt.deposit_receipt_version)
    return result
