"""GET /documents, /documents/{doc_id} and /documents/{doc_id}/passage (citation lookup)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.errors import error_responses
from api.schemas import DOC_ID_EXAMPLE, DocumentDetail, DocumentList, DocumentSummary, PageInfo
from api.state import Components
from rag.corpus import Document, find_document
from rag.service import QAComponents
from rag.settings import Settings
from rag.verify import MAX_CONTEXT_CHARS, SpanInContext, span_in_context

PASSAGE_EXAMPLE = {
    "doc_id": DOC_ID_EXAMPLE,
    "title": "NATO’s approach to space",
    "start": 1391,
    "end": 1513,
    "text": "In 2020, Defence Ministers decided to establish a NATO Space Operations Centre at Allied Air Command "
    "in Ramstein, Germany.",
    "context_start": 1341,
    "context_end": 1563,
    "before": "icy and declared space an operational domain.\n  • ",
    "after": "\n  • At the 2021 Brussels Summit, NATO recognised ",
}

DocId = Annotated[
    str,
    Path(description="Document id (a seed's file name without extension, or an upload's).", examples=[DOC_ID_EXAMPLE]),
]


def router(settings: Settings) -> APIRouter:
    routes = APIRouter(tags=["documents"])

    @routes.get("/documents", response_model=DocumentList, responses=error_responses(503))
    def list_documents(parts: Components) -> DocumentList:
        """Every document of the corpus with its title, length and number of indexed passages."""
        return DocumentList(
            documents=[
                DocumentSummary.of(d, parts.index.chunk_count(d.doc_id), parts.index.entries.get(d.doc_id))
                for d in parts.index.documents.values()
            ]
        )

    @routes.get("/documents/{doc_id}", response_model=DocumentDetail, responses=error_responses(404, 422, 503))
    def get_document(doc_id: DocId, parts: Components) -> DocumentDetail:
        """A document's metadata and its canonical text, which every citation offset indexes (for a PDF, with
        where each page lies in it)."""
        doc = _document(parts, doc_id)
        entry = parts.index.entries.get(doc_id)
        summary = DocumentSummary.of(doc, parts.index.chunk_count(doc_id), entry)
        pages = [PageInfo(page=p.page, start=p.start, end=p.end) for p in entry.pages] if entry else []
        return DocumentDetail(**summary.model_dump(), text=doc.text, pages=pages)

    @routes.get(
        "/documents/{doc_id}/passage",
        response_model=SpanInContext,
        responses={
            200: {"content": {"application/json": {"example": PASSAGE_EXAMPLE}}},
            **error_responses(404, 422, 503),
        },
    )
    def get_passage(
        doc_id: DocId,
        parts: Components,
        start: Annotated[int, Query(ge=0, description="Start offset of the span.", examples=[1391])],
        end: Annotated[int, Query(ge=1, description="End offset (exclusive), after start.", examples=[1513])],
        context: Annotated[
            int, Query(ge=0, le=MAX_CONTEXT_CHARS, description="Characters of context on each side.", examples=[50])
        ] = 200,
    ) -> SpanInContext:
        """Citation lookup: the exact span `text[start:end]` and up to `context` characters around it, so a
        client can show the quote highlighted in place."""
        return span_in_context(_document(parts, doc_id), start, end, context)

    return routes


def _document(parts: QAComponents, doc_id: str) -> Document:
    """The document with that id; DocumentNotFound (404) for any other string, path-like ones included."""
    return find_document(list(parts.index.documents.values()), doc_id)
