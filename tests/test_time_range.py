"""A question's explicit time range (`rag/time_range.py`): quotes stating only years outside it do not answer."""

from __future__ import annotations

import pytest

from rag.service import QAComponents, load_components
from rag.time_range import asked_years, time_check


@pytest.mark.parametrize(
    ("question", "bounds"),
    [
        ("How many satellites has NATO launched since 2020?", (2020, None)),
        ("What did NATO decide after late 2019?", (2019, None)),
        ("Which satellites did NATO launch before 1960?", (None, 1960)),
        ("What must be operational by 2030?", (None, 2030)),
        ("How many satellites did NATO launch between 1970 and 1993?", (1970, 1993)),
        ("What changed from June 2019 to January 2022?", (2019, 2022)),
        ("What has NATO done since the 1990s?", (1990, None)),
        ("In 2019, where did Allies declare space an operational domain?", (2019, 2019)),
        ("What did NATO do during the 1990s?", (1990, 1999)),
        ("When was it launched?", None),
    ],
)
def test_the_asked_years_are_read_from_the_question(question: str, bounds: tuple[int | None, int | None] | None):
    assert asked_years(question) == bounds


def test_only_a_quote_whose_every_year_is_outside_the_range_is_refused():
    check = time_check("How many satellites has NATO launched since 2020?")
    assert check is not None
    assert not check("The Alliance did launch eight communications satellites between 1970 and 1993.")
    assert check("In 2019 NATO declared space a domain; in 2024 the centre opened.")  # one year inside
    assert check("NATO relies on the satellites of its member states.")  # no year: left to the judge
    assert check("It cost 1,990 euros.")  # not a year
    assert time_check("When was it launched?") is None


def test_a_count_since_a_year_is_not_answered_with_a_count_of_long_before(components: QAComponents):
    question = "How many satellites has NATO launched since 2020?"
    answer = components.answerer.answer(question)
    assert all("1970" not in c.quote for c in answer.citations)
    # Without the check (it goes with the answer-kind check), the 1970-1993 quote is what answers.
    unchecked = load_components(components.settings.model_copy(update={"kind_check": False}))
    assert any("1970" in c.quote for c in unchecked.answerer.answer(question).citations)


def test_a_range_that_holds_the_quotes_years_is_answered(components: QAComponents):
    answer = components.answerer.answer("How many communications satellites did NATO launch between 1970 and 1993?")
    assert not answer.abstained
    assert "eight communications satellites" in answer.citations[0].quote
    answer = components.answerer.answer("In 2019, where did Allies declare space an operational domain?")
    assert not answer.abstained and "2019" in answer.citations[0].quote
