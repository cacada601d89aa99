"""`rag add`, `rag remove`, `rag documents`: the corpus's documents from the command line.

They write the same store as the API (`index/corpus.sqlite`), through the same `DocumentWriter`; a
running `rag serve` sees them after a restart (writes through the API are seen at once).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated

import typer

from rag.errors import InvalidDocument, RagError
from rag.extract import SUPPORTED_SUFFIXES
from rag.settings import Settings


def collect_files(paths: list[Path]) -> list[Path]:
    """The files named, and every supported file under the folders named (sorted), each once."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        elif path.is_file():
            found.append(path)
        else:
            raise InvalidDocument(f"no such file or folder: {path}")
    return list(dict.fromkeys(found))


def register(app: typer.Typer, domain_errors: Callable[[], AbstractContextManager[None]]) -> None:
    @app.command("add")
    def add_command(
        ctx: typer.Context,
        paths: Annotated[list[Path], typer.Argument(help="Files or folders (.txt .md .html .pdf .docx).")],
        title: Annotated[str | None, typer.Option(help="Title (only with one file).")] = None,
        doc_id: Annotated[str | None, typer.Option("--id", help="Document id (only with one file).")] = None,
        replace: Annotated[bool, typer.Option("--replace", help="Replace a document of the same id.")] = False,
        batch: Annotated[int, typer.Option(min=1, max=10_000, help="Files cut, embedded and committed together.")] = 32,
    ) -> None:
        """Add documents to the corpus: only they are embedded, a batch of files per transaction. An
        interrupted run is resumed by running it again: what was committed is not read or embedded again."""
        from tqdm import tqdm

        from rag.bulk_add import BulkAdder, Outcome
        from rag.embedding import Embedder
        from rag.index_sync import sync_index

        settings: Settings = ctx.obj
        with domain_errors():
            files = collect_files(paths)
            if not files:
                raise InvalidDocument(f"no {'/'.join(SUPPORTED_SUFFIXES)} files in {', '.join(map(str, paths))}")
            if (title or doc_id) and len(files) > 1:
                raise InvalidDocument("--title and --id name one document; give one file")
            embedder = Embedder(settings.model_path, settings.embed_batch_size)
            sync_index(settings, embedder)  # the store exists and is current before anything is added
            adder = BulkAdder(settings, embedder, batch=batch)
            with tqdm(total=len(files), desc="Adding", unit="file", disable=not sys.stderr.isatty()) as bar:

                def report(path: Path, outcome: Outcome) -> None:
                    bar.update(1)
                    bar.set_postfix_str(f"{adder.stats.texts_embedded / max(adder.stats.seconds, 1e-9):.0f} texts/s")
                    if isinstance(outcome, RagError):
                        tqdm.write(f"error: {path}: {outcome}", file=sys.stderr)
                    else:
                        tqdm.write(f"{outcome.status} {outcome.doc_id} ({path})")

                try:
                    stats = adder.add(files, report, title=title, doc_id=doc_id, replace=replace)
                except KeyboardInterrupt:
                    typer.echo(f"interrupted: {adder.stats.summary()}; run the same command to resume", err=True)
                    raise typer.Exit(130) from None
            typer.echo(stats.summary(), err=True)
            if stats.failed:
                raise typer.Exit(2 if stats.failed == len(files) else 1)

    @app.command("remove")
    def remove_command(
        ctx: typer.Context, doc_ids: Annotated[list[str], typer.Argument(help="Ids of the documents to remove.")]
    ) -> None:
        """Remove documents from the corpus (a seed stays removed)."""
        from rag.document_writes import DocumentWriter
        from rag.embedding import Embedder

        settings: Settings = ctx.obj
        with domain_errors():
            writer = DocumentWriter(settings, Embedder(settings.model_path, settings.embed_batch_size))
            for doc_id in doc_ids:
                writer.remove(doc_id)
                typer.echo(f"removed {doc_id}")

    @app.command("documents")
    def documents_command(
        ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
    ) -> None:
        """List the corpus's documents: id, origin, type, length, title."""
        from rag.store import CorpusStore

        settings: Settings = ctx.obj
        with domain_errors(), CorpusStore(settings.index_dir, create=False) as store:
            rows = store.document_rows()
            meta = store.meta()
        if as_json:
            keys = ("doc_id", "title", "origin", "media_type", "file_name", "sha256", "added_at")
            docs = [{**{k: getattr(r, k) for k in keys}, "length": len(r.text)} for r in rows]
            typer.echo(json.dumps({"corpus_hash": meta.get("corpus_hash"), "documents": docs}, indent=2))
            return
        for r in rows:
            typer.echo(f"{r.doc_id}\t{r.origin}\t{r.media_type}\t{len(r.text)}\t{r.title}")
        typer.echo(f"{len(rows)} documents, corpus {str(meta.get('corpus_hash'))[:12]}", err=True)
