"""Whether a quote states a date answering a "when" question: the date part of the answer-kind check
(`rag/kind_check.py`).

- A date the question does not name: the date pattern of `rag/answer_types.py` (it wants a year), or a
  month, a season or a weekday after a word that makes it a date ("when they meet in October", "released
  Tuesday"). Only this check reads the latter: the judge's signals keep the committed pattern.
- A question about the future ("When will STARLIFT conduct its first launch?", "By what year is Aquila due
  to be operational?") is not answered by the date of a past event ("The STARLIFT project was launched in
  October 2024", "In 2023, NATO's member states launched ..."). A date is of a past event when the verb
  nearest to it (spaCy's tagger) is in the past tense, or a participle after "was", "has"..., with no
  "will", "to", "expected" ... just before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.answer_types import MONTH, WEEKDAY, AnswerType, find_values

if TYPE_CHECKING:
    from spacy.tokens import Doc

# A date without its year: a month or a season after a word that makes it one ("in October", "last February",
# "this summer"; "May" alone is as often the verb), or a day of the week ("released Tuesday").
_DAY_OR_MONTH = re.compile(
    rf"\b(?:(?i:in|on|by|until|till|since|from|last|next|this|early|late|mid-?)\s+(?:{MONTH}|(?:the\s+)?"
    rf"(?:spring|summer|autumn|winter))|{WEEKDAY})\b",
)
# A question about what is still to come.
_FUTURE_QUESTION = re.compile(
    r"\b(?:will|shall|expected|due|scheduled|planned|going to)\b|\bby (?:when|what)\b", re.IGNORECASE
)
# Words just before a verb that put it in the future or in a plan ("will be launched", "is expected to sign").
_AHEAD = frozenset({"will", "would", "shall", "to", "expected", "due", "scheduled", "planned", "plans", "plan"})
_PAST_AUXILIARIES = frozenset({"was", "were", "had", "has", "have"})


def date_check(question: str) -> Callable[[str], bool]:
    """A test that a quote states a date `question` does not name and, for a question about the future,
    one that is not of a past event."""
    asked = question.lower()
    future = bool(_FUTURE_QUESTION.search(question))

    def states_date(text: str) -> bool:
        spans = [(v.start, v.end) for v in find_values(text, AnswerType.DATE, exclude=question)]
        spans += [m.span() for m in _DAY_OR_MONTH.finditer(text) if m.group().lower() not in asked]
        if not future:
            return bool(spans)
        return any(not dates_past_event(text, start, end) for start, end in spans)

    return states_date


@lru_cache(maxsize=1024)
def _tagged(text: str) -> Doc:
    """A candidate quote tagged by spaCy (the same quote is read for each date it states)."""
    from rag.nlp import tagged  # spaCy's pipeline, loaded on first use

    return tagged(text)


def dates_past_event(text: str, start: int, end: int) -> bool:
    """Whether the date `text[start:end]` is the date of something that happened (see the module's docstring)."""
    doc = _tagged(text)
    inside = [t.i for t in doc if start <= t.idx < end]
    if not inside:
        return False
    first, last = inside[0], inside[-1]
    verbs = [t for t in doc if t.pos_ in ("VERB", "AUX") and not first <= t.i <= last]
    if not verbs:
        return False
    verb = min(verbs, key=lambda t: (first - t.i) if t.i < first else (t.i - last))
    before = [doc[k].lower_ for k in range(max(0, verb.i - 3), verb.i)]
    if _AHEAD.intersection(before):
        return False
    return verb.tag_ == "VBD" or (verb.tag_ == "VBN" and bool(_PAST_AUXILIARIES.intersection(before)))
