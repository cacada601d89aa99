"""Who wrote a piece: answered from the byline of the document the question is about.

A byline ("Author: Theresa Hitchens") is debris to the sentence stages (rag/cleaning.py): it states no
content, and no question about the subject should be answered with it. But "Who wrote the article on the
commercial space strategy?" asks for exactly that line, and without it the closest content sentence answers
with whoever is quoted in the piece ("a NATO official told Breaking Defense"), the wrong person stated
with confidence. So a question asking who wrote an article, a story, a post or a piece is answered from
the byline of the document its best passage comes from, quoted verbatim with its characters in the source.

Only such questions: "Who wrote the Commercial Space Strategy?" asks who drew up the strategy, which the
byline of an article about it does not say, so a question names the kind of piece it asks about. When that
document has no byline, the question is answered like any other.
"""

from __future__ import annotations

import re

from rag.citations import Answer, ReadWith, cite
from rag.corpus import AUTHOR_LINE, Document

_WHO_WROTE = re.compile(
    r"\b(?:who\s+(?:wrote|authored|penned|(?:is|was)\s+the\s+(?:author|writer))|(?:author|writer)\s+of"
    r"|(?:which|what)\s+(?:journalist|reporter|writer|author|correspondent)\s+(?:wrote|authored|penned|filed)"
    r"|written\s+by\s+whom|by\s+whom\s+was)\b",
    re.I,
)
# The kinds of piece a question may ask about the writing of (read by `rag/dateline.py` too).
A_PIECE = re.compile(r"\b(?:article|story|piece|post|blog|column|op-?ed|news\s+item|byline|page)s?\b", re.I)


def asks_author(question: str) -> bool:
    """Whether `question` asks who wrote a piece ("Who wrote the article on ...?", "author of the story")."""
    return bool(_WHO_WROTE.search(question) and A_PIECE.search(question))


def byline_span(doc: Document) -> tuple[int, int] | None:
    """The characters of `doc`'s byline ("Author: Theresa Hitchens"), without the spaces around it, or None."""
    m = AUTHOR_LINE.search(doc.text)
    if m is None:
        return None
    start = m.start() + len(m.group()) - len(m.group().lstrip())
    return start, m.end("who")


def byline_answer(doc: Document, question: str, read_with: ReadWith, read_as: str | None) -> Answer | None:
    """Who wrote `doc`, quoted from its byline with its characters ("Theresa Hitchens [1]: “Author: Theresa
    Hitchens” [1]"), confidence 1; None when `doc` has no byline."""
    span = byline_span(doc)
    if span is None or doc.author is None:
        return None
    return heading_answer(doc, span, doc.author, question, read_with, read_as)


def heading_answer(
    doc: Document, span: tuple[int, int], lead: str, question: str, read_with: ReadWith, read_as: str | None
) -> Answer:
    """An answer read from a heading line of `doc` rather than judged (a byline, a dateline): `lead`, then the
    line `doc.text[span]` quoted with its characters; confidence 1."""
    citation = cite(doc, 1, *span, score=1.0)
    return Answer(
        question=question,
        answer=f"{lead} [1]: “{citation.quote}” [1]",
        abstained=False,
        citations=[citation],
        confidence=1.0,
        read_with=read_with,
        read_as=read_as,
    )
