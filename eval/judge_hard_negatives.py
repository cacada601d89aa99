"""Does the ranker learn more from the strongest wrong candidates alone? Dev + training questions only.

    .venv/bin/python eval/judge_hard_negatives.py

The ranker (`rag/judge_fit.py`) learns from every answering candidate against every non-answering one of
its pool; most of those are plainly unrelated sentences, and the answer depends on telling the right quote
from the few strong wrong ones. This compares, first, the judge cross-validated over the pools of the 216
tuning questions (5 shuffled fold assignments, eval/judge_experiments.py) with the ranker's negatives
limited to the heuristic score's best k of each pool; then the full answering pipeline: the judge fitted
on dev alone (as committed) with every negative and with the hard ones, each answering the 117 training
questions, which a dev-only fit never saw, over the whole abstention curve. The test split is never read.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from judge_experiments import logistic, repeated, tuning_pairs

from rag import judge_fit
from rag.answering import ExtractiveAnswerer
from rag.evaluation.calibration import OperatingPoint, calibrate, operating_point, sample_of
from rag.evaluation.dataset import load_eval_set
from rag.judge import FittedJudge, load_judge_model
from rag.service import load_components
from rag.settings import Settings

DEV, TRAIN = Path("eval/questions.jsonl"), Path("eval/questions_train.jsonl")
HARD = (None, 8, 10, 15, 20)
KEPT_OUT = 10  # the k of the full-pipeline comparison: the middle of the level stretch above


def pools() -> None:
    pairs, _, answerable = tuning_pairs()
    print(f"pools of the 216 tuning questions: {len(pairs.y)} candidates, {int(pairs.y.sum())} answering")
    for k in HARD:
        judge_fit.HARD_NEGATIVES = k
        name = "every negative" if k is None else f"heuristic's top {k}"
        print(f"  {name:20s} " + repeated(pairs, answerable, 0.3, logistic(0.1)))


def describe(point: OperatingPoint) -> str:
    return (
        f"threshold {point.threshold:.3f}: answer accuracy {point.answer_accuracy:.3f}, abstention P/R "
        f"{point.abstention_precision}/{point.abstention_recall}, handled {point.handled:.3f}"
    )


def pipeline() -> None:
    components = load_components(Settings(), progress=False)
    dev, train = load_eval_set(DEV), load_eval_set(TRAIN)
    for k in (None, KEPT_OUT):
        judge_fit.HARD_NEGATIVES = k
        out = Path(f"/tmp/judge-hard-{k}.json")
        meta = judge_fit.fit_judge(components, dev, [DEV], out)
        model = load_judge_model(out)
        settings = components.settings.model_copy(update={"min_answer_score": 0.0})
        answerer = ExtractiveAnswerer(components.retriever, settings, judge=FittedJudge(model))
        samples = [sample_of(i, answerer.answer(i.question, history=i.history)) for i in train]
        curve = calibrate(samples, model.threshold)
        name = "every negative (committed)" if k is None else f"heuristic's top {k}"
        print(f"{name}: dev cross-validated cost {meta['cv_operating_point']['cost']}, hit@1 {meta['cv_hit@1']}")
        print(f"  training questions, no threshold:     {describe(operating_point(samples, 0.0))}")
        print(f"  training questions, its own point:    {describe(curve.configured)}")
        for recall in (0.5, 0.6, 0.7):
            reached = [p for p in curve.curve if (p.abstention_recall or 0.0) >= recall]
            if reached:
                print(f"  training questions, recall >= {recall}: {describe(reached[0])}")


def main() -> None:
    pools()
    pipeline()
    judge_fit.HARD_NEGATIVES = None


if __name__ == "__main__":
    main()
