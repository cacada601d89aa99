"""Optional generative answers: a LangChain chat model writes the answer, and every quote it gives is checked.

The model reads the numbered passages that retrieval found and replies with JSON: a short answer whose
claims carry markers such as [1], and the quotes those markers stand for, each with the number of the
passage it was copied from. Nothing the model writes is trusted as a quote:

- each quote must occur verbatim in the original text of a retrieved passage (`verify_quote`: typographic
  quotes, dashes and runs of whitespace aside), outside any debris; the citation then carries the
  source's own slice `doc.text[start:end]`, never the model's text. A quote found in another retrieved
  passage than the one named is re-attributed to it (the model saw that text; only its bookkeeping was
  wrong), one found nowhere is dropped;
- a quote that states no value of the kind the question asks for (a date for "when", a company for "which
  company": `rag/kind_check.py`, as for extractive answers) is dropped too: it cannot be what answers;
- markers pointing at dropped quotes are removed, and so is every sentence of the model's prose left
  without a verified citation; the answer text is that prose followed by the verified quotes, verbatim;
- when the extractive answerer abstains, so does this one, without asking the model; when the model
  fails, times out, replies with something that is not the JSON asked for, or leaves no verifiable
  quote, the extractive answer is returned instead.

Fake chat models do not implement `with_structured_output` (it needs tool calling), so the reply format
is asked for in the prompt and read with LangChain's `PydanticOutputParser`, which also strips code fences.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import PydanticOutputParser
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import Runnable
from pydantic import BaseModel, Field

from rag.answering import Answer, Citation, ExtractiveAnswerer, cite
from rag.chat import Turn
from rag.corpus import Document
from rag.errors import RagError
from rag.index_store import CorpusIndex
from rag.retrieval import HybridRetriever, Passage
from rag.settings import Settings
from rag.verify import verify_quote

logger = logging.getLogger(__name__)


class GeneratedQuote(BaseModel):
    passage: int = Field(description="Number of the passage the quote is copied from.")
    quote: str = Field(description="Text copied character for character from that passage.")


class GeneratedAnswer(BaseModel):
    """The reply the chat model is asked for."""

    answer: str = Field(description="A short answer; each claim ends with the number of its quote, e.g. [1].")
    quotes: list[GeneratedQuote] = Field(description="The quotes, numbered [1], [2], ... in this order.")


SYSTEM_PROMPT = """You answer questions using ONLY the numbered passages you are given.
Reply with one JSON object and nothing else, in this shape:
{{"answer": "NATO's centre is in Ramstein [1].", "quotes": [{{"passage": 2, "quote": "exact text"}}]}}

Rules:
- "quotes" is the evidence. Copy each quote character for character from ONE passage: a whole sentence,
  or a self-contained part of one. Never paraphrase, correct, shorten with "..." or join separate places.
  "passage" is the number of the passage you copied it from.
- "answer" is one to three short sentences that answer the question. End each claim with the number of
  the quote that supports it, in square brackets: [1] is the first item of "quotes", [2] the second.
- When the passages disagree, say so and quote each side.
- When the passages do not answer the question, reply {{"answer": "", "quotes": []}}."""

HUMAN_PROMPT = "Passages:\n\n{passages}\n\nQuestion: {question}"


def answer_prompt() -> ChatPromptTemplate:
    """System instructions, then the chat so far, then the passages and the question."""
    return ChatPromptTemplate.from_messages(
        [("system", SYSTEM_PROMPT), MessagesPlaceholder("history", optional=True), ("human", HUMAN_PROMPT)]
    )


def format_passages(passages: list[Passage], index: CorpusIndex) -> str:
    """The passages numbered from 1, each with its document's title; the text shown is the clean text."""
    return "\n\n".join(
        f"[{n}] {index.documents[p.doc_id].title}\n{p.chunk.text}" for n, p in enumerate(passages, start=1)
    )


def history_messages(history: list[Turn]) -> list[tuple[str, str]]:
    return [("human" if t.role == "user" else "ai", t.content) for t in history]


@dataclass(frozen=True, slots=True)
class LocatedQuote:
    """A model quote found in the source: `document.text[start:end]` inside `passage`'s span."""

    passage: Passage
    start: int
    end: int


def locate_quote(quote: str, cited: int, passages: list[Passage], index: CorpusIndex) -> LocatedQuote | None:
    """Where `quote`, said to come from passage number `cited` (from 1), occurs in the retrieved passages.

    The passage named is tried first, then the others best first; a match must lie inside the passage's
    span and touch no debris. None when the quote occurs in none of them.
    """
    documents = {p.doc_id: index.documents[p.doc_id] for p in passages}
    try:
        verification = verify_quote(quote, documents.values())
    except RagError:  # an empty or over-long quote
        return None
    if verification.verdict != "exact":
        return None
    order = sorted(range(len(passages)), key=lambda i: (i != cited - 1, i))
    for i in order:
        p = passages[i]
        for m in verification.matches:
            inside = m.doc_id == p.doc_id and p.chunk.start <= m.start and m.end <= p.chunk.end
            if inside and not _touches_debris(documents[p.doc_id], m.start, m.end):
                return LocatedQuote(p, m.start, m.end)
    return None


def _touches_debris(doc: Document, start: int, end: int) -> bool:
    return any(d.start < end and start < d.end for d in doc.debris)


# A citation marker: [1], [2, 3] or [1; 2].
_MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_LEADING_MARKERS = re.compile(r"^\s*(?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+")


