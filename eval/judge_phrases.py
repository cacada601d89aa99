"""Is each part of the question stated, in meaning? Dev + training questions only.

    .venv/bin/python eval/judge_phrases.py

A paraphrase words its details differently from its answer ("a cheaper, quicker way of putting payloads
into orbit" for "cost-effective launch capabilities"). The sentence's cosine to the whole question blurs
them; word-level soft coverage (`soft_sentence`) matches one word at a time. This embeds the question's
phrases (windows of three content words, stride two, all-MiniLM-L6-v2) and adds, for every candidate, the
mean and the minimum over the phrases of the best cosine to the sentence or to the sentence in its
context, then compares the judge cross-validated with and without them (eval/judge_experiments.py's
`compare`) on the 216 tuning questions. The test split is never read.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from judge_experiments import compare_signals

from rag.answering import ExtractiveAnswerer
from rag.judge import JudgeCandidate, JudgeQuestion
from rag.text import stopword_set

WINDOW = 3
STRIDE = 2
_WORD = re.compile(r"[\w’'-]+")


def phrases(question: str) -> list[str]:
    stop = stopword_set()
    words = [w for w in _WORD.findall(question) if w.lower() not in stop]
    if len(words) <= WINDOW:
        return [" ".join(words)] if words else [question]
    return [
        " ".join(words[i : i + WINDOW]) for i in range(0, len(words) - WINDOW + STRIDE, STRIDE) if words[i : i + WINDOW]
    ]


def phrase_cover(answerer: ExtractiveAnswerer):
    index = answerer.index
    embedder = answerer.retriever.embedder

    def measure(question: JudgeQuestion, candidates: list[JudgeCandidate]) -> list[list[float]]:
        p = np.asarray(embedder.encode(phrases(question.text)))
        rows = []
        for c in candidates:
            sid = c.scored.sentence_id
            best = np.maximum(p @ index.sentence_vectors[sid], p @ index.context_vectors[sid])
            rows.append([float(best.mean()), float(best.min())])
        return rows

    return measure


def main() -> None:
    compare_signals(phrase_cover, {"+ phrase cover": [0, 1], "+ mean only": [0]})


if __name__ == "__main__":
    main()
