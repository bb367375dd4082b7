"""Rollup transfer throughput: decode, validate, execute and commit, against py-evm and the limit.

Workload: 1,000 pre-signed EIP-1559 ETH transfers from 200 funded senders
(five nonces each) to random new recipients, executed as two blocks of 500.
Ours is the node's path from raw bytes: ``decode_transaction`` (which
recovers the sender), then ``RollupChain.build_next`` (attributes deposit,
validation, execution, state/transactions/receipts roots, sealing) and
``append``; every measured run restarts from the same genesis.

References measured in the same run:

* py-evm 0.12 ``MiningChain`` on ``CancunVM`` with an in-memory ``AtomicDB``
  and the same funded genesis accounts: the transaction builder decodes the
  same raw bytes and ``mine_all`` executes and seals each block of 500. Each
  run starts from a copy of the genesis database.
* The signature-recovery limit: coincurve ``from_signature_and_message``
  plus the keccak that turns the key into an address, on the same signing
  hashes, with no decoding, execution or commitment at all.

Both implementations are checked to include every transfer and to credit
the recipients identically before anything is timed.

Run: ``python benchmarks/bench_chain.py``
"""

import random

from coincurve import PublicKey
from eth.abc import SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.vm.forks import CancunVM

from _timing import measure_rate, print_ratio
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey
from interlace.primitives.tx import (
    DynamicFeeTransaction,
    Transaction,
    UnsignedDynamicFeeTransaction,
    decode_transaction,
    sign_transaction,
    signing_hash,
)
from interlace.primitives.types import U64, U256, ZERO_HASH, Address, ChainId, Hash32
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import L1Origin

CHAIN_ID = ChainId(901)
TRANSACTIONS = 1_000
SENDERS = 200
BLOCK_SIZE = 500
FUNDING = 10**24
GAS_LIMIT = 30_000_000
BASE_FEE = 1_000_000
ORIGIN = L1Origin(U64(0), Hash32(b"\x11" * 32), U64(0), U256(BASE_FEE))


