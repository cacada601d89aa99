"""How sure a figure is: confidence intervals for the metrics of an evaluation run.

A split of about a hundred questions measures answer accuracy to within about ten points either way, and a
category of 4 to 20 questions much more loosely. The gate compares runs question by question, so it
needs no interval. But a figure set beside a target does: "0.68 against a target of 0.85" means little
until one knows that 0.85 lies outside what the split can tell apart.

Every metric given an interval is a proportion: of answerable questions (answer accuracy, hit@1, answerable
abstained), of unanswerable ones (abstention recall), of disagreement questions (both sides), of abstentions
(abstention precision) or of citations (citation precision). Its interval is the Wilson score interval
(scipy's `binomtest(...).proportion_ci(method="wilson")`), over the number of trials it counts. Unlike a
bootstrap, it does not shrink to a point when every question went the same way: 23 of 23 gives 0.857-1.
The citations of one answer are not independent trials, so citation precision's interval is too narrow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import BaseModel

from rag.evaluation.dataset import Category
from rag.evaluation.metrics import ACROSS_CATEGORIES_ONLY, QuestionResult, aggregate

LEVEL = 0.95


def _answerable(results: Sequence[QuestionResult]) -> int:
    return sum(r.category is not Category.UNANSWERABLE for r in results)


# What each metric is a share of: the number of trials it counts in `results`.
TRIALS: dict[str, Callable[[Sequence[QuestionResult]], int]] = {
    "answer_accuracy": _answerable,
    "hit@1": _answerable,
    "citation_recall": _answerable,
    "answerable_abstained": _answerable,
    "abstention_recall": lambda results: sum(r.category is Category.UNANSWERABLE for r in results),
    "abstention_precision": lambda results: sum(r.abstained for r in results),
    "both_sides_rate": lambda results: sum(r.both_sides is not None for r in results),
    "unlabelled_conflicts": lambda results: sum(
        r.category is not Category.DISAGREEMENT and not r.abstained for r in results
    ),
    "citation_precision": lambda results: sum(
        len(r.quotes) for r in results if r.category is not Category.UNANSWERABLE
    ),
}


class Interval(BaseModel):
    low: float
    high: float
    trials: int  # what the share is counted over (questions, abstentions or citations)


Intervals = dict[str, dict[str, Interval]]  # scope ("overall" or a category) -> metric -> interval


def wilson(successes: int, trials: int, level: float = LEVEL) -> tuple[float, float]:
    """The Wilson score interval of `successes` out of `trials`."""
    from scipy.stats import binomtest

    ci = binomtest(successes, trials).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def proportion_intervals(results: Sequence[QuestionResult], level: float = LEVEL) -> Intervals:
    """The `level` interval of each metric in TRIALS, overall and in each category present; a metric has
    none in a scope where it counts no trial."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    scopes = {"overall": list(results)}
    for category in Category:
        group = [r for r in results if r.category is category]
        if group:
            scopes[category.value] = group
    intervals: Intervals = {}
    for scope, group in scopes.items():
        figures = aggregate(group)
        intervals[scope] = {}
        for metric, trials_of in TRIALS.items():
            if scope != "overall" and metric in ACROSS_CATEGORIES_ONLY:
                continue
            trials, share = trials_of(group), figures.get(metric)
            if trials and share is not None:
                # `aggregate` rounds a share to 4 decimals, so share * trials is within 0.5 of the count it
                # was computed from as long as trials < 10,000 (an evaluation split has a few hundred).
                low, high = wilson(round(float(share) * trials), trials, level)
                intervals[scope][metric] = Interval(low=round(low, 4), high=round(high, 4), trials=trials)
    return intervals
