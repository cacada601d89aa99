"""Questions asking what an abbreviation stands for are answered by a sentence that spells it out
(`rag/definitions.py`, the answer kind EXPANSION of `rag/answer_types.py`)."""

from __future__ import annotations

import pytest

from rag.answer_types import AnswerType, expected_type, find_values
from rag.definitions import abbreviations_in, asks_expansion, definitions, letters
from rag.kind_check import answer_check
from rag.service import QAComponents


def _spelled(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for d in definitions(text):
        found.setdefault(d.abbreviation, []).append(text[d.start : d.end])
    return found


def test_a_long_form_is_the_run_of_capitalised_words_next_to_the_abbreviation() -> None:
    text = (
        "In July 2024, Ministers signed the Memorandum of Understanding for the Alliance Persistent Surveillance "
        "from Space (APSS) programme. NATO is developing a Strategic Space Situational Awareness System (3SAS) "
        "to see. A project called NATO SATCOM Services 6th Generation, or NSS6G, followed. "
        "NSpOC (NATO Space Operations Centre) is in Ramstein. The Centre of Excellence (CoE) trains."
    )
    assert _spelled(text) == {
        # As many capitalised words as the abbreviation has letters: not "Memorandum of Understanding ...".
        "APSS": ["Alliance Persistent Surveillance from Space"],
        "3SAS": ["Strategic Space Situational Awareness System"],  # a leading digit repeats the capital
        "NSS6G": ["NATO SATCOM Services 6th Generation"],  # ", or NSS6G"; "6th" is one word
        "NSpOC": ["NATO Space Operations Centre"],  # the long form in brackets after it
        "CoE": ["Centre of Excellence"],  # "The" opens the sentence, not the name
    }


def test_no_definition_without_a_name_written_next_to_the_abbreviation() -> None:
    assert definitions("The results, (APSS) say, were good.") == []  # punctuation between name and brackets
    assert definitions("launched by the Allies (APSS) in 2023") == []  # one capitalised word is no name
    assert definitions("NATO (Getty) reports.") == []  # no abbreviation in the brackets
    assert letters("3SAS") == 5 and letters("NSS6G") == 5 and letters("NSpOC") == 4


def test_a_question_asks_for_a_long_form_only_when_it_names_an_abbreviation() -> None:
    for question in (
        "What does the acronym APSS stand for?",
        "What is the full name of NATO's APSS programme?",
        "What does NSpOC mean?",
    ):
        assert asks_expansion(question) and expected_type(question) is AnswerType.EXPANSION
    assert abbreviations_in("What is the full name of NATO's APSS programme?") == ["APSS"]  # not a possessive
    assert not asks_expansion("How will NATO expand APSS?")
    assert not asks_expansion("What is the full name of the strategy?")  # no abbreviation to spell out
    assert expected_type("When was APSS launched?") is AnswerType.DATE


def test_the_answer_kind_check_wants_the_asked_abbreviation_spelled_out() -> None:
    check = answer_check("What does APSS stand for?")
    assert check is not None
    assert check("the Alliance Persistent Surveillance from Space (APSS) programme")
    assert not check("The APSS initiative was launched in February 2023.")  # on the subject, not spelled out
    assert not check("the NATO Space Operations Centre (NSpOC)")  # another abbreviation
    question = "Is the Alliance Persistent Surveillance from Space what APSS stands for?"
    assert find_values("the Alliance Persistent Surveillance from Space (APSS)", AnswerType.EXPANSION, question) == []


def test_an_abbreviation_is_answered_with_its_long_form(components: QAComponents) -> None:
    answer = components.answerer.answer("What does 3SAS stand for?")
    assert not answer.abstained
    assert answer.answer.startswith("Strategic Space Situational Awareness System [1]:")
    assert "Strategic Space Situational Awareness System (3SAS)" in answer.citations[0].quote


def test_two_documents_spelling_an_abbreviation_differently_are_shown_side_by_side(
    components: QAComponents,
) -> None:
    answer = components.answerer.answer("What does the acronym APSS stand for?")
    assert not answer.abstained and answer.answer.startswith("The sources disagree")
    assert [c.about for c in answer.conflicts] == ["the full name"]
    quotes = " ".join(c.quote for c in answer.citations)
    assert "Alliance Persistent Surveillance from Space (APSS)" in quotes
    assert "Space Alliance Continuous Surveillance (APSS)" in quotes
    assert len({c.doc_id for c in answer.citations}) == 2


def test_an_abbreviation_the_documents_never_spell_out_is_not_answered(components: QAComponents) -> None:
    # SPACENET is named in the documents, never spelled out: a sentence about it does not answer.
    answer = components.answerer.answer("What does SPACENET stand for?")
    assert answer.abstained, answer.answer


@pytest.mark.parametrize(
    ("question", "long_form"),
    [
        # The judge, fitted on no such question, put these below its operating point.
        ("What does NSS6G stand for?", "NATO SATCOM Services 6th Generation"),
        ("What does NSP2K stand for?", "NATO SATCOM Post-2000"),
        # Its few words are far from every sentence in the embedding's eyes: it was found off-topic.
        ("What is the full name of NIAG?", "NATO Industrial Advisory Group"),
    ],
)
def test_an_abbreviation_the_documents_define_is_answered_with_their_definition(
    components: QAComponents, question: str, long_form: str
) -> None:
    answer = components.answerer.answer(question)
    assert not answer.abstained and answer.confidence == 1.0
    quote = answer.citations[0].quote
    assert answer.answer.startswith(f"{long_form} [1]")
    assert f"{long_form} (" in quote or f"{long_form}, or" in quote


@pytest.mark.parametrize("question", ["What does NASA stand for?", "What does SACT stand for?"])
def test_an_abbreviation_the_documents_never_define_is_abstained_on(components: QAComponents, question: str) -> None:
    assert components.answerer.answer(question).abstained


@pytest.mark.parametrize(
    "text",
    [
        "In 2024 the Agency (ESA) said so.",  # a sentence's opening word and a year are no name's words
        "Results came later (see Table 2, NSP).",
        "It was discussed in the meeting (NSP).",
    ],
)
def test_no_long_form_is_made_of_a_sentence_opening_a_year_or_lower_case_words(text: str) -> None:
    assert definitions(text) == []
