"""Where something is: a name after a locative preposition ("at Allied Air Command", "in Ramstein", "at the
2018 Brussels Summit", "in the southwest of Germany"), not one that only qualifies another ("the US Space
Force's Commercial Space Strategy"). "From" says where only to a question asking where from: "supported by
funding from Luxembourg" says nothing of where a system is developed, and "Surveillance from Space" names
no place at all.

Read by the answer-kind check for "Where …?" (`rag/kind_check.py`) and by the answer's lead
(`rag/selection.py`).
"""

from __future__ import annotations

import re

# The part of a place a name may follow: "in the southwest of Germany", "near the city of Toulouse".
_PART_OF = (
    "(?:(?:north|south)-?(?:east|west)?|east|west|centre|center|heart|middle|outskirts|suburbs|edge|city|town|"
    "region|province|state|capital)"
)


def _locative(prepositions: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{prepositions})\s+(?:the\s+)?(?:{_PART_OF}\s+of\s+(?:the\s+)?)?(?:\d{{4}}\s+)?$", re.I)


_LOCATIVE = _locative("in|at|near|outside|inside|within")
_LOCATIVE_OR_ORIGIN = _locative("in|at|near|outside|inside|within|from")
_FROM = re.compile(r"\bfrom\b", re.I)
_JUST_FROM = re.compile(r"\bfrom\s+$", re.I)


def asks_where_from(question: str) -> bool:
    """Whether `question` asks where something comes from ("… launched from?", "From where …?")."""
    return bool(_FROM.search(question))


def locative(question: str) -> re.Pattern[str]:
    """What reads a name as where something is, for `question`: after "from" too when it asks where from."""
    return _LOCATIVE_OR_ORIGIN if asks_where_from(question) else _LOCATIVE


def stands_where(preposition: re.Pattern[str], text: str, name: str) -> bool:
    """Whether `name` stands somewhere in `text` right after a preposition that `preposition` reads."""
    return any(preposition.search(text[: m.start()]) for m in re.finditer(re.escape(name), text))


def only_from(text: str, start: int) -> bool:
    """Whether the name at `start` of `text` follows "from" ("funding from Luxembourg"): where something
    comes from, which says where only to a question asking where from."""
    return bool(_JUST_FROM.search(text[:start]))
