"""A retrieved passage as clients see it: `rag search --json` and the API's `/search` share this shape."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rag.index_store import CorpusIndex
from rag.retrieval import Passage


class SearchHit(BaseModel):
    rank: int = Field(ge=1, description="1 for the best passage.")
    doc_id: str
    title: str
    start: int = Field(description="Start offset of the passage (Python string index) in the original document.")
    end: int = Field(description="End offset (exclusive) in the original document.")
    text: str = Field(description="The passage's clean text: the original text[start:end] without debris.")
    dense_score: float = Field(description="Cosine similarity of the query and the passage embeddings.")
    bm25_score: float = Field(description="BM25 score of the passage for the query (0 when no term matches).")
    fused_score: float = Field(description="Reciprocal rank fusion of the dense and BM25 rankings.")


def search_hit(passage: Passage, index: CorpusIndex) -> SearchHit:
    return SearchHit(
        rank=passage.rank,
        doc_id=passage.doc_id,
        title=index.documents[passage.doc_id].title,
        start=passage.chunk.start,
        end=passage.chunk.end,
        text=passage.chunk.text,
        dense_score=round(passage.dense_score, 4),
        bm25_score=round(passage.bm25_score, 4),
        fused_score=round(passage.fused_score, 6),
    )
