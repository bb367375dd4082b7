"""Hub aggregates and their settlement on L1: aggregated finalization (AggLayer step 3).

This module owns the aggregate format (``Aggregate``, its canonical RLP and
the hub's domain-2 signature), the pure settlement rules
(``check_aggregate``: which blocks of an aggregate settle and which are left
out, and why) and the L1 native module ``HubSettlement`` that applies them
to L1 state. The module records *settlement*: which rollup blocks the hub
settled, in which L1 block. A settled block is *finalized* (DESIGN.md §4)
once the L1 block holding its aggregate is finalized; the hub reads that
from L1 finality, nothing here tracks it. Layouts are in docs/settlement.md:

- aggregate: ``RLP[hubNumber, hubStateRoot, [block, ...]]``, each block
  ``RLP[chainId, number, blockHash, parentHash, [dependency, ...],
  confirmation]`` and each dependency ``RLP[chainId, number, blockHash]``;
  blocks are grouped per chain, chains in ascending id order, each group a
  run of consecutive numbers;
- signature: 65-byte r‖s‖v over ``keccak256(bytes32(2) ‖
  keccak256(aggregateRLP))`` (domain 2; hub headers use domain 1);
- storage of ``HubSettlement`` (0x…10a6), Solidity layout: slot 0 hub
  address, slot 1 aggregate count, slot 2 latest hub number, mapping slot 3
  ``heads[chainId]`` = {uint64 number, bytes32 blockHash}, mapping slot 4
  ``blockHashes[chainId][number]``, mapping slot 5
  ``hubStateRoots[hubNumber]``.
"""

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final, Protocol

from interlace.primitives.abi import AbiModule
from interlace.primitives.errors import InterlaceError, InvalidSignature, MalformedInput
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey, recover_address, sign_hash
from interlace.primitives.rlp_codec import (
    RLPItem,
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_bytes,
    read_hash32,
    read_list,
    read_u64,
)
from interlace.primitives.types import (
    U64,
    U64_MAX,
    U256,
    ZERO_ADDRESS,
    ZERO_HASH,
    Address,
    Hash32,
    address_from_hex,
)
from interlace.protocol.chain.modules import (
    CallContext,
    NativeModule,
    install_module,
    mapping_slot,
    revert,
    word_slot,
)
from interlace.protocol.chain.state import WorldState
from interlace.protocol.interop.messenger import Dependency

SETTLEMENT_ADDRESS: Final = address_from_hex("0x00000000000000000000000000000000000010a6")
AGGREGATE_SIGNING_DOMAIN: Final = (2).to_bytes(32, "big")

# HubSettlement storage layout (Solidity order).
_HUB: Final = 0
_AGGREGATES: Final = 1
_LATEST_HUB: Final = 2
_HEADS: Final = 3
_BLOCK_HASHES: Final = 4
_HUB_ROOTS: Final = 5


# --- errors ----------------------------------------------------------------------------------


class MalformedAggregate(MalformedInput):
    """Aggregate bytes that are not canonical RLP of a well-shaped aggregate."""


class AggregateRefused(InterlaceError):
    """A well-formed aggregate refused as a whole; nothing of it settles."""


class WrongAggregateSigner(AggregateRefused):
    """The signature does not recover, or recovers a key other than the hub's."""


class AlreadySettled(AggregateRefused):
    """The aggregate repeats (or contradicts) a block at or below a chain's settled head."""


class StaleAggregate(AggregateRefused):
    """The aggregate's hub number is not above the last settled aggregate's."""


