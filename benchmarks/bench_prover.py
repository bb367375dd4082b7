"""Prover scaling benchmark: blocks proven per second with 1 and 2 worker processes.

The world: a rollup whose genesis funds 300 accounts, and a chain of
``BLOCKS`` blocks of 1,000 pre-signed EIP-1559 transfers each. The
coordinator's witnesses of those blocks are captured up front (what
``Coordinator`` sends as ``ProofJob.witness``), and the jobs are proven by
the same stateless function the ``ProverWorker`` role runs
(``prove_block_witness``: decode, recover senders, re-execute against the
captured trie nodes, check every root) in a ``ProcessPoolExecutor`` of 1
and then 2 processes. Witness proofs are stateless re-execution against a
Merkle multiproof of the touched state: sound, but neither succinct nor
zero-knowledge.

Reported, all measured in this run:

* blocks proven per second with 1 and 2 worker processes, and their ratio
  (goal ≥ 1.7× on a 2-core machine);
* the same job run in this process (no pool), to show what the pool costs;
* the coordinator's per-block cost — decoding the block's transactions
  (sender recovery, as it receives them signed from the sequencer),
  re-executing it (``execute_block``, its own chain) and capturing the
  witness (``make_witness_proof``) — each as a multiple of plain
  ``execute_block``, so the reader sees the whole pipeline: one coordinator
  feeds the workers at most at the rate printed.

Run as ``python benchmarks/bench_prover.py`` (about half a minute).
"""

import os
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from _timing import measure_rate
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey
from interlace.primitives.tx import (
    UnsignedDynamicFeeTransaction,
    decode_transaction,
    sign_transaction,
)
from interlace.primitives.types import U64, U256, ChainId, Hash32
from interlace.protocol.chain.block import Block, ChainConfig, execute_block
from interlace.protocol.proofs.witness import make_witness_proof, prove_block_witness
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis, rollup_modules
from interlace.protocol.rollup.derivation import L1Origin

CHAIN_ID = ChainId(901)
ACCOUNTS = 300
TRANSFERS = 1_000
BLOCKS = 4
JOBS_PER_ROUND = 12
FUNDING = 10**24
ORIGIN = L1Origin(U64(0), Hash32(b"\x11" * 32), U64(0), U256(1_000_000))

T = TypeVar("T")
_WORKER_CONFIG = ChainConfig(CHAIN_ID)
_WORKER_MODULES = rollup_modules()


def prove_job(witness: bytes) -> int:
    """The worker's job: stateless proving of one captured witness; returns the block number."""
    claim, _proof = prove_block_witness(witness, _WORKER_CONFIG, _WORKER_MODULES)
    return claim.number


def spin_job(rounds: int) -> int:
    """Reference job: pure CPU (keccak) with no shared state, as long as a proving job."""
    digest = b"\x00" * 32
    for _ in range(rounds):
        digest = keccak256(digest)
    return digest[0]


def make_chain(seed: int = 1) -> RollupChain:
    """A funded chain with ``BLOCKS`` blocks of ``TRANSFERS`` random transfers."""
    rng = random.Random(seed)
    keys = [PrivateKey(rng.randbytes(32)) for _ in range(ACCOUNTS)]
    chain = RollupChain(RollupGenesis(CHAIN_ID, ORIGIN, 0, {k.address: FUNDING for k in keys}))
    nonces = [0] * ACCOUNTS
    for number in range(1, BLOCKS + 1):
        txs = []
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
            txs.append(sign_transaction(unsigned, keys[sender]))
        built = chain.build_next(ORIGIN, (), txs, 2 * number)
        assert not built.rejected
        chain.append(built, ORIGIN)
    return chain


def capture(chain: RollupChain, number: int) -> bytes:
    """The coordinator's witness capture of block ``number``."""
    return make_witness_proof(
        chain.states[number - 1],
        chain.blocks[number - 1].header,
        chain.blocks[number],
        chain.modules,
        chain.config,
    )


