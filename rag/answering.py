"""Extractive answers: pick the sentences that best answer a question and quote them verbatim.

An answer is made only of quotes cut from the original documents (`doc.text[start:end]`), each with a
numbered citation. When no sentence supports an answer well enough, the answer abstains.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field
from rapidfuzz import fuzz

from rag.answer_types import TYPE_NOUN, AnswerType, Value, expected_type, find_values, is_polar
from rag.chat import (
    Turn,
    contextualize,
    is_elliptic,
    previous_quotes,
    previous_user_question,
    validate_history,
)
from rag.chunking import Sentence, sentence_contexts
from rag.corpus import Document
from rag.index_store import CorpusIndex
from rag.retrieval import HybridRetriever, Passage, validate_question
from rag.settings import Settings
from rag.text import squash_whitespace, tokenize

ABSTENTION_TEXT = "The documents do not answer this question."

# Weights of the sentence score: meaning (bi-encoder cosine) and IDF-weighted coverage of the question's
# terms by the sentence in its context (section heading and previous sentence, which often name the subject).
# Chosen on a small labelled probe set; the evaluation issue calibrates them.
DENSE_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.4
# Share of the lexical score that comes from the sentence's paragraph rather than its immediate context.
PARAGRAPH_SHARE = 0.15
# A sentence that opens with a pronoun leans on the one before it; quote both so the quote stands alone.
_ANAPHORIC_START = re.compile(r"^(?:It|Its|They|Their|Them|This|These|Those|He|She|His|Her)\b")
TYPE_MISMATCH_PENALTY = 0.5
# Ranking passages, a sentence of the wrong type still shows the passage is on topic: a milder penalty.
PASSAGE_TYPE_MISMATCH_PENALTY = 0.75
# A follow-up's candidates include the sentences this close to what the previous answer quoted.
FOLLOW_UP_REACH = 2
# The sentences the previous answer quoted get no bonus themselves: the user has read them already. They
# still compete on their own score ("Which countries take part in it?" may be answered by the same quote).
ANCHOR_CLOSENESS = 0.0
# A statement that denies ("does not have", "no intention"): with one that affirms the same, a disagreement.
_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor)\b|n[’']t\b", re.IGNORECASE)
# A two-sentence quote gives way to its first sentence alone when that scores at least this share of it.
SHORTER_QUOTE_RATIO = 0.95


class Citation(BaseModel):
    id: int = Field(description="Citation number, as it appears in the answer: [id].")
    doc_id: str
    title: str
    start: int = Field(description="Start offset (Python string index) in the original document.")
    end: int = Field(description="End offset (exclusive) in the original document.")
    quote: str = Field(description="Exactly the original document's text[start:end].")
    score: float


class Conflict(BaseModel):
    about: str = Field(description="What the sources disagree about, e.g. 'the year' or 'the number'.")
    citations: list[int] = Field(description="Ids of the citations that state the differing values.")


def cite(doc: Document, number: int, start: int, end: int, score: float) -> Citation:
    """Citation `number` of `doc.text[start:end]`: the one place a citation's quote is cut from its source."""
    return Citation(
        id=number,
        doc_id=doc.doc_id,
        title=doc.title,
        start=start,
        end=end,
        quote=doc.text[start:end],
        score=round(score, 4),
    )


class Answer(BaseModel):
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    conflicts: list[Conflict] = Field(
        default_factory=list, description="Where cited sources state different values for the same thing."
    )
    mode: Literal["extractive", "generative"] = Field(
        "extractive", description="Who wrote the answer text: quotes alone, or a chat model around verified quotes."
    )
    confidence: float = Field(
        0.0,
        description="Score of the best candidate sentence (0 when none): the answer abstains below the "
        "calibrated threshold, settings.min_answer_score.",
    )


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    sentence_id: int
    doc_id: str
    start: int
    end: int
    score: float
    dense: float
    lexical: float
    extended: bool = False  # quoted together with the sentence before it
    type_ok: bool = True  # states a value of the kind the question asks for (or it asks for none)


