"""Typed transactions against eth-account, OP deposit vectors, and hostile input.

eth-account is the reference for legacy, EIP-2930 and EIP-1559: its signed
bytes must decode unchanged, to the same sender and hash, and our signer must
reproduce them byte for byte. Deposits are checked against vectors from the
OP Stack specs, contracts and viem. Arbitrary and mutated bytes must raise
nothing but ``InterlaceError`` subclasses.
"""

import contextlib
from typing import Any

import pytest
import rlp
from eth_account import Account
from eth_utils.address import to_checksum_address
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from interlace.primitives import tx as tx_module
from interlace.primitives.errors import (
    InterlaceError,
    InvalidSignature,
    MalformedTransaction,
    WrongChainId,
)
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import SECP256K1_N, PrivateKey
from interlace.primitives.tx import (
    AccessListEntry,
    AccessListTransaction,
    DepositTransaction,
    DynamicFeeTransaction,
    LegacyTransaction,
    UnsignedAccessListTransaction,
    UnsignedDynamicFeeTransaction,
    UnsignedLegacyTransaction,
    UnsignedTransaction,
    decode_transaction,
    encode_transaction,
    l1_info_deposit_source_hash,
    sign_transaction,
    signing_hash,
    upgrade_deposit_source_hash,
    user_deposit_source_hash,
)
from interlace.primitives.types import (
    U8,
    U64,
    U64_MAX,
    U256,
    U256_MAX,
    Address,
    ChainId,
    Hash32,
    hash32_from_hex,
)

# --- Strategies ----------------------------------------------------------------

secrets = st.integers(min_value=1, max_value=SECP256K1_N - 1).map(lambda i: i.to_bytes(32, "big"))
u64s = st.integers(min_value=0, max_value=U64_MAX).map(U64)
u256s = st.one_of(st.integers(0, 2**64), st.integers(0, U256_MAX)).map(U256)
chain_ids = st.integers(min_value=1, max_value=U64_MAX).map(ChainId)
addresses = st.binary(min_size=20, max_size=20).map(Address)
recipients = st.one_of(st.none(), addresses)
datas = st.binary(max_size=200)
access_lists = st.lists(
    st.builds(
        AccessListEntry,
        addresses,
        st.lists(st.binary(min_size=32, max_size=32).map(Hash32), max_size=3).map(tuple),
    ),
    max_size=3,
).map(tuple)

unsigned_legacy = st.builds(
    UnsignedLegacyTransaction, st.one_of(st.none(), chain_ids), u64s, u256s, u64s, recipients,
    u256s, datas,
)  # fmt: skip
unsigned_access_list = st.builds(
    UnsignedAccessListTransaction, chain_ids, u64s, u256s, u64s, recipients, u256s, datas,
    access_lists,
)  # fmt: skip
unsigned_dynamic_fee = st.builds(
    UnsignedDynamicFeeTransaction, chain_ids, u64s, u256s, u256s, u64s, recipients, u256s, datas,
    access_lists,
)  # fmt: skip
unsigned_transactions = st.one_of(unsigned_legacy, unsigned_access_list, unsigned_dynamic_fee)
deposits = st.builds(
    DepositTransaction, st.binary(min_size=32, max_size=32).map(Hash32), addresses, recipients,
    u256s, u256s, u64s, st.booleans(), datas,
)  # fmt: skip


def eth_account_dict(tx: UnsignedTransaction) -> dict[str, Any]:
    """The same transaction as the dict ``Account.sign_transaction`` takes."""
    fields: dict[str, Any] = {
        "nonce": tx.nonce,
        "gas": tx.gas_limit,
        "value": tx.value,
        "data": tx.data,
    }
    if tx.to is not None:
        fields["to"] = to_checksum_address(tx.to)
    if tx.chain_id is not None:
        fields["chainId"] = tx.chain_id
    if isinstance(tx, UnsignedLegacyTransaction | UnsignedAccessListTransaction):
        fields["gasPrice"] = tx.gas_price
    if isinstance(tx, UnsignedAccessListTransaction | UnsignedDynamicFeeTransaction):
        fields["type"] = 1 if isinstance(tx, UnsignedAccessListTransaction) else 2
        fields["accessList"] = [
            {
                "address": to_checksum_address(entry.address),
                "storageKeys": ["0x" + key.hex() for key in entry.storage_keys],
            }
            for entry in tx.access_list
        ]
    if isinstance(tx, UnsignedDynamicFeeTransaction):
        fields["maxFeePerGas"] = tx.max_fee_per_gas
        fields["maxPriorityFeePerGas"] = tx.max_priority_fee_per_gas
    return fields


