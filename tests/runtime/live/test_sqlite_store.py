"""SqliteStore: MemoryStore's answers, atomic batches (also across kill -9), reopening, locks."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlace.runtime.live.sqlite_store import SqliteStore, StoreLocked, _prefix_end
from interlace.runtime.store import MemoryStore

keys = st.lists(st.sampled_from([0, 1, 0x7F, 0xFE, 0xFF]), max_size=4).map(bytes)
batches = st.lists(
    st.lists(st.tuples(keys, st.one_of(st.none(), st.binary(max_size=6))), max_size=6),
    max_size=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=batches, prefixes=st.lists(keys, min_size=1, max_size=5))
def test_prefix_iteration_matches_memory_store(
    tmp_path_factory: pytest.TempPathFactory,
    batches: list[list[tuple[bytes, bytes | None]]],
    prefixes: list[bytes],
) -> None:
    memory = MemoryStore()
    store = SqliteStore(tmp_path_factory.mktemp("s"))
    try:
        for batch in batches:
            memory.write_batch(batch)
            store.write_batch(batch)
        for prefix in [*prefixes, b"", b"\xff", b"\xff\xff"]:
            assert list(store.iterate_prefix(prefix)) == list(memory.iterate_prefix(prefix))
        for key, _value in memory.iterate_prefix(b""):
            assert store.get(key) == memory.get(key)
        assert len(store) == len(memory)
    finally:
        store.close()


def test_prefix_end() -> None:
    assert _prefix_end(b"ab") == b"ac"
    assert _prefix_end(b"a\xff") == b"b"
    assert _prefix_end(b"\xff\xff") is None
    assert _prefix_end(b"") is None


def test_iteration_spans_chunks_and_tolerates_writes(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    store.write_batch([(b"k" + i.to_bytes(4, "big"), b"v") for i in range(1500)])
    seen = 0
    for key, _value in store.iterate_prefix(b"k"):
        store.write_batch([(b"z" + key, b"x")])  # writes while iterating must not break it
        seen += 1
    assert seen == 1500
    store.close()


def test_reopen_keeps_data(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    store.write_batch([(b"a", b"1"), (b"b", b"2"), (b"a", None)])
    store.close()
    again = SqliteStore(tmp_path)
    assert again.get(b"a") is None
    assert again.get(b"b") == b"2"
    again.close()


def test_failed_batch_leaves_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    store.write_batch([(b"a", b"1")])
    with pytest.raises(Exception, match="type"):
        store.write_batch([(b"a", b"2"), (b"b", b"3"), (b"c", object())])  # type: ignore[list-item]
    assert store.get(b"a") == b"1"
    assert store.get(b"b") is None
    store.close()


def test_second_opener_is_refused(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    with pytest.raises(StoreLocked, match="in use"):
        SqliteStore(tmp_path)
    store.close()
    SqliteStore(tmp_path).close()  # the lock is released on close


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from interlace.runtime.live.sqlite_store import SqliteStore

    store = SqliteStore(Path(sys.argv[1]))
    n = 0
    print("ready", flush=True)
    while True:
        # Each batch writes 50 keys of generation n; a reader must see whole generations.
        store.write_batch([(b"g" + i.to_bytes(2, "big"), n.to_bytes(8, "big")) for i in range(50)]
                          + [(b"n", n.to_bytes(8, "big"))])
        n += 1
    """
)


def test_batches_are_atomic_across_kill(tmp_path: Path) -> None:
    for attempt in range(3):
        directory = tmp_path / str(attempt)
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(directory)],
            stdout=subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == b"ready"
            time.sleep(0.3 + 0.17 * attempt)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        store = SqliteStore(directory)
        generations = {value for _key, value in store.iterate_prefix(b"g")}
        last = store.get(b"n")
        assert len(generations) == 1, "a batch landed in part"
        assert generations == {last}
        assert int.from_bytes(last or b"", "big") > 0
        store.close()
