"""Metrics of one system on the evaluation set: retrieval, answers, citations, abstention, latency.

Definitions (the report repeats them):
- A retrieved passage or a cited quote *overlaps* a gold span when they share at least half of the shorter
  of the two (same document). Retrieval metrics use the first 10 passages of answerable questions.
- hit@k: a passage among the first k overlaps gold evidence. MRR: 1 / rank of the first such passage.
- recall@10: share of the gold spans overlapped by the first 10 passages. nDCG@10: binary gain for a
  passage that covers a gold span no earlier passage covered, over the ideal ranking of the gold spans.
- answer accuracy: an acceptable answer appears in the cited quotes (answerable questions).
- quote validity: share of quotes equal to `source[start:end]` (every question; must be 1.0).
- citation precision, after ALCE (Gao et al., 2023) adapted to verbatim quotes: share of the citations
  given for answerable questions that *support* the answer, i.e. overlap gold evidence or contain an
  acceptable answer. citation recall: share of answerable questions with at least one supporting citation.
- abstention precision: share of abstentions that were on unanswerable questions; abstention recall: share
  of unanswerable questions abstained on.
- both-sides rate: share of disagreement questions where every side has a supporting citation.
- answerable abstained: share of answerable questions abstained on (lower is better; not gated).
- latency p50/p95: wall time of answering one question, in milliseconds (not deterministic; never gated).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from rag.evaluation.dataset import Category, EvalItem, Span, contains_answer

RETRIEVAL_DEPTH = 10
# Metrics where a higher value is better and which the regression gate watches; latency is reported only.
QUALITY_METRICS = (
    "hit@1",
    "hit@5",
    "mrr",
    "ndcg@10",
    "recall@10",
    "answer_accuracy",
    "quote_validity",
    "citation_precision",
    "citation_recall",
    "abstention_precision",
    "abstention_recall",
    "both_sides_rate",
)
# Reported beside the quality metrics but lower is better, so the gate does not watch them.
LOWER_IS_BETTER = ("answerable_abstained", "unlabelled_conflicts")
LATENCY_METRICS = ("latency_p50_ms", "latency_p95_ms")


class Quote(BaseModel):
    """A quote a system returned: where it says it comes from and what it says."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    start: int
    end: int
    text: str


class SystemOutput(BaseModel):
    """What a system produced for one question."""

    retrieved: list[Span]  # ranked passages, best first
    abstained: bool
    quotes: list[Quote]
    latency_ms: float
    conflicts: int = 0  # disagreements between sources the answer reports


class QuestionResult(BaseModel):
    """One question scored; `None` where a metric does not apply to the question."""

    id: str
    category: Category
    question: str
    abstained: bool
    correct: bool  # answered right, or abstained on an unanswerable question
    answer_correct: bool | None
    first_relevant_rank: int | None
    recall_at_10: float | None
    ndcg_at_10: float | None
    quotes_valid: int
    quotes_supported: int
    quotes: list[Quote]
    both_sides: bool | None
    conflicts: int = 0
    latency_ms: float


def overlaps(a: Span | Quote, b: Span) -> bool:
    if a.doc_id != b.doc_id:
        return False
    shared = min(a.end, b.end) - max(a.start, b.start)
    return shared > 0 and shared >= 0.5 * min(a.end - a.start, b.end - b.start)


def supports(quote: Quote, evidence: Sequence[Span], answers: Sequence[str]) -> bool:
    return any(overlaps(quote, g) for g in evidence) or contains_answer(quote.text, list(answers))


def is_supporting(item: EvalItem, doc_id: str, start: int, end: int, quote: str) -> bool:
    """Whether a quote answers `item`: it overlaps gold evidence *and* states an acceptable answer (stricter
    than `supports`; the label of a judged candidate)."""
    if not item.answerable:
        return False
    span = Span(doc_id=doc_id, start=start, end=end)
    return any(overlaps(span, g) for g in item.evidence) and contains_answer(quote, item.answers)


