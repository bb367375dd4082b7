"""Ethereum typed transactions and OP Stack deposits: their data, codec, signing and senders.

This module owns the four transaction kinds Interlace accepts: legacy
(EIP-155, and pre-155 with v = 27/28), EIP-2930 access-list (type 1),
EIP-1559 dynamic-fee (type 2) and OP Stack deposits (type 0x7E). The wire
form is the EIP-2718 envelope that blocks and ``eth_sendRawTransaction``
carry: a bare RLP list for legacy, ``type ‖ rlp(payload)`` otherwise.
Blob (type 3) and set-code (type 4) transactions are rejected as
unsupported: the chain engine has no blob or EIP-7702 semantics.

Unsigned and signed transactions are separate dataclasses, as in
execution-specs: an ``Unsigned…`` value is what a wallet fills in and
``signing_hash`` covers; the signed value adds the signature and two derived
fields, ``sender`` and ``hash``, computed once when it is built. Building a
signed transaction by hand runs the readable reference path in
``__post_init__`` (encode, hash, recover). ``decode_transaction`` takes a
fast path instead: it hashes the raw bytes it was given and signs over a
slice of them, because re-encoding in pure-Python RLP costs about as much as
the signature recovery itself. The tests check that both paths agree. Every
transaction also keeps ``raw`` (its envelope bytes, for tries and storage)
and answers ``tx_type``, ``chain_id`` and ``nonce`` (0 and None for deposits).
"""

from dataclasses import dataclass, field
from typing import Final, TypeAlias, TypeVar

from interlace.primitives.errors import (
    InvalidSignature,
    MalformedInput,
    MalformedTransaction,
    WrongChainId,
)
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import (
    SECP256K1_HALF_N,
    SECP256K1_N,
    PrivateKey,
    recover_address,
    sign_hash,
)
from interlace.primitives.rlp_codec import (
    RLPItem,
    decode_rlp,
    encode_rlp,
    read_address,
    read_bytes,
    read_hash32,
    read_list,
    read_optional_address,
    read_u64,
    read_u256,
)
from interlace.primitives.types import (
    U8,
    U64,
    U64_MAX,
    U256,
    Address,
    ChainId,
    Hash32,
    to_chain_id,
    to_hash32,
)

