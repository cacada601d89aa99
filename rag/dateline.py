"""When a piece was published: answered from its dateline.

A dateline ("Published by NATO, 24 June 2025", or a date on a line of its own under the title) is a heading
to the sentence stages (`rag/corpus.py` reads it as the document's date): it states no content, and no
question about the subject should be answered with it. But "When was NATO's page on its approach to space
published?" asks for exactly that line, and without it the closest content sentence answers with a date of
what the piece is about. So a question asking when an article, a page, a story or a post was published is
answered from the dateline of that piece, quoted verbatim with its characters in the source, as
`rag/byline.py` answers who wrote it.

Only such questions: "When was the Commercial Space Strategy released?" asks about the strategy, which the
dateline of a page about it does not date, so a question names the kind of piece it asks about. Which piece
is read from how the question describes it: the document whose title and publisher share the most of its
words (weighted by rarity: "the page on its approach to space" is "NATO's approach to space"), else the one
its best passage comes from. When that document has no dateline, the question is answered like any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from rag.byline import A_PIECE, asks_author, byline_answer, heading_answer
from rag.citations import Answer, ReadWith
from rag.corpus import Document, dateline_span
from rag.text import tokenize

_PIECE = A_PIECE.pattern
_PUT_OUT = r"(?:published|posted|put\s+online|issued|dated|written|released|out)"
# The piece is what the question dates: it stands between the question word and the verb ("When was NATO's
# page on its approach to space published?"), or after "publication date of". "When was the strategy
# published, according to the article?" dates the strategy, and is answered like any other question.
_WHEN_PUBLISHED = re.compile(
    rf"\b(?:when|(?:what|which)\s+(?:date|day|year|month))\s+(?:was|were|is|did|has|had)\b[^?,;]*?{_PIECE}"
    rf"[^?,;]*?\b{_PUT_OUT}\b|\b(?:publication|release)\s+date\s+of\b[^?,;]*?{_PIECE}",
    re.I,
)


def asks_publication_date(question: str) -> bool:
    """Whether `question` asks when a piece was published ("When was the article on ... published?")."""
    return bool(_WHEN_PUBLISHED.search(question))


def which_piece(question: str, documents: Iterable[Document], idf: Callable[[str], float]) -> Document | None:
    """The document whose title and publisher share the most of `question`'s terms (IDF-weighted; the first
    on a tie), or None when none shares any."""
    asked = set(tokenize([question])[0])
    best, most = None, 0.0
    for doc in documents:
        shared = sum(idf(t) for t in asked & _named_by(doc.title, doc.publisher))
        if shared > most:
            best, most = doc, shared
    return best


def dateline_answer(doc: Document, question: str, read_with: ReadWith, read_as: str | None) -> Answer | None:
    """When `doc` was published, quoted from its dateline with its characters ("24 June 2025 [1]: “Published
    by NATO, 24 June 2025” [1]"), confidence 1; None when `doc` has no dateline."""
    found = dateline_span(doc)
    if found is None:
        return None
    span, date = found
    return heading_answer(doc, span, date, question, read_with, read_as)


def piece_answer(
    question: str,
    documents: Iterable[Document],
    best: Document,
    idf: Callable[[str], float],
    read_with: ReadWith,
    read_as: str | None,
) -> Answer | None:
    """For a question about the piece itself, the answer from its heading: who wrote it, from the byline of
    `best` (the document its best passage comes from, `rag/byline.py`), or when it was published, from the
    dateline of the piece it describes; None for any other question, or when that heading is missing."""
    if asks_author(question):
        return byline_answer(best, question, read_with, read_as)
    if asks_publication_date(question):
        return dateline_answer(which_piece(question, documents, idf) or best, question, read_with, read_as)
    return None


@lru_cache(maxsize=65536)
def _named_by(title: str, publisher: str | None) -> frozenset[str]:
    """The terms of a document's title and publisher (tokenised once per document, not per question)."""
    return frozenset(tokenize([f"{title} {publisher or ''}"])[0])
