"""Calibrated abstention: the threshold sweep, the recommended operating point, the report and the setting."""

from pathlib import Path

import pytest

from rag.evaluation.calibration import WRONG_ANSWER_COST, CalibrationSample, calibrate, operating_point
from rag.evaluation.dataset import load_eval_set
from rag.evaluation.report import markdown_report, write_reports
from rag.evaluation.runner import evaluate
from rag.evaluation.systems import PipelineSystem
from rag.service import QAComponents
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]
EVAL_SET = REPO / "eval" / "questions.jsonl"
BASELINE = REPO / "eval" / "baseline.json"


def sample(id: str, answerable: bool, confidence: float, right: bool = True) -> CalibrationSample:
    return CalibrationSample(id=id, answerable=answerable, confidence=confidence, answer_correct=answerable and right)


SAMPLES = [
    sample("off-topic", False, 0.10),
    sample("weak-but-right", True, 0.30),
    sample("in-domain-unanswerable", False, 0.45),
    sample("wrong", True, 0.50, right=False),
    sample("strong", True, 0.90),
]


def test_an_operating_point_counts_abstentions_and_answers_below_and_above_it():
    point = operating_point(SAMPLES, 0.40)  # abstains on the first two only
    assert point.abstention_precision == 0.5  # off-topic right, weak-but-right wrong
    assert point.abstention_recall == 0.5  # one of two unanswerable questions
    assert point.answer_accuracy == round(1 / 3, 4)  # only "strong" answered right
    assert point.handled == round(2 / 5, 4)


def test_the_recommended_point_is_the_lowest_threshold_within_one_standard_error_of_the_lowest_cost():
    cal = calibrate(SAMPLES, configured=0.40)
    # The lowest cost (1) is between "wrong" (0.50) and "strong" (0.90); one standard error is sqrt(1) = 1,
    # and the lowest threshold costing at most 2 is between "off-topic" (0.10) and "weak-but-right" (0.30):
    # it abstains on the off-topic question only and answers everything else.
    lowest = min(p.cost for p in cal.curve)
    assert lowest == 1 and next(p for p in cal.curve if p.cost == lowest).threshold == pytest.approx(0.70)
    assert cal.recommended.threshold == pytest.approx(0.20)
    assert cal.recommended.cost <= lowest + lowest**0.5
    assert all(p.cost > lowest + lowest**0.5 for p in cal.curve if p.threshold < cal.recommended.threshold)
    assert (cal.recommended.wrong_answers, cal.recommended.withheld_answers) == (2, 0)
    assert cal.configured == operating_point(SAMPLES, 0.40)
    # The sweep covers answering everything and abstaining on everything.
    assert cal.curve[0].abstention_recall == 0.0 and cal.curve[-1].abstention_recall == 1.0
    assert (cal.curve[0].wrong_answers, cal.curve[-1].withheld_answers) == (3, 2)
    assert WRONG_ANSWER_COST == 1.0


def test_calibration_needs_questions():
    with pytest.raises(ValueError, match="at least one"):
        calibrate([], configured=0.5)


@pytest.mark.slow
def test_a_run_sweeps_the_threshold_and_reports_it(components: QAComponents, tmp_path: Path):
    items = load_eval_set(EVAL_SET)
    run = evaluate(items, EVAL_SET, components, [PipelineSystem(components)], progress=False)
    cal = run.calibration
    assert cal is not None and len(cal.curve) > 10
    # The configured point is what the run itself measured.
    assert cal.configured.abstention_recall == run.primary.overall["abstention_recall"]
    assert cal.configured.abstention_precision == run.primary.overall["abstention_precision"]
    md = markdown_report(run)
    assert "## Abstention threshold" in md and "(configured)" in md and "(recommended)" in md
    png = write_reports(run, tmp_path, stem="r")[2]
    assert png.read_bytes().startswith(b"\x89PNG")


def test_the_operating_point_is_the_one_chosen_on_cross_validated_dev_answers():
    """No threshold is set by hand: the answerer's operating point is the one `rag judge fit` chose on dev
    answers given by judges that had not seen them, and the setting leaves it alone by default."""
    from rag.judge import load_judge_model

    model = load_judge_model()
    assert Settings.model_fields["min_answer_score"].default is None
    assert model.threshold == model.meta["cv_operating_point"]["threshold"]
    assert "eval/questions_test.jsonl" not in model.meta["fitted_on"]
