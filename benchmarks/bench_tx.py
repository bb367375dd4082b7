"""Transaction decoding with sender recovery, against the signature-recovery limit.

Workload: EIP-1559 transfers signed by eth-account, pre-generated. Ours is
``decode_transaction`` (RLP decode, field checks, signing hash, recovery,
transaction hash). The limit is raw coincurve ``from_signature_and_message``
plus the keccak that turns the key into an address, on the same signing
hashes and signatures: no decoding and no hashing of the transaction at all.
eth-account's ``Account.recover_transaction`` is a second reference.

Run: ``python benchmarks/bench_tx.py``
"""

import random

from coincurve import PublicKey
from eth_account import Account
from eth_utils.address import to_checksum_address

from _timing import measure_rate, print_ratio
from interlace.primitives.hashing import keccak256
from interlace.primitives.tx import DynamicFeeTransaction, decode_transaction, signing_hash

TRANSACTIONS = 500
KEYS = 20


def make_transfers(count: int, seed: int = 1) -> list[bytes]:
    """``count`` raw EIP-1559 ETH transfers from ``KEYS`` accounts, signed by eth-account."""
    rng = random.Random(seed)
    keys = [rng.randbytes(32) for _ in range(KEYS)]
    raws = []
    for nonce in range(count):
        tx = {
            "type": 2,
            "chainId": 901,
            "nonce": nonce,
            "maxPriorityFeePerGas": 10**9,
            "maxFeePerGas": 30 * 10**9,
            "gas": 21_000,
            "to": to_checksum_address(rng.randbytes(20)),
            "value": rng.randrange(10**18),
            "data": b"",
            "accessList": [],
        }
        raws.append(bytes(Account.sign_transaction(tx, keys[nonce % KEYS]).raw_transaction))
    return raws


def main() -> None:
    raws = make_transfers(TRANSACTIONS)
    decoded = [decode_transaction(raw) for raw in raws]
    recoveries = []
    for tx in decoded:
        assert isinstance(tx, DynamicFeeTransaction)
        signature = tx.r.to_bytes(32, "big") + tx.s.to_bytes(32, "big") + bytes((tx.y_parity,))
        recoveries.append((signature, signing_hash(tx)))

    def ours() -> int:
        for raw in raws:
            decode_transaction(raw, 901)
        return len(raws)

    def limit() -> int:
        for signature, message_hash in recoveries:
            public_key = PublicKey.from_signature_and_message(signature, message_hash, hasher=None)
            keccak256(public_key.format(compressed=False)[1:])[12:]
        return len(recoveries)

    def eth_account() -> int:
        for raw in raws[:100]:
            Account.recover_transaction(raw)
        return 100

    ours_rate = measure_rate(ours)
    limit_rate = measure_rate(limit)
    eth_account_rate = measure_rate(eth_account)
    print_ratio(
        "decode+recover 1559 transfers",
        ours_rate,
        limit_rate,
        "coincurve recover+address limit",
        ">= 0.6 of the limit",
    )
    print_ratio(
        "decode+recover 1559 transfers",
        ours_rate,
        eth_account_rate,
        "eth-account recover_transaction",
        "> 1",
    )


if __name__ == "__main__":
    main()
