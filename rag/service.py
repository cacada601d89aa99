"""Wire the stages together from one Settings object: embedder -> index -> retriever -> answerer."""

from __future__ import annotations

from dataclasses import dataclass

from rag.answering import ExtractiveAnswerer
from rag.embedding import Embedder
from rag.index_store import CorpusIndex, open_index
from rag.retrieval import HybridRetriever
from rag.settings import Settings


@dataclass(frozen=True, slots=True)
class QAComponents:
    settings: Settings
    embedder: Embedder
    index: CorpusIndex
    retriever: HybridRetriever
    answerer: ExtractiveAnswerer


def load_components(settings: Settings, progress: bool = False, force_rebuild: bool = False) -> QAComponents:
    """Open (building or rebuilding if needed) the index for `settings` and the stages that use it."""
    embedder = Embedder(settings.model_path, settings.embed_batch_size)
    index = open_index(settings, embedder, progress=progress, force=force_rebuild)
    retriever = HybridRetriever(index, embedder, settings)
    return QAComponents(settings, embedder, index, retriever, ExtractiveAnswerer(retriever, settings))
