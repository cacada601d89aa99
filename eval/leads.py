"""Does an answer's lead state what its gold answers say? A check of the value an answer opens with.

    .venv/bin/python eval/leads.py [--set eval/questions.jsonl] [--set eval/questions_train.jsonl] ...

`rag eval` scores an answer by its quotes: right when a quote states a gold answer. The lead ("Sweden [1]:
“…”") is not scored, yet it is what a reader takes in first, and a wrong lead beside a right quote ("Space
[1]: “… Finland and Sweden … agreed to develop the Alliance Persistent Surveillance from Space (APSS)
programme.”") misleads all the same. For every answered, answerable question whose answer opens with a
lead (not a disagreement), this prints the leads that neither contain a gold answer nor are contained in
one (case and spacing aside), and whether the quotes themselves are right. The gold answers are written
for quotes, so a right lead may be listed ("Toulouse, France" against "Centre of Excellence in Toulouse");
the list is for reading, not a score. The test split is refused.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rag.chat import Turn
from rag.evaluation.dataset import load_eval_set
from rag.service import load_components
from rag.settings import Settings

TEST_SPLIT = Path("eval/questions_test.jsonl")
_LEAD = re.compile(r"^(.*?) \[\d+\]: “")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("’", "'")).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, action="append", dest="sets")
    args = parser.parse_args()
    sets = args.sets or [Path("eval/questions.jsonl"), Path("eval/questions_train.jsonl")]
    if any(s.resolve() == TEST_SPLIT.resolve() for s in sets):
        raise SystemExit("the test split is never used to choose anything")
    answerer = load_components(Settings(), progress=False).extractive
    leads = mismatched = 0
    for path in sets:
        for item in load_eval_set(path):
            if not item.answerable:
                continue
            history = [Turn(role=t.role, content=t.content) for t in item.history] or None
            answer = answerer.answer(item.question, history=history)
            m = _LEAD.match(answer.answer)
            if answer.abstained or m is None or answer.answer.startswith("The sources disagree"):
                continue
            leads += 1
            lead = _norm(m.group(1))
            if any(lead in _norm(g) or _norm(g) in lead for g in item.answers):
                continue
            mismatched += 1
            quoted = _norm(" ".join(c.quote for c in answer.citations))
            right = any(_norm(g) in quoted for g in item.answers)
            print(f"{item.id} (quotes {'right' if right else 'wrong'}): lead {m.group(1)!r}, gold {item.answers[:2]}")
    print(f"{leads} answers with a lead; {mismatched} leads neither contain nor are contained in a gold answer")


if __name__ == "__main__":
    main()
