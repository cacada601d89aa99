"""The service's tools for agents, through the official Model Context Protocol SDK (`mcp`).

Four tools, with input schemas from their typed signatures (limits from the settings) and structured
results (pydantic models, so each tool also declares an output schema):

- `ask`: an answer of verbatim quotes with numbered citations (the answer contract of `POST /ask`);
- `search`: ranked passages with their scores (`GET /search`);
- `get_passage`: a cited span of a document with the text around it (`/documents/{id}/passage`);
- `verify_quote`: where a quote occurs in the documents, or the closest passage (`POST /verify`).

Bad arguments (a blank question, `k` out of range, an unknown document, `start >= end`) come back as a
tool error (`isError` with the reason), never as a crash. `rag mcp` serves them over stdio; the HTTP app
mounts them as streamable HTTP at `/mcp` (api/app.py), where they run on the server's model threads.
"""

# No `from __future__ import annotations`: the SDK reads each tool's input schema from its annotations,
# which name types (with limits from the settings) defined inside `build_mcp_server`.

import functools
from collections.abc import Callable
from importlib.metadata import version
from typing import Annotated, Any, Protocol, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from rag import verify as verification
from rag.answering import Answer
from rag.chat import Turn
from rag.corpus import find_document
from rag.errors import RagError
from rag.search_hits import SearchHit, search_hit
from rag.service import QAComponents
from rag.settings import Settings
from rag.verify import MAX_CONTEXT_CHARS, MAX_QUOTE_CHARS, QuoteVerification, SpanInContext, span_in_context

T = TypeVar("T")

INSTRUCTIONS = """\
Answers questions about this service's documents (its users' own, or the five NATO-and-space example
documents) only with verbatim quotes. Every citation names a
document (doc_id) and character offsets (start, end) of the quote in the original text; `get_passage` shows
a cited span in place and `verify_quote` checks a quote attributed to the documents. An answer with
`abstained: true` means the documents do not answer the question; its `abstention_reason` says why
(`off_topic`: nothing close to it; `no_referent`: it says "it" or "that" with nothing before it to name
it; `other_subject`: the closest passages state the kind of value asked for, but of something other than
what the question names; `kind_not_stated`: the closest passages do not state the kind of thing
asked for; `not_confident`: no passage is judged likely enough). `read_as` shows the question as read when
an acronym the documents never use was spelled out."""


class SearchResults(BaseModel):
    query: str
    k: int
    passages: list[SearchHit]


class ToolBackend(Protocol):
    """Where the tools get the loaded components and run the calls that use the model."""

    def components(self) -> QAComponents:
        """The loaded components; a RagError (or any exception) saying why there are none yet."""
        ...

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` off the event loop."""
        ...


class LoadedBackend:
    """Components loaded up front (as `rag mcp` does), calls run in anyio's worker threads."""

    def __init__(self, components: QAComponents) -> None:
        self._components = components

    def components(self) -> QAComponents:
        return self._components

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


def build_mcp_server(settings: Settings, backend: ToolBackend) -> MCPServer:
    """An MCPServer with the four tools, their limits taken from `settings`."""
    server = MCPServer("nato-space-rag", instructions=INSTRUCTIONS, version=version("nato-space-rag"))

    def components() -> QAComponents:
        try:
            return backend.components()
        except Exception as exc:  # not loaded yet, or loading failed: the agent may retry
            raise ToolError(f"the service is not ready: {exc}") from exc

    Question = Annotated[
        str,
        Field(
            min_length=1,
            max_length=settings.max_question_chars,
            description="The question, in plain words; it must contain a letter or digit.",
        ),
    ]

    @server.tool(title="Answer with cited quotes")
    async def ask(
        question: Question,
        history: Annotated[
            list[Turn] | None,
            Field(
                max_length=settings.max_history_turns,
                description="Earlier turns of the chat (user and assistant), oldest first, so that a follow-up "
                "such as 'When was it established?' takes its subject from them.",
            ),
        ] = None,
        top_k: Annotated[
            int | None, Field(ge=1, le=settings.max_k, description="Passages to read for the answer.")
        ] = None,
    ) -> Answer:
        """Answer a question about the documents only with verbatim quotes, each with a numbered citation
        (doc_id, start and end offsets into the original text, the quote); or abstain when the documents do
        not answer it. `conflicts` lists citations that disagree."""
        parts = components()
        return await _domain(backend.run(parts.answerer.answer, question, top_k=top_k, history=history))

    @server.tool(title="Search passages")
    async def search(
        query: Question,
        k: Annotated[int, Field(ge=1, le=settings.max_k, description="Number of passages.")] = settings.default_k,
    ) -> SearchResults:
        """The k passages that best match the query (dense and BM25 rankings fused), best first, with their
        offsets in the original document and their scores."""
        parts = components()
        passages = await _domain(backend.run(parts.retriever.search, query, k=k))
        return SearchResults(query=query, k=k, passages=[search_hit(p, parts.index) for p in passages])

    @server.tool(title="Read a cited passage")
    def get_passage(
        doc_id: Annotated[str, Field(min_length=1, description="Document id, as citations give it.")],
        start: Annotated[int, Field(ge=0, description="Start offset of the span.")],
        end: Annotated[int, Field(ge=1, description="End offset (exclusive); after start.")],
        context: Annotated[
            int, Field(ge=0, le=MAX_CONTEXT_CHARS, description="Characters of context on each side.")
        ] = 200,
    ) -> SpanInContext:
        """The exact span text[start:end] of a document (what a citation quotes) with up to `context`
        characters before and after it."""
        parts = components()
        try:
            return span_in_context(find_document(list(parts.index.documents.values()), doc_id), start, end, context)
        except (RagError, ValueError) as exc:
            raise ToolError(str(exc)) from exc

    @server.tool(title="Verify a quote")
    def verify_quote(
        quote: Annotated[
            str, Field(min_length=1, max_length=MAX_QUOTE_CHARS, description="The quote to look for, verbatim.")
        ],
        doc_id: Annotated[str | None, Field(description="Only look in this document.")] = None,
    ) -> QuoteVerification:
        """Whether a quote attributed to the documents occurs in them: `exact` with every place it occurs
        (typographic quotes, dashes and whitespace differences tolerated), otherwise the closest passage with
        a 0-100 score (`close` from 90, else `not_found`)."""
        parts = components()
        try:
            documents = list(parts.index.documents.values())
            if doc_id is not None:
                documents = [find_document(documents, doc_id)]
            return verification.verify_quote(quote, documents)
        except (RagError, ValueError) as exc:
            raise ToolError(str(exc)) from exc

    return server


async def _domain(call: Any) -> Any:
    """Await `call`, turning the library's errors (a blank question, a bad history) into tool errors."""
    try:
        return await call
    except (RagError, ValueError) as exc:
        raise ToolError(str(exc)) from exc
