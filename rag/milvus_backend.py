"""Retrieval from a Milvus collection (RAG_VECTOR_STORE=milvus): the `HybridRetriever` contract, same Passages.

Dense and BM25 rankings come from the collection (`rag.milvus_collection`). Where Milvus has the BM25
function (Milvus Lite, Milvus 2.5+), the two are fused by Milvus's own RRFRanker in one hybrid search;
where it does not (a 2.3 or 2.4 server), the dense ranking comes from Milvus and the in-memory bm25s
ranking of the view is fused with it here, by `fuse_rankings`. Either way the fusion is RRF with the same
constant and depths as the FAISS path, and ties are broken by chunk position as there, so the two backends
rank alike. Passages are the view's own chunks (looked up by chunk key), so citations are cut from the
same text at the same offsets; chunks the collection returns that this view does not know (written by a
newer version of the store) are skipped.
"""

from __future__ import annotations

import numpy as np

from rag.embedding import TextEncoder
from rag.index_store import CorpusIndex
from rag.milvus_collection import MilvusChunks
from rag.milvus_schema import chunk_records, milvus_errors
from rag.retrieval import HybridRetriever, Passage, fuse_rankings
from rag.settings import Settings
from rag.text import tokenize


class MilvusRetriever(HybridRetriever):
    """Ranks the chunks of a loaded view through its Milvus collection (which `over` keeps in step)."""

    def __init__(self, index: CorpusIndex, embedder: TextEncoder, settings: Settings, chunks: MilvusChunks) -> None:
        super().__init__(index, embedder, settings)
        self.collection = chunks
        self.keys = [r.key for r in chunk_records(index)]  # position in the view -> chunk key
        self.positions = {key: position for position, key in enumerate(self.keys)}

    @classmethod
    def over(
        cls, index: CorpusIndex, embedder: TextEncoder, settings: Settings, previous: HybridRetriever | None = None
    ) -> MilvusRetriever:
        """A retriever over `index`, its collection synchronised with it first; the previous retriever's
        connection is reused when there is one."""
        chunks = previous.collection if isinstance(previous, MilvusRetriever) else MilvusChunks(settings)
        with milvus_errors(f"synchronise the collection {chunks.name}", chunks.uri):
            chunks.sync(index)
        return cls(index, embedder, settings, chunks)

    @property
    def fusion(self) -> str:
        """Where BM25 and the fusion run: 'milvus' (BM25 function and RRFRanker) or 'client' (local bm25s)."""
        return "milvus" if self.collection.full_text else "client"

    def search(self, query: str, k: int | None = None, query_vector: np.ndarray | None = None) -> list[Passage]:
        """The `k` best passages for `query`, best first (the contract of `HybridRetriever.search`); an
        IndexStoreError when Milvus fails."""
        with milvus_errors(f"search the collection {self.collection.name}", self.collection.uri):
            return self._search(query, k, query_vector)

    def _search(self, query: str, k: int | None, query_vector: np.ndarray | None) -> list[Passage]:
        query, k, depth = self.checked(query, k)
        vector = self.embed_query(query) if query_vector is None else query_vector
        terms = tokenize([query])[0]
        mode = self.settings.retrieval

        dense: dict[int, float] = {}
        bm25: dict[int, float] = {}
        if mode == "hybrid" and self.collection.full_text and terms:
            fused: dict[int, float] = {}
            for key, score, stored in self.collection.fused(vector, query, terms, depth, self.settings.rrf_k):
                if key in self.positions:
                    fused[self.positions[key]] = score
                    dense[self.positions[key]] = float(stored @ vector)
            bm25 = self._known(self.collection.lexical(query, terms, depth))
        else:
            dense = self._known(self.collection.dense(vector, depth))
            bm25 = self._bm25(query, terms, depth)
            rankings = {"hybrid": [list(dense), list(bm25)], "dense": [list(dense)], "bm25": [list(bm25)]}
            fused = fuse_rankings(rankings[mode], k=self.settings.rrf_k)
        best = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        dense.update(self._dense_scores([i for i in best if i not in dense], vector))
        return [
            Passage(self.index.chunks[i], r, dense.get(i, 0.0), bm25.get(i, 0.0), float(fused[i]))
            for r, i in enumerate(best, start=1)
        ]

    def _known(self, hits: list[tuple[int, float]]) -> dict[int, float]:
        """Position -> score, best first, for the hits this view knows."""
        return {self.positions[key]: score for key, score in hits if key in self.positions}

    def _bm25(self, query: str, terms: list[str], depth: int) -> dict[int, float]:
        """The BM25 top `depth` (position -> score, best first, scores above 0): Milvus's where it has
        the BM25 function, else the view's in-memory bm25s index."""
        if not terms:
            return {}
        if self.collection.full_text:
            return self._known(self.collection.lexical(query, terms, depth))
        return self.bm25_top(query, depth)  # the in-memory bm25s ranking, as the FAISS path has it

    def _dense_scores(self, positions: list[int], vector: np.ndarray) -> dict[int, float]:
        """Cosine of the query and these chunks (outside the dense ranking), from their stored vectors."""
        keys = {self.keys[p]: p for p in positions}
        return {keys[key]: float(v @ vector) for key, v in self.collection.vectors(list(keys)).items()}