class TermStatistics:
    """Inverse document frequencies of tokens over the index's sentences."""

    def __init__(self, sentences: list[Sentence]) -> None:
        self.sentence_tokens = [frozenset(t) for t in tokenize([s.text for s in sentences])]
        self.context_tokens = [frozenset(t) for t in tokenize(sentence_contexts(sentences))]
        # A paragraph is about one thing: its words (with the context's heading) are a sentence's topic too.
        paragraphs: dict[tuple[str, int], set[str]] = {}
        for s, tokens in zip(sentences, self.sentence_tokens, strict=True):
            paragraphs.setdefault((s.doc_id, s.block), set()).update(tokens)
        self.paragraph_tokens = [
            frozenset(paragraphs[(s.doc_id, s.block)] | context)
            for s, context in zip(sentences, self.context_tokens, strict=True)
        ]
        df: dict[str, int] = {}
        for tokens in self.sentence_tokens:
            for t in tokens:
                df[t] = df.get(t, 0) + 1
        self.n = len(sentences)
        self.df = df

    def idf(self, token: str) -> float:
        df = self.df.get(token, 0)
        return math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))


def coverage(question_terms: set[str], terms: frozenset[str], stats: TermStatistics) -> float:
    """Share of the question's IDF mass that `terms` contain (0..1)."""
    total = sum(stats.idf(t) for t in question_terms)
    if total == 0:
        return 0.0
    return sum(stats.idf(t) for t in question_terms if t in terms) / total


def answer_type_matches(question: str, quote: str) -> bool:
    """Whether `quote` states a value of the kind `question` asks for (a date for "when"...)."""
    kind = expected_type(question)
    return kind is AnswerType.OTHER or bool(find_values(quote, kind, exclude=question))


def prefer_shorter_quotes(scored: list[ScoredSentence], ratio: float = SHORTER_QUOTE_RATIO) -> list[ScoredSentence]:
    """Drop a pronoun sentence quoted with its predecessor when the predecessor alone scores nearly as well:
    then the predecessor is what answers, and the shorter quote is the better one. Keeps the order."""
    alone = {s.sentence_id: s.score for s in scored if not s.extended}
    return [s for s in scored if not (s.extended and alone.get(s.sentence_id - 1, float("-inf")) >= ratio * s.score)]


@dataclass(frozen=True, slots=True)
class ResolvedQuestion:
    """A question read in its chat: what to retrieve with, what kind of answer it wants, and the sentences
    the previous answer quoted (a follow-up is most likely about them or their neighbours)."""

    question: str
    query: str
    asks: AnswerType
    type_question: str
    terms_of: str  # whose words the sentences must cover: the query, or the elliptic question alone
    anchors: frozenset[int] = frozenset()


