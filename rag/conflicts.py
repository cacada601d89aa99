"""Disagreeing sources: two strong quotes from different documents that answer the same question with
different values (a date, a count, an amount; when asked, the long form of an abbreviation) or with
opposite claims (one denies what the other affirms).

Both quotes must be judged to answer the question (their probabilities clear the conflict floor) and be
about the same thing: close in meaning, and the second stating as much of what the question names (its
focus, read in context) as the first; a quote that leaves out a name the first one states ("the first
framework space strategy" against "the NATO Commercial Space Strategy") is about something else. A denial
must bear on what the other quote affirms: the words it negates are stated there ("does not have a space
strategy" against "adopted the first framework space strategy"; not "without stifling innovation").
Then the two are quoted side by side and reported in `conflicts`.

A yes-or-no question is also answered "no" by a denial in its own words: "Has NATO adopted a space
strategy?" by "NATO currently does not have a space strategy", which negates two of the question's terms.
Such a denial, from another document than an answer that affirms, is the other side of the answer however
low the judge puts it (it scores a denial as if it were a statement about something else: 0.04 for that
one). It is looked for in every judged candidate of the reading, at `min_denial_probability` or above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer_types import TYPE_NOUN, AnswerType, asked_date_part, is_polar, values_agree
from rag.candidates import ScoredSentence
from rag.index_store import CorpusIndex
from rag.selection import overlaps, quote_text, values_of
from rag.settings import Settings
from rag.text import tokenize

# Values two sources can state differently for the same thing, and what the answer calls them.
COMPARABLE = [AnswerType.DATE, AnswerType.COUNT, AnswerType.AMOUNT]
# Compared only when the question asks for them: two long forms of an abbreviation the question names.
ASKED_ONLY = [AnswerType.EXPANSION]
DISAGREEMENT_ABOUT = {
    **{k: f"the {TYPE_NOUN[k]}" for k in COMPARABLE + ASKED_ONLY},
    AnswerType.OTHER: "what is the case",
}
# A statement that denies ("does not have", "no intention"): with one that affirms the same, a disagreement.
_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|without)\b|n[’']t\b", re.IGNORECASE)
# What a negation denies: the words after it, to the end of its clause, at most this many.
_SCOPE_WORDS = 8
_CLAUSE_END = re.compile(r"[,;:.?!()“”\"]")
# A denial bears on the other quote's claim when this many of the words it negates are stated there (or
# all of them, when it negates fewer).
_SHARED_DENIED_WORDS = 2
# A denial answers a yes-or-no question "no" when this many of the words it negates are the question's.
_ASKED_DENIED_WORDS = 2


@dataclass(frozen=True, slots=True)
class ConflictPolicy:
    min_probability: float  # both sides must be judged at least this likely to answer
    ratio: float  # the second side must reach this share of the first side's probability
    similarity: float  # cosine of the two sentences: about the same thing
    min_denial_probability: float = 1.0  # a "no" to a yes-or-no question, in its words: at least this likely

    @classmethod
    def of(cls, settings: Settings) -> ConflictPolicy:
        return cls(
            settings.min_conflict_score,
            settings.conflict_ratio,
            settings.conflict_similarity,
            settings.min_denial_score,
        )


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Two quotes from different documents that state different values (`kind`) for the same thing, or
    of which one denies what the other affirms (`kind` OTHER)."""

    kind: AnswerType
    first: ScoredSentence
    second: ScoredSentence


def denies(text: str) -> bool:
    return bool(_NEGATION.search(text))


def denied_words(text: str) -> list[frozenset[str]]:
    """For each negation in `text`, the content terms (as `tokenize` makes them) of what it negates: the
    rest of its clause, at most _SCOPE_WORDS words."""
    scopes = []
    for m in _NEGATION.finditer(text):
        rest = text[m.end() :]
        end = _CLAUSE_END.search(rest)
        scopes.append(" ".join((rest[: end.start()] if end else rest).split()[:_SCOPE_WORDS]))
    return [frozenset(t) for t in tokenize(scopes)] if scopes else []