def eth_account_signed(tx: UnsignedTransaction, secret: bytes) -> tuple[bytes, bytes]:
    """(raw transaction, hash) as eth-account signs ``tx``."""
    signed = Account.sign_transaction(eth_account_dict(tx), secret)
    return bytes(signed.raw_transaction), bytes(signed.hash)


def sample_raw(kind: int = 2, chain_id: int = 10, secret: bytes = b"\x07" * 32) -> bytes:
    """A fixed valid transaction of the given kind (0 legacy, 1, 2; -1 pre-EIP-155 legacy)."""
    to = Address(b"\x42" * 20)
    unsigned: UnsignedTransaction
    if kind in (0, -1):
        unsigned = UnsignedLegacyTransaction(
            None if kind == -1 else ChainId(chain_id),
            U64(3), U256(10**9), U64(21000), to, U256(5), b"\x01\x02",
        )  # fmt: skip
    elif kind == 1:
        unsigned = UnsignedAccessListTransaction(
            ChainId(chain_id), U64(3), U256(10**9), U64(21000), to, U256(5), b"", ()
        )
    else:
        unsigned = UnsignedDynamicFeeTransaction(
            ChainId(chain_id), U64(3), U256(10**9), U256(10**10), U64(21000), to, U256(5),
            b"", (),
        )  # fmt: skip
    return eth_account_signed(unsigned, secret)[0]


def reencode(raw: bytes, edit: Any) -> bytes:
    """Decode ``raw``'s RLP list with the plain rlp package, apply ``edit`` to it, re-encode."""
    prefix, body = (b"", raw) if raw[0] >= 0xC0 else (raw[:1], raw[1:])
    items = rlp.decode(body)
    edit(items)
    return prefix + bytes(rlp.encode(items))


def non_canonical_nonce(raw: bytes) -> bytes:
    """``raw`` with its one-byte nonce (3) written as the string 0x81 0x03, which RLP forbids."""
    prefix, body = (b"", raw) if raw[0] >= 0xC0 else (raw[:1], raw[1:])
    items = rlp.decode(body)
    nonce_index = 0 if not prefix else 1
    assert items[nonce_index] == b"\x03"
    encoded = [rlp.encode(item) for item in items]
    encoded[nonce_index] = b"\x81\x03"
    payload = b"".join(encoded)
    header = bytes(rlp.codec.length_prefix(len(payload), 0xC0))
    return prefix + header + payload


def int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


# --- eth-account equivalence ---------------------------------------------------


@given(unsigned_transactions, secrets)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_eth_account_transactions_decode_unchanged(
    unsigned: UnsignedTransaction, secret: bytes
) -> None:
    raw, tx_hash = eth_account_signed(unsigned, secret)
    tx = decode_transaction(raw, expected_chain_id=unsigned.chain_id)
    assert encode_transaction(tx) == raw
    assert tx.raw == raw
    assert tx.hash == tx_hash
    assert tx.sender == PrivateKey(secret).address
    assert tx.sender.hex() == Account.recover_transaction(raw)[2:].lower()
    assert tx.chain_id == unsigned.chain_id
    assert tx.nonce == unsigned.nonce
    assert tx.to == unsigned.to
    assert tx.value == unsigned.value
    assert tx.data == unsigned.data
    assert tx.gas_limit == unsigned.gas_limit
    assert not isinstance(tx, DepositTransaction)
    assert signing_hash(tx) == signing_hash(unsigned)


@given(unsigned_transactions, secrets)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_sign_transaction_matches_eth_account(unsigned: UnsignedTransaction, secret: bytes) -> None:
    ours = sign_transaction(unsigned, PrivateKey(secret))
    raw, tx_hash = eth_account_signed(unsigned, secret)
    assert ours.raw == raw
    assert encode_transaction(ours) == raw
    assert ours.hash == tx_hash
    assert ours.sender == PrivateKey(secret).address


@given(unsigned_transactions, secrets)
@settings(max_examples=50, deadline=None)
def test_decode_fast_path_agrees_with_reference_path(
    unsigned: UnsignedTransaction, secret: bytes
) -> None:
    """``decode_transaction`` skips ``__post_init__``; rebuilding runs it, and must agree."""
    signed = sign_transaction(unsigned, PrivateKey(secret))
    decoded = decode_transaction(signed.raw)
    assert type(decoded) is type(signed)
    assert decoded == signed
    assert (decoded.sender, decoded.hash, decoded.raw) == (signed.sender, signed.hash, signed.raw)
    assert repr(decoded) == repr(signed)


