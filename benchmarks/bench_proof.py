"""Event proof benchmark: hub-mode generation and verification against the ``trie`` package.

The world: source blocks of 1,000 receipts with one log each (three topics
and 96 bytes of data, the shape of a cross-chain message), transaction 0 the
L1-attributes deposit, and a hub state trie holding 8 chains × 1,000 blocks
under a signed hub header. Every proof names a different receipt.

- *Generation* keeps each block's ``BlockIndex`` (its receipts and
  transactions tries, built and hashed once per block, as a prover that
  serves a block keeps them) and the hub state proof (one per block); per
  proof it walks the two trie paths and RLP-encodes the proof. A second
  line charges the index build to the block's 1,000 proofs.
- *Verification* is the whole ``verify_event_proof``: hub signature
  recovery, hub state proof, header decode and hash, transaction-0 proof and
  deposit decode, receipt proof and receipt decode; nothing is cached
  between proofs.

The same-run reference is ``trie.HexaryTrie`` on the receipt proof alone
(``get_proof`` for generation, ``get_from_proof`` for verification): a
ratio near 1 means the whole event proof costs about what a library spends
on one of its five parts. The issue's goal is ≥ 5,000 proofs/s for each.
Run as ``python benchmarks/bench_proof.py``.
"""

import random

from trie import HexaryTrie

from _timing import measure_rate, print_ratio
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import EMPTY_OMMERS_HASH, ZERO_NONCE, BlockHeader, header_hash
from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.mpt import EMPTY_TRIE_ROOT, Trie
from interlace.primitives.receipt import Log, Receipt, logs_bloom
from interlace.primitives.rlp_codec import encode_rlp, encode_uint
from interlace.primitives.types import U8, U64, U256, ZERO_HASH, Address, Bytes256, Hash32
from interlace.protocol.hub.state import (
    BlockStatus,
    HubHeader,
    SafetyLevel,
    encode_status,
    sign_hub_header,
    state_key,
)
from interlace.protocol.interop.proof import (
    BlockIndex,
    build_hub_event_proof,
    index_block,
    verify_event_proof,
)
from interlace.protocol.rollup.derivation import L1Origin, attributes_deposit

RECEIPTS_PER_BLOCK = 1_000
SOURCE_BLOCKS = 4
HUB_CHAINS = 8
HUB_BLOCKS_PER_CHAIN = 1_000
CHAIN_ID = 901
HUB_KEY = private_key_from_seed(b"bench hub")


def make_block(rng: random.Random, number: int) -> tuple[BlockHeader, list[Receipt], list[bytes]]:
    """A source block: 1,000 one-log receipts, an attributes deposit then opaque transactions."""
    receipts: list[Receipt] = []
    for i in range(RECEIPTS_PER_BLOCK):
        log = Log(
            Address(rng.randbytes(20)),
            tuple(Hash32(rng.randbytes(32)) for _ in range(3)),
            rng.randbytes(96),
        )
        receipts.append(Receipt(U8(2), True, U64(60_000 * (i + 1)), logs_bloom([log]), (log,)))
    origin = L1Origin(U64(number), Hash32(keccak256(b"l1 %d" % number)), U64(12), U256(7))
    txs = [attributes_deposit(origin, 0).raw]
    txs += [b"\x02" + rng.randbytes(150) for _ in range(RECEIPTS_PER_BLOCK - 1)]
    index = index_block(receipts, txs)
    header = BlockHeader(
        parent_hash=Hash32(rng.randbytes(32)),
        ommers_hash=EMPTY_OMMERS_HASH,
        coinbase=Address(b"\xfe" * 20),
        state_root=Hash32(rng.randbytes(32)),
        transactions_root=index.transactions_root,
        receipts_root=index.receipts_root,
        logs_bloom=Bytes256(b"\xff" * 256),
        difficulty=U256(0),
        number=U64(number),
        gas_limit=U64(60_000_000 * 2),
        gas_used=U64(60_000 * RECEIPTS_PER_BLOCK),
        timestamp=U64(1_700_000_000 + 2 * number),
        extra_data=b"",
        prev_randao=origin.hash,
        nonce=ZERO_NONCE,
        base_fee_per_gas=U256(1_000_000),
        withdrawals_root=EMPTY_TRIE_ROOT,
        blob_gas_used=U64(0),
        excess_blob_gas=U64(0),
        parent_beacon_block_root=ZERO_HASH,
    )
    return header, receipts, txs


