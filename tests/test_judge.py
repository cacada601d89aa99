"""The answerability judge stage: hand-made pairs of each answer type, near-miss abstention, readings of a
follow-up chosen by evidence, the chat-model judge and its fallback, and the fitted model file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from rag.answering import ExtractiveAnswerer
from rag.chat import Turn
from rag.chat_judge import ChatJudge
from rag.judge import DEFAULT_JUDGE_MODEL, FEATURES, FittedJudge, JudgeModelError, load_judge_model
from rag.service import QAComponents, load_components
from rag.settings import Settings

# A corpus nobody tuned on: one subject, and for each kind of answer a sentence that states it and one on
# the same subject that does not.
STATION = """The Orion Relay Station

The Orion Relay Station is a ground station that tracks satellites over the Arctic Ocean.

Maria Alvarez, an engineer from Seville, designed the Orion Relay Station for the consortium.

The Orion Relay Station opened in March 2019 after two winters of building work.

The Orion Relay Station stands on a hill in Tromsø, Norway.

The Orion Relay Station operates 12 antennas for the consortium's satellites.

Building the Orion Relay Station cost EUR 45 million, shared by the consortium's members.

The Orion Relay Station relays weather data to shipping companies and research ships.
"""
OTHER = """Harbour Logistics Review

Container traffic in northern ports grew steadily last year, according to port authorities.

