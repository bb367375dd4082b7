"""ERC-20 tokens as native modules: the tokens users make with L1's token factory, and the
bridge's wrapped tokens on every chain.

Every token lives at an address that starts with ``TOKEN_PREFIX`` (``0x70707070``) and is
served by one ``Erc20Token`` module bound to it (``token_family`` in the chain's
``ModuleMap``), with the standard ERC-20 interface and events, so web3.py's ERC-20 ABI
calls it unchanged: ``name``, ``symbol``, ``decimals``, ``totalSupply``, ``balanceOf``,
``transfer``, ``approve``, ``transferFrom``, ``allowance``, ``Transfer`` and
``Approval``. A wrapped token also has AggLayer's ``TokenWrapped`` extras: ``mint`` and
``burn`` (the bridge only), ``bridgeAddress``, and ``originToken`` (where the token was
created). Storage follows OpenZeppelin's ``ERC20`` layout: ``_balances`` mapping 0,
``_allowances`` mapping 1, ``_totalSupply`` 2, ``_name`` 3 and ``_symbol`` 4 (Solidity
short strings, so at most 31 bytes), then ``decimals`` 5, the origin network 6 and origin
token address 7 (wrapped tokens), and 8 set to 1 once the token exists.

Addresses (Interlace's, not CREATE2: there is no EVM yet):

- a token made on L1: ``TOKEN_PREFIX ‖ keccak256(creator ‖ uint256(index))[-16:]``, its
  creator's ``index``-th;
- the wrapped token of (origin network, origin token) on any chain:
  ``TOKEN_PREFIX ‖ keccak256(uint32(originNetwork) ‖ originTokenAddress)[-16:]``, from
  AggLayer's ``tokenInfoHash``, so it is the same on every chain and a token keeps one
  identity everywhere.

``TokenFactory`` (L1, ``TOKEN_FACTORY_ADDRESS``): ``createToken(name, symbol, decimals,
supply)`` makes a token whose whole supply belongs to its creator, and emits
``TokenCreated``. Refusals revert with their reason and change nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from interlace.primitives.abi import AbiModule
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import ZERO_ADDRESS, Address, address_from_hex
from interlace.protocol.bridge.format import TokenInfo, TokenMetadata
from interlace.protocol.chain.modules import (
    MODULE_CODE_HASH,
    CallContext,
    ModuleFamily,
    NativeModule,
    acting_as,
    mapping_slot,
    revert,
    word_slot,
)
from interlace.protocol.chain.state import Account, WorldState

__all__ = [
    "ERC20_ABI",
    "TOKEN_FACTORY_ABI",
    "TOKEN_FACTORY_ADDRESS",
    "TOKEN_PREFIX",
    "Erc20Token",
    "TokenFactory",
    "burn_tokens",
    "create_token",
    "escrow_tokens",
    "factory_token_address",
    "mint_tokens",
    "read_token_balance",
    "read_token_metadata",
    "read_token_origin",
    "read_token_supply",
    "release_tokens",
    "token_exists",
    "token_family",
    "wrapped_token_address",
]

TOKEN_PREFIX: Final = bytes.fromhex("70707070")
"""The first four bytes of every token's address."""
TOKEN_FACTORY_ADDRESS: Final = address_from_hex("0x0000000000000000000000000000000000007070")

ERC20_ABI: Final = AbiModule.declare(
    "TokenWrapped",
    functions=[
        "name() view returns (string)",
        "symbol() view returns (string)",
        "decimals() view returns (uint8)",
        "totalSupply() view returns (uint256)",
        "balanceOf(address account) view returns (uint256)",
        "transfer(address to, uint256 value) returns (bool)",
        "allowance(address owner, address spender) view returns (uint256)",
        "approve(address spender, uint256 value) returns (bool)",
        "transferFrom(address from, address to, uint256 value) returns (bool)",
        "mint(address to, uint256 value)",
        "burn(address account, uint256 value)",
        "bridgeAddress() view returns (address)",
        "originToken() view returns (uint32 originNetwork, address originTokenAddress)",
    ],
    events=[
        "Transfer(address indexed from, address indexed to, uint256 value)",
        "Approval(address indexed owner, address indexed spender, uint256 value)",
    ],
)

TOKEN_FACTORY_ABI: Final = AbiModule.declare(
    "TokenFactory",
    functions=[
        "createToken(string name, string symbol, uint8 decimals, uint256 supply) returns (address)",
        "tokensCreated(address creator) view returns (uint256)",
        "tokenAddress(address creator, uint256 index) view returns (address)",
    ],
    events=[
        (
            "TokenCreated(address indexed token, address indexed creator, string name,"
            " string symbol, uint8 decimals, uint256 supply)"
        ),
    ],
)

