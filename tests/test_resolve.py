"""Which readings of a follow-up compete (`rag/resolve.py`): a previous answer that already states the asked kind
of thing leaves out the reading that can only find a parallel of it elsewhere."""

from __future__ import annotations

from pathlib import Path

from rag.chat import Turn
from rag.evaluation.dataset import contains_answer, load_eval_set
from rag.kind_check import answer_check
from rag.resolve import Resolver, without_parallel_reading
from rag.service import QAComponents

CHAINS = Path(__file__).resolve().parents[1] / "eval" / "questions_chains.jsonl"
STARLIFT = "chain-d-002-starlift-allies"  # "How many Allies are in it?" after a quote that gives STARLIFT's 14 Allies


def _history(components: QAComponents, questions: list[str]) -> list[Turn]:
    history: list[Turn] = []
    for question in questions:
        answer = components.answerer.answer(question, history=history or None)
        history += [Turn(role="user", content=question), Turn(role="assistant", content=answer.answer)]
    return history


def _sources(resolver: Resolver, question: str, history: list[Turn]) -> list[str]:
    readings = without_parallel_reading(resolver.readings(question, history), answer_check(question))
    return [r.source for r in readings]


def test_a_previous_answer_stating_the_asked_kind_leaves_out_its_reading(components: QAComponents) -> None:
    resolver = components.extractive.resolver
    history = [
        Turn(role="user", content="When was the STARLIFT project launched?"),
        Turn(
            role="assistant",
            content="“The STARLIFT project was launched in October 2024 and currently includes 14 NATO Allies.” [1]",
        ),
    ]
    assert _sources(resolver, "How many Allies are in it?", history) == ["alone", "previous_question"]
    # The quote states no amount, so for an amount the reading with it stays.
    assert _sources(resolver, "How much did it cost?", history) == ["alone", "previous_question", "previous_answer"]
    # A question asking for no particular kind keeps every reading.
    assert without_parallel_reading(resolver.readings("Why?", history), None) == resolver.readings("Why?", history)


def test_without_a_previous_question_the_answer_reading_stays(components: QAComponents) -> None:
    resolver = components.extractive.resolver
    history = [Turn(role="assistant", content="“It currently includes 13 NATO Allies.” [1]")]
    assert _sources(resolver, "How many Allies are in it?", history) == ["alone", "previous_answer"]


def test_a_count_already_quoted_is_not_taken_from_a_parallel_project(components: QAComponents) -> None:
    # Answered as a user would get it, each answer the service's own. Before, the reading with the previous
    # answer won with NORTHLINK's "It currently includes 13 NATO Allies" (0.94).
    history = _history(components, ["What is STARLIFT?", "When was it launched?"])
    assert "14 NATO Allies" in history[-1].content
    answer = components.answerer.answer("How many Allies are in it?", history=history)
    assert not answer.abstained and answer.read_with != "previous_answer"
    assert contains_answer(answer.citations[0].quote, ["14 NATO Allies"]) and "NORTHLINK" not in answer.answer


def test_the_chain_of_that_kind_is_answered_from_its_file(components: QAComponents) -> None:
    [item] = [i for i in load_eval_set(CHAINS) if i.id == STARLIFT]
    answer = components.answerer.answer(item.question, history=list(item.history))
    assert not answer.abstained and contains_answer(" ".join(c.quote for c in answer.citations), item.answers)
