"""Does an answerability model whose weights keep the sign their meaning gives them judge better? Dev +
training questions only.

    .venv/bin/python eval/judge_monotone.py

The answerability model (`rag/judge_fit.py`) is a logistic regression over ~30 strongly correlated inputs
(three cosines, three coverages, two focus shares...). Fitted freely, some weights take the sign opposite to
their meaning, to correct a correlated neighbour: in the committed judge, lagging the pool's best cosine
(`dense_gap`) and *not* naming the question's focus (`focus_sentence`, `focus_context`) raise the
probability. Inside the range of the training pools that is harmless; outside it, on a question far from
anything the corpus says, the corrections add up and an unrelated quote is judged answerable ("What is the
capital city of Peru?" answered at 0.37 with a sentence whose cosine to it is 0.03).

This fits the same model with each evidence weight bounded to its meaning's sign (more meaning, coverage,
focus, a value of the asked kind -> not less likely; a gap to the pool's best, uncovered terms, a missing
value -> not more likely); what describes the question (what it asks, its length) and neutral descriptors of
the quote (its length, being extended, closeness to an anchor) stay free. Same penalty as scikit-learn's
(C times the log loss plus half the squared weights; the intercept unpenalised), solved by L-BFGS-B with
bounds (scipy). Compared, as every judge experiment here, by eval/judge_experiments.py's `compare`
harness on the 216 tuning questions; also, with the ranker bounded the same way. The test split is never
read.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import judge_experiments
from judge_experiments import Answerability, dev_to_training, evaluate, logistic, repeated, tuning_pairs

from rag.judge import FEATURES, Linear
from rag.judge_fit import Pairs, fit_ranker, pair_differences

# +1: evidence for an answer; -1: evidence against; 0: free (describes the question, or neutral).
SIGNS = {
    "rank_score": 1,
    "lead": 1,
    "dense": 1,
    "dense_alone": 1,
    "dense_context": 1,
    "dense_gap": -1,
    "heuristic": 1,
    "heuristic_gap": -1,
    "heuristic_rank": 1,
    "cover_sentence": 1,
    "cover_context": 1,
    "cover_paragraph": 1,
    "focus_sentence": 1,
    "focus_context": 1,
    "uncovered": -1,
    "soft_sentence": 1,
    "soft_context": 1,
    "value_proximity": 1,
    "asks_value": 0,
    "value_stated": 1,
    "value_missing": -1,
    "asks_person": 0,
    "asks_date": 0,
    "asks_count_or_amount": 0,
    "polar": 0,
    "question_terms": 0,
    "near_anchor": 0,
    "passage_rank": 1,
    "extended": 0,
    "quote_length": 0,
}
INPUTS = ("rank_score", "lead", *FEATURES)


def bounded_logistic(c: float, signs: list[int], intercept: bool = True) -> Callable:
    """Fit weights (standardised inputs) minimising C * log loss + |w|^2 / 2 with sign bounds."""
    from scipy.optimize import minimize

    def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        z = (x - mean) / scale
        n = z.shape[1]

        def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
            w, b = params[:n], params[n] if intercept else 0.0
            m = z @ w + b
            # log(1 + e^m) - y m, stably
            ll = np.logaddexp(0, m) - y * m
            g = (1 / (1 + np.exp(-m)) - y) * c
            grad = np.concatenate([z.T @ g + w, [g.sum()] if intercept else []])
            return float(c * ll.sum() + 0.5 * w @ w), grad

        bounds = [(0, None) if s > 0 else (None, 0) if s < 0 else (None, None) for s in signs]
        bounds += [(None, None)] if intercept else []
        res = minimize(loss, np.zeros(n + int(intercept)), jac=True, method="L-BFGS-B", bounds=bounds)
        return mean, scale, res.x[:n], float(res.x[n]) if intercept else 0.0

    return fit


def monotone(c: float) -> Answerability:
    signs = [SIGNS[name] for name in INPUTS]
    solve = bounded_logistic(c, signs)

    def fit(x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        mean, scale, w, b = solve(x, y)
        return lambda z: 1.0 / (1.0 + np.exp(-np.clip(((z - mean) / scale) @ w + b, -50, 50)))

    return fit


def bounded_ranker(pairs: Pairs, mask: np.ndarray, c: float) -> Linear:
    """fit_ranker's pairwise logistic regression with the same sign bounds on the features' weights."""
    mean, scale = pairs.x[mask].mean(axis=0), pairs.x[mask].std(axis=0)
    scale[scale == 0] = 1.0
    d = pair_differences(pairs, mask, (pairs.x - mean) / scale)
    solve = bounded_logistic(c, [SIGNS[name] for name in FEATURES], intercept=False)
    # The solver standardises its inputs again (the differences of both signs have mean 0): its weights are
    # per difference-scale unit, hence the division back to weights on the standardised features.
    _, dscale, w, _ = solve(np.vstack([d, -d]), np.concatenate([np.ones(len(d)), np.zeros(len(d))]))
    return Linear(mean, scale, w / dscale, 0.0)


def main() -> None:
    pairs, _, answerable = tuning_pairs()
    print(f"{len(pairs.y)} candidates, {int(pairs.y.sum())} answering, {len(answerable)} questions")
    variants = {"free (committed)": logistic, "sign-bounded": monotone}
    for name, make in variants.items():
        for ac in (0.1, 1.0):
            r = evaluate(pairs, answerable, 0.3, make(ac))
            print(f"  {name:18s} ac={ac} " + " ".join(f"{k}={v:.3f}" for k, v in r.items()))
    print("  at ranker C 0.3, answerability C 0.1, 5 shuffled fold assignments (mean ± sd):")
    for name, make in variants.items():
        print(f"  {name:18s} " + repeated(pairs, answerable, 0.3, make(0.1)))
    print("  fitted on dev alone, scored on the training questions:")
    for name, make in variants.items():
        print(f"  {name:18s} " + dev_to_training(pairs, answerable, 0.3, make(0.1)))
    judge_experiments.fit_ranker = bounded_ranker  # evaluate() fits its rankers through this name
    print("  the ranker sign-bounded too (5 shuffled fold assignments; dev alone -> training questions):")
    for name, make in variants.items():
        print(f"  {name:18s} " + repeated(pairs, answerable, 0.3, make(0.1)))
        print(f"  {name:18s} " + dev_to_training(pairs, answerable, 0.3, make(0.1)))
    judge_experiments.fit_ranker = fit_ranker


if __name__ == "__main__":
    main()
