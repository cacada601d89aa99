"""Keeping the store in step with the seeds folder and the settings, and writing prepared documents to it.

Synchronising (`sync_index`) adds the seed documents that are new or changed, removes those whose file is
gone, and, when the chunking settings, the index format or the model changed (the `fingerprint`), cuts
every stored document again from its stored text. Only texts never embedded before are embedded, and they
are committed to the store's vector cache as they are embedded (`embed_checkpointed`). Uploaded documents
are never touched by the seeds folder. `rag.index_store` loads what this writes.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.corpus import Document, load_corpus
from rag.embedding import Embedder
from rag.errors import IndexStoreError
from rag.extract import PageSpan
from rag.ingest import (
    Encode,
    PreparedDocument,
    embed_texts,
    embedding_namespace,
    installed_versions,
    make_document,
    missing_texts,
    model_description,
    prepare_document,
    to_write,
    vector_key,
)
from rag.settings import Settings
from rag.store import CorpusStore, MissingVectors

logger = logging.getLogger(__name__)

# Bump when cleaning, sentence splitting, chunking or the indexed text changes: every document is cut again.
INDEX_FORMAT = 2
_CHUNKING_LIBRARIES = ("pysbd", "bm25s", "PyStemmer")
CHECKPOINT_TEXTS = 512  # vectors committed to the cache at a time while a write embeds (about 0.8 MB)


def fingerprint(settings: Settings, embedder: Embedder) -> dict:
    """What the stored sentences, chunks and vectors depend on; a change cuts every document again."""
    return {
        "format": INDEX_FORMAT,
        "settings": settings.index_fingerprint(),
        "libraries": installed_versions(_CHUNKING_LIBRARIES),
        "model": model_description(settings, embedder),
    }


def require_writable(index_dir: Path) -> None:
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        probe = index_dir / f".write-test-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except PermissionError as exc:
        raise IndexStoreError(f"cannot write the index folder {index_dir}: permission denied") from exc
    except OSError as exc:
        raise IndexStoreError(f"cannot write the index folder {index_dir}: {exc.strerror or exc}") from exc


@dataclass(slots=True)
class SyncReport:
    reasons: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    embedded: int = 0


def plan_sync(
    store: CorpusStore, settings: Settings, embedder: Embedder, force: bool
) -> tuple[list[Document | str], list[str], list[str]]:
    """(seed documents or stored ids to cut again, ids to remove, reasons): what brings the store in step with
    the seeds folder and the settings."""
    seeds = load_corpus(settings.seeds_dir)
    stored = store.document_ids()
    dismissed = store.dismissed_seeds()
    expected = fingerprint(settings, embedder)
    recorded = store.meta().get("fingerprint")
    reasons: list[str] = []
    if force:
        reasons.append("rebuild requested")
    elif not stored:
        reasons.append("no index has been built yet")
    elif recorded != expected:
        changed = [k for k in expected if not isinstance(recorded, dict) or recorded.get(k) != expected[k]]
        reasons.append(f"{', '.join(changed)} changed: every document is cut again")
    recut = bool(reasons) and bool(stored)
    seed_ids = {d.doc_id for d in seeds}
    todo: list[Document | str] = []
    for doc in seeds:
        if doc.doc_id in dismissed:
            continue
        if doc.doc_id not in stored:
            reasons.append(f"document added: {doc.doc_id}")
            todo.append(doc)
        elif stored[doc.doc_id][1] == "seed" and (stored[doc.doc_id][0] != doc.sha256 or recut):
            if stored[doc.doc_id][0] != doc.sha256:
                reasons.append(f"document changed: {doc.doc_id}")
            todo.append(doc)
    removals = [d for d, (_, origin) in stored.items() if origin == "seed" and d not in seed_ids]
    reasons += [f"document removed: {d}" for d in removals]
    if recut:
        todo += [d for d, (_, origin) in stored.items() if origin != "seed"]
    return todo, removals, reasons


def _prepare_stored(store: CorpusStore, doc_id: str, settings: Settings) -> PreparedDocument:
    row = store.document_rows([doc_id])[0]
    original, _, _ = store.original(doc_id) or (b"", "", "")
    document = make_document(doc_id, row.text, row.file_name, row.title if row.title_given else None)
    return prepare_document(
        document,
        settings,
        origin=row.origin,
        media_type=row.media_type,
        original=original,
        title_given=row.title_given,
        pages=[PageSpan(*p) for p in row.pages],
    )


def write_prepared(
    store: CorpusStore,
    prepared: list[PreparedDocument],
    settings: Settings,
    embedder: Embedder,
    removals: Sequence[str] = (),
    dismiss: Sequence[str] = (),
    progress: bool = False,
) -> tuple[dict, int]:
    """Embed what is not cached, then write everything in one transaction. Returns (meta, texts embedded)."""
    from tqdm import tqdm

    model = fingerprint(settings, embedder)
    namespace = embedding_namespace(model["model"])
    embedded = 0
    for _attempt in range(3):
        texts = missing_texts(prepared, store, namespace)
        with tqdm(total=len(texts), desc="Embedding", unit="text", disable=not progress or not texts) as bar:
            fresh = embed_checkpointed(texts, lambda t: embedder.encode(t, progress=bar.update), store, namespace)
        embedded += len(texts)
        try:
            meta = store.apply(
                [to_write(p, namespace, fresh) for p in prepared],
                removals,
                dismiss,
                meta={"fingerprint": model, "dimension": _dimension(fresh, store)},
            )
            return meta, embedded
        except MissingVectors:
            logger.info("cached vectors were removed by a concurrent write; embedding them again")
    raise IndexStoreError("the corpus changed under this write three times; try again")


def embed_checkpointed(
    texts: list[str], encode: Encode, store: CorpusStore, namespace: str, part: int | None = None
) -> dict[str, np.ndarray]:
    """Embed `texts` shortest first (batches of similar length pad less), committing each `part` of vectors
    to the store's cache as soon as it is embedded, so an interruption loses at most one part."""
    fresh: dict[str, np.ndarray] = {}
    ordered = sorted(texts, key=len)
    part = part or CHECKPOINT_TEXTS
    for i in range(0, len(ordered), part):
        vectors = embed_texts(ordered[i : i + part], encode)
        store.cache_vectors({vector_key(namespace, t): v for t, v in vectors.items()})
        fresh.update(vectors)
    return fresh


