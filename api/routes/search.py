"""GET /search: ranked passages with their dense, BM25 and fused scores."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.errors import error_responses
from api.schemas import SearchResponse
from api.state import Components, Model
from rag.search_hits import search_hit
from rag.settings import Settings


def router(settings: Settings) -> APIRouter:
    routes = APIRouter(tags=["retrieval"])

    @routes.get("/search", response_model=SearchResponse, responses=error_responses(422, 503))
    async def search(
        parts: Components,
        model: Model,
        q: Annotated[
            str,
            Query(
                min_length=1,
                max_length=settings.max_question_chars,
                description="What to look for; it must contain a letter or digit.",
                examples=["APSS memorandum"],
            ),
        ],
        k: Annotated[
            int, Query(ge=1, le=settings.max_k, description="Number of passages.", examples=[settings.default_k])
        ] = settings.default_k,
    ) -> SearchResponse:
        """The `k` best passages for `q`: dense (FAISS) and BM25 rankings fused by reciprocal rank.

        `start`/`end` are offsets into the original document; `text` is the passage without debris."""
        passages = await model.run(parts.retriever.search, q, k=k)
        return SearchResponse(query=q, k=k, passages=[search_hit(p, parts.index) for p in passages])

    return routes
