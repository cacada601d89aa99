"""Is the value stated next to what the question is about? Dev + training questions only.

    .venv/bin/python eval/judge_focus_proximity.py

The commonest near miss states a value of the asked kind that belongs to another subject ("Luxembourg
provided an early contribution of EUR 16.5 million" for "How much money did Sweden contribute to APSS?").
The judge's `value_proximity` measures how close the value sits to *any* question word ("contribution"
here), so such a quote looks like an answer. This adds, for every candidate of a question asking for a
value, the same closeness measured to the question's *names* only (`candidates.focus_terms`: what it is
about), in the quote and in the quote read with its context, then compares the judge cross-validated with
and without them (eval/judge_experiments.py's `compare`) on the 216 tuning questions. The test split is
never read.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from judge_experiments import compare_signals

from rag.answer_types import AnswerType, find_values
from rag.answering import ExtractiveAnswerer
from rag.candidates import focus_terms, value_proximity
from rag.judge import JudgeCandidate, JudgeQuestion


def focus_proximity(answerer: ExtractiveAnswerer):
    def measure(question: JudgeQuestion, candidates: list[JudgeCandidate]) -> list[list[float]]:
        focus = focus_terms(question.text)
        rows = []
        for c in candidates:
            if question.asks is AnswerType.OTHER or not focus:
                rows.append([0.0, 0.0, 0.0])
                continue
            spans = [(v.start, v.end) for v in find_values(c.quote, question.asks, exclude=question.text)]
            in_quote = value_proximity(c.quote, spans, focus)
            text = f"{c.context} {c.quote}"
            shift = len(c.context) + 1
            in_context = value_proximity(text, [(a + shift, b + shift) for a, b in spans], focus)
            rows.append([in_quote, in_context, float(bool(spans) and in_quote == 0.0)])
        return rows

    return measure


def main() -> None:
    compare_signals(focus_proximity, {"+ focus proximity": [0, 1, 2], "+ in quote only": [0]})


if __name__ == "__main__":
    main()