def test_transaction_kinds_and_properties() -> None:
    legacy = decode_transaction(sample_raw(0))
    pre155 = decode_transaction(sample_raw(-1))
    access = decode_transaction(sample_raw(1))
    dynamic = decode_transaction(sample_raw(2))
    assert isinstance(legacy, LegacyTransaction)
    assert legacy.tx_type == 0
    assert legacy.chain_id == 10
    assert isinstance(pre155, LegacyTransaction)
    assert pre155.v in (27, 28)
    assert pre155.chain_id is None
    assert isinstance(access, AccessListTransaction)
    assert access.tx_type == 1
    assert isinstance(dynamic, DynamicFeeTransaction)
    assert dynamic.tx_type == 2
    senders = {legacy.sender, pre155.sender, access.sender, dynamic.sender}
    assert senders == {PrivateKey(b"\x07" * 32).address}


def test_hand_built_signed_transaction_recovers_its_sender() -> None:
    key = PrivateKey(b"\x09" * 32)
    signed = sign_transaction(
        UnsignedDynamicFeeTransaction(
            ChainId(1), U64(0), U256(1), U256(2), U64(21000), None, U256(0), b"", ()
        ),
        key,
    )
    assert isinstance(signed, DynamicFeeTransaction)
    rebuilt = DynamicFeeTransaction(
        signed.chain_id, signed.nonce, signed.max_priority_fee_per_gas, signed.max_fee_per_gas,
        signed.gas_limit, signed.to, signed.value, signed.data, signed.access_list,
        signed.y_parity, signed.r, signed.s,
    )  # fmt: skip
    assert rebuilt.sender == key.address
    with pytest.raises(InvalidSignature):
        DynamicFeeTransaction(
            signed.chain_id, signed.nonce, signed.max_priority_fee_per_gas,
            signed.max_fee_per_gas, signed.gas_limit, signed.to, signed.value, signed.data,
            signed.access_list, U8(2), signed.r, signed.s,
        )  # fmt: skip


# --- Deposits ------------------------------------------------------------------

# From viem's OP Stack serializer tests: only sourceHash and from set, to = None.
VIEM_DEPOSIT = bytes.fromhex(
    "7ef83ca018040f35752170c3339ddcd850f185c9cc46bdef4d6e1f2ab323f4d3d7104319"
    "94977f82a600a1414e583f7f13623f1ac5d58b1c0b808080808080"
)


def test_deposit_vector_from_viem() -> None:
    tx = decode_transaction(VIEM_DEPOSIT, expected_chain_id=10)
    assert isinstance(tx, DepositTransaction)
    assert tx.source_hash.hex() == (
        "18040f35752170c3339ddcd850f185c9cc46bdef4d6e1f2ab323f4d3d7104319"
    )
    assert tx.sender.hex() == "977f82a600a1414e583f7f13623f1ac5d58b1c0b"
    assert tx.to is None
    assert (tx.mint, tx.value, tx.gas_limit, tx.is_system_transaction, tx.data) == (
        0, 0, 0, False, b"",
    )  # fmt: skip
    assert (tx.nonce, tx.chain_id, tx.tx_type) == (0, None, 0x7E)
    assert encode_transaction(tx) == VIEM_DEPOSIT
    assert tx.hash == keccak256(VIEM_DEPOSIT)


@given(deposits)
@settings(max_examples=100)
def test_deposit_round_trip_and_layout(tx: DepositTransaction) -> None:
    by_hand = b"\x7e" + rlp.encode(
        [
            tx.source_hash,
            tx.sender,
            b"" if tx.to is None else tx.to,
            tx.mint,
            tx.value,
            tx.gas_limit,
            tx.is_system_transaction,
            tx.data,
        ]
    )
    assert encode_transaction(tx) == by_hand
    assert tx.raw == by_hand
    decoded = decode_transaction(by_hand)
    assert decoded == tx
    assert (decoded.hash, decoded.raw) == (tx.hash, tx.raw)


