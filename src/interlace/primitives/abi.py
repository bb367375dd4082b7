"""Solidity ABI for native modules: declare functions and events once, from their signatures.

A native module (bridge, messenger, hub client, L1 registries) lists its
interface as human-readable Solidity signatures, for example
``"sendMessage(uint256 destination, address target, bytes message) returns (bytes32)"``
or ``"SentMessage(uint256 indexed destination, address sender, bytes message)"``.
``AbiModule.declare`` parses them with a small parser of our own (parameter
types including tuples and arrays, names, ``indexed``, ``returns (...)``,
``view``/``pure``/``payable``, ``anonymous``) and gives selectors, topic0,
calldata/return/log encoding and decoding through eth-abi, and the standard
JSON ABI list a web3.py contract object takes. Canonical signatures drop
names and ``indexed`` and normalise ``uint`` to ``uint256``. Decoded
``address`` values come back as 20-byte ``Address`` bytes, not eth-abi's
checksum strings; encoding accepts either. Bytes from outside that eth-abi
cannot decode, an unknown selector or topic, or a wrong topic count raise
``MalformedCalldata``; a bad declaration or values that do not fit their
types are local misuse and raise ``ValueError``. As in Solidity, bytes past
the end of the encoded arguments are ignored.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from eth_abi.abi import decode as _eth_abi_decode
from eth_abi.abi import encode as _eth_abi_encode
from eth_abi.abi import is_encodable_type
from eth_abi.exceptions import DecodingError, EncodingError
from eth_abi.grammar import ABIType, TupleType, normalize, parse

from interlace.primitives.errors import MalformedInput
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import Address, Hash32

__all__ = [
    "STATE_MUTABILITIES",
    "AbiEvent",
    "AbiFunction",
    "AbiModule",
    "AbiParam",
    "MalformedCalldata",
    "abi_decode",
    "abi_encode",
    "parse_event",
    "parse_function",
]


class MalformedCalldata(MalformedInput):
    """Calldata, return data or a log is not valid ABI data for the declared interface."""


STATE_MUTABILITIES: Final = frozenset({"pure", "view", "nonpayable", "payable"})
_IGNORED_FUNCTION_WORDS: Final = frozenset({"external", "public"})
_DATA_LOCATIONS: Final = frozenset({"memory", "calldata", "storage"})
_IDENTIFIER: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
_HEAD: Final = re.compile(r"\s*(?:(?:function|event)\s+)?([A-Za-z_$][A-Za-z0-9_$]*)\s*\(")
_ELEMENTARY: Final = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:\[\d*\])*")
_ARRAY_SUFFIX: Final = re.compile(r"(?:\[\d*\])*")
# eth-abi raises these on bytes that are not valid ABI data (UnicodeDecodeError
# for a bad ``string``, OverflowError for an offset or length past 2^63).
_DECODE_ERRORS: Final = (DecodingError, UnicodeDecodeError, OverflowError)


# --- Parameters and the signature parser -------------------------------------------------


@dataclass(frozen=True, slots=True)
class AbiParam:
    """One input, output or event parameter."""

    name: str
    """Its name in the declaration, or ``""`` when unnamed."""
    type: str
    """Canonical ABI type, e.g. ``uint256`` or ``(uint64,uint64,bytes32)[]``."""
    indexed: bool = False
    """For event parameters: stored in a topic rather than in the log data."""
    components: "tuple[AbiParam, ...] | None" = None
    """For tuple types (and arrays of tuples): the members, with their names."""

    def abi_json(self, *, event: bool = False) -> dict[str, Any]:
        """This parameter as a JSON ABI entry (tuples as ``tuple``/``tuple[]`` + components)."""
        entry: dict[str, Any] = {"name": self.name}
        if self.components is None:
            entry["type"] = self.type
        else:
            close = _matching_paren(self.type, 0)
            entry["type"] = "tuple" + self.type[close + 1 :]
            entry["components"] = [c.abi_json() for c in self.components]
        if event:
            entry["indexed"] = self.indexed
        return entry


def _matching_paren(text: str, open_index: int) -> int:
    depth = 0
    for index in range(open_index, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unbalanced parentheses in {text!r}")


def _split_top_level(text: str) -> list[str]:
    if not text.strip():
        return []
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _parse_params(text: str, *, allow_indexed: bool) -> tuple[AbiParam, ...]:
    return tuple(_parse_param(part, allow_indexed=allow_indexed) for part in _split_top_level(text))


def _parse_param(text: str, *, allow_indexed: bool) -> AbiParam:
    text = text.strip()
    if text.startswith("tuple("):
        text = text[len("tuple") :]
    components: tuple[AbiParam, ...] | None = None
    if text.startswith("("):
        close = _matching_paren(text, 0)
        components = _parse_params(text[1:close], allow_indexed=False)
        rest = text[close + 1 :]
        suffix = _ARRAY_SUFFIX.match(rest)
        assert suffix is not None  # the pattern matches the empty string
        type_str = "(" + ",".join(c.type for c in components) + ")" + suffix.group(0)
        rest = rest[suffix.end() :]
    else:
        elementary = _ELEMENTARY.match(text)
        if elementary is None:
            raise ValueError(f"cannot parse ABI parameter {text!r}")
        type_str = str(normalize(elementary.group(0)))  # type: ignore[no-untyped-call]
        rest = text[elementary.end() :]
    if rest and not rest[0].isspace():
        raise ValueError(f"cannot parse ABI parameter {text!r}")
    if not is_encodable_type(type_str):
        raise ValueError(f"{type_str!r} is not an ABI type eth-abi can encode")

    words = rest.split()
    indexed = bool(words) and words[0] == "indexed"
    if indexed:
        if not allow_indexed:
            raise ValueError(f"'indexed' outside an event parameter list: {text!r}")
        words.pop(0)
    if words and words[0] in _DATA_LOCATIONS:
        words.pop(0)
    name = words.pop(0) if words else ""
    if words or (name and not _IDENTIFIER.match(name)):
        raise ValueError(f"cannot parse ABI parameter {text!r}")
    return AbiParam(name=name, type=type_str, indexed=indexed, components=components)


def _split_head(signature: str) -> tuple[str, str, str]:
    """Split ``name(params) tail`` into its three parts."""
    head = _HEAD.match(signature)
    if head is None:
        raise ValueError(f"cannot parse signature {signature!r}")
    open_index = head.end() - 1
    close = _matching_paren(signature, open_index)
    return head.group(1), signature[open_index + 1 : close], signature[close + 1 :]


def _canonical(name: str, params: Sequence[AbiParam]) -> str:
    return f"{name}({','.join(p.type for p in params)})"


# --- Fast path: signatures of elementary value types and bytes ---------------------------
#
# Every native-module call decodes its calldata and the L1-attributes deposit
# of every block encodes eight words; eth-abi builds a coder tree and a byte
# stream per call, which was a tenth of the simulator's time. A signature made
# only of uintN, intN, address, bool and bytesN is one 32-byte word per
# value, and a ``bytes`` parameter adds an offset word pointing at its
# length-prefixed, zero-padded tail (batches and deposits carry one); these
# are handled below. The fast path answers only when the input is plainly
# valid (exact Python types, values in range, canonical offsets and
# padding); anything else falls through to eth-abi, which then gives its own
# answer or error. The tests check both paths agree on random types, values
# and bytes.

_WordKind = tuple[str, int]
"""One head word: (``"uint"``/``"int"``/``"address"``/``"bool"``/``"bytes"``, size),
or (``"dynbytes"``, 0) for the offset of a ``bytes`` value."""
_STATIC_TYPE: Final = re.compile(r"(uint|int|bytes)(\d+)|address|bool|bytes")
_STATIC_WORDS: dict[tuple[str, ...], tuple[_WordKind, ...] | None] = {}
_ZERO_WORD: Final = bytes(32)
_ADDRESS_PADDING: Final = bytes(12)


def _static_words(types: tuple[str, ...]) -> tuple[_WordKind, ...] | None:
    """The word kinds of ``types`` if the fast path covers every one, else ``None``."""
    try:
        return _STATIC_WORDS[types]
    except KeyError:
        pass
    words: list[_WordKind] = []
    for type_str in types:
        match = _STATIC_TYPE.fullmatch(type_str)
        if match is None or not is_encodable_type(type_str):
            break
        if match.group(1) is None:
            words.append(("dynbytes" if type_str == "bytes" else type_str, 0))
        else:
            words.append((match.group(1), int(match.group(2))))
    result = tuple(words) if len(words) == len(types) else None
    if len(_STATIC_WORDS) < 4096:  # declared signatures are few; bound odd callers
        _STATIC_WORDS[types] = result
    return result


def _encode_static(words: tuple[_WordKind, ...], values: Sequence[Any]) -> bytes | None:
    """``abi.encode`` of plainly valid values, or ``None`` to let eth-abi decide."""
    out: list[bytes] = []
    tails: list[bytes] = []
    tail_offset = 32 * len(words)
    for (kind, size), value in zip(words, values, strict=True):
        value_type = type(value)
        if kind == "dynbytes":
            if value_type is not bytes:
                return None
            out.append(tail_offset.to_bytes(32, "big"))
            padded = value + bytes(-len(value) % 32)
            tails.append(len(value).to_bytes(32, "big"))
            tails.append(padded)
            tail_offset += 32 + len(padded)
        elif kind == "uint":
            if value_type is not int or value < 0 or value >> size:
                return None
            out.append(value.to_bytes(32, "big"))
        elif kind == "bytes":
            if value_type is not bytes or len(value) > size:
                return None
            out.append(value.ljust(32, b"\x00"))
        elif kind == "address":
            if value_type is not bytes or len(value) != 20:
                return None
            out.append(_ADDRESS_PADDING + value)
        elif kind == "bool":
            if value_type is not bool:
                return None
            out.append(b"\x00" * 31 + (b"\x01" if value else b"\x00"))
        else:  # int
            if value_type is not int or not -(1 << (size - 1)) <= value < 1 << (size - 1):
                return None
            out.append(value.to_bytes(32, "big", signed=True))
    return b"".join(out + tails)


def _decode_static(words: tuple[_WordKind, ...], data: bytes) -> tuple[Any, ...] | None:
    """``abi.decode`` of canonical words, or ``None`` to let eth-abi decide (or reject)."""
    if len(data) < 32 * len(words):
        return None
    out: list[Any] = []
    pos = 0
    tail = 32 * len(words)  # where the next canonical tail starts
    for kind, size in words:
        word = data[pos : pos + 32]
        pos += 32
        if kind == "dynbytes":
            if int.from_bytes(word, "big") != tail or len(data) < tail + 32:
                return None
            length = int.from_bytes(data[tail : tail + 32], "big")
            start = tail + 32
            end = start + length + (-length % 32)
            if len(data) < end or data[start + length : end] != bytes(end - start - length):
                return None
            out.append(data[start : start + length])
            tail = end
        elif kind == "uint":
            value = int.from_bytes(word, "big")
            if value >> size:
                return None
            out.append(value)
        elif kind == "bytes":
            if word[size:] != _ZERO_WORD[size:]:
                return None
            out.append(word[:size])
        elif kind == "address":
            if word[:12] != _ADDRESS_PADDING:
                return None
            out.append(Address(word[12:]))
        elif kind == "bool":
            if word[:31] != _ZERO_WORD[:31] or word[31] > 1:
                return None
            out.append(word[31] == 1)
        else:  # int
            value = int.from_bytes(word, "big", signed=True)
            if not -(1 << (size - 1)) <= value < 1 << (size - 1):
                return None
            out.append(value)
    return tuple(out)


# --- Encoding helpers ---------------------------------------------------------------------


def _encode(types: Sequence[str], values: Sequence[Any]) -> bytes:
    if len(values) != len(types):
        raise ValueError(f"expected {len(types)} values for ({','.join(types)}), got {len(values)}")
    words = _static_words(tuple(types))
    if words is not None:
        encoded = _encode_static(words, values)
        if encoded is not None:
            return encoded
    try:
        return _eth_abi_encode(types, values)
    except EncodingError as exc:
        raise ValueError(f"values do not fit ({','.join(types)}): {exc}") from exc


def _type_str(abi_type: ABIType) -> str:
    return str(abi_type.to_type_str())  # type: ignore[no-untyped-call]


def _to_native(abi_type: ABIType, value: Any) -> Any:
    """Turn eth-abi's checksum-string addresses into ``Address`` bytes, recursively."""
    if abi_type.is_array:
        return tuple(_to_native(abi_type.item_type, item) for item in value)
    if isinstance(abi_type, TupleType):
        return tuple(_to_native(c, v) for c, v in zip(abi_type.components, value, strict=True))
    if _type_str(abi_type) == "address":
        return Address(bytes.fromhex(value[2:]))
    return value


