"""What a rollup block declares about itself, read from its raw transactions alone.

The hub, the batcher, the verifiers, the prover and the event-proof verifier
all learn three things from a block without executing it (DESIGN.md §3), and
this module is their one reader:

- **its L1Origin**: transaction 0 is the L1-attributes deposit, a 0x7E
  deposit from the L1-attributes depositor to ``L1Block`` calling
  ``setL1BlockValues`` with exactly its eight static words, whose source hash
  is the L1-info hash (domain 1) of the origin hash and the sequence number;
- **its dependencies**: transaction 1, when it is a deposit to the messenger
  calling ``declareDependencies``; a block without one declares none;
- **its batch entry**: the user transactions (every non-deposit after
  transaction 0) and the signed hub blocks it forwards (each deposit that
  decodes to a hub-client ``updateHub`` call); other deposits are L1's to
  vouch for, and execution checks them.

``read_declaration`` reads all three; ``read_origin``, ``read_dependencies``
and ``read_batch_content`` read one each, for callers that stop early (the
hub waits on an origin before it reads the rest). A declaration that breaks
these rules raises ``InvalidDeclaration`` naming the transaction and the
check, or ``MalformedDeclaration`` when the transaction does not decode.

Fast paths, kept apart and tested against the readable rules: the origin is
read in place from the deposit's bytes (no RLP walk, no transaction object,
no transaction hash) when they are laid out exactly as derivation writes
them, else the full decoder gives the verdict and the message; a deposit that does not contain
the ``updateHub`` selector is not decoded at all.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from interlace.primitives.abi import MalformedCalldata
from interlace.primitives.errors import InputError, InterlaceError, MalformedInput
from interlace.primitives.hashing import keccak256
from interlace.primitives.tx import (
    DEPOSIT_TX_TYPE,
    L1_INFO_DEPOSIT_SOURCE_DOMAIN,
    DepositTransaction,
    decode_transaction,
    l1_info_deposit_source_hash,
)
from interlace.primitives.types import U64, U256, ZERO_HASH, Hash32
from interlace.protocol.interop.predeploys import (
    HUB_CLIENT_ABI,
    HUB_CLIENT_ADDRESS,
    MESSENGER_ABI,
    MESSENGER_ADDRESS,
    Dependency,
)
from interlace.protocol.rollup.derivation import BatchBlock, L1Origin, attributes_deposit
from interlace.protocol.rollup.predeploys import (
    L1_ATTRIBUTES_DEPOSITOR,
    L1_BLOCK_ABI,
    L1_BLOCK_ADDRESS,
)

__all__ = [
    "BlockDeclaration",
    "DeclaredOrigin",
    "InvalidDeclaration",
    "MalformedDeclaration",
    "read_batch_content",
    "read_declaration",
    "read_dependencies",
    "read_origin",
]


class InvalidDeclaration(InputError):
    """A block's transactions do not declare what every rollup block must (the message
    names the transaction and the check that failed)."""


class MalformedDeclaration(InvalidDeclaration, MalformedInput):
    """A transaction the declaration lives in does not decode."""


@dataclass(frozen=True, slots=True)
class DeclaredOrigin:
    """What a block's L1-attributes deposit says."""

    origin: L1Origin
    """The L1 block the rollup block is anchored to."""
    sequence_number: U64
    """The block's position among the blocks on that origin (0 for the first)."""


@dataclass(frozen=True, slots=True)
class BlockDeclaration:
    """Everything a rollup block declares without being executed."""

    origin: DeclaredOrigin
    """Its L1Origin (transaction 0)."""
    dependencies: tuple[Dependency, ...]
    """The cross-chain blocks its relays use (transaction 1, when it declares any)."""
    user_transactions: tuple[bytes, ...]
    """The user transactions, in order, the way its batch entry carries them."""
    hub_updates: tuple[bytes, ...]
    """The signed hub blocks it forwards to its hub client, in order."""

    def batch_entry(self, number: int, timestamp: int) -> BatchBlock:
        """The batch entry of the block at ``number`` with ``timestamp``."""
        return BatchBlock(
            U64(number),
            U64(timestamp),
            self.origin.origin.number,
            self.origin.origin.hash,
            self.user_transactions,
            self.hub_updates,
        )


