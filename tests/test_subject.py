"""A value stated for another subject than the one a question names answers nothing (`rag/subject.py`)."""

from __future__ import annotations

import pytest

from rag.candidates import ScoredSentence
from rag.chat import Turn
from rag.reading import ResolvedQuestion
from rag.service import QAComponents
from rag.subject import NameLexicon, SubjectCheck


@pytest.fixture(scope="module")
def lexicon(components: QAComponents) -> NameLexicon:
    return components.extractive.subjects.lexicon


def test_names_are_the_corpus_own_and_not_its_everyday_words(lexicon: NameLexicon) -> None:
    assert {"starlift", "apss", "luxembourg", "nss6g"} <= lexicon.names
    # "NATO" is in too many sentences to tell one subject from another; months and currencies name nothing.
    assert not {"nato", "octob", "eur"} & lexicon.names


@pytest.mark.parametrize(
    ("question", "runs"),
    [
        ("When was the STARLIFT project launched?", [{"starlift"}]),
        ("How much did the United States contribute to the NSS6G project?", [{"unit"}, {"nss6g"}]),
        # Written in lower case it is no name the question gives ("North Atlantic" is one in the corpus).
        ("How many Allies take part in the far north project?", []),
        # A name in a clause describing the subject describes it; the source a question cites is no subject.
        ("How much did Luxembourg give the programme building the Aquila constellation?", [{"luxembourg"}]),
        ("When was the STARLIFT project launched, according to Breaking Defense?", [{"starlift"}]),
    ],
)
def test_the_names_a_question_gives_its_subject(lexicon: NameLexicon, question: str, runs: list[set[str]]) -> None:
    assert [set(run.stems) for run in lexicon.asked(question)] == runs


def test_the_run_naming_the_grammatical_subject_is_marked(lexicon: NameLexicon) -> None:
    runs = lexicon.asked("How much does the United States contribute to the APSS initiative?")
    assert [(set(run.stems), run.subject) for run in runs] == [({"unit"}, True), ({"apss"}, False)]


def test_an_abbreviation_and_its_long_form_name_one_thing(lexicon: NameLexicon) -> None:
    long_form, abbreviation = (
        lexicon.asked(f"When was {name} launched?")[0]
        for name in ("Alliance Persistent Surveillance from Space", "APSS")
    )
    assert lexicon.states(long_form, frozenset({"apss", "launch"}))
    assert lexicon.states(abbreviation, frozenset({"allianc", "persist", "surveil", "from", "space"}))
    # "NATO" spells out "North Atlantic Treaty Organization", which does not make it the Outer Space Treaty.
    treaty = lexicon.asked("When was the Outer Space Treaty signed?")[0]
    assert treaty.stems == {"treati"} and not lexicon.states(treaty, frozenset({"nato", "sign"}))


def _candidate(components: QAComponents, text: str, score: float = 0.9) -> ScoredSentence:
    index = components.extractive.index
    sid = next(i for i, s in enumerate(index.sentences) if s.text.startswith(text))
    s = index.sentences[sid]
    return ScoredSentence(sid, s.doc_id, s.start, s.end, score, score, score)


def test_only_a_value_question_about_a_named_subject_is_checked(components: QAComponents) -> None:
    check: SubjectCheck = components.extractive.subjects
    apss = _candidate(components, "On the sidelines of the 2024 Washington Summit, 17 Allies signed")

    def reading(question: str) -> ResolvedQuestion:
        return components.extractive.resolver.readings(question)[0]

    assert check.about_asked(reading("When was the Memorandum of Understanding for STARLIFT signed?"), [apss]) == []
    assert check.about_asked(reading("When was the Memorandum of Understanding for APSS signed?"), [apss]) == [apss]
    # Not a value question, or no name given: nothing to check.
    assert check.about_asked(reading("What did STARLIFT Allies sign in Washington?"), [apss]) == [apss]
    assert check.about_asked(reading("When was the Memorandum of Understanding signed?"), [apss]) == [apss]


@pytest.mark.parametrize(
    "question",
    [
        # The sentence on the APSS Memorandum (0.79 before the check) does not date STARLIFT's.
        "When was the Memorandum of Understanding for the STARLIFT project signed?",
        # NATO's own EUR 1 billion for NSS6G is not the United States' contribution.
        "How much is the United States contributing to the NSS6G project?",
        # Nor is the 17 Allies' USD 1 billion, though it names no other name: it names neither subject,
        "How much money is the United States contributing to the APSS programme?",
        # or only the object (its paragraph is on APSS), not the grammatical subject.
        "How much money does the United States contribute to the APSS initiative?",
    ],
)
def test_a_value_of_another_subject_is_no_answer(components: QAComponents, question: str) -> None:
    answerer = components.extractive
    answer = components.answerer.answer(question)
    assert answer.abstained and answer.abstention_reason == "other_subject" and answer.citations == []
    judged = answerer.best_reading(question, None, answerer.settings.answer_passages)
    assert judged.ungated >= answerer.threshold > judged.confidence


@pytest.mark.parametrize(
    ("question", "stated"),
    [
        ("When was the Memorandum of Understanding for the APSS project signed?", "2024"),
        # The long form of APSS names it in the question; the quote writes "APSS".
        (
            "When did Defence Ministers sign the Memorandum of Understanding for the Alliance Persistent "
            "Surveillance from Space programme?",
            "July 2024",
        ),
        # "Aquila" describes the programme; Luxembourg's contribution answers.
        ("How much did Luxembourg provide early on to the programme building the Aquila constellation?", "16.5"),
        # One part of a two-part question: the quote names Luxembourg, not APSS, and nothing else.
        ("How much has Luxembourg given to the strategic space situational awareness system and to APSS?", "6.7"),
    ],
)
def test_a_value_of_the_subject_named_still_answers(components: QAComponents, question: str, stated: str) -> None:
    answer = components.answerer.answer(question)
    assert not answer.abstained and stated in answer.citations[0].quote


def test_a_question_that_only_points_is_about_a_name_of_the_conversation(components: QAComponents) -> None:
    """ "When did it end?" after the ISAF mission: no sentence dates its end, and "To that end, Allied Defence
    Ministers endorsed … in February 2025" (read alone, "end" is its only word) names no name "it" may be."""
    history = [
        Turn(role="user", content="What problems did NATO's International Security Assistance Force run into?"),
        Turn(
            role="assistant",
            content="“During the 12-year combat mission of NATO's International Security Assistance Force in "
            "Afghanistan, many real-world problems have emerged.” [1]",
        ),
    ]
    readings = components.extractive.resolver.readings("When did it end?", history)
    assert "International Security Assistance Force" in readings[0].referents
    answer = components.answerer.answer("When did it end?", history=history)
    assert answer.abstained and answer.abstention_reason == "other_subject"