The port authorities plan to widen the northern channel so that larger ships can dock.
"""

PAIRS = [
    ("Who designed the Orion Relay Station?", "Maria Alvarez"),
    ("When did the Orion Relay Station open?", "March 2019"),
    ("Where is the Orion Relay Station?", "Tromsø"),
    ("How many antennas does the Orion Relay Station operate?", "12 antennas"),
    ("How much did it cost to build the Orion Relay Station?", "EUR 45 million"),
]
SAME_SUBJECT_NO_ANSWER = "relays weather data"


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> QAComponents:
    seeds = tmp_path_factory.mktemp("station-seeds")
    (seeds / "station.txt").write_text(STATION, encoding="utf-8")
    (seeds / "harbour.txt").write_text(OTHER, encoding="utf-8")
    return load_components(Settings(seeds_dir=seeds, index_dir=tmp_path_factory.mktemp("station-index")))


def _probability_of(answerer: ExtractiveAnswerer, question: str, needle: str) -> float:
    judged = answerer.best_reading(question, None, answerer.settings.answer_passages)
    texts = answerer.index.documents
    found = [c.score for c in judged.candidates if needle in texts[c.doc_id].text[c.start : c.end]]
    assert found, f"no candidate contains {needle!r}"
    return max(found)


@pytest.mark.parametrize(("question", "answer"), PAIRS)
def test_the_judge_prefers_the_quote_that_states_what_was_asked(station: QAComponents, question: str, answer: str):
    # The judge alone: without the answer-kind check, which would drop the on-topic quote before it is compared.
    judge_only = ExtractiveAnswerer(station.retriever, station.settings.model_copy(update={"kind_check": False}))
    stated = _probability_of(judge_only, question, answer)
    on_topic_only = _probability_of(judge_only, question, SAME_SUBJECT_NO_ANSWER)
    assert stated > on_topic_only, (question, stated, on_topic_only)
    reply = station.extractive.answer(question)
    assert not reply.abstained and answer in reply.citations[0].quote


def test_probabilities_are_probabilities_and_deterministic(station: QAComponents):
    answerer = station.extractive
    first = answerer.best_reading(PAIRS[0][0], None, 5)
    again = answerer.best_reading(PAIRS[0][0], None, 5)
    scores = [c.score for c in first.candidates]
    assert all(0.0 <= p <= 1.0 for p in scores)
    assert scores == [c.score for c in again.candidates]
    assert scores == sorted(scores, reverse=True)


# --- near misses on the real seeds: the subject is there, the asked detail is not ---------------------------


@pytest.mark.parametrize(
    "question",
    [
        "How much does the NATO Space Operations Centre cost to run?",
        "Who leads the STARLIFT project?",
        "How many astronauts does NATO employ?",
    ],
)
def test_abstains_on_near_misses(components: QAComponents, question: str):
    answer = components.answerer.answer(question)
    assert answer.abstained and answer.citations == []
    assert answer.confidence < components.extractive.threshold


# --- follow-ups decided by evidence ---------------------------------------------------------------------------

NSPOC_HISTORY = [
    Turn(role="user", content="Where is the NATO Space Operations Centre?"),
    Turn(
        role="assistant",
        content="“In October 2020, Defence Ministers decided to establish a NATO Space Operations Centre at Allied "
        "Air Command in Ramstein, Germany.” [1]",
    ),
]


def test_a_topic_switch_after_a_history_is_answered_on_its_own(components: QAComponents):
    question = "How many Allies take part in the STARLIFT project?"
    alone = components.answerer.answer(question)
    after = components.answerer.answer(question, history=NSPOC_HISTORY)
    assert [c.quote for c in after.citations] == [c.quote for c in alone.citations]
    assert "14 NATO Allies" in after.citations[0].quote
    assert after.read_with == "alone"  # the answer says it did not lean on the history
    reading = components.extractive.best_reading(question, NSPOC_HISTORY, 5).reading
    assert reading.source == "alone"


def test_a_follow_up_whose_referent_is_in_the_previous_answer_reads_it(components: QAComponents):
    history = [
        Turn(role="user", content="What did Defence Ministers decide in October 2020?"),
        NSPOC_HISTORY[1],
    ]
    readings = components.extractive.resolver.readings("When was it established?", history)
    with_history = [r for r in readings if r.referent is None]  # not those with a name written in
    assert [r.source for r in with_history] == ["alone", "previous_question", "previous_answer"]
    assert "Space Operations Centre" in with_history[2].query
    assert "When was NATO Space Operations Centre established?" in [r.query for r in readings]
    answer = components.answerer.answer("When was it established?", history=history)
    assert not answer.abstained and "2024" in answer.citations[0].quote


NORTHLINK_LAUNCH = "The NORTHLINK project was launched in October 2024."


def test_a_quote_that_goes_on_from_the_previous_answer_is_not_an_echo(components: QAComponents):
    history = [
        Turn(role="user", content="When was NORTHLINK launched?"),
        Turn(role="assistant", content=NORTHLINK_LAUNCH),
    ]
    readings = components.extractive.resolver.readings("How many Allies does it include?", history)
    reading = next(r for r in readings if r.source == "previous_answer" and r.referent is None)
    assert reading.echoes(NORTHLINK_LAUNCH)
    assert reading.echoes("the NORTHLINK project was launched in October 2024")  # nearly the same
    assert reading.echoes("NORTHLINK was launched in October 2024.")  # a part of it
    # The quote extended with the next sentence says what was not said yet: it stays a candidate.
    assert not reading.echoes(f"{NORTHLINK_LAUNCH} It currently includes 13 NATO Allies: Canada, Denmark, Finland.")
    answer = components.answerer.answer("How many Allies does it include?", history=history)
    assert answer.answer.startswith("13 NATO Allies [1]")
    assert answer.read_with in ("previous_question", "previous_answer")


def test_a_chain_of_follow_ups_keeps_the_subject_named_two_questions_back(components: QAComponents):
    first = components.answerer.answer(NSPOC_HISTORY[0].content)
    second_question = "When was it established?"
    history = [NSPOC_HISTORY[0], Turn(role="assistant", content=first.answer)]
    second = components.answerer.answer(second_question, history=history)
    history += [Turn(role="user", content=second_question), Turn(role="assistant", content=second.answer)]
    readings = components.extractive.resolver.readings("What is it part of?", history)
    by_source = {r.source: r for r in readings}
    assert "Space Operations Centre" in by_source["previous_question"].query  # named two questions back
    answer = components.answerer.answer("What is it part of?", history=history)
    assert not answer.abstained
    assert "Combined Force Space Component Command" in answer.citations[0].quote
    assert answer.read_with == "previous_question"
    # Asked alone, the question has no subject and is not answered from that sentence.
    alone = components.answerer.answer("What is it part of?")
    assert not alone.citations or "Combined Force Space Component Command" not in alone.citations[0].quote


# --- the chat-model judge ---------------------------------------------------------------------------------------


def _with_judge(components: QAComponents, judge) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(components.retriever, components.settings, judge=judge)


def test_a_chat_judge_that_says_no_makes_the_answer_abstain(components: QAComponents):
    no = json.dumps({"verdicts": [{"quote": n, "probability": 0.02} for n in range(1, 6)]})
    answerer = _with_judge(
        components, ChatJudge(FakeListChatModel(responses=[no]), components.extractive.offline_judge)
    )
    offline = components.answerer.answer("Where is the NATO Space Operations Centre?")
    assert not offline.abstained
    judged = answerer.answer("Where is the NATO Space Operations Centre?")
    assert judged.abstained and judged.citations == []


def test_a_chat_judge_that_says_yes_picks_its_quote(components: QAComponents):
    question = "Where is the NATO Space Operations Centre?"
    offline = components.extractive.best_reading(question, None, 5)
    # The model trusts only the offline judge's third-best candidate.
    verdicts = [{"quote": n, "probability": 0.95 if n == 3 else 0.01} for n in range(1, 6)]
    answerer = _with_judge(
        components,
        ChatJudge(
            FakeListChatModel(responses=[json.dumps({"verdicts": verdicts})]), components.extractive.offline_judge
        ),
    )
    judged = answerer.best_reading(question, None, 5)
    assert judged.candidates[0].sentence_id == offline.candidates[2].sentence_id


@pytest.mark.parametrize("reply", ["not JSON at all", json.dumps({"verdicts": [{"quote": 1, "probability": 0.9}]})])
def test_a_failing_or_partial_chat_judge_falls_back_to_the_offline_judge(components: QAComponents, reply: str):
    question = "Where is the NATO Space Operations Centre?"
    answerer = _with_judge(
        components, ChatJudge(FakeListChatModel(responses=[reply]), components.extractive.offline_judge)
    )
    assert answerer.answer(question) == components.answerer.answer(question)


def test_a_chat_model_that_raises_falls_back_to_the_offline_judge(components: QAComponents):
    class Broken(FakeListChatModel):
        def _call(self, *args, **kwargs):
            raise TimeoutError("the model did not answer")

    answerer = _with_judge(components, ChatJudge(Broken(responses=["x"]), components.extractive.offline_judge))
    question = "What is STARLIFT?"
    assert answerer.answer(question) == components.answerer.answer(question)


# --- the fitted model file ----------------------------------------------------------------------------------------


def test_the_committed_judge_was_fitted_on_dev_only():
    import hashlib

    model = load_judge_model()
    assert model.features == FEATURES
    assert model.meta["fitted_on"] == ["eval/questions.jsonl"]
    repo = Path(__file__).resolve().parents[1]
    hashes = [hashlib.sha256((repo / p).read_bytes()).hexdigest() for p in model.meta["fitted_on"]]
    assert model.meta["fitted_on_sha256"] == hashes
    test_split = hashlib.sha256((repo / "eval" / "questions_test.jsonl").read_bytes()).hexdigest()
    assert test_split not in hashes
    assert 0.0 < model.threshold < 1.0
    assert np.all(np.isfinite(model.ranker.coef)) and np.all(np.isfinite(model.answerability.coef))
    # What its pools and calibration depended on, so that a refit can reproduce it (README: the fit command).
    assert isinstance(model.meta["rerank_depth"], int) and model.meta["rerank_depth"] >= 1
    assert isinstance(model.meta["kind_check"], bool)


def test_a_judge_file_for_other_features_is_refused(tmp_path: Path):
    raw = json.loads(DEFAULT_JUDGE_MODEL.read_text(encoding="utf-8"))
    raw["features"] = raw["features"][:-1]
    bad = tmp_path / "judge.json"
    bad.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(JudgeModelError, match="refit"):
        FittedJudge.from_file(bad)
    with pytest.raises(JudgeModelError, match="cannot read"):
        FittedJudge.from_file(tmp_path / "missing.json")


def test_rag_judge_fit_refuses_the_test_split_under_any_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from typer.testing import CliRunner

    from rag.cli import app

    repo = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["judge", "fit", "--set", "eval/questions_test.jsonl"])
    assert result.exit_code == 2 and "dev only" in result.output
    renamed = tmp_path / "my_questions.jsonl"
    renamed.write_bytes((repo / "eval" / "questions_test.jsonl").read_bytes())
    result = CliRunner().invoke(app, ["judge", "fit", "--set", str(renamed), "--out", str(tmp_path / "j.json")])
    assert result.exit_code == 2 and "dev only" in result.output
    assert not (tmp_path / "j.json").exists()
    # beside the dev split, too
    both = ["--set", "eval/questions.jsonl", "--set", str(renamed), "--out", str(tmp_path / "j.json")]
    result = CliRunner().invoke(app, ["judge", "fit", *both])
    assert result.exit_code == 2 and "dev only" in result.output
    assert not (tmp_path / "j.json").exists()


def test_rag_judge_fit_refuses_a_question_given_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from typer.testing import CliRunner

    from rag.cli import app

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    twice = ["--set", "eval/questions.jsonl", "--set", "eval/questions.jsonl", "--out", str(tmp_path / "j.json")]
    result = CliRunner().invoke(app, ["judge", "fit", *twice])
    assert result.exit_code == 2 and "more than one file" in result.output
    assert not (tmp_path / "j.json").exists()


def test_answer_threads_sharing_cold_word_vectors_get_the_answers_of_one_thread(components: QAComponents):
    """The server's answer threads share one TermVectors; words first met by several threads at once must
    not make a reader index past the matrix it sees (this raised IndexError before the lock)."""
    from concurrent.futures import ThreadPoolExecutor

    import rag.term_vectors as term_vectors
    from rag.evaluation.dataset import load_eval_set

    items = load_eval_set(Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl")[:40]
    sequential = [components.answerer.answer(i.question, history=i.history) for i in items]
    term_vectors._SHARED.clear()  # cold: every thread meets new words
    answerer = ExtractiveAnswerer(components.retriever, components.settings)
    with ThreadPoolExecutor(8) as pool:
        concurrent = list(pool.map(lambda i: answerer.answer(i.question, history=i.history), items))
    assert [a.citations for a in concurrent] == [a.citations for a in sequential]


def test_build_pairs_shows_each_pool_to_on_pool_in_the_order_of_its_rows(components: QAComponents):
    """Experiments (eval/judge_e5.py, eval/judge_attribute.py) measure more of each pool through `on_pool`:
    its pools must line up with the pairs' rows, and watching must not change the pairs."""
    from rag.evaluation.dataset import load_eval_set
    from rag.judge import HeuristicJudge, judge_features
    from rag.judge_fit import build_pairs

    items = load_eval_set(Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl")[:6]
    answerer = ExtractiveAnswerer(components.retriever, components.settings, judge=HeuristicJudge())
    seen = []
    watched = build_pairs(answerer, items, on_pool=lambda q, cs: seen.append((q, cs)))
    plain = build_pairs(answerer, items)
    assert np.array_equal(watched.x, plain.x) and np.array_equal(watched.y, plain.y)
    assert len(seen) == len(np.unique(watched.readings)) > 0
    assert sum(len(cs) for _, cs in seen) == len(watched.y)
    assert np.allclose(np.vstack([judge_features(q, cs) for q, cs in seen]), watched.x)
