"""The one reader of what a rollup block declares: its rules, its typed errors, and its
fast paths (the in-place origin read, the undecoded deposits) against the readable rules
on honest, random and mutated transactions."""

import dataclasses
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlace.primitives.rlp_codec import decode_rlp, encode_rlp
from interlace.primitives.tx import DepositTransaction, decode_transaction
from interlace.primitives.types import U64, U256, ZERO_HASH, Address, Hash32
from interlace.protocol.interop.messenger import (
    HUB_CLIENT_ABI,
    HUB_CLIENT_ADDRESS,
    MESSENGER_ADDRESS,
    Dependency,
    dependency_deposit,
    hub_update_deposit,
)
from interlace.protocol.rollup.declaration import (
    BlockDeclaration,
    DeclaredOrigin,
    InvalidDeclaration,
    MalformedDeclaration,
    _hub_update,
    _read_origin_decoded,
    _read_origin_in_place,
    read_batch_content,
    read_declaration,
    read_dependencies,
    read_origin,
)
from interlace.protocol.rollup.derivation import BatchBlock, L1Origin, attributes_deposit
from interlace.protocol.rollup.predeploys import L1_BLOCK_ABI
from tests.protocol.support import ALICE, BOB, transfer

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ORIGIN = L1Origin(U64(7), Hash32(b"\x07" * 32), U64(84), U256(10**9))

origins = st.builds(
    L1Origin,
    st.integers(0, 2**64 - 1).map(U64),
    st.binary(min_size=32, max_size=32).map(Hash32),
    st.integers(0, 2**64 - 1).map(U64),
    st.integers(0, 2**256 - 1).map(U256),
)
sequences = st.integers(0, 2**64 - 1)


def _reference(raw: bytes) -> DeclaredOrigin | InvalidDeclaration:
    """The readable rule's verdict: the origin, or the error it raised."""
    try:
        return _read_origin_decoded(raw)
    except InvalidDeclaration as exc:
        return exc


def _assert_fast_agrees(raw: bytes) -> None:
    """Whenever the in-place read answers, the readable rule gives the same origin, and
    the public reader gives one or the other's verdict, never a third."""
    fast = _read_origin_in_place(raw)
    reference = _reference(raw)
    if fast is not None:
        assert reference == fast
    if isinstance(reference, InvalidDeclaration):
        with pytest.raises(type(reference), match=re.escape(str(reference))):
            read_origin((raw,))
    else:
        assert read_origin((raw,)) == reference


# ---- the L1Origin -----------------------------------------------------------------------


@FAST
@given(origin=origins, sequence=sequences)
def test_the_in_place_read_answers_every_honest_deposit(origin: L1Origin, sequence: int) -> None:
    raw = attributes_deposit(origin, sequence).raw
    expected = DeclaredOrigin(origin, U64(sequence))
    assert _read_origin_in_place(raw) == expected  # the hot path never falls back on it
    assert _read_origin_decoded(raw) == expected
    _name, args = L1_BLOCK_ABI.decode_call(decode_transaction(raw).data)
    assert (args[0], args[3]) == (origin.number, origin.hash)


@FAST
@given(raw=st.binary(max_size=400))
def test_the_in_place_read_agrees_on_random_bytes(raw: bytes) -> None:
    _assert_fast_agrees(raw)
    _assert_fast_agrees(b"\x7e" + raw)


@FAST
@given(
    origin=origins,
    sequence=sequences,
    position=st.integers(0, 400),
    byte=st.integers(0, 255),
    cut=st.integers(0, 400),
)
def test_the_in_place_read_agrees_on_mutated_deposits(
    origin: L1Origin, sequence: int, position: int, byte: int, cut: int
) -> None:
    raw = attributes_deposit(origin, sequence).raw
    position %= len(raw)
    _assert_fast_agrees(raw[:position] + bytes([byte]) + raw[position + 1 :])
    _assert_fast_agrees(raw[: cut % len(raw)])
    _assert_fast_agrees(raw + bytes([byte]))