def main() -> None:
    """Build the world, then print the generation and verification ratios."""
    rng = random.Random(2024)
    blocks = [make_block(rng, n + 1) for n in range(SOURCE_BLOCKS)]
    hub = Trie()
    for chain in range(CHAIN_ID, CHAIN_ID + HUB_CHAINS):
        for number in range(HUB_BLOCKS_PER_CHAIN):
            status = BlockStatus(Hash32(rng.randbytes(32)), SafetyLevel.SAFE, SafetyLevel.SAFE)
            hub.set(state_key(chain, number), encode_status(status))
    for header, _, _ in blocks:
        status = BlockStatus(header_hash(header), SafetyLevel.FINALIZED, SafetyLevel.SAFE)
        hub.set(state_key(CHAIN_ID, header.number), encode_status(status))
    hub_header = HubHeader(
        U64(77), U64(1_700_000_100), Hash32(rng.randbytes(32)), hub.root(), U64(50), ZERO_HASH
    )
    signature = sign_hub_header(hub_header, HUB_KEY)
    prepared: list[tuple[BlockHeader, list[Receipt], list[bytes], BlockIndex, list[bytes]]] = [
        (h, r, t, index_block(r, t), hub.proof(state_key(CHAIN_ID, h.number))) for h, r, t in blocks
    ]

    def prove(
        item: tuple[BlockHeader, list[Receipt], list[bytes], BlockIndex, list[bytes]], i: int
    ) -> bytes:
        header, receipts, txs, index, hub_proof = item
        return build_hub_event_proof(
            chain_id=CHAIN_ID,
            hub_header=hub_header,
            hub_signature=signature,
            hub_state_proof=hub_proof,
            source_header=header,
            receipts=receipts,
            transactions=txs,
            receipt_index=i,
            log_position=0,
            index=index,
        )

    def ours_generate() -> int:
        for item in prepared:
            for i in range(RECEIPTS_PER_BLOCK):
                prove(item, i)
        return SOURCE_BLOCKS * RECEIPTS_PER_BLOCK

    def ours_generate_with_index() -> int:
        header, receipts, txs = blocks[0]
        index = index_block(receipts, txs)
        item = (header, receipts, txs, index, prepared[0][4])
        for i in range(RECEIPTS_PER_BLOCK):
            prove(item, i)
        return RECEIPTS_PER_BLOCK

    proofs = [prove(item, i) for item in prepared for i in range(RECEIPTS_PER_BLOCK)]
    for raw, (item, i) in zip(
        proofs, [(p, i) for p in prepared for i in range(RECEIPTS_PER_BLOCK)], strict=True
    ):
        claim = verify_event_proof(raw)
        assert claim.hub_signer == HUB_KEY.address and claim.log == item[1][i].logs[0]

    # The reference: the same receipts tries in the trie package, receipt proof alone.
    theirs: list[tuple[HexaryTrie, bytes, list[bytes]]] = []
    for header, _, _, index, _ in prepared:
        t = HexaryTrie({})
        for key, value in index.receipts_trie.items():
            t.set(key, value)
        assert t.root_hash == header.receipts_root
        theirs.append((t, header.receipts_root, [_key(i) for i in range(RECEIPTS_PER_BLOCK)]))

    def theirs_generate() -> int:
        for t, _, keys in theirs:
            for key in keys:
                t.get_proof(key)
        return SOURCE_BLOCKS * RECEIPTS_PER_BLOCK

    their_proofs = [(root, key, t.get_proof(key)) for t, root, keys in theirs for key in keys]

    def ours_verify() -> int:
        for raw in proofs:
            verify_event_proof(raw)
        return len(proofs)

    def theirs_verify() -> int:
        for root, key, proof in their_proofs:
            HexaryTrie.get_from_proof(root, key, proof)
        return len(their_proofs)

    size = sum(map(len, proofs)) / len(proofs)
    print(
        f"hub-mode event proofs: {SOURCE_BLOCKS} blocks × {RECEIPTS_PER_BLOCK:,} receipts "
        f"(1 log each), hub state of {HUB_CHAINS} chains × {HUB_BLOCKS_PER_CHAIN:,} blocks; "
        f"mean proof {size:,.0f} bytes"
    )
    reference_generate = measure_rate(theirs_generate, min_seconds=0.5)
    print_ratio(
        "generation, block index kept (proofs/s)",
        measure_rate(ours_generate, min_seconds=0.5),
        reference_generate,
        "trie.HexaryTrie.get_proof (receipt proof alone)",
        ">= 5,000/s absolute",
    )
    print_ratio(
        "generation, index built per block of 1,000 (proofs/s)",
        measure_rate(ours_generate_with_index, min_seconds=0.5),
        reference_generate,
        "trie.HexaryTrie.get_proof (receipt proof alone)",
        "context",
    )
    print_ratio(
        "verification, whole proof (proofs/s)",
        measure_rate(ours_verify, min_seconds=0.5),
        measure_rate(theirs_verify, min_seconds=0.5),
        "trie.HexaryTrie.get_from_proof (receipt proof alone)",
        ">= 5,000/s absolute",
    )


def _key(index: int) -> bytes:
    return encode_rlp(encode_uint(index))


if __name__ == "__main__":
    main()