__all__ = [
    "ACCESS_LIST_TX_TYPE",
    "BLOB_TX_TYPE",
    "DEPOSIT_TX_TYPE",
    "DYNAMIC_FEE_TX_TYPE",
    "SET_CODE_TX_TYPE",
    "AccessListEntry",
    "AccessListTransaction",
    "DepositTransaction",
    "DynamicFeeTransaction",
    "LegacyTransaction",
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

ACCESS_LIST_TX_TYPE: Final = 0x01
"""EIP-2930 transaction type byte."""
DYNAMIC_FEE_TX_TYPE: Final = 0x02
"""EIP-1559 transaction type byte."""
BLOB_TX_TYPE: Final = 0x03
"""EIP-4844 blob transaction type byte (recognised only to reject it clearly)."""
SET_CODE_TX_TYPE: Final = 0x04
"""EIP-7702 set-code transaction type byte (recognised only to reject it clearly)."""
DEPOSIT_TX_TYPE: Final = 0x7E
"""OP Stack deposit transaction type byte."""

USER_DEPOSIT_SOURCE_DOMAIN: Final = 0
"""OP deposit source-hash domain of user deposits (``TransactionDeposited`` logs)."""
L1_INFO_DEPOSIT_SOURCE_DOMAIN: Final = 1
"""OP deposit source-hash domain of the L1-attributes deposit."""
UPGRADE_DEPOSIT_SOURCE_DOMAIN: Final = 2
"""OP deposit source-hash domain of network-upgrade deposits."""

_LEGACY_FIELDS: Final = 9
_ACCESS_LIST_FIELDS: Final = 11
_DYNAMIC_FEE_FIELDS: Final = 12
_DEPOSIT_FIELDS: Final = 8
_PRE_EIP155_V: Final = (27, 28)
_EIP155_V_OFFSET: Final = 35


@dataclass(frozen=True, slots=True)
class AccessListEntry:
    """One EIP-2930 access-list entry: an address and the storage slots it pre-warms."""

    address: Address
    """The account to pre-warm."""
    storage_keys: tuple[Hash32, ...]
    """The storage slots of ``address`` to pre-warm."""


@dataclass(frozen=True, slots=True)
class UnsignedLegacyTransaction:
    """A legacy transaction before signing; ``chain_id`` None signs pre-EIP-155."""

    chain_id: ChainId | None
    """The EIP-155 chain id folded into the signature, or None for a pre-155 signature."""
    nonce: U64
    """The sender's nonce."""
    gas_price: U256
    """Wei paid per unit of gas."""
    gas_limit: U64
    """Most gas the transaction may use."""
    to: Address | None
    """The recipient, or None to create a contract."""
    value: U256
    """Wei transferred to ``to``."""
    data: bytes
    """Call data, or init code when ``to`` is None."""


@dataclass(frozen=True, slots=True)
class UnsignedAccessListTransaction:
    """An EIP-2930 transaction before signing."""

    chain_id: ChainId
    """The chain the transaction is valid on."""
    nonce: U64
    """The sender's nonce."""
    gas_price: U256
    """Wei paid per unit of gas."""
    gas_limit: U64
    """Most gas the transaction may use."""
    to: Address | None
    """The recipient, or None to create a contract."""
    value: U256
    """Wei transferred to ``to``."""
    data: bytes
    """Call data, or init code when ``to`` is None."""
    access_list: tuple[AccessListEntry, ...]
    """Accounts and slots to pre-warm."""


@dataclass(frozen=True, slots=True)
class UnsignedDynamicFeeTransaction:
    """An EIP-1559 transaction before signing."""

    chain_id: ChainId
    """The chain the transaction is valid on."""
    nonce: U64
    """The sender's nonce."""
    max_priority_fee_per_gas: U256
    """Most wei per gas paid to the block producer on top of the base fee."""
    max_fee_per_gas: U256
    """Most wei per gas paid in total (base fee plus priority fee)."""
    gas_limit: U64
    """Most gas the transaction may use."""
    to: Address | None
    """The recipient, or None to create a contract."""
    value: U256
    """Wei transferred to ``to``."""
    data: bytes
    """Call data, or init code when ``to`` is None."""
    access_list: tuple[AccessListEntry, ...]
    """Accounts and slots to pre-warm."""


@dataclass(frozen=True, slots=True)
class LegacyTransaction:
    """A signed legacy transaction, EIP-155 (v = 35 + 2·chainId + parity) or pre-155 (v = 27/28).

    ``chain_id`` is derived from ``v``; ``sender`` and ``hash`` are derived
    when the transaction is built.
    """

    nonce: U64
    """The sender's nonce."""
    gas_price: U256
    """Wei paid per unit of gas."""
    gas_limit: U64
    """Most gas the transaction may use."""
    to: Address | None
    """The recipient, or None to create a contract."""
    value: U256
    """Wei transferred to ``to``."""
    data: bytes
    """Call data, or init code when ``to`` is None."""
    v: U256
    """27/28 (pre-EIP-155), or 35 + 2·chainId + y-parity (EIP-155)."""
    r: U256
    """Signature r, in [1, n)."""
    s: U256
    """Signature s, in [1, n/2] (EIP-2 low s)."""
    sender: Address = field(init=False, compare=False)
    """The address that signed, recovered once when the transaction was built."""
    hash: Hash32 = field(init=False, compare=False)
    """keccak256 of ``raw``."""
    raw: bytes = field(init=False, compare=False, repr=False)
    """The encoded transaction (``encode_transaction``), kept as decoded."""

    def __post_init__(self) -> None:
        _seal_signed(self)

    @property
    def tx_type(self) -> int:
        """The EIP-2718 type, 0 for legacy (it has no type byte on the wire)."""
        return 0

    @property
    def chain_id(self) -> ChainId | None:
        """The EIP-155 chain id, or None for a pre-155 (replayable) signature."""
        if self.v in _PRE_EIP155_V:
            return None
        return ChainId((self.v - _EIP155_V_OFFSET) // 2)


@dataclass(frozen=True, slots=True)
class AccessListTransaction:
    """A signed EIP-2930 (type 1) transaction."""

    chain_id: ChainId
    """The chain the transaction is valid on."""
    nonce: U64
    """The sender's nonce."""
    gas_price: U256
    """Wei paid per unit of gas."""
    gas_limit: U64
    """Most gas the transaction may use."""
    to: Address | None
    """The recipient, or None to create a contract."""
    value: U256
    """Wei transferred to ``to``."""
    data: bytes
    """Call data, or init code when ``to`` is None."""
    access_list: tuple[AccessListEntry, ...]
    """Accounts and slots to pre-warm."""
    y_parity: U8
    """Signature recovery id, 0 or 1."""
    r: U256
    """Signature r, in [1, n)."""
    s: U256
    """Signature s, in [1, n/2] (EIP-2 low s)."""
    sender: Address = field(init=False, compare=False)
    """The address that signed, recovered once when the transaction was built."""
    hash: Hash32 = field(init=False, compare=False)
    """keccak256 of ``raw``."""
    raw: bytes = field(init=False, compare=False, repr=False)
    """The encoded envelope, type byte included (``encode_transaction``), kept as decoded."""

    def __post_init__(self) -> None:
        _seal_signed(self)

    @property
    def tx_type(self) -> int:
        """The EIP-2718 type byte, 0x01."""
        return ACCESS_LIST_TX_TYPE


@dataclass(frozen=True, slots=True)
class DynamicFeeTransaction:
    """A signed EIP-1559 (type 2) transaction."""

    chain_id: ChainId
    """The chain the transaction is valid on."""
    nonce: U64
    """The sender's nonce."""
    max_priority_fee_per_gas: U256
    """Most wei per gas paid to the block producer on top of the base fee."""
    max_fee_per_gas: U256
    """Most wei per gas paid in total (base fee plus priority fee)."""
    gas_limit: U64
    """Most gas the transaction may use."""
    to: Address | None
    """The recipient, or None to create a contract."""
    value: U256
    """Wei transferred to ``to``."""
    data: bytes
    """Call data, or init code when ``to`` is None."""
    access_list: tuple[AccessListEntry, ...]
    """Accounts and slots to pre-warm."""
    y_parity: U8
    """Signature recovery id, 0 or 1."""
    r: U256
    """Signature r, in [1, n)."""
    s: U256
    """Signature s, in [1, n/2] (EIP-2 low s)."""
    sender: Address = field(init=False, compare=False)
    """The address that signed, recovered once when the transaction was built."""
    hash: Hash32 = field(init=False, compare=False)
    """keccak256 of ``raw``."""
    raw: bytes = field(init=False, compare=False, repr=False)
    """The encoded envelope, type byte included (``encode_transaction``), kept as decoded."""

    def __post_init__(self) -> None:
        _seal_signed(self)

    @property
    def tx_type(self) -> int:
        """The EIP-2718 type byte, 0x02."""
        return DYNAMIC_FEE_TX_TYPE


@dataclass(frozen=True, slots=True)
class DepositTransaction:
    """An OP Stack deposit (type 0x7E): derived from L1, unsigned, with an explicit sender.

    It has no nonce and no chain id on the wire. ``nonce`` reads as 0 (what
    pre-Regolith RPC reported); the real nonce is assigned by execution.
    ``chain_id`` reads as None.
    """

    source_hash: Hash32
    """Unique id of the deposit's origin (see the ``*_source_hash`` functions)."""
    sender: Address
    """The ``from`` account, trusted as-is: a deposit carries no signature."""
    to: Address | None
    """The recipient, or None to create a contract."""
    mint: U256
    """Wei minted on L2 to ``sender`` before execution."""
    value: U256
    """Wei transferred to ``to``."""
    gas_limit: U64
    """Gas limit, bought on L1 and not refunded."""
    is_system_transaction: bool
    """Pre-Regolith system flag (skips the block gas pool); forced false since Regolith."""
    data: bytes
    """Call data, or init code when ``to`` is None."""
    hash: Hash32 = field(init=False, compare=False)
    """keccak256 of ``raw``."""
    raw: bytes = field(init=False, compare=False, repr=False)
    """The encoded envelope, type byte included (``encode_transaction``), kept as decoded."""

    def __post_init__(self) -> None:
        raw = encode_transaction(self)
        object.__setattr__(self, "raw", raw)
        object.__setattr__(self, "hash", keccak256(raw))

    @property
    def tx_type(self) -> int:
        """The EIP-2718 type byte, 0x7E."""
        return DEPOSIT_TX_TYPE

    @property
    def nonce(self) -> U64:
        """Always 0: a deposit's nonce is not on the wire; execution assigns the real one."""
        return U64(0)

    @property
    def chain_id(self) -> None:
        """Always None: a deposit is bound to its chain by its L1 source, not a chain id."""
        return None


UnsignedTransaction: TypeAlias = (
    UnsignedLegacyTransaction | UnsignedAccessListTransaction | UnsignedDynamicFeeTransaction
)
"""A transaction ready for ``signing_hash`` and ``sign_transaction``."""
SignedTransaction: TypeAlias = LegacyTransaction | AccessListTransaction | DynamicFeeTransaction
"""A transaction authorised by a secp256k1 signature."""
Transaction: TypeAlias = (
    LegacyTransaction | AccessListTransaction | DynamicFeeTransaction | DepositTransaction
)
"""Any transaction Interlace accepts on the wire."""

_T = TypeVar("_T")


# --- Encoding -----------------------------------------------------------------


def _encode_to(to: Address | None) -> bytes:
    return b"" if to is None else to


def _encode_access_list(access_list: tuple[AccessListEntry, ...]) -> list[object]:
    return [[entry.address, list(entry.storage_keys)] for entry in access_list]


def _payload_fields(tx: UnsignedTransaction | SignedTransaction) -> list[object]:
    """The RLP fields a signature covers, in wire order (chain-id triple excluded for legacy)."""
    if isinstance(tx, UnsignedLegacyTransaction | LegacyTransaction):
        return [tx.nonce, tx.gas_price, tx.gas_limit, _encode_to(tx.to), tx.value, tx.data]
    if isinstance(tx, UnsignedAccessListTransaction | AccessListTransaction):
        return [
            tx.chain_id,
            tx.nonce,
            tx.gas_price,
            tx.gas_limit,
            _encode_to(tx.to),
            tx.value,
            tx.data,
            _encode_access_list(tx.access_list),
        ]
    return [
        tx.chain_id,
        tx.nonce,
        tx.max_priority_fee_per_gas,
        tx.max_fee_per_gas,
        tx.gas_limit,
        _encode_to(tx.to),
        tx.value,
        tx.data,
        _encode_access_list(tx.access_list),
    ]


def _type_prefix(tx: UnsignedTransaction | SignedTransaction) -> bytes:
    if isinstance(tx, UnsignedAccessListTransaction | AccessListTransaction):
        return bytes((ACCESS_LIST_TX_TYPE,))
    if isinstance(tx, UnsignedDynamicFeeTransaction | DynamicFeeTransaction):
        return bytes((DYNAMIC_FEE_TX_TYPE,))
    return b""


def signing_hash(tx: UnsignedTransaction | SignedTransaction) -> Hash32:
    """The hash a transaction's signature covers.

    Legacy: keccak(rlp([nonce, gasPrice, gas, to, value, data])) pre-EIP-155,
    with ``chainId, 0, 0`` appended under EIP-155. Typed: keccak(type ‖
    rlp(payload without the signature)). A signed transaction gives the hash
    its signature covers.
    """
    fields = _payload_fields(tx)
    if isinstance(tx, UnsignedLegacyTransaction | LegacyTransaction) and tx.chain_id is not None:
        fields += [tx.chain_id, 0, 0]
    return keccak256(_type_prefix(tx) + encode_rlp(fields))


def encode_transaction(tx: Transaction) -> bytes:
    """The EIP-2718 envelope: rlp(fields) for legacy, ``type ‖ rlp(fields)`` otherwise."""
    if isinstance(tx, DepositTransaction):
        fields: list[object] = [
            tx.source_hash,
            tx.sender,
            _encode_to(tx.to),
            tx.mint,
            tx.value,
            tx.gas_limit,
            b"\x01" if tx.is_system_transaction else b"",
            tx.data,
        ]
        return bytes((DEPOSIT_TX_TYPE,)) + encode_rlp(fields)
    signature = [tx.v if isinstance(tx, LegacyTransaction) else tx.y_parity, tx.r, tx.s]
    return _type_prefix(tx) + encode_rlp(_payload_fields(tx) + signature)


# --- Signing and sender recovery ----------------------------------------------


def _check_signature(y_parity: int, r: int, s: int) -> None:
    """Reject what Ethereum rejects: r, s out of range, high s (EIP-2), y-parity not 0/1."""
    if y_parity not in (0, 1):
        raise InvalidSignature(f"y-parity must be 0 or 1, got {y_parity}")
    if not 0 < r < SECP256K1_N:
        raise InvalidSignature("signature r out of range")
    if not 0 < s <= SECP256K1_HALF_N:
        raise InvalidSignature("signature s is zero or above n/2 (EIP-2)")


def _legacy_y_parity(v: int) -> int:
    """y-parity of a legacy v, raising ``InvalidSignature`` for a v no chain produces."""
    if v in _PRE_EIP155_V:
        return v - 27
    if v < _EIP155_V_OFFSET + 2 or (v - _EIP155_V_OFFSET) // 2 > U64_MAX:
        raise InvalidSignature(f"legacy v {v} encodes neither 27/28 nor an EIP-155 chain id")
    return (v - _EIP155_V_OFFSET) % 2


def _signature_bytes(y_parity: int, r: int, s: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((y_parity,))


def _seal_signed(tx: SignedTransaction) -> None:
    """Reference path for a hand-built signed transaction: check, recover, hash."""
    y_parity = _legacy_y_parity(tx.v) if isinstance(tx, LegacyTransaction) else tx.y_parity
    _check_signature(y_parity, tx.r, tx.s)
    sender = recover_address(signing_hash(tx), _signature_bytes(y_parity, tx.r, tx.s))
    raw = encode_transaction(tx)
    object.__setattr__(tx, "sender", sender)
    object.__setattr__(tx, "raw", raw)
    object.__setattr__(tx, "hash", keccak256(raw))


def sign_transaction(tx: UnsignedTransaction, key: PrivateKey) -> SignedTransaction:
    """Sign with RFC 6979 nonces (byte-identical to eth-account for the same key and fields).

    The sender is the signing key's address, so nothing is recovered; the
    signed transaction is encoded once for its ``raw`` bytes and hash.
    """
    signature = sign_hash(key, signing_hash(tx))
    r = U256(int.from_bytes(signature[0:32], "big"))
    s = U256(int.from_bytes(signature[32:64], "big"))
    y_parity = U8(signature[64])
    signed: SignedTransaction
    if isinstance(tx, UnsignedLegacyTransaction):
        v = 27 + y_parity if tx.chain_id is None else _EIP155_V_OFFSET + 2 * tx.chain_id + y_parity
        signed = _assemble(
            LegacyTransaction,
            nonce=tx.nonce,
            gas_price=tx.gas_price,
            gas_limit=tx.gas_limit,
            to=tx.to,
            value=tx.value,
            data=tx.data,
            v=U256(v),
            r=r,
            s=s,
        )
    elif isinstance(tx, UnsignedAccessListTransaction):
        signed = _assemble(
            AccessListTransaction,
            chain_id=tx.chain_id,
            nonce=tx.nonce,
            gas_price=tx.gas_price,
            gas_limit=tx.gas_limit,
            to=tx.to,
            value=tx.value,
            data=tx.data,
            access_list=tx.access_list,
            y_parity=y_parity,
            r=r,
            s=s,
        )
    else:
        signed = _assemble(
            DynamicFeeTransaction,
            chain_id=tx.chain_id,
            nonce=tx.nonce,
            max_priority_fee_per_gas=tx.max_priority_fee_per_gas,
            max_fee_per_gas=tx.max_fee_per_gas,
            gas_limit=tx.gas_limit,
            to=tx.to,
            value=tx.value,
            data=tx.data,
            access_list=tx.access_list,
            y_parity=y_parity,
            r=r,
            s=s,
        )
    raw = encode_transaction(signed)
    object.__setattr__(signed, "sender", key.address)
    object.__setattr__(signed, "raw", raw)
    object.__setattr__(signed, "hash", keccak256(raw))
    return signed


def sign_dynamic_fee(
    key: PrivateKey,
    *,
    chain_id: int,
    nonce: int,
    to: Address,
    gas_limit: int,
    max_priority_fee_per_gas: int,
    max_fee_per_gas: int,
    data: bytes = b"",
    value: int = 0,
) -> SignedTransaction:
    """Sign an EIP-1559 call or transfer with no access list (what every role sends)."""
    return sign_transaction(
        UnsignedDynamicFeeTransaction(
            chain_id=ChainId(chain_id),
            nonce=U64(nonce),
            max_priority_fee_per_gas=U256(max_priority_fee_per_gas),
            max_fee_per_gas=U256(max_fee_per_gas),
            gas_limit=U64(gas_limit),
            to=to,
            value=U256(value),
            data=data,
            access_list=(),
        ),
        key,
    )


# --- Decoding -----------------------------------------------------------------


def decode_transaction(raw: bytes, expected_chain_id: int | None = None) -> Transaction:
    """Decode an EIP-2718 envelope and recover its sender.

    Raises ``MalformedTransaction`` for anything that is not a canonical
    legacy, type-1, type-2 or deposit transaction (blob and set-code types
    are unsupported), ``WrongChainId`` when ``expected_chain_id`` is given
    and the transaction names another chain or none (pre-EIP-155), checked
    before the signature, and ``InvalidSignature`` for a signature Ethereum
    rejects. Deposits carry no chain id and pass ``expected_chain_id``
    unchecked; an RPC endpoint must refuse them itself, as op-geth's pool does.
    """
    try:
        return _decode(raw, expected_chain_id)
    except MalformedInput as exc:
        if isinstance(exc, MalformedTransaction):
            raise
        raise MalformedTransaction(str(exc)) from exc


def _decode(raw: bytes, expected_chain_id: int | None) -> Transaction:
    if not raw:
        raise MalformedTransaction("empty transaction")
    first = raw[0]
    if first >= 0xC0:
        return _decode_legacy(raw, expected_chain_id)
    if first == DYNAMIC_FEE_TX_TYPE:
        return _decode_dynamic_fee(raw, expected_chain_id)
    if first == ACCESS_LIST_TX_TYPE:
        return _decode_access_list(raw, expected_chain_id)
    if first == DEPOSIT_TX_TYPE:
        return _decode_deposit(raw)
    if first == BLOB_TX_TYPE:
        raise MalformedTransaction("unsupported type 0x03: blob (EIP-4844) transactions")
    if first == SET_CODE_TX_TYPE:
        raise MalformedTransaction("unsupported type 0x04: set-code (EIP-7702) transactions")
    if first < 0x80:
        raise MalformedTransaction(f"unsupported transaction type 0x{first:02x}")
    raise MalformedTransaction("a transaction is an RLP list or a typed envelope, not a string")


def _assemble(cls: type[_T], **values: object) -> _T:
    """Build a decoded transaction whose derived fields the decoder computed from raw bytes.

    Skips ``__post_init__``, which would re-encode the transaction twice in
    pure-Python RLP (about 30 µs, as much as the recovery). The caller has
    already checked the signature and recovered the sender.
    """
    tx = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(tx, name, value)
    return tx


def _rlp_length(item: bytes) -> int:
    """Encoded length of an RLP byte string of at most 55 bytes (v, r, s, chain id)."""
    if len(item) == 1 and item[0] < 0x80:
        return 1
    return 1 + len(item)


def _list_header(payload_length: int) -> bytes:
    if payload_length <= 55:
        return bytes((0xC0 + payload_length,))
    length = payload_length.to_bytes((payload_length.bit_length() + 7) // 8, "big")
    return bytes((0xF7 + len(length),)) + length


def _unsigned_body(body: bytes, signature: list[RLPItem]) -> bytes:
    """The encoded fields of the RLP list ``body`` before its trailing v, r, s items.

    ``body`` has already been decoded as canonical RLP, so its header length
    is read off the first byte and the signature items' lengths are exact.
    """
    first = body[0]
    start = 1 if first <= 0xF7 else 1 + first - 0xF7
    tail = sum(_rlp_length(read_bytes(item)) for item in signature)
    return body[start : len(body) - tail]


def _check_chain_id(chain_id: int | None, expected_chain_id: int | None) -> None:
    if expected_chain_id is not None and chain_id != expected_chain_id:
        named = "none (pre-EIP-155)" if chain_id is None else str(chain_id)
        raise WrongChainId(f"transaction chain id {named}, expected {expected_chain_id}")


def _read_signature(items: list[RLPItem]) -> tuple[int, U256, U256]:
    """The trailing v/y-parity, r and s as integers (range checks come later)."""
    return read_u256(items[-3], "v"), read_u256(items[-2], "r"), read_u256(items[-1], "s")


def _read_access_list(item: RLPItem) -> tuple[AccessListEntry, ...]:
    entries = []
    for entry in read_list(item, what="access list"):
        address, keys = read_list(entry, 2, "access list entry")
        entries.append(
            AccessListEntry(
                read_address(address, "access list address"),
                tuple(read_hash32(key, "storage key") for key in read_list(keys, what="keys")),
            )
        )
    return tuple(entries)


def _recover(signed_payload: bytes, y_parity: int, r: int, s: int) -> Address:
    _check_signature(y_parity, r, s)
    return recover_address(keccak256(signed_payload), _signature_bytes(y_parity, r, s))


def _decode_legacy(raw: bytes, expected_chain_id: int | None) -> LegacyTransaction:
    items = read_list(decode_rlp(raw), _LEGACY_FIELDS, "legacy transaction")
    v, r, s = _read_signature(items)
    y_parity = _legacy_y_parity(v)
    chain_id = None if v in _PRE_EIP155_V else (v - _EIP155_V_OFFSET) // 2
    _check_chain_id(chain_id, expected_chain_id)
    # Read every field before the costly recovery, so malformed input fails fast.
    nonce = read_u64(items[0], "nonce")
    gas_price = read_u256(items[1], "gas price")
    gas_limit = read_u64(items[2], "gas limit")
    to = read_optional_address(items[3])
    value = read_u256(items[4], "value")
    data = read_bytes(items[5], "data")
    fields = _unsigned_body(raw, items[-3:])
    if chain_id is not None:
        fields += encode_rlp([chain_id, 0, 0])[1:]  # chainId ‖ 0x80 ‖ 0x80, list header dropped
    sender = _recover(_list_header(len(fields)) + fields, y_parity, r, s)
    return _assemble(
        LegacyTransaction,
        nonce=nonce,
        gas_price=gas_price,
        gas_limit=gas_limit,
        to=to,
        value=value,
        data=data,
        v=v,
        r=r,
        s=s,
        sender=sender,
        hash=keccak256(raw),
        raw=raw,
    )


def _decode_typed_items(raw: bytes, length: int, what: str) -> tuple[bytes, list[RLPItem]]:
    body = raw[1:]
    return body, read_list(decode_rlp(body), length, what)


def _decode_access_list(raw: bytes, expected_chain_id: int | None) -> AccessListTransaction:
    body, items = _decode_typed_items(raw, _ACCESS_LIST_FIELDS, "type-1 transaction")
    chain_id = to_chain_id(read_u64(items[0], "chain id"))
    _check_chain_id(chain_id, expected_chain_id)
    # Read every field before the costly recovery, so malformed input fails fast.
    nonce = read_u64(items[1], "nonce")
    gas_price = read_u256(items[2], "gas price")
    gas_limit = read_u64(items[3], "gas limit")
    to = read_optional_address(items[4])
    value = read_u256(items[5], "value")
    data = read_bytes(items[6], "data")
    access_list = _read_access_list(items[7])
    y_parity, r, s = _read_signature(items)
    fields = _unsigned_body(body, items[-3:])
    sender = _recover(raw[:1] + _list_header(len(fields)) + fields, y_parity, r, s)
    return _assemble(
        AccessListTransaction,
        chain_id=chain_id,
        nonce=nonce,
        gas_price=gas_price,
        gas_limit=gas_limit,
        to=to,
        value=value,
        data=data,
        access_list=access_list,
        y_parity=U8(y_parity),
        r=r,
        s=s,
        sender=sender,
        hash=keccak256(raw),
        raw=raw,
    )


def _decode_dynamic_fee(raw: bytes, expected_chain_id: int | None) -> DynamicFeeTransaction:
    body, items = _decode_typed_items(raw, _DYNAMIC_FEE_FIELDS, "type-2 transaction")
    chain_id = to_chain_id(read_u64(items[0], "chain id"))
    _check_chain_id(chain_id, expected_chain_id)
    nonce = read_u64(items[1], "nonce")
    max_priority_fee_per_gas = read_u256(items[2], "max priority fee per gas")
    max_fee_per_gas = read_u256(items[3], "max fee per gas")
    gas_limit = read_u64(items[4], "gas limit")
    to = read_optional_address(items[5])
    value = read_u256(items[6], "value")
    data = read_bytes(items[7], "data")
    access_list = _read_access_list(items[8])
    y_parity, r, s = _read_signature(items)
    fields = _unsigned_body(body, items[-3:])
    sender = _recover(raw[:1] + _list_header(len(fields)) + fields, y_parity, r, s)
    return _assemble(
        DynamicFeeTransaction,
        chain_id=chain_id,
        nonce=nonce,
        max_priority_fee_per_gas=max_priority_fee_per_gas,
        max_fee_per_gas=max_fee_per_gas,
        gas_limit=gas_limit,
        to=to,
        value=value,
        data=data,
        access_list=access_list,
        y_parity=U8(y_parity),
        r=r,
        s=s,
        sender=sender,
        hash=keccak256(raw),
        raw=raw,
    )


def _decode_deposit(raw: bytes) -> DepositTransaction:
    _, items = _decode_typed_items(raw, _DEPOSIT_FIELDS, "deposit transaction")
    is_system = read_bytes(items[6], "is system transaction")
    if is_system not in (b"", b"\x01"):
        raise MalformedTransaction("deposit isSystemTx must be RLP false (0x80) or true (0x01)")
    return _assemble(
        DepositTransaction,
        source_hash=read_hash32(items[0], "source hash"),
        sender=read_address(items[1], "from"),
        to=read_optional_address(items[2]),
        mint=read_u256(items[3], "mint"),
        value=read_u256(items[4], "value"),
        gas_limit=read_u64(items[5], "gas"),
        is_system_transaction=is_system == b"\x01",
        data=read_bytes(items[7], "data"),
        hash=keccak256(raw),
        raw=raw,
    )


# --- OP Stack deposit source hashes --------------------------------------------


def _source_hash(domain: int, deposit_id: bytes) -> Hash32:
    """keccak256(bytes32(domain) ‖ keccak256(deposit_id)), per the OP deposits spec."""
    return keccak256(domain.to_bytes(32, "big") + keccak256(deposit_id))


def user_deposit_source_hash(l1_block_hash: Hash32, log_index: int) -> Hash32:
    """Source hash of a user deposit: domain 0, keccak(l1BlockHash ‖ uint256(logIndex))."""
    block_hash = to_hash32(l1_block_hash)
    return _source_hash(USER_DEPOSIT_SOURCE_DOMAIN, block_hash + log_index.to_bytes(32, "big"))


def l1_info_deposit_source_hash(l1_block_hash: Hash32, sequence_number: int) -> Hash32:
    """Source hash of the L1-attributes deposit: domain 1, keccak(l1BlockHash ‖ uint256(seq))."""
    block_hash = to_hash32(l1_block_hash)
    return _source_hash(
        L1_INFO_DEPOSIT_SOURCE_DOMAIN, block_hash + sequence_number.to_bytes(32, "big")
    )


def upgrade_deposit_source_hash(intent: str) -> Hash32:
    """Source hash of a network-upgrade deposit: domain 2, keccak(intent) (UTF-8)."""
    return _source_hash(UPGRADE_DEPOSIT_SOURCE_DOMAIN, intent.encode())
