"""The BM25 ranking of chunks with bm25s, as its authors intend it to scale (issue 13).

Scores come from bm25s's eager sparse scoring (`get_scores`: the query tokens' precomputed postings
summed, no Python loop over chunks). The top of the ranking is selected among the matching chunks only,
on keys made distinct by position, not with `BM25.retrieve`: its `np.argpartition` over every chunk
degenerates on tied scores, which a large corpus of near-duplicate chunks has by the hundred thousand
(measured at 1M chunks: 200-300 ms for one query, against a few ms here; `eval/bench_scale.py`). The
score of a chunk outside that top (a passage the dense ranking brought) is read from the postings of the
query's tokens. A saved index can be opened memory-mapped (`BM25.load(path, mmap=True)`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np


def bm25_top(bm25: object, tokens: list[str], depth: int) -> dict[int, float]:
    """Chunk position -> BM25 score of the `depth` best chunks matching any of `tokens`, best first, ties
    by position (as a stable sort of every score would rank them); chunks scoring 0 are left out."""
    if depth < 1 or not bm25.get_tokens_ids(tokens):
        return {}
    scores = np.asarray(bm25.get_scores(tokens), dtype=np.float32)  # bm25s's eager sparse scoring
    floor = _floor(scores, depth)
    matching = np.flatnonzero(scores >= floor) if floor > 0 else np.flatnonzero(scores > 0)
    # Positive float32 scores order as their bit patterns do: score bits above, the complement of the
    # position below make every key distinct, so one selection gives (score desc, position asc) exactly.
    keys = (scores[matching].view(np.int32).astype(np.int64) << 32) | ((1 << 32) - 1 - matching)
    if len(keys) > depth:
        chosen = np.argpartition(keys, len(keys) - depth)[len(keys) - depth :]
        keys, matching = keys[chosen], matching[chosen]
    order = np.argsort(-keys)
    return {int(matching[i]): float(scores[matching[i]]) for i in order}


def _floor(scores: np.ndarray, depth: int, block: int = 1024) -> float:
    """A score that at least `depth` chunks reach: the `depth`-th largest of the blocks' maxima (each of
    those blocks holds a chunk at or above it), so the best `depth` are among the chunks reaching it."""
    blocks = len(scores) // block
    if blocks < 2 * depth:
        return 0.0
    maxima = scores[: blocks * block].reshape(blocks, block).max(axis=1)
    return float(np.partition(maxima, blocks - depth)[blocks - depth])


def bm25_scores_of(bm25: object, tokens: list[str], positions: Iterable[int]) -> dict[int, float]:
    """Chunk position -> BM25 score for `tokens`, for these chunks only: each query token's postings (bm25s
    keeps them sorted by chunk) are searched for the chunks, so the cost does not grow with the corpus."""
    wanted = np.array(sorted(set(positions)), dtype=np.int64)
    totals = np.zeros(len(wanted), dtype=np.float32)  # summed token by token in float32, as bm25s sums
    data, indices, indptr = bm25.scores["data"], bm25.scores["indices"], bm25.scores["indptr"]
    for token_id in bm25.get_tokens_ids(tokens):  # repeated query tokens count again, as bm25s counts them
        lo, hi = int(indptr[token_id]), int(indptr[token_id + 1])
        if hi == lo or not len(wanted):
            continue
        docs = indices[lo:hi]
        where = np.minimum(np.searchsorted(docs, wanted), hi - lo - 1)
        hit = docs[where] == wanted
        totals[hit] += data[lo + where[hit]]
    if getattr(bm25, "nonoccurrence_array", None) is not None:  # BM25L / BM25+ variants
        totals += float(bm25.nonoccurrence_array[bm25.get_tokens_ids(tokens)].sum())
    return {int(p): float(t) for p, t in zip(wanted, totals, strict=True)}


def load_bm25(path: Path, mmap: bool = True) -> object:
    """A saved bm25s index (`BM25.save(path)`), its score arrays memory-mapped by default."""
    import bm25s

    return bm25s.BM25.load(str(path), mmap=mmap)
