"""POST /documents, PUT and DELETE /documents/{doc_id} (API key required), GET /documents/{doc_id}/original.

A write extracts the text (off the event loop), embeds only that document, one batch at a time on the
model thread (questions are answered between batches), commits it durably and swaps in the next view of
the corpus: a request sees the corpus before or after a write, never a half.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile

from api.auth import WriteAccess
from api.errors import error_responses
from api.schemas import DocumentSummary, examples, request_config
from api.state import ServiceState, State
from api.writers import Writers, writers_of
from rag.document_writes import WriteResult
from rag.errors import DocumentNotFound, DocumentTooLarge, InvalidDocument, UnsupportedFormat
from rag.extract import SUPPORTED_SUFFIXES, extract_text
from rag.ingest import PreparedDocument, prepare_upload
from rag.settings import Settings
from rag.store import CorpusStore

UPLOAD_ERRORS = (400, 401, 403, 409, 413, 415, 422, 503)


class DocumentText(BaseModel):
    """A document posted as JSON: its text (UTF-8, stored as given), optionally a title and an id."""

    model_config = request_config(
        {"text": "The quokka survey of 2024 counted 412 animals on Rottnest Island.", "title": "Quokka survey 2024"}
    )

    text: str = Field(min_length=1, description="The document's text; citations index it as given.")
    title: str | None = Field(None, max_length=200, description="Default: the text's first heading or sentence.")
    doc_id: str | None = Field(
        None, description="Letters, digits, '.', '_', '-' (up to 128). Default: from the title and a content hash."
    )


class DocumentWritten(DocumentSummary):
    model_config = examples(
        {
            "doc_id": "walrus-survey_5b1d3f0a8c2e4d6f",
            "title": "Svalbard walrus survey",
            "date": None,
            "publisher": None,
            "author": None,
            "length": 243,
            "chunks": 1,
            "sha256": "5b1d3f0a8c2e4d6f9a7b3c1d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f",
            "origin": "upload",
            "media_type": "application/pdf",
            "file_name": "walrus-survey.pdf",
            "status": "created",
            "corpus_hash": "ba9a1f5efdaed8ea4b9ac9732ea851d1b95b808af23ecc4839d6e262b3e54166",
        }
    )

    status: str = Field(description="created, replaced or unchanged (the same content was already there).")
    corpus_hash: str = Field(description="The corpus after the write (as /version reports it).")


class UploadSettings(BaseModel):
    model_config = examples(
        {"enabled": True, "max_upload_bytes": 52428800, "formats": [".txt", ".md", ".html", ".pdf", ".docx"]}
    )

    enabled: bool = Field(description="Whether API keys are configured (RAG_API_KEYS); false: read-only.")
    max_upload_bytes: int
    formats: list[str] = Field(description="File suffixes accepted.")


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    file_name: str | None
    content_type: str | None
    title: str | None
    doc_id: str | None


_MULTIPART_SCHEMA = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": f"The document: {', '.join(SUPPORTED_SUFFIXES)}"},
        "title": {"type": "string", "maxLength": 200},
        "doc_id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"},
    },
}
_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": _MULTIPART_SCHEMA},
            "application/json": {"schema": DocumentText.model_json_schema()},
        },
    }
}
_WRITTEN = {
    200: {"model": DocumentWritten, "description": "Unchanged (the same content is already there), or replaced"},
    **error_responses(*UPLOAD_ERRORS),
}

DocId = Annotated[str, Path(description="The document's id.", examples=["quokka-survey_5b1d3f0a8c2e4d6f"])]


def router(settings: Settings) -> APIRouter:
    routes = APIRouter(tags=["documents"])

    @routes.post(
        "/documents", status_code=201, response_model=DocumentWritten, responses=_WRITTEN, openapi_extra=_REQUEST_BODY
    )
    async def add_document(request: Request, state: State, _: WriteAccess) -> JSONResponse:
        """Add a document: a file (`multipart/form-data`, field `file`, optional `title` and `doc_id`) of type
        .txt, .md, .html, .pdf or .docx, or JSON `{"text", "title"?, "doc_id"?}`. 201 with its metadata; the
        same content again is 200 with the same `doc_id`; an id taken by other content is 409 (use PUT)."""
        return await _write(request, state, writers_of(request.app), doc_id=None, replace=False)

    @routes.put(
        "/documents/{doc_id}", status_code=201, response_model=DocumentWritten, responses=_WRITTEN,
        openapi_extra=_REQUEST_BODY,
    )  # fmt: skip
    async def replace_document(doc_id: DocId, request: Request, state: State, _: WriteAccess) -> JSONResponse:
        """Replace the document `doc_id` (or add it: 201), with a body as for POST /documents. Citations into
        the previous version no longer resolve; `/version`'s `corpus_hash` changes."""
        return await _write(request, state, writers_of(request.app), doc_id=doc_id, replace=True)

    @routes.delete(
        "/documents/{doc_id}", status_code=204, responses=error_responses(401, 403, 404, 409, 503)
    )  # fmt: skip
    async def remove_document(doc_id: DocId, request: Request, state: State, _: WriteAccess) -> Response:
        """Remove a document and everything indexed from it (a seed stays removed). 204; 404 when unknown."""
        state.require()
        await run_in_threadpool(writers_of(request.app).get(state).remove, doc_id)
        return Response(status_code=204)

    @routes.get("/uploads", response_model=UploadSettings)
    def upload_settings() -> UploadSettings:
        """Whether documents can be added (a key is configured), the size limit and the formats: what the web
        page needs to offer an upload. Says nothing about the keys."""
        return UploadSettings(
            enabled=bool(settings.write_keys()),
            max_upload_bytes=settings.max_upload_bytes,
            formats=[".txt", ".md", ".html", ".pdf", ".docx"],
        )

    @routes.get(
        "/documents/{doc_id}/original",
        responses={
            200: {
                "content": {
                    "application/octet-stream": {
                        "schema": {"type": "string", "format": "binary"},
                        "example": "(the file's bytes)",
                    }
                },
                "description": "The original file, with its own media type",
            },
            **error_responses(404, 503),
        },
        response_class=Response,
    )
    def get_original(doc_id: DocId, state: State) -> Response:
        """The file as it was uploaded (for a seed: its text as UTF-8), with its media type."""
        state.require()
        with CorpusStore(settings.index_dir, create=False) as store:
            found = store.original(doc_id)
        if found is None:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        data, name, media_type = found
        disposition = f"attachment; filename*=UTF-8''{quote(name)}"
        return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})

    return routes


