"""The unified bridge's formats, as AggLayer's LxLy bridge has them.

Network ids are AggLayer's: 0 is L1 ("mainnet"), rollups count from 1 in registration
order. A rollup's *rollup index* is its network id minus one; it is the leaf of its local
exit root in the rollup exit tree.

- ``GlobalIndex``: ``uint256`` with 191 zero bits ‖ mainnet flag (bit 64) ‖ 32-bit rollup
  index ‖ 32-bit leaf index (``PolygonZkEVMBridgeV2._verifyLeaf``; ``GlobalIndex`` in
  agglayer's ``unified-bridge``). Decoding is as strict as the contract: any other bit set
  is an invalid index.
- ``TokenInfo``: a token's identity everywhere, (origin network, origin token address);
  ETH is (0, 0x00…00). Its key in a chain's local balance tree is 192 bits: the network
  id's 32 bits then the address's 160, each least significant bit first
  (``ToBits<192> for TokenInfo``).
- ``BridgeExit``: one leaf of a local exit tree; its hash is ``exit_leaf_hash``
  (``getLeafValue``), with ``keccak256("")`` as the metadata hash of an exit without
  metadata.
- The global exit root is ``keccak256(mainnetExitRoot ‖ rollupExitRoot)``
  (``GlobalExitRootLib.calculateGlobalExitRoot``).
- The claimed bitmap's key is ``leafIndex + sourceNetwork · 2^32``, except on L1 for
  exits of network 1, keyed by the leaf index alone (the contract's "consistency with the
  previous set nullifiers" rule, kept so that keys match theirs).
- Token metadata is ``abi.encode(string name, string symbol, uint8 decimals)``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from interlace.primitives.abi import abi_decode, abi_encode
from interlace.primitives.errors import MalformedInput
from interlace.primitives.exit_tree import LEAF_TYPE_ASSET, LEAF_TYPE_MESSAGE, exit_leaf_hash
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import ZERO_ADDRESS, Address, Hash32
from interlace.protocol.bridge.errors import InvalidGlobalIndex, MalformedBridgeValue

__all__ = [
    "EMPTY_METADATA_HASH",
    "ETH_TOKEN",
    "MAINNET_NETWORK_ID",
    "MAX_LEAFS_PER_NETWORK",
    "BridgeExit",
    "GlobalIndex",
    "LeafType",
    "TokenInfo",
    "TokenMetadata",
    "claimed_key",
    "decode_global_index",
    "decode_token_metadata",
    "encode_token_metadata",
    "global_exit_root",
    "nullifier_key_bits",
]

MAINNET_NETWORK_ID: Final = 0
"""L1's network id (``_MAINNET_NETWORK_ID``)."""

_ZKEVM_NETWORK_ID: Final = 1
MAX_LEAFS_PER_NETWORK: Final = 2**32
"""``_MAX_LEAFS_PER_NETWORK``: the claimed bitmap's stride per source network."""

_GLOBAL_INDEX_MAINNET_FLAG: Final = 2**64
_U32: Final = 2**32 - 1
_U256: Final = 2**256 - 1

EMPTY_METADATA_HASH: Final = keccak256(b"")
"""Metadata hash of an exit with empty metadata (ETH, messages without data)."""


class LeafType(IntEnum):
    """``leafType``: an asset transfer (``bridgeAsset``) or a message (``bridgeMessage``)."""

    ASSET = LEAF_TYPE_ASSET
    MESSAGE = LEAF_TYPE_MESSAGE


def _check_network(network: int, what: str) -> None:
    if not 0 <= network <= _U32:
        raise MalformedBridgeValue(f"{what} {network} is not a uint32")


