"""The bridge's formats against AggLayer's: global index vectors of agglayer's
``unified-bridge`` crate, the contract's strict decoding, the claimed bitmap key, token
keys and metadata."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interlace.primitives.abi import abi_encode
from interlace.primitives.exit_tree import exit_leaf_hash
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import Address, Hash32
from interlace.protocol.bridge.errors import InvalidGlobalIndex, MalformedBridgeValue
from interlace.protocol.bridge.format import (
    EMPTY_METADATA_HASH,
    ETH_TOKEN,
    BridgeExit,
    GlobalIndex,
    LeafType,
    TokenInfo,
    TokenMetadata,
    claimed_key,
    decode_global_index,
    decode_token_metadata,
    encode_token_metadata,
    global_exit_root,
    nullifier_key_bits,
)

u32 = st.integers(0, 2**32 - 1)


def test_global_index_vectors_of_agglayer() -> None:
    # unified-bridge/src/global_index.rs, test_global_index
    mainnet = decode_global_index(18446744073709748107)
    assert mainnet == GlobalIndex(True, 0, 196491)
    assert mainnet.source_network == 0
    assert mainnet.encode() == 18446744073709748107
    rollup = decode_global_index(4294968029)
    assert rollup == GlobalIndex(False, 1, 733)
    assert rollup.source_network == 2
    assert rollup.encode() == 4294968029


def test_rollup_index_all_ones_names_no_network() -> None:
    # as agglayer's test_invalid_global_index
    with pytest.raises(InvalidGlobalIndex, match="names no network"):
        decode_global_index(0xFFFFFFFF12345678)


@pytest.mark.parametrize(
    "value",
    [
        2**64 + (5 << 32) + 7,  # mainnet with a rollup index
        2**65 + 7,  # a bit above the mainnet flag
        2**255,
        (1 << 64) | (1 << 200),
    ],
)
def test_unused_bits_make_an_invalid_index(value: int) -> None:
    with pytest.raises(InvalidGlobalIndex, match="unused bits"):
        decode_global_index(value)


def test_out_of_range_index() -> None:
    with pytest.raises(InvalidGlobalIndex):
        decode_global_index(2**256)
    with pytest.raises(InvalidGlobalIndex):
        decode_global_index(-1)


@given(network=st.integers(0, 2**32 - 2), leaf=u32)
def test_global_index_round_trips(network: int, leaf: int) -> None:
    index = GlobalIndex.for_exit(network, leaf)
    assert index.source_network == network
    assert index.leaf_index == leaf
    assert decode_global_index(index.encode()) == index
    # the contract's layout, computed independently
    expected = (2**64 + leaf) if network == 0 else ((network - 1) << 32) + leaf
    assert index.encode() == expected


def test_claimed_key_is_the_contracts() -> None:
    assert claimed_key(2, 0, 9) == 9
    assert claimed_key(2, 3, 9) == 9 + 3 * 2**32
    # on L1, exits of network 1 keep the pre-V2 key
    assert claimed_key(0, 1, 9) == 9
    assert claimed_key(0, 2, 9) == 9 + 2 * 2**32


def test_token_key_bits_are_least_significant_first() -> None:
    token = TokenInfo(0b101, Address(bytes([0x01]) + bytes(18) + bytes([0x80])))
    bits = token.key_bits()
    assert len(bits) == 192
    assert bits[:3] == (True, False, True)
    assert not any(bits[3:32])
    assert bits[32] is True  # bit 0 of the address's first byte
    assert bits[191] is True  # bit 7 of its last byte
    assert sum(bits) == 4


def test_nullifier_key_bits() -> None:
    bits = nullifier_key_bits(3, 1)
    assert bits[:2] == (True, True)
    assert bits[32] is True
    assert sum(bits) == 3


def test_exit_leaf_is_get_leaf_value() -> None:
    token = TokenInfo(0, Address(b"\x11" * 20))
    exit_ = BridgeExit(LeafType.ASSET, token, 2, Address(b"\x22" * 20), 10**18, keccak256(b"m"))
    packed = (
        b"\x00"
        + (0).to_bytes(4, "big")
        + b"\x11" * 20
        + (2).to_bytes(4, "big")
        + b"\x22" * 20
        + (10**18).to_bytes(32, "big")
        + keccak256(b"m")
    )
    assert exit_.leaf_hash() == keccak256(packed)
    assert exit_.leaf_hash() == exit_leaf_hash(
        leaf_type=0,
        origin_network=0,
        origin_address=token.origin_address,
        destination_network=2,
        destination_address=Address(b"\x22" * 20),
        amount=10**18,
        metadata_hash=keccak256(b"m"),
    )


def test_a_message_moves_eth() -> None:
    sender = TokenInfo(3, Address(b"\x33" * 20))
    message = BridgeExit(LeafType.MESSAGE, sender, 0, Address(b"\x44" * 20), 5)
    assert message.amount_token == ETH_TOKEN
    assert message.metadata_hash == EMPTY_METADATA_HASH == keccak256(b"")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"amount": 2**256}, "uint256"),
        ({"amount": -1}, "uint256"),
        ({"destination_network": 2**32}, "uint32"),
        ({"destination_address": Address(b"\x00" * 19)}, "19 bytes"),
    ],
)
def test_exit_fields_out_of_range(kwargs: dict[str, object], match: str) -> None:
    fields: dict[str, object] = {
        "leaf_type": LeafType.ASSET,
        "token": ETH_TOKEN,
        "destination_network": 1,
        "destination_address": Address(b"\x01" * 20),
        "amount": 1,
    }
    fields.update(kwargs)
    with pytest.raises(MalformedBridgeValue, match=match):
        BridgeExit(**fields)  # type: ignore[arg-type]


def test_max_amount_is_a_valid_exit() -> None:
    exit_ = BridgeExit(LeafType.ASSET, ETH_TOKEN, 1, Address(b"\x01" * 20), 2**256 - 1)
    assert len(exit_.leaf_hash()) == 32


def test_global_exit_root() -> None:
    mer, rer = Hash32(b"\x01" * 32), Hash32(b"\x02" * 32)
    assert global_exit_root(mer, rer) == keccak256(mer + rer)


def test_token_metadata_is_abi_encoded() -> None:
    meta = TokenMetadata("Wrapped Ether", "WETH", 18)
    data = encode_token_metadata(meta)
    assert data == abi_encode(["string", "string", "uint8"], ["Wrapped Ether", "WETH", 18])
    assert decode_token_metadata(data) == meta
    with pytest.raises(MalformedBridgeValue, match="token metadata"):
        decode_token_metadata(data[:40])
    with pytest.raises(MalformedBridgeValue, match="uint8"):
        encode_token_metadata(TokenMetadata("a", "b", 256))
