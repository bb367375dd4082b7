"""Messages on the wire: a typed, generic codec for every ``Message`` of the project.

A message is encoded as RLP ``[name, fields]`` where ``name`` is the class's
``module:qualname`` and ``fields`` follows the dataclass's type hints,
recursively:

| type | encoding |
|---|---|
| ``bytes`` (and NewTypes of it) | the bytes |
| ``int`` (and NewTypes of it) | zigzag-mapped, then RLP's big-endian integer |
| ``bool`` | ``0x01`` or empty |
| ``str`` | UTF-8 |
| ``float`` | 8 bytes, IEEE 754 big-endian |
| ``None`` (in a union) | empty |
| ``X | Y | None`` | ``[arm index, value]`` |
| ``tuple[X, ...]`` / ``tuple[X, Y]`` | a list |
| ``frozenset[X]`` | a list in encoded order |
| ``Enum`` | its member name |
| a dataclass | the list of its init fields |
| ``Block``, ``BlockHeader``, ``Receipt``, ``Log``, transactions | canonical Ethereum bytes |

Nothing is ever executed or looked up by a name from the wire except a
registered message class; decoding foreign bytes raises only
``MalformedMessage`` (a ``MalformedInput``). NewTypes with a checked
constructor (``Hash32``, ``Address``, ``U64``, ``U256``, ``ChainId``) are
checked on decode.

The registry is built by importing every module of ``interlace.roles`` and
walking ``Message.__subclasses__()`` recursively, so a new message class in
any role module is picked up with no edit here; a class defined later (a
test's fake role) is found by walking again when an unknown one is met.
"""

import dataclasses
import enum
import importlib
import logging
import pkgutil
import struct
import sys
import types
import typing
from collections.abc import Callable
from typing import Any, Final

from interlace.primitives.errors import InterlaceError, MalformedInput, MisuseError
from interlace.primitives.header import BlockHeader, decode_header, encode_header
from interlace.primitives.receipt import Log, Receipt, decode_log, decode_receipt, encode_receipt
from interlace.primitives.receipt import encode_log as _encode_log
from interlace.primitives.rlp_codec import RLPItem, decode_rlp, encode_rlp
from interlace.primitives.tx import (
    AccessListTransaction,
    DepositTransaction,
    DynamicFeeTransaction,
    LegacyTransaction,
    decode_transaction,
)
from interlace.primitives.types import (
    U64,
    U256,
    Address,
    ChainId,
    Hash32,
    to_address,
    to_chain_id,
    to_hash32,
    to_u64,
    to_u256,
)
from interlace.protocol.chain.block import Block
from interlace.roles.base import Message

Encoder = Callable[[Any], RLPItem]
Decoder = Callable[[RLPItem], Any]

MAX_MESSAGE_BYTES: Final = 64 * 1024 * 1024
"""Larger frames are refused before decoding."""
_TX_CLASSES: Final = frozenset(
    {LegacyTransaction, AccessListTransaction, DynamicFeeTransaction, DepositTransaction}
)
_CHECKED_NEWTYPES: Final[dict[object, Callable[[Any], Any]]] = {
    Hash32: to_hash32,
    Address: to_address,
    U64: to_u64,
    U256: to_u256,
    ChainId: to_chain_id,
}


log = logging.getLogger(__name__)


class MalformedMessage(MalformedInput):
    """Bytes from a peer are not an encoded message of a known class."""


class UnsupportedField(MisuseError, TypeError):
    """A message class has a field type the codec cannot encode (a bug in that class)."""


# ---- public API ------------------------------------------------------------------


def encode_message(message: Message) -> bytes:
    """Serialise ``message`` (an instance of a registered ``Message`` dataclass)."""
    cls = type(message)
    plan = _plan_for_class(cls)
    return encode_rlp([message_name(cls).encode(), plan[0](message)])


