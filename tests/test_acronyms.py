"""Acronyms the documents never use are read as the names they spell there (`rag/acronyms.py`)."""

from __future__ import annotations

import pytest

from rag.acronyms import Acronyms, acronyms_in, names_by_initials
from rag.service import QAComponents

TEXTS = [
    "During the mission of NATO's International Security Assistance Force in Afghanistan, problems emerged.",
    "The Alliance Persistent Surveillance from Space programme builds Aquila.",
    "Allied Command Transformation met. Allied Commander Transformation spoke.",
    "Space Security\n\nApril 2024 was busy.",
    "Article IV of the treaty applies. NATO’s Space Agenda grows.",
]


def _everything_unused(acronym: str) -> bool:
    return True


def test_names_are_runs_of_capitalised_words_with_small_words_not_counted() -> None:
    names = names_by_initials(TEXTS)
    assert names["ISAF"] == {"International Security Assistance Force": 1}
    assert names["APSS"] == {"Alliance Persistent Surveillance from Space": 1}
    assert "SSA" not in names  # a heading and the next line are not one name
    assert "ACTA" not in names  # a name ends at punctuation ("Transformation met. Allied …")


def test_an_unused_acronym_is_spelled_out_and_a_used_or_ambiguous_one_is_not() -> None:
    acronyms = Acronyms(TEXTS)
    assert acronyms.expand("How long did the ISAF mission last?", _everything_unused) == (
        "How long did the International Security Assistance Force mission last?"
    )
    assert acronyms.expand("What is APSS?", lambda a: a != "APSS") == "What is APSS?"  # the documents use it
    assert acronyms.expand("Who leads ACT?", _everything_unused) == "Who leads ACT?"  # two names, as often
    assert acronyms.expand("What does DNA stand for?", _everything_unused) == "What does DNA stand for?"
    # Asked what it stands for, the documents' name would be the answer, and they never state it.
    for question in ("What does ISAF stand for?", "What is the full name of ISAF?", "What does ISAF mean?"):
        assert acronyms.expand(question, _everything_unused) == question
    # Two letters spell too many names, and a possessive is no part of one.
    assert acronyms.expand("Does NATO use AI?", _everything_unused) == "Does NATO use AI?"
    assert acronyms.expand("What is the NSA?", _everything_unused) == "What is the NSA?"
    assert acronyms_in("Do the NGOs and ISAF agree?") == ["NGO", "ISAF"]


def test_a_question_in_an_acronym_the_documents_spell_out_is_answered(components: QAComponents) -> None:
    answerer = components.extractive
    question = "How long did the ISAF mission last?"
    [alone] = answerer.resolver.readings(question)
    assert alone.question == question and "International Security Assistance Force" in alone.query
    answer = components.answerer.answer(question)
    assert not answer.abstained and answer.question == question
    assert answer.read_as == "How long did the International Security Assistance Force mission last?"
    assert components.answerer.answer("How long did the combat mission in Afghanistan last?").read_as is None
    assert "12-year" in answer.answer and "International Security Assistance Force" in answer.citations[0].quote


@pytest.mark.parametrize(
    "question",
    [
        "What does DNA stand for?",  # no name of the documents spells it: still off-topic
        "How much did NATO's 12-year ISAF combat mission in Afghanistan cost?",  # the documents state no cost
    ],
)
def test_spelling_out_answers_nothing_the_documents_do_not_say(components: QAComponents, question: str) -> None:
    assert components.answerer.answer(question).abstained
