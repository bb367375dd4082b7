"""Merkle-Patricia trie benchmark: ours against the ``trie`` package in the same run.

Four measurements on 10,000 random 32-byte keys with 70-byte values: the
batch root (``trie_root`` against HexaryTrie inserting each key and reading
``root_hash``), proof generation, proof verification, and an incremental
update of 100 keys plus a new root on the 10k-key trie. Run as
``python benchmarks/bench_mpt.py``.
"""

import random

from trie import HexaryTrie

from _timing import measure_rate, print_ratio
from interlace.primitives.mpt import Trie, trie_root, verify_proof

N_KEYS = 10_000
N_PROOFS = 1_000
N_UPDATES = 100


def main() -> None:
    """Run all four comparisons and print one ratio line each."""
    rng = random.Random(1186)
    pairs = [(rng.randbytes(32), rng.randbytes(70)) for _ in range(N_KEYS)]

    def ours_root() -> int:
        trie_root(pairs)
        return N_KEYS

    def theirs_root() -> int:
        t = HexaryTrie({})
        for k, v in pairs:
            t.set(k, v)
        _ = t.root_hash
        return N_KEYS

    ours = Trie(pairs)
    theirs = HexaryTrie({})
    for k, v in pairs:
        theirs.set(k, v)
    assert ours.root() == theirs.root_hash == trie_root(pairs)
    print(f"{N_KEYS:,} random 32-byte keys, 70-byte values")
    print_ratio(
        "root (keys/s)",
        measure_rate(ours_root, min_seconds=0.5),
        measure_rate(theirs_root, min_seconds=0.5),
        "trie.HexaryTrie",
        ">= 3",
    )

    sample = [k for k, _ in pairs[:N_PROOFS]] + [rng.randbytes(32) for _ in range(N_PROOFS)]

    def ours_prove() -> int:
        for k in sample:
            ours.proof(k)
        return len(sample)

    def theirs_prove() -> int:
        for k in sample:
            theirs.get_proof(k)
        return len(sample)

    print_ratio(
        "proof generation, half absent (proofs/s)",
        measure_rate(ours_prove, min_seconds=0.5),
        measure_rate(theirs_prove, min_seconds=0.5),
        "trie.HexaryTrie",
        "> 1",
    )

    root = ours.root()
    our_proofs = [(k, ours.proof(k)) for k in sample]
    their_proofs = [(k, theirs.get_proof(k)) for k in sample]

    def ours_verify() -> int:
        for k, p in our_proofs:
            verify_proof(root, k, p)
        return len(our_proofs)

    def theirs_verify() -> int:
        for k, p in their_proofs:
            HexaryTrie.get_from_proof(root, k, p)
        return len(their_proofs)

    print_ratio(
        "proof verification, half absent (proofs/s)",
        measure_rate(ours_verify, min_seconds=0.5),
        measure_rate(theirs_verify, min_seconds=0.5),
        "trie.HexaryTrie.get_from_proof",
        "> 1",
    )

    updates = [
        (pairs[rng.randrange(N_KEYS)][0] if i % 2 else rng.randbytes(32), rng.randbytes(70))
        for i in range(N_UPDATES)
    ]

    def ours_update() -> int:
        t = ours.copy()
        for k, v in updates:
            t.set(k, v)
        t.root()
        return N_UPDATES

    def theirs_update() -> int:
        # HexaryTrie has no snapshots; re-applying the same writes costs the same each time.
        for k, v in updates:
            theirs.set(k, v)
        _ = theirs.root_hash
        return N_UPDATES

    print_ratio(
        f"incremental {N_UPDATES} sets + root on {N_KEYS:,} keys (sets/s)",
        measure_rate(ours_update, min_seconds=0.5),
        measure_rate(theirs_update, min_seconds=0.5),
        "trie.HexaryTrie",
        "> 1",
    )
    check = ours.copy()
    for k, v in updates:
        check.set(k, v)
    assert check.root() == theirs.root_hash


if __name__ == "__main__":
    main()