# --- data --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AggregateBlock:
    """One rollup block the hub asks L1 to settle."""

    chain_id: U64
    """The rollup's chain id (1 ≤ id < 2^64)."""
    number: U64
    """Block number (≥ 1: block 0 is the genesis registered with ``configure``)."""
    block_hash: Hash32
    """The block's hash."""
    parent_hash: Hash32
    """Its parent's hash: the chain's settled head, or the previous block in the aggregate."""
    dependencies: tuple[Dependency, ...]
    """Cross-chain dependencies the block committed to in its signed payload."""
    confirmation: bytes
    """Opaque reference to what confirmed the block: a verified proof or a finished game."""


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A hub aggregate: confirmed rollup blocks, grouped per chain, under one hub block.

    Construction checks the shape (ranges, ordering, field widths) and raises
    ``ValueError`` on local misuse; ``decode_aggregate`` turns the same
    failures on outside bytes into ``MalformedAggregate``.
    """

    hub_number: U64
    """The hub block whose state this aggregate settles."""
    hub_state_root: Hash32
    """That hub block's state root (stored on L1 by hub number)."""
    blocks: tuple[AggregateBlock, ...]
    """Per chain (ascending chain id) one run of consecutive block numbers."""

    def __post_init__(self) -> None:
        _check_u64(self.hub_number, "hub number")
        _check_hash(self.hub_state_root, "hub state root")
        previous: AggregateBlock | None = None
        for block in self.blocks:
            _check_block(block)
            if previous is not None:
                if block.chain_id == previous.chain_id:
                    if block.number != previous.number + 1:
                        raise ValueError(
                            f"chain {block.chain_id}: block {block.number} does not follow"
                            f" {previous.number} (a chain's blocks are one consecutive run)"
                        )
                elif block.chain_id < previous.chain_id:
                    raise ValueError(
                        f"chain {block.chain_id} after chain {previous.chain_id}"
                        " (chains are grouped in ascending id order, each once)"
                    )
            previous = block


def _check_u64(value: int, what: str) -> None:
    if type(value) is not int or not 0 <= value <= U64_MAX:
        raise ValueError(f"{what} is not a uint64: {value!r}")


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != 32:
        raise ValueError(f"{what} is not 32 bytes")


def _check_block(block: AggregateBlock) -> None:
    _check_u64(block.chain_id, "chain id")
    _check_u64(block.number, "block number")
    if block.chain_id == 0:
        raise ValueError("chain id 0 is not a chain")
    if block.number == 0:
        raise ValueError(f"chain {block.chain_id}: block 0 is the genesis and is never aggregated")
    _check_hash(block.block_hash, "block hash")
    _check_hash(block.parent_hash, "parent hash")
    if not isinstance(block.confirmation, bytes):
        raise ValueError("confirmation must be bytes")
    for dep in block.dependencies:
        _check_u64(dep.chain_id, "dependency chain id")
        _check_u64(dep.number, "dependency number")
        _check_hash(dep.block_hash, "dependency hash")


def block_ref(block: AggregateBlock) -> Dependency:
    """The (chainId, number, blockHash) naming ``block``, as a dependency would."""
    return Dependency(block.chain_id, block.number, block.block_hash)


# --- encoding and signing ------------------------------------------------------------------------


def encode_aggregate(aggregate: Aggregate) -> bytes:
    """The canonical RLP of ``aggregate`` (layout: module docstring, docs/settlement.md)."""
    return encode_rlp(
        [
            encode_uint(aggregate.hub_number),
            aggregate.hub_state_root,
            [
                [
                    encode_uint(block.chain_id),
                    encode_uint(block.number),
                    block.block_hash,
                    block.parent_hash,
                    [
                        [encode_uint(dep.chain_id), encode_uint(dep.number), dep.block_hash]
                        for dep in block.dependencies
                    ],
                    block.confirmation,
                ]
                for block in aggregate.blocks
            ],
        ]
    )


def decode_aggregate(raw: bytes) -> Aggregate:
    """Inverse of ``encode_aggregate``; raises only ``MalformedAggregate``.

    Only canonical encodings decode, so ``encode_aggregate(decode_aggregate(raw)) == raw``.
    """
    try:
        hub_number, hub_root, blocks = read_list(decode_rlp(raw), 3, "aggregate")
        return Aggregate(
            read_u64(hub_number, "hub number"),
            read_hash32(hub_root, "hub state root"),
            tuple(_decode_block(item) for item in read_list(blocks, None, "aggregate blocks")),
        )
    except (MalformedInput, ValueError) as exc:
        raise MalformedAggregate(f"bad aggregate: {exc}") from exc


def _decode_block(item: RLPItem) -> AggregateBlock:
    chain_id, number, block_hash, parent_hash, deps, confirmation = read_list(
        item, 6, "aggregate block"
    )
    return AggregateBlock(
        read_u64(chain_id, "chain id"),
        read_u64(number, "block number"),
        read_hash32(block_hash, "block hash"),
        read_hash32(parent_hash, "parent hash"),
        tuple(_decode_dependency(dep) for dep in read_list(deps, None, "dependencies")),
        read_bytes(confirmation, "confirmation"),
    )


