"""The systems an evaluation run scores: this project's pipeline, and a plain LangChain RAG peer.

Both answer the same items and are scored by the same metrics; each returns its ranked passages (for the
retrieval metrics) and its answer as quotes with offsets into the original documents.
"""

from __future__ import annotations

import time
import warnings
from typing import Protocol

from rag.answering import ExtractiveAnswerer
from rag.corpus import Document
from rag.evaluation.calibration import CalibrationSample, sample_of
from rag.evaluation.dataset import EvalItem, Span
from rag.evaluation.metrics import RETRIEVAL_DEPTH, Quote, SystemOutput, is_supporting
from rag.service import QAComponents


class EvalSystem(Protocol):
    name: str
    description: str

    def run(self, item: EvalItem) -> SystemOutput: ...


class PipelineSystem:
    """This project: hybrid retrieval and extractive, cited answers, with the item's chat history."""

    name = "ours"

    def __init__(self, components: QAComponents) -> None:
        self.components = components
        s = components.settings
        self.description = (
            f"{s.retrieval} retrieval over sentence chunks ({s.chunk_size}/{s.chunk_overlap}), "
            f"second stage over the top {s.rerank_depth}, "
            + (f"answers by {s.chat_model} around verified quotes" if s.chat_model else "extractive quotes")
            + f" from the top {s.answer_passages} passages, judged; "
            + f"abstention below {components.extractive.threshold:.3f}"
        )

    def run(self, item: EvalItem) -> SystemOutput:
        answerer = self.components.answerer
        passages = self.components.extractive.passages(item.question, item.history, k=RETRIEVAL_DEPTH)
        started = time.perf_counter()
        answer = answerer.answer(item.question, history=item.history)
        latency = (time.perf_counter() - started) * 1000
        return SystemOutput(
            retrieved=[Span(doc_id=p.doc_id, start=p.chunk.start, end=p.chunk.end) for p in passages],
            abstained=answer.abstained,
            quotes=[Quote(doc_id=c.doc_id, start=c.start, end=c.end, text=c.quote) for c in answer.citations],
            latency_ms=latency,
            conflicts=len(answer.conflicts),
        )

    def calibration_samples(self, items: list[EvalItem]) -> list[CalibrationSample]:
        """Every item answered extractively with no abstention threshold: confidence and correctness."""
        settings = self.components.settings.model_copy(update={"min_answer_score": 0.0})
        answerer = ExtractiveAnswerer(self.components.retriever, settings)
        return [sample_of(item, answerer.answer(item.question, history=item.history)) for item in items]

    def judged_candidates(self, items: list[EvalItem]) -> list[tuple[float, bool]]:
        """Every candidate the judge weighed for each item (in the reading answered), with its probability
        and whether it supports the gold answer."""
        answerer = self.components.extractive
        found = []
        for item in items:
            judged = answerer.best_reading(item.question, item.history, self.components.settings.answer_passages)
            texts = answerer.index.documents
            for c in judged.candidates:
                quote = texts[c.doc_id].text[c.start : c.end]
                found.append((c.score, is_supporting(item, c.doc_id, c.start, c.end, quote)))
        return found


class LangChainBaseline:
    """A plain LangChain RAG: RecursiveCharacterTextSplitter (1000/200, its documented usual sizes),
    `langchain_community` FAISS over HuggingFaceEmbeddings of the same bundled model, top-k similarity
    search on the question alone, and the top chunk as the answer. It never abstains."""

    name = "langchain"
    description = "RecursiveCharacterTextSplitter 1000/200 + FAISS + HuggingFaceEmbeddings; top chunk is the answer"
    chunk_size = 1000
    chunk_overlap = 200

    def __init__(self, documents: list[Document], model_path: str) -> None:
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # langchain-community announces its sunset
            from langchain_community.vectorstores import FAISS

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap, add_start_index=True
        )
        chunks = splitter.create_documents(
            [d.text for d in documents], metadatas=[{"doc_id": d.doc_id} for d in documents]
        )
        self.store = FAISS.from_documents(chunks, HuggingFaceEmbeddings(model=model_path))

    def run(self, item: EvalItem) -> SystemOutput:
        started = time.perf_counter()
        found = self.store.similarity_search(item.question, k=RETRIEVAL_DEPTH)
        latency = (time.perf_counter() - started) * 1000
        spans = [
            Span(
                doc_id=d.metadata["doc_id"],
                start=d.metadata["start_index"],
                end=d.metadata["start_index"] + len(d.page_content),
            )
            for d in found
        ]
        top = spans[0]
        quote = Quote(doc_id=top.doc_id, start=top.start, end=top.end, text=found[0].page_content)
        return SystemOutput(retrieved=spans, abstained=False, quotes=[quote], latency_ms=latency)
