"""The evaluation set: it loads, meets the category minimums and agrees with the real seed files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rag.corpus import load_corpus
from rag.evaluation.dataset import (
    MINIMUM_COUNTS,
    MINIMUM_FACTS_PER_DOCUMENT,
    Category,
    EvalItem,
    EvalSetError,
    check_against_corpus,
    contains_answer,
    load_eval_set,
)
from tests.conftest import KNOWN_DEBRIS

REPO = Path(__file__).resolve().parents[1]
EVAL_SET = REPO / "eval" / "questions.jsonl"
TRAIN_SET = REPO / "eval" / "questions_train.jsonl"  # the judge's further fitting questions
CHAINS = REPO / "eval" / "questions_chains.jsonl"  # follow-ups three questions deep (never gated)
SEEDS = REPO / "seeds"


@pytest.fixture(scope="module")
def dev_items() -> list[EvalItem]:
    return load_eval_set(EVAL_SET)


@pytest.fixture(scope="module", params=[EVAL_SET, TRAIN_SET], ids=["dev", "train"])
def items(request: pytest.FixtureRequest) -> list[EvalItem]:
    """Each file of questions the project tunes on: every consistency check holds for both."""
    return load_eval_set(request.param)


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {doc.doc_id: doc.text for doc in load_corpus(SEEDS)}


def by_category(items: list[EvalItem], category: Category) -> list[EvalItem]:
    return [item for item in items if item.category is category]


def test_the_set_loads_with_unique_ids(dev_items: list[EvalItem]) -> None:
    ids = [item.id for item in dev_items]
    assert len(ids) == len(set(ids))
    assert len(dev_items) >= 90


def test_the_training_questions_are_new_and_named_apart(dev_items: list[EvalItem]) -> None:
    train = load_eval_set(TRAIN_SET)
    assert all(item.id.startswith("train-") for item in train)
    assert not {item.id for item in train} & {item.id for item in dev_items}
    assert not {item.question.lower() for item in train} & {item.question.lower() for item in dev_items}


@pytest.mark.parametrize("category", list(MINIMUM_COUNTS))
def test_each_category_meets_its_minimum(dev_items: list[EvalItem], category: Category) -> None:
    assert len(by_category(dev_items, category)) >= MINIMUM_COUNTS[category]


def test_every_seed_document_has_enough_fact_questions(dev_items: list[EvalItem], texts: dict[str, str]) -> None:
    facts = Counter(doc for item in by_category(dev_items, Category.FACT) for doc in item.gold_docs)
    for doc_id in texts:
        assert facts[doc_id] >= MINIMUM_FACTS_PER_DOCUMENT, doc_id


def test_the_set_agrees_with_the_real_seeds(items: list[EvalItem], texts: dict[str, str]) -> None:
    assert check_against_corpus(items, texts) == []


def test_answers_are_non_blank(items: list[EvalItem]) -> None:
    for item in items:
        assert all(a.strip() for a in item.answers), item.id
        assert all(a.strip() for side in item.sides for a in side.answers), item.id


def test_no_evidence_lies_on_debris(items: list[EvalItem], texts: dict[str, str]) -> None:
    for item in items:
        for span in item.evidence:
            quoted = texts[span.doc_id][span.start : span.end]
            assert not any(debris in quoted for debris in KNOWN_DEBRIS), item.id


def test_disagreements_have_sides_from_at_least_two_documents(items: list[EvalItem]) -> None:
    for item in by_category(items, Category.DISAGREEMENT):
        side_docs = [{span.doc_id for span in side.evidence} for side in item.sides]
        assert len(set().union(*side_docs)) >= 2, item.id
        # the item's answers and evidence are the union of its sides'
        assert {a for side in item.sides for a in side.answers} == set(item.answers), item.id
        assert {s for side in item.sides for s in side.evidence} == set(item.evidence), item.id


def test_multi_document_items_cite_two_documents(items: list[EvalItem]) -> None:
    for item in by_category(items, Category.MULTI_DOC):
        assert len({span.doc_id for span in item.evidence}) >= 2, item.id


def test_the_chains_are_new_three_question_chats_that_agree_with_the_seeds(
    dev_items: list[EvalItem], texts: dict[str, str]
) -> None:
    chains = load_eval_set(CHAINS)
    assert len(chains) >= 16 and all(item.id.startswith("chain-") for item in chains)
    assert check_against_corpus(chains, texts) == []
    others = [*dev_items, *load_eval_set(TRAIN_SET)]
    assert not {item.id for item in chains} & {item.id for item in others}
    assert not {item.question.lower() for item in chains} & {item.question.lower() for item in others}
    for item in chains:
        assert item.category is Category.FOLLOW_UP, item.id
        assert [t.role for t in item.history] == ["user", "assistant", "user", "assistant"], item.id
        for turn in item.history[1::2]:
            assert any(turn.content in text for text in texts.values()), item.id  # verbatim answers
    kinds = Counter(t for item in chains for t in item.tags)
    assert kinds["topic_switch"] >= 4 and kinds["referent_two_turns_back"] >= 8


def test_unanswerable_items_are_tagged(items: list[EvalItem]) -> None:
    unanswerable = by_category(items, Category.UNANSWERABLE)
    kinds = Counter()
    for item in unanswerable:
        tags = {"in_domain", "off_topic"} & set(item.tags)
        assert len(tags) == 1, item.id
        kinds.update(tags)
    assert kinds["in_domain"] >= 10
    assert kinds["off_topic"] >= 5


def test_follow_up_histories_end_with_a_verbatim_assistant_quote(items: list[EvalItem], texts: dict[str, str]) -> None:
    for item in by_category(items, Category.FOLLOW_UP):
        assert item.history[0].role == "user", item.id
        assert item.history[-1].role == "assistant", item.id
        assert any(item.history[-1].content in text for text in texts.values()), item.id
    for item in items:
        if item.category is not Category.FOLLOW_UP:
            assert item.history == [], item.id


# --- the checks can fail ----------------------------------------------------------------------------

TEXTS = {"doc_a": "NATO set up its space centre at Ramstein in 2020.", "doc_b": "The centre opened in 2022."}


def item(**changes: object) -> EvalItem:
    fields: dict[str, object] = {
        "id": "fact-a",
        "category": "fact",
        "question": "Where is the space centre?",
        "answers": ["Ramstein"],
        "gold_docs": ["doc_a"],
        "evidence": [{"doc_id": "doc_a", "start": 0, "end": len(TEXTS["doc_a"])}],
    }
    fields.update(changes)
    return EvalItem.model_validate(fields)


def test_a_consistent_item_has_no_problem() -> None:
    assert check_against_corpus([item()], TEXTS) == []
    assert contains_answer(TEXTS["doc_a"], ["ramstein"])


def test_a_span_past_the_end_of_the_file_is_a_problem() -> None:
    end = len(TEXTS["doc_a"]) + 5
    problems = check_against_corpus([item(evidence=[{"doc_id": "doc_a", "start": 0, "end": end}])], TEXTS)
    assert len(problems) == 1
    assert "past the end" in problems[0]


def test_a_span_without_the_answer_is_a_problem() -> None:
    problems = check_against_corpus([item(evidence=[{"doc_id": "doc_a", "start": 0, "end": 20}])], TEXTS)
    assert len(problems) == 1
    assert "no acceptable answer" in problems[0]


def test_an_unknown_document_is_a_problem() -> None:
    bad = item(gold_docs=["doc_x"], evidence=[{"doc_id": "doc_x", "start": 0, "end": 10}])
    problems = check_against_corpus([bad], TEXTS)
    assert len(problems) == 1
    assert "unknown document" in problems[0]


def disagreement(answers: tuple[str, str] = ("2020", "2022"), **changes: object) -> EvalItem:
    a = {"doc_id": "doc_a", "start": 0, "end": len(TEXTS["doc_a"])}
    b = {"doc_id": "doc_b", "start": 0, "end": len(TEXTS["doc_b"])}
    fields: dict[str, object] = {
        "category": "disagreement",
        "answers": list(answers),
        "gold_docs": ["doc_a", "doc_b"],
        "evidence": [a, b],
        "sides": [{"answers": [answers[0]], "evidence": [a]}, {"answers": [answers[1]], "evidence": [b]}],
    }
    return item(**(fields | changes))


def test_a_side_without_its_answer_is_a_problem() -> None:
    assert check_against_corpus([disagreement()], TEXTS) == []
    problems = check_against_corpus([disagreement(("2020", "2024"))], TEXTS)
    assert problems == ["fact-a: side 2's answer is not inside its evidence"]


def test_disagreement_sides_must_match_the_item_and_cite_two_documents() -> None:
    a = {"doc_id": "doc_a", "start": 0, "end": len(TEXTS["doc_a"])}
    with pytest.raises(ValueError, match="two documents"):
        disagreement(sides=[{"answers": ["2020"], "evidence": [a]}, {"answers": ["2022"], "evidence": [a]}])
    with pytest.raises(ValueError, match="answers must be exactly"):
        item(**(disagreement().model_dump() | {"answers": ["2020"]}))
    with pytest.raises(ValueError, match=r"at least 1 character"):
        item(answers=["  "])


def test_a_malformed_line_names_its_line_number(tmp_path: Path) -> None:
    good = item().model_dump_json()
    path = tmp_path / "questions.jsonl"
    path.write_text(f"{good}\n\n{{not json\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"questions\.jsonl:3:"):
        load_eval_set(path)


def test_an_invalid_item_names_its_line_number(tmp_path: Path) -> None:
    good = json.loads(item().model_dump_json())
    bad = {**good, "id": "fact-b", "evidence": []}
    path = tmp_path / "questions.jsonl"
    path.write_text(f"{json.dumps(good)}\n{json.dumps(bad)}\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"questions\.jsonl:2:"):
        load_eval_set(path)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    good = item().model_dump_json()
    path = tmp_path / "questions.jsonl"
    path.write_text(f"{good}\n{good}\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="duplicate ids: fact-a"):
        load_eval_set(path)


PROBES = sorted((REPO / "eval" / "probes").glob("*.jsonl"))


@pytest.mark.parametrize("path", PROBES, ids=[p.stem for p in PROBES])
def test_probe_answers_and_sides_are_verbatim_in_their_documents(path: Path, texts: dict[str, str]) -> None:
    """The probes (`eval/probe_answers.py`, kept in no split) are scored by their strings being in the quotes:
    each answer and each side must be in one of its gold documents word for word, and no probe may ask a
    question of the evaluation's splits after the same chat."""

    def chat(item: dict) -> tuple[str, ...]:
        return (*(turn["content"] for turn in item["history"]), item["question"])

    asked = {
        chat(json.loads(line))
        for split in (EVAL_SET, TRAIN_SET, CHAINS, REPO / "eval" / "questions_test.jsonl")
        for line in split.read_text(encoding="utf-8").splitlines()
    }
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len({item["id"] for item in items}) == len(items)
    for item in items:
        assert chat(item) not in asked, item["id"]
        gold = [texts[doc_id] for doc_id in item["gold_docs"]]
        assert bool(item["answers"]) is bool(gold), item["id"]
        for answer in item["answers"]:
            assert any(answer in text for text in gold), (item["id"], answer)
        sides = [side for side in item["sides"] if isinstance(side, list)]
        assert len(sides) in (0, 2), item["id"]
        for side in sides:
            assert side and all(any(s in text for text in gold) for s in side), (item["id"], side)