@pytest.mark.parametrize(
    ("l1_block_hash", "log_index", "expected"),
    [
        # viem computeSourceHash.test.ts
        (
            "0x9ba3933dc6ce43c145349770a39c30f9b647f17668f004bd2e05c80a2e7262f7",
            196,
            "0xd0868c8764d81f1749edb7dec4a550966963540d9fe50aefce8cdb38ea7b2213",
        ),
        # OP contracts Hashing.t.sol
        (
            "0xd25df7858efc1778118fb133ac561b138845361626dfb976699c5287ed0f4959",
            1,
            "0xf923fb07134d7d287cb52c770cc619e17e82606c21a875c92f4c63b65280a5cc",
        ),
    ],
)
def test_user_deposit_source_hash(l1_block_hash: str, log_index: int, expected: str) -> None:
    assert user_deposit_source_hash(hash32_from_hex(l1_block_hash), log_index) == (
        hash32_from_hex(expected)
    )


def test_l1_info_deposit_source_hash() -> None:
    """viem computeSourceHash.test.ts, l1InfoDeposit with sequence number 1."""
    l1_block_hash = hash32_from_hex(
        "0x9ba3933dc6ce43c145349770a39c30f9b647f17668f004bd2e05c80a2e7262f7"
    )
    assert l1_info_deposit_source_hash(l1_block_hash, 1) == hash32_from_hex(
        "0x722c43232e2f9dc07ebc07a02a3056993a2ed1328a1c81377ea99d135af39536"
    )


@pytest.mark.parametrize(
    ("intent", "expected"),
    [  # OP specs: Ecotone and Jovian network-upgrade transactions
        (
            "Ecotone: L1 Block Deployment",
            "0x877a6077205782ea15a6dc8699fa5ebcec5e0f4389f09cb8eda09488231346f8",
        ),
        (
            "Ecotone: Gas Price Oracle Deployment",
            "0xa312b4510adf943510f05fcc8f15f86995a5066bd83ce11384688ae20e6ecf42",
        ),
        (
            "Ecotone: L1 Block Proxy Update",
            "0x18acb38c5ff1c238a7460ebc1b421fa49ec4874bdf1e0a530d234104e5e67dbc",
        ),
        (
            "Ecotone: Gas Price Oracle Proxy Update",
            "0xee4f9385eceef498af0be7ec5862229f426dec41c8d42397c7257a5117d9230a",
        ),
        (
            "Ecotone: Gas Price Oracle Set Ecotone",
            "0x0c1cb38e99dbc9cbfab3bb80863380b0905290b37eb3d6ab18dc01c1f3e75f93",
        ),
        (
            "Ecotone: beacon block roots contract deployment",
            "0x69b763c48478b9dc2f65ada09b3d92133ec592ea715ec65ad6e7f3dc519dc00c",
        ),
        (
            "Jovian: L1 Block Deployment",
            "0xbb1a656f65401240fac3db12e7a79ebb954b11e62f7626eb11691539b798d3bf",
        ),
    ],
)
def test_upgrade_deposit_source_hash(intent: str, expected: str) -> None:
    assert upgrade_deposit_source_hash(intent) == hash32_from_hex(expected)


# --- Chain ids and signatures --------------------------------------------------


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_wrong_chain_id_rejected(kind: int) -> None:
    raw = sample_raw(kind, chain_id=10)
    assert decode_transaction(raw, expected_chain_id=10).chain_id == 10
    with pytest.raises(WrongChainId):
        decode_transaction(raw, expected_chain_id=11)


def test_pre_eip155_accepted_only_without_expected_chain_id() -> None:
    raw = sample_raw(-1)
    assert decode_transaction(raw).chain_id is None
    with pytest.raises(WrongChainId):
        decode_transaction(raw, expected_chain_id=10)


def _high_s(raw: bytes) -> bytes:
    """The same signature with s -> n - s and the parity flipped: valid math, but high s."""

    def edit(items: list[Any]) -> None:
        v = int.from_bytes(items[-3], "big")
        s = int.from_bytes(items[-1], "big")
        items[-1] = int_bytes(SECP256K1_N - s)
        if raw[0] >= 0xC0:
            items[-3] = int_bytes(v + 1 if (v - 35) % 2 == 0 else v - 1)
        else:
            items[-3] = int_bytes(1 - v)

    return reencode(raw, edit)


@pytest.mark.parametrize("kind", [-1, 0, 1, 2])
def test_high_s_rejected(kind: int) -> None:
    raw = sample_raw(kind)
    with pytest.raises(InvalidSignature):
        decode_transaction(_high_s(raw))


def _set_signature(index: int, value: int) -> Any:
    def edit(items: list[Any]) -> None:
        items[index] = int_bytes(value)

    return edit


