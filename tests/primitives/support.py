"""Shared strategies and reference conversions for the primitives tests.

Hypothesis strategies for random headers and receipts, and their py-evm
counterparts, used by the module tests and by the fast-path tests that hold
each hand-written encoder to its readable twin and the libraries.
"""

import rlp
from eth.rlp.logs import Log as PyEvmLog
from eth.rlp.receipts import Receipt as PyEvmReceipt
from eth.vm.forks.cancun.blocks import CancunBlockHeader
from hypothesis import strategies as st

from interlace.primitives.header import BlockHeader
from interlace.primitives.receipt import DEPOSIT_TX_TYPE, Log, Receipt, logs_bloom
from interlace.primitives.types import U8, U64

u64 = st.integers(0, 2**64 - 1)
u256 = st.integers(0, 2**256 - 1)
h32 = st.binary(min_size=32, max_size=32)

headers = st.builds(
    BlockHeader,
    parent_hash=h32,
    ommers_hash=h32,
    coinbase=st.binary(min_size=20, max_size=20),
    state_root=h32,
    transactions_root=h32,
    receipts_root=h32,
    logs_bloom=st.binary(min_size=256, max_size=256),
    difficulty=u256,
    number=u64,
    gas_limit=u64,
    gas_used=u64,
    timestamp=u64,
    extra_data=st.binary(max_size=32),
    prev_randao=h32,
    nonce=st.binary(min_size=8, max_size=8),
    base_fee_per_gas=u256,
    withdrawals_root=h32,
    blob_gas_used=u64,
    excess_blob_gas=u64,
    parent_beacon_block_root=h32,
)


def to_pyevm(h: BlockHeader) -> CancunBlockHeader:
    """The same header as py-evm's Cancun header, the reference for RLP and hash."""
    return CancunBlockHeader(
        difficulty=h.difficulty,
        block_number=h.number,
        gas_limit=h.gas_limit,
        timestamp=h.timestamp,
        coinbase=h.coinbase,
        parent_hash=h.parent_hash,
        uncles_hash=h.ommers_hash,
        state_root=h.state_root,
        transaction_root=h.transactions_root,
        receipt_root=h.receipts_root,
        bloom=int.from_bytes(h.logs_bloom, "big"),
        gas_used=h.gas_used,
        extra_data=h.extra_data,
        mix_hash=h.prev_randao,
        nonce=h.nonce,
        base_fee_per_gas=h.base_fee_per_gas,
        withdrawals_root=h.withdrawals_root,
        blob_gas_used=h.blob_gas_used,
        excess_blob_gas=h.excess_blob_gas,
        parent_beacon_block_root=h.parent_beacon_block_root,
    )


logs_st = st.builds(
    Log,
    address=st.binary(min_size=20, max_size=20),
    topics=st.lists(st.binary(min_size=32, max_size=32), max_size=4).map(tuple),
    data=st.binary(max_size=80),
)


@st.composite
def receipts_st(draw: st.DrawFn) -> Receipt:
    """A receipt of any transaction type, deposit fields only where a deposit has them."""
    logs = tuple(draw(st.lists(logs_st, max_size=3)))
    tx_type = draw(st.sampled_from([0, 1, 2, 3, 4, DEPOSIT_TX_TYPE]))
    nonce = version = None
    if tx_type == DEPOSIT_TX_TYPE:
        nonce = draw(st.none() | st.integers(0, 2**64 - 1))
        if nonce is not None:
            version = draw(st.none() | st.just(1))
    return Receipt(
        tx_type=U8(tx_type),
        success=draw(st.booleans()),
        cumulative_gas_used=U64(draw(st.integers(0, 2**64 - 1))),
        logs_bloom=logs_bloom(logs),
        logs=logs,
        deposit_nonce=None if nonce is None else U64(nonce),
        deposit_receipt_version=None if version is None else U64(version),
    )


def pyevm_receipt_body(r: Receipt) -> bytes:
    """py-evm's RLP of the receipt body (without the type byte), the reference encoding."""
    return bytes(
        rlp.encode(
            PyEvmReceipt(
                state_root=b"\x01" if r.success else b"",
                gas_used=r.cumulative_gas_used,
                bloom=int.from_bytes(r.logs_bloom, "big"),
                logs=[
                    PyEvmLog(
                        log.address, tuple(int.from_bytes(t, "big") for t in log.topics), log.data
                    )
                    for log in r.logs
                ],
            )
        )
    )
