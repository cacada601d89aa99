"""Wire the stages together from one Settings object: embedder -> index -> retriever -> answerer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from rag.answering import Answer, ExtractiveAnswerer
from rag.chat import Turn
from rag.embedding import Embedder, TextEncoder
from rag.index_store import CorpusIndex, open_index
from rag.query_embedding import query_embedder
from rag.retrieval import HybridRetriever
from rag.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


class Answerer(Protocol):
    """What the CLI, the API and the evaluation use: the extractive answerer, or the generative one."""

    def answer(self, question: str, top_k: int | None = None, history: list[Turn] | None = None) -> Answer: ...

    def retrieval_query(self, question: str, history: list[Turn] | None = None) -> str: ...


@dataclass(frozen=True, slots=True)
class QAComponents:
    settings: Settings
    embedder: Embedder
    index: CorpusIndex
    retriever: HybridRetriever
    answerer: Answerer

    @property
    def extractive(self) -> ExtractiveAnswerer:
        """The extractive answerer (itself, or the one a generative answerer falls back to): what the
        evaluation ranks passages with, and what warms the model up without calling a chat model."""
        inner = getattr(self.answerer, "extractive", self.answerer)
        if not isinstance(inner, ExtractiveAnswerer):
            raise TypeError(f"no extractive answerer behind {type(self.answerer).__name__}")
        return inner


def load_components(
    settings: Settings,
    progress: bool = False,
    force_rebuild: bool = False,
    chat_model: BaseChatModel | None = None,
) -> QAComponents:
    """Open (building or rebuilding if needed) the index for `settings` and the stages that use it.

    The answerer is generative when `settings.chat_model` is set (or a `chat_model` is given), else
    extractive. The chat model is built first, so a bad RAG_CHAT_MODEL fails before the slow index load.
    """
    if chat_model is None and settings.chat_model is not None:
        from rag.chat_model import build_chat_model  # LangChain only when configured

        chat_model = build_chat_model(settings)
    embedder = Embedder(settings.model_path, settings.embed_batch_size)
    index = open_index(settings, embedder, progress=progress, force=force_rebuild)
    # Questions are embedded without torch (the checked ONNX export); `embedder` only builds the index.
    retriever = make_retriever(index, query_embedder(settings, index, embedder), settings)
    return QAComponents(settings, embedder, index, retriever, make_answerer(retriever, settings, chat_model))


def make_retriever(
    index: CorpusIndex, encoder: TextEncoder, settings: Settings, previous: HybridRetriever | None = None
) -> HybridRetriever:
    """The retriever of `settings.vector_store`: in-memory FAISS + bm25s, or a Milvus collection (issue 13),
    synchronised with `index` first and reusing the previous retriever's connection."""
    if settings.vector_store == "milvus":
        from rag.milvus_backend import MilvusRetriever  # pymilvus only when configured

        return MilvusRetriever.over(index, encoder, settings, previous)
    return HybridRetriever(index, encoder, settings)


def make_answerer(retriever: HybridRetriever, settings: Settings, chat_model: BaseChatModel | None = None) -> Answerer:
    """The extractive answerer, wrapped in the generative one when a chat model is given; with a chat model
    the answerability judge is the chat model too, with the offline judge as its fallback."""
    if chat_model is None:
        return ExtractiveAnswerer(retriever, settings)
    from rag.chat_judge import ChatJudge
    from rag.generative import GenerativeAnswerer

    extractive = ExtractiveAnswerer(retriever, settings)
    extractive = ExtractiveAnswerer(retriever, settings, judge=ChatJudge(chat_model, extractive.offline_judge))
    return GenerativeAnswerer(extractive, chat_model)


def with_index(parts: QAComponents, index: CorpusIndex) -> QAComponents:
    """The same stages over another version of the corpus (after a write), ready to swap in."""
    retriever = make_retriever(index, parts.retriever.embedder, parts.settings, parts.retriever)  # same embedder
    answerer = make_answerer(retriever, parts.settings, getattr(parts.answerer, "chat_model", None))
    return QAComponents(parts.settings, parts.embedder, index, retriever, answerer)
