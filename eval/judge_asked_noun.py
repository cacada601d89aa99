"""Is the noun the question asks about ("which initiative") stated in the quote or its context? Dev + training.

    .venv/bin/python eval/judge_asked_noun.py

A quote answering "Which initiative would give the Alliance …?" usually names an initiative. This adds, for
every candidate of a question whose wh-phrase ends with a noun, whether that noun (by its stem) is stated
in the quote and in its context, and compares the judge cross-validated with and without them
(eval/judge_experiments.py's `compare`) on the 216 tuning questions. The test split is never read.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from judge_experiments import compare_signals

from rag.answering import ExtractiveAnswerer
from rag.judge import JudgeCandidate, JudgeQuestion
from rag.kind_check import wh_phrases
from rag.text import stem_words, tokenize


@lru_cache(maxsize=4096)
def wh_noun(question: str) -> str | None:
    """The stem of the noun ending the first wh-phrase ("which initiative would …" -> "initi"), or None."""
    for phrase in wh_phrases(question):
        nouns = [t.text for t in phrase if t.pos_ == "NOUN"]
        if nouns:
            return stem_words([nouns[-1].lower()])[0]
    return None


def signals(answerer: ExtractiveAnswerer):
    def measure(question: JudgeQuestion, candidates: list[JudgeCandidate]) -> list[list[float]]:
        # A follow-up's reading holds earlier questions first: the wh-phrase is the last question's.
        asked = question.text.split("?")[-2] + "?" if question.text.count("?") > 1 else question.text
        noun = wh_noun(asked)
        if noun is None:
            return [[0.0, 0.0, 0.0] for _ in candidates]
        quotes = tokenize([c.quote for c in candidates])
        contexts = tokenize([c.context for c in candidates])
        return [[1.0, float(noun in q), float(noun in c)] for q, c in zip(quotes, contexts, strict=True)]

    return measure


if __name__ == "__main__":
    compare_signals(signals, {"+ wh-noun stated (quote, context)": [0, 1, 2], "+ wh-noun in quote": [0, 1]})
