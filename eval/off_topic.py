"""How often off-topic questions get an answer: asked on their own and after a chat about the corpus.

    .venv/bin/python eval/off_topic.py [eval/off_topic_tuning.txt | eval/off_topic_heldout.txt]
    RAG_MIN_RELEVANCE=0 .venv/bin/python eval/off_topic.py ...    # without the off-topic check

Each line of the file is a question the five seed documents say nothing about (general knowledge, recipes,
sport). Every one is asked with no history, then after each of three opening exchanges about the corpus
(the question, and the service's own answer to it, as a chat client would send them back). Any answer is a
wrong answer. `eval/off_topic_tuning.txt` is the list the check's design was looked at on; the held-out
list was written before the check was run on it and is never used to choose anything.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rag.chat import Turn
from rag.service import load_components
from rag.settings import Settings

OPENINGS = (
    "What is NORTHLINK?",
    "Where is the NATO Space Operations Centre?",
    "What does NATO's Commercial Space Strategy aim to do?",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("questions", type=Path, nargs="?", default=Path("eval/off_topic_tuning.txt"))
    args = parser.parse_args()
    questions = [line.strip() for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    components = load_components(Settings(), progress=False)
    answerer = components.answerer
    print(f"{args.questions}: {len(questions)} questions, off-topic floor {components.extractive.relevance_floor}")
    histories: list[tuple[str, list[Turn] | None]] = [("no history", None)]
    for opening in OPENINGS:
        reply = answerer.answer(opening)
        histories.append(
            (f"after {opening!r}", [Turn(role="user", content=opening), Turn(role="assistant", content=reply.answer)])
        )
    total = 0
    for label, history in histories:
        answered = [(q, answerer.answer(q, history=history)) for q in questions]
        answered = [(q, a) for q, a in answered if not a.abstained]
        total += len(answered)
        print(f"{label}: {len(answered)} of {len(questions)} answered")
        for q, a in answered:
            print(f"    {a.confidence:.3f} {a.read_with:17s} {q} -> {a.citations[0].quote[:70]!r}")
    print(f"in all: {total} of {len(questions) * len(histories)} answered")


if __name__ == "__main__":
    main()
