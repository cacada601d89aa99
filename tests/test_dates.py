"""The date part of the answer-kind check: a date the question does not name, and for a question about
the future, not the date of a past event."""

from __future__ import annotations

import pytest

from rag.dates import date_check, dates_past_event

AQUILA = (
    "In 2023, NATO's 18 member states, along with Sweden, launched the APSS initiative to create a "
    "constellation called Aquila, which will provide NATO with faster and better intelligence."
)


@pytest.mark.parametrize(
    ("question", "quote", "answers"),
    [
        # The date of a past event does not answer a question about the future ...
        ("When will STARLIFT conduct its first launch?", "The STARLIFT project was launched in October 2024.", False),
        ("By what year is the Aquila constellation due to be fully operational?", AQUILA, False),  # "will" is later
        ("When are ministers expected to sign the plan?", "In February 2025, Defence Ministers endorsed it.", False),
        ("When will the centre open?", "The centre has opened in 2024.", False),
        # ... a date of what is still to come does.
        ("When will the constellation be complete?", "The constellation will be completed in 2027.", True),
        ("When will the constellation be complete?", "It is expected to be complete by 2030.", True),
        ("When are ministers expected to sign the plan?", "They will sign it when they meet in October.", True),
        # A question about the past is answered by the date of a past event.
        ("When was STARLIFT launched?", "The STARLIFT project was launched in October 2024.", True),
        ("When was STARLIFT launched?", "The STARLIFT project was launched after long talks.", False),  # no date
    ],
)
def test_a_date_answers_by_its_tense(question: str, quote: str, answers: bool) -> None:
    assert date_check(question)(quote) is answers


def test_the_nearest_verb_tells_whose_date_it_is() -> None:
    text = "The STARLIFT project was launched in October 2024 and currently includes 14 Allies."
    start = text.index("October 2024")
    assert dates_past_event(text, start, start + len("October 2024"))  # "launched", not "includes"
    text = "The project will be launched in 2027, years after it was announced."
    assert not dates_past_event(text, text.index("2027"), text.index("2027") + 4)