def denies_claim_of(denying: str, affirming: str) -> bool:
    """Whether `denying` negates something `affirming` states: one of its negations bears on words that
    `affirming` uses, and `affirming` itself denies nothing."""
    if denies(affirming):
        return False
    stated = frozenset(tokenize([affirming])[0])
    return any(
        scope and len(scope & stated) >= min(_SHARED_DENIED_WORDS, len(scope)) for scope in denied_words(denying)
    )


def says_no(denying: str, affirming: str, asked: frozenset[str]) -> bool:
    """Whether `denying` answers "no" where `affirming` answers "yes" to a yes-or-no question whose content
    terms are `asked`: it negates what `affirming` states, the words it negates include the question's, and
    `affirming` states those ("no intention to put weapons in space" says no to "Will NATO put weapons in
    space?" against "NATO will put weapons in space", not against "Russia is developing space weapons")."""
    if not denies_claim_of(denying, affirming):
        return False
    stated = frozenset(tokenize([affirming])[0])
    return any(len(scope & asked) >= _ASKED_DENIED_WORDS and scope & asked <= stated for scope in denied_words(denying))


def disagreement_kind(
    index: CorpusIndex, a: ScoredSentence, b: ScoredSentence, asks: AnswerType, type_question: str, similarity: float
) -> AnswerType | None:
    """What kind of value `a` (the best quote) and `b` disagree on (OTHER: one denies what the other
    affirms), or None when they agree or are not about the same thing."""
    cosine = float(index.sentence_vectors[a.sentence_id] @ index.sentence_vectors[b.sentence_id])
    # Two long forms of the abbreviation asked about are about one thing, whatever else either names.
    if cosine < similarity or (b.focus_context < a.focus_context and asks not in ASKED_ONLY):
        return None
    text_a, text_b = quote_text(index, a), quote_text(index, b)
    kinds = [asks] if asks in COMPARABLE + ASKED_ONLY else [] if asks is not AnswerType.OTHER else COMPARABLE
    for kind in kinds:
        values_a, values_b = values_of(kind, type_question, text_a), values_of(kind, type_question, text_b)
        # Compared on what the question asks: "in which month" is not answered differently by two years.
        if values_a and values_b and not values_agree(values_a, values_b, kind, asked_date_part(type_question)):
            return kind
    if asks is AnswerType.OTHER and (denies_claim_of(text_a, text_b) or denies_claim_of(text_b, text_a)):
        return AnswerType.OTHER
    return None


def add_disagreeing_quotes(
    index: CorpusIndex,
    chosen: list[ScoredSentence],
    candidates: list[ScoredSentence],
    policy: ConflictPolicy,
    asks: AnswerType,
    type_question: str,
    judged: list[ScoredSentence] | None = None,
) -> tuple[list[ScoredSentence], list[Disagreement]]:
    """Look among strong candidates from other documents for one that disagrees with the best quote.
    Such a quote is added (if not already chosen) and the pair reported. For a yes-or-no question with no
    such quote, look among every `judged` candidate for the other answer in the question's words."""
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
    if not disagreements and judged and asks is AnswerType.OTHER and is_polar(type_question):
        return _with_other_answer(index, chosen, judged, policy, type_question)
    return chosen, disagreements


def _with_other_answer(
    index: CorpusIndex,
    chosen: list[ScoredSentence],
    judged: list[ScoredSentence],
    policy: ConflictPolicy,
    question: str,
) -> tuple[list[ScoredSentence], list[Disagreement]]:
    """`chosen` with the first of `judged` (best first) from another document that says no where the best
    quote says yes to the yes-or-no `question`, or yes where it says no, and that pair; else `chosen` alone."""
    best = chosen[0]
    asked = frozenset(tokenize([question])[0])
    text_best = quote_text(index, best)
    for cand in judged:
        if cand.score < policy.min_denial_probability:
            break
        if cand.doc_id == best.doc_id or any(overlaps(cand, c) for c in chosen):
            continue
        if (
            float(index.sentence_vectors[best.sentence_id] @ index.sentence_vectors[cand.sentence_id])
            < policy.similarity
        ):
            continue
        text = quote_text(index, cand)
        if says_no(text, text_best, asked) or says_no(text_best, text, asked):
            return [*chosen, cand], [Disagreement(AnswerType.OTHER, best, cand)]
    return chosen, []
