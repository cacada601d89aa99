"""Sentence vectors read from the store when the answer stage needs them, not held for the whole corpus.

The answer stage reads the vectors of the sentences of the passages retrieved for a question (a few
hundred), and a view used to hold every sentence's two vectors (alone, and in its context) in memory: 3 KB
a sentence, about 8.6 GB at a million chunks. A view now holds only each sentence's two vector keys, and
`SentenceVectors` reads the vectors from the store's `embeddings` table on demand, one query for a
question's sentences (`prefetch`), keeping the most recently used in a bounded cache shared by the views of
one store (keyed by vector key, so the next view after a write starts warm).

Reads use one read-only SQLite connection per thread. A vector whose key the store no longer has (its
document was removed by a write committed after this view was made, and a request still reads the old
view) reads as zeros, so that sentence scores nothing rather than failing the request.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

CACHE_ROWS = 200_000  # vectors kept at most per store (about 300 MB); a question reads a few hundred


class VectorCache:
    """Vector key -> vector, the `capacity` most recently used, safe to share between threads."""

    def __init__(self, capacity: int = CACHE_ROWS) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._rows: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.connections = threading.local()  # one read-only connection per thread, for every view sharing it

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            row = self._rows.get(key)
            if row is not None:
                self._rows.move_to_end(key)
            return row

    def missing(self, keys: Iterable[str]) -> list[str]:
        with self._lock:
            return [k for k in dict.fromkeys(keys) if k not in self._rows]

    def put(self, rows: dict[str, np.ndarray]) -> None:
        with self._lock:
            for key, row in rows.items():
                self._rows[key] = row
                self._rows.move_to_end(key)
            while len(self._rows) > self.capacity:
                self._rows.popitem(last=False)


class SentenceVectors:
    """Row i: the vector of sentence i (by the key the store keeps it under), read on demand."""

    def __init__(self, store_file: Path, keys: list[str], dimension: int, cache: VectorCache | None = None) -> None:
        self.store_file = store_file
        self.keys = keys
        self.shape = (len(keys), dimension)
        self.cache = cache if cache is not None else VectorCache()
        self._zeros = np.zeros(dimension, dtype=np.float32)
        self._zeros.setflags(write=False)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, row: int) -> np.ndarray:
        key = self.keys[row]  # IndexError for a row out of range, as an array's
        vector = self.cache.get(key)
        if vector is None:
            self.prefetch([row])
            vector = self.cache.get(key)
        return self._zeros if vector is None else vector

    def prefetch(self, rows: Iterable[int]) -> None:
        """Read the vectors of these rows that are not cached, in one query per 500."""
        wanted = self.cache.missing(self.keys[r] for r in rows)
        if not wanted:
            return
        found: dict[str, np.ndarray] = {}
        connection = self._connection()
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            query = f"SELECT key, vector FROM embeddings WHERE key IN ({','.join('?' * len(part))})"
            for key, blob in connection.execute(query, part):
                vector = np.frombuffer(blob, dtype=np.float32)
                vector.setflags(write=False)
                found[key] = vector
        if len(found) < len(wanted):
            logger.warning("%d sentence vectors are gone from %s (a concurrent removal)", len(wanted) - len(found),
                           self.store_file)  # fmt: skip
        self.cache.put(found)

    def _connection(self) -> sqlite3.Connection:
        local = self.cache.connections
        connection = getattr(local, "connection", None)
        if connection is None:
            uri = f"{self.store_file.resolve().as_uri()}?mode=ro"
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=60)
            local.connection = connection
        return connection