@FAST
@given(
    origin=origins,
    sequence=sequences,
    field=st.integers(0, 7),
    value=st.one_of(st.binary(max_size=40), st.just([])),
    word=st.integers(0, 7),
    word_value=st.binary(min_size=32, max_size=32),
)
def test_the_in_place_read_agrees_on_deposits_with_a_field_replaced(
    *, origin: L1Origin, sequence: int, field: int, value: bytes, word: int, word_value: bytes
) -> None:
    """Well-formed RLP with one field (or one calldata word) changed: the shapes a
    careless or hostile sequencer signs, which the hub's hot path must not wave through."""
    raw = attributes_deposit(origin, sequence).raw
    fields = decode_rlp(raw[1:])
    assert isinstance(fields, list)
    replaced = list(fields)
    replaced[field] = value
    _assert_fast_agrees(b"\x7e" + encode_rlp(replaced))
    data = fields[7]
    assert isinstance(data, bytes)
    start = 4 + 32 * word
    patched = [*fields[:7], data[:start] + word_value + data[start + 32 :]]
    _assert_fast_agrees(b"\x7e" + encode_rlp(patched))


def test_each_rule_of_the_attributes_deposit_names_what_failed() -> None:
    honest = attributes_deposit(ORIGIN, 3)
    assert read_origin((honest.raw,)) == DeclaredOrigin(ORIGIN, U64(3))
    cases: list[tuple[tuple[bytes, ...], type[InvalidDeclaration], str]] = [
        ((), InvalidDeclaration, "no transaction 0"),
        ((transfer(ALICE, 0, BOB.address).raw,), InvalidDeclaration, "not a deposit"),
        ((b"\x7e\xc0",), MalformedDeclaration, "transaction 0: "),
        (
            (dataclasses.replace(honest, sender=BOB.address).raw,),
            InvalidDeclaration,
            "not from the L1-attributes depositor",
        ),
        (
            (dataclasses.replace(honest, to=MESSENGER_ADDRESS).raw,),
            InvalidDeclaration,
            "to L1Block",
        ),
        (
            (dataclasses.replace(honest, data=b"\x12\x34\x56\x78").raw,),
            InvalidDeclaration,
            "not an L1Block call",
        ),
        (
            (dataclasses.replace(honest, data=L1_BLOCK_ABI.function("number").encode_call()).raw,),
            InvalidDeclaration,
            "calls L1Block.number",
        ),
        (
            (dataclasses.replace(honest, data=honest.data + bytes(32)).raw,),
            InvalidDeclaration,
            "292 bytes, not 260",
        ),
        (
            (dataclasses.replace(honest, source_hash=ZERO_HASH).raw,),
            InvalidDeclaration,
            "source hash",
        ),
    ]
    for transactions, error, message in cases:
        with pytest.raises(error, match=message) as caught:
            read_origin(transactions)
        assert type(caught.value) is error


def test_a_deposit_off_the_canonical_form_is_judged_by_the_readable_rule() -> None:
    """Gas, mint or the system flag other than derivation's: not the hot path's to judge."""
    honest = attributes_deposit(ORIGIN, 0)
    for odd in (
        dataclasses.replace(honest, gas_limit=U64(2_000_000)),
        dataclasses.replace(honest, is_system_transaction=True),
    ):
        assert _read_origin_in_place(odd.raw) is None
        assert read_origin((odd.raw,)) == DeclaredOrigin(ORIGIN, U64(0))


# ---- the dependencies -------------------------------------------------------------------

DEPS = (
    Dependency(902, 5, Hash32(b"\x05" * 32)),
    Dependency(903, 1, Hash32(b"\x01" * 32)),
)


