"""The judge fitted with each category of question weighing the same (scikit-learn's "balanced" sample
weights: a question of a category with n questions weighs N / (categories * n)), against the committed fit
where every question's pairs weigh alike (dev has 47 fact questions and 13 paraphrases, so the fitted
ranker learns mostly what ranks the answer of a fact question first).

    RAG_RERANK_DEPTH=20 RAG_KIND_CHECK=false .venv/bin/python eval/judge_category_balance.py \
        --out /tmp/balanced.json [--answerability]

Writes the balanced judge to --out (never over rag/judge_model.json) and prints its cross-validated dev
figures. It was worse on every one of them, so it was not scored further (it could be, on the training
questions that a dev fit never sees: `RAG_JUDGE_MODEL=/tmp/balanced.json .venv/bin/rag eval --split train
--no-peer`). With --answerability the answerability model (which turns the best candidate's score into a
probability) is weighted too; without it, only the ranker.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from rag import judge_fit
from rag.evaluation.dataset import load_eval_set
from rag.judge import FEATURES, Linear
from rag.service import load_components
from rag.settings import Settings


def balanced_weights(categories: list[str]) -> np.ndarray:
    """Each question's weight: N / (number of categories * questions of its category)."""
    names, counts = np.unique(categories, return_counts=True)
    per = dict(zip(names, len(categories) / (len(names) * counts), strict=True))
    return np.asarray([per[c] for c in categories])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--answerability", action="store_true", help="weight the answerability model too")
    args = parser.parse_args()
    if args.out.resolve() == Path("rag/judge_model.json").resolve():
        raise SystemExit("--out must not be the committed judge")
    dev = Path("eval/questions.jsonl")
    items = load_eval_set(dev)
    item_weight = balanced_weights([item.category.value for item in items])
    from sklearn.linear_model import LogisticRegression

    def fit_ranker(pairs: judge_fit.Pairs, mask: np.ndarray, c: float) -> Linear:
        mean, scale = judge_fit._standardiser(pairs.x[mask])
        z = (pairs.x - mean) / scale
        diffs, weights = [], []
        for r in np.unique(pairs.readings[mask]):
            rows = np.where(pairs.readings == r)[0]
            pos, neg = rows[pairs.y[rows] == 1], rows[pairs.y[rows] == 0]
            if len(pos) and len(neg):
                d = (z[pos][:, None, :] - z[neg][None, :, :]).reshape(-1, z.shape[1])
                diffs.append(d)
                weights.append(np.full(len(d), item_weight[pairs.items[rows[0]]]))
        d, w = np.vstack(diffs), np.concatenate(weights)
        model = LogisticRegression(C=c, fit_intercept=False, max_iter=5000)
        model.fit(np.vstack([d, -d]), np.concatenate([np.ones(len(d)), np.zeros(len(d))]), sample_weight=np.tile(w, 2))
        return Linear(mean, scale, model.coef_[0].copy(), 0.0)

    def top_of_pools(pairs: judge_fit.Pairs, mask: np.ndarray, ranker: Linear, k: int = 1):
        xs, ys, ws = [], [], []
        for r in np.unique(pairs.readings[mask]):
            rows = np.where(pairs.readings == r)[0]
            inputs = judge_fit.answerability_inputs(ranker(pairs.x[rows]), pairs.x[rows])
            order = np.argsort(-inputs[:, 0], kind="stable")[:k]
            xs.extend(inputs[order])
            ys.extend(pairs.y[rows][order])
            ws.extend([item_weight[pairs.items[rows[0]]]] * len(order))
        return np.asarray(xs), np.asarray(ys), np.asarray(ws)

    def fit_model(pairs, mask, ranker_c, answer_c, top_k=1):
        ranker = fit_ranker(pairs, mask, ranker_c)
        x, y, w = top_of_pools(pairs, mask, ranker, top_k)
        if args.answerability:
            mean, scale = judge_fit._standardiser(x)
            model = LogisticRegression(C=answer_c, max_iter=5000)
            model.fit((x - mean) / scale, y, sample_weight=w / w.mean())
            answerability = Linear(mean, scale, model.coef_[0].copy(), float(model.intercept_[0]))
        else:
            answerability = judge_fit.fit_answerability(x, y, answer_c)
        return judge_fit.JudgeModel(FEATURES, ranker, answerability, 0.5, {})

    judge_fit.fit_model = fit_model
    components = load_components(Settings(), progress=False)
    meta = judge_fit.fit_judge(components, items, [dev], args.out)
    shown = ("ranker_C", "answerability_C", "cv_hit@1", "cv_best_candidate_auc", "cv_operating_point", "cv_by_category")
    for key in shown:
        print(key, meta[key])
    print("relevance_floor", meta["relevance_floor"])


if __name__ == "__main__":
    main()
