"""L1 settlement modules: the rollup registry, the batch inbox (DA) and the deposit portal.

Each is a native module at a fixed L1 address, called with Solidity-ABI
calldata. Storage follows Solidity's layout so a storage proof reads real
values:
- registry: ``rollups[chainId]`` at mapping slot 0 holds a 6-word struct
  (kind, sequencer, batcher, challengeWindow, admin, registered);
- inbox: no storage; the batch bytes live in the transaction's calldata, as
  OP's batch inbox does, and derivation reads them from L1 blocks;
- portal: ``escrowed[chainId]`` at mapping slot 0 and a deposit counter at
  slot 1. Deposits are escrowed on the portal's balance and announced with
  ``TransactionDeposited``; derivation turns each into an OP 0x7E deposit.
"""

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from interlace.primitives.abi import AbiModule
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import U64, Address, ChainId, address_from_hex
from interlace.protocol.chain.modules import CallContext, NativeModule, mapping_slot, revert
from interlace.protocol.chain.state import WorldState

REGISTRY_ADDRESS: Final = address_from_hex("0x00000000000000000000000000000000000010a1")
INBOX_ADDRESS: Final = address_from_hex("0x00000000000000000000000000000000000010a2")
PORTAL_ADDRESS: Final = address_from_hex("0x00000000000000000000000000000000000010a3")


class RollupKind(IntEnum):
    """How a rollup settles."""

    OPTIMISTIC = 0
    VALIDITY = 1


@dataclass(frozen=True, slots=True)
class RollupRecord:
    """A registry entry as stored on L1."""

    chain_id: ChainId
    """The rollup's chain id."""
    kind: RollupKind
    """Optimistic or validity."""
    sequencer: Address
    """Address whose signature the rollup's blocks must carry."""
    batcher: Address
    """Only this address may post the rollup's batches to the inbox."""
    challenge_window: U64
    """Seconds an output stays challengeable (optimistic rollups)."""
    admin: Address
    """Who registered the rollup and may rotate its keys."""


REGISTRY_ABI: Final = AbiModule.declare(
    "RollupRegistry",
    functions=[
        (
            "registerRollup(uint256 chainId, uint8 kind, address sequencer, address batcher,"
            " uint64 challengeWindow)"
        ),
        "setSequencer(uint256 chainId, address sequencer)",
        (
            "getRollup(uint256 chainId) view returns (uint8 kind, address sequencer,"
            " address batcher, uint64 challengeWindow, address admin, bool registered)"
        ),
    ],
    events=[
        "RollupRegistered(uint256 indexed chainId, uint8 kind, address sequencer, address batcher)",
        "SequencerChanged(uint256 indexed chainId, address sequencer)",
    ],
)

_ROLLUP_FIELDS: Final = 6


def _rollup_base(chain_id: int) -> int:
    return int.from_bytes(mapping_slot(0, chain_id), "big")


def _field_slot(chain_id: int, index: int) -> bytes:
    return ((_rollup_base(chain_id) + index) % 2**256).to_bytes(32, "big")


def _as_address(word: int) -> Address:
    return Address(word.to_bytes(32, "big")[12:])


def read_rollup(state: WorldState, chain_id: int) -> RollupRecord | None:
    """The registry entry of ``chain_id`` read straight from L1 state (no gas)."""
    words = [state.get_storage(REGISTRY_ADDRESS, _field_slot(chain_id, i)) for i in range(6)]
    if not words[5]:
        return None
    return RollupRecord(
        chain_id=ChainId(chain_id),
        kind=RollupKind(words[0]),
        sequencer=_as_address(words[1]),
        batcher=_as_address(words[2]),
        challenge_window=U64(words[3]),
        admin=_as_address(words[4]),
    )


