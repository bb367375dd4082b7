"""The live message codec: every project message round-trips, foreign bytes raise typed errors."""

import contextlib
import dataclasses
import enum
import types
import typing
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlace.primitives.errors import MalformedInput
from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.receipt import Log, Receipt, logs_bloom
from interlace.primitives.tx import (
    DepositTransaction,
    DynamicFeeTransaction,
    LegacyTransaction,
    UnsignedLegacyTransaction,
    sign_dynamic_fee,
    sign_transaction,
)
from interlace.primitives.types import U8, U64, U256, Address, ChainId, Hash32
from interlace.protocol.chain.block import Block
from interlace.protocol.l1.genesis import L1_CONFIG, L1Genesis, build_l1_genesis
from interlace.roles.base import Message
from interlace.roles.messages import (
    BlockGossip,
    HubBlockPublished,
    L1BlockPublished,
    SetByzantine,
    StatusChange,
)
from interlace.runtime.live.codec import (
    MalformedMessage,
    UnsupportedField,
    check_codec,
    decode_message,
    encode_message,
    message_classes,
)

KEY = private_key_from_seed(b"codec-test")


@cache
def _transactions() -> tuple[Any, ...]:
    signed = sign_dynamic_fee(
        KEY,
        chain_id=901,
        nonce=3,
        to=Address(b"\x11" * 20),
        gas_limit=21_000,
        max_priority_fee_per_gas=1,
        max_fee_per_gas=10**9,
        value=5,
    )
    legacy = sign_transaction(
        UnsignedLegacyTransaction(
            nonce=U64(0),
            gas_price=U256(10**9),
            gas_limit=U64(21_000),
            to=None,
            value=U256(0),
            data=b"\x60\x00",
            chain_id=ChainId(901),
        ),
        KEY,
    )
    deposit = DepositTransaction(
        source_hash=Hash32(b"\x01" * 32),
        sender=Address(b"\x02" * 20),
        to=Address(b"\x03" * 20),
        mint=U256(10),
        value=U256(1),
        gas_limit=U64(100_000),
        is_system_transaction=False,
        data=b"\xaa",
    )
    return (signed, legacy, deposit)


@cache
def _blocks() -> tuple[Block, ...]:
    header, _state = build_l1_genesis(L1Genesis(L1_CONFIG, {}, []))
    return (Block(header, ()), Block(header, _transactions()))


def _receipts() -> st.SearchStrategy[Receipt]:
    logs = st.lists(
        st.builds(
            Log,
            st.binary(min_size=20, max_size=20),
            st.lists(st.binary(min_size=32, max_size=32), max_size=4).map(tuple),
            st.binary(max_size=64),
        ),
        max_size=3,
    ).map(tuple)
    return st.builds(
        lambda ok, gas, ls: Receipt(U8(2), ok, U64(gas), logs_bloom(ls), ls),
        st.booleans(),
        st.integers(0, 2**64 - 1),
        logs,
    )


_NEWTYPES: dict[object, st.SearchStrategy[Any]] = {
    Hash32: st.binary(min_size=32, max_size=32),
    Address: st.binary(min_size=20, max_size=20),
    U64: st.integers(0, 2**64 - 1),
    U256: st.integers(0, 2**256 - 1),
    ChainId: st.integers(1, 2**64 - 1),
}