def make_transfers(seed: int = 1) -> tuple[list[PrivateKey], list[bytes]]:
    """The funded sender keys and ``TRANSACTIONS`` raw signed transfers, senders round-robin."""
    rng = random.Random(seed)
    keys = [PrivateKey(rng.randbytes(32)) for _ in range(SENDERS)]
    raws = []
    for index in range(TRANSACTIONS):
        unsigned = UnsignedDynamicFeeTransaction(
            chain_id=CHAIN_ID,
            nonce=U64(index // SENDERS),
            max_priority_fee_per_gas=U256(10**9),
            max_fee_per_gas=U256(30 * 10**9),
            gas_limit=U64(21_000),
            to=Address(rng.randbytes(20)),
            value=U256(rng.randrange(1, 10**18)),
            data=b"",
            access_list=(),
        )
        raws.append(sign_transaction(unsigned, keys[index % SENDERS]).raw)
    return keys, raws


def blocks_of(raws: list[bytes]) -> list[list[bytes]]:
    """The raw transactions cut into blocks of ``BLOCK_SIZE``."""
    return [raws[i : i + BLOCK_SIZE] for i in range(0, len(raws), BLOCK_SIZE)]


# ---- ours ---------------------------------------------------------------------


def ours_chain(keys: list[PrivateKey]) -> RollupChain:
    """A rollup chain whose genesis funds every sender."""
    alloc = {key.address: FUNDING for key in keys}
    return RollupChain(RollupGenesis(CHAIN_ID, ORIGIN, 0, alloc))


def ours_run(chain: RollupChain, blocks: list[list[bytes]]) -> None:
    """Decode and build every block on top of genesis."""
    chain.rewind(0)
    for raws in blocks:
        txs: list[Transaction] = [decode_transaction(raw, CHAIN_ID) for raw in raws]
        built = chain.build_next(ORIGIN, (), txs, int(chain.next_timestamp(1)))
        chain.append(built, ORIGIN)


# ---- py-evm -------------------------------------------------------------------

PyEvmChain = MiningChain.configure(
    __name__="BenchCancunChain", vm_configuration=((0, CancunVM),), chain_id=CHAIN_ID
)


def pyevm_genesis(keys: list[PrivateKey]) -> AtomicDB:
    """A database holding the py-evm genesis with every sender funded."""
    db = AtomicDB()
    params = {
        "difficulty": 0,
        "gas_limit": GAS_LIMIT,
        "timestamp": 0,
        "coinbase": b"\x00" * 19 + b"\xfe",
        "extra_data": b"",
        "nonce": b"\x00" * 8,
        "mix_hash": ZERO_HASH,
        "base_fee_per_gas": BASE_FEE,
    }
    alloc = {
        bytes(key.address): {"balance": FUNDING, "nonce": 0, "code": b"", "storage": {}}
        for key in keys
    }
    PyEvmChain.from_genesis(db, params, alloc)
    return db


def pyevm_run(genesis_db: AtomicDB, blocks: list[list[bytes]]) -> MiningChain:
    """Decode and mine every block on a fresh copy of the genesis database."""
    kv_store = genesis_db.wrapped_db.kv_store  # type: ignore[attr-defined]
    chain = PyEvmChain(AtomicDB(MemoryDB(dict(kv_store))))
    for timestamp, raws in enumerate(blocks, start=1):
        builder = chain.get_vm().get_transaction_builder()
        txs: list[SignedTransactionAPI] = [builder.decode(raw) for raw in raws]
        chain.mine_all(txs, timestamp=timestamp)
    return chain


# ---- checks -------------------------------------------------------------------


def check_same_outcome(
    chain: RollupChain, pyevm: MiningChain, decoded: list[DynamicFeeTransaction]
) -> None:
    """Every transfer included by both, and every recipient credited the same."""
    user_txs = sum(len(b.transactions) - 1 for b in chain.blocks[1:])  # minus attributes deposit
    assert user_txs == TRANSACTIONS, f"ours included {user_txs} of {TRANSACTIONS}"
    head = pyevm.get_canonical_head()
    assert head.block_number == len(chain.blocks) - 1
    assert sum(len(pyevm.get_canonical_block_by_number(n).transactions) for n in (1, 2)) == (
        TRANSACTIONS
    )
    pyevm_state = pyevm.get_vm().state
    ours_state = chain.head_state
    for tx in decoded:
        assert tx.to is not None
        ours_balance = ours_state.balance_of(tx.to)
        assert ours_balance == pyevm_state.get_balance(bytes(tx.to)), "recipient balances differ"


# ---- main ---------------------------------------------------------------------


def main() -> None:
    """Print ours against py-evm and against the signature-recovery limit."""
    keys, raws = make_transfers()
    blocks = blocks_of(raws)
    decoded = [decode_transaction(raw, CHAIN_ID) for raw in raws]
    recoveries = []
    for tx in decoded:
        assert isinstance(tx, DynamicFeeTransaction)
        signature = tx.r.to_bytes(32, "big") + tx.s.to_bytes(32, "big") + bytes((tx.y_parity,))
        recoveries.append((signature, signing_hash(tx)))

    chain = ours_chain(keys)
    genesis_db = pyevm_genesis(keys)
    ours_run(chain, blocks)
    check_same_outcome(chain, pyevm_run(genesis_db, blocks), decoded)  # type: ignore[arg-type]

    def ours() -> int:
        ours_run(chain, blocks)
        return TRANSACTIONS

    def pyevm() -> int:
        pyevm_run(genesis_db, blocks)
        return TRANSACTIONS

    def limit() -> int:
        for signature, message_hash in recoveries:
            public_key = PublicKey.from_signature_and_message(signature, message_hash, hasher=None)
            keccak256(public_key.format(compressed=False)[1:])[12:]
        return len(recoveries)

    ours_rate = measure_rate(ours)
    pyevm_rate = measure_rate(pyevm, min_seconds=1.5, repeats=2)
    limit_rate = measure_rate(limit)
    name = f"rollup transfers ({TRANSACTIONS} txs, blocks of {BLOCK_SIZE}, decode+execute+roots)"
    print_ratio(name, ours_rate, pyevm_rate, "py-evm CancunVM mine_all", ">= 10")
    print_ratio(name, ours_rate, limit_rate, "coincurve recover+address limit", ">= 0.4")


if __name__ == "__main__":
    main()
