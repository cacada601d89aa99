"""The durable corpus: documents, sentences, chunks, cached embeddings and the manifest in one SQLite file.

SQLite (the standard library's `sqlite3`) in WAL mode with `synchronous=FULL`: a write is one
transaction, committed and fsynced before it returns, so an acknowledged write survives a crash and a
crash before the commit leaves the previous corpus as it was. Readers read in one transaction and so see
one version of the corpus. Embeddings are cached by a hash of the model and the embedded text, so
re-chunking or re-adding a document re-embeds only texts never embedded before.

    documents  one row per document: metadata, canonical text, debris and blocks, PDF pages, the original file
    sentences  (doc_id, seq) -> offsets, block, quotable, keys of its vectors (alone and in its context)
    chunks     chunk_key (the FAISS id; never reused) -> doc_id, seq, offsets, sentences, tokens, vector key
    embeddings key -> float32 vector
    dismissed_seeds  seed documents removed on purpose, which the seeds folder must not bring back
    meta       format, fingerprint, generation, corpus_hash, updated_at (JSON values)
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from rag.corpus import corpus_hash_of
from rag.errors import IndexDamaged, IndexStoreError
from rag.store_rows import (
    SCHEMA,
    SCHEMA_VERSION,
    ChunkRow,
    DocumentRow,
    DocumentWrite,
    MissingVectors,
    SentenceRow,
    document_row,
    now_iso,
)

__all__ = ["ChunkRow", "CorpusStore", "DocumentRow", "DocumentWrite", "MissingVectors", "SentenceRow", "now_iso"]

logger = logging.getLogger(__name__)

STORE_FILE = "corpus.sqlite"


def store_path(index_dir: Path) -> Path:
    return index_dir / STORE_FILE


class CorpusStore:
    """One connection to the store file. Not shared between threads: open one per thread or per write."""

    def __init__(self, index_dir: Path, create: bool = True) -> None:
        self.path = store_path(index_dir)
        if not create and not self.path.is_file():
            raise IndexStoreError(f"no corpus in {index_dir}; run `rag index`")
        try:
            index_dir.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=60, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")  # fsync the WAL at every commit
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.executescript(SCHEMA)
        except PermissionError as exc:
            raise IndexStoreError(f"cannot write the index folder {index_dir}: permission denied") from exc
        except sqlite3.DatabaseError as exc:
            if "readonly" in str(exc) or "unable to open" in str(exc):
                raise IndexStoreError(f"cannot write the index folder {index_dir}: {exc}") from exc
            raise IndexDamaged(f"the corpus store {self.path} is damaged ({exc})") from exc
        except OSError as exc:
            raise IndexStoreError(f"cannot write the index folder {index_dir}: {exc.strerror or exc}") from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> CorpusStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every query inside sees the same version of the corpus."""
        self.conn.execute("BEGIN")
        try:
            yield self.conn
        finally:
            self.conn.execute("COMMIT")

    # --- reads -------------------------------------------------------------------------------------

    def meta(self) -> dict[str, object]:
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}

    def document_rows(self, doc_ids: Sequence[str] | None = None) -> list[DocumentRow]:
        columns = ", ".join(f for f in DocumentRow.__slots__)
        query = f"SELECT {columns} FROM documents"
        if doc_ids is not None:
            query += f" WHERE doc_id IN ({','.join('?' * len(doc_ids))})"
        rows = self.conn.execute(query + " ORDER BY doc_id", tuple(doc_ids or ())).fetchall()
        return [document_row(r) for r in rows]

    def document_ids(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (sha256, origin) of every document."""
        return {d: (s, o) for d, s, o in self.conn.execute("SELECT doc_id, sha256, origin FROM documents")}

    def document_versions(self) -> dict[str, int]:
        """doc_id -> the first chunk key of its rows: chunk keys are never reused, so this names one write of
        the document (a replacement or a re-cut gets new keys)."""
        return dict(self.conn.execute("SELECT doc_id, min(chunk_key) FROM chunks GROUP BY doc_id"))

    def generation(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(json.loads(row[0])) if row else 0

    def doc_with_sha(self, sha256: str) -> str | None:
        row = self.conn.execute("SELECT doc_id FROM documents WHERE sha256 = ? ORDER BY doc_id", (sha256,)).fetchone()
        return row[0] if row else None

    def docs_with_original(self, shas: Sequence[str]) -> dict[str, str]:
        """original file sha256 -> the id of a document stored from those exact bytes (the first by id)."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(shas))
        for i in range(0, len(unique), 500):
            part = unique[i : i + 500]
            query = (
                "SELECT original_sha256, min(doc_id) FROM documents "
                f"WHERE original_sha256 IN ({','.join('?' * len(part))}) GROUP BY original_sha256"
            )
            found.update(dict(self.conn.execute(query, part)))
        return found

    def original(self, doc_id: str) -> tuple[bytes, str, str] | None:
        """The uploaded file's bytes, name and media type."""
        row = self.conn.execute(
            "SELECT original, file_name, media_type FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return (bytes(row[0]), row[1], row[2]) if row else None

    def sentence_rows(self, doc_id: str) -> list[SentenceRow]:
        rows = self.conn.execute(
            'SELECT seq, start, "end", block, quotable, vector_key, context_key FROM sentences '
            "WHERE doc_id = ? ORDER BY seq",
            (doc_id,),
        )
        return [SentenceRow(s, a, b, blk, bool(q), v, c) for s, a, b, blk, q, v, c in rows]

    def chunk_rows(self, doc_id: str) -> list[ChunkRow]:
        rows = self.conn.execute(
            'SELECT seq, start, "end", first_sentence, last_sentence, tokens, vector_key, chunk_key FROM chunks '
            "WHERE doc_id = ? ORDER BY seq",
            (doc_id,),
        )
        return [ChunkRow(s, a, b, f, la, json.loads(t), v, k) for s, a, b, f, la, t, v, k in rows]

    def vectors(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """The cached vectors of those keys that are cached."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 500):
            part = unique[i : i + 500]
            query = f"SELECT key, vector FROM embeddings WHERE key IN ({','.join('?' * len(part))})"
            for key, blob in self.conn.execute(query, part):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def vector_keys_present(self, keys: Iterable[str]) -> set[str]:
        """Which of these keys have a cached vector (the vectors themselves are not read)."""
        found: set[str] = set()
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 500):
            part = unique[i : i + 500]
            query = f"SELECT key FROM embeddings WHERE key IN ({','.join('?' * len(part))})"
            found.update(k for (k,) in self.conn.execute(query, part))
        return found

    def dismissed_seeds(self) -> set[str]:
        return {d for (d,) in self.conn.execute("SELECT doc_id FROM dismissed_seeds")}

    # --- writes ------------------------------------------------------------------------------------

    def cache_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Keep vectors just embedded, committed, before the documents that use them are written: an
        interrupted write (a bulk `rag add` killed half-way) does not embed them again when it is resumed."""
        if not vectors:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany(
                "INSERT OR IGNORE INTO embeddings (key, vector) VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in vectors.items()],
            )
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def apply(
        self,
        puts: Sequence[DocumentWrite] = (),
        removals: Sequence[str] = (),
        dismiss: Sequence[str] = (),
        meta: dict[str, object] | None = None,
    ) -> dict[str, object]:
        """Remove, then insert documents, in one transaction, committed (and fsynced) before it returns.

        Bumps the generation and recomputes the corpus hash; returns the new meta."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            touched = list(removals) + [p.row.doc_id for p in puts]
            old_keys = self._vector_keys(touched)
            for doc_id in touched:
                conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            conn.executemany("INSERT OR IGNORE INTO dismissed_seeds (doc_id) VALUES (?)", [(d,) for d in dismiss])
            conn.executemany("DELETE FROM dismissed_seeds WHERE doc_id = ?", [(p.row.doc_id,) for p in puts])
            for put in puts:
                self._insert(put)
            self._prune(old_keys)
            pairs = conn.execute("SELECT doc_id, sha256 FROM documents").fetchall()
            current = self.meta()
            new_meta = {
                **current,
                **(meta or {}),
                "schema": SCHEMA_VERSION,
                "store_id": current.get("store_id") or uuid.uuid4().hex[:8],  # names this store in build ids
                "generation": int(current.get("generation", 0)) + 1,  # type: ignore[call-overload]
                "corpus_hash": corpus_hash_of(pairs),
                "updated_at": now_iso(),
            }
            conn.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in new_meta.items()],
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return new_meta

    def _insert(self, put: DocumentWrite) -> None:
        r = put.row
        needed = {s.vector_key for s in put.sentences} | {s.context_key for s in put.sentences}
        needed |= {c.vector_key for c in put.chunks}
        absent = needed - set(put.vectors) - set(self.vectors(needed - set(put.vectors)))
        if absent:  # cached when the document was prepared, pruned by another write since: embed them again
            raise MissingVectors(f"{len(absent)} vectors of {r.doc_id} are no longer cached", absent)
        self.conn.execute(
            f"INSERT INTO documents ({', '.join(DocumentRow.__slots__)}, original) VALUES "
            f"({', '.join('?' * (len(DocumentRow.__slots__) + 1))})",
            (
                r.doc_id, r.origin, r.file_name, r.media_type, r.title, int(r.title_given), r.date, r.publisher,
                r.author, r.text, r.sha256, json.dumps(r.debris), json.dumps(r.blocks), json.dumps(r.pages),
                r.original_sha256, r.added_at, put.original,
            ),
        )  # fmt: skip
        self.conn.executemany(
            "INSERT OR IGNORE INTO embeddings (key, vector) VALUES (?, ?)",
            [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in put.vectors.items()],
        )
        self.conn.executemany(
            'INSERT INTO sentences (doc_id, seq, start, "end", block, quotable, vector_key, context_key) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(r.doc_id, s.seq, s.start, s.end, s.block, int(s.quotable), s.vector_key, s.context_key)
             for s in put.sentences],
        )  # fmt: skip
        self.conn.executemany(
            'INSERT INTO chunks (doc_id, seq, start, "end", first_sentence, last_sentence, tokens, vector_key) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(r.doc_id, c.seq, c.start, c.end, c.first_sentence, c.last_sentence, json.dumps(c.tokens), c.vector_key)
             for c in put.chunks],
        )  # fmt: skip

    def _vector_keys(self, doc_ids: Sequence[str]) -> set[str]:
        keys: set[str] = set()
        for doc_id in doc_ids:
            for a, b in self.conn.execute("SELECT vector_key, context_key FROM sentences WHERE doc_id = ?", (doc_id,)):
                keys.update((a, b))
            keys.update(k for (k,) in self.conn.execute("SELECT vector_key FROM chunks WHERE doc_id = ?", (doc_id,)))
        return keys

    def _prune(self, keys: set[str]) -> None:
        """Forget the vectors of removed or replaced documents that no document refers to any more."""
        still = self.conn.execute
        unused = [
            k
            for k in keys
            if not still("SELECT 1 FROM sentences WHERE vector_key = ? LIMIT 1", (k,)).fetchone()
            and not still("SELECT 1 FROM sentences WHERE context_key = ? LIMIT 1", (k,)).fetchone()
            and not still("SELECT 1 FROM chunks WHERE vector_key = ? LIMIT 1", (k,)).fetchone()
        ]
        self.conn.executemany("DELETE FROM embeddings WHERE key = ?", [(k,) for k in unused])
