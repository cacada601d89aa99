"""Benchmark of the core pipeline on this machine: index build, cold `rag ask`, warm in-process latency.

Run from the repository root:  .venv/bin/python eval/bench_core.py  (or `make bench`)
Prints a Markdown table; `--json PATH` also writes the raw figures.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench_retrieval import DEV_SET  # noqa: E402  (eval/ is on sys.path when this script runs)

from rag.embedding import Embedder  # noqa: E402
from rag.index_store import open_index  # noqa: E402
from rag.service import load_components  # noqa: E402
from rag.settings import Settings  # noqa: E402

# The development questions of the retrieval benchmark, plus two the documents do not answer.
QUESTIONS = [question for question, _, _ in DEV_SET] + [
    "What is the best recipe for chocolate cake?",
    "How many astronauts does NATO employ?",
]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def bench_build(seeds: Path, runs: int) -> list[float]:
    embedder = Embedder()
    embedder.warm_up()  # the model load is measured by the cold-ask figure, not here
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(seeds_dir=seeds, index_dir=Path(tmp) / "index")
            started = time.perf_counter()
            open_index(settings, embedder)  # a fresh folder: every text is embedded
            times.append(time.perf_counter() - started)
    return times


def bench_cli_index(seeds: Path, runs: int) -> list[float]:
    rag = Path(sys.executable).parent / "rag"
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            cmd = [str(rag), "--seeds-dir", str(seeds), "--index-dir", str(Path(tmp) / "index"), "index"]
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
    return times


def bench_cold_ask(seeds: Path, index: Path, runs: int) -> list[float]:
    rag = Path(sys.executable).parent / "rag"
    cmd = [str(rag), "--seeds-dir", str(seeds), "--index-dir", str(index), "ask", QUESTIONS[0], "--json"]
    subprocess.run(cmd, check=True, capture_output=True)  # builds the index if needed; not timed
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def bench_warm(seeds: Path, index: Path, repeats: int) -> dict[str, list[float]]:
    parts = load_components(Settings(seeds_dir=seeds, index_dir=index))
    parts.answerer.answer(QUESTIONS[0])  # warm caches
    out: dict[str, list[float]] = {"embed": [], "search": [], "ask": []}
    for _ in range(repeats):
        for q in QUESTIONS:
            t0 = time.perf_counter()
            parts.embedder.encode([q])
            t1 = time.perf_counter()
            parts.retriever.search(q, k=5)
            t2 = time.perf_counter()
            parts.answerer.answer(q)
            t3 = time.perf_counter()
            out["embed"].append(t1 - t0)
            out["search"].append(t2 - t1)
            out["ask"].append(t3 - t2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="index builds and cold asks to time")
    parser.add_argument("--repeats", type=int, default=5, help="passes over the questions for warm latency")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    seeds = REPO / "seeds"

    build = bench_build(seeds, args.runs)
    cli_index = bench_cli_index(seeds, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        cold = bench_cold_ask(seeds, index, args.runs)
        warm = bench_warm(seeds, index, args.repeats)
        shutil.rmtree(index, ignore_errors=True)

    rows = [
        ("index build (5 seeds, model already loaded)", f"{statistics.median(build):.2f} s median of {len(build)}"),
        (
            "`rag index` into an empty folder (new process)",
            f"{statistics.median(cli_index):.2f} s median of {len(cli_index)}",
        ),
        ("cold `rag ask --json` (new process, index built)", f"{statistics.median(cold):.2f} s median of {len(cold)}"),
    ]
    n = len(warm["ask"])
    for key, label in (("embed", "query embedding"), ("search", "`search` k=5"), ("ask", "`answer`")):
        ms = [t * 1000 for t in warm[key]]
        rows.append(
            (
                f"warm {label}, in-process ({n} queries)",
                f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms",
            )
        )
    print(f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print("| measure | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    if args.json:
        args.json.write_text(
            json.dumps({"build_s": build, "cli_index_s": cli_index, "cold_ask_s": cold, "warm_s": warm}, indent=1)
        )


if __name__ == "__main__":
    main()
