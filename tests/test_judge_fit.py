"""The fit's building blocks on hand-made data: the answerability examples taken from each pool, and the
per-category cross-validated figures `rag judge fit` records."""

from __future__ import annotations

import numpy as np
import pytest

from rag.evaluation.calibration import CalibrationSample
from rag.evaluation.dataset import Category
from rag.judge import Linear
from rag.judge_fit import Pairs, by_category, top_of_pools

# Two pools of three candidates with one feature each; the ranker scores a candidate by its feature.
PAIRS = Pairs(
    x=np.asarray([[0.2], [0.9], [0.5], [0.1], [0.3], [0.7]]),
    y=np.asarray([0, 1, 0, 0, 0, 1]),
    items=np.asarray([0, 0, 0, 1, 1, 1]),
    readings=np.asarray([0, 0, 0, 1, 1, 1]),
)
RANKER = Linear(np.zeros(1), np.ones(1), np.ones(1), 0.0)


def test_the_answerability_model_learns_from_each_pools_best_candidate_with_its_lead():
    x, y = top_of_pools(PAIRS, np.ones(6, dtype=bool), RANKER)
    # Columns: rank score, lead over the next candidate, features.
    assert x[:, 0].tolist() == [0.9, 0.7] and y.tolist() == [1, 1]
    assert x[:, 1].tolist() == pytest.approx([0.4, 0.4])


def test_with_k_examples_per_pool_only_the_best_carries_a_lead():
    x, y = top_of_pools(PAIRS, np.ones(6, dtype=bool), RANKER, k=2)
    assert x[:, 0].tolist() == [0.9, 0.5, 0.7, 0.3] and y.tolist() == [1, 0, 1, 0]
    assert x[:, 1].tolist() == pytest.approx([0.4, 0.0, 0.4, 0.0])
    masked, _ = top_of_pools(PAIRS, PAIRS.items == 1, RANKER, k=5)  # a pool has only three candidates
    assert masked[:, 0].tolist() == [0.7, 0.3, 0.1]


class _Item:
    def __init__(self, id: str, category: Category) -> None:
        self.id, self.category = id, category


def test_per_category_figures_count_right_answers_and_right_abstentions_at_the_threshold():
    items = [_Item("a", Category.FACT), _Item("b", Category.FACT), _Item("u", Category.UNANSWERABLE)]
    samples = [
        CalibrationSample(id="a", answerable=True, confidence=0.8, answer_correct=True),
        CalibrationSample(id="b", answerable=True, confidence=0.2, answer_correct=True),  # withheld
        CalibrationSample(id="u", answerable=False, confidence=0.1, answer_correct=False),  # abstained: right
    ]
    assert by_category(items, samples, 0.5) == {"fact": 0.5, "unanswerable": 1.0}
    assert by_category(items, samples, 0.05) == {"fact": 1.0, "unanswerable": 0.0}