def read_declaration(transactions: Sequence[bytes]) -> BlockDeclaration:
    """Read what a block declares from its raw transactions (network encoding)."""
    users, hubs = read_batch_content(transactions)
    return BlockDeclaration(read_origin(transactions), read_dependencies(transactions), users, hubs)


# --- the L1Origin -------------------------------------------------------------------

_SET_L1_VALUES: Final = L1_BLOCK_ABI.function("setL1BlockValues").selector
_ATTRIBUTES_DATA_LENGTH: Final = 4 + 8 * 32
_DEPOSIT_PREFIX: Final = bytes((DEPOSIT_TX_TYPE,))


# Every deposit ``attributes_deposit`` writes has one layout: only the source hash and
# the calldata words vary, both of fixed size, so the bytes around them are the same for
# every origin: 0x7E ‖ list prefix ‖ 0xA0, the source hash, then the depositor, L1Block,
# mint 0, value 0, the attributes gas, isSystemTx false, the 260-byte string prefix and
# the selector, then the words.
_TEMPLATE: Final = attributes_deposit(L1Origin(U64(0), ZERO_HASH, U64(0), U256(0)), 0)
_SOURCE: Final = _TEMPLATE.raw.index(_TEMPLATE.source_hash)
"""Offset of the source hash in the deposit's bytes."""
_MIDDLE: Final = _SOURCE + 32
_WORDS: Final = len(_TEMPLATE.raw) - _ATTRIBUTES_DATA_LENGTH + 4
"""Offset of the first calldata word (after the selector)."""
_LAYOUT_LENGTH: Final = len(_TEMPLATE.raw)
_LAYOUT_HEAD: Final = _TEMPLATE.raw[:_SOURCE]
_LAYOUT_MIDDLE: Final = _TEMPLATE.raw[_MIDDLE:_WORDS]
_UINT64_PADDING: Final = bytes(24)
_L1_INFO_DOMAIN_WORD: Final = L1_INFO_DEPOSIT_SOURCE_DOMAIN.to_bytes(32, "big")


def read_origin(transactions: Sequence[bytes]) -> DeclaredOrigin:
    """The L1Origin transaction 0 declares; ``InvalidDeclaration`` if it is not the
    L1-attributes deposit."""
    if not transactions:
        raise InvalidDeclaration("block has no transaction 0 (no L1-attributes deposit)")
    fast = _read_origin_in_place(transactions[0])
    return fast if fast is not None else _read_origin_decoded(transactions[0])


def _read_origin_decoded(raw: bytes) -> DeclaredOrigin:
    """The readable rule: decode the deposit, then check each field in turn."""
    if raw[:1] != _DEPOSIT_PREFIX:
        raise InvalidDeclaration("transaction 0 is not a deposit (no L1-attributes deposit)")
    try:
        tx = decode_transaction(raw)
    except InterlaceError as exc:
        raise MalformedDeclaration(f"transaction 0: {exc}") from exc
    assert isinstance(tx, DepositTransaction)
    if tx.sender != L1_ATTRIBUTES_DEPOSITOR or tx.to != L1_BLOCK_ADDRESS:
        raise InvalidDeclaration("transaction 0 is not from the L1-attributes depositor to L1Block")
    try:
        function, args = L1_BLOCK_ABI.decode_call(tx.data)
    except MalformedCalldata as exc:
        raise InvalidDeclaration(f"transaction 0 is not an L1Block call: {exc}") from exc
    if function != "setL1BlockValues":
        raise InvalidDeclaration(f"transaction 0 calls L1Block.{function}, not setL1BlockValues")
    if len(tx.data) != _ATTRIBUTES_DATA_LENGTH:
        raise InvalidDeclaration(
            f"transaction 0's setL1BlockValues call is {len(tx.data)} bytes, "
            f"not {_ATTRIBUTES_DATA_LENGTH}"
        )
    number, timestamp, base_fee, block_hash, sequence = args[:5]
    assert isinstance(number, int) and isinstance(timestamp, int)
    assert isinstance(base_fee, int) and isinstance(block_hash, bytes)
    assert isinstance(sequence, int)
    if tx.source_hash != l1_info_deposit_source_hash(Hash32(block_hash), sequence):
        raise InvalidDeclaration(
            "transaction 0's source hash is not the L1-info hash of its origin"
        )
    return DeclaredOrigin(
        L1Origin(U64(number), Hash32(block_hash), U64(timestamp), U256(base_fee)),
        U64(sequence),
    )


