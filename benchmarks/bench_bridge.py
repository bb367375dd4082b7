"""The bridge's two hot checks, each against the hashing it is built from, in one run.

1. Claim verification (``verify_claim``: the leaf hash, 32 siblings to the local exit
   root, 32 to the rollup exit root, the global exit root) per second, against the limit:
   raw keccak256 of 64-byte inputs on this machine divided by the 66 hashes a claim needs
   (64 inner nodes, the 113-byte leaf and the 64-byte global exit root). Goal >= 0.5.
2. L1's per-chain accounting check (``apply_certificate``) per bridge exit, for
   certificates of 1, 10 and 100 exits over 1, 10 and 50 tokens, after a history of 0 or
   2,000 earlier exits, and the same in hashes (keccak of 64 bytes) per exit: it should
   grow with the exits and tokens in the certificate, not with history.

Run: ``python benchmarks/bench_bridge.py``
"""

import dataclasses
import time

from _timing import measure_rate
from interlace.primitives.exit_tree import ExitTree
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import Address, Hash32
from interlace.protocol.bridge.accounting import ChainLedger, apply_certificate
from interlace.protocol.bridge.claim import build_claim_proof, verify_claim
from interlace.protocol.bridge.format import (
    BridgeExit,
    GlobalIndex,
    LeafType,
    TokenInfo,
    global_exit_root,
)

USER = Address(b"\xaa" * 20)


def _any_root(_root: Hash32) -> bool:
    """Every global exit root counts as known (the accounting benchmark has no imports)."""
    return True


HASHES_PER_CLAIM = 66


def keccak_rate() -> float:
    """keccak256 of 64-byte inputs per second."""
    data = b"\x11" * 64

    def run() -> int:
        for _ in range(2000):
            keccak256(data)
        return 2000

    return measure_rate(run)


def bench_claims() -> tuple[float, float]:
    """Claims verified per second, and the keccak limit per claim."""
    token = TokenInfo(0, Address(b"\x70" * 20))
    exits = [BridgeExit(LeafType.ASSET, token, 2, USER, 1 + i) for i in range(256)]
    source = ExitTree.from_leaves(e.leaf_hash() for e in exits)
    rollups = ExitTree.from_leaves([Hash32(keccak256(bytes([i]))) for i in range(9)])
    rollups.append(source.root())  # the source is rollup index 9: network 10
    known = {global_exit_root(Hash32(b"\x01" * 32), rollups.root())}
    proofs = [
        build_claim_proof(GlobalIndex.for_exit(10, i), source, rollups, Hash32(b"\x01" * 32))
        for i in range(len(exits))
    ]
    pairs = list(zip(exits, proofs, strict=True))

    def run() -> int:
        for exit_, proof in pairs:
            verify_claim(exit_, proof, 2, known.__contains__)
        return len(pairs)

    return measure_rate(run), keccak_rate() / HASHES_PER_CLAIM


def bench_accounting(exits: int, tokens: int, history: int) -> float:
    """Seconds per bridge exit of L1's check of one certificate."""
    ledger = ChainLedger(1)
    own = [TokenInfo(1, Address(i.to_bytes(20, "big"))) for i in range(1, tokens + 1)]
    # history: earlier exits of the chain's own tokens (not accounted, but in the tree)
    for first in range(0, history, 500):
        batch = [
            BridgeExit(LeafType.ASSET, own[i % tokens], 2, USER, 1)
            for i in range(first, min(history, first + 500))
        ]
        ledger.certify(batch, [], _any_root)
    foreign = [TokenInfo(0, Address((i + 7).to_bytes(20, "big"))) for i in range(tokens)]
    # give the chain balances of foreign tokens without imports: write the ledger's tree
    # directly, as a fixture (the check reads only roots and paths)
    for token in foreign:
        ledger.balances.set(token.key_bits(), Hash32((10**30).to_bytes(32, "big")))
    ledger.state = dataclasses.replace(ledger.state, balance_root=ledger.balances.root)
    batch = [BridgeExit(LeafType.ASSET, foreign[i % tokens], 2, USER, 1) for i in range(exits)]
    state = ledger.state
    certificate, witness = ledger.certify(batch, [], _any_root)
    repeats = max(1, 300 // exits)
    start = time.perf_counter()
    for _ in range(repeats):
        apply_certificate(state, certificate, witness, _any_root)
    return (time.perf_counter() - start) / repeats / exits


def main() -> None:
    ours, limit = bench_claims()
    print(
        f"claim verification: ours {ours:,.0f}/s, keccak limit ({HASHES_PER_CLAIM} x 64-byte "
        f"keccak256 per claim) {limit:,.0f}/s, ratio {ours / limit:.2f} (goal >= 0.5)"
    )
    per_hash = 1 / keccak_rate()
    print("accounting check on L1 per bridge exit (apply_certificate):")
    print("  exits  tokens  history   µs/exit   keccak-equivalents/exit")
    for exits, tokens, history in [
        (1, 1, 0),
        (10, 1, 0),
        (100, 1, 0),
        (100, 10, 0),
        (100, 50, 0),
        (100, 10, 2000),
        (10, 10, 2000),
    ]:
        seconds = bench_accounting(exits, tokens, history)
        print(
            f"  {exits:>5}  {tokens:>6}  {history:>7}  {seconds * 1e6:>8.1f}   "
            f"{seconds / per_hash:>8.0f}"
        )


if __name__ == "__main__":
    main()
