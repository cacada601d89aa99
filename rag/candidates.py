"""Candidate quotes: the sentences of the retrieved passages, each with the signals a judge reads.

A candidate is a quotable sentence (or a pronoun sentence together with the one before it, so that the
quote stands alone), cut from the original text. Its signals are plain measurements of how it relates
to the question: meaning (bi-encoder cosine, alone and read in its context), IDF-weighted coverage of
the question's terms by the sentence, its context and its paragraph, whether the question's focus terms
are stated in it, whether it states a value of the kind asked for, and where retrieval ranked it.
Nothing here decides whether it answers: that is the judge's job (`rag/judge.py`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

from rag.answer_types import AnswerType, expected_type, find_values
from rag.chunking import Sentence, sentence_contexts
from rag.index_store import CorpusIndex
from rag.term_vectors import TermVectors, stems
from rag.text import tokenize

# A sentence that opens with a pronoun leans on the one before it; quote both so the quote stands alone.
_ANAPHORIC_START = re.compile(r"^(?:It|Its|They|Their|Them|This|These|Those|He|She|His|Her)\b")
# Share of the heuristic lexical score that comes from the paragraph rather than the immediate context.
PARAGRAPH_SHARE = 0.15
# The heuristic score (a judge feature, and the ranking before any judge): meaning and term coverage.
DENSE_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.4
# A two-sentence quote gives way to its first sentence alone when that scores at least this share of it.
SHORTER_QUOTE_RATIO = 0.95
# Capitalised words and acronyms of a question name what it is about ("Aquila", "NSpOC").
_WORD = re.compile(r"[A-Za-z][A-Za-z’'-]+")
_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w’'-]*|\b[A-Z]{2,}\w*")


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """A candidate quote `text[start:end]` of `doc_id` with its signals. `score` ranks candidates: the
    heuristic combination of meaning and coverage until a judge replaces it with its probability."""

    sentence_id: int
    doc_id: str
    start: int
    end: int
    score: float
    dense: float
    lexical: float
    extended: bool = False  # quoted together with the sentence before it
    type_ok: bool = True  # states a value of the kind the question asks for (or it asks for none)
    dense_alone: float = 0.0
    dense_context: float = 0.0
    cover_sentence: float = 0.0
    cover_context: float = 0.0
    cover_paragraph: float = 0.0
    focus_sentence: float = 0.0  # share of the question's focus terms stated in the quote itself
    focus_context: float = 0.0
    uncovered: float = 0.0  # IDF share of question terms known to the corpus but absent from the paragraph
    soft_sentence: float = 0.0  # IDF-weighted mean, over the question's words, of the closest word's cosine
    soft_context: float = 0.0
    value_proximity: float = 0.0  # 1 / (1 + words between a value of the asked kind and a question term)
    near_anchor: float = 0.0  # closeness to what the previous answer quoted (follow-ups)
    passage_rank: int = 0  # first-stage rank of the best passage containing it
    heuristic: float = 0.0


class TermStatistics:
    """Inverse document frequencies of tokens over the index's sentences, and each sentence's tokens."""

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
        self._idf: dict[str, float] = {}

    def specific(self, name: str, share: float = 0.1) -> bool:
        """Whether `name` has a word of its own: one the corpus uses, in at most `share` of its sentences."""
        return any(0 < self.df.get(t, 0) <= share * self.n for t in tokenize([name])[0])

    def idf(self, token: str) -> float:
        found = self._idf.get(token)
        if found is None:
            df = self.df.get(token, 0)
            found = self._idf[token] = math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))
        return found


def coverage(question_terms: set[str] | frozenset[str], terms: frozenset[str], stats: TermStatistics) -> float:
    """Share of the question's IDF mass that `terms` contain (0..1)."""
    total = sum(stats.idf(t) for t in question_terms)
    if total == 0:
        return 0.0
    return sum(stats.idf(t) for t in question_terms if t in terms) / total


def focus_terms(question: str) -> frozenset[str]:
    """The tokens of the names and acronyms a question mentions: what it is about."""
    names = " ".join(m.group(0) for m in _NAME.finditer(question))
    return frozenset(tokenize([names])[0]) if names else frozenset()


def prefer_shorter_quotes(scored: list[ScoredSentence], ratio: float = SHORTER_QUOTE_RATIO) -> list[ScoredSentence]:
    """Drop a pronoun sentence quoted with its predecessor when the predecessor alone scores nearly as well:
    then the predecessor is what answers, and the shorter quote is the better one. Keeps the order."""
    alone = {s.sentence_id: s.score for s in scored if not s.extended}
    return [s for s in scored if not (s.extended and alone.get(s.sentence_id - 1, float("-inf")) >= ratio * s.score)]


def quote_start(index: CorpusIndex, sid: int) -> int:
    """Where the quote of sentence `sid` starts: at the sentence before it when it opens with a pronoun."""
    sentence = index.sentences[sid]
    if sid > 0 and _ANAPHORIC_START.match(sentence.text):
        previous = index.sentences[sid - 1]
        if previous.doc_id == sentence.doc_id and previous.block == sentence.block and previous.quotable:
            return previous.start
    return sentence.start