# Values two sources can state differently for the same thing, and what the answer calls them.
COMPARABLE = [AnswerType.DATE, AnswerType.COUNT, AnswerType.AMOUNT]
DISAGREEMENT_ABOUT = {**{k: f"the {TYPE_NOUN[k]}" for k in COMPARABLE}, AnswerType.OTHER: "what is the case"}


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Two quotes from different documents that state different values (`kind`) for the same thing, or
    of which one denies what the other affirms (`kind` OTHER)."""

    kind: AnswerType
    first: ScoredSentence
    second: ScoredSentence


class ExtractiveAnswerer:
    """Answers questions with verbatim quotes from the passages the retriever finds."""

    def __init__(self, retriever: HybridRetriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings

    @property
    def index(self) -> CorpusIndex:
        return self.retriever.index

    @cached_property
    def stats(self) -> TermStatistics:
        return TermStatistics(self.index.sentences)

    @cached_property
    def _normalised_sentences(self) -> list[str]:
        return [squash_whitespace(s.text) for s in self.index.sentences]

    def answer(self, question: str, top_k: int | None = None, history: list[Turn] | None = None) -> Answer:
        """Quotes answering `question` (asked after the chat `history`, if any) from the `top_k` best
        passages, or an abstention."""
        resolved = self.resolve(question, history)
        vector = self.retriever.embed_query(resolved.query)
        k = self.settings.answer_passages if top_k is None else top_k
        passages, pool = self._rerank(resolved, vector, k)
        # The answer's candidates: the sentences of the best k passages, and those near a follow-up's anchors.
        allowed = {i for p in passages for i in p.chunk.sentence_ids} | set(self._neighbourhood(resolved.anchors))
        candidates = _ranked([c for c in pool if c.sentence_id in allowed], TYPE_MISMATCH_PENALTY)
        chosen = self.select_quotes(candidates, resolved)
        confidence = round(candidates[0].score, 4) if candidates else 0.0
        if not chosen:
            return Answer(
                question=resolved.question,
                answer=ABSTENTION_TEXT,
                abstained=True,
                citations=[],
                confidence=confidence,
            )
        chosen, disagreements = self.add_disagreeing_quotes(chosen, candidates, resolved)
        citations = [self._citation(n, s) for n, s in enumerate(chosen, start=1)]
        conflicts = [
            Conflict(
                about=DISAGREEMENT_ABOUT[d.kind], citations=[chosen.index(d.first) + 1, chosen.index(d.second) + 1]
            )
            for d in disagreements
        ]
        return Answer(
            question=resolved.question,
            answer=self.compose(resolved, citations, disagreements),
            abstained=False,
            citations=citations,
            conflicts=conflicts,
            confidence=confidence,
        )

    def resolve(self, question: str, history: list[Turn] | None = None) -> ResolvedQuestion:
        """`question` read in its chat: a follow-up takes its subject from the previous question and its
        candidates from around the passages the previous answer quoted."""
        question = validate_question(question, self.settings.max_question_chars)
        history = validate_history(history, self.settings.max_history_turns)
        query = contextualize(question, history, self.settings.max_question_chars)
        type_question, terms_of = question, query
        anchors: frozenset[int] = frozenset()
        if query != question:
            if is_elliptic(question):
                # "And the Arctic one?" asks what the previous question asked about something new: the
                # previous question's kind of answer, the new subject's words, not the old subject's passages.
                if expected_type(question) is AnswerType.OTHER:
                    type_question = previous_user_question(history) or question
                terms_of = question
            else:
                anchors = self._quoted_sentences(previous_quotes(history))
        return ResolvedQuestion(question, query, expected_type(type_question), type_question, terms_of, anchors)

    def retrieval_query(self, question: str, history: list[Turn] | None = None) -> str:
        """What retrieval looks for when `question` is asked after `history`."""
        return self.resolve(question, history).query

    def passages(self, question: str, history: list[Turn] | None = None, k: int | None = None) -> list[Passage]:
        """The `k` passages an answer to `question` reads, best first (after the second stage)."""
        resolved = self.resolve(question, history)
        vector = self.retriever.embed_query(resolved.query)
        return self.rank_passages(resolved, vector, self.settings.answer_passages if k is None else k)

    def rank_passages(self, resolved: ResolvedQuestion, vector: np.ndarray, k: int) -> list[Passage]:
        """The `k` best passages for the question: the retriever's first stage, re-ranked by how well the
        best sentence of each answers (the second stage)."""
        return self._rerank(resolved, vector, k)[0]

    def _rerank(
        self, resolved: ResolvedQuestion, vector: np.ndarray, k: int
    ) -> tuple[list[Passage], list[ScoredSentence]]:
        """The second stage: the `k` best passages, and the sentences scored on the way (unpenalised,
        with their type check) for the answer to choose from without scoring them again."""
        depth = min(max(k, self.settings.rerank_depth), self.settings.max_k)
        first = self.retriever.search(resolved.query, k=depth, query_vector=vector)
        pool = self._score_pool(
            resolved.terms_of,
            vector,
            [i for p in first for i in p.chunk.sentence_ids],
            resolved.type_question,
            resolved.anchors,
        )
        best: dict[int, float] = {}
        for c in _ranked(pool, PASSAGE_TYPE_MISMATCH_PENALTY, keep_extended=True):
            best.setdefault(c.sentence_id, c.score)

        def passage_score(p: Passage) -> float:
            top = max((best.get(i, 0.0) for i in p.chunk.sentence_ids), default=0.0)
            return top + self.settings.first_stage_weight / p.rank

        passages = [
            Passage(p.chunk, rank, p.dense_score, p.bm25_score, p.fused_score)
            for rank, p in enumerate(sorted(first, key=lambda p: (-passage_score(p), p.rank))[:k], start=1)
        ]
        return passages, pool

    def score_candidates(
        self,
        question: str,
        vector: np.ndarray,
        sentence_ids: list[int],
        answer_type_of: str | None = None,
        anchors: frozenset[int] = frozenset(),
    ) -> list[ScoredSentence]:
        """Quotable sentences among `sentence_ids` (and near the `anchors` a follow-up leans on), scored
        and sorted best first.

        `answer_type_of` is the question whose wording says what kind of answer is wanted (a date, a
        count); by default `question` itself.
        """
        type_question = question if answer_type_of is None else answer_type_of
        return _ranked(self._score_pool(question, vector, sentence_ids, type_question, anchors), TYPE_MISMATCH_PENALTY)

    def _score_pool(
        self, question: str, vector: np.ndarray, sentence_ids: list[int], type_question: str, anchors: frozenset[int]
    ) -> list[ScoredSentence]:
        """Each quotable sentence among `sentence_ids` and near the `anchors`, once, with its score before
        any type penalty and whether it states a value of the kind `type_question` asks for."""
        kind = expected_type(type_question)
        q_terms = set(tokenize([question])[0])
        near = self._neighbourhood(anchors)
        seen: set[int] = set()
        scored: list[ScoredSentence] = []
        for sid in [*sentence_ids, *sorted(near)]:
            sentence = self.index.sentences[sid]
            if sid in seen or not sentence.quotable:
                continue
            seen.add(sid)
            start = self._quote_start(sid)
            # The sentence alone and read in its context count equally: context supplies a subject the
            # sentence leaves implicit, the sentence alone keeps its own topic sharp. A pronoun sentence is
            # quoted with the one before it, so it is scored as read in context.
            in_context = float(self.index.context_vectors[sid] @ vector)
            alone = float(self.index.sentence_vectors[sid] @ vector)
            dense = in_context if start != sentence.start else 0.5 * (alone + in_context)
            lexical = (1 - PARAGRAPH_SHARE) * coverage(
                q_terms, self.stats.context_tokens[sid], self.stats
            ) + PARAGRAPH_SHARE * coverage(q_terms, self.stats.paragraph_tokens[sid], self.stats)
            score = DENSE_WEIGHT * dense + LEXICAL_WEIGHT * lexical + self.settings.follow_up_weight * near.get(sid, 0)
            quote = self.index.documents[sentence.doc_id].text[start : sentence.end]
            type_ok = kind is AnswerType.OTHER or bool(find_values(quote, kind, exclude=f"{type_question} {question}"))
            scored.append(
                ScoredSentence(
                    sid, sentence.doc_id, start, sentence.end, score, dense, lexical, start != sentence.start, type_ok
                )
            )
        return scored

    def select_quotes(
        self, candidates: list[ScoredSentence], resolved: ResolvedQuestion | None = None
    ) -> list[ScoredSentence]:
        """The best candidate if it clears the abstention threshold, plus corroborating quotes.

        A further quote must score close to the best one; one from a document not yet cited is preferred,
        and overlapping quotes, or near-duplicates within one document, are skipped. When the best quote
        already states the value a who/when/where/how-many question asks for, a further quote from the same
        document adds nothing: only another document's corroboration is added.
        """
        if not candidates or candidates[0].score < self.settings.min_answer_score:
            return []
        best = candidates[0]
        floor = max(self.settings.min_answer_score, self.settings.corroboration_ratio * best.score)
        same_doc_floor = max(floor, (1 + self.settings.corroboration_ratio) / 2 * best.score)
        if resolved is not None and _key_value(resolved.asks, resolved, self._text(best)) is not None:
            same_doc_floor = float("inf")
        chosen = [best]
        for cand in candidates[1:]:
            if len(chosen) >= self.settings.max_quotes or cand.score < floor:
                break
            if cand.doc_id in {c.doc_id for c in chosen} and cand.score < same_doc_floor:
                continue
            if any(self._redundant(cand, c) for c in chosen):
                continue
            chosen.append(cand)
        return chosen

    def add_disagreeing_quotes(
        self, chosen: list[ScoredSentence], candidates: list[ScoredSentence], resolved: ResolvedQuestion
    ) -> tuple[list[ScoredSentence], list[Disagreement]]:
        """Look among strong candidates from other documents for one stating a different value for the same
        thing as the best quote (a date, a count, an amount), or denying what it affirms. Such a quote is
        added (if not already chosen) and the pair reported."""
        best = chosen[0]
        floor = max(self.settings.min_conflict_score, self.settings.conflict_ratio * best.score)
        disagreements: list[Disagreement] = []
        seen_docs = {best.doc_id}
        for cand in candidates[1:]:
            if cand.score < floor:
                break
            if cand.doc_id in seen_docs or any(self._overlaps(cand, c) for c in chosen if c is not cand):
                continue
            kind = self._disagreement(best, cand, resolved)
            if kind is None:
                continue
            seen_docs.add(cand.doc_id)
            if cand not in chosen:
                chosen = [*chosen, cand]
            disagreements.append(Disagreement(kind, best, cand))
        return chosen, disagreements

    def _disagreement(self, a: ScoredSentence, b: ScoredSentence, resolved: ResolvedQuestion) -> AnswerType | None:
        """What kind of value `a` and `b` disagree on (OTHER: one denies what the other affirms), or None.
        They must be about the same thing: close in meaning."""
        similarity = float(self.index.sentence_vectors[a.sentence_id] @ self.index.sentence_vectors[b.sentence_id])
        if similarity < self.settings.conflict_similarity:
            return None
        text_a, text_b = self._text(a), self._text(b)
        # One source denying what another affirms answers a yes-or-no question both ways.
        denies_a, denies_b = bool(_NEGATION.search(text_a)), bool(_NEGATION.search(text_b))
        if is_polar(resolved.type_question) and denies_a != denies_b:
            return AnswerType.OTHER
        kinds = (
            [resolved.asks]
            if resolved.asks in COMPARABLE
            else []
            if resolved.asks is not AnswerType.OTHER
            else COMPARABLE
        )
        for kind in kinds:
            values_a = {v.normal for v in find_values(text_a, kind, exclude=resolved.type_question)}
            values_b = {v.normal for v in find_values(text_b, kind, exclude=resolved.type_question)}
            if values_a and values_b and not values_a & values_b and not _same_year(values_a, values_b, kind):
                return kind
        return None

    def compose(self, resolved: ResolvedQuestion, citations: list[Citation], disagreements: list[Disagreement]) -> str:
        """The answer text: the key value first when the question asks for one, then the quotes; when the
        sources disagree, it says so and sets the sides next to each other."""
        quotes = " ".join(f"“{c.quote}” [{c.id}]" for c in citations)
        number = {c.start: c for c in citations}
        if disagreements:
            sides = "; ".join(
                " versus ".join(_lead(d.kind, resolved, number[s.start]) for s in (d.first, d.second))
                for d in disagreements
            )
            return f"The sources disagree ({sides}): {quotes}"
        key = _key_value(resolved.asks, resolved, citations[0].quote)
        return f"{key.text} [1]: {quotes}" if key else quotes

    def _neighbourhood(self, anchors: frozenset[int]) -> dict[int, float]:
        """Sentence id -> closeness for the sentences within `FOLLOW_UP_REACH` of an anchor in its document:
        1 next to it, less further away, ANCHOR_CLOSENESS for an anchor itself (it was read already; the
        subject of its "he" or "it" is often named a sentence or a paragraph earlier)."""
        near: dict[int, float] = {}
        sentences = self.index.sentences
        for a in anchors:
            for sid in range(max(0, a - FOLLOW_UP_REACH), min(len(sentences), a + FOLLOW_UP_REACH + 1)):
                if sentences[sid].doc_id == sentences[a].doc_id:
                    closeness = ANCHOR_CLOSENESS if sid in anchors else 1.0 - (abs(sid - a) - 1) / FOLLOW_UP_REACH
                    near[sid] = max(near.get(sid, 0.0), closeness)
        return near

    def _quoted_sentences(self, quotes: list[str]) -> frozenset[int]:
        """The sentences of the corpus that the quotes of an earlier answer contain or lie in."""
        wanted = [squash_whitespace(q) for q in quotes if q.strip()]
        return frozenset(
            sid
            for sid, text in enumerate(self._normalised_sentences)
            if len(text) >= 20 and any(text in q or (len(q) >= 20 and q in text) for q in wanted)
        )

    def _quote_start(self, sid: int) -> int:
        sentence = self.index.sentences[sid]
        if sid > 0 and _ANAPHORIC_START.match(sentence.text):
            previous = self.index.sentences[sid - 1]
            if previous.doc_id == sentence.doc_id and previous.block == sentence.block and previous.quotable:
                return previous.start
        return sentence.start

    def _redundant(self, a: ScoredSentence, b: ScoredSentence) -> bool:
        # Near-identical wording in another document is corroboration; in the same one it is repetition.
        return self._overlaps(a, b) or (a.doc_id == b.doc_id and self._near_duplicate(a, b))

    @staticmethod
    def _overlaps(a: ScoredSentence, b: ScoredSentence) -> bool:
        return a.doc_id == b.doc_id and a.start < b.end and b.start < a.end

    def _near_duplicate(self, a: ScoredSentence, b: ScoredSentence) -> bool:
        return fuzz.token_set_ratio(squash_whitespace(self._text(a)), squash_whitespace(self._text(b))) >= 90

    def _text(self, s: ScoredSentence) -> str:
        return self.index.documents[s.doc_id].text[s.start : s.end]

    def _citation(self, number: int, s: ScoredSentence) -> Citation:
        return cite(self.index.documents[s.doc_id], number, s.start, s.end, s.score)


def _ranked(pool: list[ScoredSentence], type_penalty: float, keep_extended: bool = False) -> list[ScoredSentence]:
    """`pool` with `type_penalty` applied to the sentences of the wrong type, best first; unless
    `keep_extended`, a two-sentence quote gives way to its first sentence when that answers as well."""
    penalised = [c if c.type_ok else replace(c, score=c.score * type_penalty) for c in pool]
    ranked = sorted(penalised, key=lambda c: (-c.score, c.sentence_id))
    return ranked if keep_extended else prefer_shorter_quotes(ranked)


def _key_value(kind: AnswerType, resolved: ResolvedQuestion, quote: str) -> Value | None:
    """The first value of `kind` in `quote` (the answer to a who/when/where/how-many question)."""
    values = find_values(quote, kind, exclude=resolved.type_question)
    return values[0] if values else None


def _lead(kind: AnswerType, resolved: ResolvedQuestion, citation: Citation) -> str:
    key = _key_value(kind, resolved, citation.quote)
    return f"{key.text} [{citation.id}]" if key else f"[{citation.id}]"


def _same_year(a: set[str], b: set[str], kind: AnswerType) -> bool:
    """'2023' and 'february 2023' do not disagree: one is only less precise."""
    if kind is not AnswerType.DATE:
        return False
    years = lambda values: {v.split()[-1] for v in values}  # noqa: E731
    return bool(years(a) & years(b)) and any(len(v.split()) == 1 for v in a | b)
