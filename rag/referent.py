"""Whether a question names what it asks about, or only points at it ("When was it launched?").

A question whose only subject is a pronoun ("it", "they", "he") or a bare demonstrative ("Who said that?")
refers to something said before it. Asked with no conversation before it, it refers to nothing, and an
answer would be about whatever the documents say of launches in general ("The NORTHLINK project was
launched in October 2024."), so it is not answered (`no_referent`, `rag/answering.py`). After a
conversation its readings with the history resolve it (`rag/resolve.py`).

The nouns of the wh-phrase are what is asked, not a subject: "How many Allies are in it?" and "In which
city was it released?" point at their subject all the same. A question with a noun of its own ("Why was
that base chosen?", "Is it true that NATO has a space strategy?") names something and is left alone.

An elliptic question that is only a new subject ("And for APSS?", "What about STARLIFT?": no wh-word and no
verb after its opening words) asks nothing of its own: it asks the previous question again, about that
subject (`repeats_previous_question`, read by `rag/resolve.py`). "And is it funded?" or "And which base?"
ask their own.
"""

from __future__ import annotations

import re

from rag.chat import ELLIPTIC_START
from rag.nlp import tagged

_POINTING = re.compile(r"\b(?:it|its|they|them|their|he|she|him|his|her|that|this|these|those)\b", re.I)
_PRONOUNS = frozenset({"it", "its", "they", "them", "their", "he", "she", "him", "his", "her"})
_DEMONSTRATIVES = frozenset({"that", "this", "these", "those"})
_WH = frozenset({"which", "what", "whose", "how"})
_PHRASE_POS = frozenset({"ADJ", "NOUN", "PROPN", "NUM"})
_NAMING_POS = frozenset({"NOUN", "PROPN"})


def points_without_naming(question: str) -> bool:
    """Whether `question` refers to its subject only by a pronoun or a bare demonstrative, naming nothing
    else than what it asks for."""
    if not _POINTING.search(question):  # most questions: no tagging
        return False
    tokens = list(tagged(question))
    asked: set[int] = set()  # the wh-phrase's words: "which city", "how many Allies", "how much funding"
    for i, token in enumerate(tokens):
        if token.lower_ not in _WH:
            continue
        j = i + 1
        if token.lower_ == "how" and j < len(tokens) and tokens[j].lower_ in ("many", "much"):
            j += 1
        while j < len(tokens) and tokens[j].pos_ in _PHRASE_POS:
            asked.add(j)
            j += 1
    points = any(
        (t.lower_ in _PRONOUNS and t.tag_ in ("PRP", "PRP$"))
        or (t.lower_ in _DEMONSTRATIVES and (i + 1 == len(tokens) or tokens[i + 1].pos_ not in _PHRASE_POS))
        for i, t in enumerate(tokens)
    )
    return points and not any(t.pos_ in _NAMING_POS and i not in asked for i, t in enumerate(tokens))


_WH_WORD = re.compile(r"\b(?:who|whom|whose|what|when|where|which|why|how)\b", re.IGNORECASE)
# A verb that makes a clause of its own: finite, modal or bare ("is", "launched", "will", "tell"); a
# participle may modify the new subject ("the one launched in 2024").
_CLAUSE_VERB_TAGS = frozenset({"VB", "VBD", "VBP", "VBZ", "MD"})


def repeats_previous_question(question: str) -> bool:
    """Whether `question` is only a new subject for the previous question (see the module's docstring)."""
    m = ELLIPTIC_START.match(question)
    if m is None or _WH_WORD.search(question, m.end()):
        return False
    return not any(t.tag_ in _CLAUSE_VERB_TAGS for t in tagged(question[m.end() :]))
