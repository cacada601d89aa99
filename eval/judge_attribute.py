"""Does the judge miss what is asked *about* the subject? Dev + training questions only.

    .venv/bin/python eval/judge_attribute.py

A near miss names a subject the documents cover and asks for a detail they never state ("the orbit
altitude of the Aquila satellites"): the quote states the names but not the attribute. The judge's
coverage features weigh every question term together. This adds, for every candidate, the coverage of
the question's terms that are not names (`candidates.focus_terms`) by the quote and by the quote in its
context, and the highest IDF share among such terms stated in neither, then compares the judge
cross-validated with and without them (eval/judge_experiments.py's `evaluate`: 5 folds by question) on
the 216 tuning questions. Then, the other way, whether the answerability part over-fits its 30 inputs
(ranking score, lead and the 28 features): the same with only some of them. The test split is never read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from judge_experiments import compare, evaluate, logistic, tuning_pairs

from rag.answering import ExtractiveAnswerer
from rag.candidates import coverage, focus_terms
from rag.judge import FEATURES
from rag.judge_fit import Pairs
from rag.text import tokenize


def attribute_features(answerer: ExtractiveAnswerer, question: str, quote: str, context: str) -> list[float]:
    stats = answerer.stats
    q_terms = frozenset(tokenize([question])[0])
    attribute = q_terms - focus_terms(question)
    if not attribute:
        return [1.0, 1.0, 0.0]
    quote_terms, context_terms = (frozenset(t) for t in tokenize([quote, f"{context} {quote}"]))
    missing = [stats.idf(t) for t in attribute if t not in context_terms]
    top = max(stats.idf(t) for t in q_terms)
    return [
        coverage(attribute, quote_terms, stats),
        coverage(attribute, context_terms, stats),
        max(missing) / top if missing else 0.0,
    ]


def main() -> None:
    pairs, extra, answerable = tuning_pairs(
        lambda answerer: lambda q, cands: [attribute_features(answerer, q.text, c.quote, c.context) for c in cands]
    )
    print(f"{len(pairs.y)} candidates, {int(pairs.y.sum())} answering, {len(answerable)} questions")
    plus = Pairs(np.column_stack([pairs.x, extra]), pairs.y, pairs.items, pairs.readings)
    compare({"current features": pairs, "+ attribute terms": plus}, answerable)
    value = ["asks_value", "value_stated", "value_missing", "value_proximity"]
    subsets = {
        "score + lead": [],
        "+ value": value,
        "+ value, focus": [*value, "focus_sentence", "focus_context", "uncovered"],
        "+ meaning, cover": ["dense", "cover_sentence", "cover_context", "soft_sentence", "question_terms"],
    }
    print("the answerability part reading fewer inputs (the ranker reads all features):")
    for name, names in subsets.items():
        keep = [0, 1, *(2 + FEATURES.index(n) for n in names)]
        for rc in (0.03, 0.3):
            for ac in (0.1, 1.0):
                r = evaluate(pairs, answerable, rc, logistic(ac), keep)
                print(f"  {name:18s} rc={rc} ac={ac} " + " ".join(f"{k}={v:.3f}" for k, v in r.items()))


if __name__ == "__main__":
    main()
