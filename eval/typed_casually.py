"""The evaluation questions as a user types them in a hurry: all in lower case, with no question mark (or,
with `--capitals`, all in capitals, with it).

    .venv/bin/python eval/typed_casually.py [--split dev|train|chains|test] [--capitals]

Each question of the split is scored twice with the split's own answers and evidence (`rag eval`'s
scoring): as written, and typed casually ("how much did luxembourg pay for 3sas"). The chat history is left
as written. A service that answers the written question should answer the casual one alike: the figure is
how many questions are handled right each way, and which flip. The test split may be scored once after a
choice, like `rag eval --check`, and is never used to choose anything.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from rag.evaluation.dataset import EvalItem, load_eval_set
from rag.evaluation.metrics import score_question
from rag.evaluation.systems import PipelineSystem
from rag.service import load_components
from rag.settings import Settings

SPLITS = {
    "dev": Path("eval/questions.jsonl"),
    "train": Path("eval/questions_train.jsonl"),
    "chains": Path("eval/questions_chains.jsonl"),
    "test": Path("eval/questions_test.jsonl"),
}


def casual(question: str) -> str:
    """`question` in lower case, without the question mark at its end."""
    return question.strip().rstrip("?").rstrip().lower()


def shouted(question: str) -> str:
    """`question` in capitals."""
    return question.strip().upper()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=sorted(SPLITS), default="dev")
    parser.add_argument("--capitals", action="store_true", help="type the questions in capitals instead")
    args = parser.parse_args()
    typed = shouted if args.capitals else casual
    items = load_eval_set(SPLITS[args.split])
    components = load_components(Settings(), progress=False)
    system = PipelineSystem(components)
    texts = {doc_id: doc.text for doc_id, doc in components.index.documents.items()}
    label = "in capitals" if args.capitals else "typed casually"
    right = {"as written": 0, label: 0}
    flips: list[str] = []
    for item in items:
        outcome = []
        for way, variant in (("as written", item), (label, _typed(item, typed))):
            result = score_question(variant, system.run(variant), texts)
            right[way] += result.correct
            outcome.append(result.correct)
        if outcome[0] != outcome[1]:
            change = "right -> wrong" if outcome[0] else "wrong -> right"
            flips.append(f"  {change}: {item.id}: {typed(item.question)}")
    print(f"{SPLITS[args.split]}: {len(items)} questions handled right (answered right, or abstained on)")
    for way, count in right.items():
        print(f"  {way:15} {count:4d}  {count / len(items):.3f}")
    print(f"flips ({len(flips)}):", *flips, sep="\n")


def _typed(item: EvalItem, typed: Callable[[str], str]) -> EvalItem:
    return item.model_copy(update={"question": typed(item.question)})


if __name__ == "__main__":
    main()
