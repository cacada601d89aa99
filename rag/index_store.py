"""The index: the SQLite store (`rag.store`) kept in step with the seeds folder and the settings, and the
in-memory view of it (`CorpusIndex`) that retrieval and answering read.

Layout of the index folder (see index/README.md):

    index/corpus.sqlite   documents, sentences, chunks, cached embeddings and the manifest (WAL mode)
    index/.lock           serialises start-up synchronisations of two processes

Opening the index synchronises it: seed documents (from the seeds folder, the example corpus) that are new
or changed are added, those whose file is gone are removed, and when the chunking settings, the index
format or the model changed every stored document is cut again from its stored text; only texts never
embedded before are embedded. Uploaded documents are never touched by the seeds folder. The synchronising
and writing are in `rag.index_sync`; this module loads the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rag.chunking import Chunk, Sentence
from rag.corpus import Document, corpus_hash
from rag.corpus_view import DocumentEntry, assemble, read_entries
from rag.dense_index import DenseIndexSpec
from rag.embedding import Embedder
from rag.errors import IndexStoreError
from rag.index_sync import sync_index
from rag.sentence_vectors import SentenceVectors
from rag.settings import Settings
from rag.store import CorpusStore, store_path


@dataclass(frozen=True, slots=True)
class CorpusIndex:
    """One consistent version of the corpus, loaded: documents, sentences and chunks (ids are positions in
    these lists), their vectors, and the two rankers."""

    path: Path
    manifest: dict
    documents: dict[str, Document]
    sentences: list[Sentence]
    chunks: list[Chunk]
    sentence_vectors: SentenceVectors  # row i: sentence i's vector alone, read from the store when needed
    context_vectors: SentenceVectors  # row i: sentence i embedded with its neighbours
    faiss_index: object
    bm25: object
    entries: dict[str, DocumentEntry] = field(default_factory=dict)

    def chunk_count(self, doc_id: str) -> int:
        entry = self.entries.get(doc_id)
        if entry is not None:
            return len(entry.chunk_rows)
        return sum(1 for c in self.chunks if c.doc_id == doc_id)

    @property
    def generation(self) -> int:
        return int(self.manifest.get("generation", 0))


# --- load --------------------------------------------------------------------------------------------


def load_index(
    index_dir: Path, previous: CorpusIndex | None = None, dense: DenseIndexSpec | None = None
) -> CorpusIndex:
    """The store's current version as a view. With `previous` (an earlier view of the same store), the
    documents it holds in the same version are reused and only the others are read. `dense` (default: the
    settings' defaults) chooses the dense index for the corpus's size."""
    if not store_path(index_dir).is_file():
        raise IndexStoreError(f"no index in {index_dir}; run `rag index`")
    with CorpusStore(index_dir, create=False) as store, store.reading():
        meta = store.meta()
        versions = store.document_versions()
        kept = {
            d: e
            for d, e in (previous.entries.items() if previous is not None else ())
            if e.chunk_rows and versions.get(d) == e.chunk_rows[0].chunk_key
        }
        entries = {**kept, **read_entries(store, sorted(set(versions) - set(kept)))}
    if not entries:
        raise IndexStoreError(f"the corpus in {index_dir} has no documents; add one with `rag add`")
    parts = assemble(
        entries,
        store_path(index_dir),
        previous.faiss_index if previous is not None else None,  # type: ignore[arg-type]
        dense,
        previous.sentence_vectors.cache if previous is not None else None,
    )
    return CorpusIndex(
        path=store_path(index_dir),
        manifest=_manifest(meta, entries, parts.chunks, len(parts.sentences))
        | {"dense_index": parts.faiss_index.description},
        documents=parts.documents,
        sentences=parts.sentences,
        chunks=parts.chunks,
        sentence_vectors=parts.sentence_vectors,
        context_vectors=parts.context_vectors,
        faiss_index=parts.faiss_index,
        bm25=parts.bm25,
        entries=entries,
    )


def _manifest(meta: dict, entries: dict[str, DocumentEntry], chunks: list[Chunk], sentences: int) -> dict:
    fp = meta.get("fingerprint") or {}
    model = fp.get("model") or {}
    generation = int(meta.get("generation", 0))
    documents = [e.document for e in entries.values()]
    return {
        "format": fp.get("format"),
        "settings": fp.get("settings"),
        "libraries": {**fp.get("libraries", {}), **model.get("libraries", {})},
        "documents": {
            d: {
                "file": e.row.file_name,
                "sha256": e.document.sha256,
                "length": e.document.length,
                "chunks": len(e.chunk_rows),
                "origin": e.row.origin,
            }
            for d, e in sorted(entries.items())
        },
        "corpus_hash": corpus_hash(documents),
        "generation": generation,
        "build_id": f"{meta.get('store_id', 'store')}-g{generation:06d}",
        "built_at": meta.get("updated_at"),
        "model": {
            "name": model.get("name"),
            "dimension": meta.get("dimension"),
            "weights_sha256": model.get("weights_sha256"),
        },
        "counts": {"documents": len(entries), "sentences": sentences, "chunks": len(chunks)},
        "embedded_chunk_text": "title + newline + clean chunk text",
    }


def open_index(settings: Settings, embedder: Embedder, progress: bool = False, force: bool = False) -> CorpusIndex:
    """The index for these settings, synchronised with the seeds folder first (see the module's docstring)."""
    sync_index(settings, embedder, progress=progress, force=force)
    return load_index(settings.index_dir, dense=DenseIndexSpec.from_settings(settings))
