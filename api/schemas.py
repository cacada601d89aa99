"""Request and response models of the API, with the examples shown in the OpenAPI docs.

Limits come from the settings (question length, k, history turns), so the request models are built per
app by `request_models(settings)`: the limits then appear in the OpenAPI schema exactly as enforced.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from rag.chat import Turn
from rag.corpus import Document
from rag.corpus_view import DocumentEntry
from rag.errors import InvalidQuery
from rag.retrieval import validate_question
from rag.search_hits import SearchHit
from rag.settings import Settings
from rag.verify import MAX_QUOTE_CHARS

QUESTION_EXAMPLE = "Where is the NATO Space Operations Centre?"
FOLLOW_UP_EXAMPLE = "When was it established?"
DOC_ID_EXAMPLE = "002_685e0ef70b0e745a"
TITLE_EXAMPLE = "NATO’s approach to space"
QUOTE_EXAMPLE = (
    "In 2020, Defence Ministers decided to establish a NATO Space Operations Centre at Allied Air Command in "
    "Ramstein, Germany."
)
CITATION_EXAMPLE = {
    "id": 1,
    "doc_id": DOC_ID_EXAMPLE,
    "title": TITLE_EXAMPLE,
    "start": 1391,
    "end": 1513,
    "quote": QUOTE_EXAMPLE,
    "score": 0.8324,
}
ANSWER_QUOTE_EXAMPLE = (
    "The NATO Space Operations Centre (NSpOC) was established in 2024 at Allied Air Command in Ramstein, Germany, "
    "as part of the Combined Force Space Component Command (CFSpCC). It serves as a focal point to support NATO’s "
    "operations, missions and other activities; share information; and help coordinate Allies’ efforts in the "
    "space domain."
)
ANSWER_CITATION_EXAMPLE = {
    "id": 1,
    "doc_id": DOC_ID_EXAMPLE,
    "title": TITLE_EXAMPLE,
    "start": 6934,
    "end": 7270,
    "quote": ANSWER_QUOTE_EXAMPLE,
    "score": 0.7994,
}
ANSWER_EXAMPLE = {
    "question": QUESTION_EXAMPLE,
    "answer": f"Allied Air Command [1]: “{ANSWER_QUOTE_EXAMPLE}” [1]",
    "abstained": False,
    "citations": [ANSWER_CITATION_EXAMPLE],
    "conflicts": [],
    "mode": "extractive",
    "confidence": 0.7994,
    "read_with": "alone",
    "read_as": None,
    "abstention_reason": None,
}

ModelT = TypeVar("ModelT", bound=BaseModel)


def examples(*items: dict[str, Any]) -> ConfigDict:
    """A response model's config with its examples for the OpenAPI docs."""
    return ConfigDict(json_schema_extra={"examples": list(items)})


def request_config(*items: dict[str, Any]) -> ConfigDict:
    """A request body's config: unknown fields and loose types (a "5" for a 5) are errors; examples for the docs."""
    return ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": list(items)})


# --- requests ------------------------------------------------------------------------------------------


class AskRequest(BaseModel):
    """A question, optionally asked after earlier turns of a chat."""

    model_config = request_config(
        {"question": QUESTION_EXAMPLE},
        {
            "question": FOLLOW_UP_EXAMPLE,
            "history": [
                {"role": "user", "content": QUESTION_EXAMPLE},
                {"role": "assistant", "content": f"“{QUOTE_EXAMPLE}” [1]"},
            ],
            "top_k": 5,
        },
    )

    question: str = Field(min_length=1, description="The question; it must contain a letter or digit.")
    history: list[Turn] = Field(
        default_factory=list,
        description="Earlier turns of the chat, oldest first; a follow-up question takes its subject from them.",
    )
    top_k: int | None = Field(None, ge=1, description="Passages read to compose the answer (default 5).")


class VerifyRequest(BaseModel):
    """A quote attributed to the documents, to be checked."""

    model_config = request_config(
        {"quote": "In 2020, Defence Ministers decided to establish a NATO Space Operations Centre"},
        {"quote": "NATO's Space Operations Centre", "doc_id": DOC_ID_EXAMPLE},
    )

    quote: str = Field(
        min_length=1,
        max_length=MAX_QUOTE_CHARS,
        description="The quote; typographic quotes, dashes and whitespace differences are tolerated.",
    )
    doc_id: str | None = Field(None, description="Look only in this document (default: every document).")


def _usable_question(max_chars: int) -> AfterValidator:
    """The library's check of a question (not blank, has a letter or digit), as a validation error."""

    def check(value: str) -> str:
        try:
            return validate_question(value, max_chars)
        except InvalidQuery as exc:
            raise PydanticCustomError("invalid_question", str(exc)) from None

    return AfterValidator(check)


def with_limits(model: type[ModelT], **limits: tuple[Any, ...]) -> type[ModelT]:
    """A subclass of `model` (same name, so the same OpenAPI schema name) whose fields carry extra
    constraints: `limits[name]` is a tuple of `Field(...)`/validators added to that field's own."""
    fields: dict[str, Any] = {}
    for name, extra in limits.items():
        field: FieldInfo = model.model_fields[name]
        fields[name] = Annotated[(field.annotation, field, *extra)]
    return create_model(model.__name__, __base__=model, __doc__=model.__doc__, **fields)


