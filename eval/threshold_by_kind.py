"""Should questions asking for a value have their own operating point? Dev + training questions only.

    .venv/bin/python eval/threshold_by_kind.py

The near misses left on the tuning side are mostly value questions (how much, how many, who, where,
when) answered with a value that belongs to something else, at a middling probability, while value
questions answered right are mostly judged very likely. This gets each dev question's answer from the
judge of the fold that did not see it (as `rag judge fit` calibrates: 5 folds, the committed judge's
regularisation, the current settings) and each training question's answer from the committed judge
(fitted on dev alone, so it never saw them), with no threshold, then prints, for value questions and for
the rest, the cost curve (a wrong answer = a withheld right one, `rag/evaluation/calibration.py`) and the
point the one-standard-error rule recommends, on dev, on the training questions and on both. The test
split is never read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.answer_types import AnswerType, expected_type
from rag.answering import ExtractiveAnswerer
from rag.evaluation.calibration import CalibrationSample, calibrate, sample_of
from rag.evaluation.dataset import load_eval_set
from rag.judge import FittedJudge, HeuristicJudge, load_judge_model
from rag.judge_fit import build_pairs, fit_model, question_folds
from rag.service import load_components
from rag.settings import Settings


def main() -> None:
    model = load_judge_model()  # the committed judge: its regularisation and operating point
    ranker_c, answer_c, committed = model.meta["ranker_C"], model.meta["answerability_C"], model.threshold
    settings = Settings()
    components = load_components(settings)
    unthresholded = settings.model_copy(update={"min_answer_score": 0.0})
    dev = load_eval_set(Path("eval/questions.jsonl"))
    pairs = build_pairs(ExtractiveAnswerer(components.retriever, settings, judge=HeuristicJudge()), dev)
    samples: list[tuple[CalibrationSample, bool, str]] = []
    for held in question_folds(len(dev)):
        judge = FittedJudge(fit_model(pairs, ~np.isin(pairs.items, held), ranker_c, answer_c))
        answerer = ExtractiveAnswerer(components.retriever, unthresholded, judge=judge)
        for i in held:
            item = dev[int(i)]
            answer = answerer.answer(item.question, history=item.history)
            samples.append((sample_of(item, answer), expected_type(item.question) is not AnswerType.OTHER, "dev"))
    on_dev = ExtractiveAnswerer(components.retriever, unthresholded)  # the committed judge
    for item in load_eval_set(Path("eval/questions_train.jsonl")):
        answer = on_dev.answer(item.question, history=item.history)
        samples.append((sample_of(item, answer), expected_type(item.question) is not AnswerType.OTHER, "train"))
    for scope in ("dev", "train", "both"):
        for group, value in (("value questions", True), ("the rest", False)):
            chosen = [s for s, v, split in samples if v is value and scope in (split, "both")]
            c = calibrate(chosen, committed)
            unanswerable = sum(not s.answerable for s in chosen)
            print(f"{scope:5s} {group:15s} {len(chosen):3d} questions ({unanswerable} unanswerable)")
            lowest = min(p.cost for p in c.curve)
            print(
                f"      recommended {c.recommended.threshold:.3f} (cost {c.recommended.cost:.0f}), "
                f"at {committed}: cost {c.configured.cost:.0f}; lowest cost {lowest:.0f}"
            )
            curve = [f"{p.threshold:.2f}:{p.cost:.0f}" for p in c.curve if 0.2 < p.threshold < 0.7]
            print("      curve: " + " ".join(curve))


if __name__ == "__main__":
    main()
