"""The `rag` command line: `rag index`, `rag search`, `rag ask`, `rag serve`, `rag mcp`; `rag eval` and
`rag judge fit` are in `rag.cli_eval`, the document commands in `rag.cli_documents`.

Typer was picked for the CLI: commands and options come from typed function signatures, with help,
type checking and "No such option" errors for free.
"""

from __future__ import annotations

import json
import logging
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from pydantic import ValidationError

from rag.errors import InvalidDocument, InvalidQuery, RagError
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.index_store import CorpusIndex

app = typer.Typer(
    help="Answer questions about your documents with cited, verbatim quotes (the NATO-and-space seeds are the "
    "example corpus).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Turn the library's errors into `error: ...` on stderr and an exit code (2: bad input, 1: other)."""
    try:
        yield
    except (InvalidQuery, InvalidDocument) as exc:
        _fail(str(exc), code=2)
    except RagError as exc:
        _fail(str(exc), code=1)


@app.callback()
def _options(
    ctx: typer.Context,
    seeds_dir: Annotated[
        Path | None, typer.Option(help="Corpus folder (default: ./seeds, or RAG_SEEDS_DIR).", readable=False)
    ] = None,
    index_dir: Annotated[
        Path | None, typer.Option(help="Index folder (default: ./index, or RAG_INDEX_DIR).", readable=False)
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    overrides = {k: v for k, v in {"seeds_dir": seeds_dir, "index_dir": index_dir}.items() if v is not None}
    try:
        ctx.obj = Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        _fail(f"invalid settings: {problems}", code=2)
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)  # libraries such as bm25s set their own loggers to DEBUG


@app.command("index")
def index_command(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="Cut every document again (cached vectors reused).")] = False,
) -> None:
    """Bring the index up to date with the seeds folder and the settings (uploaded documents are kept)."""
    from rag.embedding import Embedder
    from rag.index_store import load_index
    from rag.index_sync import sync_index

    settings: Settings = ctx.obj
    with _domain_errors():
        started = time.perf_counter()
        embedder = Embedder(settings.model_path, settings.embed_batch_size)
        report = sync_index(settings, embedder, progress=sys.stderr.isatty(), force=force)
        index = load_index(settings.index_dir)
        counts = index.manifest["counts"]
        if not report.written and not report.removed:
            typer.echo(f"Index is up to date ({counts['chunks']} chunks, updated {index.manifest['built_at']}).")
            _export_query_model(settings, index)
            return
        typer.echo("Updated the index: " + "; ".join(report.reasons), err=True)
        typer.echo(
            f"Indexed {counts['documents']} documents, {counts['chunks']} chunks, {counts['sentences']} "
            f"sentences in {time.perf_counter() - started:.1f}s ({report.embedded} texts embedded) -> {index.path}"
        )
        _export_query_model(settings, index)


def _export_query_model(settings: Settings, index: CorpusIndex | None = None) -> None:
    """Index time is export time: make sure the checked ONNX export that embeds questions exists."""
    from rag.index_store import load_index
    from rag.query_embedding import ensure_onnx_export, verification_texts

    if settings.query_encoder != "onnx":
        return

    def texts() -> list[str]:
        return verification_texts(index or load_index(settings.index_dir))

    folder = ensure_onnx_export(settings, texts)
    typer.echo(f"Query model (ONNX, checked against sentence-transformers): {folder}")


@app.command("search")
def search_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int | None, typer.Option("-k", "--k", help="Number of passages (default 5).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ranked passages for a query, with their dense, BM25 and fused scores."""
    from rag.retrieval import validate_question
    from rag.search_hits import search_hit
    from rag.service import load_components

    settings: Settings = ctx.obj
    k = settings.default_k if k is None else k
    with _domain_errors():
        validate_question(query, settings.max_question_chars)  # fail before loading anything
        if not 1 <= k <= settings.max_k:
            raise InvalidQuery(f"k must be from 1 to {settings.max_k}, got {k}")
        parts = load_components(settings, progress=sys.stderr.isatty())
        passages = parts.retriever.search(query, k=k)
        if as_json:
            hits = [search_hit(p, parts.index).model_dump() for p in passages]
            typer.echo(json.dumps(hits, ensure_ascii=False, indent=2))
            return
        for p in passages:
            doc = parts.index.documents[p.doc_id]
            typer.echo(
                f"{p.rank}. {doc.title} [{p.doc_id} {p.chunk.start}-{p.chunk.end}] fused={p.fused_score:.4f} "
                f"dense={p.dense_score:.3f} bm25={p.bm25_score:.2f}"
            )
            typer.echo(textwrap.indent(textwrap.fill(p.chunk.text, 100), "   ") + "\n")


@app.command("ask")
def ask_command(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer contract as JSON.")] = False,
    top_k: Annotated[int | None, typer.Option("--top-k", help="Passages to read for the answer.")] = None,
) -> None:
    """Answer a question with verbatim, cited quotes (or say the documents do not answer it)."""
    from rag.retrieval import validate_question
    from rag.service import load_components

    settings: Settings = ctx.obj
    with _domain_errors():
        validate_question(question, settings.max_question_chars)
        if top_k is not None and not 1 <= top_k <= settings.max_k:
            raise InvalidQuery(f"--top-k must be from 1 to {settings.max_k}, got {top_k}")
        parts = load_components(settings, progress=sys.stderr.isatty())
        answer = parts.answerer.answer(question, top_k=top_k)
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
        return
    if answer.read_as is not None:
        typer.echo(textwrap.fill(f"(Read as: {answer.read_as})", 100))
    typer.echo(textwrap.fill(answer.answer, 100))
    if answer.abstention_reason is not None:
        from rag.citations import ABSTENTION_REASONS

        typer.echo(textwrap.fill(ABSTENTION_REASONS[answer.abstention_reason], 100))
    if answer.citations:
        typer.echo("\nSources:")
        for c in answer.citations:
            typer.echo(f"  [{c.id}] {c.title} ({c.doc_id}, characters {c.start}-{c.end}, score {c.score:.3f})")


@app.command("serve")
def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the HTTP API (docs at /docs). The index loads in the background; /readyz says when it is ready."""
    from rag.corpus import list_document_paths

    settings: Settings = ctx.obj
    with _domain_errors():
        list_document_paths(settings.seeds_dir)  # a missing or empty seeds folder fails now, not in the background
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")  # prints the URL and each request


@app.command("mcp")
def mcp_command(ctx: typer.Context) -> None:
    """Serve the tools ask, search, get_passage and verify_quote to an MCP client over stdio."""
    from rag.mcp_server import LoadedBackend, build_mcp_server
    from rag.service import load_components

    settings: Settings = ctx.obj
    with _domain_errors():
        parts = load_components(settings)  # fail now, with `error: ...`, rather than inside the protocol
    # stdout carries the protocol; logs go to stderr (logging's default stream).
    build_mcp_server(settings, LoadedBackend(parts)).run("stdio")


from rag.cli_documents import register as _register_document_commands  # noqa: E402
from rag.cli_eval import register as _register_eval_commands  # noqa: E402

_register_document_commands(app, _domain_errors)
_register_eval_commands(app, _domain_errors, _fail)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
