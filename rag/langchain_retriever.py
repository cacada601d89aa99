"""This index as a LangChain retriever, so other chains can use it: `CorpusRetriever(...).invoke(query)`.

Each `Document` is one retrieved passage. Its `page_content` is the original document's text between
the passage's offsets, exactly as stored (`doc.text[start:end]`, any debris inside included), so anything
quoted from it can be cited by offset; `metadata` carries `doc_id`, `title`, `start`, `end`, `rank` and
the dense, BM25 and fused scores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import Field, model_validator

from rag.errors import InvalidQuery
from rag.retrieval import HybridRetriever, Passage

if TYPE_CHECKING:
    from rag.service import QAComponents


class CorpusRetriever(BaseRetriever):
    """The `k` best passages of the corpus for a query (hybrid dense + BM25 retrieval), as Documents.

    An unusable query (empty, too long, no letters or digits) raises `rag.errors.InvalidQuery`.
    """

    retriever: HybridRetriever = Field(description="The project's retriever over a loaded index.")
    k: int = Field(5, ge=1, description="Passages returned per query (at most the settings' max_k).")

    @model_validator(mode="after")
    def _check_k(self) -> CorpusRetriever:
        if self.k > self.retriever.settings.max_k:
            raise ValueError(f"k must be at most max_k ({self.retriever.settings.max_k}), got {self.k}")
        return self

    @classmethod
    def from_components(cls, components: QAComponents, k: int | None = None) -> CorpusRetriever:
        """A retriever over the loaded components' index; `k` defaults to the settings' `default_k`."""
        return cls(retriever=components.retriever, k=components.settings.default_k if k is None else k)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        """The passages for `query`, best first; `k` (e.g. `retriever.invoke(query, k=3)`) overrides
        the configured count for one call."""
        k = self.k if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise InvalidQuery(f"k must be a positive integer, got {k!r}")
        return [passage_document(p, self.retriever) for p in self.retriever.search(query, k=k)]


def passage_document(passage: Passage, retriever: HybridRetriever) -> Document:
    """A retrieved passage as a LangChain Document whose text is the original `doc.text[start:end]`."""
    chunk = passage.chunk
    doc = retriever.index.documents[chunk.doc_id]
    return Document(
        id=f"{chunk.doc_id}:{chunk.start}-{chunk.end}",
        page_content=doc.text[chunk.start : chunk.end],
        metadata={
            "doc_id": chunk.doc_id,
            "title": doc.title,
            "start": chunk.start,
            "end": chunk.end,
            "rank": passage.rank,
            "chunk_id": chunk.chunk_id,
            "dense_score": passage.dense_score,
            "bm25_score": passage.bm25_score,
            "fused_score": passage.fused_score,
        },
    )
