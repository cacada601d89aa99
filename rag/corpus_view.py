"""The in-memory view of the store that retrieval and answering read: one consistent version of the corpus.

A view is made from per-document entries (read from the store once, then reused), so after a write only
the changed documents are read back: the others' sentences, chunks and vectors are shared with the
previous view. Chunk vectors live in a FAISS index keyed by the store's chunk keys, updated by id (a
removal deletes its ids, an addition adds its own) on a copy, so readers of the previous view are never
disturbed; the view maps FAISS ids to chunk positions, as the rest of the code expects. Which FAISS index
(exact or approximate, by the corpus's size) is `rag.dense_index`'s choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.chunking import Chunk, Sentence
from rag.cleaning import Debris, Span, clean_slice
from rag.corpus import Document
from rag.dense_index import ChunkVectors, DenseIndexSpec
from rag.errors import IndexDamaged
from rag.extract import PageSpan
from rag.sentence_vectors import SentenceVectors, VectorCache
from rag.store import ChunkRow, CorpusStore, DocumentRow


@dataclass(frozen=True, slots=True)
class DocumentEntry:
    """A stored document with its sentences, chunks (positions local to the document) and vectors."""

    document: Document
    row: DocumentRow
    sentences: list[Sentence]
    chunk_rows: list[ChunkRow]
    chunk_texts: list[str]
    sentence_keys: list[str]  # the store's keys of each sentence's vectors, alone and in its context
    context_keys: list[str]
    chunk_vectors: np.ndarray

    @property
    def pages(self) -> list[PageSpan]:
        return [PageSpan(*p) for p in self.row.pages]


def document_of(row: DocumentRow) -> Document:
    return Document(
        doc_id=row.doc_id,
        path=Path(row.file_name),
        text=row.text,
        sha256=row.sha256,
        title=row.title,
        date=row.date,
        publisher=row.publisher,
        author=row.author,
        debris=[Debris(k, a, b) for k, a, b in row.debris],
        blocks=[Span(a, b) for a, b in row.blocks],
    )


def read_entries(store: CorpusStore, doc_ids: list[str] | None = None) -> dict[str, DocumentEntry]:
    """Entries of those documents (default: all), read in the caller's transaction."""
    entries: dict[str, DocumentEntry] = {}
    for row in store.document_rows(doc_ids):
        doc = document_of(row)
        srows = store.sentence_rows(row.doc_id)
        crows = store.chunk_rows(row.doc_id)
        sentence_keys = [s.vector_key for s in srows] + [s.context_key for s in srows]
        vectors = store.vectors([c.vector_key for c in crows])  # sentence vectors are read when needed
        present = store.vector_keys_present(sentence_keys) | set(vectors)
        missing = [k for k in sentence_keys + [c.vector_key for c in crows] if k not in present]
        if missing:
            raise IndexDamaged(f"{len(missing)} vectors of {row.doc_id} are missing from {store.path}")
        text = doc.text
        sentences = [Sentence(doc.doc_id, s.start, s.end, text[s.start : s.end], s.block, s.quotable) for s in srows]
        entries[row.doc_id] = DocumentEntry(
            document=doc,
            row=row,
            sentences=sentences,
            chunk_rows=crows,
            chunk_texts=[clean_slice(text, c.start, c.end, doc.debris) for c in crows],
            sentence_keys=[s.vector_key for s in srows],
            context_keys=[s.context_key for s in srows],
            chunk_vectors=_stack([vectors[c.vector_key] for c in crows]),
        )
    return entries


def _stack(rows: list[np.ndarray]) -> np.ndarray:
    return np.ascontiguousarray(np.vstack(rows), dtype=np.float32) if rows else np.zeros((0, 0), np.float32)


@dataclass(frozen=True, slots=True)
class ViewParts:
    """Everything of a view but its manifest and path."""

    documents: dict[str, Document]
    sentences: list[Sentence]
    chunks: list[Chunk]
    sentence_vectors: SentenceVectors
    context_vectors: SentenceVectors
    faiss_index: ChunkVectors
    bm25: object


def assemble(
    entries: dict[str, DocumentEntry],
    store_file: Path,
    previous: ChunkVectors | None = None,
    spec: DenseIndexSpec | None = None,
    cache: VectorCache | None = None,
) -> ViewParts:
    """Number sentences and chunks across documents (sorted by id) and build the two rankers over them
    (the dense index as `spec` chooses it for the corpus's size, see `rag.dense_index`)."""
    import bm25s

    sentences: list[Sentence] = []
    chunks: list[Chunk] = []
    tokens: list[list[str]] = []
    keys: list[int] = []
    for doc_id in sorted(entries):
        entry = entries[doc_id]
        first = len(sentences)
        for row, text in zip(entry.chunk_rows, entry.chunk_texts, strict=True):
            ids = tuple(range(first + row.first_sentence, first + row.last_sentence + 1))
            chunks.append(Chunk(len(chunks), doc_id, row.start, row.end, text, ids))
            tokens.append(row.tokens)
            keys.append(row.chunk_key)
        sentences += entry.sentences
    ordered = [entries[d] for d in sorted(entries)]
    chunk_vectors = np.vstack([e.chunk_vectors for e in ordered]).astype(np.float32, copy=False)
    dimension = int(chunk_vectors.shape[1])
    cache = cache if cache is not None else VectorCache()  # one per store, shared by its views
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    return ViewParts(
        documents={d: entries[d].document for d in sorted(entries)},
        sentences=sentences,
        chunks=chunks,
        sentence_vectors=SentenceVectors(store_file, [k for e in ordered for k in e.sentence_keys], dimension, cache),
        context_vectors=SentenceVectors(store_file, [k for e in ordered for k in e.context_keys], dimension, cache),
        faiss_index=ChunkVectors.build(
            np.array(keys, dtype=np.int64), np.ascontiguousarray(chunk_vectors), previous, spec
        ),
        bm25=bm25,
    )
