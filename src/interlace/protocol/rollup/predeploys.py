"""Rollup predeploy modules at OP-style addresses (0x4200…00XX).

- ``L1Block`` (0x4200…0015) holds the L1Origin of the current block,
  written by the first transaction of every block: the L1-attributes
  deposit from the OP depositor account 0xdead…0001, using the Bedrock
  ``setL1BlockValues`` ABI. Its storage slots follow OP's L1Block contract
  (number 0, timestamp 1, basefee 2, hash 3, sequenceNumber 4). Unlike OP's,
  it also keeps every origin's hash (``l1Hash[number]``, mapping slot 16),
  so the messenger can check that a source block's L1Origin is on this
  chain's L1 history (the L1 consistency check of RIP-7789).
"""

from typing import Final

from interlace.primitives.abi import AbiModule
from interlace.primitives.tx import DepositTransaction
from interlace.primitives.types import U64, U256, Address, Hash32, address_from_hex
from interlace.protocol.chain.modules import (
    CallContext,
    NativeModule,
    mapping_slot,
    revert,
    word_slot,
)
from interlace.protocol.chain.state import WorldState

L1_BLOCK_ADDRESS: Final = address_from_hex("0x4200000000000000000000000000000000000015")
L1_ATTRIBUTES_DEPOSITOR: Final = address_from_hex("0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001")


def system_deposit(source_hash: Hash32, to: Address, gas: int, data: bytes) -> DepositTransaction:
    """A deposit from the depositor account that only derivation or the sequencer builds
    (L1 attributes, dependency declarations, hub updates, global exit roots): no mint, no
    value, not an OP "system transaction"."""
    return DepositTransaction(
        source_hash=source_hash,
        sender=L1_ATTRIBUTES_DEPOSITOR,
        to=to,
        mint=U256(0),
        value=U256(0),
        gas_limit=U64(gas),
        is_system_transaction=False,
        data=data,
    )


L1_BLOCK_ABI: Final = AbiModule.declare(
    "L1Block",
    functions=[
        (
            "setL1BlockValues(uint64 _number, uint64 _timestamp, uint256 _basefee, bytes32 _hash,"
            " uint64 _sequenceNumber, bytes32 _batcherHash, uint256 _l1FeeOverhead,"
            " uint256 _l1FeeScalar)"
        ),
        "number() view returns (uint64)",
        "timestamp() view returns (uint64)",
        "basefee() view returns (uint256)",
        "hash() view returns (bytes32)",
        "sequenceNumber() view returns (uint64)",
        "l1Hash(uint64 number) view returns (bytes32)",
    ],
    events=[],
)

_SLOTS: Final = {"number": 0, "timestamp": 1, "basefee": 2, "hash": 3, "sequenceNumber": 4}
L1_HASH_SLOT: Final = 16


class L1Block(NativeModule):
    """The rollup's view of its L1Origin, updated once per block."""

    address = L1_BLOCK_ADDRESS
    abi = L1_BLOCK_ABI

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if function == "setL1BlockValues":
            if ctx.sender != L1_ATTRIBUTES_DEPOSITOR:
                raise revert("only the depositor account may set L1 block values")
            number, timestamp, basefee, block_hash, sequence_number = args[:5]
            assert isinstance(block_hash, bytes)
            for name, value in (
                ("number", number),
                ("timestamp", timestamp),
                ("basefee", basefee),
                ("hash", int.from_bytes(block_hash, "big")),
                ("sequenceNumber", sequence_number),
            ):
                assert isinstance(value, int)
                ctx.sstore(word_slot(_SLOTS[name]), value)
            assert isinstance(number, int)
            if ctx.sload(mapping_slot(L1_HASH_SLOT, number)) == 0:
                ctx.sstore(mapping_slot(L1_HASH_SLOT, number), int.from_bytes(block_hash, "big"))
            return b""
        if function == "l1Hash":
            (number,) = args
            assert isinstance(number, int)
            word = ctx.sload(mapping_slot(L1_HASH_SLOT, number))
            return self.abi.function("l1Hash").encode_return(word.to_bytes(32, "big"))
        if function in _SLOTS:
            value = ctx.sload(word_slot(_SLOTS[function]))
            if function == "hash":
                return self.abi.function(function).encode_return(value.to_bytes(32, "big"))
            return self.abi.function(function).encode_return(value)
        raise revert(f"unknown function {function}")


def read_l1_hash(state: WorldState, number: int) -> bytes | None:
    """The hash this chain recorded for L1 block ``number`` (None if it never saw it)."""
    word = state.get_storage(L1_BLOCK_ADDRESS, mapping_slot(L1_HASH_SLOT, number))
    return word.to_bytes(32, "big") if word else None


def read_l1_origin(state: WorldState) -> tuple[int, bytes, int]:
    """(number, hash, sequence number) of the L1Origin recorded in a rollup state."""
    number = state.get_storage(L1_BLOCK_ADDRESS, word_slot(0))
    block_hash = state.get_storage(L1_BLOCK_ADDRESS, word_slot(3)).to_bytes(32, "big")
    sequence = state.get_storage(L1_BLOCK_ADDRESS, word_slot(4))
    return number, block_hash, sequence
