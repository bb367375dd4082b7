"""keccak256, the hash of every Ethereum and OP Stack commitment.

Backed by safe-pysha3 (the C Keccak that eth-hash's ``pysha3`` backend
uses): it costs about 0.7 µs per short input where pycryptodome's wrapper
costs 3.3 µs, and hashing sits on every hot path here (trie nodes,
addresses, signing hashes), which the envelope and transaction benchmarks
measure. pycryptodome, eth-hash's other backend, stays as the reference in
the tests and as the fallback if the C module is missing.
"""

from typing import Any

from interlace.primitives.types import Hash32

try:
    from sha3 import keccak_256 as _keccak_new
except ImportError:  # pragma: no cover - exercised only without safe-pysha3
    from Crypto.Hash import keccak as _keccak

    def _keccak_new(data: bytes) -> Any:
        return _keccak.new(digest_bits=256, data=data)


EMPTY_KECCAK = Hash32(
    bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
)


def keccak256(data: bytes) -> Hash32:
    """Return keccak256(data) (Ethereum's pre-NIST Keccak, not SHA3-256)."""
    # One call into C and no wrappers: this runs for every trie node and address.
    return _keccak_new(data).digest()  # type: ignore[no-any-return]
