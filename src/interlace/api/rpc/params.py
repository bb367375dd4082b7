"""Parameter parsing for JSON-RPC methods: Ethereum's JSON encodings, checked strictly.

Each parser takes one decoded JSON value and returns a typed Python value or
raises ``ParamError`` with what was expected; the dispatcher adds the
parameter's position and name and answers -32602. Quantities follow the
Ethereum JSON-RPC spec (``0x``-prefixed hex, no leading zeros, ``0x0`` for
zero) as geth's ``hexutil`` does; data is ``0x``-prefixed hex of whole bytes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from interlace.primitives.errors import InputError
from interlace.primitives.types import U64_MAX, Address, Hash32

BLOCK_TAGS: Final = frozenset({"latest", "earliest", "pending", "safe", "finalized"})
MAX_DATA_BYTES: Final = 512 * 1024
"""Longest hex data parameter accepted (a transaction with a large proof fits easily)."""


class ParamError(InputError, ValueError):
    """A parameter value does not parse; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class Param:
    """One positional parameter of a method."""

    name: str
    """Name used in error messages and docs."""
    parse: Callable[[object], Any]
    """Turns the JSON value into the handler's argument (raises ``ParamError``)."""
    required: bool = True
    """Whether the parameter may be omitted (trailing parameters only)."""
    default: object = None
    """Value passed when an optional parameter is omitted or null."""


@dataclass(frozen=True, slots=True)
class BlockRef:
    """A block named by tag, number or hash (EIP-1898)."""

    tag: str | None = None
    """One of ``BLOCK_TAGS`` or None."""
    number: int | None = None
    """A block number, or None."""
    block_hash: Hash32 | None = None
    """A block hash, or None."""
    require_canonical: bool = False
    """EIP-1898: with a hash, fail unless the block is canonical (always true here)."""


LATEST: Final = BlockRef(tag="latest")