def score_question(item: EvalItem, output: SystemOutput, texts: dict[str, str]) -> QuestionResult:
    """Score one system output against its gold item; `texts` maps doc_id to the original document."""
    valid = sum(q.doc_id in texts and texts[q.doc_id][q.start : q.end] == q.text for q in output.quotes)
    first_rank = recall = ndcg = answer_correct = both = None
    supported = 0
    if item.answerable:
        first_rank, recall, ndcg = retrieval_scores(output.retrieved[:RETRIEVAL_DEPTH], item.evidence)
        quoted = " … ".join(q.text for q in output.quotes)
        answer_correct = not output.abstained and contains_answer(quoted, item.answers)
        supported = sum(supports(q, item.evidence, item.answers) for q in output.quotes)
        if item.category is Category.DISAGREEMENT:
            both = not output.abstained and all(
                any(supports(q, side.evidence, side.answers) for q in output.quotes) for side in item.sides
            )
    correct = bool(answer_correct) if item.answerable else output.abstained
    return QuestionResult(
        id=item.id,
        category=item.category,
        question=item.question,
        abstained=output.abstained,
        correct=correct,
        answer_correct=answer_correct,
        first_relevant_rank=first_rank,
        recall_at_10=recall,
        ndcg_at_10=ndcg,
        quotes_valid=valid,
        quotes_supported=supported,
        quotes=output.quotes,
        both_sides=both,
        conflicts=output.conflicts,
        latency_ms=output.latency_ms,
    )


def retrieval_scores(ranked: Sequence[Span], gold: Sequence[Span]) -> tuple[int | None, float, float]:
    """(rank of the first passage overlapping gold, recall of gold spans, nDCG) over `ranked`."""
    first_rank: int | None = None
    covered: set[int] = set()
    dcg = 0.0
    for rank, passage in enumerate(ranked, start=1):
        hits = {i for i, g in enumerate(gold) if overlaps(passage, g)}
        if hits and first_rank is None:
            first_rank = rank
        if hits - covered:
            dcg += 1.0 / math.log2(rank + 1)
        covered |= hits
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(gold), RETRIEVAL_DEPTH) + 1))
    recall = len(covered) / len(gold) if gold else 0.0
    return first_rank, recall, (dcg / ideal if ideal else 0.0)


def _mean(values: Iterable[float | bool]) -> float | None:
    values = [float(v) for v in values]
    return round(sum(values) / len(values), 4) if values else None


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def aggregate(results: Sequence[QuestionResult]) -> dict[str, float | int | None]:
    """The metrics over `results`; `None` for a metric with no question it applies to."""
    answerable = [r for r in results if r.category is not Category.UNANSWERABLE]
    unanswerable = [r for r in results if r.category is Category.UNANSWERABLE]
    disagreement = [r for r in results if r.both_sides is not None]
    # Answers elsewhere that report sources disagreeing: false alarms, unless the sources truly disagree
    # on that question too (the set does not say; read them in the run's questions).
    unlabelled = [r for r in results if r.category is not Category.DISAGREEMENT and not r.abstained]
    quotes_total = sum(len(r.quotes) for r in results)
    abstained = [r for r in results if r.abstained]
    latencies = np.array([r.latency_ms for r in results], dtype=float)
    ranks = [r.first_relevant_rank for r in answerable]
    answerable_quotes = sum(len(r.quotes) for r in answerable)
    return {
        "questions": len(results),
        "hit@1": _mean(rank == 1 for rank in ranks),
        "hit@5": _mean(rank is not None and rank <= 5 for rank in ranks),
        "mrr": _mean(1.0 / rank if rank else 0.0 for rank in ranks),
        "ndcg@10": _mean(r.ndcg_at_10 for r in answerable),
        "recall@10": _mean(r.recall_at_10 for r in answerable),
        "answer_accuracy": _mean(bool(r.answer_correct) for r in answerable),
        "quote_validity": _ratio(sum(r.quotes_valid for r in results), quotes_total),
        "citation_precision": _ratio(sum(r.quotes_supported for r in answerable), answerable_quotes),
        "citation_recall": _mean(r.quotes_supported > 0 for r in answerable),
        "abstention_precision": _ratio(sum(r.category is Category.UNANSWERABLE for r in abstained), len(abstained)),
        "abstention_recall": _mean(r.abstained for r in unanswerable),
        "both_sides_rate": _mean(bool(r.both_sides) for r in disagreement),
        "answerable_abstained": _mean(r.abstained for r in answerable),
        "unlabelled_conflicts": _mean(r.conflicts > 0 for r in unlabelled),
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 2) if len(latencies) else None,
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 2) if len(latencies) else None,
    }


# Metrics that mean something only over a mix of categories. Abstention precision is the share of
# abstentions on unanswerable questions: inside one category it is 1 (unanswerable) or 0 (any other) by
# construction, so per category it is left out (None) rather than reported as a finding.
ACROSS_CATEGORIES_ONLY = ("abstention_precision",)


def metrics_by_category(results: Sequence[QuestionResult]) -> dict[str, dict[str, float | int | None]]:
    by_category = {
        category.value: aggregate([r for r in results if r.category is category])
        for category in Category
        if any(r.category is category for r in results)
    }
    for metrics in by_category.values():
        metrics.update(dict.fromkeys(ACROSS_CATEGORIES_ONLY))
    return by_category
