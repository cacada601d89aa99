"""Select the quotes of an answer from judged candidates: the best one, if the judge trusts it enough,
and corroborating quotes that the judge trusts nearly as much."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from rag.answer_types import AnswerType, Value, find_values, normalise, reads_as_name, values_agree
from rag.candidates import ScoredSentence
from rag.countries import is_country
from rag.index_store import CorpusIndex
from rag.kind_check import asked_area
from rag.labels import is_label
from rag.nlp import entities
from rag.places import asks_where_from, only_from
from rag.settings import Settings
from rag.text import squash_whitespace


@dataclass(frozen=True, slots=True)
class SelectionPolicy:
    threshold: float  # abstain when the best candidate's probability is below this
    corroboration_ratio: float  # a further quote must reach this share of the best probability
    max_quotes: int
    min_probability: float = 0.0  # a further quote must be judged at least this likely to answer

    @classmethod
    def of(cls, settings: Settings, threshold: float) -> SelectionPolicy:
        return cls(threshold, settings.corroboration_ratio, settings.max_quotes, settings.min_quote_probability)


def key_value(kind: AnswerType, type_question: str, quote: str) -> Value | None:
    """The first value of `kind` in `quote` (the answer to a who/when/where/how-many question); for a who
    question, only one that reads as a name or a role (not a term in quotation marks); for a count, not a
    label's number ("Article 5"); for "which city / country", a name of that kind; for a place, not one
    only after "from" unless the question asks where from."""
    if kind is AnswerType.PLACE and (area := _named_area(type_question, quote)) is not None:
        return area
    values = [
        v
        for v in find_values(quote, kind, exclude=type_question)
        if reads_as_name(v)
        and not is_label(quote, v)
        and not (kind is AnswerType.PERSON and _in_quotes(quote, v))
        and not (kind is AnswerType.PLACE and only_from(quote, v.start) and not asks_where_from(type_question))
    ]
    if not values:
        return None
    if kind is AnswerType.PLACE:
        return _with_place_noun(quote, _place_alone(quote, values[0]))
    return _with_bound(quote, values[0]) if kind in (AnswerType.COUNT, AnswerType.AMOUNT) else values[0]


# A bound stated before a number is part of what the sentence says: "more than USD 1 billion", not "USD 1
# billion"; "more than half".
_BOUND = re.compile(
    r"\b(?:more|fewer|less)\s+than\s+$|\b(?:over|under|almost|nearly|about|around|approximately|roughly|"
    r"some|up\s+to|at\s+least|at\s+most)\s+$",
    re.I,
)


def _with_bound(quote: str, value: Value) -> Value:
    """`value` with the bound that the quote states right before it ("more than", "nearly"), if any."""
    m = _BOUND.search(quote[: value.start])
    return value if m is None else replace(value, start=m.start(), text=quote[m.start() : value.end])


def _named_area(question: str, quote: str) -> Value | None:
    """For "In which city / country / region …?", the first name of that kind in `quote` that the question
    does not name (spaCy's places; a country by its name for "country" or "nation", any other place for
    "city" or "town"), or None."""
    noun = asked_area(question)
    if noun is None:
        return None
    asked = question.lower()
    places = [name for label, name in entities(quote) if label in ("GPE", "LOC") and name.lower() not in asked]
    if noun in ("country", "nation"):
        places = [p for p in places if is_country(p)] or places
    elif noun in ("city", "town", "capital"):
        places = [p for p in places if not is_country(p)]
    if not places:
        return None
    start = quote.find(places[0])
    return Value(AnswerType.PLACE, start, start + len(places[0]), places[0], normalise(places[0], AnswerType.PLACE))


# The word for a site written after a name ("at NATO headquarters"): the place is the site, not the name.
_SITE = re.compile(r"[ ](?:headquarters|(?:air[ ])?base|airport|spaceport|space[ ]port|port)\b")


def _with_place_noun(quote: str, value: Value) -> Value:
    """`value` with the word for a site that follows it in lower case ("NATO headquarters"), if any."""
    m = _SITE.match(quote, value.end)
    if m is None:
        return value
    text = quote[value.start : m.end()]
    return replace(value, end=m.end(), text=text, normal=normalise(text, AnswerType.PLACE))


def _place_alone(quote: str, value: Value) -> Value:
    """A place without the capitalised word after its comma when that word opens the rest of the sentence
    ("in London, Allies declared …": London), kept when the sentence goes on after it ("in Ramstein,
    Germany, as part of …")."""
    head, comma, _ = value.text.rpartition(", ")
    if not comma or re.match(r"\s*(?:[,.;:)(]|$)", quote[value.end :]):
        return value
    return replace(value, end=value.start + len(head), text=head, normal=normalise(head, AnswerType.PLACE))


def _in_quotes(quote: str, value: Value) -> bool:
    """Whether `value` opens a phrase in quotation marks (NATO's “Front Door”): a term, not someone's name."""
    return value.start > 0 and quote[value.start - 1] in '“"‘'


def defining(index: CorpusIndex, candidates: list[ScoredSentence], type_question: str) -> list[ScoredSentence]:
    """The candidates that define the abbreviation `type_question` asks about ("NATO SATCOM Services 6th
    Generation (NSS6G)", `rag/definitions.py`), in their order. Such a quote states the answer in so many
    words, so it answers whatever the judge's probability: the judge was fitted on no such question and
    underrates them (0.27 for "What does NSS6G stand for?")."""
    return [c for c in candidates if find_values(quote_text(index, c), AnswerType.EXPANSION, type_question)]


def values_of(kind: AnswerType, type_question: str, quote: str) -> set[str]:
    """The normalised values of `kind` that `quote` states and the question does not name."""
    return {v.normal for v in find_values(quote, kind, exclude=type_question)}


def agrees(stated: set[str], other: set[str], kind: AnswerType) -> bool:
    """Whether a further quote's values of `kind` agree with the best quote's (`stated`): it states none
    (it may support the answer otherwise) or one of the same."""
    return not other or values_agree(stated, other, kind)


def overlaps(a: ScoredSentence, b: ScoredSentence) -> bool:
    return a.doc_id == b.doc_id and a.start < b.end and b.start < a.end


def quote_text(index: CorpusIndex, s: ScoredSentence) -> str:
    return index.documents[s.doc_id].text[s.start : s.end]


def select_quotes(
    index: CorpusIndex,
    candidates: list[ScoredSentence],
    policy: SelectionPolicy,
    asks: AnswerType = AnswerType.OTHER,
    type_question: str = "",
) -> list[ScoredSentence]:
    """The best candidate (`candidates` are sorted best first by probability) if it reaches the threshold,
    plus corroborating quotes.

    A further quote must score close to the best one; one from a document not yet cited is preferred, and
    overlapping quotes, or near-duplicates within one document, are skipped. When the best quote already
    states the value a who/when/where/how-many question asks for, a further quote from the same document
    adds nothing: only another document's corroboration is added, and only one that states the same value
    (or none): a quote stating another value is a disagreement (`rag/conflicts.py` sets it beside the best
    one when it is) or about something else, and corroborates nothing.
    """
    if not candidates or candidates[0].score < policy.threshold:
        return []
    best = candidates[0]
    # The threshold is about the best quote (whether the question is answered at all); a further quote is
    # judged on its own, without the best one's lead over the rest of the pool.
    floor = max(policy.min_probability, policy.corroboration_ratio * best.score)
    same_doc_floor = max(floor, (1 + policy.corroboration_ratio) / 2 * best.score)
    stated = values_of(asks, type_question, quote_text(index, best))
    if stated:
        same_doc_floor = float("inf")
    chosen = [best]
    for cand in candidates[1:]:
        if len(chosen) >= policy.max_quotes or cand.score < floor:
            break
        if cand.doc_id in {c.doc_id for c in chosen} and cand.score < same_doc_floor:
            continue
        if stated and not agrees(stated, values_of(asks, type_question, quote_text(index, cand)), asks):
            continue  # another value: a disagreement (rag/conflicts.py) or about something else
        if any(redundant(index, cand, c) for c in chosen):
            continue
        chosen.append(cand)
    return chosen


def redundant(index: CorpusIndex, a: ScoredSentence, b: ScoredSentence) -> bool:
    """Overlapping, or near-identical wording in the same document (in another it is corroboration)."""
    if overlaps(a, b):
        return True
    if a.doc_id != b.doc_id:
        return False
    ratio = fuzz.token_set_ratio(squash_whitespace(quote_text(index, a)), squash_whitespace(quote_text(index, b)))
    return ratio >= 90
