"""ABI declarations against eth-utils' selectors and topics, eth-abi round trips and fuzzing."""

import contextlib
import json
from typing import Any, cast

import pytest
from eth_abi.abi import encode
from eth_utils.abi import (
    event_abi_to_log_topic,
    event_signature_to_log_topic,
    function_abi_to_4byte_selector,
    function_signature_to_4byte_selector,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from interlace.primitives.abi import (
    AbiModule,
    MalformedCalldata,
    abi_decode,
    abi_encode,
    parse_event,
    parse_function,
)
from interlace.primitives.errors import MalformedInput
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import Address

MESSENGER = AbiModule.declare(
    "L2ToL2CrossDomainMessenger",
    functions=[
        "sendMessage(uint256 destination, address target, bytes message) returns (bytes32)",
        (
            "function relayMessage((address origin, uint256 blockNumber, uint256 logIndex,"
            " uint256 timestamp, uint256 chainId) id, bytes sentMessage) external payable"
            " returns (bytes memory returnData)"
        ),
        "messageNonce() view returns (uint256)",
        "checkpoints((uint64,uint64,bytes32)[] items, uint[2] pair, string label) pure",
        "successfulMessages(bytes32) view returns (bool)",
    ],
    events=[
        (
            "SentMessage(uint256 indexed destination, address indexed target,"
            " uint256 indexed nonce, address sender, bytes message)"
        ),
        (
            "RelayedMessage(uint256 indexed source, uint256 indexed messageNonce,"
            " bytes32 indexed messageHash)"
        ),
        "Tagged(string indexed tag, bytes indexed blob, uint256[] indexed ids, uint8 kind)",
    ],
)

CANONICAL = {
    "sendMessage": "sendMessage(uint256,address,bytes)",
    "relayMessage": "relayMessage((address,uint256,uint256,uint256,uint256),bytes)",
    "messageNonce": "messageNonce()",
    "checkpoints": "checkpoints((uint64,uint64,bytes32)[],uint256[2],string)",
    "successfulMessages": "successfulMessages(bytes32)",
}
CANONICAL_EVENTS = {
    "SentMessage": "SentMessage(uint256,address,uint256,address,bytes)",
    "RelayedMessage": "RelayedMessage(uint256,uint256,bytes32)",
    "Tagged": "Tagged(string,bytes,uint256[],uint8)",
}

uint256s = st.integers(0, 2**256 - 1)
addresses = st.binary(min_size=20, max_size=20).map(Address)
bytes32s = st.binary(min_size=32, max_size=32)


@pytest.mark.parametrize(("name", "signature"), CANONICAL.items())
def test_selectors_match_eth_utils(name: str, signature: str) -> None:
    function = MESSENGER.function(name)
    assert function.signature == signature
    assert function.selector == function_signature_to_4byte_selector(signature)
    assert function.selector == function_abi_to_4byte_selector(cast(Any, function.abi_json()))


@pytest.mark.parametrize(("name", "signature"), CANONICAL_EVENTS.items())
def test_topic0_matches_eth_utils(name: str, signature: str) -> None:
    event = MESSENGER.event(name)
    assert event.signature == signature
    assert event.topic0 == event_signature_to_log_topic(signature)
    assert event.topic0 == event_abi_to_log_topic(cast(Any, event.abi_json()))


def test_send_message_selector_is_op_stack() -> None:
    # L2ToL2CrossDomainMessenger.sendMessage in the OP Stack interop predeploy.
    assert MESSENGER.function("sendMessage").selector.hex() == "7056f41f"


def test_state_mutability_and_markers() -> None:
    assert MESSENGER.function("sendMessage").state_mutability == "nonpayable"
    assert MESSENGER.function("relayMessage").state_mutability == "payable"
    assert MESSENGER.function("messageNonce").state_mutability == "view"
    assert MESSENGER.function("checkpoints").state_mutability == "pure"
    assert MESSENGER.function("relayMessage").output_types == ("bytes",)
    assert [p.indexed for p in MESSENGER.event("SentMessage").inputs] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_abi_json_matches_hand_written() -> None:
    expected_function = {
        "type": "function",
        "name": "relayMessage",
        "inputs": [
            {
                "name": "id",
                "type": "tuple",
                "components": [
                    {"name": "origin", "type": "address"},
                    {"name": "blockNumber", "type": "uint256"},
                    {"name": "logIndex", "type": "uint256"},
                    {"name": "timestamp", "type": "uint256"},
                    {"name": "chainId", "type": "uint256"},
                ],
            },
            {"name": "sentMessage", "type": "bytes"},
        ],
        "outputs": [{"name": "returnData", "type": "bytes"}],
        "stateMutability": "payable",
    }
    expected_event = {
        "type": "event",
        "name": "SentMessage",
        "inputs": [
            {"name": "destination", "type": "uint256", "indexed": True},
            {"name": "target", "type": "address", "indexed": True},
            {"name": "nonce", "type": "uint256", "indexed": True},
            {"name": "sender", "type": "address", "indexed": False},
            {"name": "message", "type": "bytes", "indexed": False},
        ],
        "anonymous": False,
    }
    abi = MESSENGER.abi_json()
    assert json.loads(json.dumps(abi)) == abi  # plain JSON, as web3.py loads it
    assert expected_function in abi
    assert expected_event in abi
    assert len(abi) == len(CANONICAL) + len(CANONICAL_EVENTS)
    tuple_array = MESSENGER.function("checkpoints").abi_json()["inputs"][0]
    assert tuple_array["type"] == "tuple[]"
    assert [c["name"] for c in tuple_array["components"]] == ["", "", ""]


@given(uint256s, addresses, st.binary(max_size=300))
def test_call_round_trip(destination: int, target: Address, message: bytes) -> None:
    function = MESSENGER.function("sendMessage")
    calldata = function.encode_call(destination, target, message)
    assert calldata == function.selector + encode(
        ["uint256", "address", "bytes"], [destination, target, message]
    )
    assert MESSENGER.decode_call(calldata) == ("sendMessage", (destination, target, message))
    assert function.decode_call(calldata) == (destination, target, message)


checkpoint_items = st.lists(
    st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), bytes32s), max_size=5
)