async def _write(
    request: Request, state: ServiceState, writers: Writers, doc_id: str | None, replace: bool
) -> JSONResponse:
    state.require()
    upload = await _read_upload(request, state.settings)
    prepared = await run_in_threadpool(_prepare, upload, doc_id or upload.doc_id, state.settings)
    explicit = (doc_id or upload.doc_id) is not None
    result = await run_in_threadpool(writers.get(state).add, prepared, explicit_id=explicit, replace=replace)
    body = _written(result, state, prepared)
    status = 201 if result.status == "created" else 200
    return JSONResponse(body.model_dump(), status_code=status, headers={"Location": f"/documents/{result.doc_id}"})


def _prepare(upload: Upload, doc_id: str | None, settings: Settings) -> PreparedDocument:
    extracted = extract_text(upload.data, upload.file_name, upload.content_type)
    return prepare_upload(
        extracted, settings, doc_id=doc_id, title=upload.title, file_name=upload.file_name, original=upload.data
    )


def _written(result: WriteResult, state: ServiceState, prepared: PreparedDocument) -> DocumentWritten:
    index = result.index or state.require().index
    doc = index.documents.get(result.doc_id, prepared.document)
    summary = DocumentSummary.of(doc, index.chunk_count(result.doc_id), index.entries.get(result.doc_id))
    return DocumentWritten(**summary.model_dump(), status=result.status, corpus_hash=index.manifest["corpus_hash"])


async def _read_upload(request: Request, settings: Settings) -> Upload:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = settings.max_upload_bytes
    if content_type == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=8)
        except Exception as exc:  # starlette raises MultiPartException or HTTPException for a broken body
            raise InvalidDocument(f"the multipart body cannot be read: {getattr(exc, 'detail', exc)}") from exc
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise InvalidDocument("send the document as a file in the form field 'file'")
        data = await file.read(limit + 1)
        if len(data) > limit:
            raise DocumentTooLarge(f"the file is over the upload limit of {limit} bytes (RAG_MAX_UPLOAD_BYTES)")
        fields = {k: v.strip() for k in ("title", "doc_id") if isinstance(v := form.get(k), str) and v.strip()}
        return Upload(data, file.filename, file.content_type, fields.get("title"), fields.get("doc_id"))
    if content_type == "application/json" or content_type.endswith("+json"):
        raw = await request.body()
        try:
            posted = DocumentText.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc
        data = posted.text.encode("utf-8")
        if len(data) > limit:
            raise DocumentTooLarge(f"the text is {len(data)} bytes; the upload limit is {limit} (RAG_MAX_UPLOAD_BYTES)")
        return Upload(data, None, "text/plain", posted.title, posted.doc_id)
    raise UnsupportedFormat(
        f"send the document as multipart/form-data (field 'file') or as JSON {{\"text\": ...}}, "
        f"not {content_type or 'a body without Content-Type'!r}"
    )
