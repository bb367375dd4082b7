"""Witness proof benchmark: generation and verification against plain execution of the same block.

The world: a rollup whose genesis funds 300 accounts, and one block of
1,000 pre-signed EIP-1559 transfers among them (random senders and
recipients, so about 300 accounts are touched) plus the L1-attributes
deposit. A witness proof is stateless re-execution against a Merkle
multiproof of the touched state: sound, but neither succinct nor
zero-knowledge, so its costs are execution's plus the witness.

- *Generation* is ``make_witness_proof`` from the full parent state and
  the decoded block (senders already recovered, as the node that built or
  replayed the block holds it): re-execution on recording tries, then the
  RLP encoding of witness and transactions.
- *Verification* is ``verify_witness_proof`` from the proof's bytes:
  decoding (which recovers every sender), hashing the witness nodes,
  re-execution with ``execute_block``'s checks against partial tries.

References measured in the same run, on the same block:

* ``execute_block`` on the decoded block and the full parent state: plain
  re-execution with senders known (the strict reference for both).
* ``decode_transaction`` of every raw transaction then ``execute_block``:
  a full node replaying the block from its bytes, which is the work the
  verifier cannot skip (it must recover senders from untrusted bytes).
* ``RollupChain.build_next`` with the decoded transactions: the sequencer
  building the block, for context.
* ``decode_transaction`` alone (sender recovery), for context: the part of
  verification that plain execution with known senders does not pay.

Ratios are printed as time multiples (ours ÷ reference); the goals are
verification ≤ 2× and generation ≤ 3× plain execution.
Run as ``python benchmarks/bench_witness.py``.
"""

import random

from _timing import measure_rate
from interlace.primitives.keys import PrivateKey
from interlace.primitives.tx import (
    Transaction,
    UnsignedDynamicFeeTransaction,
    decode_transaction,
    sign_transaction,
)
from interlace.primitives.types import U64, U256, ChainId, Hash32
from interlace.protocol.chain.block import Block, execute_block
from interlace.protocol.proofs.witness import (
    block_claim,
    make_witness_proof,
    verify_witness_proof,
)
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import L1Origin

CHAIN_ID = ChainId(901)
ACCOUNTS = 300
TRANSFERS = 1_000
FUNDING = 10**24
ORIGIN = L1Origin(U64(0), Hash32(b"\x11" * 32), U64(0), U256(1_000_000))


def make_world(seed: int = 1) -> tuple[RollupChain, list[bytes]]:
    """The funded chain at genesis and ``TRANSFERS`` raw transfers among its accounts."""
    rng = random.Random(seed)
    keys = [PrivateKey(rng.randbytes(32)) for _ in range(ACCOUNTS)]
    chain = RollupChain(RollupGenesis(CHAIN_ID, ORIGIN, 0, {k.address: FUNDING for k in keys}))
    nonces = [0] * ACCOUNTS
    raws = []
    for _ in range(TRANSFERS):
        sender = rng.randrange(ACCOUNTS)
        unsigned = UnsignedDynamicFeeTransaction(
            chain_id=CHAIN_ID,
            nonce=U64(nonces[sender]),
            max_priority_fee_per_gas=U256(10**9),
            max_fee_per_gas=U256(30 * 10**9),
            gas_limit=U64(21_000),
            to=keys[rng.randrange(ACCOUNTS)].address,
            value=U256(rng.randrange(1, 10**18)),
            data=b"",
            access_list=(),
        )
        nonces[sender] += 1
        raws.append(sign_transaction(unsigned, keys[sender]).raw)
    return chain, raws


def line(name: str, ours: float, reference: float, reference_name: str, goal: str) -> None:
    """One result: both times per block and ours as a multiple of the reference's."""
    print(
        f"{name}: ours {1000 / ours:.1f} ms/block, {reference_name} {1000 / reference:.1f} "
        f"ms/block, {reference / ours:.2f}× the reference's time (goal {goal})"
    )


def main() -> None:
    """Print generation and verification against plain execution of the same block."""
    chain, raws = make_world()
    txs: list[Transaction] = [decode_transaction(raw, CHAIN_ID) for raw in raws]
    built = chain.build_next(ORIGIN, (), txs, 2)
    assert not built.rejected and len(built.block.transactions) == TRANSFERS + 1
    parent, parent_state, block = chain.head.header, chain.head_state, built.block
    config, modules = chain.config, chain.modules
    block_raws = [tx.raw for tx in block.transactions]

    proof = make_witness_proof(parent_state, parent, block, modules, config)
    claim = verify_witness_proof(proof, config, modules, parent)
    assert claim == block_claim(CHAIN_ID, parent, block)
    assert claim.state_root == built.state.state_root()

    def generate() -> int:
        make_witness_proof(parent_state, parent, block, modules, config)
        return 1

    def verify() -> int:
        verify_witness_proof(proof, config, modules, parent)
        return 1

    def execute() -> int:
        execute_block(config, parent, parent_state, modules, block)
        return 1

    def decode_and_execute() -> int:
        decoded = tuple(decode_transaction(raw) for raw in block_raws)
        execute_block(config, parent, parent_state, modules, Block(block.header, decoded))
        return 1

    def decode() -> int:
        for raw in block_raws:
            decode_transaction(raw)
        return 1

    def build() -> int:
        chain.build_next(ORIGIN, (), txs, 2)
        return 1

    generate_rate = measure_rate(generate)
    verify_rate = measure_rate(verify)
    execute_rate = measure_rate(execute)
    replay_rate = measure_rate(decode_and_execute)
    build_rate = measure_rate(build)
    decode_rate = measure_rate(decode)

    name = f"({TRANSFERS:,} transfers, {ACCOUNTS} accounts, proof {len(proof):,} bytes)"
    line(f"witness generation {name}", generate_rate, execute_rate, "execute_block", "<= 3×")
    line(f"witness generation {name}", generate_rate, build_rate, "build_next", "<= 3×")
    line(
        f"witness verification {name}",
        verify_rate,
        replay_rate,
        "decode+execute_block",
        "<= 2×",
    )
    line(
        f"witness verification {name}",
        verify_rate,
        execute_rate,
        "execute_block (senders known)",
        "<= 2×",
    )
    print(
        f"  context: decoding the block's transactions (sender recovery) takes "
        f"{1000 / decode_rate:.1f} ms/block, {execute_rate / decode_rate:.2f}× execute_block; "
        f"verification without it is {(1 / verify_rate - 1 / decode_rate) * execute_rate:.2f}×"
    )


if __name__ == "__main__":
    main()
