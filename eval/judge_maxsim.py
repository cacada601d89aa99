"""Token-level alignment of the question with the quote: does it add to the judge? Dev + training
questions only.

    .venv/bin/python eval/judge_maxsim.py

The judge's meaning signals compare whole-text vectors (cosine) and single words embedded alone (soft
coverage). The closest thing to reading the question and the quote together that the bundled model allows
is late interaction (ColBERT's MaxSim): every content word-piece of the question is matched with its most
similar word-piece of the quote, in context (all-MiniLM-L6-v2's token embeddings). This adds the mean and
the minimum of those best matches, against the quote and against the quote in its context, and compares
the judge with and without them: over 5 shuffled fold assignments of the 216 tuning questions, and fitted
on dev alone and scored on the 117 training questions (eval/judge_experiments.py). It also prints each
signal's hit@1 alone. The test split is never read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from judge_experiments import dev_to_training, logistic, repeated, tuning_pairs

from rag.embedding import _load_model, bundled_model_path
from rag.judge import FEATURES, JudgeCandidate, JudgeQuestion
from rag.judge_fit import Pairs
from rag.text import _stopwords, normalize_text

SIGNALS = ("maxsim_quote_mean", "maxsim_quote_min", "maxsim_context_mean", "maxsim_context_min")


def token_vectors(texts: list[str]) -> dict[str, np.ndarray]:
    """Each text's normalised token embeddings, content word-pieces only (no special tokens, punctuation
    or stop words)."""
    model = _load_model(str(bundled_model_path()))
    tokenizer, stop = model.tokenizer, set(_stopwords())
    prepared = [normalize_text(t) for t in texts]
    embedded = model.encode(prepared, output_value="token_embeddings", batch_size=32, show_progress_bar=False)
    vectors = {}
    for text, clean, e in zip(texts, prepared, embedded, strict=True):
        ids = tokenizer(clean, truncation=True, max_length=model.max_seq_length)["input_ids"]
        pieces = tokenizer.convert_ids_to_tokens(ids)
        e = e.numpy()
        e = e / np.linalg.norm(e, axis=1, keepdims=True)
        keep = [i for i, w in enumerate(pieces[: len(e)]) if w.isalnum() and w.lower() not in stop]
        vectors[text] = e[keep] if keep else e[1:2]
    return vectors


def main() -> None:
    triples: list[tuple[str, str, str]] = []

    def collect(question: JudgeQuestion, candidates: list[JudgeCandidate]) -> list[list[float]]:
        triples.extend((question.text, c.quote, f"{c.context} {c.quote}".strip()) for c in candidates)
        return [[] for _ in candidates]

    pairs, _, answerable = tuning_pairs(lambda answerer: collect)
    vectors = token_vectors(sorted({t for triple in triples for t in triple}))

    def maxsim(question: str, text: str) -> tuple[float, float]:
        best = (vectors[question] @ vectors[text].T).max(axis=1)
        return float(best.mean()), float(best.min())

    extra = np.asarray([[*maxsim(q, quote), *maxsim(q, context)] for q, quote, context in triples])
    plus = Pairs(np.column_stack([pairs.x, extra]), pairs.y, pairs.items, pairs.readings)
    print(f"{len(pairs.y)} candidates, {int(pairs.y.sum())} answering, {len(answerable)} questions")
    for name, p in (("current features", pairs), ("+ MaxSim", plus)):
        print(f"  {name:17s} shuffled folds  {repeated(p, answerable, 0.3, logistic(0.1))}")
        print(f"  {name:17s} dev -> training {dev_to_training(p, answerable, 0.3, logistic(0.1))}")
    print("each signal alone, hit@1 over the pools with an answer:")
    columns = {n: extra[:, i] for i, n in enumerate(SIGNALS)}
    columns |= {n: pairs.x[:, FEATURES.index(n)] for n in ("dense", "dense_context", "soft_sentence", "heuristic")}
    for name, values in columns.items():
        hits = []
        for reading in np.unique(pairs.readings):
            rows = np.where(pairs.readings == reading)[0]
            if pairs.y[rows].any():
                hits.append(pairs.y[rows][np.argmax(values[rows])])
        print(f"  {name:20s} {np.mean(hits):.3f}")


if __name__ == "__main__":
    main()
