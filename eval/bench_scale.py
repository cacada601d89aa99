"""Scale benchmark (issue 13): the dense index and BM25 at 10k, 100k and 1M chunks.

Run from the repository root:  .venv/bin/python eval/bench_scale.py [--sizes 10000,100000,1000000]
(`make bench-scale`). Results: eval/results/bench-scale.json and .md.

How the corpora are made. A million real chunks cannot be embedded on these CPUs in a run, so:
1. Real text, really embedded: the seed documents are split into sentences (the project's splitter);
   "anchors" are windows of one to three consecutive sentences, and variations of them (two windows of
   different documents joined). They and the dev questions (eval/questions.jsonl) are embedded once with
   the bundled MiniLM and cached under ~/.cache/nato-space-rag/bench-scale/.
2. Chunk i draws two anchors a and b: its vector is normalise(e_a + 0.35 e_b + noise), the noise
   Gaussian with norm about 0.5; its text is a's words with 15% dropped and ten words of b added, and its
   BM25 tokens are the project's `tokenize` of exactly that text. So a vector and its text agree.
3. Chunk texts live in a SQLite file and are fetched only for the passages returned; the BM25 index is
   saved with bm25s and opened memory-mapped; the IVF index is written and read with IO_FLAG_MMAP.
Queries: the dev questions' real embeddings and perturbed copies (noise of norm 0.2), with their texts.

Each size is built in one subprocess (build time, peak RSS; exact search gives the ground truth and the
exact index's latency; HNSW is built there too up to --hnsw-max) and served from disk in another (steady
and peak RSS of serving, dense and hybrid latency through `HybridRetriever.search`, the service's fusion
code, and recall@10 of IVF against exact search for several nprobe).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import scale_corpus  # noqa: E402  (eval/, beside this script)
from scale_corpus import CACHE, anchors_and_queries, make_corpus, perturbed, query_set  # noqa: E402

from rag.chunking import Chunk  # noqa: E402
from rag.dense_index import ChunkVectors, DenseIndexSpec, build_faiss  # noqa: E402
from rag.retrieval import HybridRetriever  # noqa: E402
from rag.settings import Settings  # noqa: E402

DEPTH, K = 30, 10


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident set size of this process, MiB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p99_ms": round(float(np.percentile(ms, 99)), 3)}


def timed(fn: Callable[[int], object], n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


# --- build and serve workers ---------------------------------------------------------------------------


def latency(index: object, queries: np.ndarray, depth: int = DEPTH) -> dict[str, float]:
    """p50/p99 of one query at a time on one thread (as the service searches: one thread per request)."""
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        timed(lambda i: index.search(queries[i : i + 1], depth), min(20, len(queries)))  # warm up
        return percentiles(timed(lambda i: index.search(queries[i : i + 1], depth), len(queries)))
    finally:
        faiss.omp_set_num_threads(threads)


def build_worker(size: int, folder: Path, cache: Path, kinds: list[str], hnsw_max: int) -> dict:
    import bm25s
    import faiss

    _, queries = query_set(cache)
    result: dict = {"size": size}
    started = time.perf_counter()
    vectors, ids, vocab = make_corpus(size, folder, cache)
    result["generate_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    bm25 = bm25s.BM25()
    bm25.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
    bm25.save(str(folder / "bm25"))
    del bm25, ids
    result["bm25_build_s"] = round(time.perf_counter() - started, 1)
    spec = DenseIndexSpec(kind="ivf", ivf_nprobe=Settings().ivf_nprobe, ivf_train_points=Settings().ivf_train_points)
    keys = np.arange(size, dtype=np.int64)
    matrix = np.ascontiguousarray(vectors)
    started = time.perf_counter()
    exact = build_faiss(matrix, keys, "flat", spec)
    result["flat_build_s"] = round(time.perf_counter() - started, 1)
    truth = exact.search(queries, K)[1]
    np.save(folder / "truth.npy", truth)
    result["flat_dense"] = latency(exact, queries)
    exact.reset()
    for kind in kinds:
        if kind == "hnsw" and size > hnsw_max:
            continue
        started = time.perf_counter()
        approximate = build_faiss(matrix, keys, kind, spec)  # type: ignore[arg-type]
        row: dict = {"build_s": round(time.perf_counter() - started, 1)}
        if kind == "ivf":
            faiss.write_index(approximate, str(folder / "ivf.faiss"))
        else:
            row |= latency(approximate, queries) | {"recall_at_10": recall(approximate.search(queries, K)[1], truth)}
        result[f"{kind}_build"] = row
        approximate.reset()
    result["build_rss_peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    (folder / "vectors.npy").unlink()  # the store's copy of the vectors, not part of the served index
    return result


def crossover_worker(sizes: list[int], cache: Path) -> list[dict]:
    """Exact against IVF (nprobe as set) on corpora of these sizes (vectors only): where the threshold goes."""
    _, anchors, _, _ = anchors_and_queries(cache)
    _, queries = query_set(cache)
    rng = np.random.default_rng(5)
    spec = DenseIndexSpec(kind="ivf", ivf_nprobe=Settings().ivf_nprobe, ivf_train_points=Settings().ivf_train_points)
    rows = []
    for size in sizes:
        a, b = rng.integers(len(anchors), size=size), rng.integers(len(anchors), size=size)
        vectors = perturbed(anchors[a] + 0.35 * anchors[b], 0.5, rng)
        keys = np.arange(size, dtype=np.int64)
        exact, approximate = (build_faiss(vectors, keys, kind, spec) for kind in ("flat", "ivf"))
        truth = exact.search(queries, K)[1]
        rows.append(
            {"size": size, "flat": latency(exact, queries), "ivf": latency(approximate, queries)}
            | {"ivf_recall_at_10": recall(approximate.search(queries, K)[1], truth)}
        )
    return rows


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return round(float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])), 4)


class StoredChunks(Sequence[Chunk]):
    """Chunk texts read from SQLite when a passage is returned, not held in memory."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.size = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, position: int) -> Chunk:  # type: ignore[override]
        doc_id, text = self.db.execute("SELECT doc_id, text FROM chunks WHERE position = ?", (position,)).fetchone()
        return Chunk(position, doc_id, 0, len(text), text, ())


