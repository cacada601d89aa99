"""Whether a quote states a count of what a "how many" question counts: the count part of the answer-kind
check (`rag/kind_check.py`).

A count answers only when the question does not name it, it is not a label's number ("Article 5",
`rag/labels.py`), and what it counts is of the class the question counts: "How many U.S. Air Force
personnel are stationed there?" is not answered by "two considerations", nor "how many satellites" by "18
member states". What a number counts is the unit the count pattern of `rag/answer_types.py` reads after
it, or else the noun right after it; what a question counts is its first known unit, or else the noun its
phrase ends with ("How many NATO exercises"); "how long" counts time, and a span of years ("2020-2034")
states one; "what percentage / share / proportion" counts a share ("1.5 percent", "half of ..."). Two
nouns of no known class may name the same things ("How many walruses ...?", "412 animals"), so only a
known class tells a count of something else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from rag.answer_types import AnswerType, find_values
from rag.labels import is_label
from rag.text import stem_words

# What a count counts, by class: "how many satellites" is not answered by "18 member states", while "how
# many Allies" is answered by "17 countries". The words are the units the count pattern of
# `rag/answer_types.py` reads after a number, plus other words for the same things ("spacecraft", "firm", "staff");
# a plural is read by its stem.
_UNITS = {
    "members": "ally state country member nation participant signatory partner contributor",
    "satellites": "satellite spacecraft",
    "time": "year month week day decade",
    "companies": "company firm vendor supplier provider contractor",
    "people": "people personnel person staff employee worker troop soldier",
    "projects": "project",
    "percent": "percent cent",
}
_HOW_LONG = re.compile(r"\bhow long\b", re.I)
_WHAT_SHARE = re.compile(r"\bwhat (?:percentage|percent|share|proportion|fraction)\b", re.I)
# A share stated as a fraction: "half of active satellites" is a share, whatever it is a share of.
_FRACTION = re.compile(r"(?:half|(?:a|one|two)[- ]thirds?|(?:a|one|three)[- ]quarters?)\b", re.I)
# A time span stated by its ends: "for the period of 2020-2034", "between 1970 and 1993", "from 2019 to 2024".
_YEAR_SPAN = re.compile(r"\b(?:19|20)\d\d\s*(?:-|–|—|to|until|and)\s*(?:19|20)\d\d\b")
_HOW_MANY = re.compile(r"\bhow many\s+((?:[\w.-]+\s+){0,3}[\w.-]+)", re.I)


@lru_cache(maxsize=1)
def _unit_stems() -> dict[str, str]:
    """Stem of a unit word -> its class (so "Allies" and "ally" are one unit)."""
    return {stem: unit for unit, words in _UNITS.items() for stem in stem_words(words.split())}


def _unit(word: str) -> str | None:
    return _unit_stems().get(stem_words([word.lower()])[0])


def _unit_or_noun(word: str) -> str:
    """`word`'s class, or the word itself (by its stem) when it is of no known class ("exercises")."""
    return _unit(word) or f"noun:{stem_words([word.lower()])[0]}"


@lru_cache(maxsize=4096)
def counted_unit(question: str) -> str | None:
    """What a question counts: "how long" counts time; "what percentage / share", a share ("percent"); "how
    many", its first known unit among the next four words, or else the noun its phrase ends with ("How many
    NATO exercises ..." counts exercises)."""
    if _HOW_LONG.search(question):
        return "time"
    if _WHAT_SHARE.search(question):
        return "percent"
    m = _HOW_MANY.search(question)
    if m is None:
        return None
    known = next((u for u in map(_unit, m.group(1).split()) if u), None)
    return known or _asked_noun(question[m.start(1) :])


def _asked_noun(phrase: str) -> str | None:
    """The noun that ends the phrase opening `phrase` ("NATO exercises included space" -> "noun:exercis")."""
    from rag.nlp import tagged  # spaCy's pipeline, loaded on first use

    noun = None
    for token in tagged(phrase):
        if token.pos_ not in ("ADJ", "NOUN", "PROPN", "NUM"):
            break
        noun = token.text if token.pos_ == "NOUN" else noun
    return _unit_or_noun(noun) if noun else None


# The word right after a bare number, when it is a noun ("two considerations", "on the one hand"): any word
# but these, which follow a number without being what it counts ("two of them", "one or more").
_NEXT_WORD = re.compile(r"\s+([a-z][a-z-]*)\b")
_NOT_COUNTED_WORDS = """
of and or to in on at for by with from than more less per the a an is are was were be been has have had will
would can could may might who which that
"""
_NOT_COUNTED = frozenset(_NOT_COUNTED_WORDS.split())


def _unit_after(text: str, end: int) -> str | None:
    """The class of the noun right after a bare number ("two considerations" -> "noun:consider"), or None."""
    m = _NEXT_WORD.match(text, end)
    if m is None or m.group(1) in _NOT_COUNTED:
        return None
    return _unit_or_noun(m.group(1))


def _both_nouns(asked: str, unit: str) -> bool:
    """Whether neither is of a known class: "412 animals" may count walruses (a word for the same things,
    or a wider one); "14 NATO Allies" counts no exercises."""
    return asked.startswith("noun:") and unit.startswith("noun:")


def count_check(question: str) -> Callable[[str], bool]:
    """A count the question does not name and not a label's number ("Article 5"), whose unit (if it states
    one of a known class) is what the question counts."""
    asked = counted_unit(question)

    def states_count(text: str) -> bool:
        if asked == "time" and _YEAR_SPAN.search(text):  # "How long …?": "for the period of 2020-2034"
            return True
        for value in find_values(text, AnswerType.COUNT, exclude=question):
            if is_label(text, value):
                continue
            if asked == "percent" and _FRACTION.match(value.text):
                return True
            words = value.text.replace("-", " ").split()  # "12-year": a count of years
            unit = _unit(words[-1]) if len(words) > 1 else _unit_after(text, value.end)
            if asked is None or unit is None or unit == asked or _both_nouns(asked, unit):
                return True
        return False

    return states_count
