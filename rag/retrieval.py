"""Hybrid retrieval: a dense (FAISS) ranking and a BM25 ranking of chunks, fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.chunking import Chunk
from rag.embedding import TextEncoder
from rag.errors import InvalidQuery
from rag.index_store import CorpusIndex
from rag.settings import Settings
from rag.text import tokenize


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk with its scores; `text` is clean (debris removed), offsets are original."""

    chunk: Chunk
    rank: int
    dense_score: float
    bm25_score: float
    fused_score: float

    @property
    def doc_id(self) -> str:
        return self.chunk.doc_id


def fuse_rankings(rankings: list[list[int]], k: int = 60) -> dict[int, float]:
    """Reciprocal rank fusion (Cormack et al., 2009): sum over rankings of 1 / (k + rank), rank from 1."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def validate_question(question: object, max_chars: int) -> str:
    """The question stripped of surrounding whitespace; InvalidQuery when unusable."""
    if not isinstance(question, str):
        raise InvalidQuery(f"the question must be a string, got {type(question).__name__}")
    stripped = question.strip()
    if not stripped:
        raise InvalidQuery("the question is empty")
    if len(stripped) > max_chars:
        raise InvalidQuery(f"the question is {len(stripped)} characters long; the limit is {max_chars}")
    if not any(ch.isalnum() for ch in stripped):
        raise InvalidQuery("the question has no letters or digits")
    return stripped


class HybridRetriever:
    """Ranks the chunks of a loaded index for a query (dense + BM25, fused)."""

    def __init__(self, index: CorpusIndex, embedder: TextEncoder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def embed_query(self, query: str) -> np.ndarray:
        return self.embedder.encode([query])[0]

    def search(self, query: str, k: int | None = None, query_vector: np.ndarray | None = None) -> list[Passage]:
        """The `k` best passages for `query`, best first."""
        query = validate_question(query, self.settings.max_question_chars)
        k = self.settings.default_k if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= self.settings.max_k:
            raise InvalidQuery(f"k must be an integer from 1 to {self.settings.max_k}, got {k!r}")
        n = len(self.index.chunks)
        depth = min(n, max(self.settings.candidates_per_ranker, k))
        vector = self.embed_query(query) if query_vector is None else query_vector

        dense = self.dense_top(vector, depth)
        bm25_all = self.bm25_scores(query)
        bm25_ranking = [int(i) for i in np.argsort(-bm25_all, kind="stable")[:depth] if bm25_all[i] > 0]

        rankings = {"hybrid": [list(dense), bm25_ranking], "dense": [list(dense)], "bm25": [bm25_ranking]}
        fused = fuse_rankings(rankings[self.settings.retrieval], k=self.settings.rrf_k)
        best = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        return [
            Passage(
                chunk=self.index.chunks[i],
                rank=r,
                dense_score=dense[i] if i in dense else self._dense_score(vector, i),
                bm25_score=float(bm25_all[i]),
                fused_score=float(fused[i]),
            )
            for r, i in enumerate(best, start=1)
        ]

    def bm25_scores(self, query: str) -> np.ndarray:
        tokens = tokenize([query])[0]
        if not tokens:
            return np.zeros(len(self.index.chunks), dtype=np.float32)
        return np.asarray(self.index.bm25.get_scores(tokens), dtype=np.float32)

    def dense_top(self, vector: np.ndarray, depth: int) -> dict[int, float]:
        """Chunk id -> cosine similarity for the `depth` nearest chunks, best first."""
        scores, ids = self.index.faiss_index.search(vector.reshape(1, -1).astype(np.float32), depth)
        return {int(i): float(s) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0}

    def _dense_score(self, vector: np.ndarray, chunk_id: int) -> float:
        return float(self.index.faiss_index.reconstruct(chunk_id) @ vector)
