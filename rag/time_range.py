"""A question's explicit time range, and quotes that state only years outside it.

"How many satellites has NATO launched since 2020?" was answered "eight communications satellites [1]"
from a quote about the ones launched "between 1970 and 1993" (at 0.90): the quote states how many, about
the subject, and the judge reads no dates. A question that bounds its time ("since 2020", "after 2019",
"before 2021", "until 2030", "by 2030", "between 2019 and 2022", "from 2019 to 2022"), or names the year it
asks about ("in 2022", "during the 1990s"), cannot be answered by a quote all of whose years lie outside.
Bounds are read inclusively and a decade ("since the 1990s") from its first year, so only a plain
contradiction is refused; a quote that states no year, or any year inside, is left to the judge.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.answer_types import MONTH, YEAR, AnswerType, find_values

_YEAR = rf"({YEAR})s?"
_LEAD = rf"(?:the\s+)?(?:(?:early|late|mid)[-\s]+)?(?:{MONTH}\s+)?(?:\d{{1,2}}\s+{MONTH}\s+)?"
_BETWEEN = re.compile(rf"\b(?:between|from)\s+{_LEAD}{_YEAR}\s+(?:and|to|until|till|through)\s+{_LEAD}{_YEAR}\b", re.I)
_AFTER = re.compile(rf"\b(?:since|after)\s+{_LEAD}{_YEAR}\b", re.I)
_BEFORE = re.compile(rf"\b(?:before|prior\s+to|until|till|by)\s+{_LEAD}{_YEAR}\b", re.I)
_IN = re.compile(rf"\b(?:in|during)\s+{_LEAD}{_YEAR}\b", re.I)

Bounds = tuple[int | None, int | None]


def asked_years(question: str) -> Bounds | None:
    """The first and last year `question` asks about (None: open on that side), or None when it bounds none."""
    if m := _BETWEEN.search(question):
        first, last = sorted((int(m.group(1)), int(m.group(2))))
        return first, last + 9 if m.group(0).endswith("s") else last
    low = int(m.group(1)) if (m := _AFTER.search(question)) else None
    high = int(m.group(1)) if (m := _BEFORE.search(question)) else None
    if low is None and high is None:
        if m := _IN.search(question):
            year = int(m.group(1))
            return year, year + 9 if m.group(0).endswith("s") else year
        return None
    return low, high


def outside(years: list[int], bounds: Bounds) -> bool:
    """Whether there are `years` and every one lies outside `bounds`."""
    low, high = bounds
    return bool(years) and all((low is not None and y < low) or (high is not None and y > high) for y in years)


def time_check(question: str) -> Callable[[str], bool] | None:
    """For a question with an explicit time range, whether a quote may answer it (it states no year, or one
    inside the range); None for a question with none."""
    bounds = asked_years(question)
    if bounds is None:
        return None
    return lambda quote: not outside(years_in(quote), bounds)


def years_in(quote: str) -> list[int]:
    """The years of the dates `quote` states (the date patterns of `rag/answer_types.py`)."""
    return [int(v.normal.split()[-1]) for v in find_values(quote, AnswerType.DATE)]