def value_proximity(quote: str, values: list[tuple[int, int]], q_terms: frozenset[str]) -> float:
    """1 / (1 + the number of words between a value (character span in `quote`) and the nearest word of
    the question), 0 when none of the question's words is in the quote: a count next to "satellites"
    answers "how many satellites", one next to "member states" does not."""
    if not values or not q_terms:
        return 0.0
    words = [(m.start(), m.end()) for m in _WORD.finditer(quote)]
    word_stems = stems([quote[a:b].lower() for a, b in words])
    best = 0.0
    for v_start, v_end in values:
        inside = [i for i, (a, b) in enumerate(words) if a < v_end and v_start < b]
        if not inside:
            continue
        lo, hi = min(inside), max(inside)
        for i, stem in enumerate(word_stems):
            if stem in q_terms and not lo <= i <= hi:
                gap = lo - i - 1 if i < lo else i - hi - 1
                best = max(best, 1.0 / (1.0 + gap))
    return best


def score_pool(
    index: CorpusIndex,
    stats: TermStatistics,
    terms_of: str,
    type_question: str,
    vector: np.ndarray,
    sentence_ranks: dict[int, int],
    near: dict[int, float],
    follow_up_weight: float,
    term_vectors: TermVectors | None = None,
    contexts: list[str] | None = None,
) -> list[ScoredSentence]:
    """Each quotable sentence of `sentence_ranks` (sentence id -> first-stage passage rank) and of `near`
    (sentence id -> closeness to a follow-up's anchors), once, with its signals. Coverage counts the terms
    of `terms_of`; the kind of value wanted is read from `type_question`."""
    kind = expected_type(type_question)
    q_terms = frozenset(tokenize([terms_of])[0])
    focus = focus_terms(terms_of) & q_terms
    known = frozenset(t for t in q_terms if t in stats.df)
    exclude = f"{type_question} {terms_of}"
    # Each quotable sentence once, with where its quote starts and the quote itself.
    quotes: list[tuple[int, int, str]] = []
    for sid in dict.fromkeys([*sentence_ranks, *sorted(near)]):
        sentence = index.sentences[sid]
        if sentence.quotable:
            start = quote_start(index, sid)
            quotes.append((sid, start, index.documents[sentence.doc_id].text[start : sentence.end]))
    soft = None
    if term_vectors is not None:
        around = [contexts[sid] for sid, _, _ in quotes] if contexts is not None else []
        term_vectors.prepare([terms_of, *(q for _, _, q in quotes), *around])  # new words: one embedding call
        soft = term_vectors.soft_coverage_of(terms_of, stats.idf)
    sids = [sid for sid, _, _ in quotes]
    index.sentence_vectors.prefetch(sids)  # from the store, one query for the question's sentences
    index.context_vectors.prefetch(sids)
    scored: list[ScoredSentence] = []
    for sid, start, quote in quotes:
        sentence = index.sentences[sid]
        extended = start != sentence.start
        in_context = float(index.context_vectors[sid] @ vector)
        alone = float(index.sentence_vectors[sid] @ vector)
        # A pronoun sentence is quoted with the one before it, so it is read in context.
        dense = in_context if extended else 0.5 * (alone + in_context)
        sentence_terms = stats.sentence_tokens[sid] | (stats.sentence_tokens[sid - 1] if extended else frozenset())
        cover_context = coverage(q_terms, stats.context_tokens[sid], stats)
        cover_paragraph = coverage(q_terms, stats.paragraph_tokens[sid], stats)
        lexical = (1 - PARAGRAPH_SHARE) * cover_context + PARAGRAPH_SHARE * cover_paragraph
        closeness = near.get(sid, 0.0)
        heuristic = DENSE_WEIGHT * dense + LEXICAL_WEIGHT * lexical + follow_up_weight * closeness
        values = find_values(quote, kind, exclude=exclude) if kind is not AnswerType.OTHER else []
        type_ok = kind is AnswerType.OTHER or bool(values)
        scored.append(
            ScoredSentence(
                sentence_id=sid,
                doc_id=sentence.doc_id,
                start=start,
                end=sentence.end,
                score=heuristic,
                dense=dense,
                lexical=lexical,
                extended=extended,
                type_ok=type_ok,
                dense_alone=alone,
                dense_context=in_context,
                cover_sentence=coverage(q_terms, sentence_terms, stats),
                cover_context=cover_context,
                cover_paragraph=cover_paragraph,
                focus_sentence=coverage(focus, sentence_terms, stats) if focus else 1.0,
                focus_context=coverage(focus, stats.context_tokens[sid], stats) if focus else 1.0,
                uncovered=1.0 - coverage(known, stats.paragraph_tokens[sid], stats) if known else 0.0,
                soft_sentence=soft(quote) if soft is not None else 0.0,
                soft_context=soft(contexts[sid]) if soft is not None and contexts is not None else 0.0,
                value_proximity=value_proximity(quote, [(v.start, v.end) for v in values], q_terms),
                near_anchor=closeness,
                passage_rank=sentence_ranks.get(sid, 0),
                heuristic=heuristic,
            )
        )
    return scored


def ranked(pool: list[ScoredSentence], type_penalty: float = 1.0, keep_extended: bool = False) -> list[ScoredSentence]:
    """`pool` best first by `score` (with `type_penalty` applied to the sentences of the wrong type);
    unless `keep_extended`, a two-sentence quote gives way to its first sentence when that answers as well."""
    penalised = [c if c.type_ok else replace(c, score=c.score * type_penalty) for c in pool]
    order = sorted(penalised, key=lambda c: (-c.score, c.sentence_id))
    return order if keep_extended else prefer_shorter_quotes(order)
