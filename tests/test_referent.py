"""A question that only points at its subject ("When was it launched?") is not answered out of the blue
(`rag/referent.py`), and is answered after a conversation that names the subject."""

from __future__ import annotations

import pytest

from rag.chat import Turn
from rag.referent import points_without_naming
from rag.service import QAComponents


@pytest.mark.parametrize(
    "question",
    [
        "When was it launched?",
        "Who said that?",
        "How much are they contributing?",
        "How many Allies are in it?",  # "Allies" is what is asked, not the subject
        "In which city was it released?",
        "How much funding did it get, and from which country?",
    ],
)
def test_a_question_that_only_points_at_its_subject(question: str) -> None:
    assert points_without_naming(question)


@pytest.mark.parametrize(
    "question",
    [
        "When was NORTHLINK launched?",
        "Why was that base chosen?",  # names a base
        "Is it true that NATO adopted a space strategy?",  # "it" stands for no subject
        "What did they endorse in February 2025?",
        "Why?",
    ],
)
def test_a_question_that_names_something(question: str) -> None:
    assert not points_without_naming(question)


def test_out_of_the_blue_it_is_not_answered_and_after_a_conversation_it_is(components: QAComponents) -> None:
    # Before, it was answered "October 2024 [1]: The NORTHLINK project was launched in October 2024." (0.70),
    # whatever "it" was meant to be.
    alone = components.answerer.answer("When was it launched?")
    assert alone.abstained and alone.abstention_reason == "no_referent" and alone.citations == []
    first = components.answerer.answer("What is STARLIFT?")
    history = [Turn(role="user", content="What is STARLIFT?"), Turn(role="assistant", content=first.answer)]
    after = components.answerer.answer("When was it launched?", history=history)
    assert not after.abstained and "STARLIFT" in after.citations[0].quote and "October 2024" in after.answer