def pool_rate(
    workers: int, job: Callable[[T], int], inputs: Sequence[T], repeats: int = 3
) -> float:
    """Best jobs/second of ``workers`` processes running ``job`` on ``inputs`` (no start-up)."""
    best = 0.0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(job, inputs[:workers]))  # start and warm every process
        for _ in range(repeats):
            start = time.perf_counter()
            list(pool.map(job, inputs, chunksize=1))
            best = max(best, len(inputs) / (time.perf_counter() - start))
    return best


def per_block(fn: Callable[[], None]) -> Callable[[], int]:
    def run() -> int:
        fn()
        return 1

    return run


def main() -> None:
    """Print worker scaling and the coordinator's per-block cost."""
    chain = make_chain()
    witnesses = [capture(chain, n) for n in range(1, BLOCKS + 1)]
    for number, witness in enumerate(witnesses, 1):
        assert prove_job(witness) == number
    jobs = [witnesses[i % BLOCKS] for i in range(JOBS_PER_ROUND)]
    size = sum(map(len, witnesses)) // BLOCKS

    in_process = measure_rate(per_block(lambda: prove_job(witnesses[0])))
    # The reference: a pure-CPU job of the same length shows how much parallelism this
    # machine offers right now (other work on a shared machine takes some of it).
    start = time.perf_counter()
    spin_job(20_000)
    rounds = int(20_000 / (time.perf_counter() - start) / in_process)
    spins = [rounds] * JOBS_PER_ROUND
    one, ref_one = pool_rate(1, prove_job, jobs), pool_rate(1, spin_job, spins)
    two, ref_two = pool_rate(2, prove_job, jobs), pool_rate(2, spin_job, spins)
    print(
        f"prover workers ({TRANSFERS:,}-transfer blocks, witness {size:,} bytes, "
        f"{os.cpu_count()} CPUs): 1 process {one:.1f} blocks/s, 2 processes {two:.1f} blocks/s, "
        f"ratio {two / one:.2f}× (goal >= 1.7×)"
    )
    print(
        f"  reference: a pure-CPU job of the same length scales {ref_two / ref_one:.2f}× "
        f"from 1 to 2 processes in this run; proving reaches "
        f"{(two / one) / (ref_two / ref_one):.0%} of that"
    )
    print(
        f"  context: one job in this process {1000 / in_process:.1f} ms "
        f"({in_process:.1f} blocks/s); through a 1-process pool {1000 / one:.1f} ms"
    )

    parent, parent_state, block = chain.blocks[0].header, chain.states[0], chain.blocks[1]
    config, modules = chain.config, chain.modules
    raws = [tx.raw for tx in block.transactions]
    execute_rate = measure_rate(
        per_block(lambda: execute_block(config, parent, parent_state, modules, block))
    )

    def decode() -> None:
        Block(block.header, tuple(decode_transaction(raw) for raw in raws))

    decode_rate = measure_rate(per_block(decode))
    capture_rate = measure_rate(
        per_block(lambda: make_witness_proof(parent_state, parent, block, modules, config))
    )
    total_ms = 1000 / decode_rate + 1000 / execute_rate + 1000 / capture_rate
    plain_ms = 1000 / execute_rate
    print(
        f"coordinator per block: decode (sender recovery) {1000 / decode_rate:.1f} ms, "
        f"re-execution {plain_ms:.1f} ms, witness capture {1000 / capture_rate:.1f} ms "
        f"= {total_ms:.1f} ms, {total_ms / plain_ms:.2f}× plain execute_block "
        f"({1000 / total_ms:.1f} blocks/s for one coordinator process)"
    )
    print(
        f"  worker job: {1000 / in_process:.1f} ms = {execute_rate / in_process:.2f}× "
        f"plain execute_block (it recovers every sender from the witness's bytes)"
    )


if __name__ == "__main__":
    main()
