"""The FastAPI application: `create_app()` wires settings, state, error handlers and routes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import BodySizeLimit, install_error_handlers
from api.mcp_mount import mount_mcp
from api.routes import ask, chat, documents, health, ingest, search, ui, verify
from api.routes.health import service_version
from api.state import ServiceState
from api.writers import watch_store
from rag.service import QAComponents
from rag.settings import Settings

# Generous for a question with a full chat history (50 turns of up to 20,000 characters), small enough
# that a client cannot make the server buffer gigabytes.
MAX_BODY_BYTES = 8 * 1024 * 1024

DESCRIPTION = """\
Answers questions about **your documents** only with verbatim quotes. Add documents (.txt, .md, .html, .pdf,
.docx, or JSON text) with `POST /documents`; five documents on NATO and space are the example corpus. Every
citation names a document and the character offsets of the quote in its canonical text:
`text[start:end] == quote`, where `text` is what `GET /documents/{doc_id}` returns.

Writes (`POST`, `PUT`, `DELETE /documents`) need `Authorization: Bearer <key>` with a key from `RAG_API_KEYS`;
without keys configured the service is read-only. Read routes are open.

Errors are JSON: `{"error": {"type": ..., "message": ..., "details": [...]}}`; bad input gets 400
(malformed JSON), 401/403 (no or a wrong key), 404 (unknown document), 409 (an id taken by other content),
413 (too large), 415 (unsupported type) or 422 (invalid field or document), and every route but `/healthz`
answers 503 until the index is loaded (`/readyz`).
"""
# Room for the multipart envelope around a file of the largest size accepted.
MULTIPART_OVERHEAD_BYTES = 1024 * 1024


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
        store_watch = asyncio.create_task(watch_store(app))  # writes of `rag add` while serving
        async with mcp_endpoint.run():  # the MCP transport's task group (/mcp)
            yield
        store_watch.cancel()

    app = FastAPI(
        title="Quoted answers from your documents",
        version=service_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.service = state
    install_error_handlers(app)
    upload_bytes = max(MAX_BODY_BYTES, settings.max_upload_bytes + MULTIPART_OVERHEAD_BYTES)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES, upload_bytes=upload_bytes)
    for module in (ask, search, documents, ingest, verify, chat, health, ui):
        app.include_router(module.router(settings))
    mcp_endpoint = mount_mcp(app, state)
    return app
