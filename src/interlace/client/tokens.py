"""The SDK's ERC-20 tokens: make one with L1's token factory, read balances and metadata
on any chain, and find a token's address on each chain.

A token keeps one identity everywhere: (origin network, origin address). On its origin
chain it lives at its own address; on every other chain the bridge's wrapped token lives
at ``wrapped_token_address(origin)``, the same on all of them. ``local_address`` turns
either into the address on a given chain, so a user may name a token by its L1 address
on every chain.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from interlace.client.errors import BadResponse, MessageNotFound, RpcFailure
from interlace.client.types import TxReceipt
from interlace.primitives.keys import PrivateKey
from interlace.primitives.types import ZERO_ADDRESS, Address, address_from_hex, to_address
from interlace.protocol.bridge.format import TokenInfo, TokenMetadata
from interlace.protocol.bridge.module import BRIDGE_ABI, BRIDGE_ADDRESS
from interlace.protocol.bridge.token import (
    ERC20_ABI,
    TOKEN_FACTORY_ABI,
    TOKEN_FACTORY_ADDRESS,
    wrapped_token_address,
)

if TYPE_CHECKING:
    from interlace.client.client import InterlaceClient

__all__ = ["TokenClient", "TokenView"]


@dataclass(frozen=True, slots=True)
class TokenView:
    """A token as one chain holds it."""

    chain_id: int
    address: Address
    """Its address on that chain."""
    origin: TokenInfo
    metadata: TokenMetadata
    total_supply: int


def _as_address(value: str | bytes) -> Address:
    return address_from_hex(value) if isinstance(value, str) else to_address(value)


class TokenClient:
    """See the module docstring (``InterlaceClient.tokens``)."""

    def __init__(self, client: "InterlaceClient") -> None:
        self.client = client

    def _call(self, chain_id: int, to: Address, abi_name: str, function: str, *args: Any) -> Any:
        abi = {"erc20": ERC20_ABI, "bridge": BRIDGE_ABI, "factory": TOKEN_FACTORY_ABI}[abi_name]
        fn = abi.function(function)
        raw = self.client.chain(chain_id).call(to, fn.encode_call(*args))
        values = fn.decode_return(raw)
        return values[0] if len(values) == 1 else values

    def create(
        self, key: PrivateKey, name: str, symbol: str, decimals: int, supply: int
    ) -> tuple[Address, TxReceipt]:
        """Make a token on L1 with ``supply`` units, all the creator's; (address, receipt).
        The address is the receipt's ``TokenCreated`` log's (two creations in flight from one
        key cannot mix them up)."""
        data = TOKEN_FACTORY_ABI.function("createToken").encode_call(name, symbol, decimals, supply)
        receipt = self.client.l1().send_call(key, TOKEN_FACTORY_ADDRESS, data=data)
        assert isinstance(receipt, TxReceipt)
        event = TOKEN_FACTORY_ABI.event("TokenCreated")
        for log in receipt.logs:
            if log.address == TOKEN_FACTORY_ADDRESS and log.topics[:1] == (event.topic0,):
                token, *_rest = event.decode_log(log.topics, log.data)
                return Address(bytes(token)), receipt
        raise BadResponse(f"createToken receipt 0x{receipt.tx_hash.hex()} has no TokenCreated")

    def local_address(self, chain_id: int, token: str | bytes) -> Address:
        """The address on ``chain_id`` of the token named by ``token``: its address there,
        or its origin address (then the wrapped token's). ``MessageNotFound`` if the chain
        holds no such token yet."""
        address = _as_address(token)
        if self._exists(chain_id, address):
            return address
        l1_id = self._l1_id()
        if chain_id != l1_id and self._exists(l1_id, address):
            wrapped = wrapped_token_address(self.origin_of(l1_id, address))
            if self._exists(chain_id, wrapped):
                return wrapped
        raise MessageNotFound(
            f"chain {chain_id} holds no token 0x{address.hex()} (nothing of it was claimed there)"
        )

    def _l1_id(self) -> int:
        l1_id = self.client.endpoints.l1_chain_id
        assert l1_id is not None
        return l1_id

    def _exists(self, chain_id: int, address: Address) -> bool:
        try:
            self._call(chain_id, address, "erc20", "decimals")
        except RpcFailure:  # reverted: no token there
            return False
        return True

    def origin_of(self, chain_id: int, address: Address) -> TokenInfo:
        """The identity of the token at ``address`` on ``chain_id``."""
        network, origin = self._call(chain_id, address, "erc20", "originToken")
        if Address(bytes(origin)) != ZERO_ADDRESS:
            return TokenInfo(int(network), Address(bytes(origin)))
        own = self._call(chain_id, BRIDGE_ADDRESS, "bridge", "networkID")
        return TokenInfo(int(own), address)

    def info(self, chain_id: int, token: str | bytes) -> TokenView:
        """A token's metadata, supply and identity on ``chain_id``."""
        address = self.local_address(chain_id, token)
        try:
            metadata = TokenMetadata(
                str(self._call(chain_id, address, "erc20", "name")),
                str(self._call(chain_id, address, "erc20", "symbol")),
                int(self._call(chain_id, address, "erc20", "decimals")),
            )
            supply = int(self._call(chain_id, address, "erc20", "totalSupply"))
        except (ValueError, TypeError) as exc:
            raise BadResponse(f"token 0x{address.hex()} on {chain_id}: {exc}") from exc
        return TokenView(chain_id, address, self.origin_of(chain_id, address), metadata, supply)

    def balance(self, chain_id: int, token: str | bytes, owner: str | bytes) -> int:
        """``balanceOf(owner)`` of the token on ``chain_id`` (0 if none of it is there)."""
        try:
            address = self.local_address(chain_id, token)
        except MessageNotFound:
            return 0
        return int(self._call(chain_id, address, "erc20", "balanceOf", _as_address(owner)))

    def approve(
        self, key: PrivateKey, chain_id: int, token: Address, spender: Address, amount: int
    ) -> TxReceipt:
        """``approve(spender, amount)``."""
        data = ERC20_ABI.function("approve").encode_call(spender, amount)
        receipt = self.client.chain(chain_id).send_call(key, token, data=data)
        assert isinstance(receipt, TxReceipt)
        return receipt

    def allowance(self, chain_id: int, token: Address, owner: Address, spender: Address) -> int:
        """``allowance(owner, spender)``."""
        return int(self._call(chain_id, token, "erc20", "allowance", owner, spender))