_BALANCES: Final = 0
_ALLOWANCES: Final = 1
_TOTAL_SUPPLY: Final = 2
_NAME: Final = 3
_SYMBOL: Final = 4
_DECIMALS: Final = 5
_ORIGIN_NETWORK: Final = 6
_ORIGIN_ADDRESS: Final = 7
_EXISTS: Final = 8
_U256_MAX: Final = 2**256 - 1
_MAX_STRING: Final = 31

# The factory's storage.
_CREATED: Final = 0  # mapping(creator => tokens made)


def _prefixed(digest: bytes) -> Address:
    return Address(TOKEN_PREFIX + digest[-16:])


def wrapped_token_address(origin: TokenInfo) -> Address:
    """Where the wrapped token of ``origin`` lives on every chain but its origin."""
    return _prefixed(keccak256(origin.origin_network.to_bytes(4, "big") + origin.origin_address))


def factory_token_address(creator: Address, index: int) -> Address:
    """The address of the ``index``-th token ``creator`` made with the factory."""
    return _prefixed(keccak256(creator + index.to_bytes(32, "big")))


def _short_string(value: str, what: str) -> int:
    """Solidity's storage of a string of at most 31 bytes: the bytes, then length × 2."""
    raw = value.encode()
    if not raw or len(raw) > _MAX_STRING:
        raise revert(f"the token {what} must be 1 to {_MAX_STRING} bytes of UTF-8, got {len(raw)}")
    return int.from_bytes(raw.ljust(31, b"\x00") + bytes([len(raw) * 2]), "big")


