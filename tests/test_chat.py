"""Chat history: follow-up questions take their subject from earlier turns."""

from __future__ import annotations

import pytest

from rag.chat import Turn, contextualize, is_follow_up, previous_quotes
from rag.citations import ABSTENTION_TEXT
from rag.errors import InvalidQuery
from rag.service import QAComponents

NSPOC = [
    Turn(role="user", content="What is the NATO Space Operations Centre?"),
    Turn(role="assistant", content="It is NATO's focal point for space operations."),
]


@pytest.mark.parametrize("question", ["When was it established?", "And the Arctic one?", "Who leads?"])
def test_questions_that_lean_on_history_are_follow_ups(question: str) -> None:
    assert is_follow_up(question)


def test_a_self_contained_question_is_not_a_follow_up() -> None:
    question = "Where was the first NATO Space Symposium held in April 2024?"
    assert not is_follow_up(question)
    assert contextualize(question, NSPOC, 1000) == question


def test_a_follow_up_carries_the_last_user_question_within_the_length_limit() -> None:
    query = contextualize("When was it established?", NSPOC, 1000)
    assert query == "What is the NATO Space Operations Centre? When was it established?"
    short = contextualize("When was it established?", NSPOC, 40)
    assert len(short) <= 40 and short.endswith("When was it established?")
    assert contextualize("When was it established?", [], 1000) == "When was it established?"


def test_an_unknown_role_is_rejected() -> None:
    with pytest.raises(ValueError, match="role"):
        Turn(role="system", content="x")


def test_a_follow_up_is_answered_about_the_subject_of_the_history(components: QAComponents) -> None:
    answer = components.answerer.answer("When was it established?", history=NSPOC)
    assert not answer.abstained
    assert answer.question == "When was it established?"
    assert "2024" in answer.citations[0].quote and "Space Operations Centre" in answer.citations[0].quote


@pytest.mark.parametrize(("subject", "count"), [("NORTHLINK", "13 NATO Allies"), ("STARLIFT", "14 NATO Allies")])
def test_the_same_follow_up_is_answered_for_the_subject_under_discussion(
    components: QAComponents, subject: str, count: str
) -> None:
    history = [Turn(role="user", content=f"What is {subject}?"), Turn(role="assistant", content="...")]
    answer = components.answerer.answer("How many Allies take part in it?", history=history)
    assert not answer.abstained
    assert subject in answer.citations[0].quote and count in answer.citations[0].quote


def test_an_over_long_history_is_bad_input(components: QAComponents) -> None:
    limit = components.settings.max_history_turns
    with pytest.raises(InvalidQuery, match="history"):
        components.answerer.answer("When was it established?", history=NSPOC * (limit // 2 + 1))


def test_an_abstention_in_the_history_quotes_nothing(components: QAComponents) -> None:
    # Its words ("The documents do not answer this question.") would be the previous-answer reading's query.
    history = [
        Turn(role="user", content="What colour is the NSpOC building?"),
        Turn(role="assistant", content=ABSTENTION_TEXT),
    ]
    assert previous_quotes(history) == []
    readings = components.extractive.resolver.readings("Who commands it?", history)
    assert [r.source for r in readings] == ["alone", "previous_question", "previous_question"]
    assert readings[-1].query == "Who commands NSpOC?"  # the question's name written in (`rag/coreference.py`)
