"""The base of every typed observation (a record) and how it renders.

A record is a frozen dataclass that names its dotted kind (``kind = "sequencer.block"``)
and holds typed fields. Roles return records as effects; the simulator folds them into
its trace, the timeline and the checkers match on their class, and the live node writes
them as JSON lines. All of them see a record through ``record_fields``: its fields as
sorted ``(name, value)`` pairs, leaving out the optional fields that are unset, which is
the shape the trace hash and the JSON output have always had. A field may hold a
``StrEnum``; it renders as its string. It lives with the
primitives because the protocol core (the hub tracker) emits records too.
"""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar, Final

__all__ = ["OMIT", "Record", "record_fields"]

_OMIT_IF_NONE: Final = "omit_if_none"

OMIT: Final[Mapping[str, object]] = MappingProxyType({_OMIT_IF_NONE: True})
"""Field metadata of an optional field, left out of the rendered record while it is None:
``cause: str | None = field(default=None, metadata=OMIT)``."""


@dataclass(frozen=True, slots=True)
class Record:
    """Base of every observation kind (each subclass is a frozen, slotted dataclass)."""

    kind: ClassVar[str]
    """Dotted kind, e.g. ``"sequencer.block"``: the name in the trace, the timeline and JSON."""


_LAYOUTS: dict[type[Record], tuple[tuple[str, bool], ...]] = {}


def _layout(cls: type[Record]) -> tuple[tuple[str, bool], ...]:
    """The fields of ``cls`` in name order, each with whether it is left out while None."""
    layout = _LAYOUTS.get(cls)
    if layout is None:
        layout = tuple(
            sorted((f.name, bool(f.metadata.get(_OMIT_IF_NONE))) for f in dataclasses.fields(cls))
        )
        _LAYOUTS[cls] = layout
    return layout


def record_fields(record: Record) -> tuple[tuple[str, object], ...]:
    """``record``'s fields as sorted ``(name, value)`` pairs, without unset optional ones."""
    pairs: list[tuple[str, object]] = []
    for name, omit_if_none in _layout(type(record)):
        value = getattr(record, name)
        if value is None and omit_if_none:
            continue
        if isinstance(value, StrEnum):
            value = value.value  # rendered as the plain string it stands for
        pairs.append((name, value))
    return tuple(pairs)
