"""Extractive answers in stages: resolve -> retrieve -> judge -> select quotes -> detect conflicts -> compose.

An answer is made only of quotes cut from the original documents (`doc.text[start:end]`), each with a
numbered citation. Each stage is its own module:

- `rag/resolve.py`: the readings of a question in its chat (alone, with the previous question, with the
  previous answer's quotes);
- `rag/off_topic.py`: whether the corpus says anything close to the question at all;
- `rag/retrieval.py` + `rag/candidates.py`: the first stage's passages and their sentences, with signals;
- `rag/judge.py`: the probability that each candidate states what was asked (the reading whose best quote
  the judge trusts most is the one answered); `rag/kind_check.py` and `rag/subject.py`: the candidates that
  state no value of the asked kind, or state it for another subject than the question names, set aside;
- `rag/selection.py`: the quotes (or an abstention, below the calibrated operating point; a quote defining
  the asked abbreviation answers whatever its probability); `rag/byline.py`: who wrote a piece;
  `rag/dateline.py`: when it was published; `rag/speaker.py`: who "he" is in a quote just shown;
- `rag/conflicts.py`: disagreeing sources; `rag/compose.py`: the answer text.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property

import numpy as np

from rag.answer_types import AnswerType
from rag.answer_types import matches_type as answer_type_matches
from rag.candidates import ScoredSentence, TermStatistics, coverage, prefer_shorter_quotes, ranked, score_pool
from rag.chat import Turn
from rag.chunking import sentence_contexts
from rag.citations import ABSTENTION_TEXT, Answer, Citation, Conflict, abstention, cite
from rag.compose import compose, conflicts_of
from rag.conflicts import ConflictPolicy, add_disagreeing_quotes
from rag.dateline import piece_answer
from rag.index_store import CorpusIndex
from rag.judge import FittedJudge, HeuristicJudge, Judge, JudgeCandidate, JudgeQuestion
from rag.off_topic import TopicCheck, relevance
from rag.reading import JudgedReading
from rag.referent import points_without_naming
from rag.resolve import ResolvedQuestion, Resolver, answering_earlier, earlier_questions, without_parallel_reading
from rag.retrieval import HybridRetriever, Passage
from rag.selection import SelectionPolicy, defining, select_quotes
from rag.settings import Settings
from rag.speaker import speaker_quote
from rag.subject import NameLexicon, SubjectCheck
from rag.term_vectors import TermVectors, term_vectors_for
from rag.time_range import time_check
from rag.wording import DocumentWording

__all__ = [
    "ABSTENTION_TEXT",
    "Answer",
    "Citation",
    "Conflict",
    "ExtractiveAnswerer",
    "JudgedReading",
    "ScoredSentence",
    "answer_type_matches",
    "cite",
    "coverage",
    "prefer_shorter_quotes",
]


class ExtractiveAnswerer:
    """Answers questions with verbatim quotes from the passages the retriever finds."""

    def __init__(self, retriever: HybridRetriever, settings: Settings, judge: Judge | None = None) -> None:
        self.retriever = retriever
        self.settings = settings
        self._judge = judge

    @property
    def index(self) -> CorpusIndex:
        return self.retriever.index

    @cached_property
    def offline_judge(self) -> FittedJudge:
        """The fitted judge of the settings (loaded on first use)."""
        path = self.settings.judge_model
        return FittedJudge.from_file(path) if path else FittedJudge.from_file()

    @property
    def judge(self) -> Judge:
        if self._judge is not None:
            return self._judge
        return HeuristicJudge() if self.settings.judge == "heuristic" else self.offline_judge

    @property
    def threshold(self) -> float:
        """The operating point: the setting when given, else the one calibrated with the fitted judge."""
        configured = self.settings.min_answer_score
        return self.offline_judge.threshold if configured is None else configured

    @property
    def relevance_floor(self) -> float:
        """The off-topic floor: the setting when given, else the one calibrated with the fitted judge."""
        configured = self.settings.min_relevance
        return self.offline_judge.relevance_floor if configured is None else configured

    @cached_property
    def stats(self) -> TermStatistics:
        return TermStatistics(self.index.sentences)

    @cached_property
    def wording(self) -> DocumentWording:
        return DocumentWording(self.index, self.stats)

    @cached_property
    def subjects(self) -> SubjectCheck:
        lexicon = NameLexicon.of(self.index.sentences, (d.text for d in self.index.documents.values()), self.stats)
        return SubjectCheck(lexicon, self.stats)

    @cached_property
    def resolver(self) -> Resolver:
        settings, wording = self.settings, self.wording
        max_chars, max_turns = settings.max_question_chars, settings.max_history_turns
        return Resolver(self.index, max_chars, max_turns, wording.spelled_out, wording.cased, self.stats.specific)

    @cached_property
    def term_vectors(self) -> TermVectors:
        return term_vectors_for(self.retriever.embedder)

    @cached_property
    def _contexts(self) -> list[str]:
        return sentence_contexts(self.index.sentences)

    def answer(self, question: str, top_k: int | None = None, history: list[Turn] | None = None) -> Answer:
        """Quotes answering `question` (asked after the chat `history`, if any) from the `top_k` best
        passages, or an abstention."""
        k = self.settings.answer_passages if top_k is None else top_k
        judged = self.best_reading(question, history, k)
        reading = judged.reading
        if judged.passages and not judged.off_topic:  # who wrote the piece, when it was published
            best = self.index.documents[judged.passages[0].chunk.doc_id]
            documents, source, read_as = self.index.documents.values(), reading.source, reading.read_as
            from_heading = piece_answer(reading.question, documents, best, self.stats.idf, source, read_as)
            if from_heading is not None:
                return from_heading
        allowed = {i for p in judged.passages for i in p.chunk.sentence_ids} | set(reading.near)
        candidates = [c for c in judged.candidates if c.sentence_id in allowed]
        threshold, confidence = self.threshold, round(judged.confidence, 4)
        if reading.asks is AnswerType.EXPANSION and not (judged.off_topic or judged.no_referent):
            pool = [c for c in judged.pool if c.sentence_id in allowed]
            definitions = defining(self.index, pool, reading.type_question)
            if definitions:  # what an abbreviation stands for, read from the documents' own definition of it
                candidates, threshold, confidence = definitions, 0.0, 1.0
        speaker = speaker_quote(self.index, question, history, self.resolver.quoted_sentences)
        if speaker:  # "Who said that?" after a quote whose "he" names no one: the person it stands for
            candidates, threshold, confidence, reading = speaker, 0.0, 1.0, replace(reading, source="previous_answer")
        policy = SelectionPolicy.of(self.settings, threshold)
        chosen = select_quotes(self.index, candidates, policy, reading.asks, reading.type_question)
        if not chosen:
            reason = judged.abstention_reason(self.threshold)
            return abstention(reading.question, confidence, reading.source, reason, reading.read_as)
        conflict_policy, asks, asked = ConflictPolicy.of(self.settings), reading.asks, reading.type_question
        chosen, disagreements = add_disagreeing_quotes(
            self.index, chosen, candidates, conflict_policy, asks, asked, judged.candidates
        )
        documents = self.index.documents
        citations = [cite(documents[s.doc_id], n, s.start, s.end, s.score) for n, s in enumerate(chosen, start=1)]
        return Answer(
            question=reading.question,
            answer=compose(reading.asks, reading.type_question, citations, disagreements),
            abstained=False,
            citations=citations,
            conflicts=conflicts_of(citations, disagreements),
            confidence=confidence,
            read_with=reading.source,
            read_as=reading.read_as,
        )

    def best_reading(self, question: str, history: list[Turn] | None, k: int) -> JudgedReading:
        """Every reading of `question` retrieved and judged; the one whose best quote is most trusted (the
        question alone on a tie: a question that stands on its own is answered on its own). An off-topic
        question (`rag/off_topic.py`), or one that only points at its subject with no conversation before it
        (`rag/referent.py`), gets its reading alone with no candidate: nothing is trusted. With the
        kind check on, a previous answer that already states the asked kind of thing leaves out the reading
        that can only find a parallel of it (`rag/resolve.py`)."""
        readings = self.resolver.readings(question, history)
        if self.settings.kind_check and len(readings) > 1:
            readings = without_parallel_reading(readings, self.wording.answer_check(question))
        earlier = {i: t for i, r in enumerate(readings) if (t := earlier_questions(r, readings[0]))}
        vectors = self.retriever.embedder.encode([r.query for r in readings] + list(earlier.values()))
        before = dict(zip(earlier, vectors[len(readings) :], strict=True))
        judged = [self.judge_reading(r, vectors[i], k, before.get(i)) for i, r in enumerate(readings)]
        alone = judged[0]
        check = TopicCheck(self.relevance_floor, self.stats)
        pool = (c.sentence_id for c in alone.pool)
        if check.off_topic(alone.reading.query, alone.relevance, with_history=len(judged) > 1, pool=pool):
            return replace(alone, candidates=[], confidence=0.0, off_topic=True)
        if len(judged) == 1 and points_without_naming(question):  # "When was it launched?", out of the blue
            return replace(alone, candidates=[], confidence=0.0, no_referent=True)
        # Whether some reading had a quote strong enough to answer before the checks set it aside.
        best = max(judged, key=lambda j: j.confidence)
        return replace(best, unchecked=max(j.unchecked for j in judged), ungated=max(j.ungated for j in judged))

    def retrieval_query(self, question: str, history: list[Turn] | None = None) -> str:
        """What retrieval looks for when `question` is asked after `history`."""
        return self.best_reading(question, history, self.settings.answer_passages).reading.query

    def passages(self, question: str, history: list[Turn] | None = None, k: int | None = None) -> list[Passage]:
        """The `k` passages an answer to `question` reads, best first (after the second stage)."""
        return self.best_reading(question, history, self.settings.answer_passages if k is None else k).passages

    def candidate_pool(
        self, reading: ResolvedQuestion, vector: np.ndarray
    ) -> tuple[list[Passage], JudgeQuestion, list[JudgeCandidate]]:
        """The first stage's passages for `reading`, and their sentences as candidates for the judge."""
        depth = min(max(self.settings.answer_passages, self.settings.rerank_depth), self.settings.max_k)
        first = self.retriever.search(reading.query, k=depth, query_vector=vector)
        ranks: dict[int, int] = {}
        for p in first:
            for sid in p.chunk.sentence_ids:
                ranks.setdefault(sid, p.rank)
        pool = score_pool(
            self.index,
            self.stats,
            reading.terms_of,
            reading.type_question,
            vector,
            ranks,
            reading.near,
            self.settings.follow_up_weight,
            self.term_vectors,
            self._contexts,
        )
        documents = self.index.documents
        candidates = [
            JudgeCandidate(s, documents[s.doc_id].text[s.start : s.end], self._contexts[s.sentence_id]) for s in pool
        ]
        return first, JudgeQuestion(reading.query, reading.asks, reading.content_terms), candidates

    def judge_reading(
        self, reading: ResolvedQuestion, vector: np.ndarray, k: int, before: np.ndarray | None = None
    ) -> JudgedReading:
        """Retrieve for `reading`, judge every candidate, and re-rank the passages by their best candidate;
        with `before`, the earlier questions' vector, leave out what answers them (`answering_earlier`)."""
        first, question, candidates = self.candidate_pool(reading, vector)
        closest = relevance(c.scored for c in candidates)
        if reading.source == "previous_answer" or reading.new_subject or reading.picked is not None:
            # The previous answer's quotes say nothing new to a reading that holds them, asks about another
            # subject or picks one item of their list (`ResolvedQuestion.leaves_out`).
            out = reading.leaves_out(
                [c.quote for c in candidates],
                [c.context for c in candidates],
                [c.scored.sentence_id for c in candidates],
            )
            candidates = [c for c, left_out in zip(candidates, out, strict=True) if not left_out]
        probabilities = self.judge.judge(question, candidates) if candidates else []
        judged = [replace(c.scored, score=p) for c, p in zip(candidates, probabilities, strict=True)]
        judged = answering_earlier(judged, self.index.sentence_vectors, before) if before is not None else judged
        best: dict[int, float] = {}
        for c in ranked(judged, keep_extended=True):
            best.setdefault(c.sentence_id, c.score)

        def passage_score(p: Passage) -> float:
            top = max((best.get(i, 0.0) for i in p.chunk.sentence_ids), default=0.0)
            return top + self.settings.first_stage_weight / p.rank

        order = sorted(first, key=lambda p: (-passage_score(p), p.rank))[:k]
        passages = [Passage(p.chunk, r, p.dense_score, p.bm25_score, p.fused_score) for r, p in enumerate(order, 1)]
        by_probability = ranked(judged)
        stating = self.stating_asked_kind(by_probability, reading.type_question)
        # A value stated for another subject than the question names (`rag/subject.py`) answers nothing.
        candidates_ranked = self.subjects.about_asked(reading, stating) if self.settings.kind_check else stating
        confidence, ungated = (c[0].score if c else 0.0 for c in (candidates_ranked, stating))
        unchecked = by_probability[0].score if by_probability else 0.0
        return JudgedReading(
            reading, passages, candidates_ranked, confidence, closest, unchecked, ungated, pool=by_probability
        )

    def stating_asked_kind(self, candidates: list[ScoredSentence], question: str) -> list[ScoredSentence]:
        """For a question asking for a kind of thing (a date, an amount, which company, where...: see
        `rag/kind_check.py`), the candidates whose quote states one; for a question bounding its time ("since
        2020": `rag/time_range.py`), those whose quote states no year or one inside it. The rest cannot answer
        it, however close they are. Only candidates strong enough to be quoted at all are read."""
        checks = [self.wording.answer_check(question), time_check(question)] if self.settings.kind_check else []
        checks = [check for check in checks if check is not None]
        if not checks:
            return candidates
        floor = min(self.threshold, self.settings.min_quote_probability, self.settings.min_conflict_score)
        documents = self.index.documents
        return [
            c
            for c in candidates
            if c.score >= floor and all(check(documents[c.doc_id].text[c.start : c.end]) for check in checks)
        ]
