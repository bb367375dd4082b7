"""Envelope verification rate against raw secp256k1 recovery, measured in the same run.

``verify_envelope`` decodes the ``blocks/v3`` envelope (SSZ payload), hashes
the payload, builds the signing hash and recovers the signer. The reference
is the floor any verifier pays: coincurve's public-key recovery plus the
keccak that turns it into an address. Goal: at least 0.7 of the reference.
Also printed for context: the py-ssz reference decoder against the fast one.

Run: ``python benchmarks/bench_envelope.py``
"""

import os
import random

from coincurve import PrivateKey as CoincurvePrivateKey
from coincurve import PublicKey

from _timing import measure_rate, print_ratio
from interlace.primitives.envelope import (
    ExecutionPayload,
    decode_payload,
    decode_payload_reference,
    seal_payload,
    sign_envelope,
    verify_envelope,
)
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.types import U64, U256, Address, Bytes256, Hash32

CHAIN_ID = 901
TRANSACTIONS = 20
TX_BYTES = 110
BATCH = 200


def realistic_envelope(rng: random.Random) -> bytes:
    """An envelope with 20 transactions of ~110 bytes, like a quiet rollup block."""
    pbbr = Hash32(rng.randbytes(32))
    payload = ExecutionPayload(
        parent_hash=Hash32(rng.randbytes(32)),
        fee_recipient=Address(bytes.fromhex("4200000000000000000000000000000000000011")),
        state_root=Hash32(rng.randbytes(32)),
        receipts_root=Hash32(rng.randbytes(32)),
        logs_bloom=Bytes256(rng.randbytes(256)),
        prev_randao=Hash32(rng.randbytes(32)),
        block_number=U64(1_234_567),
        gas_limit=U64(30_000_000),
        gas_used=U64(TRANSACTIONS * 21_000),
        timestamp=U64(1_700_000_000),
        extra_data=b"",
        base_fee_per_gas=U256(1_000_000_007),
        block_hash=Hash32(b"\x00" * 32),
        transactions=tuple(
            b"\x02" + rng.randbytes(TX_BYTES + rng.randint(-10, 10)) for _ in range(TRANSACTIONS)
        ),
        withdrawals=(),
        blob_gas_used=U64(0),
        excess_blob_gas=U64(0),
    )
    key = private_key_from_seed(b"bench sequencer")
    return sign_envelope(seal_payload(payload, pbbr), pbbr, CHAIN_ID, key)


def main() -> None:
    rng = random.Random(7)
    envelopes = [realistic_envelope(rng) for _ in range(8)]
    expected = verify_envelope(envelopes[0], CHAIN_ID).signer

    # Reference inputs: signatures by the same key over random 32-byte hashes.
    signer = CoincurvePrivateKey(private_key_from_seed(b"bench sequencer").secret)
    digests = [os.urandom(32) for _ in envelopes]
    refs = [(signer.sign_recoverable(d, hasher=None), d) for d in digests]

    def ours() -> int:
        for i in range(BATCH):
            if verify_envelope(envelopes[i & 7], CHAIN_ID).signer != expected:
                raise AssertionError("wrong signer")
        return BATCH

    def raw_recovery() -> int:
        for i in range(BATCH):
            sig, digest = refs[i & 7]
            pub = PublicKey.from_signature_and_message(sig, digest, hasher=None)
            keccak256(pub.format(compressed=False)[1:])[12:]
        return BATCH

    def fast_decode() -> int:
        for i in range(BATCH):
            decode_payload(envelopes[i & 7][97:])
        return BATCH

    def pyssz_decode() -> int:
        for i in range(20):
            decode_payload_reference(envelopes[i & 7][97:])
        return 20

    # Interleave so machine noise hits both sides alike.
    reference = measure_rate(raw_recovery)
    rate = measure_rate(ours)
    reference = max(reference, measure_rate(raw_recovery))
    print(f"envelope: {TRANSACTIONS} txs x ~{TX_BYTES} B, {len(envelopes[0])} bytes")
    print_ratio("verify_envelope", rate, reference, "coincurve recover+keccak", ">= 0.70")
    print_ratio(
        "payload SSZ decode", measure_rate(fast_decode), measure_rate(pyssz_decode), "py-ssz", "n/a"
    )


if __name__ == "__main__":
    main()
