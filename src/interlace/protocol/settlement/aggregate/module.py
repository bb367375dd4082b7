"""The ``HubSettlement`` L1 native module (0x…10a6): its ABI, storage layout (Solidity's, table
in docs/settlement.md), genesis (``configure``), gas-free readers, and ``submitAggregate``,
which applies the rules."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from interlace.primitives.abi import AbiModule
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
from interlace.protocol.settlement.aggregate.errors import (
    AggregateRefused,
    MalformedAggregate,
    StaleAggregate,
)
from interlace.protocol.settlement.aggregate.format import (
    AggregateBlock,
    decode_aggregate,
    verify_aggregate_signature,
)
from interlace.protocol.settlement.aggregate.rules import accept_all, check_aggregate

SETTLEMENT_ADDRESS: Final = address_from_hex("0x00000000000000000000000000000000000010a6")

# HubSettlement storage layout (Solidity order).
_HUB: Final = 0
_AGGREGATES: Final = 1
_LATEST_HUB: Final = 2
_HEADS: Final = 3
_BLOCK_HASHES: Final = 4
_HUB_ROOTS: Final = 5


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
