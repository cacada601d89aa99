"""Disagreeing sources: two strong quotes from different documents that answer the same question with
different values (a date, a count, an amount) or with opposite claims (one denies what the other affirms).

Both quotes must be judged to answer the question (their probabilities clear the conflict floor) and be
about the same thing (close in meaning); then they are quoted side by side and reported in `conflicts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer_types import TYPE_NOUN, AnswerType, find_values
from rag.candidates import ScoredSentence
from rag.index_store import CorpusIndex
from rag.selection import overlaps, quote_text

# Values two sources can state differently for the same thing, and what the answer calls them.
COMPARABLE = [AnswerType.DATE, AnswerType.COUNT, AnswerType.AMOUNT]
DISAGREEMENT_ABOUT = {**{k: f"the {TYPE_NOUN[k]}" for k in COMPARABLE}, AnswerType.OTHER: "what is the case"}
# A statement that denies ("does not have", "no intention"): with one that affirms the same, a disagreement.
_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|without)\b|n[’']t\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ConflictPolicy:
    min_probability: float  # both sides must be judged at least this likely to answer
    ratio: float  # the second side must reach this share of the first side's probability
    similarity: float  # cosine of the two sentences: about the same thing


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Two quotes from different documents that state different values (`kind`) for the same thing, or
    of which one denies what the other affirms (`kind` OTHER)."""

    kind: AnswerType
    first: ScoredSentence
    second: ScoredSentence


def denies(text: str) -> bool:
    return bool(_NEGATION.search(text))


def disagreement_kind(
    index: CorpusIndex, a: ScoredSentence, b: ScoredSentence, asks: AnswerType, type_question: str, similarity: float
) -> AnswerType | None:
    """What kind of value `a` and `b` disagree on (OTHER: one denies what the other affirms), or None."""
    cosine = float(index.sentence_vectors[a.sentence_id] @ index.sentence_vectors[b.sentence_id])
    if cosine < similarity:
        return None
    text_a, text_b = quote_text(index, a), quote_text(index, b)
    kinds = [asks] if asks in COMPARABLE else [] if asks is not AnswerType.OTHER else COMPARABLE
    for kind in kinds:
        values_a = {v.normal for v in find_values(text_a, kind, exclude=type_question)}
        values_b = {v.normal for v in find_values(text_b, kind, exclude=type_question)}
        if values_a and values_b and not values_a & values_b and not same_year(values_a, values_b, kind):
            return kind
    if asks is AnswerType.OTHER and denies(text_a) != denies(text_b):
        return AnswerType.OTHER
    return None


def add_disagreeing_quotes(
    index: CorpusIndex,
    chosen: list[ScoredSentence],
    candidates: list[ScoredSentence],
    policy: ConflictPolicy,
    asks: AnswerType,
    type_question: str,
) -> tuple[list[ScoredSentence], list[Disagreement]]:
    """Look among strong candidates from other documents for one that disagrees with the best quote.
    Such a quote is added (if not already chosen) and the pair reported."""
    best = chosen[0]
    floor = max(policy.min_probability, policy.ratio * best.score)
    disagreements: list[Disagreement] = []
    seen_docs = {best.doc_id}
    for cand in candidates[1:]:
        if cand.score < floor:
            break
        if cand.doc_id in seen_docs or any(overlaps(cand, c) for c in chosen if c is not cand):
            continue
        kind = disagreement_kind(index, best, cand, asks, type_question, policy.similarity)
        if kind is None:
            continue
        seen_docs.add(cand.doc_id)
        if cand not in chosen:
            chosen = [*chosen, cand]
        disagreements.append(Disagreement(kind, best, cand))
    return chosen, disagreements


def same_year(a: set[str], b: set[str], kind: AnswerType) -> bool:
    """'2023' and 'february 2023' do not disagree: one is only less precise."""
    if kind is not AnswerType.DATE:
        return False
    years = lambda values: {v.split()[-1] for v in values}  # noqa: E731
    return bool(years(a) & years(b)) and any(len(v.split()) == 1 for v in a | b)
