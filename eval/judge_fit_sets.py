"""Should the judge be fitted on the training questions too? Dev + training questions only.

    .venv/bin/python eval/judge_fit_sets.py

The committed judge is fitted on dev alone. The training questions were written like the test split
(weighted toward near misses and paraphrases), and judges fitted on dev transfer to them worse than
cross-validation over the mix suggests (the README's last judge sections). A fairer check of whether they
help: the training questions come from three writers, one per group of documents (ids `train-a-`,
`train-b-`, `train-c-`). Each group is held out in turn. Two judges are fitted by the full `rag judge fit`,
each with its operating point chosen on its own cross-validated answers: one on dev alone, one on dev and
the two other groups. Both then answer the held-out group, whose questions are about documents the second
judge's training questions never covered. The test split is never read.
"""

from __future__ import annotations

from pathlib import Path

from rag import judge_fit
from rag.answering import ExtractiveAnswerer
from rag.evaluation.calibration import operating_point, sample_of
from rag.evaluation.dataset import EvalItem, load_eval_set
from rag.judge import FittedJudge, load_judge_model
from rag.service import QAComponents, load_components
from rag.settings import Settings

DEV, TRAIN = Path("eval/questions.jsonl"), Path("eval/questions_train.jsonl")
GROUPS = ("train-a-", "train-b-", "train-c-")


def handled(components: QAComponents, model_path: Path, items: list[EvalItem]) -> tuple[list[bool], str]:
    """Whether the judge at `model_path`, at its own operating point, handles each of `items` right
    (answers with an accepted answer, or abstains when the documents do not say), and a summary."""
    from sklearn.metrics import roc_auc_score

    model = load_judge_model(model_path)
    settings = components.settings.model_copy(update={"min_answer_score": 0.0})
    answerer = ExtractiveAnswerer(components.retriever, settings, judge=FittedJudge(model))
    samples = [sample_of(i, answerer.answer(i.question, history=i.history)) for i in items]
    point = operating_point(samples, model.threshold)
    auc = roc_auc_score([s.answer_correct for s in samples], [s.confidence for s in samples])
    right = [
        (s.confidence >= model.threshold and s.answer_correct) if s.answerable else s.confidence < model.threshold
        for s in samples
    ]
    return right, (
        f"threshold {model.threshold:.3f}, handled {point.handled:.3f}, answer accuracy {point.answer_accuracy:.3f}, "
        f"abstention P/R {point.abstention_precision}/{point.abstention_recall}, answer ROC AUC {auc:.3f}"
    )


def main() -> None:
    components = load_components(Settings(), progress=False)
    dev, train = load_eval_set(DEV), load_eval_set(TRAIN)
    dev_only = Path("/tmp/judge-sets-dev.json")
    judge_fit.fit_judge(components, dev, [DEV], dev_only)
    totals: dict[str, list[bool]] = {}
    for group in GROUPS:
        held = [i for i in train if i.id.startswith(group)]
        rest = [i for i in train if not i.id.startswith(group)]
        with_rest = Path(f"/tmp/judge-sets-without-{group}json")
        judge_fit.fit_judge(components, dev + rest, [DEV, TRAIN], with_rest)
        for name, path in (("dev alone", dev_only), ("dev + other groups", with_rest)):
            right, summary = handled(components, path, held)
            totals.setdefault(name, []).extend(right)
            print(f"held out {group:9s} ({len(held)}), fitted on {name:18s}: {summary}")
    for name, right in totals.items():
        print(f"all {len(right)} held-out questions, fitted on {name}: handled {sum(right) / len(right):.3f}")


if __name__ == "__main__":
    main()
