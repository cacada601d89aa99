"""Micro-batching of query embeddings: the texts that concurrent requests ask to embed are embedded together,
in one forward pass of the model, on one thread.

A request thread calls `encode(texts)` (the `Embedder.encode` contract: one L2-normalised float32 row per
text) and blocks until its rows are ready. The batching thread takes every text waiting, up to
`max_texts`; when other requests are in flight (`in_flight()`) and might ask soon, it first waits up to
`window_s` for them, so a lone request never waits. A failure of the forward pass is raised in every
request of that batch, and the thread goes on with the next batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from rag.service import QAComponents
from rag.settings import Settings

logger = logging.getLogger(__name__)

Encode = Callable[[list[str]], np.ndarray]


@dataclass(slots=True)
class _Waiting:
    texts: list[str]
    result: Future[np.ndarray] = field(default_factory=Future)


@dataclass(slots=True)
class BatchStats:
    """Counts since start: forward passes, texts and requests embedded, the largest batch."""

    batches: int = 0
    texts: int = 0
    requests: int = 0
    largest: int = 0


class MicroBatcher:
    """Embeds the query texts of concurrent callers together with `encode`, on its own thread."""

    def __init__(self, encode: Encode, window_s: float = 0.001, max_texts: int = 32, name: str = "rag-batch") -> None:
        if max_texts < 1:
            raise ValueError(f"max_texts must be at least 1, got {max_texts}")
        if window_s < 0:
            raise ValueError(f"window_s must not be negative, got {window_s}")
        self._encode = encode
        self.window_s = window_s
        self.max_texts = max_texts
        self.stats = BatchStats()
        self._waiting: deque[_Waiting] = deque()
        self._lock = threading.Condition()
        self._in_flight = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # --- the request side ---------------------------------------------------------------------------

    def encode(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for `texts`, embedded in a batch with whatever other requests are waiting."""
        if not texts:
            return self._encode([])
        waiting = _Waiting(list(texts))
        with self._lock:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            self._waiting.append(waiting)
            self._lock.notify_all()
        vectors = waiting.result.result()
        if progress:
            progress(len(texts))
        return vectors

    @contextmanager
    def request(self) -> Iterator[None]:
        """Mark a request in flight while it runs: the batching thread may wait a little for its texts."""
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self._thread.join(timeout=5)

    # --- the batching thread ------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._embed(batch)

    def _next_batch(self) -> list[_Waiting] | None:
        with self._lock:
            while not self._waiting and not self._closed:
                self._lock.wait()
            if not self._waiting:
                return None
            deadline = time.monotonic() + self.window_s
            # Wait for requests in flight that have not asked yet, while there is room and time.
            while self._texts_waiting() < self.max_texts and self._in_flight > len(self._waiting):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
            batch = [self._waiting.popleft()]
            size = len(batch[0].texts)
            while self._waiting and size + len(self._waiting[0].texts) <= self.max_texts:
                size += len(self._waiting[0].texts)
                batch.append(self._waiting.popleft())
            return batch

    def _texts_waiting(self) -> int:
        return sum(len(w.texts) for w in self._waiting)

    def _embed(self, batch: list[_Waiting]) -> None:
        texts = [t for w in batch for t in w.texts]
        try:
            vectors = self._encode(texts)
        except BaseException as exc:  # every request of the batch gets the error; the thread goes on
            logger.exception("embedding a batch of %d texts failed", len(texts))
            for w in batch:
                w.result.set_exception(exc)
            return
        self.stats.batches += 1
        self.stats.texts += len(texts)
        self.stats.requests += len(batch)
        self.stats.largest = max(self.stats.largest, len(texts))
        start = 0
        for w in batch:
            w.result.set_result(vectors[start : start + len(w.texts)].copy())
            start += len(w.texts)


def install_batching(components: QAComponents, settings: Settings) -> MicroBatcher:
    """Route the retriever's query embeddings through a MicroBatcher over its embedder (the ONNX one), so
    that the answerer's `retriever.embed_query` and `retriever.embedder.encode` calls are batched."""
    import faiss

    # One query vector per search: FAISS's OpenMP team would only spin-wait against the request threads.
    faiss.omp_set_num_threads(1)
    retriever = components.retriever
    batcher = MicroBatcher(retriever.embedder.encode, settings.batch_window_ms / 1000, settings.batch_max_texts)
    retriever.embedder = batcher  # the same encode() contract (rag.embedding.TextEncoder)
    return batcher
