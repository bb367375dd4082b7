"""keccak256, the hash of every Ethereum and OP Stack commitment.

Backed by pycryptodome through its C keccak, the backend eth-hash uses; we
call it directly to skip eth-hash's dispatch on the hottest path in the
project (trie nodes, addresses, signing hashes).
"""

from Crypto.Hash import keccak as _keccak

from interlace.primitives.types import Hash32

_new = _keccak.new

EMPTY_KECCAK = Hash32(
    bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
)


def keccak256(data: bytes) -> Hash32:
    """Return keccak256(data) (Ethereum's pre-NIST Keccak, not SHA3-256)."""
    return Hash32(_new(digest_bits=256, data=data).digest())
