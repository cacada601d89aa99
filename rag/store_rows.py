"""The rows of the corpus store (`rag.store`), as typed records."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.errors import IndexStoreError


class MissingVectors(IndexStoreError):
    """A document to insert refers to cached vectors that a concurrent write removed."""

    def __init__(self, message: str, keys: set[str]) -> None:
        super().__init__(message)
        self.keys = keys


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """What the store keeps of a document besides its sentences and chunks."""

    doc_id: str
    origin: str  # "seed" (from the seeds folder) or "upload"
    file_name: str
    media_type: str
    title: str
    title_given: bool
    date: str | None
    publisher: str | None
    author: str | None
    text: str
    sha256: str
    debris: list[tuple[str, int, int]]
    blocks: list[tuple[int, int]]
    pages: list[tuple[int, int, int]]
    original_sha256: str
    added_at: str


@dataclass(frozen=True, slots=True)
class SentenceRow:
    seq: int
    start: int
    end: int
    block: int
    quotable: bool
    vector_key: str
    context_key: str


@dataclass(frozen=True, slots=True)
class ChunkRow:
    seq: int
    start: int
    end: int
    first_sentence: int
    last_sentence: int
    tokens: list[str]
    vector_key: str
    chunk_key: int = -1  # assigned by the store


@dataclass(frozen=True, slots=True)
class DocumentWrite:
    """A document to insert (replacing any with its id), with every vector its rows refer to."""

    row: DocumentRow
    original: bytes
    sentences: list[SentenceRow]
    chunks: list[ChunkRow]
    vectors: dict[str, np.ndarray]
