"""Which readings of a follow-up compete (`rag/resolve.py`): a previous answer that already states the asked kind
of thing leaves out the reading that can only find a parallel of it elsewhere."""

from __future__ import annotations

from pathlib import Path

from rag.chat import Turn
from rag.evaluation.dataset import contains_answer, load_eval_set
from rag.kind_check import answer_check
from rag.resolve import Resolver, earlier_questions, without_parallel_reading
from rag.selection import quote_text
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
    """The sources of the readings with the history's words (not those with a name written in)."""
    readings = without_parallel_reading(resolver.readings(question, history), answer_check(question))
    return [r.source for r in readings if r.referent is None]


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

    # So are the readings with the quote's name written in ("How many Allies are in STARLIFT?"): they would
    # find the same count again, or a parallel one. For the amount, the name's reading stays.
    def named(question: str) -> list[str]:
        readings = without_parallel_reading(resolver.readings(question, history), answer_check(question))
        return [r.query for r in readings if r.referent is not None]

    assert named("How many Allies are in it?") == []
    assert named("How much did it cost?") == ["How much did STARLIFT cost?"]
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


APPROVED = "Which document did the allies approve in February and only release at The Hague summit?"


def test_the_earlier_questions_of_the_previous_questions_reading(components: QAComponents) -> None:
    resolver = components.extractive.resolver
    history = [Turn(role="user", content=APPROVED), Turn(role="assistant", content="“The document was approved.” [1]")]
    readings = [r for r in resolver.readings("Which US strategy does it echo?", history) if r.referent is None]
    earlier = {r.source: earlier_questions(r, readings[0]) for r in readings}
    assert earlier == {"alone": "", "previous_question": APPROVED, "previous_answer": ""}


def test_a_sentence_answering_the_earlier_question_does_not_answer_the_follow_up(components: QAComponents) -> None:
    # Read with the earlier question, the follow-up finds the sentence that answered it ("The document was
    # approved by allies in February, ..."): closer to the earlier question alone than to both, it is set aside.
    history = _history(components, [APPROVED])
    assert "approved by allies in February" in history[1].content
    answerer = components.extractive
    for question, needle in [
        ("Which US strategy does it echo?", "strongly echoes the US Space Force"),
        ("What gateway for vendors does it create?", "“Front Door” as a gateway for interested vendors"),
    ]:
        answer = answerer.answer(question, history=history)
        assert not answer.abstained and needle in answer.citations[0].quote, question
        readings = answerer.resolver.readings(question, history)
        previous = next(r for r in readings if r.source == "previous_question")
        vector, before = answerer.retriever.embedder.encode([previous.query, earlier_questions(previous, readings[0])])
        k = answerer.settings.answer_passages
        without = answerer.judge_reading(previous, vector, k).pool
        kept = answerer.judge_reading(previous, vector, k, before).pool
        assert "approved by allies in February" in quote_text(answerer.index, without[0])
        assert not any("approved by allies in February" in quote_text(answerer.index, c) for c in kept)
