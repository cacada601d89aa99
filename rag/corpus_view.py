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
from rag.store import ChunkRow, CorpusStore, DocumentRow


@dataclass(frozen=True, slots=True)
class DocumentEntry:
    """A stored document with its sentences, chunks (positions local to the document) and vectors."""

    document: Document
    row: DocumentRow
    sentences: list[Sentence]
    chunk_rows: list[ChunkRow]
    chunk_texts: list[str]
    sentence_vectors: np.ndarray
    context_vectors: np.ndarray
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
        keys = [s.vector_key for s in srows] + [s.context_key for s in srows] + [c.vector_key for c in crows]
        vectors = store.vectors(keys)
        missing = [k for k in keys if k not in vectors]
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
            sentence_vectors=_stack([vectors[s.vector_key] for s in srows]),
            context_vectors=_stack([vectors[s.context_key] for s in srows]),
            chunk_vectors=_stack([vectors[c.vector_key] for c in crows]),
        )
    return entries


def _stack(rows: list[np.ndarray]) -> np.ndarray:
    return np.ascontiguousarray(np.vstack(rows), dtype=np.float32) if rows else np.zeros((0, 0), np.float32)


class StackedRows:
    """The rows of several per-document matrices read as one, by global row number, without copying them:
    a view shares each document's sentence vectors with its entry (and with the next view after a write)
    instead of holding a second, stacked copy of every vector."""

    def __init__(self, parts: list[np.ndarray]) -> None:
        self.parts = [p for p in parts if len(p)]
        self.starts = np.cumsum([0] + [len(p) for p in self.parts])
        self.shape = (int(self.starts[-1]), int(self.parts[0].shape[1]) if self.parts else 0)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, row: int) -> np.ndarray:
        if not -len(self) <= row < len(self):
            raise IndexError(f"row {row} of {len(self)}")
        row %= len(self)
        part = int(np.searchsorted(self.starts, row, side="right")) - 1
        return self.parts[part][row - self.starts[part]]


@dataclass(frozen=True, slots=True)
class ViewParts:
    """Everything of a view but its manifest and path."""

    documents: dict[str, Document]
    sentences: list[Sentence]
    chunks: list[Chunk]
    sentence_vectors: StackedRows
    context_vectors: StackedRows
    faiss_index: ChunkVectors
    bm25: object


def assemble(
    entries: dict[str, DocumentEntry], previous: ChunkVectors | None = None, spec: DenseIndexSpec | None = None
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
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    return ViewParts(
        documents={d: entries[d].document for d in sorted(entries)},
        sentences=sentences,
        chunks=chunks,
        sentence_vectors=StackedRows([e.sentence_vectors for e in ordered]),
        context_vectors=StackedRows([e.context_vectors for e in ordered]),
        faiss_index=ChunkVectors.build(
            np.array(keys, dtype=np.int64), np.ascontiguousarray(chunk_vectors), previous, spec
        ),
        bm25=bm25,
    )
