"""Micro-batching: concurrent requests' query texts embedded together give the same vectors and answers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from api.batching import MicroBatcher
from rag.evaluation.dataset import load_eval_set
from rag.retrieval import HybridRetriever
from rag.service import make_answerer

from .conftest import REPO


class RecordingEncoder:
    """Wraps an encode function and records the size of every batch it was given."""

    def __init__(self, encode, delay: float = 0.0) -> None:
        self.encode_fn, self.delay, self.sizes = encode, delay, []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.sizes.append(len(texts))
        time.sleep(self.delay)
        return self.encode_fn(texts)


def _rows(texts: list[str]) -> np.ndarray:
    """One distinguishable row per text (its length), so a mix-up between callers shows."""
    return np.array([[len(t), i] for i, t in enumerate(texts)], dtype=np.float32).reshape(-1, 2)


def test_concurrent_callers_get_their_own_rows_in_bounded_batches():
    encoder = RecordingEncoder(_rows, delay=0.02)
    batcher = MicroBatcher(encoder, window_s=0.005, max_texts=5)
    texts = [["a" * n, "b" * (n + 100)] for n in range(1, 13)]
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(batcher.encode, texts))
    for asked, got in zip(texts, results, strict=True):
        assert got[:, 0].tolist() == [len(t) for t in asked]
    assert max(encoder.sizes) <= 5 and len(encoder.sizes) < len(texts)  # batched, never above the bound
    batcher.close()


def test_a_lone_request_does_not_wait_for_the_window():
    batcher = MicroBatcher(_rows, window_s=0.5, max_texts=32)
    started = time.perf_counter()
    with batcher.request():
        batcher.encode(["alone"])
    assert time.perf_counter() - started < 0.25
    batcher.close()


def test_a_failed_batch_fails_its_requests_and_the_next_batch_still_runs():
    calls = {"n": 0}

    def flaky(texts: list[str]) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("model failure")
        return _rows(texts)

    batcher = MicroBatcher(flaky, window_s=0.0)
    with pytest.raises(RuntimeError, match="model failure"):
        batcher.encode(["first"])
    assert batcher.encode(["second"])[0, 0] == len("second")
    batcher.close()
    with pytest.raises(RuntimeError, match="closed"):
        batcher.encode(["after close"])


def test_batched_vectors_equal_single_ones_with_the_real_model(components):
    onnx = components.retriever.embedder
    encoder = RecordingEncoder(onnx.encode)
    batcher = MicroBatcher(encoder, window_s=0.01, max_texts=16)
    questions = [f"{q} {n}" for n, q in enumerate(["Where is the NATO Space Operations Centre?", "What is APSS?"] * 8)]
    start = threading.Barrier(len(questions))

    def embed(q: str) -> np.ndarray:
        start.wait()
        with batcher.request():
            return batcher.encode([q])[0]

    with ThreadPoolExecutor(len(questions)) as pool:
        batched = list(pool.map(embed, questions))
    assert max(encoder.sizes) > 1
    for q, vector in zip(questions, batched, strict=True):
        assert np.allclose(vector, onnx.encode([q])[0], atol=1e-5)
    batcher.close()


def test_batched_answers_equal_single_answers_on_the_evaluation_set(components):
    items = load_eval_set(REPO / "eval" / "questions.jsonl")
    answerer = components.answerer
    single = [answerer.answer(i.question, history=i.history or None) for i in items]

    encoder = RecordingEncoder(components.retriever.embedder.encode)
    batcher = MicroBatcher(encoder, window_s=0.002, max_texts=32)
    retriever = HybridRetriever(components.index, batcher, components.settings)
    batched_answerer = make_answerer(retriever, components.settings)

    def answer(item):
        with batcher.request():
            return batched_answerer.answer(item.question, history=item.history or None)

    with ThreadPoolExecutor(8) as pool:
        batched = list(pool.map(answer, items))
    assert max(encoder.sizes) > 1, encoder.sizes  # requests really met in batches
    for item, one, many in zip(items, single, batched, strict=True):
        assert many.model_dump(exclude={"confidence"}) == one.model_dump(exclude={"confidence"}), item.id
        assert many.confidence == pytest.approx(one.confidence, abs=1e-3)
    batcher.close()
