"""The live runtime's durable store: one SQLite file per node, in WAL mode.

Keys and values are BLOBs in one table; SQLite orders BLOBs with memcmp, so
``iterate_prefix`` is a range scan in key order. ``write_batch`` is one
transaction, so a batch either lands whole or not at all, also when the
process is killed mid-batch (SQLite's journal rolls it back on the next
open). The store holds an exclusive lock file next to the database for as
long as it is open: a second process opening the same node's store gets
``StoreLocked`` instead of two writers interleaving.

``synchronous`` chooses what a commit survives: ``"normal"`` (the default)
survives a process crash (kill -9) but may lose the last commits on power
loss; ``"full"`` syncs the WAL on every commit and survives both.
"""

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final, Literal

from interlace.primitives.errors import InputError
from interlace.runtime.store import Store

STORE_FILE: Final = "store.sqlite"
LOCK_FILE: Final = "store.lock"
_SCAN_CHUNK: Final = 512

Synchronous = Literal["normal", "full"]


class StoreError(InputError):
    """The store cannot be opened or written (locked, unreadable, corrupt)."""


class StoreLocked(StoreError):
    """Another process holds this store open."""


class SqliteStore(Store):
    """See the module docstring."""

    def __init__(self, directory: Path, synchronous: Synchronous = "normal") -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / STORE_FILE
        self._lock_fd = _lock(directory / LOCK_FILE)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID"
            )
        except sqlite3.Error as exc:
            os.close(self._lock_fd)
            raise StoreError(f"cannot open {self.path}: {exc}") from exc
        self._closed = False

    def get(self, key: bytes) -> bytes | None:
        row = self._db.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def iterate_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        # Read in chunks keyed on the last key seen, so no cursor stays open across
        # a caller's writes and memory stays bounded on large prefixes.
        upper = _prefix_end(prefix)
        after: bytes | None = None
        while True:
            if after is None:
                low_clause, low = "k >= ?", prefix
            else:
                low_clause, low = "k > ?", after
            if upper is None:
                rows = self._db.execute(
                    f"SELECT k, v FROM kv WHERE {low_clause} ORDER BY k LIMIT ?",  # noqa: S608
                    (low, _SCAN_CHUNK),
                ).fetchall()
            else:
                rows = self._db.execute(
                    f"SELECT k, v FROM kv WHERE {low_clause} AND k < ? ORDER BY k LIMIT ?",  # noqa: S608
                    (low, upper, _SCAN_CHUNK),
                ).fetchall()
            for key, value in rows:
                yield bytes(key), bytes(value)
            if len(rows) < _SCAN_CHUNK:
                return
            after = bytes(rows[-1][0])

    def write_batch(self, writes: Sequence[tuple[bytes, bytes | None]]) -> None:
        if not writes:
            return
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for key, value in writes:
                    if value is None:
                        db.execute("DELETE FROM kv WHERE k = ?", (key,))
                    else:
                        db.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (key, value))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"write to {self.path} failed: {exc}") from exc

    def __len__(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM kv").fetchone()
        return int(row[0])

    def close(self) -> None:
        """Checkpoint the WAL, close the database and release the lock."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(sqlite3.Error):  # an optimisation; the WAL replays on open
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()
        os.close(self._lock_fd)


def _prefix_end(prefix: bytes) -> bytes | None:
    """The smallest key greater than every key starting with ``prefix`` (None: no bound)."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes((trimmed[-1] + 1,))


def _lock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        holder = _read_holder(path)
        raise StoreLocked(
            f"{path.parent} is in use by another process{holder}; stop it first "
            "(interlace devnet down) or choose another --data-dir"
        ) from exc
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def _read_holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""
