"""Compose the answer text from its citations: the key value first when the question asks for one, then
the quotes; when the sources disagree, it says so and sets the sides next to each other."""

from __future__ import annotations

from rag.answer_types import AnswerType
from rag.citations import Citation, Conflict
from rag.conflicts import DISAGREEMENT_ABOUT, Disagreement
from rag.selection import key_value


def compose(asks: AnswerType, type_question: str, citations: list[Citation], disagreements: list[Disagreement]) -> str:
    quotes = " ".join(f"“{c.quote}” [{c.id}]" for c in citations)
    number = {(c.doc_id, c.start): c for c in citations}
    if disagreements:
        sides = "; ".join(
            " versus ".join(_lead(d.kind, type_question, number[(s.doc_id, s.start)]) for s in (d.first, d.second))
            for d in disagreements
        )
        return f"The sources disagree ({sides}): {quotes}"
    key = key_value(asks, type_question, citations[0].quote)
    return f"{key.text} [1]: {quotes}" if key else quotes


def conflicts_of(citations: list[Citation], disagreements: list[Disagreement]) -> list[Conflict]:
    """The `conflicts` of the answer: what each disagreement is about and the numbers of its two citations."""
    number = {(c.doc_id, c.start): c.id for c in citations}
    return [
        Conflict(
            about=DISAGREEMENT_ABOUT[d.kind],
            citations=[number[(d.first.doc_id, d.first.start)], number[(d.second.doc_id, d.second.start)]],
        )
        for d in disagreements
    ]


def _lead(kind: AnswerType, type_question: str, citation: Citation) -> str:
    key = key_value(kind, type_question, citation.quote)
    return f"{key.text} [{citation.id}]" if key else f"[{citation.id}]"