def _read_short_string(word: int) -> str:
    raw = word.to_bytes(32, "big")
    return raw[: raw[31] // 2].decode(errors="replace")


def token_exists(state: WorldState, token: Address) -> bool:
    """Whether a token was made at ``token``."""
    return token.startswith(TOKEN_PREFIX) and state.get_storage(token, word_slot(_EXISTS)) == 1


def read_token_balance(state: WorldState, token: Address, owner: Address) -> int:
    """``balanceOf(owner)`` of ``token``."""
    return state.get_storage(token, mapping_slot(_BALANCES, owner))


def read_token_supply(state: WorldState, token: Address) -> int:
    """``totalSupply()`` of ``token``."""
    return state.get_storage(token, word_slot(_TOTAL_SUPPLY))


def read_token_metadata(state: WorldState, token: Address) -> TokenMetadata:
    """The token's name, symbol and decimals."""
    return TokenMetadata(
        _read_short_string(state.get_storage(token, word_slot(_NAME))),
        _read_short_string(state.get_storage(token, word_slot(_SYMBOL))),
        state.get_storage(token, word_slot(_DECIMALS)),
    )


def read_token_origin(state: WorldState, token: Address) -> TokenInfo | None:
    """The origin of a wrapped token; None for a token made on this chain."""
    origin = state.get_storage(token, word_slot(_ORIGIN_ADDRESS))
    if not origin:
        return None
    network = state.get_storage(token, word_slot(_ORIGIN_NETWORK))
    return TokenInfo(network, Address(origin.to_bytes(20, "big")))


def create_token(
    ctx: CallContext, token: Address, metadata: TokenMetadata, origin: TokenInfo | None
) -> None:
    """Make a token at ``token`` (its storage and account) with no supply; the caller mints
    it. ``origin`` is set for a wrapped token. Reverts on a name or symbol that does not fit
    or decimals above 255."""
    if not 0 <= metadata.decimals <= 255:
        raise revert(f"token decimals {metadata.decimals} do not fit a uint8")
    name = _short_string(metadata.name, "name")
    symbol = _short_string(metadata.symbol, "symbol")
    account = ctx.state.get_account(token)
    ctx.state.set_account(
        token, Account(account.nonce, account.balance, account.storage_root, MODULE_CODE_HASH)
    )
    with acting_as(ctx, token):
        ctx.sstore(word_slot(_NAME), name)
        ctx.sstore(word_slot(_SYMBOL), symbol)
        ctx.sstore(word_slot(_DECIMALS), metadata.decimals)
        if origin is not None:
            ctx.sstore(word_slot(_ORIGIN_NETWORK), origin.origin_network)
            ctx.sstore(word_slot(_ORIGIN_ADDRESS), int.from_bytes(origin.origin_address, "big"))
        ctx.sstore(word_slot(_EXISTS), 1)


@contextmanager
def _on_token(ctx: CallContext, token: Address) -> Iterator[CallContext]:
    if not token_exists(ctx.state, token):
        raise revert(f"no token at 0x{token.hex()}")
    with acting_as(ctx, token) as inner:
        yield inner


def _update(ctx: CallContext, source: Address | None, to: Address | None, amount: int) -> None:
    """Move ``amount`` of the token ``ctx`` acts on from ``source`` to ``to``, with its
    ``Transfer`` log (OpenZeppelin's ``_update``): no ``source`` mints, no ``to`` burns. The
    zero address is never an account here, so no call can mint by sending from it."""
    supply_slot = word_slot(_TOTAL_SUPPLY)
    if source is not None:
        slot = mapping_slot(_BALANCES, source)
        held = ctx.sload(slot)
        if amount > held:
            raise revert(
                f"ERC20InsufficientBalance: 0x{source.hex()} holds {held} of token "
                f"0x{ctx.module.hex()}, {amount} needed"
            )
        ctx.sstore(slot, held - amount)
    else:
        supply = ctx.sload(supply_slot) + amount
        if supply > _U256_MAX:
            raise revert(f"the supply of token 0x{ctx.module.hex()} would pass 2^256 - 1")
        ctx.sstore(supply_slot, supply)
    if to is not None:
        slot = mapping_slot(_BALANCES, to)
        ctx.sstore(slot, ctx.sload(slot) + amount)
    else:
        ctx.sstore(supply_slot, ctx.sload(supply_slot) - amount)
    topics, data = ERC20_ABI.event("Transfer").encode_log(
        source or ZERO_ADDRESS, to or ZERO_ADDRESS, amount
    )
    ctx.emit(topics, data)


def _check_accounts(source: Address, to: Address) -> None:
    if source == ZERO_ADDRESS:
        raise revert("ERC20InvalidSender: transfer from the zero address")
    if to == ZERO_ADDRESS:
        raise revert("ERC20InvalidReceiver: transfer to the zero address")


def _spend_allowance(ctx: CallContext, owner: Address, spender: Address, amount: int) -> None:
    """Take ``amount`` from what ``owner`` let ``spender`` move (the maximum is unlimited)."""
    slot = mapping_slot(_ALLOWANCES, owner, spender)
    allowed = ctx.sload(slot)
    if amount > allowed:
        raise revert(
            f"ERC20InsufficientAllowance: 0x{spender.hex()} may move {allowed} of "
            f"0x{owner.hex()}'s token 0x{ctx.module.hex()}, {amount} asked"
        )
    if allowed != _U256_MAX:
        ctx.sstore(slot, allowed - amount)


def escrow_tokens(
    ctx: CallContext, token: Address, owner: Address, bridge: Address, amount: int
) -> None:
    """``transferFrom(owner, bridge, amount)`` as the bridge makes it (so ``owner`` must have
    approved the bridge), with its ``Transfer`` log and gas."""
    with _on_token(ctx, token) as inner:
        _check_accounts(owner, bridge)
        _spend_allowance(inner, owner, bridge, amount)
        _update(inner, owner, bridge, amount)


def release_tokens(
    ctx: CallContext, token: Address, bridge: Address, to: Address, amount: int
) -> None:
    """``transfer(to, amount)`` from the bridge's escrow (a claim on the token's origin)."""
    with _on_token(ctx, token) as inner:
        _check_accounts(bridge, to)
        _update(inner, bridge, to, amount)


def mint_tokens(ctx: CallContext, token: Address, to: Address, amount: int) -> None:
    """Mint a wrapped token (the bridge's claim)."""
    if to == ZERO_ADDRESS:
        raise revert("ERC20InvalidReceiver: mint to the zero address")
    with _on_token(ctx, token) as inner:
        _update(inner, None, to, amount)


def burn_tokens(ctx: CallContext, token: Address, source: Address, amount: int) -> None:
    """Burn a wrapped token (the bridge's exit)."""
    if source == ZERO_ADDRESS:
        raise revert("ERC20InvalidSender: burn from the zero address")
    with _on_token(ctx, token) as inner:
        _update(inner, source, None, amount)


class Erc20Token(NativeModule):
    """One token, at ``address`` (see the module docstring)."""

    abi = ERC20_ABI

    def __init__(self, address: Address, bridge: Address) -> None:
        self.address = address
        self.bridge = bridge

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if not token_exists(ctx.state, self.address):
            raise revert(f"no token at 0x{self.address.hex()}")
        fn = self.abi.function(function)
        if ctx.value:
            raise revert("a token call takes no ETH")
        if function in ("name", "symbol", "decimals"):
            metadata = read_token_metadata(ctx.state, self.address)
            return fn.encode_return(getattr(metadata, function))
        if function == "totalSupply":
            return fn.encode_return(ctx.sload(word_slot(_TOTAL_SUPPLY)))
        if function == "balanceOf":
            (owner,) = args
            assert isinstance(owner, bytes)
            return fn.encode_return(ctx.sload(mapping_slot(_BALANCES, owner)))
        if function == "allowance":
            owner, spender = args
            assert isinstance(owner, bytes) and isinstance(spender, bytes)
            return fn.encode_return(ctx.sload(mapping_slot(_ALLOWANCES, owner, spender)))
        if function == "bridgeAddress":
            return fn.encode_return(self.bridge)
        if function == "originToken":
            origin = read_token_origin(ctx.state, self.address)
            if origin is None:
                return fn.encode_return(0, ZERO_ADDRESS)
            return fn.encode_return(origin.origin_network, origin.origin_address)
        return self._write(ctx, function, args)

    def _write(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        fn = self.abi.function(function)
        if function == "transfer":
            to, amount = args
            assert isinstance(to, bytes) and isinstance(amount, int)
            _check_accounts(ctx.sender, Address(to))
            _update(ctx, ctx.sender, Address(to), amount)
            return fn.encode_return(True)
        if function == "approve":
            spender, amount = args
            assert isinstance(spender, bytes) and isinstance(amount, int)
            if spender == ZERO_ADDRESS:
                raise revert("ERC20InvalidSpender: approve of the zero address")
            ctx.sstore(mapping_slot(_ALLOWANCES, ctx.sender, spender), amount)
            topics, data = self.abi.event("Approval").encode_log(ctx.sender, spender, amount)
            ctx.emit(topics, data)
            return fn.encode_return(True)
        if function == "transferFrom":
            source, to, amount = args
            assert isinstance(source, bytes) and isinstance(to, bytes)
            assert isinstance(amount, int)
            _check_accounts(Address(source), Address(to))
            _spend_allowance(ctx, Address(source), ctx.sender, amount)
            _update(ctx, Address(source), Address(to), amount)
            return fn.encode_return(True)
        if function in ("mint", "burn"):
            account, amount = args
            assert isinstance(account, bytes) and isinstance(amount, int)
            if ctx.sender != self.bridge or read_token_origin(ctx.state, self.address) is None:
                raise revert(f"OnlyBridge: only the bridge {function}s a wrapped token")
            if Address(account) == ZERO_ADDRESS:
                raise revert(f"ERC20InvalidReceiver: {function} for the zero address")
            if function == "mint":
                _update(ctx, None, Address(account), amount)
            else:
                _update(ctx, Address(account), None, amount)
            return b""
        raise revert(f"unknown function {function}")


class _TokenFamily(ModuleFamily):
    prefix = TOKEN_PREFIX

    def __init__(self, bridge: Address) -> None:
        self.bridge = bridge

    def bind(self, address: Address) -> NativeModule:
        return Erc20Token(address, self.bridge)


def token_family(bridge: Address) -> ModuleFamily:
    """The ERC-20 tokens of a chain whose bridge is at ``bridge``."""
    return _TokenFamily(bridge)


class TokenFactory(NativeModule):
    """L1's token factory (see the module docstring)."""

    address = TOKEN_FACTORY_ADDRESS
    abi = TOKEN_FACTORY_ABI

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        fn = self.abi.function(function)
        if function == "tokensCreated":
            (creator,) = args
            assert isinstance(creator, bytes)
            return fn.encode_return(ctx.sload(mapping_slot(_CREATED, creator)))
        if function == "tokenAddress":
            creator, index = args
            assert isinstance(creator, bytes) and isinstance(index, int)
            return fn.encode_return(factory_token_address(Address(creator), index))
        if function != "createToken":
            raise revert(f"unknown function {function}")
        name, symbol, decimals, supply = args
        assert isinstance(name, str) and isinstance(symbol, str)
        assert isinstance(decimals, int) and isinstance(supply, int)
        if ctx.value:
            raise revert("createToken takes no ETH")
        slot = mapping_slot(_CREATED, ctx.sender)
        index = ctx.sload(slot)
        token = factory_token_address(ctx.sender, index)
        ctx.sstore(slot, index + 1)
        create_token(ctx, token, TokenMetadata(name, symbol, decimals), None)
        if supply:
            with acting_as(ctx, token):
                _update(ctx, None, ctx.sender, supply)
        topics, data = self.abi.event("TokenCreated").encode_log(
            token, ctx.sender, name, symbol, decimals, supply
        )
        ctx.emit(topics, data)
        return fn.encode_return(token)