@pytest.mark.parametrize(
    ("kind", "index", "value"),
    [
        (2, -3, 2),  # y-parity 2
        (1, -3, 27),  # legacy-style v in a typed transaction
        (2, -2, 0),  # r = 0
        (2, -2, SECP256K1_N),  # r = n
        (2, -1, 0),  # s = 0
        (0, -3, 0),  # legacy v = 0
        (0, -3, 1),
        (0, -3, 29),
        (0, -3, 35),  # EIP-155 chain id 0
        (0, -3, 36),
        (0, -3, 35 + 2 * 2**64),  # chain id above uint64
    ],
)
def test_bad_signature_values_rejected(kind: int, index: int, value: int) -> None:
    with pytest.raises(InvalidSignature):
        decode_transaction(reencode(sample_raw(kind), _set_signature(index, value)))


# --- Malformed input -----------------------------------------------------------


def test_unsupported_types_rejected_with_clear_message() -> None:
    body = sample_raw(2)[1:]
    with pytest.raises(MalformedTransaction, match=r"unsupported type 0x03: blob"):
        decode_transaction(b"\x03" + body)
    with pytest.raises(MalformedTransaction, match=r"unsupported type 0x04"):
        decode_transaction(b"\x04" + body)
    for type_byte in (0x00, 0x05, 0x7D, 0x7F):
        with pytest.raises(MalformedTransaction, match="unsupported transaction type"):
            decode_transaction(bytes((type_byte,)) + body)


def _set_item(index: int, value: object) -> Any:
    def edit(items: list[Any]) -> None:
        items[index] = value

    return edit


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x02", id="type-only"),
        pytest.param(b"\x80", id="rlp-string"),
        pytest.param(sample_raw(2)[:-1], id="truncated-1559"),
        pytest.param(sample_raw(0)[:-1], id="truncated-legacy"),
        pytest.param(sample_raw(2) + b"\x00", id="trailing-1559"),
        pytest.param(sample_raw(0) + b"\x80", id="trailing-legacy"),
        pytest.param(VIEM_DEPOSIT + b"\x80", id="trailing-deposit"),
        pytest.param(b"\x02" + sample_raw(0), id="legacy-inside-type-2"),
        pytest.param(reencode(sample_raw(2), lambda items: items.pop()), id="too-few-fields"),
        pytest.param(reencode(sample_raw(0), lambda i: i.append(b"")), id="too-many-fields"),
        pytest.param(reencode(sample_raw(2), _set_item(1, b"\x00\x03")), id="nonce-leading-zero"),
        pytest.param(reencode(sample_raw(2), _set_item(0, b"\x00")), id="chain-id-zero-byte"),
        pytest.param(reencode(sample_raw(2), _set_item(0, b"")), id="chain-id-zero"),
        pytest.param(reencode(sample_raw(2), _set_item(1, b"\x01" * 9)), id="nonce-over-64-bits"),
        pytest.param(reencode(sample_raw(2), _set_item(4, b"\x01" * 9)), id="gas-over-64-bits"),
        pytest.param(reencode(sample_raw(2), _set_item(6, b"\x01" * 33)), id="value-over-256"),
        pytest.param(reencode(sample_raw(2), _set_item(-2, b"\x00" + b"\x01" * 31)), id="r-pad"),
        pytest.param(reencode(sample_raw(2), _set_item(5, b"\x42" * 19)), id="to-19-bytes"),
        pytest.param(reencode(sample_raw(2), _set_item(7, [b""])), id="data-is-list"),
        pytest.param(reencode(sample_raw(2), _set_item(8, b"")), id="access-list-is-string"),
        pytest.param(
            reencode(sample_raw(2), _set_item(8, [[b"\x42" * 20, [b"\x01" * 31]]])),
            id="storage-key-31-bytes",
        ),
        pytest.param(
            reencode(sample_raw(2), _set_item(8, [[b"\x42" * 20]])), id="access-entry-short"
        ),
        pytest.param(reencode(VIEM_DEPOSIT, _set_item(6, b"\x02")), id="deposit-system-2"),
        pytest.param(reencode(VIEM_DEPOSIT, _set_item(6, b"\x00")), id="deposit-system-00"),
        pytest.param(reencode(VIEM_DEPOSIT, _set_item(0, b"\x18" * 31)), id="deposit-source"),
        pytest.param(reencode(VIEM_DEPOSIT, _set_item(1, b"")), id="deposit-from-empty"),
        pytest.param(non_canonical_nonce(sample_raw(2)), id="non-canonical-rlp-1559"),
        pytest.param(non_canonical_nonce(sample_raw(0)), id="non-canonical-rlp-legacy"),
    ],
)
def test_malformed_rejected(raw: bytes) -> None:
    with pytest.raises(MalformedTransaction):
        decode_transaction(raw)


