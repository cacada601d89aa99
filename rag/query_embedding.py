"""What embeds questions: the checked ONNX export (exported and checked on first need, then cached), or the
sentence-transformers model itself (`RAG_QUERY_ENCODER=sentence-transformers`)."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

from rag.embedding import Embedder, TextEncoder, bundled_model_path
from rag.index_store import CorpusIndex
from rag.onnx_embedding import OnnxEmbedder, ThreadSettings, export_onnx, export_problem
from rag.settings import Settings

logger = logging.getLogger(__name__)

# A text longer than the model's 256 tokens, so the check covers truncation too.
_LONG_TEXT_REPEATS = 40


def default_onnx_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "nato-space-rag" / "onnx"


def onnx_folder(settings: Settings) -> Path:
    """Where the export of `settings`' model lives: one folder per model path under the cache."""
    model_path = (settings.model_path or bundled_model_path()).resolve()
    key = hashlib.sha256(str(model_path).encode()).hexdigest()[:16]
    return (settings.onnx_dir or default_onnx_dir()) / key


def verification_texts(index: CorpusIndex) -> list[str]:
    """Every sentence and chunk of the corpus (a few hundred texts, short and long) and one text past the
    model's length limit: what the export is checked on."""
    titles = {doc_id: doc.title for doc_id, doc in index.documents.items()}
    chunks = [f"{titles[c.doc_id]}\n{c.text}" for c in index.chunks]
    long_text = " ".join(s.text for s in index.sentences[:_LONG_TEXT_REPEATS])
    return [s.text for s in index.sentences] + chunks + [long_text]


def ensure_onnx_export(settings: Settings, texts: Callable[[], list[str]]) -> Path:
    """The folder of a checked ONNX export of `settings`' model, exporting (with torch) and checking it on
    `texts()` first when it is missing, made from other weights, or unchecked. Safe across processes."""
    from filelock import FileLock

    model_path = settings.model_path or bundled_model_path()
    folder = onnx_folder(settings)
    if export_problem(folder, model_path) is None:
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder.parent / f".{folder.name}.lock"), timeout=600):
        problem = export_problem(folder, model_path)  # another process may have exported it meanwhile
        if problem is not None:
            logger.warning("exporting the embedding model to ONNX (%s); this takes a while, once", problem)
            export_onnx(model_path, folder, texts())
    return folder


def query_embedder(settings: Settings, index: CorpusIndex, bulk: Embedder) -> TextEncoder:
    """What embeds questions for `settings`: the ONNX export (exported first if needed) or `bulk` itself."""
    if settings.query_encoder == "sentence-transformers":
        return bulk
    folder = ensure_onnx_export(settings, lambda: verification_texts(index))
    threads = ThreadSettings(intra_op=settings.onnx_threads, spinning=settings.onnx_spinning)
    return OnnxEmbedder(folder, settings.embed_batch_size, threads)