@dataclass(frozen=True, slots=True)
class CallRequest:
    """The transaction object of ``eth_call`` / ``eth_estimateGas``."""

    sender: Address | None
    to: Address | None
    gas: int | None
    value: int
    data: bytes
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    gas_price: int | None = None
    access_list: tuple[tuple[Address, tuple[Hash32, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class LogFilter:
    """An ``eth_getLogs`` / ``logs`` subscription filter."""

    from_block: BlockRef
    to_block: BlockRef
    block_hash: Hash32 | None
    addresses: tuple[Address, ...]
    """Empty means any address."""
    topics: tuple[tuple[Hash32, ...] | None, ...]
    """Per position: None for any, else one of these topics."""


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def parse_quantity(value: object, *, bits: int = 256) -> int:
    """``0x``-prefixed hex quantity without leading zeros."""
    if not isinstance(value, str):
        raise ParamError(f"expected a hex quantity like '0x1a', got {_type_name(value)}")
    if value[:2] not in ("0x", "0X"):
        raise ParamError(f"expected a hex quantity with a 0x prefix, got {value[:40]!r}")
    body = value[2:]
    if not body:
        raise ParamError("empty hex quantity '0x' (zero is '0x0')")
    if len(body) > 1 and body[0] == "0":
        raise ParamError(f"hex quantity {value[:40]!r} has leading zero digits")
    if len(body) > bits // 4:
        raise ParamError(f"hex quantity {value[:40]}… does not fit {bits} bits")
    try:
        return int(body, 16)
    except ValueError:
        raise ParamError(f"not a hex quantity: {value[:40]!r}") from None


def parse_u64(value: object) -> int:
    """A quantity that fits 64 bits."""
    return parse_quantity(value, bits=64)


def parse_u256(value: object) -> int:
    """A quantity that fits 256 bits."""
    return parse_quantity(value, bits=256)


def parse_int_or_quantity(value: object, *, maximum: int = U64_MAX) -> int:
    """A JSON integer or a hex quantity (``interlace_*`` accept both for chain ids/numbers)."""
    if isinstance(value, bool):
        raise ParamError("expected an integer or a hex quantity, got a boolean")
    number = value if isinstance(value, int) else parse_quantity(value)
    if not 0 <= number <= maximum:
        raise ParamError(f"{number} is out of range [0, {maximum}]")
    return number


def parse_data(
    value: object, *, length: int | None = None, max_bytes: int = MAX_DATA_BYTES
) -> bytes:
    """``0x``-prefixed hex of whole bytes (of exactly ``length`` bytes if given)."""
    if not isinstance(value, str):
        raise ParamError(f"expected 0x-prefixed hex data, got {_type_name(value)}")
    if value[:2] not in ("0x", "0X"):
        raise ParamError(f"expected hex data with a 0x prefix, got {value[:40]!r}")
    body = value[2:]
    if len(body) % 2:
        raise ParamError("hex data has an odd number of digits")
    if len(body) // 2 > max_bytes:
        raise ParamError(f"hex data is longer than {max_bytes} bytes")
    try:
        raw = bytes.fromhex(body)
    except ValueError:
        raise ParamError(f"not hex data: {value[:40]!r}…") from None
    if length is not None and len(raw) != length:
        raise ParamError(f"expected {length} bytes of hex data, got {len(raw)}")
    return raw


def parse_address(value: object) -> Address:
    """A 20-byte address (checksum not required)."""
    try:
        return Address(parse_data(value, length=20))
    except ParamError as exc:
        raise ParamError(f"expected a 20-byte address: {exc}") from None


def parse_hash(value: object) -> Hash32:
    """A 32-byte hash."""
    try:
        return Hash32(parse_data(value, length=32))
    except ParamError as exc:
        raise ParamError(f"expected a 32-byte hash: {exc}") from None


def parse_storage_key(value: object) -> bytes:
    """A storage slot: hex of at most 32 bytes (odd digit counts allowed), left-padded to 32.

    geth's ``decodeHash`` accepts ``0x0`` and ``0x1`` here, and tools send them.
    """
    if isinstance(value, str) and value[:2] in ("0x", "0X") and len(value) % 2:
        value = "0x0" + value[2:]
    raw = parse_data(value, max_bytes=32)
    return raw.rjust(32, b"\x00")


def parse_bool(value: object) -> bool:
    """A JSON boolean."""
    if not isinstance(value, bool):
        raise ParamError(f"expected true or false, got {_type_name(value)}")
    return value


def parse_block_ref(value: object) -> BlockRef:
    """A block tag, a hex number, or an EIP-1898 object ``{blockNumber}`` / ``{blockHash}``."""
    if isinstance(value, str):
        if value in BLOCK_TAGS:
            return BlockRef(tag=value)
        if value[:2] in ("0x", "0X"):
            return BlockRef(number=parse_u64(value))
        raise ParamError(
            f"expected a hex block number or one of {sorted(BLOCK_TAGS)}, got {value[:40]!r}"
        )
    if isinstance(value, dict):
        unknown = set(value) - {"blockNumber", "blockHash", "requireCanonical"}
        if unknown:
            raise ParamError(f"unknown block selector fields {sorted(unknown)}")
        if "blockHash" in value and "blockNumber" in value:
            raise ParamError("give blockHash or blockNumber, not both")
        if "blockHash" in value:
            canonical = parse_bool(value.get("requireCanonical", False))
            return BlockRef(block_hash=parse_hash(value["blockHash"]), require_canonical=canonical)
        if "blockNumber" in value:
            return parse_block_ref(value["blockNumber"])
        raise ParamError("a block selector object needs blockHash or blockNumber")
    raise ParamError(f"expected a block number, tag or selector, got {_type_name(value)}")


def parse_block_number_or_tag(value: object) -> BlockRef:
    """A block tag or hex number (no EIP-1898 object: ``eth_getBlockByNumber``)."""
    if not isinstance(value, str):
        raise ParamError(f"expected a block number or tag, got {_type_name(value)}")
    return parse_block_ref(value)


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParamError(f"expected {what} object, got {_type_name(value)}")
    return value


def _field(obj: dict[str, Any], key: str, parse: Callable[[object], Any]) -> Any:
    raw = obj.get(key)
    if raw is None:
        return None
    try:
        return parse(raw)
    except ParamError as exc:
        raise ParamError(f"field {key!r}: {exc}") from None


def _parse_access_list(value: object) -> tuple[tuple[Address, tuple[Hash32, ...]], ...]:
    if not isinstance(value, list):
        raise ParamError(f"expected an access list array, got {_type_name(value)}")
    entries = []
    for entry in value:
        obj = _object(entry, "an access list entry")
        address = _field(obj, "address", parse_address)
        keys = obj.get("storageKeys", [])
        if address is None or not isinstance(keys, list):
            raise ParamError("an access list entry needs address and storageKeys")
        entries.append((address, tuple(parse_hash(k) for k in keys)))
    return tuple(entries)


CALL_FIELDS: Final = frozenset(
    {
        "from",
        "to",
        "gas",
        "gasPrice",
        "maxFeePerGas",
        "maxPriorityFeePerGas",
        "value",
        "data",
        "input",
        "nonce",
        "chainId",
        "type",
        "accessList",
    }
)
"""Fields of a call object; ``nonce``, ``chainId`` and ``type`` are accepted and not used."""


def parse_call_request(value: object) -> CallRequest:
    """The transaction object of ``eth_call`` / ``eth_estimateGas``; unknown fields are refused."""
    obj = _object(value, "a transaction call")
    unknown = set(obj) - CALL_FIELDS
    if unknown:
        raise ParamError(f"unknown transaction fields {sorted(unknown)[:5]}")
    for key in ("nonce", "chainId", "type"):
        _field(obj, key, parse_u64)
    data = _field(obj, "input", parse_data)
    alt = _field(obj, "data", parse_data)
    if data is not None and alt is not None and data != alt:
        raise ParamError("both 'input' and 'data' given, with different values")
    return CallRequest(
        sender=_field(obj, "from", parse_address),
        to=_field(obj, "to", parse_address),
        gas=_field(obj, "gas", parse_u64),
        value=_field(obj, "value", parse_u256) or 0,
        data=data if data is not None else (alt or b""),
        max_fee_per_gas=_field(obj, "maxFeePerGas", parse_u256),
        max_priority_fee_per_gas=_field(obj, "maxPriorityFeePerGas", parse_u256),
        gas_price=_field(obj, "gasPrice", parse_u256),
        access_list=_field(obj, "accessList", _parse_access_list) or (),
    )


def _parse_topic_slot(value: object) -> tuple[Hash32, ...] | None:
    if value is None:
        return None
    if isinstance(value, list):
        if not value:
            return None
        if any(v is None for v in value):
            return None  # [null, x] matches anything in this position
        return tuple(parse_hash(v) for v in value)
    return (parse_hash(value),)


def parse_log_filter(value: object) -> LogFilter:
    """A log filter: ``fromBlock``/``toBlock`` or ``blockHash``, ``address``, ``topics``."""
    obj = _object(value, "a log filter")
    unknown = set(obj) - {"fromBlock", "toBlock", "blockHash", "address", "topics"}
    if unknown:
        raise ParamError(f"unknown filter fields {sorted(unknown)}")
    block_hash = _field(obj, "blockHash", parse_hash)
    if block_hash is not None and (
        obj.get("fromBlock") is not None or obj.get("toBlock") is not None
    ):
        raise ParamError("give blockHash or fromBlock/toBlock, not both")
    raw_address = obj.get("address")
    if raw_address is None:
        addresses: tuple[Address, ...] = ()
    elif isinstance(raw_address, list):
        addresses = tuple(parse_address(a) for a in raw_address)
    else:
        addresses = (parse_address(raw_address),)
    raw_topics = obj.get("topics", [])
    if raw_topics is None:
        raw_topics = []
    if not isinstance(raw_topics, list):
        raise ParamError(f"field 'topics': expected an array, got {_type_name(raw_topics)}")
    if len(raw_topics) > 4:
        raise ParamError("field 'topics': at most 4 topic positions")
    return LogFilter(
        from_block=_field(obj, "fromBlock", parse_block_number_or_tag) or LATEST,
        to_block=_field(obj, "toBlock", parse_block_number_or_tag) or LATEST,
        block_hash=block_hash,
        addresses=addresses,
        topics=tuple(_parse_topic_slot(t) for t in raw_topics),
    )


def parse_storage_keys(value: object) -> tuple[bytes, ...]:
    """An array of storage keys (at most 1,024)."""
    if not isinstance(value, list):
        raise ParamError(f"expected an array of storage keys, got {_type_name(value)}")
    if len(value) > 1024:
        raise ParamError("at most 1024 storage keys")
    return tuple(parse_storage_key(k) for k in value)


def parse_reward_percentiles(value: object) -> tuple[float, ...]:
    """``eth_feeHistory`` percentiles: increasing numbers in [0, 100]."""
    if not isinstance(value, list):
        raise ParamError(f"expected an array of percentiles, got {_type_name(value)}")
    if len(value) > 100:
        raise ParamError("at most 100 percentiles")
    out: list[float] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise ParamError(f"a percentile must be a number, got {_type_name(item)}")
        if not 0 <= item <= 100 or (out and item < out[-1]):
            raise ParamError("percentiles must be increasing and within [0, 100]")
        out.append(float(item))
    return tuple(out)


def parse_block_count(value: object) -> int:
    """``eth_feeHistory`` block count: a hex quantity or a JSON integer in [1, 1024]."""
    count = parse_int_or_quantity(value)
    if not 1 <= count <= 1024:
        raise ParamError("block count must be within [1, 1024]")
    return count


def parse_chain_id(value: object) -> int:
    """A chain id (integer or hex quantity), > 0 and a uint64."""
    chain = parse_int_or_quantity(value)
    if chain == 0:
        raise ParamError("chain id must be positive")
    return chain


def parse_number_or_hash(value: object) -> int | Hash32:
    """A block number (integer or hex quantity) or a 32-byte block hash."""
    if isinstance(value, str) and len(value) == 66:
        return parse_hash(value)
    return parse_int_or_quantity(value)


def parse_string(value: object) -> str:
    """A short string."""
    if not isinstance(value, str) or len(value) > 256:
        raise ParamError(f"expected a string, got {_type_name(value)}")
    return value
