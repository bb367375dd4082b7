"""Typed records: one class per kind, each emitted somewhere, rendered as before.

The trace hash, the timeline files and ``events.jsonl`` hold a record as its dotted kind
and its fields as sorted ``(name, value)`` pairs; ``record_fields`` must give exactly the
pairs the old ``record(kind, **fields)`` gave, leaving out an optional field while it is
unset. A record class nobody constructs is a kind a checker could wait for in vain (as
``hub.fraud_proven`` once was), so each class must be built somewhere in ``src``.
"""

import ast
import sys
from pathlib import Path

import pytest

from interlace.primitives.record import Record, record_fields
from interlace.roles import records
from interlace.runtime.live.node import HostCrashed
from interlace.runtime.sim import records as sim_records
from interlace.runtime.sim.records import SimHeal, SimPartition

SRC = Path(__file__).parents[2] / "src" / "interlace"


def _every_record_class() -> list[type[Record]]:
    found: list[type[Record]] = []
    work = list(Record.__subclasses__())
    while work:
        cls = work.pop()
        found.append(cls)
        work.extend(cls.__subclasses__())
    # ``dataclass(slots=True)`` makes a new class; the one it replaced may linger.
    return sorted(
        {
            c
            for c in found
            if c.__module__.startswith("interlace.")
            and getattr(sys.modules[c.__module__], c.__name__, None) is c
        },
        key=lambda c: c.__name__,
    )


def _constructed_names() -> set[str]:
    """Names called anywhere in ``src`` (``SequencerBlock(...)``)."""
    called: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                called.add(node.func.id)
    return called


def test_the_catalogue_lists_every_record_class() -> None:
    catalogue = {getattr(records, n) for n in records.__all__} | {
        getattr(sim_records, n) for n in sim_records.__all__
    }
    classes = set(_every_record_class())
    assert classes - {HostCrashed} <= catalogue
    assert len(classes) > 60


def test_each_kind_names_one_class() -> None:
    kinds: dict[str, type[Record]] = {}
    for cls in _every_record_class():
        assert cls.kind.count(".") == 1, cls
        assert kinds.setdefault(cls.kind, cls) is cls, f"{cls.kind} names two classes"


def test_every_record_class_is_emitted_somewhere() -> None:
    called = _constructed_names()
    never = sorted(c.__name__ for c in _every_record_class() if c.__name__ not in called)
    assert never == []


def test_no_consumer_matches_a_kind_string() -> None:
    kinds = {cls.kind for cls in _every_record_class()}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.Eq | ast.In):
                strings = [
                    c.value
                    for c in ast.walk(node)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                ]
                assert not kinds & set(strings), f"{path}:{node.lineno} compares a kind"


def test_fields_render_sorted_as_the_keyword_record_did() -> None:
    block = records.SequencerBlock(chain=901, number=2, hash="ab" * 8, txs=3, origin=1, parent=1)
    fields = {"chain": 901, "number": 2, "hash": "ab" * 8, "txs": 3, "origin": 1, "parent": 1}
    assert record_fields(block) == tuple(sorted(fields.items()))
    assert block.kind == "sequencer.block"


@pytest.mark.parametrize(
    ("record", "rendered"),
    [
        (
            records.VerifierSafeReorg(chain=1, to=4, dropped=2),
            (("chain", 1), ("dropped", 2), ("to", 4)),
        ),
        (
            records.VerifierSafeReorg(
                chain=1, to=4, dropped=2, cause=records.SafeReorgCause.HUB_INVALID
            ),
            (("cause", "hub_invalid"), ("chain", 1), ("dropped", 2), ("to", 4)),
        ),
        (records.VerifierBadBatch(chain=1, reason="x"), (("chain", 1), ("reason", "x"))),
        (records.ProverWithhold(chain=1, from_number=5), (("chain", 1), ("from_number", 5))),
        (records.ProverWithhold(chain=1), (("chain", 1),)),  # withholding stops
        (records.SequencerByzantine(chain=1, on=False), (("chain", 1), ("on", False))),
        (
            records.HubRejected(chain=1, error="ChainFrozen"),
            (("chain", 1), ("error", "ChainFrozen")),
        ),
        (SimHeal(), ()),
        (SimPartition(nodes="a,b"), (("nodes", "a,b"),)),
    ],
)
def test_an_unset_optional_field_is_left_out(
    record: Record, rendered: tuple[tuple[str, object], ...]
) -> None:
    assert record_fields(record) == rendered
    # an enum field renders as the plain string (the trace folds the repr)
    assert repr(record_fields(record)) == repr(rendered)


def test_records_are_frozen() -> None:
    block = records.L1BlockMade(number=1, hash="00" * 8, txs=0)
    with pytest.raises(AttributeError):
        block.number = 2  # type: ignore[misc]


def test_the_checkers_read_the_world_through_its_view_only() -> None:
    tree = ast.parse((SRC / "runtime" / "sim" / "checkers.py").read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "interlace.runtime.sim.world" not in imported
    assert "interlace.runtime.sim.world_view" in imported
