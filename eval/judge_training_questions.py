"""Does fitting the judge on more questions help? `.venv/bin/python eval/judge_training_questions.py`

Compares, on the same 216 questions (dev's 99 and the 117 of `eval/questions_train.jsonl`), every question
answered by a judge that had not seen it:
- the committed judge (fitted on dev): dev's answers from its cross-validated fit (`cv_operating_point` in
  `rag/judge_model.json`) and the training questions answered by the committed judge as it stands;
- judges fitted on dev + training questions (`rag judge fit --set ... --set ...`), 5-fold cross-validated
  over the 216, with the answerability model on each pool's best candidate (kept) or on the 1/3/5 best.
"Handled" is answered with an accepted answer, or abstained on when the documents do not say. The test
split is never read.
"""

from __future__ import annotations

from pathlib import Path

from rag import judge_fit
from rag.answering import ExtractiveAnswerer
from rag.evaluation.calibration import sample_of
from rag.evaluation.dataset import load_eval_set
from rag.judge import FittedJudge, load_judge_model
from rag.service import load_components
from rag.settings import Settings

DEV, TRAIN = Path("eval/questions.jsonl"), Path("eval/questions_train.jsonl")


def main() -> None:
    components = load_components(Settings(), progress=False)
    dev, train = load_eval_set(DEV), load_eval_set(TRAIN)
    committed = load_judge_model()
    answerer = ExtractiveAnswerer(components.retriever, components.settings, judge=FittedJudge(committed))
    fresh = [sample_of(item, answerer.answer(item.question, history=item.history)) for item in train]
    handled_train = judge_fit.by_category(train, fresh, committed.threshold)
    point = committed.meta["cv_operating_point"]
    dev_handled = round(point["handled"] * len(dev))
    train_handled = sum(round(v * sum(i.category.value == c for i in train)) for c, v in handled_train.items())
    print(
        f"committed judge (dev only): dev (cross-validated) {dev_handled}/{len(dev)}, "
        f"training questions (fresh) {train_handled}/{len(train)}, "
        f"all {(dev_handled + train_handled) / (len(dev) + len(train)):.3f}"
    )
    print(f"  training questions by category {handled_train}")
    for name, (c_grid, k_grid) in {
        "dev + training, best candidate": ((0.1, 1.0), (1,)),
        "dev + training, 1/3/5 best candidates": ((0.1, 0.3, 1.0), (1, 3, 5)),
    }.items():
        judge_fit.ANSWERABILITY_C, judge_fit.TOP_K = c_grid, k_grid
        meta = judge_fit.fit_judge(components, dev + train, [DEV, TRAIN], Path("/tmp/judge-more-questions.json"))
        p = meta["cv_operating_point"]
        print(
            f"{name} (k={meta['answerability_top_k']}): all {p['handled']:.3f} (cross-validated), "
            f"abstention P/R {p['abstention_precision']}/{p['abstention_recall']}, cost {p['cost']}"
        )
        print(f"  dev {meta['cv_by_category_dev']}")
        print(f"  all {meta['cv_by_category']}")


if __name__ == "__main__":
    main()