def _decode_dependency(item: RLPItem) -> Dependency:
    chain_id, number, block_hash = read_list(item, 3, "dependency")
    return Dependency(
        read_u64(chain_id, "dependency chain id"),
        read_u64(number, "dependency number"),
        read_hash32(block_hash, "dependency hash"),
    )


def aggregate_hash(aggregate: Aggregate) -> Hash32:
    """keccak256 of the aggregate's canonical RLP."""
    return keccak256(encode_aggregate(aggregate))


def aggregate_signing_hash(aggregate: Aggregate) -> Hash32:
    """What the hub key signs: keccak256(bytes32(2) ‖ keccak256(aggregateRLP))."""
    return keccak256(AGGREGATE_SIGNING_DOMAIN + aggregate_hash(aggregate))


def sign_aggregate(aggregate: Aggregate, key: PrivateKey) -> bytes:
    """The hub's 65-byte r‖s‖v signature of ``aggregate``."""
    return sign_hash(key, aggregate_signing_hash(aggregate))


def recover_aggregate_signer(aggregate: Aggregate, signature: bytes) -> Address:
    """The key that signed ``aggregate`` (raises ``InvalidSignature``)."""
    return recover_address(aggregate_signing_hash(aggregate), signature)


def verify_aggregate_signature(aggregate: Aggregate, signature: bytes, hub: Address) -> None:
    """Raise ``WrongAggregateSigner`` unless ``hub`` signed ``aggregate``."""
    if hub == ZERO_ADDRESS:
        raise WrongAggregateSigner("no hub key is configured")
    try:
        signer = recover_aggregate_signer(aggregate, signature)
    except InvalidSignature as exc:
        raise WrongAggregateSigner(f"signature does not recover: {exc}") from exc
    if signer != hub:
        raise WrongAggregateSigner(f"signed by 0x{signer.hex()}, the hub is 0x{hub.hex()}")


# --- rules -------------------------------------------------------------------------------------


class SettledView(Protocol):
    """What the rules read of what is already settled."""

    def settled_head(self, chain_id: int) -> tuple[U64, Hash32] | None:
        """The chain's last settled block (its genesis at first), or None for an unknown chain."""
        ...

    def settled_hash(self, chain_id: int, number: int) -> Hash32 | None:
        """The hash of settled block ``number`` of the chain, or None if not settled."""
        ...


ConfirmationRule = Callable[[AggregateBlock], bool]
"""Whether a block's ``confirmation`` shows it confirmed; an unconfirmed block is left out."""