@dataclass(frozen=True, slots=True)
class GlobalIndex:
    """Where an exit sits: L1's exit tree (mainnet) or rollup ``rollup_index``'s, at
    ``leaf_index``."""

    mainnet: bool
    rollup_index: int
    """The source rollup's network id minus one; 0 when ``mainnet``."""
    leaf_index: int

    def __post_init__(self) -> None:
        if not 0 <= self.leaf_index <= _U32:
            raise InvalidGlobalIndex(f"leaf index {self.leaf_index} is not a uint32")
        if self.mainnet and self.rollup_index != 0:
            raise InvalidGlobalIndex("a mainnet global index has rollup index 0")
        if not 0 <= self.rollup_index < _U32:
            raise InvalidGlobalIndex(f"rollup index {self.rollup_index} names no network")

    @classmethod
    def for_exit(cls, source_network: int, leaf_index: int) -> "GlobalIndex":
        """The index of leaf ``leaf_index`` of ``source_network``'s local exit tree."""
        _check_network(source_network, "source network")
        if source_network == MAINNET_NETWORK_ID:
            return cls(True, 0, leaf_index)
        return cls(False, source_network - 1, leaf_index)

    @property
    def source_network(self) -> int:
        """The network whose exit tree holds the leaf."""
        return MAINNET_NETWORK_ID if self.mainnet else self.rollup_index + 1

    def encode(self) -> int:
        """The ``uint256`` the bridge's ``claimAsset``/``claimMessage`` take."""
        if self.mainnet:
            return _GLOBAL_INDEX_MAINNET_FLAG + self.leaf_index
        return (self.rollup_index << 32) + self.leaf_index


def decode_global_index(value: int) -> GlobalIndex:
    """Read a ``uint256`` global index as the contract does, refusing any unused bit set.

    Raises ``InvalidGlobalIndex`` naming the value.
    """
    if not 0 <= value <= _U256:
        raise InvalidGlobalIndex(f"global index {value} is not a uint256")
    leaf_index = value & _U32
    if value & _GLOBAL_INDEX_MAINNET_FLAG:
        if value != _GLOBAL_INDEX_MAINNET_FLAG + leaf_index:
            raise InvalidGlobalIndex(f"global index {value:#x} has unused bits set")
        return GlobalIndex(True, 0, leaf_index)
    rollup_index = (value >> 32) & _U32
    if value != (rollup_index << 32) + leaf_index:
        raise InvalidGlobalIndex(f"global index {value:#x} has unused bits set")
    if rollup_index == _U32:
        raise InvalidGlobalIndex(f"global index {value:#x}: rollup index 2^32-1 names no network")
    return GlobalIndex(False, rollup_index, leaf_index)


def claimed_key(claiming_network: int, source_network: int, leaf_index: int) -> int:
    """The claimed bitmap's key for an exit of ``source_network`` at ``leaf_index`` claimed on
    ``claiming_network`` (``_setAndCheckClaimed``); bit ``key % 256`` of word ``key >> 8``."""
    if claiming_network == MAINNET_NETWORK_ID and source_network == _ZKEVM_NETWORK_ID:
        return leaf_index
    return leaf_index + source_network * MAX_LEAFS_PER_NETWORK


def nullifier_key_bits(source_network: int, leaf_index: int) -> tuple[bool, ...]:
    """The 64-bit key of an imported exit in a chain's nullifier tree: the source network's
    32 bits then the leaf index's, least significant first (``ToBits<64> for
    NullifierKey``)."""
    packed = source_network | (leaf_index << 32)
    return tuple(bool((packed >> i) & 1) for i in range(64))


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token's one identity on every chain: where it was created and its address there."""

    origin_network: int
    origin_address: Address

    def __post_init__(self) -> None:
        _check_network(self.origin_network, "origin network")
        if len(self.origin_address) != 20:
            raise MalformedBridgeValue(
                f"token address is {len(self.origin_address)} bytes, expected 20"
            )

    @property
    def is_eth(self) -> bool:
        """Whether this is ETH (L1's native asset, address zero)."""
        return self.origin_address == ZERO_ADDRESS

    def key_bits(self) -> tuple[bool, ...]:
        """The token's 192-bit key in a local balance tree."""
        network_bits = tuple(bool((self.origin_network >> i) & 1) for i in range(32))
        address_bits = tuple(
            bool((byte >> i) & 1) for byte in self.origin_address for i in range(8)
        )
        return network_bits + address_bits

    def __str__(self) -> str:
        return f"token 0x{self.origin_address.hex()} of network {self.origin_network}"


