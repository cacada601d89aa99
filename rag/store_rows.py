"""The corpus store's tables (`rag.store`): their SQL, and their rows as typed records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from rag.errors import IndexStoreError

SCHEMA_VERSION = 1


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, origin TEXT NOT NULL, file_name TEXT NOT NULL, media_type TEXT NOT NULL,
    title TEXT NOT NULL, title_given INTEGER NOT NULL, date TEXT, publisher TEXT, author TEXT,
    text TEXT NOT NULL, sha256 TEXT NOT NULL, debris TEXT NOT NULL, blocks TEXT NOT NULL, pages TEXT NOT NULL,
    original BLOB NOT NULL, original_sha256 TEXT NOT NULL, added_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_sha256 ON documents (sha256);
CREATE INDEX IF NOT EXISTS documents_original ON documents (original_sha256);
CREATE TABLE IF NOT EXISTS sentences (
    doc_id TEXT NOT NULL REFERENCES documents (doc_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, block INTEGER NOT NULL, quotable INTEGER NOT NULL,
    vector_key TEXT NOT NULL, context_key TEXT NOT NULL, PRIMARY KEY (doc_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chunks (
    chunk_key INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents (doc_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL,
    tokens TEXT NOT NULL, vector_key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_id, seq);
CREATE INDEX IF NOT EXISTS chunks_vector ON chunks (vector_key);
CREATE INDEX IF NOT EXISTS sentences_vector ON sentences (vector_key);
CREATE INDEX IF NOT EXISTS sentences_context ON sentences (context_key);
-- A rowid table: vectors are 1.5 KB, and WITHOUT ROWID tables store rows that large on overflow pages (2x the file).
CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS dismissed_seeds (doc_id TEXT PRIMARY KEY);
"""


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


def document_row(r: tuple) -> DocumentRow:
    values = dict(zip(DocumentRow.__slots__, r, strict=True))
    values["title_given"] = bool(values["title_given"])
    values["debris"] = [tuple(d) for d in json.loads(values["debris"])]
    values["blocks"] = [tuple(b) for b in json.loads(values["blocks"])]
    values["pages"] = [tuple(p) for p in json.loads(values["pages"])]
    return DocumentRow(**values)
