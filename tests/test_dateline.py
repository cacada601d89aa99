"""When a piece was published is answered from its dateline, quoted verbatim; nothing else is."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.corpus import dateline_span, load_document
from rag.dateline import asks_publication_date
from rag.service import QAComponents

from .conftest import SEEDS, source_text


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("When was NATO's page on its approach to space published?", True),
        ("What is the publication date of the article on the symposium?", True),
        ("On what date was the Breaking Defense article on the strategy published?", True),
        ("When did the article come out?", True),
        # When a strategy was released is not when a piece about it was published.
        ("When was the Commercial Space Strategy released?", False),
        ("When was the strategy published, according to the article?", False),
        ("Who wrote the article?", False),
    ],
)
def test_only_when_a_piece_was_published_asks_for_its_dateline(question: str, asks: bool) -> None:
    assert asks_publication_date(question) is asks


def test_the_dateline_is_the_heading_line_that_dates_a_document(tmp_path: Path) -> None:
    spans = {path.stem: dateline_span(load_document(path)) for path in sorted(SEEDS.glob("*.txt"))}
    text = source_text(SEEDS, "002_685e0ef70b0e745a")
    (start, end), written = spans["002_685e0ef70b0e745a"]
    assert text[start:end] == "Published by NATO, 24 June 2025" and written == "24 June 2025"
    (start, end), written = spans["003_c18e84aa03fe5042"]
    assert source_text(SEEDS, "003_c18e84aa03fe5042")[start:end] == written == "April 29, 2024"
    assert spans["004_f86d5d7a2ec9e2ba"] is None  # a news story with no date under its title
    # A date in the first paragraph is no dateline.
    path = tmp_path / "dated.txt"
    path.write_text("A title\n\nIn June 2019, Allies adopted a policy. It guides the Alliance.\n", encoding="utf-8")
    assert dateline_span(load_document(path)) is None


@pytest.mark.parametrize(
    ("question", "doc_id", "lead"),
    [
        ("When was NATO's page on its approach to space published?", "002_685e0ef70b0e745a", "24 June 2025"),
        ("When was the article on the inaugural NATO Space Symposium published?", "003_c18e84aa03fe5042", "April"),
    ],
)
def test_when_a_piece_was_published_is_answered_from_its_dateline(
    components: QAComponents, question: str, doc_id: str, lead: str
) -> None:
    answer = components.answerer.answer(question)
    assert not answer.abstained and len(answer.citations) == 1
    citation = answer.citations[0]
    assert citation.doc_id == doc_id
    assert citation.quote == source_text(SEEDS, doc_id)[citation.start : citation.end]
    assert answer.answer.startswith(lead) and lead in citation.quote


def test_a_piece_without_a_dateline_is_not_dated_by_another(components: QAComponents) -> None:
    # The Breaking Defense story has no dateline: no other document's dateline answers for it.
    answer = components.answerer.answer(
        "When was the Breaking Defense article on the Commercial Space Strategy published?"
    )
    datelines = {"Published by NATO, 24 June 2025", "April 29, 2024"}
    assert all(c.quote not in datelines for c in answer.citations)