ETH_TOKEN: Final = TokenInfo(MAINNET_NETWORK_ID, ZERO_ADDRESS)
"""ETH: origin network 0, token address zero (agglayer's ``L1_ETH``)."""


@dataclass(frozen=True, slots=True)
class BridgeExit:
    """One leaf of a chain's local exit tree, as ``BridgeEvent`` announces it."""

    leaf_type: LeafType
    token: TokenInfo
    """For an asset: the token moved. For a message: (source network, sender)."""
    destination_network: int
    destination_address: Address
    amount: int
    """Token units for an asset; wei of ETH carried by a message."""
    metadata_hash: Hash32 = EMPTY_METADATA_HASH
    """keccak256 of the metadata bytes (token metadata, or the message's data)."""

    def __post_init__(self) -> None:
        _check_network(self.destination_network, "destination network")
        if len(self.destination_address) != 20:
            raise MalformedBridgeValue(
                f"destination address is {len(self.destination_address)} bytes, expected 20"
            )
        if not 0 <= self.amount <= _U256:
            raise MalformedBridgeValue(f"amount {self.amount} is not a uint256")

    def leaf_fields(self) -> tuple[int, int, Address, int, Address, int]:
        """(leafType, originNetwork, originAddress, destinationNetwork, destinationAddress,
        amount): the leaf's fields before its metadata, in the order of ``BridgeEvent``,
        ``getLeafValue`` and the claim calls."""
        return (
            int(self.leaf_type),
            self.token.origin_network,
            self.token.origin_address,
            self.destination_network,
            self.destination_address,
            self.amount,
        )

    @classmethod
    def from_leaf_fields(cls, fields: Sequence[Any], metadata_hash: Hash32) -> "BridgeExit":
        """The exit with ``leaf_fields()`` ``fields`` (decoded ABI values) and the metadata
        hash; ``MalformedBridgeValue`` or ``ValueError`` if a field is out of range."""
        leaf_type, origin_network, origin, destination, to, amount = fields
        return cls(
            LeafType(int(leaf_type)),
            TokenInfo(int(origin_network), Address(bytes(origin))),
            int(destination),
            Address(bytes(to)),
            int(amount),
            Hash32(bytes(metadata_hash)),
        )

    def leaf_hash(self) -> Hash32:
        """The exit's leaf in its local exit tree (``getLeafValue``)."""
        return exit_leaf_hash(
            leaf_type=int(self.leaf_type),
            origin_network=self.token.origin_network,
            origin_address=self.token.origin_address,
            destination_network=self.destination_network,
            destination_address=self.destination_address,
            amount=self.amount,
            metadata_hash=self.metadata_hash,
        )

    @property
    def amount_token(self) -> TokenInfo:
        """The token whose balance the exit moves: ETH for a message (its value)."""
        return ETH_TOKEN if self.leaf_type is LeafType.MESSAGE else self.token


def global_exit_root(mainnet_exit_root: Hash32, rollup_exit_root: Hash32) -> Hash32:
    """``keccak256(mainnetExitRoot ‖ rollupExitRoot)``."""
    return keccak256(mainnet_exit_root + rollup_exit_root)


@dataclass(frozen=True, slots=True)
class TokenMetadata:
    """What a wrapped token copies from its origin."""

    name: str
    symbol: str
    decimals: int


def encode_token_metadata(metadata: TokenMetadata) -> bytes:
    """``abi.encode(string name, string symbol, uint8 decimals)``."""
    if not 0 <= metadata.decimals < 256:
        raise MalformedBridgeValue(f"decimals {metadata.decimals} is not a uint8")
    return abi_encode(
        ["string", "string", "uint8"], [metadata.name, metadata.symbol, metadata.decimals]
    )


def decode_token_metadata(data: bytes) -> TokenMetadata:
    """Read ``abi.encode(string, string, uint8)``; raises ``MalformedBridgeValue``."""
    try:
        name, symbol, decimals = abi_decode(["string", "string", "uint8"], data)
    except MalformedInput as exc:
        raise MalformedBridgeValue(f"token metadata: {exc}") from exc
    return TokenMetadata(str(name), str(symbol), int(decimals))
