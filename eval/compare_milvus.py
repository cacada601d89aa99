"""Compare the Milvus backend's retrieval with FAISS's on every question of the evaluation set.

For each question (dev and test splits, by their retrieval query), the top-k passages of the FAISS path
and of the Milvus path over the same index: how many questions get the same ranked list, the same top-3
set, and the same top-k set, and the largest difference of a passage's dense score. With `--bm25`, also
how Milvus's BM25 ranking (the top `candidates_per_ranker`) compares with the in-memory bm25s one.

Run from the repository root (the index must exist: `rag index`):
    .venv/bin/python eval/compare_milvus.py --uri /tmp/milvus-compare/lite.db          # Milvus Lite
    .venv/bin/python eval/compare_milvus.py --uri http://127.0.0.1:19530 --bm25        # a server
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.milvus_backend import MilvusRetriever  # noqa: E402
from rag.service import load_components  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.text import tokenize  # noqa: E402


def questions() -> list[str]:
    found = []
    for name in ("questions.jsonl", "questions_test.jsonl"):
        for line in (REPO / "eval" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                found.append(
                    " ".join(
                        [t["content"] for t in item.get("history", []) if t["role"] == "user"] + [item["question"]]
                    )
                )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", required=True, help="RAG_MILVUS_URI: a .db path (Milvus Lite) or http://host:port")
    parser.add_argument("--collection", default="rag_compare")
    parser.add_argument("-k", type=int, default=20)
    parser.add_argument("--analyzer", choices=["project", "english"], default="project", help="RAG_MILVUS_ANALYZER")
    parser.add_argument("--bm25", action="store_true", help="also compare the BM25 rankings alone")
    args = parser.parse_args()

    parts = load_components(Settings())
    faiss = parts.retriever
    started = time.perf_counter()
    milvus = MilvusRetriever.over(
        parts.index,
        faiss.embedder,
        Settings(
            vector_store="milvus", milvus_uri=args.uri, milvus_collection=args.collection, milvus_analyzer=args.analyzer
        ),
    )
    sync_s = time.perf_counter() - started
    same_list = same_top3 = same_topk = 0
    worst_dense = 0.0
    bm25_same = 0
    texts = questions()
    timings = []
    for text in texts:
        vector = faiss.embed_query(text)
        a = faiss.search(text, k=args.k, query_vector=vector)
        t0 = time.perf_counter()
        b = milvus.search(text, k=args.k, query_vector=vector)
        timings.append(time.perf_counter() - t0)
        ka, kb = [p.chunk.chunk_id for p in a], [p.chunk.chunk_id for p in b]
        same_list += ka == kb
        same_top3 += set(ka[:3]) == set(kb[:3])
        same_topk += set(ka) == set(kb)
        common = {p.chunk.chunk_id: p.dense_score for p in a}
        worst_dense = max(
            [worst_dense] + [abs(common[p.chunk.chunk_id] - p.dense_score) for p in b if p.chunk.chunk_id in common]
        )
        if args.bm25 or milvus.collection.full_text:
            terms = tokenize([text])[0]
            depth = parts.settings.candidates_per_ranker
            scores = faiss.bm25_scores(text)
            local = [int(i) for i in np.argsort(-scores, kind="stable")[:depth] if scores[i] > 0]
            remote = list(milvus._bm25(text, terms, depth)) if milvus.collection.full_text else local
            bm25_same += set(local[:10]) == set(remote[:10])
    n = len(texts)
    print(f"Milvus at {args.uri}: fusion {milvus.fusion}; {len(parts.index.chunks)} chunks synced in {sync_s:.2f} s")
    print(
        f"questions {n}: same top-{args.k} list {same_list}, same top-3 set {same_top3}, "
        f"same top-{args.k} set {same_topk}; largest dense score difference {worst_dense:.2e}"
    )
    if milvus.collection.full_text:
        print(f"BM25 top-10 set equal to bm25s's: {bm25_same}/{n}")
    print(
        f"Milvus search p50 {1000 * float(np.percentile(timings, 50)):.1f} ms, "
        f"p99 {1000 * float(np.percentile(timings, 99)):.1f} ms"
    )
    milvus.collection.drop()


if __name__ == "__main__":
    main()