@given(checkpoint_items, st.tuples(uint256s, uint256s), st.text(max_size=40))
def test_tuple_array_round_trip(
    items: list[tuple[int, int, bytes]], pair: tuple[int, int], label: str
) -> None:
    calldata = MESSENGER.function("checkpoints").encode_call(items, pair, label)
    name, args = MESSENGER.decode_call(calldata)
    assert name == "checkpoints"
    assert args == (tuple(items), pair, label)


@given(addresses, uint256s, uint256s, st.binary(max_size=100))
def test_nested_address_decodes_to_bytes(
    origin: Address, number: int, chain_id: int, payload: bytes
) -> None:
    function = MESSENGER.function("relayMessage")
    identifier = (origin, number, 0, 1, chain_id)
    calldata = function.encode_call(identifier, payload)
    assert function.decode_call(calldata) == (identifier, payload)
    # eth-abi's checksum-string form encodes identically.
    as_string = ("0x" + origin.hex(), number, 0, 1, chain_id)
    assert function.encode_call(as_string, payload) == calldata
    assert function.decode_return(function.encode_return(payload)) == (payload,)


@given(bytes32s, st.booleans())
def test_return_round_trip(message_hash: bytes, ok: bool) -> None:
    assert MESSENGER.function("sendMessage").decode_return(
        MESSENGER.function("sendMessage").encode_return(message_hash)
    ) == (message_hash,)
    successful = MESSENGER.function("successfulMessages")
    assert successful.decode_return(successful.encode_return(ok)) == (ok,)


