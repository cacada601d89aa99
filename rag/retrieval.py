"""Hybrid retrieval: a dense (FAISS) ranking and a BM25 ranking of chunks, fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from rag.chunking import Chunk
from rag.embedding import TextEncoder
from rag.errors import InvalidQuery
from rag.index_store import CorpusIndex
from rag.lexical_index import bm25_scores_of, bm25_top
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


class DenseRanking(Protocol):
    """The dense half of hybrid retrieval: what a backend (FAISS here, Milvus elsewhere) overrides."""

    def dense_top(self, vector: np.ndarray, depth: int) -> dict[int, float]: ...

    def dense_scores_of(self, vector: np.ndarray, positions: list[int]) -> dict[int, float]: ...


class LexicalRanking(Protocol):
    """The lexical half: the BM25 top of the ranking, and the score of given chunks (positions)."""

    def bm25_top(self, query: str, depth: int) -> dict[int, float]: ...

    def bm25_scores_of(self, query: str, positions: list[int]) -> dict[int, float]: ...


class HybridRetriever:
    """Ranks the chunks of a loaded index for a query (dense + BM25, fused). It is both rankings
    (`DenseRanking`, `LexicalRanking`) over the in-memory view; another backend subclasses it and
    overrides those four methods (and `chunk_at`/`chunk_total` if its chunks live elsewhere)."""

    def __init__(self, index: CorpusIndex, embedder: TextEncoder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def embed_query(self, query: str) -> np.ndarray:
        return self.embedder.encode([query])[0]

    def search(self, query: str, k: int | None = None, query_vector: np.ndarray | None = None) -> list[Passage]:
        """The `k` best passages for `query`, best first."""
        query, k, depth = self.checked(query, k)
        vector = self.embed_query(query) if query_vector is None else query_vector

        dense = self.dense_top(vector, depth)
        lexical = self.bm25_top(query, depth)
        rankings = {"hybrid": [list(dense), list(lexical)], "dense": [list(dense)], "bm25": [list(lexical)]}
        fused = fuse_rankings(rankings[self.settings.retrieval], k=self.settings.rrf_k)
        best = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        dense_scores = dense | self.dense_scores_of(vector, [i for i in best if i not in dense])
        bm25_scores = lexical | self.bm25_scores_of(query, [i for i in best if i not in lexical])
        return [
            Passage(
                chunk=self.chunk_at(i),
                rank=r,
                dense_score=dense_scores[i],
                bm25_score=bm25_scores[i],
                fused_score=float(fused[i]),
            )
            for r, i in enumerate(best, start=1)
        ]

    def checked(self, query: str, k: int | None) -> tuple[str, int, int]:
        """(the question stripped, k, the depth of each ranking); InvalidQuery for a bad question or k."""
        query = validate_question(query, self.settings.max_question_chars)
        k = self.settings.default_k if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= self.settings.max_k:
            raise InvalidQuery(f"k must be an integer from 1 to {self.settings.max_k}, got {k!r}")
        return query, k, min(self.chunk_total(), max(self.settings.candidates_per_ranker, k))

    def chunk_total(self) -> int:
        return len(self.index.chunks)

    def chunk_at(self, position: int) -> Chunk:
        return self.index.chunks[position]

    def bm25_top(self, query: str, depth: int) -> dict[int, float]:
        """Chunk position -> BM25 score of the `depth` best chunks (score > 0), best first."""
        return bm25_top(self.index.bm25, tokenize([query])[0], depth)

    def bm25_scores_of(self, query: str, positions: list[int]) -> dict[int, float]:
        return bm25_scores_of(self.index.bm25, tokenize([query])[0], positions) if positions else {}

    def bm25_scores(self, query: str) -> np.ndarray:
        """The BM25 score of every chunk (for analyses; `search` does not score the whole corpus)."""
        tokens = tokenize([query])[0]
        if not tokens:
            return np.zeros(self.chunk_total(), dtype=np.float32)
        return np.asarray(self.index.bm25.get_scores(tokens), dtype=np.float32)

    def dense_top(self, vector: np.ndarray, depth: int) -> dict[int, float]:
        """Chunk position -> cosine similarity for the `depth` nearest chunks, best first."""
        scores, ids = self.index.faiss_index.search(vector.reshape(1, -1).astype(np.float32), depth)
        return {int(i): float(s) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0}

    def dense_scores_of(self, vector: np.ndarray, positions: list[int]) -> dict[int, float]:
        return {i: float(self.index.faiss_index.reconstruct(i) @ vector) for i in positions}
