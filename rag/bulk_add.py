"""Adding many files at once (`rag add FOLDER`): in batches, resumable, with its throughput shown.

Files are read, cut and embedded a batch at a time, and each batch is one transaction: embedding many small
documents together keeps the model's batches full, and one commit per batch instead of per file saves the
fsyncs. Vectors are committed to the store's cache as they are embedded (`index_sync.embed_checkpointed`),
so a run that is interrupted, even killed, loses at most the last few hundred embeddings: run the same
command again and files already stored are recognised from their bytes' hash without being read or cut
again, and the batch that was cut short finds its vectors in the cache.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.document_writes import DocumentWriter, WriteResult
from rag.embedding import Embedder
from rag.errors import InvalidDocument, RagError
from rag.extract import extract_text
from rag.ingest import PreparedDocument, prepare_upload
from rag.settings import Settings
from rag.store import CorpusStore

Outcome = WriteResult | RagError
Report = Callable[[Path, Outcome], None]


@dataclass(slots=True)
class BulkStats:
    """What a bulk add did, and how fast."""

    files: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    texts_embedded: int = 0
    characters: int = 0
    started: float = field(default_factory=time.perf_counter)

    def count(self, outcome: Outcome) -> None:
        self.files += 1
        if isinstance(outcome, RagError):
            self.failed += 1
        else:
            self.statuses[outcome.status] = self.statuses.get(outcome.status, 0) + 1

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def summary(self) -> str:
        seconds = max(self.seconds, 1e-9)
        done = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items())) or "nothing written"
        failed = f", {self.failed} failed" if self.failed else ""
        return (
            f"{self.files} files in {self.seconds:.1f} s: {done}{failed}; {self.texts_embedded} texts embedded "
            f"({self.texts_embedded / seconds:.1f} texts/s, {self.files / seconds:.2f} files/s, "
            f"{self.characters / 1000 / seconds:.1f} KB of text/s)"
        )


class BulkAdder:
    """Adds files through one `DocumentWriter`, `batch` files per transaction."""

    def __init__(self, settings: Settings, embedder: Embedder, batch: int = 32) -> None:
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        self.settings = settings
        self.embedder = embedder
        self.batch = batch
        self.stats = BulkStats()
        self.writer = DocumentWriter(settings, embedder, encode=self._encode)

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.embedder.encode(texts)
        self.stats.texts_embedded += len(texts)
        return vectors

    def add(
        self,
        files: Sequence[Path],
        report: Report,
        *,
        title: str | None = None,
        doc_id: str | None = None,
        replace: bool = False,
    ) -> BulkStats:
        """Add `files`, calling `report(path, outcome)` for each as soon as its batch is committed."""
        explicit = doc_id is not None
        for part in _batches(files, self.batch):
            prepared: list[tuple[Path, PreparedDocument]] = []
            for path, outcome in self._read(part, title, doc_id, replace):
                if isinstance(outcome, PreparedDocument):
                    prepared.append((path, outcome))
                else:
                    self.stats.count(outcome)
                    report(path, outcome)
            if not prepared:
                continue
            results = self.writer.add_many([p for _, p in prepared], explicit_id=explicit, replace=replace)
            for (path, p), result in zip(prepared, results, strict=True):
                self.stats.characters += p.document.length
                self.stats.count(result)
                report(path, result)
        return self.stats

    def _read(
        self, paths: Sequence[Path], title: str | None, doc_id: str | None, replace: bool
    ) -> Iterator[tuple[Path, PreparedDocument | Outcome]]:
        """Each file prepared, or its outcome when it is already stored byte for byte or cannot be read."""
        data: dict[Path, bytes] = {}
        for path in paths:
            try:
                data[path] = _read_bytes(path, self.settings.max_upload_bytes)
            except RagError as exc:
                yield path, exc
        known: dict[str, str] = {}
        if not (replace or title or doc_id):  # a title, an id or a replacement may change what is stored
            with CorpusStore(self.settings.index_dir) as store:
                known = store.docs_with_original([hashlib.sha256(b).hexdigest() for b in data.values()])
        for path, raw in data.items():
            stored = known.get(hashlib.sha256(raw).hexdigest())
            if stored is not None:
                yield path, WriteResult("unchanged", stored, None)
                continue
            try:
                extracted = extract_text(raw, path.name)
                yield (
                    path,
                    prepare_upload(
                        extracted, self.settings, doc_id=doc_id, title=title, file_name=path.name, original=raw
                    ),
                )
            except RagError as exc:
                yield path, exc


def _read_bytes(path: Path, limit: int) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidDocument(f"cannot read the file: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise InvalidDocument(f"over the upload limit of {limit} bytes")
    return data


def _batches(items: Sequence[Path], size: int) -> Iterator[Sequence[Path]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
