"""Calibrating abstention: how the answer/abstain threshold trades abstention precision against recall.

The answerer abstains when its best sentence scores below `min_answer_score`. A calibration pass answers
every question with no threshold at all, recording each answer's confidence (its best score) and whether
that answer would be right; every threshold then decides which of them it would have abstained on.

The cost of a threshold counts WRONG_ANSWER_COST per wrong answer (a quote that does not answer, to an
answerable question or to one the documents do not answer) and 1 per right answer withheld. On a hundred
questions the cost curve is flat and noisy near its minimum (a count of errors varies by about its square
root), so the recommended operating point is the *lowest* threshold whose cost is within one standard
error, sqrt(min cost), of the minimum: among points that cannot be told apart, the one that answers most
(the "one-standard-error rule" of model selection).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from rag.citations import Answer
from rag.evaluation.dataset import EvalItem, contains_answer

WRONG_ANSWER_COST = 1.0


class CalibrationSample(BaseModel):
    """One question answered with no threshold: its confidence and whether answering was right."""

    id: str
    answerable: bool
    confidence: float
    answer_correct: bool  # an acceptable answer is in the quotes (always False when unanswerable)


def sample_of(item: EvalItem, answer: Answer) -> CalibrationSample:
    """`item` answered with no threshold as `answer`: its confidence and whether answering was right."""
    quoted = " … ".join(c.quote for c in answer.citations)
    return CalibrationSample(
        id=item.id,
        answerable=item.answerable,
        confidence=answer.confidence,
        answer_correct=item.answerable and not answer.abstained and contains_answer(quoted, item.answers),
    )


class OperatingPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    threshold: float
    abstention_precision: float | None
    abstention_recall: float | None
    answer_accuracy: float | None  # over answerable questions: answered, and right
    handled: float  # share of all questions answered right or rightly abstained on
    wrong_answers: int  # answered, but no acceptable answer in the quotes (or nothing to answer)
    withheld_answers: int  # abstained where the answer would have been right
    cost: float  # WRONG_ANSWER_COST per wrong answer + 1 per withheld right answer


class Calibration(BaseModel):
    curve: list[OperatingPoint]
    recommended: OperatingPoint
    configured: OperatingPoint


def operating_point(samples: Sequence[CalibrationSample], threshold: float) -> OperatingPoint:
    abstained = [s for s in samples if s.confidence < threshold]
    unanswerable = [s for s in samples if not s.answerable]
    answerable = [s for s in samples if s.answerable]
    right_answers = sum(s.answer_correct and s.confidence >= threshold for s in answerable)
    right_abstentions = sum(not s.answerable for s in abstained)
    wrong = sum(not s.answer_correct for s in samples if s.confidence >= threshold)
    withheld = sum(s.answer_correct for s in abstained)
    return OperatingPoint(
        threshold=round(threshold, 4),
        abstention_precision=round(right_abstentions / len(abstained), 4) if abstained else None,
        abstention_recall=round(right_abstentions / len(unanswerable), 4) if unanswerable else None,
        answer_accuracy=round(right_answers / len(answerable), 4) if answerable else None,
        handled=round((right_answers + right_abstentions) / len(samples), 4) if samples else 0.0,
        wrong_answers=wrong,
        withheld_answers=withheld,
        cost=WRONG_ANSWER_COST * wrong + withheld,
    )


def calibrate(samples: Sequence[CalibrationSample], configured: float) -> Calibration:
    """The trade-off at every threshold that changes a decision, the recommended point and the configured one.

    Candidate thresholds sit halfway between consecutive distinct confidences (and below the lowest), so
    a recommended threshold does not sit on the edge of one question's score.
    """
    if not samples:
        raise ValueError("calibration needs at least one question")
    levels = sorted({round(s.confidence, 4) for s in samples})
    thresholds = [0.0, *((a + b) / 2 for a, b in itertools.pairwise(levels)), levels[-1] + 1e-4]
    curve = [operating_point(samples, t) for t in thresholds]
    lowest = min(p.cost for p in curve)
    recommended = min((p for p in curve if p.cost <= lowest + math.sqrt(lowest)), key=lambda p: p.threshold)
    return Calibration(curve=curve, recommended=recommended, configured=operating_point(samples, configured))
