"""The evaluation runner: metric definitions, the regression gate, reports, and `rag eval` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli import app
from rag.evaluation.dataset import Category, EvalItem, Span, load_eval_set
from rag.evaluation.gate import compare, format_comparison
from rag.evaluation.intervals import proportion_intervals, wilson
from rag.evaluation.metrics import (
    QUALITY_METRICS,
    Quote,
    SystemOutput,
    aggregate,
    metrics_by_category,
    overlaps,
    retrieval_scores,
    score_question,
)
from rag.evaluation.report import markdown_report, splits_table, write_reports
from rag.evaluation.runner import RunResult, SystemResult, evaluate
from rag.evaluation.systems import LangChainBaseline, PipelineSystem
from rag.service import QAComponents

REPO = Path(__file__).resolve().parents[1]
EVAL_SET = REPO / "eval" / "questions.jsonl"
BASELINE = REPO / "eval" / "baseline.json"
TEST_SET = REPO / "eval" / "questions_test.jsonl"
TEST_BASELINE = REPO / "eval" / "baseline-test.json"

TEXT = "Alpha facts here. The centre is in Ramstein since 2024. Unrelated filler sentence follows."
TEXTS = {"d1": TEXT, "d2": "Another document says 2019 was the year."}
GOLD = Span(doc_id="d1", start=TEXT.index("The centre"), end=TEXT.index(" Unrelated"))


def item(category: Category = Category.FACT, **kw) -> EvalItem:
    fields = {"id": "q1", "category": category, "question": "Where is the centre?"}
    if category is Category.UNANSWERABLE:
        fields |= {"tags": ["in_domain"]}
    else:
        fields |= {"answers": ["Ramstein"], "gold_docs": ["d1"], "evidence": [GOLD]}
    return EvalItem(**(fields | kw))


def quote(doc_id: str, start: int, end: int, text: str | None = None) -> Quote:
    return Quote(doc_id=doc_id, start=start, end=end, text=TEXTS[doc_id][start:end] if text is None else text)


def output(retrieved: list[Span], quotes: list[Quote], abstained: bool = False) -> SystemOutput:
    return SystemOutput(retrieved=retrieved, abstained=abstained, quotes=quotes, latency_ms=1.0)


# --- metric definitions -------------------------------------------------------------------------------


def test_overlap_needs_half_of_the_shorter_span() -> None:
    assert overlaps(Span(doc_id="d1", start=0, end=100), Span(doc_id="d1", start=40, end=60))
    assert overlaps(Span(doc_id="d1", start=0, end=10), Span(doc_id="d1", start=5, end=100))
    assert not overlaps(Span(doc_id="d1", start=0, end=10), Span(doc_id="d1", start=6, end=100))
    assert not overlaps(Span(doc_id="d1", start=0, end=10), Span(doc_id="d2", start=0, end=10))


def test_retrieval_scores_rank_recall_and_ndcg() -> None:
    g1, g2 = Span(doc_id="d1", start=0, end=10), Span(doc_id="d2", start=0, end=10)
    miss = Span(doc_id="d1", start=50, end=60)
    assert retrieval_scores([g1, g2], [g1, g2]) == (1, 1.0, 1.0)
    first, recall, ndcg = retrieval_scores([miss, g2], [g1, g2])
    assert (first, recall) == (2, 0.5)
    assert 0 < ndcg < 0.5
    assert retrieval_scores([miss], [g1]) == (None, 0.0, 0.0)
    # A passage covering an already covered span earns nothing more.
    assert retrieval_scores([g1, g1], [g1, g2])[2] < 1.0


def test_a_right_answer_with_a_supporting_valid_quote() -> None:
    r = score_question(item(), output([GOLD], [quote("d1", GOLD.start, GOLD.end)]), TEXTS)
    assert r.correct and r.answer_correct
    assert (r.first_relevant_rank, r.quotes_valid, r.quotes_supported) == (1, 1, 1)


def test_a_quote_that_is_not_the_source_text_is_invalid() -> None:
    forged = quote("d1", GOLD.start, GOLD.end, text="The centre is in Ramstein since 2023.")
    r = score_question(item(), output([GOLD], [forged]), TEXTS)
    assert r.quotes_valid == 0
    assert aggregate([r])["quote_validity"] == 0.0


def test_a_wrong_quote_is_unsupported_and_the_answer_wrong() -> None:
    filler = TEXT.index("Unrelated")
    r = score_question(item(), output([GOLD], [quote("d1", filler, len(TEXT))]), TEXTS)
    assert not r.correct and r.answer_correct is False and r.quotes_supported == 0
    metrics = aggregate([r])
    assert (metrics["answer_accuracy"], metrics["citation_precision"], metrics["citation_recall"]) == (0.0, 0.0, 0.0)


def test_abstention_precision_and_recall() -> None:
    answerable = score_question(item(id="a"), output([], [], abstained=True), TEXTS)
    unanswerable = score_question(item(Category.UNANSWERABLE, id="u"), output([], [], abstained=True), TEXTS)
    missed = score_question(
        item(Category.UNANSWERABLE, id="m"), output([], [quote("d1", 0, 17)], abstained=False), TEXTS
    )
    assert unanswerable.correct and not answerable.correct and not missed.correct
    metrics = aggregate([answerable, unanswerable, missed])
    assert metrics["abstention_precision"] == 0.5  # one of two abstentions was right
    assert metrics["abstention_recall"] == 0.5  # one of two unanswerable questions abstained on
    assert metrics["answer_accuracy"] == 0.0
    # Within one category the share is 1 or 0 by construction, so it is reported overall only.
    by_category = metrics_by_category([answerable, unanswerable, missed])
    assert set(by_category) == {"fact", "unanswerable"}
    assert all(m["abstention_precision"] is None for m in by_category.values())
    assert by_category["unanswerable"]["abstention_recall"] == 0.5


def test_both_sides_needs_a_supporting_quote_for_every_side() -> None:
    other = Span(doc_id="d2", start=0, end=len(TEXTS["d2"]))
    disagreement = item(
        Category.DISAGREEMENT,
        answers=["2024", "2019"],
        gold_docs=["d1", "d2"],
        evidence=[GOLD, other],
        sides=[{"answers": ["2024"], "evidence": [GOLD]}, {"answers": ["2019"], "evidence": [other]}],
    )
    one_side = score_question(disagreement, output([GOLD], [quote("d1", GOLD.start, GOLD.end)]), TEXTS)
    both = score_question(
        disagreement, output([GOLD], [quote("d1", GOLD.start, GOLD.end), quote("d2", 0, other.end)]), TEXTS
    )
    assert one_side.answer_correct and not one_side.both_sides
    assert both.both_sides
    assert aggregate([one_side, both])["both_sides_rate"] == 0.5


def test_conflicts_reported_outside_the_disagreement_category_are_counted() -> None:
    gold = quote("d1", GOLD.start, GOLD.end)
    other = Span(doc_id="d2", start=0, end=len(TEXTS["d2"]))
    flagged = output([GOLD], [gold]).model_copy(update={"conflicts": 1})
    results = [
        score_question(item(id="a"), flagged, TEXTS),
        score_question(item(id="b"), output([GOLD], [gold]), TEXTS),
        score_question(item(id="c"), output([], [], abstained=True), TEXTS),  # no answer: no claim
        score_question(
            item(
                Category.DISAGREEMENT,
                id="d",
                answers=["Ramstein", "2019"],
                gold_docs=["d1", "d2"],
                evidence=[GOLD, other],
                sides=[{"answers": ["Ramstein"], "evidence": [GOLD]}, {"answers": ["2019"], "evidence": [other]}],
            ),
            flagged,
            TEXTS,
        ),
    ]
    assert [r.conflicts for r in results] == [1, 0, 0, 1]
    metrics = aggregate(results)
    assert metrics["unlabelled_conflicts"] == 0.5  # one of the two answered questions outside the category
    assert proportion_intervals(results)["overall"]["unlabelled_conflicts"].trials == 2


# --- the regression gate --------------------------------------------------------------------------------


def run_of(results: dict[str, bool], run_id: str = "run", eval_sha: str = "s", corpus: str = "c") -> RunResult:
    """A run in which question `id` is answered right when `results[id]` is true."""
    scored = []
    for qid, right in results.items():
        quotes = [quote("d1", GOLD.start, GOLD.end)] if right else [quote("d1", 0, 17)]
        scored.append(score_question(item(id=qid), output([GOLD], quotes), TEXTS))
    system = SystemResult(name="ours", description="", overall=aggregate(scored), by_category={}, questions=scored)
    return RunResult(
        run_id=run_id,
        created_at="now",
        git_commit=None,
        git_dirty=None,
        settings={},
        corpus_hash=corpus,
        eval_set="x",
        eval_set_sha256=eval_sha,
        systems={"ours": system},
    )


def test_gate_flags_regressions_and_flipped_questions() -> None:
    before = run_of({f"q{i}": True for i in range(10)})
    after = run_of({f"q{i}": i != 3 for i in range(10)})
    result = compare(before, after, tolerance=0.05)
    assert not result.passed
    assert result.broke == ["q3"] and result.fixed == []
    assert {d.metric for d in result.regressions} >= {"answer_accuracy", "citation_recall"}
    text = format_comparison(result, "baseline", "this run")
    assert "REGRESSION" in text and "q3" in text
    # The reverse direction is an improvement, not a regression.
    improved = compare(after, before, tolerance=0.05)
    assert improved.passed and improved.fixed == ["q3"]
    # One flip is what chance gives: McNemar's exact test says so.
    assert result.flip_p_value == 1.0 and "McNemar" in text and "p = 1.000" in text


def test_flip_test_tells_a_lopsided_change_from_chance() -> None:
    before = run_of({f"q{i}": i < 10 for i in range(20)})
    lopsided = compare(before, run_of({f"q{i}": True for i in range(20)}))  # 10 fixed, none broken
    assert lopsided.fixed and not lopsided.broke and lopsided.flip_p_value == 2 * 0.5**10
    balanced = compare(before, run_of({f"q{i}": 5 <= i < 15 for i in range(20)}))  # 5 broken, 5 fixed
    assert balanced.flip_p_value == 1.0
    assert compare(before, before).flip_p_value == 1.0
    assert "McNemar" not in format_comparison(compare(before, before), "a", "b")


def test_gate_tolerance_forgives_small_drops_only() -> None:
    before = run_of({f"q{i}": True for i in range(10)})
    after = run_of({f"q{i}": i != 3 for i in range(10)})
    assert compare(before, after, tolerance=0.15).passed
    assert not compare(before, after, tolerance=0.05).passed


def test_gate_refuses_a_baseline_of_another_evaluation_set_or_corpus() -> None:
    same = {"q0": True}
    assert "evaluation set changed" in compare(run_of(same), run_of(same, eval_sha="other")).problems[0]
    assert "corpus changed" in compare(run_of(same), run_of(same, corpus="other")).problems[0]


def test_reports_are_written_and_name_every_question(tmp_path: Path) -> None:
    run = run_of({"q0": True, "q1": False})
    paths = write_reports(run, tmp_path, stem="r")
    assert [p.name for p in paths] == ["r.json", "r.md", "r.png"]
    assert paths[2].read_bytes().startswith(b"\x89PNG")
    assert RunResult.model_validate_json(paths[0].read_text()).primary.overall == run.primary.overall
    md = markdown_report(run)
    assert "| q0 |" in md and "| q1 |" in md and "answer_accuracy" in md


# --- confidence intervals --------------------------------------------------------------------------------


def test_wilson_intervals_hold_the_share_and_do_not_collapse_at_the_ends() -> None:
    low, high = wilson(23, 23)
    assert 0.85 < low < 0.86 and high == 1.0  # all right is not certainty
    low, high = wilson(0, 10)
    assert low == 0.0 and 0.25 < high < 0.35
    small, large = wilson(7, 10), wilson(70, 100)
    assert small[0] < 0.7 < small[1] and large[0] < 0.7 < large[1]
    assert large[1] - large[0] < small[1] - small[0]  # more questions, a tighter interval
    assert wilson(7, 10, level=0.99)[0] < small[0]


def scored_mix() -> list:
    """7 of 10 fact questions answered right, 2 of 4 unanswerable ones abstained on, 1 fact abstained on."""
    results = []
    for i in range(10):
        quotes = [quote("d1", GOLD.start, GOLD.end)] if i < 7 else [quote("d1", 0, 17)]
        results.append(score_question(item(id=f"f{i}"), output([GOLD], quotes if i != 9 else [], i == 9), TEXTS))
    for i in range(4):
        results.append(score_question(item(Category.UNANSWERABLE, id=f"u{i}"), output([], [], abstained=i < 2), TEXTS))
    return results


def test_intervals_count_each_metric_over_its_own_trials() -> None:
    intervals = proportion_intervals(scored_mix())
    overall = intervals["overall"]
    accuracy = overall["answer_accuracy"]
    assert accuracy.trials == 10 and accuracy.low < 0.7 < accuracy.high
    assert overall["abstention_recall"].trials == 4  # the unanswerable questions
    assert overall["abstention_precision"].trials == 3  # the abstentions: 2 right, 1 on an answerable question
    assert (overall["abstention_precision"].low, overall["abstention_precision"].high) == tuple(
        round(x, 4) for x in wilson(2, 3)
    )
    assert overall["citation_precision"].trials == 9  # one quote for each answered fact question
    assert "both_sides_rate" not in overall  # no disagreement question: nothing to count
    assert set(intervals) == {"overall", "fact", "unanswerable"}
    assert "answer_accuracy" not in intervals["unanswerable"]
    assert "abstention_precision" not in intervals["fact"] | intervals["unanswerable"]  # overall only
    with pytest.raises(ValueError, match="level"):
        proportion_intervals(scored_mix(), level=1.5)


def test_reports_show_the_intervals_and_older_runs_without_them_still_load(tmp_path: Path) -> None:
    run = run_of({"q0": True, "q1": False})
    assert run.primary.intervals is None and "How sure" not in markdown_report(run)  # a run made before them
    results = scored_mix()
    system = run.primary.model_copy(
        update={"questions": results, "overall": aggregate(results), "intervals": proportion_intervals(results)}
    )
    with_intervals = run.model_copy(update={"systems": {"ours": system}})
    md = markdown_report(with_intervals)
    low, high = wilson(7, 10)
    assert "## How sure these figures are: ours" in md
    assert f"| overall | answer_accuracy | 0.700 | {low:.3f} – {high:.3f} | 10 |" in md
    assert f"0.700 [{low:.3f}, {high:.3f}]" in splits_table({"dev": with_intervals})
    path = write_reports(with_intervals, tmp_path, stem="r")[0]
    assert RunResult.model_validate_json(path.read_text()).primary.intervals == system.intervals


# --- end to end on the real evaluation set, with the real model -------------------------------------------


def _without_latency(run: RunResult) -> dict:
    data = json.loads(run.model_dump_json())
    for system in data["systems"].values():
        for scope in [system["overall"], *system["by_category"].values()]:
            for key in [k for k in scope if k.endswith("_ms")]:
                del scope[key]
        for q in system["questions"]:
            del q["latency_ms"]
    for key in ("run_id", "created_at", "git_dirty"):
        del data[key]
    return data


@pytest.mark.slow
def test_same_code_settings_and_corpus_give_the_same_numbers(components: QAComponents) -> None:
    items = load_eval_set(EVAL_SET)
    first = evaluate(items, EVAL_SET, components, [PipelineSystem(components)], progress=False)
    second = evaluate(items, EVAL_SET, components, [PipelineSystem(components)], progress=False)
    assert _without_latency(first) == _without_latency(second)
    assert first.primary.overall["quote_validity"] == 1.0
    assert first.primary.overall["questions"] == len(items)


@pytest.mark.slow
def test_langchain_peer_is_scored_with_the_same_metrics(components: QAComponents) -> None:
    from rag.embedding import bundled_model_path

    items = load_eval_set(EVAL_SET)
    peer = LangChainBaseline(list(components.index.documents.values()), str(bundled_model_path()))
    run = evaluate(items, EVAL_SET, components, [PipelineSystem(components), peer], progress=False)
    baseline = run.systems["langchain"]
    assert set(QUALITY_METRICS) <= set(baseline.overall)
    assert baseline.overall["quote_validity"] == 1.0  # its chunks are cut from the source with start_index
    assert baseline.overall["abstention_recall"] == 0.0  # it never abstains
    assert len(baseline.questions) == len(items)


def _eval_cli(
    components: QAComponents, tmp_path: Path, *args: str, env: dict[str, str] | None = None, split: str = "dev"
):
    settings = components.settings
    return CliRunner().invoke(
        app,
        [
            "--seeds-dir",
            str(settings.seeds_dir),
            "--index-dir",
            str(settings.index_dir),
            "eval",
            "--split",
            split,
            "--set",
            str(EVAL_SET),
            "--test-set",
            str(TEST_SET),
            "--out",
            str(tmp_path / "results"),
            "--no-peer",
            *args,
        ],
        env=env,
    )


@pytest.mark.slow
def test_check_passes_on_the_committed_configuration_on_both_splits(components: QAComponents, tmp_path: Path) -> None:
    result = _eval_cli(
        components,
        tmp_path,
        "--check",
        "--baseline",
        str(BASELINE),
        "--test-baseline",
        str(TEST_BASELINE),
        split="both",
    )
    assert result.exit_code == 0, result.output
    assert "Quality gate passed" in result.output
    assert "Against the dev baseline" in result.output and "Against the test baseline" in result.output
    assert "Side by side" in result.output and "| overall | answer_accuracy |" in result.output
    assert sorted(p.name.rsplit("-", 1)[1] for p in (tmp_path / "results").glob("*.json")) == ["dev.json", "test.json"]


def test_an_unknown_split_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--split", "holdout", "--out", str(tmp_path / "out"), "--no-peer"])
    assert result.exit_code == 2 and "--split must be one of dev, test, both, train, chains" in result.output
    assert not (tmp_path / "out").exists()


def test_a_tuning_side_split_cannot_be_gated_or_made_a_baseline(tmp_path: Path) -> None:
    for flag in ("--check", "--write-baseline"):
        result = CliRunner().invoke(app, ["eval", "--split", "train", flag, "--out", str(tmp_path / "out")])
        assert result.exit_code == 2 and "train has no baseline" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_tuning_side_split_is_scored_under_its_own_name(components: QAComponents, tmp_path: Path) -> None:
    chains = REPO / "eval" / "questions_chains.jsonl"
    result = _eval_cli(components, tmp_path, "--chains-set", str(chains), split="chains")
    assert result.exit_code == 0, result.output
    assert f"chains split ({len(load_eval_set(chains))} questions)" in result.output
    [report] = (tmp_path / "results").glob("*-chains.md")
    assert "the `chains` split" in report.read_text(encoding="utf-8")


@pytest.mark.slow
def test_check_fails_on_a_degraded_configuration(components: QAComponents, tmp_path: Path) -> None:
    degraded = {"RAG_RETRIEVAL": "bm25", "RAG_ANSWER_PASSAGES": "1"}
    result = _eval_cli(components, tmp_path, "--check", "--baseline", str(BASELINE), env=degraded)
    assert result.exit_code == 1, result.output
    assert "REGRESSION" in result.output
    assert "fell below the baseline" in result.output
    broke = result.output.split("right -> wrong (", 1)[1]
    assert not broke.startswith("0)")  # the flipped questions are listed


@pytest.mark.slow
def test_compare_prints_deltas_between_two_runs(components: QAComponents, tmp_path: Path) -> None:
    assert _eval_cli(components, tmp_path).exit_code == 0
    assert _eval_cli(components, tmp_path, env={"RAG_RETRIEVAL": "dense"}).exit_code == 0
    runs = sorted((tmp_path / "results").glob("*.json"))
    if len(runs) == 1:  # both runs in the same second share a name; compare with the baseline instead
        runs = [BASELINE, runs[0]]
    result = CliRunner().invoke(app, ["eval", "--compare", str(runs[0]), str(runs[1])])
    assert result.exit_code == 0, result.output
    assert "right -> wrong" in result.output and "metric" in result.output


def test_an_unwritable_report_folder_is_a_clear_error(tmp_path: Path) -> None:
    from rag.evaluation.report import ReportError

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ReportError, match="cannot write the report"):
        write_reports(run_of({"q0": True}), blocker / "results")


def test_bad_inputs_to_rag_eval_are_clear_errors(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["eval", "--compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    assert missing.exit_code == 1 and "cannot read" in missing.output
    junk = tmp_path / "junk.json"
    junk.write_text("{}")
    wrong = CliRunner().invoke(app, ["eval", "--compare", str(junk), str(junk)])
    assert wrong.exit_code == 1 and "not a result of `rag eval`" in wrong.output
    bad_set = tmp_path / "set.jsonl"
    bad_set.write_text('{"id": "x"}\n')
    result = CliRunner().invoke(app, ["eval", "--set", str(bad_set), "--out", str(tmp_path / "out"), "--no-peer"])
    assert result.exit_code == 1 and "set.jsonl:1" in result.output
    assert not (tmp_path / "out").exists()  # nothing written for a set that does not load


def test_the_chart_of_a_split_without_unanswerable_questions_is_drawn(tmp_path: Path) -> None:
    """The chains have no unanswerable question: abstentions there have a precision (0) but no recall, and
    the trade-off panel must still be drawn, not crash the run."""
    from rag.evaluation.calibration import CalibrationSample, calibrate
    from rag.evaluation.chart import write_chart

    samples = [
        CalibrationSample(id=f"q{i}", answerable=True, confidence=c, answer_correct=c > 0.4)
        for i, c in enumerate((0.2, 0.5, 0.9))
    ]
    run = run_of({"q0": True, "q1": False}).model_copy(update={"calibration": calibrate(samples, 0.3)})
    assert run.calibration.configured.abstention_precision == 0.0
    assert run.calibration.configured.abstention_recall is None
    path = tmp_path / "chart.png"
    write_chart(run, path)
    assert path.read_bytes().startswith(b"\x89PNG")
