"""Which quotes could be the second side of a disagreement, on the tuning questions (not adopted; README,
"lower floors for the second side of a disagreement").

For every answered question of the given sets: each candidate from another document than the best quote
that `rag/conflicts.py` would call a disagreement with it (any probability, cosine at least --min-cosine),
with its probability, its share of the best one's, its cosine to the best quote, and for disagreement
questions whether it supports a side the best quote does not (`good`).

    .venv/bin/python eval/second_sides.py eval/questions.jsonl eval/questions_train.jsonl eval/questions_chains.jsonl
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from rag.candidates import ScoredSentence, ranked
from rag.conflicts import disagreement_kind
from rag.evaluation.dataset import Category, EvalItem, contains_answer, load_eval_set
from rag.evaluation.metrics import Span, overlaps
from rag.kind_check import answer_check
from rag.selection import quote_text
from rag.service import load_components
from rag.settings import Settings
from rag.time_range import time_check


def sides_of(item: EvalItem, quote: str, c: ScoredSentence) -> set[int]:
    span = Span(doc_id=c.doc_id, start=c.start, end=c.end)
    return {
        k
        for k, side in enumerate(item.sides)
        if any(overlaps(span, g) for g in side.evidence) or contains_answer(quote, list(side.answers))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--min-cosine", type=float, default=0.6)
    args = parser.parse_args()
    answerer = load_components(Settings()).extractive
    index = answerer.index
    for path in args.sets:
        for item in load_eval_set(path):
            judged = answerer.best_reading(item.question, list(item.history) or None, answerer.settings.answer_passages)
            if not judged.candidates or judged.confidence < answerer.threshold:
                continue
            reading, best = judged.reading, judged.candidates[0]
            vector = answerer.retriever.embedder.encode([reading.query])[0]
            _, question, candidates = answerer.candidate_pool(reading, vector)
            candidates = [c for c in candidates if c.scored.sentence_id not in reading.anchors]
            probabilities = answerer.judge.judge(question, candidates)
            pool = ranked([replace(c.scored, score=p) for c, p in zip(candidates, probabilities, strict=True)])
            checks = [c for c in (answer_check(reading.type_question), time_check(reading.type_question)) if c]
            best_sides = sides_of(item, quote_text(index, best), best)
            seen: set[int] = set()
            for c in pool:
                text = quote_text(index, c)
                if c.doc_id == best.doc_id or c.sentence_id in seen or not all(check(text) for check in checks):
                    continue
                seen.add(c.sentence_id)
                kind = disagreement_kind(index, best, c, reading.asks, reading.type_question, args.min_cosine)
                if kind is None:
                    continue
                cosine = float(index.sentence_vectors[best.sentence_id] @ index.sentence_vectors[c.sentence_id])
                good = bool(sides_of(item, text, c) - best_sides) if item.category is Category.DISAGREEMENT else None
                print(
                    f"{item.id[:40]:40s} {item.category.value:12s} {kind.value:6s} p={c.score:.3f} "
                    f"share={c.score / best.score:.2f} cos={cosine:.2f} good={good} | {text[:70]}"
                )


if __name__ == "__main__":
    main()
