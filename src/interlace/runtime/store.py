"""The storage interface every node writes through, and its in-memory backend.

Writes arrive as atomic batches (``PersistBatch`` effects); a crash keeps
exactly the batches that were applied and nothing of a batch in flight. The
simulator uses ``MemoryStore``; the live runtime adds a SQLite backend with
the same interface.
"""

import bisect
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence


class Store(ABC):
    """A durable key/value store with atomic batch writes."""

    @abstractmethod
    def get(self, key: bytes) -> bytes | None:
        """Value at ``key`` or None."""

    @abstractmethod
    def iterate_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """All (key, value) pairs whose key starts with ``prefix``, in key order."""

    @abstractmethod
    def write_batch(self, writes: Sequence[tuple[bytes, bytes | None]]) -> None:
        """Apply all writes atomically (None deletes)."""


class MemoryStore(Store):
    """A sorted in-memory store; survives a simulated crash because the simulator keeps it."""

    def __init__(self) -> None:
        self._data: dict[bytes, bytes] = {}
        self._keys: list[bytes] = []

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def iterate_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        start = bisect.bisect_left(self._keys, prefix)
        for key in self._keys[start:]:
            if not key.startswith(prefix):
                break
            yield key, self._data[key]

    def write_batch(self, writes: Sequence[tuple[bytes, bytes | None]]) -> None:
        for key, value in writes:
            if value is None:
                if self._data.pop(key, None) is not None:
                    del self._keys[bisect.bisect_left(self._keys, key)]
            else:
                if key not in self._data:
                    bisect.insort(self._keys, key)
                self._data[key] = value

    def __len__(self) -> int:
        return len(self._data)
