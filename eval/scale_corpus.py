"""The benchmark corpora of `eval/bench_scale.py` (issue 13): real MiniLM embeddings of real sentences,
and chunks drawn around them with BM25 text to match (how, in bench_scale.py's docstring)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.chunking import split_sentences  # noqa: E402
from rag.text import tokenize  # noqa: E402

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nato-space-rag" / "bench-scale"
BLOCK = 65_536
ANCHORS: int | None = None  # --max-anchors: fewer real texts to embed (the test's quick run); None: all


def anchors_and_queries(cache: Path) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """Anchor texts and their MiniLM vectors, dev questions and theirs (embedded once, cached)."""
    from rag.corpus import load_corpus
    from rag.evaluation.dataset import load_eval_set

    texts: list[str] = []
    windows: list[list[str]] = []
    for doc in load_corpus(REPO / "seeds"):
        sentences = [s.text.strip() for s in split_sentences(doc) if len(s.text.split()) >= 4]
        for width in (1, 2, 3):
            windows.append([" ".join(sentences[i : i + width]) for i in range(0, len(sentences) - width + 1)])
    for group in windows:
        texts += group
    rng = np.random.default_rng(13)
    pool = [t for group in windows[1::3] for t in group]  # two-sentence windows of every document
    texts += [f"{pool[i]} {pool[j]}" for i, j in rng.integers(len(pool), size=(3 * len(texts), 2))]
    if ANCHORS is not None:
        texts = [texts[i] for i in np.sort(rng.choice(len(texts), size=min(ANCHORS, len(texts)), replace=False))]
    questions = [item.question for item in load_eval_set(REPO / "eval" / "questions.jsonl")]
    key = hashlib.sha256("\n".join(texts + questions).encode()).hexdigest()[:16]
    path = cache / f"embedded-{key}.npz"
    if not path.is_file():
        from rag.embedding import Embedder

        embedder = Embedder()
        started = time.perf_counter()
        vectors, qvectors = embedder.encode(texts), embedder.encode(questions)
        print(f"embedded {len(texts) + len(questions)} texts in {time.perf_counter() - started:.0f}s", file=sys.stderr)
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(path, anchors=vectors, questions=qvectors)
    saved = np.load(path)
    return texts, saved["anchors"], questions, saved["questions"]


def perturbed(vectors: np.ndarray, norm: float, rng: np.random.Generator) -> np.ndarray:
    noisy = vectors + rng.normal(0, norm / np.sqrt(vectors.shape[1]), vectors.shape).astype(np.float32)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def query_set(cache: Path) -> tuple[list[str], np.ndarray]:
    _, _, questions, qvectors = anchors_and_queries(cache)
    rng = np.random.default_rng(7)
    shorter = [" ".join(w for j, w in enumerate(q.split()) if j % 5 != 4) for q in questions]
    return questions + shorter, np.vstack([qvectors, perturbed(qvectors, 0.2, rng)])


def make_corpus(size: int, folder: Path, cache: Path) -> tuple[np.ndarray, list[list[int]], dict[str, int]]:
    """Vectors (a memory-mapped .npy), BM25 token ids and vocabulary of `size` chunks; texts to SQLite."""
    texts, vectors, _, _ = anchors_and_queries(cache)
    words = [t.split() for t in texts]
    unique = sorted({w for ws in words for w in ws})
    vocab: dict[str, int] = {}
    word_ids = {
        w: [vocab.setdefault(t, len(vocab)) for t in toks] for w, toks in zip(unique, tokenize(unique), strict=True)
    }
    rng = np.random.default_rng(size)
    a, b = rng.integers(len(texts), size=size), rng.integers(len(texts), size=size)
    out = np.lib.format.open_memmap(folder / "vectors.npy", "w+", np.float32, (size, vectors.shape[1]))
    for lo in range(0, size, BLOCK):
        hi = min(size, lo + BLOCK)
        out[lo:hi] = perturbed(vectors[a[lo:hi]] + 0.35 * vectors[b[lo:hi]], 0.5, rng)
    out.flush()
    ids: list[list[int]] = []
    db = sqlite3.connect(folder / "texts.sqlite")
    db.execute("CREATE TABLE chunks (position INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, text TEXT NOT NULL)")
    rows = []
    for i in range(size):
        kept = [w for w, r in zip(words[a[i]], rng.random(len(words[a[i]])), strict=True) if r >= 0.15]
        extra = words[b[i]]
        kept += [extra[j] for j in rng.integers(len(extra), size=min(10, len(extra)))]
        ids.append([t for w in kept for t in word_ids[w]])
        rows.append((i, f"synthetic-{a[i] % 97:02d}", " ".join(kept)))
        if len(rows) == BLOCK or i == size - 1:
            db.executemany("INSERT INTO chunks VALUES (?, ?, ?)", rows)
            rows = []
    db.commit()
    db.close()
    return np.load(folder / "vectors.npy", mmap_mode="r"), ids, vocab
