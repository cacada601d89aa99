"""The BM25 ranking of chunks with bm25s, as its authors intend it to scale (issue 13).

The top of the ranking comes from `BM25.retrieve` (bm25s's sparse scoring and its top-k selection, no
sort of the whole corpus); the score of a chunk outside that top (a passage the dense ranking brought)
is read from the index's precomputed postings of the query's tokens, not by scoring every chunk again.
A saved index can be opened memory-mapped (`BM25.load(path, mmap=True)`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np


def bm25_top(bm25: object, tokens: list[str], depth: int) -> dict[int, float]:
    """Chunk position -> BM25 score of the `depth` best chunks matching any of `tokens`, best first
    (ties by position); chunks scoring 0 are left out."""
    total = int(bm25.scores["num_docs"])
    depth = min(depth, total)
    if depth < 1 or not bm25.get_tokens_ids(tokens):
        return {}
    docs, scores = bm25.retrieve([tokens], k=depth, sorted=True, show_progress=False, n_threads=0)
    found = [(float(s), int(d)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
    return {d: s for s, d in sorted(found, key=lambda p: (-p[0], p[1]))}


def bm25_scores_of(bm25: object, tokens: list[str], positions: Iterable[int]) -> dict[int, float]:
    """Chunk position -> BM25 score for `tokens`, for these chunks only (the sum of their postings)."""
    wanted = np.array(sorted(set(positions)), dtype=np.int64)
    totals = np.zeros(len(wanted), dtype=np.float32)  # summed token by token in float32, as bm25s sums
    data, indices, indptr = bm25.scores["data"], bm25.scores["indices"], bm25.scores["indptr"]
    for token_id in bm25.get_tokens_ids(tokens):  # repeated query tokens count again, as bm25s counts them
        docs = np.asarray(indices[indptr[token_id] : indptr[token_id + 1]])
        hit = np.isin(docs, wanted)
        if hit.any():
            values = np.asarray(data[indptr[token_id] : indptr[token_id + 1]])[hit]
            np.add.at(totals, np.searchsorted(wanted, docs[hit]), values)
    if getattr(bm25, "nonoccurrence_array", None) is not None:  # BM25L / BM25+ variants
        totals += float(bm25.nonoccurrence_array[bm25.get_tokens_ids(tokens)].sum())
    return {int(p): float(t) for p, t in zip(wanted, totals, strict=True)}


def load_bm25(path: Path, mmap: bool = True) -> object:
    """A saved bm25s index (`BM25.save(path)`), its score arrays memory-mapped by default."""
    import bm25s

    return bm25s.BM25.load(str(path), mmap=mmap)
