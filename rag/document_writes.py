"""Add, replace and remove documents: embed only the document written, commit durably, then (for a
running service) make the next consistent view of the corpus from the previous one.

Writes in one process are serialised by a lock, and the transactions of two processes by SQLite's write
lock. The id and content checks run before the transaction: two processes adding the same new id at the
same moment end with the later one's content rather than a conflict.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rag.dense_index import DenseIndexSpec
from rag.embedding import Embedder
from rag.errors import DocumentConflict, DocumentNotFound, RagError
from rag.index_store import CorpusIndex, load_index
from rag.index_sync import require_writable, write_prepared
from rag.ingest import PreparedDocument
from rag.settings import Settings
from rag.store import CorpusStore

logger = logging.getLogger(__name__)

Status = Literal["created", "replaced", "unchanged", "removed"]


@dataclass(frozen=True, slots=True)
class WriteResult:
    status: Status
    doc_id: str
    index: CorpusIndex | None  # the view published after the write (None when nothing is published)

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"


class _Encoder:
    """Stands in for the embedder inside `write_prepared`, encoding with the given function."""

    def __init__(self, embedder: Embedder, encode: Callable[[list[str]], np.ndarray]) -> None:
        self.model_path = embedder.model_path
        self._encode = encode

    def encode(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        vectors = self._encode(texts)
        if progress:
            progress(len(texts))
        return vectors


class DocumentWriter:
    """The one way documents are written. `encode` (default: the embedder's) lets a service run each
    batch on its model thread, so questions are answered between the batches of a long document."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        encode: Callable[[list[str]], np.ndarray] | None = None,
        view: Callable[[], CorpusIndex | None] | None = None,
        publish: Callable[[CorpusIndex], None] | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.encoder = embedder if encode is None else _Encoder(embedder, encode)
        # A service gives the view it serves and how to swap in the next one; both happen under the lock,
        # so views are published in the order of the writes.
        self.view = view
        self.publish = publish
        self._lock = threading.Lock()

    def add(
        self,
        prepared: PreparedDocument,
        *,
        explicit_id: bool,
        replace: bool = False,
        progress: bool = False,
    ) -> WriteResult:
        """Store `prepared`. The same content again is `unchanged`; an id taken by other content is a
        DocumentConflict unless `replace` (PUT)."""
        outcome = self.add_many([prepared], explicit_id=explicit_id, replace=replace, progress=progress)[0]
        if isinstance(outcome, RagError):
            raise outcome
        return outcome

    def add_many(
        self,
        prepared: Sequence[PreparedDocument],
        *,
        explicit_id: bool,
        replace: bool = False,
        progress: bool = False,
    ) -> list[WriteResult | RagError]:
        """Store several documents in one transaction (one embedding pass, one commit): for each, its result
        or the error that kept it out (the others are written all the same). One view is published after."""
        outcomes: list[WriteResult | RagError] = []
        with self._lock:
            require_writable(self.settings.index_dir)
            with CorpusStore(self.settings.index_dir) as store:
                stored = store.document_ids()
                todo: dict[str, PreparedDocument] = {}
                pending: list[tuple[int, PreparedDocument, bool]] = []
                for p in prepared:
                    try:
                        outcome = self._check(store, stored, todo, p, explicit_id, replace)
                    except RagError as exc:
                        outcomes.append(exc)
                        continue
                    outcomes.append(outcome or WriteResult("created", p.document.doc_id, None))
                    if outcome is None:
                        todo[p.document.doc_id] = p
                        pending.append((len(outcomes) - 1, p, p.document.doc_id in stored))
                if todo:
                    write_prepared(store, list(todo.values()), self.settings, self.encoder, progress=progress)  # type: ignore[arg-type]
            if not todo:
                return outcomes
            index = self._next_view()
            for position, p, existed in pending:
                doc = p.document
                status: Status = "replaced" if existed else "created"
                logger.info("%s document %s (%d characters)", status, doc.doc_id, doc.length)
                outcomes[position] = WriteResult(status, doc.doc_id, index)
            return outcomes

    def _check(
        self,
        store: CorpusStore,
        stored: dict[str, tuple[str, str]],
        todo: dict[str, PreparedDocument],
        prepared: PreparedDocument,
        explicit_id: bool,
        replace: bool,
    ) -> WriteResult | None:
        """`unchanged` when the store (or this batch) already has it, None when it is to be written; raises
        DocumentConflict for an id taken by other content without `replace`."""
        doc = prepared.document
        earlier = todo.get(doc.doc_id)
        if earlier is not None:
            if earlier.document.sha256 == doc.sha256:
                return WriteResult("unchanged", doc.doc_id, None)
            raise DocumentConflict(f"document {doc.doc_id!r} is given twice with different content")
        existing = stored.get(doc.doc_id)
        if existing is not None and existing[0] == doc.sha256 and not self._title_changed(store, prepared):
            return WriteResult("unchanged", doc.doc_id, None)
        if not explicit_id and existing is None:
            same = store.doc_with_sha(doc.sha256) or next(
                (d for d, p in todo.items() if p.document.sha256 == doc.sha256), None
            )
            if same is not None:
                return WriteResult("unchanged", same, None)
        if existing is not None and not replace:
            raise DocumentConflict(
                f"document {doc.doc_id!r} already exists with other content; "
                f"replace it with PUT /documents/{doc.doc_id} (rag add --replace)"
            )
        return None

    def remove(self, doc_id: str) -> WriteResult:
        with self._lock:
            require_writable(self.settings.index_dir)
            with CorpusStore(self.settings.index_dir) as store:
                stored = store.document_ids()
                if doc_id not in stored:
                    raise DocumentNotFound(f"no document with id {doc_id!r}")
                if len(stored) == 1:
                    raise DocumentConflict(f"{doc_id!r} is the last document; add another before removing it")
                seed = stored[doc_id][1] == "seed"
                store.apply(removals=[doc_id], dismiss=[doc_id] if seed else [])
            logger.info("removed document %s", doc_id)
            return WriteResult("removed", doc_id, self._next_view())

    def _title_changed(self, store: CorpusStore, prepared: PreparedDocument) -> bool:
        if not prepared.title_given:
            return False
        row = store.document_rows([prepared.document.doc_id])[0]
        return row.title != prepared.document.title

    def refresh(self) -> CorpusIndex | None:
        """Publish the store's current version if it is not the one served (another process wrote to it)."""
        with self._lock:
            current = self.view() if self.view else None
            if current is not None:
                with CorpusStore(self.settings.index_dir, create=False) as store:
                    if store.generation() == current.generation:
                        return None
            return self._next_view()

    def _next_view(self) -> CorpusIndex | None:
        """The view after this write, made from the one served (only changed documents are read), published."""
        if self.publish is None:
            return None
        current = self.view() if self.view else None
        index = load_index(self.settings.index_dir, previous=current, dense=DenseIndexSpec.from_settings(self.settings))
        self.publish(index)
        return index