def _decode(types: Sequence[str], data: bytes, what: str) -> tuple[Any, ...]:
    words = _static_words(tuple(types))
    if words is not None and type(data) is bytes:
        decoded = _decode_static(words, data)
        if decoded is not None:
            return decoded
    try:
        values = _eth_abi_decode(types, data)
    except _DECODE_ERRORS as exc:
        raise MalformedCalldata(f"{what} is not valid ABI data for ({','.join(types)})") from exc
    return tuple(
        _to_native(parse(t), v) if "address" in t else v for t, v in zip(types, values, strict=True)
    )


def abi_encode(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """``abi.encode`` of ``values`` as ``types``; raises ``ValueError`` if they do not fit."""
    return _encode(types, values)


def abi_decode(types: Sequence[str], data: bytes) -> tuple[Any, ...]:
    """``abi.decode`` of ``data`` as ``types``; raises ``MalformedCalldata`` on bad data."""
    return _decode(types, data, "data")


def _is_hashed_in_topic(abi_type: ABIType) -> bool:
    # Solidity stores arrays, structs, bytes and string topics as keccak of their encoding.
    return abi_type.is_array or isinstance(abi_type, TupleType) or abi_type.is_dynamic


def _in_place_encoding(abi_type: ABIType, value: Any, *, padded: bool) -> bytes:
    """Solidity's in-place encoding of an indexed complex value (the keccak preimage).

    bytes/string are their raw contents (zero-padded to 32-byte words inside
    arrays and structs); arrays and structs concatenate their elements without
    length prefixes; value types are their 32-byte ABI encoding.
    """
    if abi_type.is_array:
        item = abi_type.item_type
        return b"".join(_in_place_encoding(item, v, padded=True) for v in value)
    if isinstance(abi_type, TupleType):
        return b"".join(
            _in_place_encoding(c, v, padded=True)
            for c, v in zip(abi_type.components, value, strict=True)
        )
    if abi_type.is_dynamic:
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return raw + b"\x00" * (-len(raw) % 32) if padded else raw
    return _eth_abi_encode([_type_str(abi_type)], [value])


# --- Functions and events -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AbiFunction:
    """A function of a native module: selector, calldata and return encoding."""

    name: str
    """The function's name."""
    inputs: tuple[AbiParam, ...]
    """Its parameters, in order."""
    outputs: tuple[AbiParam, ...] = ()
    """Its return values, in order."""
    state_mutability: str = "nonpayable"
    """``pure``, ``view``, ``nonpayable`` or ``payable``."""
    signature: str = field(init=False)
    """Canonical signature, e.g. ``sendMessage(uint256,address,bytes)``."""
    selector: bytes = field(init=False)
    """First 4 bytes of keccak256(signature)."""

    def __post_init__(self) -> None:
        if self.state_mutability not in STATE_MUTABILITIES:
            raise ValueError(f"unknown state mutability {self.state_mutability!r}")
        signature = _canonical(self.name, self.inputs)
        object.__setattr__(self, "signature", signature)
        object.__setattr__(self, "selector", keccak256(signature.encode())[:4])

    @property
    def input_types(self) -> tuple[str, ...]:
        """Canonical input types."""
        return tuple(p.type for p in self.inputs)

    @property
    def output_types(self) -> tuple[str, ...]:
        """Canonical output types."""
        return tuple(p.type for p in self.outputs)

    def encode_call(self, *args: Any) -> bytes:
        """Calldata: selector ‖ abi.encode(args)."""
        return self.selector + _encode(self.input_types, args)

    def decode_call(self, calldata: bytes) -> tuple[Any, ...]:
        """The arguments of ``calldata``, which must start with this selector."""
        if calldata[:4] != self.selector:
            raise MalformedCalldata(f"calldata does not call {self.signature}")
        return self.decode_args(calldata[4:])

    def decode_args(self, data: bytes) -> tuple[Any, ...]:
        """The arguments from ABI data without the selector."""
        return _decode(self.input_types, data, f"calldata of {self.signature}")

    def encode_return(self, *values: Any) -> bytes:
        """Return data: abi.encode(values) as the outputs."""
        return _encode(self.output_types, values)

    def decode_return(self, data: bytes) -> tuple[Any, ...]:
        """The return values from return data (always a tuple, even of one)."""
        return _decode(self.output_types, data, f"return data of {self.signature}")

    def abi_json(self) -> dict[str, Any]:
        """The function's JSON ABI entry."""
        return {
            "type": "function",
            "name": self.name,
            "inputs": [p.abi_json() for p in self.inputs],
            "outputs": [p.abi_json() for p in self.outputs],
            "stateMutability": self.state_mutability,
        }


@dataclass(frozen=True, slots=True)
class AbiEvent:
    """An event of a native module: topic0, log encoding and decoding."""

    name: str
    """The event's name."""
    inputs: tuple[AbiParam, ...]
    """Its parameters in declaration order, indexed or not."""
    anonymous: bool = False
    """Anonymous events have no topic0."""
    signature: str = field(init=False)
    """Canonical signature, e.g. ``SentMessage(uint256,address,uint256,address,bytes)``."""
    topic0: Hash32 = field(init=False)
    """keccak256(signature), the first topic of a non-anonymous log."""

    def __post_init__(self) -> None:
        indexed = sum(p.indexed for p in self.inputs)
        if indexed > (4 if self.anonymous else 3):
            raise ValueError(f"event {self.name} has {indexed} indexed parameters")
        signature = _canonical(self.name, self.inputs)
        object.__setattr__(self, "signature", signature)
        object.__setattr__(self, "topic0", keccak256(signature.encode()))

    @property
    def topic_count(self) -> int:
        """Number of topics in a log of this event."""
        return sum(p.indexed for p in self.inputs) + (0 if self.anonymous else 1)

    def encode_log(self, *args: Any) -> tuple[tuple[Hash32, ...], bytes]:
        """(topics, data) of a log emitting ``args`` in declaration order.

        Indexed value types are their 32-byte encoding; indexed bytes, string,
        arrays and tuples are keccak256 of their in-place encoding.
        """
        if len(args) != len(self.inputs):
            raise ValueError(f"{self.name} takes {len(self.inputs)} values, got {len(args)}")
        topics: list[Hash32] = [] if self.anonymous else [self.topic0]
        data_types, data_values = [], []
        for param, value in zip(self.inputs, args, strict=True):
            if not param.indexed:
                data_types.append(param.type)
                data_values.append(value)
                continue
            encoded = _encode([param.type], [value])  # also checks the value fits
            abi_type = parse(param.type)
            if _is_hashed_in_topic(abi_type):
                topics.append(keccak256(_in_place_encoding(abi_type, value, padded=False)))
            else:
                topics.append(Hash32(encoded))
        return tuple(topics), _encode(data_types, data_values)

    def decode_log(self, topics: Sequence[bytes], data: bytes) -> tuple[Any, ...]:
        """The parameters of a log, in declaration order.

        Indexed bytes, string, arrays and tuples come back as their 32-byte
        topic hash, since the log does not hold the value.
        """
        if len(topics) != self.topic_count:
            raise MalformedCalldata(
                f"{self.name} logs have {self.topic_count} topics, got {len(topics)}"
            )
        if any(len(topic) != 32 for topic in topics):
            raise MalformedCalldata("a log topic is not 32 bytes")
        if not self.anonymous and topics[0] != self.topic0:
            raise MalformedCalldata(f"log topic0 is not {self.signature}")
        indexed_topics = iter(topics[0 if self.anonymous else 1 :])
        data_values = iter(
            _decode(
                [p.type for p in self.inputs if not p.indexed], data, f"log data of {self.name}"
            )
        )
        values: list[Any] = []
        for param in self.inputs:
            if not param.indexed:
                values.append(next(data_values))
                continue
            topic = bytes(next(indexed_topics))
            if _is_hashed_in_topic(parse(param.type)):
                values.append(Hash32(topic))
            else:
                values.append(_decode([param.type], topic, f"topic of {self.name}")[0])
        return tuple(values)

    def abi_json(self) -> dict[str, Any]:
        """The event's JSON ABI entry."""
        return {
            "type": "event",
            "name": self.name,
            "inputs": [p.abi_json(event=True) for p in self.inputs],
            "anonymous": self.anonymous,
        }


def parse_function(signature: str) -> AbiFunction:
    """Parse ``[function] name(type [name], ...) [view|pure|payable] [returns (...)]``."""
    name, params, tail = _split_head(signature)
    inputs = _parse_params(params, allow_indexed=False)
    outputs: tuple[AbiParam, ...] = ()
    mutability: str | None = None
    tail = tail.strip()
    while tail:
        if tail.startswith("returns"):
            tail = tail[len("returns") :].lstrip()
            if not tail.startswith("(") or outputs:
                raise ValueError(f"cannot parse returns clause of {signature!r}")
            close = _matching_paren(tail, 0)
            outputs = _parse_params(tail[1:close], allow_indexed=False)
            tail = tail[close + 1 :].strip()
            continue
        word, *more = tail.split(None, 1)
        tail = more[0] if more else ""
        if word in STATE_MUTABILITIES and mutability is None:
            mutability = word
        elif word not in _IGNORED_FUNCTION_WORDS:
            raise ValueError(f"unexpected {word!r} in {signature!r}")
    return AbiFunction(name, inputs, outputs, mutability or "nonpayable")


def parse_event(signature: str) -> AbiEvent:
    """Parse ``[event] Name(type [indexed] [name], ...) [anonymous]``."""
    name, params, tail = _split_head(signature)
    tail = tail.strip()
    if tail not in ("", "anonymous"):
        raise ValueError(f"unexpected {tail!r} in event {signature!r}")
    return AbiEvent(name, _parse_params(params, allow_indexed=True), anonymous=tail == "anonymous")


# --- Modules ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class AbiModule:
    """The ABI of one native module: its functions and events, looked up by name,
    selector or topic0."""

    name: str
    """The module's contract name, e.g. ``L2ToL2CrossDomainMessenger``."""
    functions: Mapping[str, AbiFunction]
    """Functions by name (overloads are not supported)."""
    events: Mapping[str, AbiEvent]
    """Events by name."""
    _by_selector: Mapping[bytes, AbiFunction] = field(init=False, repr=False)
    _by_topic: Mapping[bytes, AbiEvent] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_selector: dict[bytes, AbiFunction] = {}
        for function in self.functions.values():
            if function.selector in by_selector:
                raise ValueError(f"selector clash in {self.name}: {function.signature}")
            by_selector[function.selector] = function
        by_topic = {e.topic0: e for e in self.events.values() if not e.anonymous}
        object.__setattr__(self, "functions", MappingProxyType(dict(self.functions)))
        object.__setattr__(self, "events", MappingProxyType(dict(self.events)))
        object.__setattr__(self, "_by_selector", MappingProxyType(by_selector))
        object.__setattr__(self, "_by_topic", MappingProxyType(by_topic))

    @classmethod
    def declare(
        cls, name: str, *, functions: Iterable[str] = (), events: Iterable[str] = ()
    ) -> "AbiModule":
        """Build a module from human-readable function and event signatures."""
        by_name: dict[str, AbiFunction] = {}
        for signature in functions:
            function = parse_function(signature)
            if function.name in by_name:
                raise ValueError(f"{name} declares {function.name} twice (no overloads)")
            by_name[function.name] = function
        events_by_name: dict[str, AbiEvent] = {}
        for signature in events:
            event = parse_event(signature)
            if event.name in events_by_name:
                raise ValueError(f"{name} declares event {event.name} twice")
            events_by_name[event.name] = event
        return cls(name, by_name, events_by_name)

    def function(self, name: str) -> AbiFunction:
        """The function called ``name``; ``KeyError`` if the module has none."""
        try:
            return self.functions[name]
        except KeyError:
            raise KeyError(f"{self.name} has no function {name!r}") from None

    def event(self, name: str) -> AbiEvent:
        """The event called ``name``; ``KeyError`` if the module has none."""
        try:
            return self.events[name]
        except KeyError:
            raise KeyError(f"{self.name} has no event {name!r}") from None

    def function_for_selector(self, selector: bytes) -> AbiFunction:
        """The function with this 4-byte selector, or ``MalformedCalldata``."""
        function = self._by_selector.get(bytes(selector))
        if function is None:
            raise MalformedCalldata(f"{self.name} has no function with selector 0x{selector.hex()}")
        return function

    def decode_call(self, calldata: bytes) -> tuple[str, tuple[Any, ...]]:
        """Dispatch calldata: (function name, arguments)."""
        if len(calldata) < 4:
            raise MalformedCalldata(f"calldata of {len(calldata)} bytes has no selector")
        function = self.function_for_selector(calldata[:4])
        return function.name, function.decode_args(calldata[4:])

    def decode_log(self, topics: Sequence[bytes], data: bytes) -> tuple[str, tuple[Any, ...]]:
        """Decode a log of one of this module's (non-anonymous) events: (name, values)."""
        if not topics:
            raise MalformedCalldata("log has no topic0")
        event = self._by_topic.get(bytes(topics[0]))
        if event is None:
            raise MalformedCalldata(f"{self.name} has no event with topic0 0x{topics[0].hex()}")
        return event.name, event.decode_log(topics, data)

    def abi_json(self) -> list[dict[str, Any]]:
        """The standard JSON ABI list (functions, then events), as web3.py takes it."""
        return [f.abi_json() for f in self.functions.values()] + [
            e.abi_json() for e in self.events.values()
        ]
