"""How much the calibrated operating point depends on the fold assignment (not adopted; README, "The
operating point and the folds").

`rag judge fit` chooses the operating point on cross-validated dev answers with one fold assignment (every
fifth question). This refits the fold judges for R assignments (the committed one, then seeded shuffles),
answers dev with each as the fit does, and prints each assignment's recommended point (the one-standard-
error rule of `rag/evaluation/calibration.py`), the point recommended on the cost curve averaged over the
assignments, and that averaged curve. Run as the committed judge was fitted:

    RAG_RERANK_DEPTH=20 RAG_KIND_CHECK=false .venv/bin/python eval/threshold_folds.py [R] [--wrong-cost W]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from pathlib import Path

import numpy as np

from rag.answering import ExtractiveAnswerer
from rag.evaluation.calibration import CalibrationSample, operating_point, sample_of
from rag.evaluation.dataset import load_eval_set
from rag.judge import DEFAULT_JUDGE_MODEL, FittedJudge, HeuristicJudge
from rag.judge_fit import FOLDS, build_pairs, fit_model
from rag.service import load_components
from rag.settings import Settings

DEV = Path("eval/questions.jsonl")
SHOWN = (0.2, 0.25, 0.3, 0.315, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def grid(runs: list[list[CalibrationSample]]) -> list[float]:
    """Thresholds halfway between consecutive distinct confidences of `runs`, as `calibrate` places them."""
    levels = sorted({round(s.confidence, 4) for run in runs for s in run})
    return [0.0, *((a + b) / 2 for a, b in itertools.pairwise(levels)), levels[-1] + 1e-4]


def cost(samples: list[CalibrationSample], threshold: float, wrong_cost: float) -> tuple[float, float]:
    """The cost at `threshold` with a wrong answer costing `wrong_cost` withheld right answers, and its
    standard error (counts read as Poisson)."""
    point = operating_point(samples, threshold)
    value = wrong_cost * point.wrong_answers + point.withheld_answers
    return value, math.sqrt(wrong_cost**2 * point.wrong_answers + point.withheld_answers)


def recommended(
    runs: list[list[CalibrationSample]], thresholds: list[float], wrong_cost: float = 1.0
) -> tuple[float, float]:
    """The lowest threshold whose cost, averaged over `runs`, is within one standard error of the lowest (at
    a wrong answer's cost of 1, the rule of `rag/evaluation/calibration.py`)."""
    costs = [np.mean([cost(run, t, wrong_cost) for run in runs], axis=0) for t in thresholds]
    lowest, error = min(costs, key=lambda c: c[0])
    return min(t for t, c in zip(thresholds, costs, strict=True) if c[0] <= lowest + error), float(lowest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repeats", nargs="?", type=int, default=5, help="fold assignments")
    parser.add_argument("--wrong-cost", type=float, default=1.0, help="a wrong answer's cost in withheld answers")
    args = parser.parse_args()
    repeats, wrong_cost = args.repeats, args.wrong_cost
    components = load_components(Settings())
    items = load_eval_set(DEV)
    pairs = build_pairs(ExtractiveAnswerer(components.retriever, components.settings, judge=HeuristicJudge()), items)
    meta = json.loads(DEFAULT_JUDGE_MODEL.read_text(encoding="utf-8"))["meta"]
    ranker_c, answer_c, top_k = meta["ranker_C"], meta["answerability_C"], meta["answerability_top_k"]
    settings = components.settings.model_copy(update={"min_answer_score": 0.0, "min_relevance": 0.0})
    runs = []
    for r in range(repeats):
        order = np.arange(len(items)) if r == 0 else np.random.default_rng(r).permutation(len(items))
        samples = []
        for held in (order[f::FOLDS] for f in range(FOLDS)):
            model = fit_model(pairs, ~np.isin(pairs.items, held), ranker_c, answer_c, top_k)
            answerer = ExtractiveAnswerer(components.retriever, settings, judge=FittedJudge(model))
            for i in held:
                item = items[int(i)]
                samples.append(sample_of(item, answerer.answer(item.question, history=item.history)))
        runs.append(samples)
    print(f"a wrong answer costs {wrong_cost:g} withheld right answers")
    for r, run in enumerate(runs):
        # each on its own grid, as `rag judge fit` calibrates
        point, lowest = recommended([run], grid([run]), wrong_cost)
        name = "committed" if r == 0 else f"seed {r}"
        print(f"fold assignment {r} ({name}): point {point:.3f}, lowest cost {lowest:.0f}")
    point, lowest = recommended(runs, grid(runs), wrong_cost)
    print(f"averaged over {repeats}: point {point:.3f}, lowest mean cost {lowest:.1f}")
    for t in SHOWN:
        print(f"  threshold {t:.3f}: mean cost {np.mean([cost(run, t, wrong_cost)[0] for run in runs]):.1f}")


if __name__ == "__main__":
    main()