def _dimension(fresh: dict[str, np.ndarray], store: CorpusStore) -> int | None:
    for vector in fresh.values():
        return int(vector.shape[0])
    return store.meta().get("dimension")  # type: ignore[return-value]


def sync_index(settings: Settings, embedder: Embedder, progress: bool = False, force: bool = False) -> SyncReport:
    """Bring the store in step with the seeds folder and the settings (see the module's docstring)."""
    from filelock import FileLock

    index_dir = settings.index_dir
    require_writable(index_dir)
    report = SyncReport()
    with FileLock(str(index_dir / ".lock"), timeout=600), CorpusStore(index_dir) as store:
        _remove_old_layout(index_dir)
        todo, removals, reasons = plan_sync(store, settings, embedder, force)
        report.reasons = reasons
        if not todo and not removals:
            return report
        logger.info("updating the index: %s", "; ".join(reasons))
        prepared = [
            prepare_document(t, settings, origin="seed", media_type=_seed_type(t), original=t.text.encode("utf-8"))
            if isinstance(t, Document)
            else _prepare_stored(store, t, settings)
            for t in todo
        ]
        _, report.embedded = write_prepared(store, prepared, settings, embedder, removals, progress=progress)
        report.written = [p.document.doc_id for p in prepared]
        report.removed = removals
    return report


def _seed_type(doc: Document) -> str:
    return "text/markdown" if doc.path.suffix.lower() == ".md" else "text/plain"


def _remove_old_layout(index_dir: Path) -> None:
    """The JSON index of earlier versions (builds/, current): replaced by corpus.sqlite."""
    if (index_dir / "builds").is_dir():
        shutil.rmtree(index_dir / "builds", ignore_errors=True)
    if (index_dir / "current").is_symlink():
        (index_dir / "current").unlink()
