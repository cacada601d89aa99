"""Every error the API returns is JSON of one shape, `{"error": {"type", "message", "details"}}`.

The library raises its own errors (`InvalidQuery`, `DocumentNotFound`, ...); this module maps them, and
FastAPI's request validation, to status codes. The envelope is OpenAI's (`error.message`), so OpenAI
clients of `/v1/chat/completions` show the message too.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.errors import (
    DocumentConflict,
    DocumentNotFound,
    DocumentTooLarge,
    InvalidDocument,
    InvalidQuery,
    RagError,
    UnsupportedFormat,
)

logger = logging.getLogger(__name__)

# At most this many validation problems are spelled out in the message (all are in `details`).
_PROBLEMS_IN_MESSAGE = 3


class NotReady(Exception):
    """The index and model are still loading (or failed to load): nothing but health can be served."""


class Unauthorized(Exception):
    """A write route called without an API key (401)."""


class Forbidden(Exception):
    """A write route called with a wrong key, or while writes are disabled (403)."""


class ErrorDetail(BaseModel):
    field: str = Field(description="Where the problem is: body.question, query.k, body.history.0.role ...")
    message: str
    type: str


class ErrorBody(BaseModel):
    type: str = Field(
        description="malformed_json, invalid_request, invalid_document, unauthorized, forbidden, not_found, "
        "method_not_allowed, conflict, payload_too_large, unsupported_media_type, not_ready, unavailable or "
        "internal_error"
    )
    message: str = Field(description="What is wrong, naming the field or value.")
    details: list[ErrorDetail] = Field(default_factory=list, description="One entry per invalid field.")


class ErrorResponse(BaseModel):
    error: ErrorBody


_EXAMPLES: dict[int, tuple[str, str]] = {
    400: ("malformed_json", "the request body is not valid JSON: Expecting value (at character 14)"),
    401: ("unauthorized", "this route needs an API key: send Authorization: Bearer <key>"),
    403: ("forbidden", "the API key is not valid"),
    404: ("not_found", "no document with id '../../etc/passwd'"),
    409: ("conflict", "document 'report' already exists with other content; replace it with PUT /documents/report"),
    415: ("unsupported_media_type", "cannot read files of type '.exe'; supported: .docx, .htm, .html, .md, ..."),
    413: ("payload_too_large", "the request body is 9437184 bytes; the limit is 8388608 bytes"),
    422: ("invalid_request", "body.question: String should have at most 1000 characters"),
    503: ("not_ready", "the index is still loading; retry shortly"),
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the error statuses a route can return."""
    return {
        code: {
            "model": ErrorResponse,
            "description": HTTPStatus(code).phrase,
            "content": {
                "application/json": {
                    "example": {"error": {"type": _EXAMPLES[code][0], "message": _EXAMPLES[code][1], "details": []}}
                }
            },
        }
        for code in codes
    }


def error_response(
    status: int, type_: str, message: str, details: list[ErrorDetail] | None = None, headers: dict | None = None
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(type=type_, message=message, details=details or []))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


class BodySizeLimit:
    """Refuse a request body over `max_bytes` with the JSON error envelope (413), before any route runs.

    A body with a Content-Length is judged by it; one without is read up to the limit and replayed to the
    app. (FastAPI's own `max_body_size` answers in plain text.)"""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes or max_bytes  # POST and PUT of /documents (file uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope.get("method") in ("POST", "PUT") and scope.get("path", "").startswith("/documents")
        limit = self.upload_bytes if upload else self.max_bytes
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            if length.isdigit() and int(length) > limit:
                await self._refuse(f"the request body is {length} bytes", limit, scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse("the request body is longer", limit, scope, receive, send)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, what: str, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"{what}; the limit is {limit} bytes"
        await error_response(413, "payload_too_large", message)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(InvalidQuery, _invalid_query)
    app.add_exception_handler(DocumentNotFound, _document_not_found)
    app.add_exception_handler(NotReady, _not_ready)
    app.add_exception_handler(Unauthorized, _unauthorized)
    app.add_exception_handler(Forbidden, _forbidden)
    for error, (status, kind) in _DOCUMENT_ERRORS.items():
        app.add_exception_handler(error, _document_error(status, kind))
    app.add_exception_handler(RagError, _rag_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    malformed = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if malformed is not None:
        reason = (malformed.get("ctx") or {}).get("error", "JSON decode error")
        position = malformed["loc"][-1] if len(malformed.get("loc", ())) > 1 else None
        where = f" (at character {position})" if isinstance(position, int) else ""
        return error_response(400, "malformed_json", f"the request body is not valid JSON: {reason}{where}")
    details = [
        ErrorDetail(field=".".join(str(part) for part in e.get("loc", ())), message=str(e.get("msg")), type=e["type"])
        for e in errors
    ]
    content_type = request.headers.get("content-type", "")
    if any(d.field == "body" for d in details) and "json" not in content_type:
        # FastAPI leaves a body that is not declared JSON unparsed; say so rather than "not a dictionary".
        message = f"the request body must be JSON sent with Content-Type: application/json (got {content_type!r})"
        return error_response(422, "invalid_request", message, details)
    problems = [f"{d.field}: {d.message}" for d in details[:_PROBLEMS_IN_MESSAGE]]
    if len(details) > _PROBLEMS_IN_MESSAGE:
        problems.append(f"and {len(details) - _PROBLEMS_IN_MESSAGE} more")
    return error_response(422, "invalid_request", "; ".join(problems) or "invalid request", details)


async def _invalid_query(request: Request, exc: InvalidQuery) -> JSONResponse:
    return error_response(422, "invalid_request", str(exc))


async def _document_not_found(request: Request, exc: DocumentNotFound) -> JSONResponse:
    return error_response(404, "not_found", str(exc))


_DOCUMENT_ERRORS: dict[type[RagError], tuple[int, str]] = {
    InvalidDocument: (422, "invalid_document"),
    UnsupportedFormat: (415, "unsupported_media_type"),
    DocumentTooLarge: (413, "payload_too_large"),
    DocumentConflict: (409, "conflict"),
}


def _document_error(status: int, kind: str):
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        return error_response(status, kind, str(exc))

    return handle


async def _unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
    return error_response(401, "unauthorized", str(exc), headers={"WWW-Authenticate": "Bearer"})


async def _forbidden(request: Request, exc: Forbidden) -> JSONResponse:
    return error_response(403, "forbidden", str(exc))


async def _not_ready(request: Request, exc: NotReady) -> JSONResponse:
    return error_response(503, "not_ready", str(exc), headers={"Retry-After": "2"})


async def _rag_error(request: Request, exc: RagError) -> JSONResponse:
    logger.error("cannot serve %s %s: %s", request.method, request.url.path, exc)
    return error_response(503, "unavailable", str(exc))


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    kinds = {400: "malformed_json", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
    kind = kinds.get(exc.status_code, "invalid_request" if exc.status_code < 500 else "internal_error")
    message = str(exc.detail)
    if exc.status_code == 404 and message == HTTPStatus.NOT_FOUND.phrase:
        message = f"no route {request.url.path}; see /docs"
    elif exc.status_code == 400:  # FastAPI's only 400: a body it cannot decode
        message = "the request body is not valid JSON: it cannot be decoded as UTF-8 text"
    return error_response(exc.status_code, kind, message, headers=getattr(exc, "headers", None))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error in %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", f"internal error ({type(exc).__name__}); see the server log")
