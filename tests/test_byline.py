"""Who wrote a piece is answered from its document's byline, quoted verbatim; nothing else is."""

from __future__ import annotations

import pytest

from rag.byline import asks_author
from rag.service import QAComponents

from .conftest import SEEDS, source_text


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Who wrote the Breaking Defense article about the commercial space strategy?", True),
        ("Who is the author of the story on the symposium?", True),
        ("By whom was the piece on NATO's space policy written?", True),
        ("Which journalist wrote the Breaking Defense story on the Alliance's new plan?", True),
        ("What reporter filed the story on the strategy?", True),
        # Who drew up a strategy or a policy is not who wrote an article about it.
        ("Who wrote the Commercial Space Strategy?", False),
        ("Who is the author of NATO's Overarching Space Policy?", False),
        ("Which article describes the symposium?", False),
        ("Which journalist wrote about the commercial space strategy?", False),  # no piece named: not a byline
    ],
)
def test_only_who_wrote_a_piece_asks_for_its_author(question: str, asks: bool) -> None:
    assert asks_author(question) is asks


def test_who_wrote_the_article_is_answered_from_its_byline(components: QAComponents) -> None:
    answer = components.answerer.answer("Who wrote the article about NATO's new commercial space strategy?")
    assert not answer.abstained and len(answer.citations) == 1
    citation = answer.citations[0]
    text = source_text(SEEDS, citation.doc_id)
    assert citation.quote == text[citation.start : citation.end] == "Author: Theresa Hitchens"
    assert answer.answer.startswith("Theresa Hitchens [1]")


def test_without_the_byline_the_quoted_official_was_taken_for_the_author(components: QAComponents) -> None:
    """What the byline path replaces: the closest content sentence names someone else entirely."""
    answerer = components.answerer
    judged = answerer.best_reading("Who wrote the article about NATO's new commercial space strategy?", None, 8)
    assert all("Hitchens" not in answerer.index.documents[c.doc_id].text[c.start : c.end] for c in judged.candidates)


def test_a_document_without_a_byline_is_not_given_an_author(components: QAComponents) -> None:
    answer = components.answerer.answer("Who wrote the article about the NATO Space Symposium in Toulouse?")
    assert all(not c.quote.startswith("Author:") for c in answer.citations)