class ExclusionReason(IntEnum):
    """Why a block of an aggregate was left out (the ``reason`` of ``BlockExcluded``)."""

    UNKNOWN_CHAIN = 1
    """The chain has no registered genesis."""
    GAP = 2
    """The chain's first block in the aggregate is not its settled head + 1."""
    PARENT_MISMATCH = 3
    """The parent hash is not the settled head's (or the previous block's) hash."""
    NOT_CONFIRMED = 4
    """The confirmation rule does not accept the block's confirmation reference."""
    DEPENDENCY_NOT_SETTLED = 5
    """A dependency is neither settled nor in the aggregate."""
    DEPENDENCY_HASH_MISMATCH = 6
    """A dependency names a hash other than the settled (or aggregated) block's."""
    PARENT_EXCLUDED = 7
    """An earlier block of the same chain was left out."""
    DEPENDENCY_EXCLUDED = 8
    """A dependency is a block of this aggregate that was left out."""


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A block left out of settlement, and why."""

    block: AggregateBlock
    """The block."""
    reason: ExclusionReason
    """The first rule it broke."""
    cause: Dependency | None
    """The dependency or parent at fault (None when the fault is the block's own)."""


@dataclass(frozen=True, slots=True)
class AggregateOutcome:
    """What settling an aggregate does: every block is either settled or excluded."""

    settled: tuple[AggregateBlock, ...]
    """Blocks that settle, in aggregate order."""
    excluded: tuple[Exclusion, ...]
    """Blocks left out, in aggregate order."""

    def new_heads(self) -> dict[int, tuple[U64, Hash32]]:
        """Per chain with a settled block: its new settled head (number, hash)."""
        return {b.chain_id: (b.number, b.block_hash) for b in self.settled}


def accept_all(_block: AggregateBlock) -> bool:
    """The default confirmation rule: every block counts as confirmed (the hub vouches)."""
    return True


def check_aggregate(
    view: SettledView, aggregate: Aggregate, is_confirmed: ConfirmationRule = accept_all
) -> AggregateOutcome:
    """Decide which blocks of ``aggregate`` settle on top of ``view``; pure.

    Raises ``AlreadySettled`` if any chain's run starts at or below its
    settled head. Otherwise a block settles unless it breaks a rule itself
    (``UNKNOWN_CHAIN``, ``GAP``, ``PARENT_MISMATCH``, ``NOT_CONFIRMED``, a
    dependency neither settled nor in the aggregate, or with another hash),
    or an earlier block of its chain or a dependency in the aggregate is left
    out, transitively across chains. Mutual dependencies inside one aggregate
    settle together. The settled set is the largest one closed under these
    rules, so nothing settles that depends on anything that does not.
    """
    blocks = aggregate.blocks
    by_key: dict[tuple[int, int], AggregateBlock] = {(b.chain_id, b.number): b for b in blocks}
    heads: dict[int, tuple[U64, Hash32] | None] = {}

    def head_of(chain_id: int) -> tuple[U64, Hash32] | None:
        if chain_id not in heads:
            heads[chain_id] = view.settled_head(chain_id)
        return heads[chain_id]

    for index, block in enumerate(blocks):
        if index and blocks[index - 1].chain_id == block.chain_id:
            continue
        head = head_of(block.chain_id)
        if head is not None and block.number <= head[0]:
            held = view.settled_hash(block.chain_id, block.number)
            what = "repeats" if held == block.block_hash else "contradicts"
            raise AlreadySettled(
                f"chain {block.chain_id} block {block.number} {what} a settled block"
                f" (settled head {head[0]})"
            )

    excluded: dict[tuple[int, int], Exclusion] = {}
    for index, block in enumerate(blocks):
        previous = blocks[index - 1] if index else None
        fault = _own_fault(
            view, head_of, by_key, previous=previous, block=block, is_confirmed=is_confirmed
        )
        if fault is not None:
            excluded[(block.chain_id, block.number)] = Exclusion(block, *fault)

    # Blocks of the aggregate that fall with each block: its child, then its dependents.
    fallout: dict[tuple[int, int], list[tuple[tuple[int, int], ExclusionReason]]] = {}
    for block in blocks:
        key: tuple[int, int] = (block.chain_id, block.number)
        if (block.chain_id, block.number - 1) in by_key:
            fallout.setdefault((block.chain_id, block.number - 1), []).append(
                (key, ExclusionReason.PARENT_EXCLUDED)
            )
        for dep in block.dependencies:
            if (dep.chain_id, dep.number) in by_key:
                fallout.setdefault((dep.chain_id, dep.number), []).append(
                    (key, ExclusionReason.DEPENDENCY_EXCLUDED)
                )
    queue = deque(excluded)
    while queue:
        fallen = queue.popleft()
        for key, reason in fallout.get(fallen, ()):
            if key not in excluded:
                excluded[key] = Exclusion(by_key[key], reason, block_ref(by_key[fallen]))
                queue.append(key)

    return AggregateOutcome(
        settled=tuple(b for b in blocks if (b.chain_id, b.number) not in excluded),
        excluded=tuple(
            excluded[(b.chain_id, b.number)] for b in blocks if (b.chain_id, b.number) in excluded
        ),
    )


def _own_fault(
    view: SettledView,
    head_of: Callable[[int], tuple[U64, Hash32] | None],
    by_key: Mapping[tuple[int, int], AggregateBlock],
    *,
    previous: AggregateBlock | None,
    block: AggregateBlock,
    is_confirmed: ConfirmationRule,
) -> tuple[ExclusionReason, Dependency | None] | None:
    """The first rule ``block`` breaks by itself (not through another block), if any."""
    if previous is not None and previous.chain_id == block.chain_id:
        if block.parent_hash != previous.block_hash:
            return ExclusionReason.PARENT_MISMATCH, block_ref(previous)
    else:
        head = head_of(block.chain_id)
        if head is None:
            return ExclusionReason.UNKNOWN_CHAIN, None
        parent = Dependency(block.chain_id, head[0], head[1])
        if block.number != head[0] + 1:
            return ExclusionReason.GAP, parent
        if block.parent_hash != head[1]:
            return ExclusionReason.PARENT_MISMATCH, parent
    if not is_confirmed(block):
        return ExclusionReason.NOT_CONFIRMED, None
    for dep in block.dependencies:
        dep_head = head_of(dep.chain_id)
        if dep_head is not None and dep.number <= dep_head[0]:
            held = view.settled_hash(dep.chain_id, dep.number)
        elif (dep.chain_id, dep.number) in by_key:
            held = by_key[(dep.chain_id, dep.number)].block_hash
        else:
            return ExclusionReason.DEPENDENCY_NOT_SETTLED, dep
        if held is None:
            return ExclusionReason.DEPENDENCY_NOT_SETTLED, dep
        if held != dep.block_hash:
            return ExclusionReason.DEPENDENCY_HASH_MISMATCH, dep
    return None


@dataclass(slots=True)
class MemorySettledView:
    """A ``SettledView`` held in memory: what the hub predicts L1 holds."""

    heads: dict[int, tuple[U64, Hash32]] = field(default_factory=dict)
    """Per chain, the settled head (number, hash)."""
    hashes: dict[tuple[int, int], Hash32] = field(default_factory=dict)
    """Per (chain, number), the settled block's hash."""

    def register(self, chain_id: int, genesis_hash: Hash32) -> None:
        """Register a chain with its genesis (block 0) as settled head."""
        self.heads[chain_id] = (U64(0), genesis_hash)
        self.hashes[(chain_id, 0)] = genesis_hash

    def apply(self, outcome: AggregateOutcome) -> None:
        """Record ``outcome``'s settled blocks."""
        for block in outcome.settled:
            self.hashes[(block.chain_id, block.number)] = block.block_hash
        self.heads.update(outcome.new_heads())

    def settled_head(self, chain_id: int) -> tuple[U64, Hash32] | None:
        """See ``SettledView``."""
        return self.heads.get(chain_id)

    def settled_hash(self, chain_id: int, number: int) -> Hash32 | None:
        """See ``SettledView``."""
        return self.hashes.get((chain_id, number))


# --- the L1 module ------------------------------------------------------------------------------

SETTLEMENT_ABI: Final = AbiModule.declare(
    "HubSettlement",
    functions=[
        "submitAggregate(bytes aggregate, bytes signature)",
        "settledHead(uint64 chainId) view returns (uint64 number, bytes32 blockHash)",
        "isSettled(uint64 chainId, uint64 number, bytes32 blockHash) view returns (bool)",
        "hubStateRoot(uint64 hubNumber) view returns (bytes32)",
        "latestHub() view returns (uint64 hubNumber, uint256 aggregates)",
        "hub() view returns (address)",
    ],
    events=[
        (
            "AggregateSettled(uint64 indexed hubNumber, bytes32 hubStateRoot,"
            " uint256 settled, uint256 excluded)"
        ),
        "BlockSettled(uint64 indexed chainId, uint64 indexed number, bytes32 blockHash)",
        (
            "BlockExcluded(uint64 indexed chainId, uint64 indexed number, bytes32 blockHash,"
            " uint8 reason)"
        ),
    ],
)


def _head_slots(chain_id: int) -> tuple[bytes, bytes]:
    base = int.from_bytes(mapping_slot(_HEADS, chain_id), "big")
    return base.to_bytes(32, "big"), ((base + 1) % 2**256).to_bytes(32, "big")


def _hash_slot(chain_id: int, number: int) -> bytes:
    return mapping_slot(_BLOCK_HASHES, chain_id, number)


def _hash_word(value: int) -> Hash32:
    return Hash32(value.to_bytes(32, "big"))


def configure(state: WorldState, hub: Address, genesis_hashes: Mapping[int, Hash32]) -> None:
    """Genesis helper: install ``HubSettlement``, store the hub key and each chain's genesis.

    A chain's genesis becomes its settled head at number 0. Local misuse
    (a zero hub, a zero genesis hash, configuring twice) raises ``ValueError``.
    """
    if hub == ZERO_ADDRESS:
        raise ValueError("the hub address must not be zero")
    if read_hub_address(state) != ZERO_ADDRESS:
        raise ValueError("HubSettlement is already configured")
    install_module(state, HubSettlement())
    state.set_storage(SETTLEMENT_ADDRESS, word_slot(_HUB), int.from_bytes(hub, "big"))
    for chain_id, genesis_hash in genesis_hashes.items():
        if not 0 < chain_id <= U64_MAX:
            raise ValueError(f"chain id {chain_id} out of range")
        if len(genesis_hash) != 32 or genesis_hash == ZERO_HASH:
            raise ValueError(f"chain {chain_id}: genesis hash must be 32 non-zero bytes")
        number_slot, hash_slot = _head_slots(chain_id)
        state.set_storage(SETTLEMENT_ADDRESS, number_slot, 0)
        state.set_storage(SETTLEMENT_ADDRESS, hash_slot, int.from_bytes(genesis_hash, "big"))
        state.set_storage(
            SETTLEMENT_ADDRESS, _hash_slot(chain_id, 0), int.from_bytes(genesis_hash, "big")
        )


def read_hub_address(state: WorldState) -> Address:
    """The hub key ``HubSettlement`` accepts (zero if unconfigured), read from state."""
    return Address(state.get_storage(SETTLEMENT_ADDRESS, word_slot(_HUB)).to_bytes(32, "big")[12:])


def read_settled_head(state: WorldState, chain_id: int) -> tuple[U64, Hash32] | None:
    """The chain's settled head as stored on L1, or None for an unregistered chain."""
    number_slot, hash_slot = _head_slots(chain_id)
    head_hash = state.get_storage(SETTLEMENT_ADDRESS, hash_slot)
    if not head_hash:
        return None
    return U64(state.get_storage(SETTLEMENT_ADDRESS, number_slot)), _hash_word(head_hash)


def read_settled_hash(state: WorldState, chain_id: int, number: int) -> Hash32 | None:
    """The settled hash of a rollup block as stored on L1, or None if not settled."""
    word = state.get_storage(SETTLEMENT_ADDRESS, _hash_slot(chain_id, number))
    return _hash_word(word) if word else None


def read_hub_state_root(state: WorldState, hub_number: int) -> Hash32 | None:
    """The hub state root settled for ``hub_number``, or None."""
    word = state.get_storage(SETTLEMENT_ADDRESS, mapping_slot(_HUB_ROOTS, hub_number))
    return _hash_word(word) if word else None


@dataclass(frozen=True, slots=True)
class L1SettledView:
    """A ``SettledView`` over L1 state, read without gas (hub dry runs, tests, RPC)."""

    state: WorldState
    """The L1 state holding ``HubSettlement``."""

    def settled_head(self, chain_id: int) -> tuple[U64, Hash32] | None:
        """See ``SettledView``."""
        return read_settled_head(self.state, chain_id)

    def settled_hash(self, chain_id: int, number: int) -> Hash32 | None:
        """See ``SettledView``."""
        return read_settled_hash(self.state, chain_id, number)


@dataclass(frozen=True, slots=True)
class _MeteredView:
    """A ``SettledView`` over the module's own storage that pays gas for every read."""

    ctx: CallContext

    def settled_head(self, chain_id: int) -> tuple[U64, Hash32] | None:
        number_slot, hash_slot = _head_slots(chain_id)
        head_hash = self.ctx.sload(hash_slot)
        if not head_hash:
            return None
        return U64(self.ctx.sload(number_slot)), _hash_word(head_hash)

    def settled_hash(self, chain_id: int, number: int) -> Hash32 | None:
        word = self.ctx.sload(_hash_slot(chain_id, number))
        return _hash_word(word) if word else None


L1ConfirmationRule = Callable[
    [WorldState, AggregateBlock, Mapping[tuple[int, int], AggregateBlock]], bool
]
"""A confirmation rule that reads L1 state (dispute games, verified proofs); it also gets the
aggregate's blocks by (chain, number), since an output confirms the blocks below it."""


class HubSettlement(NativeModule):
    """Settles hub aggregates on L1: checks the hub's signature and the rules, stores heads.

    Anyone may submit; the hub's signature authenticates the aggregate. A
    refused aggregate reverts with ``"<ErrorName>: <message>"`` before any
    write (the receipt has status 0). ``confirmation_rule`` defaults to
    accepting every block (the hub's signature vouches); L1 genesis installs
    the module with ``settlement.confirmation.is_block_confirmed``, which
    reads the validity verifier and the dispute games.
    """

    address = SETTLEMENT_ADDRESS
    abi = SETTLEMENT_ABI

    def __init__(self, confirmation_rule: L1ConfirmationRule | None = None) -> None:
        self.confirmation_rule = confirmation_rule

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if function == "submitAggregate":
            raw, signature = args
            assert isinstance(raw, bytes) and isinstance(signature, bytes)
            self._submit(ctx, raw, signature)
            return b""
        if function == "settledHead":
            (chain_id,) = args
            assert isinstance(chain_id, int)
            head = _MeteredView(ctx).settled_head(chain_id)
            if head is None:
                return self.abi.function("settledHead").encode_return(0, ZERO_HASH)
            return self.abi.function("settledHead").encode_return(*head)
        if function == "isSettled":
            chain_id, number, block_hash = args
            assert isinstance(chain_id, int) and isinstance(number, int)
            held = _MeteredView(ctx).settled_hash(chain_id, number)
            return self.abi.function("isSettled").encode_return(
                held is not None and held == block_hash
            )
        if function == "hubStateRoot":
            (hub_number,) = args
            assert isinstance(hub_number, int)
            root = ctx.sload(mapping_slot(_HUB_ROOTS, hub_number))
            return self.abi.function("hubStateRoot").encode_return(_hash_word(root))
        if function == "latestHub":
            return self.abi.function("latestHub").encode_return(
                ctx.sload(word_slot(_LATEST_HUB)), ctx.sload(word_slot(_AGGREGATES))
            )
        if function == "hub":
            word = ctx.sload(word_slot(_HUB))
            return self.abi.function("hub").encode_return(Address(word.to_bytes(32, "big")[12:]))
        raise revert(f"unknown function {function}")

    def _submit(self, ctx: CallContext, raw: bytes, signature: bytes) -> None:
        # Every check comes before the first write, so a refusal changes nothing
        # even when the module is called directly rather than by a transaction.
        try:
            aggregate = decode_aggregate(raw)
            hub = Address(ctx.sload(word_slot(_HUB)).to_bytes(32, "big")[12:])
            verify_aggregate_signature(aggregate, signature, hub)
            count = ctx.sload(word_slot(_AGGREGATES))
            latest = ctx.sload(word_slot(_LATEST_HUB))
            if count and aggregate.hub_number <= latest:
                raise StaleAggregate(
                    f"hub number {aggregate.hub_number} is not above the last settled {latest}"
                )
            rule = self.confirmation_rule
            by_key: dict[tuple[int, int], AggregateBlock] = {
                (b.chain_id, b.number): b for b in aggregate.blocks
            }
            outcome = check_aggregate(
                _MeteredView(ctx),
                aggregate,
                accept_all if rule is None else (lambda block: rule(ctx.state, block, by_key)),
            )
        except (MalformedAggregate, AggregateRefused) as exc:
            raise revert(f"{type(exc).__name__}: {exc}") from exc

        settled_event = self.abi.event("BlockSettled")
        for block in outcome.settled:
            ctx.sstore(_hash_slot(block.chain_id, block.number), _word(block.block_hash))
            ctx.emit(*settled_event.encode_log(block.chain_id, block.number, block.block_hash))
        for chain_id, (number, head_hash) in outcome.new_heads().items():
            number_slot, hash_slot = _head_slots(chain_id)
            ctx.sstore(number_slot, number)
            ctx.sstore(hash_slot, _word(head_hash))
        excluded_event = self.abi.event("BlockExcluded")
        for exclusion in outcome.excluded:
            block = exclusion.block
            ctx.emit(
                *excluded_event.encode_log(
                    block.chain_id, block.number, block.block_hash, int(exclusion.reason)
                )
            )
        ctx.sstore(mapping_slot(_HUB_ROOTS, aggregate.hub_number), _word(aggregate.hub_state_root))
        ctx.sstore(word_slot(_LATEST_HUB), aggregate.hub_number)
        ctx.sstore(word_slot(_AGGREGATES), count + 1)
        ctx.emit(
            *self.abi.event("AggregateSettled").encode_log(
                aggregate.hub_number,
                aggregate.hub_state_root,
                U256(len(outcome.settled)),
                U256(len(outcome.excluded)),
            )
        )


def _word(value: bytes) -> int:
    return int.from_bytes(value, "big")