def _read_origin_in_place(raw: bytes) -> DeclaredOrigin | None:
    """The hot path: read the words straight from the deposit's bytes.

    Answers only a deposit laid out byte for byte as derivation writes it
    (``_TEMPLATE``: no RLP to walk, no transaction object or hash) whose
    words are in range and whose source hash is right; returns None for anything
    else, and ``_read_origin_decoded`` gives the verdict.
    """
    if (
        len(raw) != _LAYOUT_LENGTH
        or raw[_MIDDLE:_WORDS] != _LAYOUT_MIDDLE
        or raw[:_SOURCE] != _LAYOUT_HEAD
    ):
        return None
    # The words: number, timestamp, basefee, hash, sequenceNumber, …; the uint64s are
    # padded to 32 bytes.
    words = _WORDS
    if (
        raw[words : words + 24] != _UINT64_PADDING
        or raw[words + 32 : words + 56] != _UINT64_PADDING
        or raw[words + 128 : words + 152] != _UINT64_PADDING
    ):
        return None
    # OP's L1-info source hash: keccak(bytes32(1) ‖ keccak(l1BlockHash ‖ uint256(seq))),
    # whose inner preimage is words 3 and 4 as they stand.
    source_hash = raw[_SOURCE:_MIDDLE]
    if source_hash != keccak256(_L1_INFO_DOMAIN_WORD + keccak256(raw[words + 96 : words + 160])):
        return None
    return DeclaredOrigin(
        L1Origin(
            U64(int.from_bytes(raw[words + 24 : words + 32], "big")),
            Hash32(raw[words + 96 : words + 128]),
            U64(int.from_bytes(raw[words + 56 : words + 64], "big")),
            U256(int.from_bytes(raw[words + 64 : words + 96], "big")),
        ),
        U64(int.from_bytes(raw[words + 152 : words + 160], "big")),
    )


# --- the dependencies ---------------------------------------------------------------

_DECLARE_DEPENDENCIES: Final = MESSENGER_ABI.function("declareDependencies").selector


def read_dependencies(transactions: Sequence[bytes]) -> tuple[Dependency, ...]:
    """The dependencies transaction 1 declares (() when it is no declaration);
    ``MalformedDeclaration`` when transaction 1 is a deposit that does not decode, or
    a declaration whose list does not."""
    if len(transactions) < 2 or transactions[1][:1] != _DEPOSIT_PREFIX:
        return ()
    try:
        tx = decode_transaction(transactions[1])
    except InterlaceError as exc:
        raise MalformedDeclaration(f"transaction 1: {exc}") from exc
    if tx.to != MESSENGER_ADDRESS or tx.data[:4] != _DECLARE_DEPENDENCIES:
        return ()
    try:
        _name, args = MESSENGER_ABI.decode_call(tx.data)
    except MalformedCalldata as exc:
        raise MalformedDeclaration(f"transaction 1's dependency list: {exc}") from exc
    (deps,) = args
    assert isinstance(deps, tuple | list)
    return tuple(Dependency(c, n, Hash32(h)) for c, n, h in deps)


# --- the batch entry ----------------------------------------------------------------

_UPDATE_HUB: Final = HUB_CLIENT_ABI.function("updateHub").selector


def read_batch_content(
    transactions: Sequence[bytes],
) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """(user transactions, forwarded hub blocks), the way a batch entry carries them."""
    users: list[bytes] = []
    hubs: list[bytes] = []
    for raw in transactions[1:]:  # transaction 0 is the L1-attributes deposit
        if raw[:1] != _DEPOSIT_PREFIX:
            users.append(raw)
            continue
        if _UPDATE_HUB not in raw:
            continue  # its calldata cannot call updateHub: no need to decode it
        signed = _hub_update(raw)
        if signed is not None:
            hubs.append(signed)
    return tuple(users), tuple(hubs)


def _hub_update(raw: bytes) -> bytes | None:
    """The signed hub block a deposit forwards, or None if it is no hub-client update."""
    try:
        deposit = decode_transaction(raw)
    except InterlaceError:
        return None
    if deposit.to != HUB_CLIENT_ADDRESS or deposit.data[:4] != _UPDATE_HUB:
        return None
    try:
        _fn, args = HUB_CLIENT_ABI.decode_call(deposit.data)
    except MalformedCalldata:
        return None
    assert isinstance(args[0], bytes)
    return args[0]