@given(uint256s, addresses, uint256s, addresses, st.binary(max_size=200))
def test_log_round_trip(
    destination: int, target: Address, nonce: int, sender: Address, message: bytes
) -> None:
    event = MESSENGER.event("SentMessage")
    topics, data = event.encode_log(destination, target, nonce, sender, message)
    assert topics == (
        event.topic0,
        destination.to_bytes(32, "big"),
        bytes(12) + target,
        nonce.to_bytes(32, "big"),
    )
    assert data == encode(["address", "bytes"], [sender, message])
    values = (destination, target, nonce, sender, message)
    assert event.decode_log(topics, data) == values
    assert MESSENGER.decode_log(list(topics), data) == ("SentMessage", values)


@given(st.text(max_size=50), st.binary(max_size=70), st.lists(uint256s, max_size=4))
def test_indexed_dynamic_values_are_hashed(tag: str, blob: bytes, ids: list[int]) -> None:
    event = MESSENGER.event("Tagged")
    topics, data = event.encode_log(tag, blob, ids, 7)
    assert topics[1] == keccak256(tag.encode())
    assert topics[2] == keccak256(blob)
    assert topics[3] == keccak256(b"".join(i.to_bytes(32, "big") for i in ids))
    assert event.decode_log(topics, data) == (topics[1], topics[2], topics[3], 7)


def test_indexed_struct_in_place_encoding() -> None:
    # Solidity: members in place, each padded to 32 bytes, bytes/string without length.
    event = parse_event("E((uint8,bytes) indexed s, bytes[] indexed list, bool[2] indexed flags)")
    topics, data = event.encode_log((5, b"abc"), [b"x" * 33, b""], [True, False])
    assert data == b""
    word = (5).to_bytes(32, "big")
    assert topics[1] == keccak256(word + b"abc" + bytes(29))
    assert topics[2] == keccak256(b"x" * 33 + bytes(31))
    assert topics[3] == keccak256((1).to_bytes(32, "big") + bytes(32))


def test_anonymous_event() -> None:
    event = parse_event("Anon(address indexed who, uint256 amount) anonymous")
    who = Address(b"\x01" * 20)
    topics, data = event.encode_log(who, 5)
    assert topics == (bytes(12) + who,)
    assert event.decode_log(topics, data) == (who, 5)
    assert event.abi_json()["anonymous"] is True


def test_decode_errors_are_malformed_calldata() -> None:
    send = MESSENGER.function("sendMessage")
    calldata = send.encode_call(1, Address(b"\x02" * 20), b"hello")
    with pytest.raises(MalformedCalldata, match="selector"):
        MESSENGER.decode_call(b"\xde\xad\xbe\xef" + calldata[4:])
    with pytest.raises(MalformedCalldata):
        MESSENGER.decode_call(calldata[:3])
    with pytest.raises(MalformedCalldata):
        MESSENGER.decode_call(calldata[:-40])  # truncated bytes
    with pytest.raises(MalformedCalldata):
        MESSENGER.function("messageNonce").decode_call(calldata)
    bad_address = calldata[:36] + b"\x01" + calldata[37:]  # dirty address padding
    with pytest.raises(MalformedCalldata):
        MESSENGER.decode_call(bad_address)

    event = MESSENGER.event("SentMessage")
    topics, data = event.encode_log(1, Address(b"\x02" * 20), 3, Address(b"\x04" * 20), b"")
    with pytest.raises(MalformedCalldata, match="topics"):
        event.decode_log(topics[:-1], data)
    with pytest.raises(MalformedCalldata):
        event.decode_log((MESSENGER.event("RelayedMessage").topic0, *topics[1:]), data)
    with pytest.raises(MalformedCalldata):
        event.decode_log((topics[0], topics[1], b"\xff" * 32, topics[3]), data)
    with pytest.raises(MalformedCalldata):
        event.decode_log((topics[0], topics[1][:31], topics[2], topics[3]), data)
    with pytest.raises(MalformedCalldata):
        MESSENGER.decode_log([], data)
    with pytest.raises(MalformedCalldata):
        MESSENGER.decode_log([b"\x00" * 32], data)
    with pytest.raises(MalformedCalldata):
        event.decode_log(topics, data[:-1])
    with pytest.raises(MalformedCalldata):
        abi_decode(["string"], abi_encode(["bytes"], [b"\xff\xfe"]))  # not UTF-8