def rebuild_prose(prose: str, renumber: dict[int, int]) -> str:
    """The model's prose with its markers renumbered (model quote number -> citation id) and markers of
    dropped quotes removed; a sentence left without any citation is dropped, so no claim remains whose
    only support was a quote that failed verification (or that never had one)."""
    kept: list[str] = []
    for sentence in _prose_sentences(prose):
        cited = False

        def renumbered(m: re.Match[str]) -> str:
            nonlocal cited
            numbers = [int(n) for n in re.findall(r"\d+", m.group(1))]
            ids = list(dict.fromkeys(renumber[n] for n in numbers if n in renumber))
            cited = cited or bool(ids)
            return " " + "".join(f"[{i}]" for i in ids) if ids else ""

        text = _MARKER.sub(renumbered, sentence).strip()
        if cited:
            kept.append(text)
    return " ".join(kept)


def _prose_sentences(prose: str) -> list[str]:
    """Sentences by pysbd (as for the documents), a marker written after the full stop kept with its sentence."""
    sentences: list[str] = []
    for segment in _segmenter().segment(prose.strip()):
        leading = _LEADING_MARKERS.match(segment)
        if leading and sentences:
            sentences[-1] += " " + leading.group(0).strip()
            segment = segment[leading.end() :]
        if segment.strip():
            sentences.append(segment.strip())
    return sentences


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


class GenerativeAnswerer:
    """Answers with a chat model's prose whose every citation is a verified verbatim quote; falls back to
    (and abstains with) the extractive answerer. Same interface as `ExtractiveAnswerer`."""

    def __init__(self, extractive: ExtractiveAnswerer, chat_model: BaseChatModel) -> None:
        self.extractive = extractive
        self.chat_model = chat_model
        self.parser = PydanticOutputParser(pydantic_object=GeneratedAnswer)
        self.chain: Runnable[dict[str, Any], GeneratedAnswer] = answer_prompt() | chat_model | self.parser

    @property
    def retriever(self) -> HybridRetriever:
        return self.extractive.retriever

    @property
    def settings(self) -> Settings:
        return self.extractive.settings

    @property
    def index(self) -> CorpusIndex:
        return self.extractive.index

    def retrieval_query(self, question: str, history: list[Turn] | None = None) -> str:
        """What retrieval looks for when `question` is asked after `history` (as the extractive answerer)."""
        return self.extractive.retrieval_query(question, history)

    def answer(self, question: str, top_k: int | None = None, history: list[Turn] | None = None) -> Answer:
        """The chat model's answer from the `top_k` best passages, keeping only verified quotes; the
        extractive answer when it abstains or when nothing the model quoted can be verified."""
        extractive = self.extractive.answer(question, top_k=top_k, history=history)
        if extractive.abstained:
            logger.info("answer mode=extractive (abstained; chat model not asked)")
            return extractive
        query = self.retrieval_query(question, history)
        k = self.settings.answer_passages if top_k is None else top_k
        passages = self.retriever.search(query, k=k)
        try:
            generated = self.chain.invoke(
                {
                    "question": extractive.question,
                    "passages": format_passages(passages, self.index),
                    "history": history_messages(list(history or [])),
                },
                config={"run_name": "generative_answer"},
            )
        except Exception as exc:  # any provider error, time-out or unparsable reply: the extractive answer stands
            logger.warning("answer mode=extractive (chat model failed: %s: %s)", type(exc).__name__, exc)
            return extractive
        answer = self.verified_answer(extractive, generated, passages)
        if answer is None:
            logger.warning("answer mode=extractive (none of the model's %d quotes verified)", len(generated.quotes))
            return extractive
        logger.info("answer mode=generative (%d of %d quotes verified)", len(answer.citations), len(generated.quotes))
        return answer

    def verified_answer(self, extractive: Answer, generated: GeneratedAnswer, passages: list[Passage]) -> Answer | None:
        """The answer made of the model's quotes that verify (and state the kind of thing asked, when the
        question asks for one), or None when none does."""
        citations: list[Citation] = []
        ids: dict[tuple[str, int, int], int] = {}
        renumber: dict[int, int] = {}
        check = self.extractive.wording.answer_check(extractive.question) if self.settings.kind_check else None
        for number, q in enumerate(generated.quotes, start=1):
            located = locate_quote(q.quote, q.passage, passages, self.index)
            if located is None:
                logger.info("dropped an unverifiable quote attributed to passage %d: %r", q.passage, q.quote[:200])
                continue
            if check is not None and not check(
                self.index.documents[located.passage.doc_id].text[located.start : located.end]
            ):
                logger.info("dropped a quote that states nothing of the kind asked: %r", q.quote[:200])
                continue
            key = (located.passage.doc_id, located.start, located.end)
            if key not in ids:
                ids[key] = len(citations) + 1
                citations.append(self._citation(ids[key], located))
            renumber[number] = ids[key]
        if not citations:
            return None
        quotes = " ".join(f"“{c.quote}” [{c.id}]" for c in citations)
        prose = rebuild_prose(generated.answer, renumber)
        spans = [(c.doc_id, c.start, c.end) for c in citations]
        same_citations = spans == [(c.doc_id, c.start, c.end) for c in extractive.citations]
        # A copy of the extractive answer, so fields about the evidence (the question, the abstention
        # decision and anything else the extractive answer records) carry over; what was said is replaced.
        return extractive.model_copy(
            update={
                "answer": f"{prose}\n\n{quotes}" if prose else quotes,
                "citations": citations,
                "conflicts": extractive.conflicts if same_citations else [],
                "mode": "generative",
            }
        )

    def _citation(self, number: int, located: LocatedQuote) -> Citation:
        doc = self.index.documents[located.passage.doc_id]
        # The score: how close the passage quoted from is to the question (cosine); the model gives none.
        return cite(doc, number, located.start, located.end, located.passage.dense_score)
