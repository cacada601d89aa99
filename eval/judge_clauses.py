"""Is a part of a long sentence closer in meaning to the question than the whole? Dev + training questions only.

    .venv/bin/python eval/judge_clauses.py

A long sentence says several things; its one vector blurs them, so the clause that answers ("creating a
NATO "Front Door" as a gateway for interested vendors", inside a 300-character sentence about the strategy
echoing the US Space Force's) weighs little in the sentence's cosine to the question. This splits every
candidate quote at its clause marks (commas, semicolons, colons, dashes, brackets, quotation marks), merges
pieces shorter than MIN_WORDS words into the next, embeds each piece and each two adjacent pieces
(all-MiniLM-L6-v2), and adds the best cosine of a piece to the question and that best minus the whole
quote's cosine; then compares the judge cross-validated with and without them (eval/judge_experiments.py's
`compare`) on the 216 tuning questions. The test split is never read.
"""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from judge_experiments import compare_signals

from rag.answering import ExtractiveAnswerer
from rag.judge import JudgeCandidate, JudgeQuestion

MIN_WORDS = 5
_MARK = re.compile(r"\s*(?:[,;:()\[\]“”\"]|\s[—–-]\s|—)\s*")


def pieces(text: str) -> list[str]:
    """The quote's clauses (pieces of at least MIN_WORDS words) and each two adjacent ones."""
    parts = [p for p in _MARK.split(text) if p.strip()]
    merged: list[str] = []
    carry = ""
    for p in parts:
        carry = f"{carry} {p}".strip()
        if len(carry.split()) >= MIN_WORDS:
            merged.append(carry)
            carry = ""
    if carry:
        if merged:
            merged[-1] = f"{merged[-1]} {carry}"
        else:
            merged.append(carry)
    if len(merged) < 2:
        return []
    return merged + [f"{a} {b}" for a, b in itertools.pairwise(merged)]


def clauses(answerer: ExtractiveAnswerer):
    embed = answerer.retriever.embedder
    cache: dict[str, np.ndarray] = {}

    def vectors(texts: list[str]) -> list[np.ndarray]:
        new = [t for t in dict.fromkeys(texts) if t not in cache]
        if new:
            for t, v in zip(new, embed.encode(new), strict=True):
                cache[t] = np.asarray(v, dtype=np.float64)
        return [cache[t] for t in texts]

    def measure(question: JudgeQuestion, candidates: list[JudgeCandidate]) -> list[list[float]]:
        q = vectors([question.text])[0]
        rows = []
        for c in candidates:
            whole = float(vectors([c.quote])[0] @ q)
            ps = pieces(c.quote)
            best = max((float(v @ q) for v in vectors(ps)), default=whole)
            best = max(best, whole)
            rows.append([best, best - whole, len(ps) > 0])
        return rows

    return measure


def main() -> None:
    compare_signals(
        clauses,
        {
            "+ clause best, gain": [0, 1],
            "+ clause best": [0],
            "+ clause gain": [1],
        },
    )


if __name__ == "__main__":
    main()
