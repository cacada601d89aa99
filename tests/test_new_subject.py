"""A question that asks the previous question again about a new subject ("And for APSS?", "What about
STARLIFT?"): every reading asks the previous question's kind of answer, about the new subject, and the
previous answer's quotes answer it only if they name that subject."""

from __future__ import annotations

import pytest

from rag.answer_types import AnswerType
from rag.chat import Turn
from rag.referent import repeats_previous_question
from rag.resolve import ResolvedQuestion
from rag.service import QAComponents


@pytest.mark.parametrize(
    ("question", "repeats"),
    [
        ("And for APSS?", True),
        ("What about STARLIFT?", True),
        ("How about the Arctic one?", True),
        ("And the deputy commander of U.S. Space Command?", True),
        ("And is it funded by Luxembourg?", False),  # a question of its own (a verb)
        ("And which base?", False),  # a wh-word of its own
        ("Also, tell me about NORTHLINK.", False),
        ("What about it do you know?", False),
        ("For APSS?", False),  # no elliptic opening
    ],
)
def test_a_new_subject_alone_repeats_the_previous_question(question: str, repeats: bool) -> None:
    assert repeats_previous_question(question) is repeats


def _after(components: QAComponents, first: str, question: str):
    """`question` answered after `first` and the service's own answer to it."""
    previous = components.answerer.answer(first)
    assert not previous.abstained
    history = [Turn(role="user", content=first), Turn(role="assistant", content=previous.answer)]
    return previous, components.answerer.answer(question, history=history), history


def test_every_reading_asks_the_previous_questions_kind_about_the_new_subject(components: QAComponents) -> None:
    _, _, history = _after(components, "How much did Luxembourg give for 3SAS?", "And for APSS?")
    readings = components.extractive.resolver.readings("And for APSS?", history)
    # The previous questions' reading is left out: its words are the old subject's.
    assert [r.source for r in readings] == ["alone", "elliptic", "previous_answer"]
    assert {r.asks for r in readings} == {AnswerType.AMOUNT}
    assert {r.new_subject for r in readings} == {frozenset({"apss"})}


@pytest.mark.parametrize(
    ("first", "question", "wanted", "old"),
    [
        # Before: the previous answer's own quote about NSS6G (EUR 1 billion), from the previous questions' reading.
        ("How much is NATO investing in NSS6G?", "And in APSS?", "USD 1 billion", "NSS6G"),
        # Before: a sentence about APSS stating no amount (the question alone, read as asking for nothing).
        ("How much did Luxembourg give for 3SAS?", "And for APSS?", "EUR 16.5 million", "6.7 million"),
    ],
)
def test_the_previous_question_is_answered_about_the_new_subject(
    components: QAComponents, first: str, question: str, wanted: str, old: str
) -> None:
    previous, answer, _ = _after(components, first, question)
    assert old in previous.citations[0].quote
    assert not answer.abstained
    assert wanted in answer.citations[0].quote and old not in answer.citations[0].quote


def test_a_quote_of_the_previous_answer_that_names_the_new_subject_still_answers(components: QAComponents) -> None:
    previous, answer, _ = _after(
        components, "What does Germany value in space power construction?", "What about France?"
    )
    assert not answer.abstained
    assert answer.citations[0].quote == previous.citations[0].quote  # "Germany values ...; France focuses on ..."
    assert "France focuses" in answer.citations[0].quote


def test_what_a_reading_about_a_new_subject_leaves_out() -> None:
    reading = ResolvedQuestion(
        "And for APSS?",
        "And for APSS?",
        AnswerType.AMOUNT,
        "How much did Luxembourg give?",
        "And for APSS?",
        anchors=frozenset({1, 2}),
        new_subject=frozenset({"apss"}),
    )
    quotes = [
        "It gave 6.7 million euros.",
        "It gave 6.7 million euros for 3SAS and 16.5 million for APSS.",
        "It gave 16.5 million.",
    ]
    contexts = [
        "3SAS funding. It gave 6.7 million euros.",
        "It gave 6.7 million euros for 3SAS and 16.5 million for APSS.",
        "The APSS programme. It gave 16.5 million.",
    ]
    # A quote of the previous answer not naming APSS; one naming it; a new one read about APSS.
    assert reading.leaves_out(quotes, contexts, [1, 2, 3]) == [True, False, False]
    # A new candidate read about something else is left out too.
    assert reading.leaves_out(["It gave 2 million."], ["The 3SAS system. It gave 2 million."], [4]) == [True]