@dataclass(frozen=True, slots=True)
class DiskIndex:
    """What `HybridRetriever` reads of a view, served from disk."""

    chunks: StoredChunks
    faiss_index: ChunkVectors
    bm25: object


def serve_worker(size: int, folder: Path, cache: Path) -> dict:
    import faiss

    from rag.lexical_index import load_bm25

    faiss.omp_set_num_threads(1)  # one request, one core: as the service searches, one thread per request
    texts, queries = query_set(cache)
    truth = np.load(folder / "truth.npy")
    started = time.perf_counter()
    index = faiss.read_index(str(folder / "ivf.faiss"))
    bm25 = load_bm25(folder / "bm25", mmap=True)
    chunks = StoredChunks(folder / "texts.sqlite")
    result: dict = {"load_s": round(time.perf_counter() - started, 2)}
    view = DiskIndex(chunks, ChunkVectors(index, np.arange(size, dtype=np.int64)), bm25)
    retriever = HybridRetriever(view, None, Settings())  # type: ignore[arg-type]
    result["nprobe_sweep"] = {}
    for nprobe in (8, 16, 32, 64, 128):
        index.nprobe = nprobe
        row = latency(index, queries) | {"recall_at_10": recall(index.search(queries, K)[1], truth)}
        result["nprobe_sweep"][nprobe] = row
    index.nprobe = Settings().ivf_nprobe
    result["ivf"] = result["nprobe_sweep"][index.nprobe] | {"nlist": int(index.nlist), "nprobe": int(index.nprobe)}

    def search(i: int) -> object:
        return retriever.search(texts[i], k=5, query_vector=queries[i])

    timed(search, 20)
    result["hybrid"] = percentiles(timed(search, len(queries)))
    result["bm25"] = percentiles(timed(lambda i: retriever.bm25_top(texts[i], DEPTH), len(queries)))
    steady, peak = rss_mib()
    result |= {"serve_rss_steady_mib": round(steady), "serve_rss_peak_mib": round(peak)}
    result["disk_mib"] = round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20)
    started = time.perf_counter()  # the same IVF index memory-mapped (IO_FLAG_MMAP): quicker to open, slower to search
    mapped = faiss.read_index(str(folder / "ivf.faiss"), faiss.IO_FLAG_MMAP)
    mapped.nprobe = Settings().ivf_nprobe
    result["ivf_mmap"] = {"load_s": round(time.perf_counter() - started, 2)} | latency(mapped, queries)
    return result


# --- driver ---------------------------------------------------------------------------------------------


