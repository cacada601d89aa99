"""Weights that adapt to how the question is worded: does the judge rank paraphrases better when its
features may weigh meaning against word overlap by how much the pool shares the question's words? Dev +
training questions only.

    .venv/bin/python eval/judge_pool_adaptive.py

The ranker is one linear function for every question. Dev is mostly fact questions, whose answers repeat
the question's words, so word coverage weighs heavily; a paraphrase shares few words with its answer, and
there the best-covered sentence is often an on-topic wrong one while the answer wins on meaning. A
question-level quantity cancels out of a pairwise ranker, but its products with a candidate's signals do
not: with L the pool's best word coverage (in context), this adds meaning x (1 - L) and coverage x L, so
the fit may trust meaning more where nothing covers the question well. Compared as the other judge
experiments are (eval/judge_experiments.py): 5 shuffled fold assignments of the 216 tuning questions, and
fitted on dev alone, scored on the 117 training questions. The test split is never read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from judge_experiments import dev_to_training, logistic, repeated, tuning_pairs

from rag.judge import FEATURES
from rag.judge_fit import Pairs

MEANING = ("dense", "dense_context", "soft_sentence", "soft_context")
WORDS = ("cover_sentence", "cover_context", "focus_sentence")


def pool_adaptive(pairs: Pairs, lexical: str = "cover_context") -> np.ndarray:
    """The interaction columns of every candidate: meaning x (1 - L) and word coverage x L, L the best
    `lexical` of its pool."""
    x = pairs.x
    level = np.zeros(len(x))
    for r in np.unique(pairs.readings):
        rows = pairs.readings == r
        level[rows] = x[rows, FEATURES.index(lexical)].max()
    meaning = [x[:, FEATURES.index(n)] * (1.0 - level) for n in MEANING]
    words = [x[:, FEATURES.index(n)] * level for n in WORDS]
    return np.column_stack([*meaning, *words, level])


def main() -> None:
    pairs, _, answerable = tuning_pairs()
    print(f"{len(pairs.y)} candidates, {int(pairs.y.sum())} answering, {len(answerable)} questions")
    variants = {"current features": pairs}
    for lexical in ("cover_context", "cover_sentence", "soft_context"):
        extra = pool_adaptive(pairs, lexical)
        variants[f"+ adaptive ({lexical})"] = Pairs(
            np.column_stack([pairs.x, extra]), pairs.y, pairs.items, pairs.readings
        )
    for name, p in variants.items():
        print(f"  {name:32s} shuffled folds  {repeated(p, answerable, 0.3, logistic(0.1))}")
        print(f"  {name:32s} dev -> training {dev_to_training(p, answerable, 0.3, logistic(0.1))}")


if __name__ == "__main__":
    main()
