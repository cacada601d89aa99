"""POST /ask and POST /ask/stream: the answer contract, whole or as server-sent events."""

# No `from __future__ import annotations`: FastAPI reads the request model, built per app, from the
# annotations of functions defined inside `router`.

import json
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter

from api.errors import ErrorBody, ErrorResponse, error_responses
from api.schemas import ANSWER_CITATION_EXAMPLE, ANSWER_EXAMPLE, AskRequest, ask_request_model
from api.sse import ServerSentEvents, sse_event
from api.state import Components, Model, ModelThread
from rag.answering import Answer
from rag.errors import InvalidQuery, RagError
from rag.service import Answerer
from rag.settings import Settings

logger = logging.getLogger(__name__)


def _event_schema(name: str, schema: str) -> dict:
    return {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"const": name},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": f"#/components/schemas/{schema}"},
            },
        },
    }


_STREAM_DOC = {
    "description": "Server-sent events: `citation` (one per citation, in order), then `answer`; `error` if the "
    "answer fails after the stream started.",
    "content": {
        "text/event-stream": {
            # OpenAPI 3.2's way to describe each event of a stream (FastAPI's own SSE routes use it too).
            "itemSchema": {
                "oneOf": [
                    _event_schema("citation", "Citation"),
                    _event_schema("answer", "Answer"),
                    _event_schema("error", "ErrorResponse"),
                ]
            },
            "example": f"event: citation\ndata: {json.dumps(ANSWER_CITATION_EXAMPLE, ensure_ascii=False)}\n\n"
            f"event: answer\ndata: {json.dumps(ANSWER_EXAMPLE, ensure_ascii=False)}\n\n",
        }
    },
}


def router(settings: Settings) -> APIRouter:
    routes = APIRouter(tags=["answers"])
    AskBody = ask_request_model(settings)

    @routes.post(
        "/ask",
        response_model=Answer,
        responses={
            200: {"content": {"application/json": {"example": ANSWER_EXAMPLE}}},
            **error_responses(400, 413, 422, 503),
        },
    )
    async def ask(body: AskBody, parts: Components, model: Model) -> Answer:
        """Answer a question with verbatim, cited quotes, or abstain (same JSON as `rag ask --json`).

        Every citation satisfies `text[start:end] == quote`, where `text` is the original document
        (`GET /documents/{doc_id}`). With `history`, a follow-up question ("When was it established?")
        takes its subject from the earlier turns."""
        return await model.run(parts.answerer.answer, body.question, top_k=body.top_k, history=body.history)

    @routes.post(
        "/ask/stream",
        response_class=ServerSentEvents,
        status_code=200,
        responses={200: _STREAM_DOC, **error_responses(400, 413, 422, 503)},
    )
    async def ask_stream(body: AskBody, parts: Components, model: Model) -> ServerSentEvents:
        """The answer of `POST /ask` as server-sent events, for chat front ends: one `citation` event per
        citation, in order, then an `answer` event with the whole answer (as `POST /ask` returns it).

        Bad input and "not ready" are refused with a status code before the stream starts; a failure
        after it started arrives as an `error` event."""
        return ServerSentEvents(answer_events(model, parts.answerer, body))

    return routes


async def answer_events(model: ModelThread, answerer: Answerer, request: AskRequest) -> AsyncIterator[bytes]:
    """`citation` events, then the `answer` event; an `error` event instead if answering fails."""
    try:
        answer = await model.run(answerer.answer, request.question, top_k=request.top_k, history=request.history)
        for citation in answer.citations:
            yield sse_event(citation, "citation")
        yield sse_event(answer, "answer")
    except Exception as exc:  # the status line is sent: the failure can only be told as an event
        if isinstance(exc, InvalidQuery):
            kind, message = "invalid_request", str(exc)
        elif isinstance(exc, RagError):
            kind, message = "unavailable", str(exc)
        else:
            logger.exception("answer stream failed")
            kind, message = "internal_error", f"internal error ({type(exc).__name__}); see the server log"
        yield sse_event(ErrorResponse(error=ErrorBody(type=kind, message=message)), "error")