def ask_request_model(settings: Settings) -> type[AskRequest]:
    """AskRequest with the limits of `settings`."""
    return with_limits(
        AskRequest,
        question=(Field(max_length=settings.max_question_chars), _usable_question(settings.max_question_chars)),
        history=(Field(max_length=settings.max_history_turns),),
        top_k=(Field(le=settings.max_k),),
    )


# --- responses -----------------------------------------------------------------------------------------


class SearchResponse(BaseModel):
    model_config = examples(
        {
            "query": "APSS memorandum",
            "k": 1,
            "passages": [
                {
                    "rank": 1,
                    "doc_id": DOC_ID_EXAMPLE,
                    "title": TITLE_EXAMPLE,
                    "start": 16748,
                    "end": 17178,
                    "text": "On the sidelines of the 2024 Washington Summit, 17 Allies signed a Memorandum of "
                    "Understanding transitioning the APSS project into its implementation phase. …",
                    "dense_score": 0.513,
                    "bm25_score": 2.6471,
                    "fused_score": 0.032787,
                }
            ],
        }
    )

    query: str
    k: int
    passages: list[SearchHit] = Field(description="Best first.")


class DocumentSummary(BaseModel):
    model_config = examples(
        {
            "doc_id": DOC_ID_EXAMPLE,
            "title": TITLE_EXAMPLE,
            "date": "2025-06-24",
            "publisher": "NATO",
            "author": None,
            "length": 17201,
            "chunks": 32,
            "sha256": "3ecccb15540a21a14f6c649e3ce8d37d03e49834f8cec89cafaf60d4b769129a",
        }
    )

    doc_id: str
    title: str
    date: str | None = Field(description="ISO date stated in the document, if any.")
    publisher: str | None
    author: str | None
    length: int = Field(description="Length of the original text in characters (Python string length).")
    chunks: int = Field(description="Passages the document is indexed as.")
    sha256: str = Field(description="SHA-256 of the document's canonical UTF-8 text (what citations index).")
    origin: Literal["seed", "upload"] = Field("seed", description="seed: the example corpus; upload: added by a user.")
    media_type: str = Field("text/plain", description="Type of the original file the text was extracted from.")
    file_name: str | None = Field(None, description="Name of the original file.")

    @classmethod
    def of(cls, doc: Document, chunks: int, entry: DocumentEntry | None = None) -> DocumentSummary:
        origin = {"origin": entry.row.origin, "media_type": entry.row.media_type} if entry else {}
        return cls(
            **origin,
            file_name=doc.path.name,
            doc_id=doc.doc_id,
            title=doc.title,
            date=doc.date,
            publisher=doc.publisher,
            author=doc.author,
            length=doc.length,
            chunks=chunks,
            sha256=doc.sha256,
        )


class DocumentList(BaseModel):
    model_config = examples({"documents": [DocumentSummary.model_config["json_schema_extra"]["examples"][0]]})

    documents: list[DocumentSummary]


class PageInfo(BaseModel):
    page: int = Field(description="Page number, from 1.")
    start: int
    end: int


class DocumentDetail(DocumentSummary):
    model_config = examples(
        {**DocumentSummary.model_config["json_schema_extra"]["examples"][0], "text": "NATO’s approach to space\n…"}
    )

    text: str = Field(
        description="The canonical text (a seed's file as read, or the text extracted from an upload); every "
        "citation offset indexes this string."
    )
    pages: list[PageInfo] = Field(
        default_factory=list, description="For a PDF: where each page's text lies in `text` (a citation's page)."
    )


class HealthStatus(BaseModel):
    model_config = examples({"status": "alive"})

    status: Literal["alive"] = "alive"


class ReadyStatus(BaseModel):
    model_config = examples({"status": "ready", "documents": 5, "chunks": 70, "load_seconds": 3.5})

    status: Literal["ready"] = "ready"
    documents: int
    chunks: int
    load_seconds: float | None = Field(description="Time to load (or build) the index at start-up; null in tests.")


class VersionInfo(BaseModel):
    model_config = examples(
        {
            "service_version": "0.1.0",
            "model_name": "sentence-transformers/all-MiniLM-L6-v2",
            "model_dimension": 384,
            "model_weights_sha256": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            "corpus_hash": "2be1a4ab984b43b3b69cf45311b819fdb2f4a5f71bdb8c0473fd6dd248e3e5f0",
            "documents": 5,
            "chunks": 70,
            "index_build_id": "20261122T002314-9536eedc",
            "index_built_at": "2026-11-22T00:23:14+00:00",
            "index_format": 1,
            "dense_index": {"kind": "flat", "vectors": 70, "dimension": 384},
        }
    )

    service_version: str
    model_name: str
    model_dimension: int | None
    model_weights_sha256: str | None
    corpus_hash: str = Field(description="Names the corpus version that citation offsets point into.")
    documents: int
    chunks: int
    index_build_id: str
    index_built_at: str
    index_format: int
    dense_index: dict[str, int | str] = Field(
        description="The FAISS index searched and its parameters (kind flat, ivf or hnsw; nlist and nprobe for "
        "ivf); `building` names an approximate index being trained in the background while this one serves."
    )