def strategy_for(tp: object) -> st.SearchStrategy[Any]:
    """Random values of a message field type (mirrors what the codec supports)."""
    if tp in _NEWTYPES:
        return _NEWTYPES[tp]
    if isinstance(tp, typing.NewType):
        return strategy_for(tp.__supertype__)
    if tp is Block:
        return st.sampled_from(_blocks())
    if tp is Receipt:
        return _receipts()
    if tp in (DynamicFeeTransaction, LegacyTransaction, DepositTransaction):
        return st.sampled_from([t for t in _transactions() if isinstance(t, tp)])  # type: ignore[arg-type]
    simple: dict[object, st.SearchStrategy[Any]] = {
        type(None): st.none(),
        bool: st.booleans(),
        int: st.integers(-(2**70), 2**70),
        bytes: st.binary(max_size=80),
        str: st.text(max_size=20),
        float: st.floats(allow_nan=False),
    }
    if tp in simple:
        return simple[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        if set(args) <= {DynamicFeeTransaction, LegacyTransaction, DepositTransaction}:
            return st.sampled_from(_transactions())
        return st.one_of(*(strategy_for(a) for a in args))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy_for(args[0]), max_size=3).map(tuple)
        return st.tuples(*(strategy_for(a) for a in args))
    if origin is frozenset:
        return st.frozensets(strategy_for(args[0]), max_size=3)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return st.builds(
            tp,
            **{f.name: strategy_for(hints[f.name]) for f in dataclasses.fields(tp) if f.init},
        )
    if tp is Message:
        return st.just(SetByzantine(True, 2))
    raise AssertionError(f"no strategy for {tp!r}")


ALL_MESSAGES = sorted(message_classes().items())


def test_registry_finds_the_role_messages() -> None:
    names = {cls.__name__ for _name, cls in ALL_MESSAGES}
    assert {"L1BlockPublished", "BlockGossip", "SubmitTransaction", "SetByzantine"} <= names


@pytest.mark.parametrize(("name", "cls"), ALL_MESSAGES, ids=[n for n, _c in ALL_MESSAGES])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_message_round_trips(name: str, cls: type[Message], data: st.DataObject) -> None:
    message = data.draw(strategy_for(cls))
    raw = encode_message(message)
    assert decode_message(raw) == message
    assert encode_message(decode_message(raw)) == raw


def test_blocks_keep_their_hash_and_transactions() -> None:
    block = _blocks()[1]
    message = L1BlockPublished(block, (), 1, 0, None)
    decoded = decode_message(encode_message(message))
    assert isinstance(decoded, L1BlockPublished)
    assert decoded.block.hash == block.hash
    assert [t.raw for t in decoded.block.transactions] == [t.raw for t in block.transactions]


@dataclasses.dataclass(frozen=True, slots=True)
class _LateMessage(Message):
    """A message class defined outside interlace.roles (as a test or a new role would)."""

    level: int
    mode: str
    extra: tuple[tuple[int, bytes], ...] = ()
    nested: Message | None = None
    tags: frozenset[int] = frozenset()


def test_classes_defined_later_are_picked_up() -> None:
    message = _LateMessage(-3, "x", ((1, b"a"),), BlockGossip(901, b"env"), frozenset({1, 2}))
    assert decode_message(encode_message(message)) == message


def test_unsupported_field_types_are_named() -> None:
    @dataclasses.dataclass(frozen=True)
    class Bad(Message):
        anything: dict[str, int]

    with pytest.raises(UnsupportedField, match=r"anything"):
        check_codec(Bad)


def test_checked_newtypes_are_checked_on_decode() -> None:
    @dataclasses.dataclass(frozen=True)
    class WithHash(Message):
        h: Hash32

    raw = encode_message(WithHash(Hash32(b"\x01" * 31)))  # encoding does not check
    with pytest.raises(MalformedMessage):
        decode_message(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x80",
        b"\xc0",
        b"\xc2\x80\x80",
        b"\xc8\x87os:path\xc0",  # not a registered message: nothing is looked up by name
        b"\xff" * 10,
    ],
)
def test_foreign_bytes_raise_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedInput):
        decode_message(raw)


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from(
        [
            encode_message(HubBlockPublished(b"abc", (StatusChange(1, 2, b"x", 3, 4),), (5,))),
            encode_message(SetByzantine(True, 3)),
        ]
    ),
    position=st.integers(0, 200),
    byte=st.integers(0, 255),
    cut=st.booleans(),
)
def test_mutated_messages_raise_only_malformed(
    base: bytes, position: int, byte: int, cut: bool
) -> None:
    raw = bytearray(base)
    if cut:
        raw = raw[: position % max(len(raw), 1)]
    else:
        raw[position % len(raw)] = byte
    with contextlib.suppress(MalformedMessage):
        decode_message(bytes(raw))