def test_non_canonical_fixture_fails_only_for_its_nonce() -> None:
    with pytest.raises(rlp.DecodingError, match="single byte was possible"):
        rlp.decode(non_canonical_nonce(sample_raw(2))[1:])


VALID_SEEDS = [sample_raw(-1), sample_raw(0), sample_raw(1), sample_raw(2), VIEM_DEPOSIT]


def _decode_or_typed_error(raw: bytes) -> None:
    with contextlib.suppress(InterlaceError):
        decode_transaction(raw, expected_chain_id=10)
    with contextlib.suppress(InterlaceError):
        decode_transaction(raw)


@given(st.binary(max_size=300))
@example(b"\x02\xc0")
@example(b"\x7e\xc0")
@example(b"\xff" * 10)
@example(b"\xc0" * 5000)
@settings(max_examples=1000)
def test_random_bytes_raise_only_typed_errors(raw: bytes) -> None:
    _decode_or_typed_error(raw)


@given(st.sampled_from(VALID_SEEDS), st.data())
@settings(max_examples=1000)
def test_mutated_transactions_raise_only_typed_errors(seed: bytes, data: st.DataObject) -> None:
    raw = bytearray(seed)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[at] ^= data.draw(st.integers(1, 255))
        elif op == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and raw:
            del raw[at]
        elif op == "truncate":
            del raw[at:]
    _decode_or_typed_error(bytes(raw))


@given(st.sampled_from(VALID_SEEDS), st.data())
@settings(max_examples=500)
def test_mutated_field_values_raise_only_typed_errors(seed: bytes, data: st.DataObject) -> None:
    """Structurally valid RLP with one field replaced: exercises the field readers."""
    prefix, body = (b"", seed) if seed[0] >= 0xC0 else (seed[:1], seed[1:])
    items = rlp.decode(body)
    index = data.draw(st.integers(0, len(items) - 1))
    items[index] = data.draw(
        st.one_of(st.binary(max_size=40), st.lists(st.binary(max_size=33), max_size=3))
    )
    _decode_or_typed_error(prefix + rlp.encode(items))


def test_public_api_is_pinned() -> None:
    assert sorted(tx_module.__all__) == [
        "ACCESS_LIST_TX_TYPE",
        "AccessListEntry",
        "AccessListTransaction",
        "BLOB_TX_TYPE",
        "DEPOSIT_TX_TYPE",
        "DYNAMIC_FEE_TX_TYPE",
        "DepositTransaction",
        "DynamicFeeTransaction",
        "LegacyTransaction",
        "SET_CODE_TX_TYPE",
        "SignedTransaction",
        "Transaction",
        "UnsignedAccessListTransaction",
        "UnsignedDynamicFeeTransaction",
        "UnsignedLegacyTransaction",
        "UnsignedTransaction",
        "decode_transaction",
        "encode_transaction",
        "l1_info_deposit_source_hash",
        "sign_dynamic_fee",
        "sign_transaction",
        "signing_hash",
        "upgrade_deposit_source_hash",
        "user_deposit_source_hash",
    ]


def test_sign_dynamic_fee_is_sign_transaction_of_the_same_fields() -> None:
    from interlace.primitives.keys import private_key_from_seed
    from interlace.primitives.tx import (
        UnsignedDynamicFeeTransaction,
        sign_dynamic_fee,
        sign_transaction,
    )
    from interlace.primitives.types import U64, U256, Address, ChainId

    key = private_key_from_seed(b"helper")
    to = Address(b"\x09" * 20)
    short = sign_dynamic_fee(
        key,
        chain_id=901,
        nonce=3,
        to=to,
        gas_limit=50_000,
        max_priority_fee_per_gas=7,
        max_fee_per_gas=11,
        data=b"\x01\x02",
        value=5,
    )
    full = sign_transaction(
        UnsignedDynamicFeeTransaction(
            ChainId(901), U64(3), U256(7), U256(11), U64(50_000), to, U256(5), b"\x01\x02", ()
        ),
        key,
    )
    assert short.raw == full.raw
    assert short.sender == key.address