def test_transaction_one_declares_the_dependencies() -> None:
    attributes = attributes_deposit(ORIGIN, 0).raw
    declaration = dependency_deposit(Hash32(b"\xaa" * 32), DEPS).raw
    assert read_dependencies((attributes, declaration)) == DEPS
    assert read_dependencies((attributes,)) == ()
    assert read_dependencies(()) == ()
    # Not a declaration: a user transaction, a hub update, or a declaration further down.
    user = transfer(ALICE, 0, BOB.address).raw
    assert read_dependencies((attributes, user, declaration)) == ()
    assert read_dependencies((attributes, hub_update_deposit(b"hub").raw)) == ()


def test_a_malformed_dependency_declaration_is_refused() -> None:
    attributes = attributes_deposit(ORIGIN, 0).raw
    with pytest.raises(MalformedDeclaration, match="transaction 1: "):
        read_dependencies((attributes, b"\x7e\xc0"))
    declaration = dependency_deposit(Hash32(b"\xaa" * 32), DEPS)
    cut = dataclasses.replace(declaration, data=declaration.data[:40])
    with pytest.raises(MalformedDeclaration, match="dependency list"):
        read_dependencies((attributes, cut.raw))


# ---- the batch entry --------------------------------------------------------------------


def _user_deposit(data: bytes, to: Address = BOB.address) -> bytes:
    return DepositTransaction(
        source_hash=Hash32(b"\x09" * 32),
        sender=ALICE.address,
        to=to,
        mint=U256(5),
        value=U256(0),
        gas_limit=U64(100_000),
        is_system_transaction=False,
        data=data,
    ).raw


_UPDATE_HUB = HUB_CLIENT_ABI.function("updateHub").selector
deposits = st.one_of(
    st.binary(max_size=80).map(hub_update_deposit).map(lambda tx: tx.raw),
    st.binary(max_size=80).map(_user_deposit),
    # Calldata that carries the selector without being a hub update, or a broken one.
    st.binary(max_size=40).map(lambda d: _user_deposit(_UPDATE_HUB + d)),
    st.binary(max_size=40).map(lambda d: _user_deposit(_UPDATE_HUB + d, HUB_CLIENT_ADDRESS)),
    st.binary(max_size=40).map(lambda d: b"\x7e" + _UPDATE_HUB + d),
    st.binary(max_size=60).map(lambda d: b"\x7e" + d),
)


@FAST
@given(
    middle=st.lists(
        st.one_of(deposits, st.integers(0, 5).map(lambda n: transfer(ALICE, n, BOB.address).raw)),
        max_size=6,
    )
)
def test_undecoded_deposits_are_never_hub_updates(middle: list[bytes]) -> None:
    """The batch entry skips decoding a deposit without the updateHub selector; decoding
    every one (the readable rule) finds the same entry."""
    transactions = (attributes_deposit(ORIGIN, 0).raw, *middle)
    decoded_hubs = []
    for raw in middle:
        if raw[:1] == b"\x7e":
            found = _hub_update(raw)
            if found is not None:
                decoded_hubs.append(found)
    users = tuple(raw for raw in middle if raw[:1] != b"\x7e")
    assert read_batch_content(transactions) == (users, tuple(decoded_hubs))


def test_the_declaration_of_a_built_block() -> None:
    attributes = attributes_deposit(ORIGIN, 2).raw
    declaration = dependency_deposit(Hash32(b"\xaa" * 32), DEPS).raw
    hub = hub_update_deposit(b"signed hub block").raw
    user = transfer(ALICE, 0, BOB.address).raw
    user_deposit = _user_deposit(b"")
    declared = read_declaration((attributes, declaration, hub, user_deposit, user))
    assert declared == BlockDeclaration(
        DeclaredOrigin(ORIGIN, U64(2)), DEPS, (user,), (b"signed hub block",)
    )
    assert declared.batch_entry(12, 96) == BatchBlock(
        U64(12), U64(96), ORIGIN.number, ORIGIN.hash, (user,), (b"signed hub block",)
    )
