"""Hub ingest rate: signed rollup blocks validated and applied per second, against recovery.

Workload: 10 rollups, each a chain of 40 blocks with 3 signed transfers per
block, built with ``RollupChain.build_next`` and signed with
``sign_envelope`` as the sequencer does (``Sequencer._produce``/``_sign``).
Each timed repeat registers the rollups in a fresh ``HubTracker``, sets the
L1 origin block, and feeds every envelope to ``HubTracker.ingest_envelope``
in gossip order (height by height, chain by chain), so each is accepted on
arrival: signature recovery, payload decode, block-hash check, light-client
rules, dependency scan and level bookkeeping.

The reference is measured in the same run: raw secp256k1 public-key
recovery with coincurve plus the keccak that turns the key into an address,
the one unavoidable cost per envelope. Goal: at least 0.6 of it. For
context the script also times ``verify_envelope`` alone (decode + recover),
and profiles one ingest pass so the rest of the cost is visible.

Run: ``python benchmarks/bench_hub.py``
"""

import cProfile
import os
import pstats

from coincurve import PrivateKey as CoincurvePrivateKey
from coincurve import PublicKey

from _timing import measure_rate, print_ratio
from interlace.primitives.envelope import sign_envelope, verify_envelope
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey
from interlace.primitives.tx import Transaction, UnsignedDynamicFeeTransaction, sign_transaction
from interlace.primitives.types import U64, U256, ZERO_HASH, Address, ChainId
from interlace.protocol.chain.block import Block
from interlace.protocol.hub.tracker import HubTracker
from interlace.protocol.l1.genesis import L1_CONFIG, L1Genesis, build_l1_genesis
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import L1Origin, origin_of
from interlace.protocol.rollup.payload import payload_from_block
from interlace.roles.client import MAX_FEE, dev_key

SEED = 1
CHAINS = 10
BLOCKS = 40
TRANSFERS = 3
ACCOUNTS = 4
FIRST_CHAIN = 901
GOAL = 0.6
TOP = 12
NOW = 1e9  # far past every block's timestamp: no "ahead of the hub clock" rejections


class Rollup:
    """One prebuilt rollup: its keys, genesis hash and the signed envelopes of its blocks."""

    def __init__(self, chain_id: ChainId, origin: L1Origin) -> None:
        self.chain_id = chain_id
        self.sequencer = dev_key(SEED, "sequencer", chain_id)
        self.batcher = dev_key(SEED, "batcher", chain_id)
        self.accounts = [dev_key(SEED, f"rollup-{chain_id}", i) for i in range(ACCOUNTS)]
        chain = RollupChain(
            RollupGenesis(chain_id, origin, 0, {key.address: 10**24 for key in self.accounts})
        )
        self.genesis_hash = chain.head.hash
        nonces = [0] * ACCOUNTS
        self.envelopes: list[bytes] = []
        for number in range(1, BLOCKS + 1):
            txs: list[Transaction] = []
            for k in range(TRANSFERS):
                i = (number + k) % ACCOUNTS
                txs.append(self._transfer(self.accounts[i], nonces[i], self.accounts[(i + 1) % 4]))
                nonces[i] += 1
            built = chain.build_next(origin, (), txs, number)
            chain.append(built, origin)
            self.envelopes.append(
                sign_envelope(payload_from_block(built.block), ZERO_HASH, chain_id, self.sequencer)
            )

    def _transfer(self, sender: PrivateKey, nonce: int, to: PrivateKey) -> Transaction:
        return sign_transaction(
            UnsignedDynamicFeeTransaction(
                chain_id=self.chain_id,
                nonce=U64(nonce),
                max_priority_fee_per_gas=U256(1_000),
                max_fee_per_gas=U256(MAX_FEE),
                gas_limit=U64(21_000),
                to=to.address,
                value=U256(1_000 + nonce),
                data=b"",
                access_list=(),
            ),
            sender,
        )


def l1_origin() -> L1Origin:
    """The L1 genesis block as every rollup's origin (as ``World`` builds it)."""
    header, _state = build_l1_genesis(L1Genesis(L1_CONFIG, {}, []))
    return origin_of(Block(header, ()))


def fresh_tracker(rollups: list[Rollup], origin: L1Origin) -> HubTracker:
    tracker = HubTracker()
    for rollup in rollups:
        tracker.register(
            rollup.chain_id, rollup.sequencer.address, rollup.batcher.address, rollup.genesis_hash
        )
    tracker.set_l1_block(origin.number, origin.hash)
    return tracker


def main() -> None:
    origin = l1_origin()
    rollups = [Rollup(ChainId(FIRST_CHAIN + i), origin) for i in range(CHAINS)]
    feed = [(r.chain_id, r.envelopes[n]) for n in range(BLOCKS) for r in rollups]
    sizes = sorted(len(raw) for _, raw in feed)

    def ingest() -> int:
        tracker = fresh_tracker(rollups, origin)
        accepted = 0
        for chain_id, raw in feed:
            accepted += len(tracker.ingest_envelope(chain_id, raw, NOW).accepted)
        if accepted != len(feed):
            raise AssertionError(f"accepted {accepted} of {len(feed)} envelopes")
        return len(feed)

    def verify_only() -> int:
        for chain_id, raw in feed:
            verify_envelope(raw, chain_id)
        return len(feed)

    signer = CoincurvePrivateKey(os.urandom(32))
    refs = [(signer.sign_recoverable(d, hasher=None), d) for d in (os.urandom(32) for _ in feed)]

    def raw_recovery() -> int:
        for signature, digest in refs:
            public_key = PublicKey.from_signature_and_message(signature, digest, hasher=None)
            Address(keccak256(public_key.format(compressed=False)[1:])[12:])
        return len(refs)

    # Interleave so machine noise hits both sides alike; keep each side's best.
    reference = measure_rate(raw_recovery)
    rate = measure_rate(ingest)
    verify_rate = measure_rate(verify_only)
    reference = max(reference, measure_rate(raw_recovery))
    print(
        f"workload: {CHAINS} rollups x {BLOCKS} blocks, {TRANSFERS} transfers each "
        f"(+ L1-attributes deposit); envelopes {sizes[0]}-{sizes[-1]} bytes"
    )
    print_ratio(
        "hub ingest_envelope", rate, reference, "coincurve recover+keccak", f">= {GOAL:.2f}"
    )
    print_ratio("verify_envelope alone", verify_rate, reference, "coincurve recover+keccak", "n/a")
    print(
        f"per envelope: ingest {1e6 / rate:.1f} µs = verify_envelope {1e6 / verify_rate:.1f} µs "
        f"+ hub rules {1e6 / rate - 1e6 / verify_rate:.1f} µs; recovery floor "
        f"{1e6 / reference:.1f} µs"
    )

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        ingest()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.strip_dirs()
    print(f"\n--- profile (5 ingest passes, {5 * len(feed)} envelopes): top {TOP} by own time ---")
    stats.sort_stats("tottime").print_stats(TOP)
    print(f"--- top {TOP} by cumulative time ---")
    stats.sort_stats("cumulative").print_stats(TOP)


if __name__ == "__main__":
    main()
