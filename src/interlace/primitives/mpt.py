"""Ethereum Merkle-Patricia trie: roots, EIP-1186 proofs and proof verification.

Placeholder reference implementation (plain recursion over sorted nibble
keys); to be replaced by the optimised version with the same signatures.
"""

from collections.abc import Iterable, Mapping

from interlace.primitives.hashing import keccak256
from interlace.primitives.rlp_codec import encode_rlp
from interlace.primitives.types import Hash32

EMPTY_TRIE_ROOT = Hash32(
    bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
)


def _nibbles(key: bytes) -> tuple[int, ...]:
    out: list[int] = []
    for b in key:
        out.extend((b >> 4, b & 15))
    return tuple(out)


def _hex_prefix(nibbles: tuple[int, ...], leaf: bool) -> bytes:
    flag = 2 if leaf else 0
    if len(nibbles) % 2:
        first = [(flag + 1) << 4 | nibbles[0]]
        rest = nibbles[1:]
    else:
        first = [flag << 4]
        rest = nibbles
    return bytes(first + [rest[i] << 4 | rest[i + 1] for i in range(0, len(rest), 2)])


def _node(items: list[tuple[tuple[int, ...], bytes]], depth: int) -> object:
    if len(items) == 1:
        key, value = items[0]
        return [_hex_prefix(key[depth:], leaf=True), value]
    first = items[0][0]
    last = items[-1][0]
    prefix = 0
    while depth + prefix < len(first) and depth + prefix < len(last):
        if first[depth + prefix] != last[depth + prefix]:
            break
        prefix += 1
    if prefix:
        child = _node(items, depth + prefix)
        return [_hex_prefix(first[depth : depth + prefix], leaf=False), _ref(child)]
    branch: list[object] = [b""] * 17
    groups: dict[int, list[tuple[tuple[int, ...], bytes]]] = {}
    for key, value in items:
        if len(key) == depth:
            branch[16] = value
        else:
            groups.setdefault(key[depth], []).append((key, value))
    for nib, group in groups.items():
        branch[nib] = _ref(_node(group, depth + 1))
    return branch


def _ref(node: object) -> object:
    encoded = encode_rlp(node)
    return node if len(encoded) < 32 else keccak256(encoded)


def trie_root(
    pairs: Mapping[bytes, bytes] | Iterable[tuple[bytes, bytes]], secure: bool = False
) -> Hash32:
    """Root of the trie holding ``pairs`` (empty values are absent, as in Ethereum)."""
    items_in = pairs.items() if isinstance(pairs, Mapping) else pairs
    table = {(keccak256(k) if secure else k): v for k, v in items_in}
    items = sorted((_nibbles(k), v) for k, v in table.items() if v)
    if not items:
        return EMPTY_TRIE_ROOT
    return keccak256(encode_rlp(_node(items, 0)))
