"""Does the meaning of a candidate's surroundings help rank it? Dev + training questions only.

    .venv/bin/python eval/judge_neighbourhood.py

A paraphrase shares few words with its answer, and the sentence's own cosine is a weak signal; but the
question's other details ("the first gathering in southern France") are often stated in the sentences
around the answer or elsewhere in its document. This adds, for every candidate, how close in meaning
(cosine to the question, all-MiniLM-L6-v2) its neighbourhood is: the best sentence within two of it
(itself left out), the best of its paragraph, the mean of its document's three best sentences, and that
document mean's gap to the best document of the pool; then compares the judge cross-validated with and
without them (eval/judge_experiments.py's `compare`) on the 216 tuning questions. The test split is never
read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from judge_experiments import compare_signals

from rag.answering import ExtractiveAnswerer
from rag.judge import JudgeCandidate, JudgeQuestion

WINDOW = 2
DOC_TOP = 3


def neighbourhood(answerer: ExtractiveAnswerer):
    index = answerer.index
    sentences = index.sentences
    vectors = np.stack([index.sentence_vectors[i] for i in range(len(sentences))])
    docs = np.array([s.doc_id for s in sentences])
    paragraphs = np.array([f"{s.doc_id}:{s.block}" for s in sentences])

    def measure(question: JudgeQuestion, candidates: list[JudgeCandidate]) -> list[list[float]]:
        q = answerer.retriever.embedder.encode([question.text])[0]
        sims = vectors @ q
        doc_score: dict[str, float] = {}
        for d in {c.scored.doc_id for c in candidates}:
            top = np.sort(sims[docs == d])[-DOC_TOP:]
            doc_score[d] = float(top.mean())
        best_doc = max(doc_score.values(), default=0.0)
        rows = []
        for c in candidates:
            sid = c.scored.sentence_id
            lo, hi = max(0, sid - WINDOW), min(len(sentences), sid + WINDOW + 1)
            window = [sims[i] for i in range(lo, hi) if i != sid and docs[i] == c.scored.doc_id]
            para = sims[paragraphs == paragraphs[sid]]
            d = doc_score[c.scored.doc_id]
            rows.append([max(window, default=0.0), float(para.max()), d, best_doc - d])
        return rows

    return measure


def main() -> None:
    compare_signals(
        neighbourhood,
        {
            "+ neighbourhood": [0, 1, 2, 3],
            "+ window, paragraph": [0, 1],
            "+ document": [2, 3],
        },
    )


if __name__ == "__main__":
    main()
