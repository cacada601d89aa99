"""The subject check (`rag/subject.py`) in the wider forms measured and not adopted, on the tuning side only
(dev, training questions, chains, and the probe sets); the test split is never read.

    .venv/bin/python eval/subject_scope.py kinds|all|paragraph

- `kinds`: also questions asking for a kind of name (which company, where, who: the answer-kind check's);
- `all`: every question;
- `paragraph`: value questions, with the candidate's paragraph read in place of its context.

It runs `rag eval --split dev|train|chains --no-peer` into eval/results/subject-<variant>/ (compare with
`rag eval --compare` against a run without the variant) and prints each probe set's summary.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "eval"))

from probe_answers import score, summary  # noqa: E402

import rag.subject as subject  # noqa: E402
from rag.answer_types import AnswerType  # noqa: E402
from rag.cli import app  # noqa: E402

PROBES = ("pointing_chats", "value_questions", "possessive_chats", "paraphrases", "disagreements")


def install(variant: str) -> None:
    if variant == "kinds":
        subject.VALUES = (*subject.VALUES, AnswerType.PERSON, AnswerType.PLACE, AnswerType.OTHER)
        original = subject.SubjectCheck.about_asked

        def kinds_only(self, reading, candidates):  # OTHER only when the kind check reads a kind of name
            from rag.kind_check import answer_check

            if subject.expected_type(reading.type_question) is AnswerType.OTHER and not answer_check(
                reading.type_question
            ):
                return candidates
            return original(self, reading, candidates)

        subject.SubjectCheck.about_asked = kinds_only
    elif variant == "all":
        subject.VALUES = tuple(AnswerType)
    elif variant == "paragraph":
        subject.SubjectCheck.around = lambda self, sid: self.stats.paragraph_tokens[sid]
    else:
        raise SystemExit(__doc__)


def main() -> None:
    variant = sys.argv[1] if len(sys.argv) > 1 else ""
    install(variant)
    for split in ("dev", "train", "chains"):
        try:
            app(["eval", "--split", split, "--no-peer", "--out", f"eval/results/subject-{variant}"])
        except SystemExit as exc:
            if exc.code:
                raise
    for name in PROBES:
        print(name, summary(score(REPO / "eval" / "probes" / f"{name}.jsonl")))


if __name__ == "__main__":
    main()