def decode_message(raw: bytes) -> Message:
    """Inverse of ``encode_message``; raises ``MalformedMessage`` on anything else."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MalformedMessage(f"message of {len(raw)} bytes exceeds {MAX_MESSAGE_BYTES}")
    try:
        item = decode_rlp(raw)
        if not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], bytes):
            raise MalformedMessage("a message is RLP [name, fields]")
        name = item[0].decode("ascii")
        cls = message_class(name)
        message = _plan_for_class(cls)[1](item[1])
    except MalformedMessage:
        raise
    except (InterlaceError, ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        # UnicodeDecodeError and struct.error are ValueError subclasses.
        raise MalformedMessage(f"cannot decode message: {exc}") from exc
    assert isinstance(message, Message)
    return message


def message_name(cls: type[Message]) -> str:
    """The wire name of a message class."""
    return f"{cls.__module__}:{cls.__qualname__}"


def message_class(name: str) -> type[Message]:
    """The registered class for a wire name; ``MalformedMessage`` if there is none."""
    cls = _REGISTRY.get(name)
    if cls is None:
        _refresh_registry()
        cls = _REGISTRY.get(name)
    if cls is None:
        raise MalformedMessage(f"unknown message class {name[:120]!r}")
    return cls


def message_classes() -> dict[str, type[Message]]:
    """Every registered message class by wire name (imports all of ``interlace.roles``)."""
    _import_roles()
    _refresh_registry()
    return dict(_REGISTRY)


def check_codec(cls: type) -> None:
    """Build the codec of ``cls`` now; ``UnsupportedField`` names a field it cannot encode."""
    _plan_for_class(cls)


# ---- registry ----------------------------------------------------------------------

_REGISTRY: dict[str, type[Message]] = {}
_roles_imported = False


def _import_roles() -> None:
    global _roles_imported  # noqa: PLW0603 - a one-time import of the roles package
    if _roles_imported:
        return
    package = importlib.import_module("interlace.roles")
    for info in pkgutil.walk_packages(package.__path__, "interlace.roles."):
        try:
            importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 - a broken role module must not stop unrelated nodes
            log.warning("role module %s does not import; its messages are unknown", info.name)
    _roles_imported = True


def _refresh_registry() -> None:
    _import_roles()
    stack: list[type[Message]] = [Message]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls is not Message and hasattr(cls, "__dataclass_fields__"):
            name = message_name(cls)
            known = _REGISTRY.get(name)
            if known is None or (_is_bound(cls) and not _is_bound(known)):
                _REGISTRY[name] = cls


def _is_bound(cls: type) -> bool:
    """True if ``cls`` is what its module's name for it points at.

    ``@dataclass(slots=True)`` returns a new class; the original one stays among
    ``__subclasses__()`` until it is collected and must not shadow the real one.
    """
    target: object = sys.modules.get(cls.__module__)
    for part in cls.__qualname__.split("."):
        target = getattr(target, part, None)
    return target is cls


# ---- plans -------------------------------------------------------------------------

_PLANS: dict[object, tuple[Encoder, Decoder]] = {}


def _plan_for_class(cls: type) -> tuple[Encoder, Decoder]:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _build(cls, cls.__qualname__)
        _PLANS[cls] = plan
        if isinstance(cls, type) and issubclass(cls, Message):
            _REGISTRY[message_name(cls)] = cls  # instances exist only of the real class
    return plan


def _plan(tp: object, where: str) -> tuple[Encoder, Decoder]:
    plan = _PLANS.get(tp)
    if plan is None:
        plan = _build(tp, where)
        _PLANS[tp] = plan
    return plan


def _build(tp: object, where: str) -> tuple[Encoder, Decoder]:
    special = _SPECIAL.get(tp)
    if special is not None:
        return special
    if isinstance(tp, typing.NewType):
        base_enc, base_dec = _plan(tp.__supertype__, where)
        check = _CHECKED_NEWTYPES.get(tp)
        if check is None:
            return base_enc, base_dec
        return base_enc, lambda item: check(base_dec(item))
    if tp is type(None):
        return _encode_none, _decode_none
    if tp is bool:
        return _encode_bool, _decode_bool
    if tp is int:
        return _encode_int, _decode_int
    if tp is bytes:
        return _encode_bytes, _decode_bytes
    if tp is str:
        return _encode_str, _decode_str
    if tp is float:
        return _encode_float, _decode_float
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        if frozenset(args) <= _TX_CLASSES:
            return _encode_tx, _decode_tx
        return _union_plan(args, where)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _sequence_plan(args[0], where, tuple)
        return _fixed_tuple_plan(args, where)
    if origin is frozenset:
        return _sequence_plan(args[0], where, frozenset)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_plan(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_plan(tp)
    if tp is Message or (isinstance(tp, type) and issubclass(tp, Message)):
        return _encode_dynamic, _decode_dynamic
    raise UnsupportedField(f"{where}: the message codec cannot encode {tp!r}")


def _dataclass_plan(cls: type) -> tuple[Encoder, Decoder]:
    hints = typing.get_type_hints(cls)
    names: list[str] = []
    encoders: list[Encoder] = []
    decoders: list[Decoder] = []
    # Self-referencing dataclasses would recurse forever; reserve the slot first.
    cell: dict[str, tuple[Encoder, Decoder]] = {}
    _PLANS[cls] = (
        lambda v: cell["plan"][0](v),  # noqa: PLW0108 - bound later
        lambda i: cell["plan"][1](i),  # noqa: PLW0108
    )
    for f in dataclasses.fields(cls):
        if not f.init:
            continue  # derived in __post_init__
        enc, dec = _plan(hints[f.name], f"{cls.__qualname__}.{f.name}")
        names.append(f.name)
        encoders.append(enc)
        decoders.append(dec)
    count = len(names)
    pairs = tuple(zip(names, encoders, strict=True))
    named = tuple(zip(names, decoders, strict=True))

    def encode(value: Any) -> RLPItem:
        return [enc(getattr(value, name)) for name, enc in pairs]

    def decode(item: RLPItem) -> Any:
        if not isinstance(item, list) or len(item) != count:
            raise MalformedMessage(f"{cls.__qualname__}: expected a list of {count} fields")
        return cls(**{name: dec(sub) for (name, dec), sub in zip(named, item, strict=True)})

    cell["plan"] = (encode, decode)
    return encode, decode


def _union_plan(args: tuple[object, ...], where: str) -> tuple[Encoder, Decoder]:
    arms = [(arm, _plan(arm, where)) for arm in args]

    def encode(value: Any) -> RLPItem:
        for index, (arm, (enc, _dec)) in enumerate(arms):
            if _instance_of(value, arm):
                return [_encode_int(index), enc(value)]
        raise UnsupportedField(f"{where}: {type(value).__name__} is none of {args!r}")

    def decode(item: RLPItem) -> Any:
        if not isinstance(item, list) or len(item) != 2:
            raise MalformedMessage(f"{where}: a union value is [arm, value]")
        index = _decode_int(item[0])
        if not 0 <= index < len(arms):
            raise MalformedMessage(f"{where}: no union arm {index}")
        return arms[index][1][1](item[1])

    return encode, decode


def _instance_of(value: object, arm: object) -> bool:
    while isinstance(arm, typing.NewType):
        arm = arm.__supertype__
    if arm is type(None):
        return value is None
    if arm is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if arm is float:
        return isinstance(value, float)
    origin = typing.get_origin(arm)
    if origin in (types.UnionType, typing.Union):
        return any(_instance_of(value, a) for a in typing.get_args(arm))
    if origin is not None:
        return isinstance(value, origin)
    return isinstance(arm, type) and isinstance(value, arm)


def _sequence_plan(element: object, where: str, build: type) -> tuple[Encoder, Decoder]:
    enc, dec = _plan(element, where)

    def encode(value: Any) -> RLPItem:
        return [enc(v) for v in value]

    def decode(item: RLPItem) -> Any:
        if not isinstance(item, list):
            raise MalformedMessage(f"{where}: expected a list")
        return build(dec(v) for v in item)

    return encode, decode


def _fixed_tuple_plan(args: tuple[object, ...], where: str) -> tuple[Encoder, Decoder]:
    plans = [_plan(a, where) for a in args]
    count = len(plans)

    def encode(value: Any) -> RLPItem:
        return [enc(v) for (enc, _dec), v in zip(plans, value, strict=True)]

    def decode(item: RLPItem) -> Any:
        if not isinstance(item, list) or len(item) != count:
            raise MalformedMessage(f"{where}: expected a list of {count}")
        return tuple(dec(v) for (_enc, dec), v in zip(plans, item, strict=True))

    return encode, decode


def _enum_plan(cls: type[enum.Enum]) -> tuple[Encoder, Decoder]:
    def encode(value: Any) -> RLPItem:
        return str(value.name).encode()

    def decode(item: RLPItem) -> Any:
        return cls[_decode_str(item)]

    return encode, decode


# ---- scalars -----------------------------------------------------------------------


def _encode_none(value: Any) -> RLPItem:
    del value
    return b""


def _decode_none(item: RLPItem) -> Any:
    if item != b"":
        raise MalformedMessage("None is encoded as empty bytes")
    return None


def _encode_bool(value: Any) -> RLPItem:
    return b"\x01" if value else b""


def _decode_bool(item: RLPItem) -> Any:
    if item == b"\x01":
        return True
    if item == b"":
        return False
    raise MalformedMessage("a bool is 0x01 or empty")


def _encode_int(value: Any) -> RLPItem:
    n = int(value)
    zigzag = 2 * n if n >= 0 else -2 * n - 1
    return zigzag.to_bytes((zigzag.bit_length() + 7) // 8, "big")


def _decode_int(item: RLPItem) -> int:
    raw = _decode_bytes(item)
    if raw[:1] == b"\x00":
        raise MalformedMessage("an integer has a leading zero byte")
    if len(raw) > 64:
        raise MalformedMessage("integer wider than 512 bits")
    zigzag = int.from_bytes(raw, "big")
    return zigzag // 2 if zigzag % 2 == 0 else -(zigzag + 1) // 2


def _encode_bytes(value: Any) -> RLPItem:
    return bytes(value)


def _decode_bytes(item: RLPItem) -> bytes:
    if not isinstance(item, bytes):
        raise MalformedMessage("expected bytes, got a list")
    return item


def _encode_str(value: Any) -> RLPItem:
    return str(value).encode()


def _decode_str(item: RLPItem) -> str:
    return _decode_bytes(item).decode()


def _encode_float(value: Any) -> RLPItem:
    return struct.pack(">d", value)


def _decode_float(item: RLPItem) -> Any:
    raw = _decode_bytes(item)
    if len(raw) != 8:
        raise MalformedMessage("a float is 8 bytes")
    return struct.unpack(">d", raw)[0]


def _encode_dynamic(value: Any) -> RLPItem:
    cls = type(value)
    return [message_name(cls).encode(), _plan_for_class(cls)[0](value)]


def _decode_dynamic(item: RLPItem) -> Any:
    if not isinstance(item, list) or len(item) != 2:
        raise MalformedMessage("a nested message is [name, fields]")
    cls = message_class(_decode_str(item[0]))
    return _plan_for_class(cls)[1](item[1])


# ---- canonical encodings ---------------------------------------------------------------


def _encode_block(value: Any) -> RLPItem:
    block: Block = value
    return [encode_header(block.header), [tx.raw for tx in block.transactions]]


def _decode_block(item: RLPItem) -> Any:
    if not isinstance(item, list) or len(item) != 2 or not isinstance(item[1], list):
        raise MalformedMessage("a block is [header, [transactions]]")
    header = decode_header(_decode_bytes(item[0]))
    return Block(header, tuple(decode_transaction(_decode_bytes(t)) for t in item[1]))


def _encode_tx(value: Any) -> RLPItem:
    return bytes(value.raw)


def _decode_tx(item: RLPItem) -> Any:
    return decode_transaction(_decode_bytes(item))


def _typed_tx_decoder(cls: type) -> Decoder:
    def decode(item: RLPItem) -> Any:
        tx = _decode_tx(item)
        if not isinstance(tx, cls):
            raise MalformedMessage(f"expected a {cls.__name__}")
        return tx

    return decode


_SPECIAL: Final[dict[object, tuple[Encoder, Decoder]]] = {
    Block: (_encode_block, _decode_block),
    BlockHeader: (encode_header, lambda item: decode_header(_decode_bytes(item))),
    Receipt: (encode_receipt, lambda item: decode_receipt(_decode_bytes(item))),
    Log: (_encode_log, lambda item: decode_log(_decode_bytes(item))),
    **{cls: (_encode_tx, _typed_tx_decoder(cls)) for cls in _TX_CLASSES},
}