def run_worker(role: str, sizes: str, folder: Path, args: argparse.Namespace) -> dict | list:
    command = [sys.executable, __file__, "--role", role, "--sizes", sizes, "--data", str(folder)]
    command += ["--kinds", ",".join(args.kinds), "--hnsw-max", str(args.hnsw_max)]
    command += ["--max-anchors", str(args.max_anchors)] if args.max_anchors else []
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ | {"PYTHONHASHSEED": "0"})
    if done.returncode != 0:
        raise RuntimeError(f"the {role} worker for {sizes} chunks failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pp(row: dict | None) -> str:
    return f"{row['p50_ms']:.2f} / {row['p99_ms']:.2f}" if row else "-"


def tables(rows: list[dict], crossover: list[dict]) -> str:
    """The results as markdown: per size, the nprobe sweep, and exact against IVF by size."""
    out = [
        "| chunks | build s: generate / BM25 / IVF / HNSW | build RSS peak | serve RSS steady / peak | on disk |"
        " hybrid search p50 / p99 ms | BM25 top-30 p50 / p99 ms | dense p50 / p99 ms: exact / IVF / HNSW |"
        " recall@10 IVF / HNSW |",
        "|" + "---|" * 9,
    ]
    for r in rows:
        h = r.get("hnsw_build")
        out.append(
            f"| {r['size']:,} | {r['generate_s']} / {r['bm25_build_s']} / {r['ivf_build']['build_s']} /"
            f" {h['build_s'] if h else '-'} | {r['build_rss_peak_mib']:,} MiB |"
            f" {r['serve_rss_steady_mib']:,} / {r['serve_rss_peak_mib']:,} MiB | {r['disk_mib']:,} MiB |"
            f" **{_pp(r['hybrid'])}** | {_pp(r['bm25'])} | {_pp(r['flat_dense'])} / {_pp(r['ivf'])} / {_pp(h)} |"
            f" **{r['ivf']['recall_at_10']:.3f}** / {h['recall_at_10'] if h else '-'} |"
        )
    out += ["", "IVF (nlist = 4 sqrt(n)) by nprobe: recall@10 against exact search, dense p50 ms", ""]
    probes = list(rows[0]["nprobe_sweep"]) if rows else []
    out += ["| chunks | nlist | " + " | ".join(f"nprobe {p}" for p in probes) + " |", "|" + "---|" * (2 + len(probes))]
    for r in rows:
        cells = [f"{v['recall_at_10']:.3f} ({v['p50_ms']:.2f} ms)" for v in r["nprobe_sweep"].values()]
        out.append(f"| {r['size']:,} | {r['ivf']['nlist']} | " + " | ".join(cells) + " |")
    out += ["", "IVF memory-mapped (IO_FLAG_MMAP) instead of read into memory: open s, dense p50 / p99 ms", ""]
    out += ["| chunks | open s in memory / mapped | dense p50 / p99 ms mapped |", "|---|---|---|"]
    out += [f"| {r['size']:,} | {r['load_s']} / {r['ivf_mmap']['load_s']} | {_pp(r['ivf_mmap'])} |" for r in rows]
    if crossover:
        out += ["", "Exact against IVF by corpus size (vectors only; dense p50 / p99 ms, one thread)", ""]
        out += ["| chunks | exact | IVF | IVF recall@10 |", "|---|---|---|---|"]
        out += [
            f"| {c['size']:,} | {_pp(c['flat'])} | {_pp(c['ivf'])} | {c['ivf_recall_at_10']:.3f} |" for c in crossover
        ]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--kinds", default="ivf,hnsw", help="Approximate indexes to build (ivf is always served).")
    parser.add_argument("--hnsw-max", type=int, default=100_000, help="Largest corpus HNSW is built for.")
    parser.add_argument("--crossover", default="2000,5000,10000,20000,50000,100000,200000", help="'' to skip.")
    parser.add_argument("--out", type=Path, default=REPO / "eval" / "results")
    parser.add_argument("--data", type=Path, default=CACHE)
    parser.add_argument("--max-anchors", type=int, help="Embed only this many real texts (quick runs, tests).")
    parser.add_argument("--reuse", action="store_true", help="Serve corpora built by an earlier run again.")
    parser.add_argument("--role", choices=("build", "serve", "crossover"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    scale_corpus.ANCHORS = args.max_anchors
    args.kinds = ["ivf"] + [k for k in args.kinds.split(",") if k and k != "ivf"]
    if args.role == "crossover":
        print(json.dumps(crossover_worker([int(s) for s in args.sizes.split(",")], CACHE)))
        return
    if args.role:
        size = int(args.sizes)
        row = build_worker(size, args.data, CACHE, args.kinds, args.hnsw_max) if args.role == "build" else {}
        print(json.dumps(row or serve_worker(size, args.data, CACHE)))
        return
    anchors_and_queries(CACHE)  # embed (once) before any worker
    load_start = Path("/proc/loadavg").read_text().split()[:3]
    started = time.perf_counter()
    crossover = run_worker("crossover", args.crossover, args.data, args) if args.crossover else []
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        folder = args.data / f"corpus-{size}"
        built = folder / "build.json"
        if not (args.reuse and built.is_file()):
            subprocess.run(["rm", "-rf", str(folder)], check=True)
            folder.mkdir(parents=True)
            built.write_text(json.dumps(run_worker("build", str(size), folder, args)))
        row = json.loads(built.read_text()) | run_worker("serve", str(size), folder, args)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    meta = {
        "command": " ".join(["python", "eval/bench_scale.py", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "minutes": round((time.perf_counter() - started) / 60, 1),
        "loadavg_start": load_start,
        "loadavg_end": Path("/proc/loadavg").read_text().split()[:3],
        "cores": os.cpu_count(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"meta": meta, "rows": rows, "crossover": crossover}
    (args.out / "bench-scale.json").write_text(json.dumps(result, indent=2) + "\n")
    md = (
        f"# bench-scale\n\n`{meta['command']}`, {meta['date']}, {meta['minutes']} min, {meta['cores']} cores, "
        f"load average {' '.join(load_start)} at the start and {' '.join(meta['loadavg_end'])} at the end.\n\n"
        f"{tables(rows, crossover)}\n"
    )
    (args.out / "bench-scale.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
