"""Disagreeing sources (rag/conflicts.py): when two quotes are a disagreement, and when they are not."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.answer_types import AnswerType, asked_date_part, values_agree
from rag.answering import ExtractiveAnswerer
from rag.candidates import ScoredSentence
from rag.conflicts import denied_words, denies_claim_of, disagreement_kind, says_no
from rag.service import QAComponents
from rag.text import tokenize

AFFIRMS = "In June 2019, NATO member states adopted the first framework space strategy."
DENIES = "NATO currently does not have a space strategy, space rationale, or joint space tactics."
# A negation about something else: it stifles nothing the affirmation states.
ASIDE = "NATO will offer a platform to advance standardization, without stifling innovation or speed of adoption."


@pytest.mark.parametrize(
    ("denying", "affirming", "expected"),
    [
        (DENIES, AFFIRMS, True),
        (ASIDE, AFFIRMS, False),  # shares one word ("adopt") with it: not what is denied
        ("The Alliance has no intention to put weapons in space.", "NATO will put weapons in space.", True),
        ("NATO does not own satellites.", "NATO owns eight satellites.", True),  # all it negates is stated
        (DENIES, "NATO does not have a space doctrine either.", False),  # both deny: no opposite claims
        (AFFIRMS, DENIES, False),  # the affirmation denies nothing
    ],
)
def test_a_denial_must_bear_on_what_the_other_quote_affirms(denying, affirming, expected):
    assert denies_claim_of(denying, affirming) is expected


def _terms(question: str) -> frozenset[str]:
    return frozenset(tokenize([question])[0])


@pytest.mark.parametrize(
    ("question", "denying", "affirming", "expected"),
    [
        ("Has NATO adopted a space strategy?", DENIES, AFFIRMS, True),
        ("Has NATO adopted a space strategy?", AFFIRMS, DENIES, False),  # the affirmation says no "no"
        ("Has NATO adopted a space strategy?", ASIDE, AFFIRMS, False),  # negates none of the question's words
        # It denies what the other affirms, but not what the question asks: no answer to it.
        ("Does NATO own satellites?", "NATO does not have a space strategy.", AFFIRMS, False),
        (
            "Will NATO put weapons in space?",
            "The Alliance has no intention to put weapons in space.",
            "NATO will put weapons in space.",
            True,
        ),
        # It denies what the other states ("space weapons"), but the other does not say yes to the question.
        (
            "Will NATO put weapons in space?",
            "The Alliance has no intention to put weapons in space.",
            "Russia is developing space weapons.",
            False,
        ),
    ],
)
def test_a_no_to_a_yes_or_no_question_negates_its_own_words(question, denying, affirming, expected):
    assert says_no(denying, affirming, _terms(question)) is expected


def test_a_denial_in_the_questions_words_is_the_other_side_however_low_it_is_judged(components: QAComponents):
    """ "Has NATO adopted a space strategy?": one document says its member states adopted the first framework
    space strategy, another that NATO does not have one. The judge puts the denial far below the conflict
    floor; the answer still sets the two side by side."""
    question = "Has NATO adopted a space strategy?"
    answerer = components.answerer
    judged = answerer.best_reading(question, None, answerer.settings.answer_passages)
    denial = next(
        c for c in judged.candidates if "does not have a space strategy" in answerer.index.sentences[c.sentence_id].text
    )
    assert denial.score < answerer.settings.min_conflict_score
    answer = answerer.answer(question)
    assert len(answer.conflicts) == 1
    sides = [answer.citations[i - 1] for i in answer.conflicts[0].citations]
    assert sides[0].doc_id != sides[1].doc_id
    assert answer.answer.startswith("The sources disagree")
    # Asked for more than the judge gives it, the denial is not looked for.
    strict = answerer.settings.model_copy(update={"min_denial_score": denial.score + 0.01})
    one_sided = ExtractiveAnswerer(answerer.retriever, strict).answer(question)
    assert one_sided.conflicts == []
    assert not any("does not have a space strategy" in c.quote for c in one_sided.citations)


def test_what_a_negation_denies_ends_with_its_clause():
    assert denied_words(DENIES) == [frozenset({"space", "strategi"})]
    assert denied_words(AFFIRMS) == []


def test_a_less_precise_date_agrees_and_another_value_does_not():
    assert values_agree({"2023"}, {"february 2023"}, AnswerType.DATE)
    assert not values_agree({"june 2019"}, {"january 2022"}, AnswerType.DATE)
    assert not values_agree({"february 2024"}, {"february 2025"}, AnswerType.DATE)
    assert not values_agree({"18"}, {"17"}, AnswerType.COUNT)
    assert values_agree({"18", "2"}, {"18"}, AnswerType.COUNT)


@pytest.mark.parametrize(
    ("question", "part"),
    [
        ("In which month did allies approve the strategy?", "month"),
        ("What target year did the symposium use?", "year"),
        ("When was APSS launched?", None),
        ("On what date was the symposium held?", None),
    ],
)
def test_the_part_of_a_date_a_question_asks_for(question, part):
    assert asked_date_part(question) == part


def test_dates_are_compared_on_the_part_the_question_asks_for():
    # "In which month": two years of the same month say the same month; two months do not.
    assert values_agree({"february 2025"}, {"february 2024"}, AnswerType.DATE, "month")
    assert not values_agree({"february 2025"}, {"march 2025"}, AnswerType.DATE, "month")
    assert values_agree({"2025"}, {"march 2025"}, AnswerType.DATE, "month")  # a year alone says no month
    # "What year": the same year whatever the month; two years disagree.
    assert values_agree({"june 2019"}, {"january 2019"}, AnswerType.DATE, "year")
    assert not values_agree({"june 2019"}, {"june 2022"}, AnswerType.DATE, "year")


def _sentence(components: QAComponents, text: str) -> ScoredSentence:
    """The corpus sentence containing `text`, as a candidate judged certain to answer."""
    index = components.answerer.index
    sid, s = next((i, s) for i, s in enumerate(index.sentences) if text in s.text)
    return ScoredSentence(sid, s.doc_id, s.start, s.end, score=1.0, dense=1.0, lexical=1.0, focus_context=1.0)


def test_sources_disagree_only_about_the_same_thing(components: QAComponents):
    index = components.answerer.index
    question = "When did NATO adopt its first overarching space policy?"
    first = _sentence(components, "In June 2019, NATO Defence Ministers adopted NATO’s Overarching Space Policy")
    second = _sentence(components, "It wasn't until January 2022 that NATO released its first overarching space")
    assert first.doc_id != second.doc_id
    assert disagreement_kind(index, first, second, AnswerType.DATE, question, 0.6) is AnswerType.DATE
    # The same two dates, but the second quote states less of what the question names: something else.
    vaguer = replace(second, focus_context=0.5)
    assert disagreement_kind(index, first, vaguer, AnswerType.DATE, question, 0.6) is None
    # Not close enough in meaning.
    assert disagreement_kind(index, first, second, AnswerType.DATE, question, 0.99) is None


def test_an_aside_negation_is_no_disagreement_on_a_yes_or_no_question(components: QAComponents):
    answer = components.answerer.answer("Has NATO adopted a space strategy?")
    assert not answer.abstained
    assert "adopted the first framework space strategy" in answer.citations[0].quote
    for conflict in answer.conflicts:
        assert not any("without stifling" in answer.citations[i - 1].quote for i in conflict.citations)


def test_a_quote_stating_another_value_is_not_cited_as_corroboration(components: QAComponents):
    """When did allies approve the Commercial Space Strategy: February 2025. Another document's 'June 2019'
    is about another strategy: it neither corroborates nor disagrees, so it is not quoted."""
    answer = components.answerer.answer(
        "In which month did allies approve NATO's Commercial Space Strategy, according to Breaking Defense?"
    )
    assert "February 2025" in answer.citations[0].quote
    assert not any("June 2019" in c.quote for c in answer.citations)


def test_a_month_question_is_no_disagreement_over_the_year_of_another_event(components: QAComponents):
    """Asked in which month the strategy was approved, a quote about the February 2024 creation of a
    commercial space group states the same month: no disagreement is reported (it was, over the year)."""
    answer = components.answerer.answer(
        "In which month did allies approve NATO's Commercial Space Strategy, according to Breaking Defense?"
    )
    assert "February" in answer.citations[0].quote
    assert answer.conflicts == []
    assert "disagree" not in answer.answer
