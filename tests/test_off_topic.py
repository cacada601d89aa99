"""The off-topic stage (`rag/off_topic.py`): questions the corpus says nothing close to are not answered, with or
without a chat history before them, while in-corpus questions and follow-ups still are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.candidates import TermStatistics
from rag.chat import Turn
from rag.evaluation.dataset import load_eval_set
from rag.judge import DEFAULT_JUDGE_MODEL, FittedJudge, JudgeModelError, load_judge_model
from rag.off_topic import TopicCheck, relevance_floor, stated_together, unknown_terms
from rag.service import QAComponents, load_components
from rag.settings import Settings

# Off-topic questions that the judge alone answered with a NATO quote before this stage (at 0.37-0.67).
OFF_TOPIC = [
    "Where were the 2016 Summer Olympics held?",
    "What is the capital of Australia?",
    "What is the largest ocean on Earth?",
    "What is the boiling point of water at sea level in Fahrenheit?",
]

NORTHLINK_QUESTION = "What is NORTHLINK?"
DEV = Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl"


@pytest.fixture(scope="module")
def northlink_history(components: QAComponents) -> list[Turn]:
    answer = components.answerer.answer(NORTHLINK_QUESTION)
    assert not answer.abstained
    return [Turn(role="user", content=NORTHLINK_QUESTION), Turn(role="assistant", content=answer.answer)]


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_an_off_topic_question_is_not_answered(components: QAComponents, question: str):
    answerer = components.extractive
    judged = answerer.best_reading(question, None, answerer.settings.answer_passages)
    assert judged.relevance < answerer.relevance_floor
    answer = components.answerer.answer(question)
    assert answer.abstained and answer.citations == [] and answer.confidence == 0.0


@pytest.mark.parametrize(
    "question", ["Where is the Eiffel Tower?", "How many moons does Jupiter have?", "When is the next leap year?"]
)
def test_an_off_topic_question_after_a_history_is_not_answered_from_the_history(
    components: QAComponents, northlink_history: list[Turn], question: str
):
    # Read with the NORTHLINK exchange, these were answered "The NORTHLINK project was launched in October 2024."
    answer = components.answerer.answer(question, history=northlink_history)
    assert answer.abstained and answer.citations == []


def test_a_follow_up_below_the_floor_is_still_answered_from_its_history(components: QAComponents):
    # Dev's follow-up: alone, "it" names nothing and the corpus comes no closer than the floor; its words are
    # the corpus's own, so the history may lend it its subject (APSS).
    item = next(i for i in load_eval_set(DEV) if i.id == "fu-002-apss-early-contribution")
    question, history = item.question, item.history
    answerer = components.extractive
    alone = answerer.best_reading(question, None, answerer.settings.answer_passages)
    assert alone.relevance < answerer.relevance_floor
    assert unknown_terms(question, answerer.stats)[0] == 0
    answer = components.answerer.answer(question, history=history)
    assert not answer.abstained and answer.read_with != "alone"
    assert "Luxembourg" in " ".join(c.quote for c in answer.citations)


def test_in_corpus_questions_clear_the_floor(components: QAComponents):
    answerer = components.extractive
    for question in ("Where is the NATO Space Operations Centre?", "How many Allies take part in STARLIFT?"):
        judged = answerer.best_reading(question, None, answerer.settings.answer_passages)
        assert judged.relevance >= answerer.relevance_floor
        assert not components.answerer.answer(question).abstained


@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        ("What is the Schriever exercise?", "Schriever military exercise"),
        ("Why is Ramstein far from threats?", "far away from the main strategic threat direction"),
    ],
)
def test_a_question_below_the_floor_whose_words_one_sentence_states_together_is_answered(
    components: QAComponents, question: str, quoted: str
):
    answerer = components.extractive
    judged = answerer.best_reading(question, None, answerer.settings.answer_passages)
    assert judged.relevance < answerer.relevance_floor  # the cosine alone found it off-topic
    pool = [answerer.stats.sentence_tokens[c.sentence_id] for c in judged.pool]  # what it retrieved
    assert stated_together(question, pool)
    answer = components.answerer.answer(question)
    assert not answer.abstained and quoted in answer.citations[0].quote


def test_words_stated_together_means_most_of_the_question_in_one_sentence(components: QAComponents):
    stats: TermStatistics = components.extractive.stats
    assert stated_together("What is the Schriever exercise?", stats.sentence_tokens)  # both terms, one sentence
    assert not stated_together("What is the capital of Australia?", stats.sentence_tokens)  # both in the corpus, apart
    assert not stated_together("What year was the United Nations founded?", stats.sentence_tokens)  # two of four
    assert not stated_together("What is Aquila?", stats.sentence_tokens)  # one term is not enough


def test_the_floor_lies_midway_between_the_lowest_right_answer_and_the_unanswerable_below_it():
    relevances = [0.10, 0.30, 0.50, 0.70, 0.45]
    answerable = [False, False, True, True, True]
    right = [False, False, True, True, False]  # the 0.45 question was answered wrong: it does not count
    assert relevance_floor(relevances, answerable, right) == pytest.approx(0.40)
    # No unanswerable question below the lowest right answer, or no right answer at all: no check.
    assert relevance_floor([0.5, 0.6], [True, False], [True, False]) == 0.0
    assert relevance_floor([0.2, 0.6], [False, True], [False, False]) == 0.0


def test_after_a_history_only_a_question_mostly_of_words_the_corpus_never_uses_is_off_topic(
    components: QAComponents,
):
    stats: TermStatistics = components.extractive.stats
    check = TopicCheck(0.5, stats)
    assert check.off_topic("Where is the Eiffel Tower?", 0.2, with_history=False)
    assert check.off_topic("Where is the Eiffel Tower?", 0.2, with_history=True)
    # One unknown word may be the question's own word for the history's subject.
    assert unknown_terms("Who is paying for it?", stats)[0] == 1
    assert not check.off_topic("Who is paying for it?", 0.2, with_history=True)
    assert not check.off_topic("Who said that?", 0.2, with_history=True)
    assert not check.off_topic("Where is the Eiffel Tower?", 0.6, with_history=False)  # above the floor


def test_the_floor_is_calibrated_with_the_judge_and_the_setting_overrides_it(settings: Settings):
    model = load_judge_model()
    assert 0.0 < model.relevance_floor < 1.0
    assert Settings.model_fields["min_relevance"].default is None
    # With the check off, the Olympics question goes back to the judge alone (which answered it).
    components = load_components(settings.model_copy(update={"min_relevance": 0.0}))
    judged = components.extractive.best_reading(OFF_TOPIC[0], None, 5)
    assert judged.candidates and judged.confidence > 0.0


def test_a_judge_file_without_its_floor_is_refused(tmp_path: Path):
    raw = json.loads(DEFAULT_JUDGE_MODEL.read_text(encoding="utf-8"))
    del raw["relevance_floor"]
    bad = tmp_path / "judge.json"
    bad.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(JudgeModelError, match="refit"):
        FittedJudge.from_file(bad)
