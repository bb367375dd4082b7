"""Native modules: built-in contracts at fixed addresses, called with Solidity-ABI calldata.

A module declares its ABI once (``interlace.primitives.abi``) and implements
``call``. Its storage lives in its own account's storage trie, at slots
derived the way Solidity derives them (``mapping_slot``), so ``eth_getProof``
and ``eth_getStorageAt`` see real data. Every storage access and log is
metered with a small, documented gas schedule (see ``GasSchedule`` in
``execution``); running out of gas or ``revert()`` undoes the call.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

from interlace.primitives.abi import AbiModule
from interlace.primitives.hashing import keccak256
from interlace.primitives.receipt import Log
from interlace.primitives.types import U256, Address, ChainId, Hash32
from interlace.protocol.chain.errors import ModuleRevert, OutOfGas
from interlace.protocol.chain.state import Account, WorldState

MODULE_CODE_HASH: Final = keccak256(b"interlace native module")
"""codeHash given to module accounts, so they are never 'empty' and never EOAs."""

G_SLOAD: Final = 2_100
G_SSTORE_SET: Final = 20_000
G_SSTORE_RESET: Final = 5_000
G_LOG: Final = 375
G_LOG_TOPIC: Final = 375
G_LOG_DATA_BYTE: Final = 8
G_MODULE_CALL: Final = 2_600


def word_slot(index: int) -> bytes:
    """The 32-byte slot key of a plain state variable at position ``index``."""
    return index.to_bytes(32, "big")


def mapping_slot(base: int | bytes, *keys: int | bytes) -> bytes:
    """Solidity's mapping slot: keccak(key ‖ slot), nested for each key in turn."""
    slot = base if isinstance(base, bytes) else word_slot(base)
    for key in keys:
        k = key.rjust(32, b"\x00") if isinstance(key, bytes) else key.to_bytes(32, "big")
        slot = keccak256(k + slot)
    return slot


@dataclass(frozen=True, slots=True)
class CallEnv:
    """Block-level facts a module may read."""

    chain_id: ChainId
    """The chain executing the call."""
    number: int
    """Block number."""
    timestamp: int
    """Block timestamp (seconds)."""


@dataclass(slots=True)
class CallContext:
    """Everything one module call sees and may change."""

    state: WorldState
    """The world state (writes are journaled by the caller)."""
    env: CallEnv
    """Block facts."""
    module: Address
    """The called module's address."""
    sender: Address
    """msg.sender."""
    value: U256
    """msg.value, already credited to the module's balance."""
    gas_left: int
    """Gas still available to the call."""
    is_system: bool = False
    """True for system deposits (L1 attributes, hub updates), which skip authorisation."""
    logs: list[Log] = field(default_factory=list)
    """Logs emitted so far."""

    def charge(self, gas: int) -> None:
        """Consume gas or raise ``OutOfGas``."""
        if gas > self.gas_left:
            self.gas_left = 0
            raise OutOfGas("out of gas")
        self.gas_left -= gas

    def sload(self, slot: bytes) -> int:
        """Read a storage word of this module."""
        self.charge(G_SLOAD)
        return self.state.get_storage(self.module, slot)

    def sstore(self, slot: bytes, value: int) -> None:
        """Write a storage word of this module."""
        old = self.state.get_storage(self.module, slot)
        self.charge(G_SSTORE_SET if old == 0 and value != 0 else G_SSTORE_RESET)
        self.state.set_storage(self.module, slot, value)

    def emit(self, topics: Sequence[Hash32], data: bytes) -> None:
        """Emit a log from this module."""
        self.charge(G_LOG + G_LOG_TOPIC * len(topics) + G_LOG_DATA_BYTE * len(data))
        self.logs.append(Log(self.module, tuple(topics), data))

    def transfer_out(self, to: Address, amount: int) -> None:
        """Pay ``amount`` wei from this module's balance."""
        if self.state.balance_of(self.module) < amount:
            raise ModuleRevert("module balance too low")
        self.state.sub_balance(self.module, amount)
        self.state.add_balance(to, amount)


def revert(reason: str) -> ModuleRevert:
    """Build the exception a module raises to revert (``raise revert("...")``)."""
    return ModuleRevert(reason)


class NativeModule(ABC):
    """A built-in contract at a fixed address."""

    address: Address
    """Where the module lives."""
    abi: AbiModule
    """Its declared functions and events."""

    @abstractmethod
    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        """Run ``function(args)``; return ABI-encoded return data or raise ``ModuleRevert``."""

    def view(self, state: WorldState, env: CallEnv, calldata: bytes) -> bytes:
        """Run a read-only call (``eth_call``): execute, then undo every write."""
        mark = state.checkpoint()
        try:
            ctx = CallContext(state, env, self.address, Address(b"\x00" * 20), U256(0), 10**9)
            function, args = self.abi.decode_call(calldata)
            return self.call(ctx, function, args)
        finally:
            state.revert_to(mark)


def install_module(state: WorldState, module: NativeModule) -> None:
    """Give a module its account (code hash marker) at genesis."""
    account = state.get_account(module.address)
    state.set_account(
        module.address,
        Account(account.nonce, account.balance, account.storage_root, MODULE_CODE_HASH),
    )


class ModuleFamily(ABC):
    """Native modules of one kind at many addresses (the ERC-20 tokens): every address that
    starts with ``prefix`` is served by ``bind(address)``, a module bound to that address
    (its storage is that address's)."""

    prefix: bytes

    @abstractmethod
    def bind(self, address: Address) -> NativeModule:
        """The module serving ``address`` (which starts with ``prefix``)."""


class ModuleMap(MutableMapping[Address, NativeModule]):
    """A chain's modules by address: the fixed ones, then the families by address prefix.

    Iterating gives the fixed modules only (those genesis installs); a family's addresses
    are found by lookup, as execution and the RPC look a call's target up. Setting or
    deleting an entry changes the fixed modules (a test adding its own module)."""

    def __init__(
        self, fixed: Mapping[Address, NativeModule], families: Sequence[ModuleFamily] = ()
    ) -> None:
        self._fixed = dict(fixed)
        self._families = tuple(families)

    def __getitem__(self, address: Address) -> NativeModule:
        module = self._fixed.get(address)
        if module is not None:
            return module
        for family in self._families:
            if address.startswith(family.prefix):
                return family.bind(address)
        raise KeyError(address)

    def __setitem__(self, address: Address, module: NativeModule) -> None:
        self._fixed[address] = module

    def __delitem__(self, address: Address) -> None:
        del self._fixed[address]

    def __iter__(self) -> Iterator[Address]:
        return iter(self._fixed)

    def __len__(self) -> int:
        return len(self._fixed)


@contextmanager
def acting_as(ctx: CallContext, module: Address) -> Iterator[CallContext]:
    """Run part of a call against another module's storage and logs, with the same gas,
    sender and log list: a module calling one it trusts (the bridge minting a wrapped
    token, moving a token into escrow)."""
    own = ctx.module
    ctx.module = module
    try:
        yield ctx
    finally:
        ctx.module = own
