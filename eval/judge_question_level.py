"""Does a second model over the whole pool abstain better than the best candidate's probability? Dev +
training questions only.

    .venv/bin/python eval/judge_question_level.py

Answering abstains when the best candidate's probability is below the operating point. A question-level
model could read more of the pool: how far the best candidate leads the second and third (ranking score),
how spread the pool's scores are (entropy), how many candidates are judged likely, whether the heuristic
and the dense score agree on the best, its lead in probability, the pool's size. This fits one (logistic
regression) on out-of-fold judgements (nested: each outer fold's stage-two model is fitted on its training
questions as judged by inner-fold judges) and compares its ROC AUC and proxy cost with the best probability
alone, over 5 shuffled fold assignments of the 216 tuning questions (eval/judge_experiments.py). Whether
the answer is right stays the same (the best candidate of the most trusted reading); only the confidence
changes. The test split is never read.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from judge_experiments import N_DEV, proxy_cost, shuffled_folds, tuning_pairs

from rag.judge import FEATURES, answerability_inputs
from rag.judge_fit import Pairs, fit_answerability, fit_ranker, top_of_pools

RANKER_C, ANSWER_C, STAGE_TWO_C = 0.3, 0.1, 0.3

NAMES = ("logit", "lead_2", "lead_3", "entropy", "likely", "heuristic_agrees", "dense_agrees", "p_lead", "size")
VARIANTS = {
    "the best probability's logit only": ["logit"],
    "logit, lead, agreement": ["logit", "lead_2", "heuristic_agrees", "dense_agrees"],
    "all nine": list(NAMES),
}


def pool_statistics(pairs: Pairs, items: np.ndarray, train: np.ndarray) -> dict[int, tuple[float, bool, list[float]]]:
    """For each of `items`: the best probability of its most trusted reading, whether that candidate
    answers, and the reading's pool statistics, judged by a judge fitted on the `train` items."""
    mask = np.isin(pairs.items, train)
    ranker = fit_ranker(pairs, mask, RANKER_C)
    answerability = fit_answerability(*top_of_pools(pairs, mask, ranker), ANSWER_C)
    heuristic, dense = FEATURES.index("heuristic"), FEATURES.index("dense")
    out: dict[int, tuple[float, bool, list[float]]] = {}
    for item in items:
        for reading in np.unique(pairs.readings[pairs.items == item]):
            rows = np.where(pairs.readings == reading)[0]
            x = pairs.x[rows]
            s = ranker(x)
            z = answerability(answerability_inputs(s, x))
            p = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
            order = np.argsort(-p, kind="stable")
            best = order[0]
            top = np.sort(s)[::-1]
            soft = np.exp(s - s.max())
            soft /= soft.sum()
            stats = [
                float(z[best]),
                float(top[0] - top[1]) if len(top) > 1 else 3.0,
                float(top[0] - top[2]) if len(top) > 2 else 3.0,
                float(-(soft * np.log(soft + 1e-12)).sum()),
                float(np.log1p((p > 0.2).sum())),
                float(np.argmax(x[:, heuristic]) == best),
                float(np.argmax(x[:, dense]) == best),
                float(p[best] - p[order[1]]) if len(p) > 1 else 1.0,
                float(np.log(len(p))),
            ]
            if item not in out or p[best] > out[item][0]:
                out[item] = (float(p[best]), bool(pairs.y[rows][best]), stats)
    return out


def run(pairs: Pairs, answerable: np.ndarray, seed: int, columns: list[int]) -> tuple[dict, dict, float, float]:
    from sklearn.metrics import roc_auc_score

    n = len(answerable)
    base, second, right = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
    for held in shuffled_folds(n, seed):
        train = np.setdiff1d(np.arange(n), held)
        second_stage = stage_two(pairs, train, columns, seed)
        for item, (p, ok, stats) in pool_statistics(pairs, held, train).items():
            base[item], right[item] = p, ok
            second[item] = second_stage(stats)
    return (
        proxy_cost(base, right, answerable),
        proxy_cost(second, right, answerable),
        float(roc_auc_score(right, base)),
        float(roc_auc_score(right, second)),
    )


def summary(runs: list[tuple[dict, dict, float, float]], i: int, auc: int) -> str:
    costs = [r[i]["cost"] for r in runs]
    acc = [r[i]["accuracy"] for r in runs]
    aucs = [r[auc] for r in runs]
    return (
        f"AUC {np.mean(aucs):.3f}±{np.std(aucs):.3f} cost {np.mean(costs):.1f}±{np.std(costs):.1f} "
        f"accuracy {np.mean(acc):.3f}"
    )


def stage_two(pairs: Pairs, train: np.ndarray, columns: list[int], seed: int) -> Callable[[list[float]], float]:
    """The question-level model fitted on `train` as judged out of fold (a function of pool statistics)."""
    from sklearn.linear_model import LogisticRegression

    rows, labels = [], []
    for inner in shuffled_folds(len(train), 100 + seed):
        for _, ok, stats in pool_statistics(pairs, train[inner], np.setdiff1d(train, train[inner])).values():
            rows.append(stats)
            labels.append(ok)
    x = np.asarray(rows)[:, columns]
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=STAGE_TWO_C).fit((x - mean) / scale, labels)
    return lambda stats: float(model.predict_proba(((np.asarray(stats)[columns] - mean) / scale)[None])[0, 1])


def question_model_dev_to_training(pairs: Pairs, answerable: np.ndarray, n_dev: int) -> None:
    """Both fitted on dev alone (as the committed judge), judged on the training questions they never saw."""
    from sklearn.metrics import roc_auc_score

    dev, training = np.arange(n_dev), np.arange(n_dev, len(answerable))
    judged = pool_statistics(pairs, training, dev)
    right = np.array([judged[i][1] for i in training])
    base = np.array([judged[i][0] for i in training])
    print(f"fitted on dev, judged on the {len(training)} training questions:")
    print(f"  best probability  AUC {roc_auc_score(right, base):.3f} {proxy_cost(base, right, answerable[training])}")
    for name, names in VARIANTS.items():
        second = stage_two(pairs, dev, [NAMES.index(n) for n in names], 0)
        conf = np.array([second(judged[i][2]) for i in training])
        print(f"  {name}: AUC {roc_auc_score(right, conf):.3f} {proxy_cost(conf, right, answerable[training])}")


def main() -> None:
    pairs, _, answerable = tuning_pairs()
    question_model_dev_to_training(pairs, answerable, N_DEV)
    for name, names in VARIANTS.items():
        runs = [run(pairs, answerable, seed, [NAMES.index(n) for n in names]) for seed in range(5)]

        print(f"{name}:\n  best probability  {summary(runs, 0, 2)}\n  question model    {summary(runs, 1, 3)}")


if __name__ == "__main__":
    main()