FUZZ_TYPES = [
    ["uint256", "address", "bytes"],
    ["string"],
    ["bytes[]", "bool"],
    ["(uint64,uint64,bytes32)[]", "uint256[2]", "string"],
    ["(address,uint256,uint256,uint256,uint256)", "bytes"],
    ["uint256[][]", "int8", "bytes4"],
    ["(bytes,string[])[2]"],
]


@given(st.sampled_from(FUZZ_TYPES), st.binary(max_size=400))
@settings(max_examples=500)
def test_random_bytes_raise_only_malformed_calldata(types: list[str], data: bytes) -> None:
    with contextlib.suppress(MalformedCalldata):
        abi_decode(types, data)


@given(st.binary(max_size=400))
@settings(max_examples=300)
def test_random_calldata_raises_only_malformed_calldata(data: bytes) -> None:
    for selector in (b"", *(f.selector for f in MESSENGER.functions.values())):
        with contextlib.suppress(MalformedCalldata):
            MESSENGER.decode_call(selector + data)


@given(
    st.lists(st.binary(min_size=0, max_size=40), max_size=5),
    st.binary(max_size=200),
    st.sampled_from(sorted(CANONICAL_EVENTS)),
)
@settings(max_examples=300)
def test_random_logs_raise_only_malformed_calldata(
    raw_topics: list[bytes], data: bytes, name: str
) -> None:
    event = MESSENGER.event(name)
    for topics in (raw_topics, [event.topic0, *raw_topics]):
        with contextlib.suppress(MalformedCalldata):
            event.decode_log(topics, data)
        with contextlib.suppress(MalformedCalldata):
            MESSENGER.decode_log(topics, data)


def test_malformed_calldata_is_malformed_input() -> None:
    assert issubclass(MalformedCalldata, MalformedInput)


@pytest.mark.parametrize(
    "signature",
    [
        "f(uint7)",
        "f(uint256",
        "f(foo x)",
        "f(uint256 indexed x)",
        "f(uint256 a b)",
        "f() returns uint256",
        "f() cheap",
        "f(uint256[x])",
        "1f()",
    ],
)
def test_bad_declarations_raise_value_error(signature: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - one error kind for every bad declaration
        parse_function(signature)


def test_bad_module_declarations() -> None:
    with pytest.raises(ValueError, match="twice"):
        AbiModule.declare("M", functions=["f(uint256)", "f(address)"])
    with pytest.raises(ValueError, match="indexed"):
        parse_event("E(uint8 indexed a, uint8 indexed b, uint8 indexed c, uint8 indexed d)")
    with pytest.raises(ValueError, match="event"):
        parse_event("E(uint8 a) view")
    with pytest.raises(KeyError):
        MESSENGER.function("nope")
    with pytest.raises(KeyError):
        MESSENGER.event("nope")


def test_encoding_misuse_raises_value_error() -> None:
    send = MESSENGER.function("sendMessage")
    bad_calls: list[tuple[Any, ...]] = [
        (1, Address(b"\x00" * 20)),
        (-1, Address(b"\x00" * 20), b""),
        (1, b"\x00" * 19, b""),
        (1, Address(b"\x00" * 20), "not bytes"),
    ]
    for args in bad_calls:
        with pytest.raises(ValueError):  # noqa: PT011 - any misfit value
            send.encode_call(*args)
    with pytest.raises(ValueError, match="takes"):
        MESSENGER.event("SentMessage").encode_log(1)
    with pytest.raises(ValueError):  # noqa: PT011
        MESSENGER.event("Tagged").encode_log(b"not a str", b"", [], 1)


def test_unnamed_and_aliased_parameters() -> None:
    function = parse_function("transfer(address,uint)")
    assert function.signature == "transfer(address,uint256)"
    assert function.selector.hex() == "a9059cbb"  # ERC-20 transfer
    assert [p.name for p in function.inputs] == ["", ""]
    event = parse_event("event Transfer(address indexed from, address indexed to, uint value)")
    assert event.topic0.hex() == (
        "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    )