class RollupRegistry(NativeModule):
    """Registers rollups and their sequencer and batcher keys."""

    address = REGISTRY_ADDRESS
    abi = REGISTRY_ABI

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if function == "registerRollup":
            chain_id, kind, sequencer, batcher, window = args
            assert isinstance(chain_id, int) and isinstance(kind, int)
            if not 0 < chain_id < 2**64:
                raise revert("chain id out of range")
            if kind not in (RollupKind.OPTIMISTIC, RollupKind.VALIDITY):
                raise revert("unknown rollup kind")
            if ctx.sload(_field_slot(chain_id, 5)):
                raise revert("chain id already registered")
            values = [kind, _word(sequencer), _word(batcher), window, _word(ctx.sender), 1]
            for index, value in enumerate(values):
                assert isinstance(value, int)
                ctx.sstore(_field_slot(chain_id, index), value)
            topics, data = self.abi.event("RollupRegistered").encode_log(
                chain_id, kind, sequencer, batcher
            )
            ctx.emit(topics, data)
            return b""
        if function == "setSequencer":
            chain_id, sequencer = args
            assert isinstance(chain_id, int)
            if ctx.sload(_field_slot(chain_id, 4)) != _word(ctx.sender):
                raise revert("only the rollup admin may rotate the sequencer")
            ctx.sstore(_field_slot(chain_id, 1), _word(sequencer))
            topics, data = self.abi.event("SequencerChanged").encode_log(chain_id, sequencer)
            ctx.emit(topics, data)
            return b""
        if function == "getRollup":
            (chain_id,) = args
            assert isinstance(chain_id, int)
            words = [ctx.sload(_field_slot(chain_id, i)) for i in range(_ROLLUP_FIELDS)]
            return self.abi.function("getRollup").encode_return(
                words[0],
                _as_address(words[1]),
                _as_address(words[2]),
                words[3],
                _as_address(words[4]),
                bool(words[5]),
            )
        raise revert(f"unknown function {function}")


def _word(value: object) -> int:
    if isinstance(value, bytes):
        return int.from_bytes(value, "big")
    if isinstance(value, str):
        return int(value, 16)
    assert isinstance(value, int)
    return value


INBOX_ABI: Final = AbiModule.declare(
    "BatchInbox",
    functions=["postBatch(uint256 chainId, bytes data)"],
    events=["BatchPosted(uint256 indexed chainId, bytes32 indexed dataHash, uint256 length)"],
)


class BatchInbox(NativeModule):
    """Accepts rollup batches from each rollup's registered batcher (data availability)."""

    address = INBOX_ADDRESS
    abi = INBOX_ABI

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if function != "postBatch":
            raise revert(f"unknown function {function}")
        chain_id, data = args
        assert isinstance(chain_id, int) and isinstance(data, bytes)
        record = read_rollup(ctx.state, chain_id)
        if record is None:
            raise revert("unknown rollup")
        if record.batcher != ctx.sender:
            raise revert("sender is not the rollup's batcher")
        topics, log_data = self.abi.event("BatchPosted").encode_log(
            chain_id, keccak256(data), len(data)
        )
        ctx.emit(topics, log_data)
        return b""


PORTAL_ABI: Final = AbiModule.declare(
    "DepositPortal",
    functions=[
        (
            "depositTransaction(uint256 chainId, address to, uint256 value, uint64 gasLimit,"
            " bytes data) payable"
        ),
        "escrowed(uint256 chainId) view returns (uint256)",
    ],
    events=[
        (
            "TransactionDeposited(uint256 indexed chainId, address indexed from,"
            " address indexed to, uint256 mint, uint256 value, uint64 gasLimit, bytes data)"
        ),
    ],
)

MAX_DEPOSIT_GAS: Final = 10_000_000
MIN_DEPOSIT_GAS: Final = 21_000


def escrowed_on_l1(state: WorldState, chain_id: int) -> int:
    """Wei escrowed in the portal for ``chain_id`` (read straight from state)."""
    return state.get_storage(PORTAL_ADDRESS, mapping_slot(0, chain_id))


class DepositPortal(NativeModule):
    """Escrows ETH on L1 and announces deposits for a rollup to derive."""

    address = PORTAL_ADDRESS
    abi = PORTAL_ABI

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if function == "depositTransaction":
            chain_id, to, value, gas_limit, data = args
            assert isinstance(chain_id, int) and isinstance(gas_limit, int)
            if read_rollup(ctx.state, chain_id) is None:
                raise revert("unknown rollup")
            if not MIN_DEPOSIT_GAS <= gas_limit <= MAX_DEPOSIT_GAS:
                raise revert("deposit gas limit out of range")
            slot = mapping_slot(0, chain_id)
            ctx.sstore(slot, ctx.sload(slot) + ctx.value)
            topics, log_data = self.abi.event("TransactionDeposited").encode_log(
                chain_id, ctx.sender, to, ctx.value, value, gas_limit, data
            )
            ctx.emit(topics, log_data)
            return b""
        if function == "escrowed":
            (chain_id,) = args
            assert isinstance(chain_id, int)
            return self.abi.function("escrowed").encode_return(ctx.sload(mapping_slot(0, chain_id)))
        raise revert(f"unknown function {function}")
