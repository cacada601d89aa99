"""POST /verify: where a quote attributed to the documents occurs, or the closest passage."""

from fastapi import APIRouter

from api.errors import error_responses
from api.schemas import VerifyRequest
from api.state import Components
from rag.corpus import find_document
from rag.settings import Settings
from rag.verify import CLOSE_SCORE, QuoteVerification, verify_quote

VERIFY_EXAMPLE = {
    "quote": "NATO's Space Operations Centre",
    "verdict": "exact",
    "matches": [
        {
            "doc_id": "002_685e0ef70b0e745a",
            "title": "NATO’s approach to space",
            "start": 16673,
            "end": 16703,
            "text": "NATO’s Space Operations Centre",
        }
    ],
    "closest": None,
}


_DESCRIPTION = f"""Check a quote attributed to these documents.

`exact`: every place it occurs verbatim, with offsets into the original text (typographic quotes, dashes and
whitespace differences are tolerated). Otherwise the closest passage with a 0-100 similarity score: `close`
when it scores at least {CLOSE_SCORE:g}, else `not_found`."""


def router(settings: Settings) -> APIRouter:
    routes = APIRouter(tags=["verification"])

    @routes.post(
        "/verify",
        response_model=QuoteVerification,
        description=_DESCRIPTION,
        responses={
            200: {"content": {"application/json": {"example": VERIFY_EXAMPLE}}},
            **error_responses(400, 404, 413, 422, 503),
        },
    )
    def verify(body: VerifyRequest, parts: Components) -> QuoteVerification:
        documents = parts.index.documents.values()
        if body.doc_id is not None:
            documents = [find_document(list(documents), body.doc_id)]
        return verify_quote(body.quote, documents)

    return routes
