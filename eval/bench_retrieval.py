"""Compare dense-only, BM25-only and fused (RRF) retrieval on a small development set.

A stop-gap until the evaluation set exists: each question names the document and a phrase of the
passage that answers it. hit@k counts a question when a passage among the first k is from that
document and contains the phrase (typography normalised).

Run from the repository root:  .venv/bin/python eval/bench_retrieval.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.retrieval import fuse_rankings  # noqa: E402
from rag.service import load_components  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.text import squash_whitespace  # noqa: E402

D0, D1, D2, D3, D4 = (
    "000_0e2e3f937b961bac",
    "001_0af95a1a156b083b",
    "002_685e0ef70b0e745a",
    "003_c18e84aa03fe5042",
    "004_f86d5d7a2ec9e2ba",
)
DEV_SET = [
    ("Where is the NATO Space Operations Centre?", D2, "Ramstein"),
    ("When did NATO release its first overarching space policy according to the summary?", D0, "January 2022"),
    ("How many Allies signed the APSS memorandum?", D2, "17 Allies"),
    ("Which countries participate in NORTHLINK?", D2, "Denmark"),
    ("How much is NATO investing in satellite communications?", D2, "EUR 1 billion"),
    ("Who is the Supreme Allied Commander Transformation?", D3, "Philippe Lavigne"),
    ("Where was the first NATO Space Symposium held?", D3, "Toulouse"),
    ("What is Aquila?", D2, "Aquila"),
    ("How much did Luxembourg contribute to APSS?", D2, "16.5 million"),
    ("When was the Commercial Space Strategy released?", D4, "only released Tuesday"),
    ("What is SPACENET?", D2, "SPACENET"),
    ("What does STARLIFT aim to do?", D2, "launch capabilities"),
    ("Why was the base in Germany chosen for the space center?", D1, "two considerations"),
    ("Which countries are in the Five Eyes alliance?", D0, "New Zealand"),
    ("Can an attack in space trigger Article 5?", D2, "Article 5"),
    ("How many communications satellites did NATO launch between 1970 and 1993?", D2, "eight"),
    ("What problems came up during the Afghanistan mission?", D0, "main obstacles"),
    ("What is NATO's position on nuclear weapons in orbit?", D2, "nuclear weapons"),
    ("What is the theme of the NATO Space Symposium?", D3, "Deterrence, Defence and Resilience"),
    ("What did Russia do on 15 November 2021?", D2, "anti-satellite missile test"),
    ("How much money did Luxembourg give for the situational awareness system?", D0, "6.7 million"),
    ("Who is the deputy commander of U.S. Space Command?", D3, "Thomas James"),
    ("What gateway does NATO create for vendors?", D4, "Front Door"),
    ("Since when have Allies recognised the importance of space?", D2, "1949"),
    ("Where is the Space Centre of Excellence?", D2, "Toulouse"),
    ("Which body will host space standardization experts?", D4, "Conference of National Armaments Directors"),
    ("Which countries have tested counter-space technologies?", D2, "Russia and China"),
    ("What did the US space command commander want to share with NATO in 2019?", D1, "John Raymond"),
    ("How many companies gave advice to NIAG-SPACENET?", D4, "300 space companies"),
    ("What is NATO's defence expenditure goal mentioned for dual-use capabilities?", D4, "1.5"),
]


def hit_at(ranks: list[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def main() -> None:
    parts = load_components(Settings())
    retriever, chunks = parts.retriever, parts.index.chunks
    depth = len(chunks)
    results: dict[str, list[int | None]] = {"dense": [], "bm25": [], "rrf": []}
    for question, doc_id, phrase in DEV_SET:
        vector = retriever.embed_query(question)
        dense = list(retriever.dense_top(vector, depth))
        bm25_scores = retriever.bm25_scores(question)
        bm25 = [int(i) for i in np.argsort(-bm25_scores, kind="stable") if bm25_scores[i] > 0]
        fused = fuse_rankings(
            [dense[: parts.settings.candidates_per_ranker], bm25[: parts.settings.candidates_per_ranker]]
        )
        rrf = sorted(fused, key=lambda i: (-fused[i], i))
        wanted = squash_whitespace(phrase)
        for name, ranking in (("dense", dense), ("bm25", bm25), ("rrf", rrf)):
            rank = next(
                (
                    r
                    for r, i in enumerate(ranking, 1)
                    if chunks[i].doc_id == doc_id and wanted in squash_whitespace(chunks[i].text)
                ),
                None,
            )
            results[name].append(rank)
    print(f"{len(DEV_SET)} development questions; a hit is the answering passage of the named document")
    print("| ranking | hit@1 | hit@3 | hit@5 | MRR@10 |\n|---|---|---|---|---|")
    for name, ranks in results.items():
        mrr = sum(1 / r for r in ranks if r is not None and r <= 10) / len(ranks)
        print(f"| {name} | {hit_at(ranks, 1):.2f} | {hit_at(ranks, 3):.2f} | {hit_at(ranks, 5):.2f} | {mrr:.3f} |")


if __name__ == "__main__":
    main()
