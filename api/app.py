"""The FastAPI application: `create_app()` wires settings, state, error handlers and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import BodySizeLimit, install_error_handlers
from api.mcp_mount import mount_mcp
from api.routes import ask, chat, documents, health, search, ui, verify
from api.routes.health import service_version
from api.state import ServiceState
from rag.service import QAComponents
from rag.settings import Settings

# Generous for a question with a full chat history (50 turns of up to 20,000 characters), small enough
# that a client cannot make the server buffer gigabytes.
MAX_BODY_BYTES = 8 * 1024 * 1024

DESCRIPTION = """\
Answers questions about five NATO-and-space documents **only with verbatim quotes**. Every citation names
a document and the character offsets of the quote in the original file:
`text[start:end] == quote`, where `text` is what `GET /documents/{doc_id}` returns.

Errors are JSON: `{"error": {"type": ..., "message": ..., "details": [...]}}`; bad input gets 400
(malformed JSON), 404 (unknown document) or 422 (invalid field), and every route but `/healthz` answers
503 until the index is loaded (`/readyz`).
"""


def create_app(settings: Settings | None = None, components: QAComponents | None = None) -> FastAPI:
    """The API for `settings` (default: the components' settings, or the `RAG_*` environment).

    With `components`, the app serves them at once; without, its lifespan loads them in the background
    and every route but `/healthz` answers 503 until they are ready.
    """
    if settings is None:
        settings = components.settings if components is not None else Settings()
    state = ServiceState(settings, components)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.start_loading()
        async with mcp_endpoint.run():  # the MCP transport's task group (/mcp)
            yield

    app = FastAPI(
        title="NATO-and-space QA",
        version=service_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.service = state
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    for module in (ask, search, documents, verify, chat, health, ui):
        app.include_router(module.router(settings))
    mcp_endpoint = mount_mcp(app, state)
    return app
