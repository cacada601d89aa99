"""How the query embedding's thread settings behave on this machine, idle and under CPU contention.

For each setting (ONNX Runtime with 1 or 2 intra-op threads, spinning or not; sentence-transformers with
OpenMP's default and with OMP_WAIT_POLICY=PASSIVE), a fresh process embeds the benchmark questions one at
a time and in batches of 8, first with the cores idle (as idle as the machine is), then while
`--busy` other processes spin on the CPU (what a second test suite or build does to the server).

Run from the repository root:  .venv/bin/python eval/bench_threads.py  (prints a Markdown table)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CONFIGS = {
    "onnx, 1 thread": ({"RAG_ONNX_THREADS": "1"}, "onnx"),
    "onnx, 2 threads, no spinning": ({"RAG_ONNX_THREADS": "2", "RAG_ONNX_SPINNING": "false"}, "onnx"),
    "onnx, 2 threads, spinning": ({"RAG_ONNX_THREADS": "2", "RAG_ONNX_SPINNING": "true"}, "onnx"),
    "sentence-transformers, OpenMP default": ({}, "sentence-transformers"),
    "sentence-transformers, OMP_WAIT_POLICY=PASSIVE": ({"OMP_WAIT_POLICY": "PASSIVE"}, "sentence-transformers"),
}

_MEASURE = """
import json, sys, time
sys.path.insert(0, "eval")
import numpy as np
from bench_core import QUESTIONS
from rag.embedding import Embedder
from rag.service import load_components
from rag.settings import Settings
settings = Settings()
parts = load_components(settings)
encoder = parts.retriever.embedder if settings.query_encoder == "onnx" else Embedder()
encoder.encode(QUESTIONS[:8])
single, batch = [], []
for _ in range(int(sys.argv[1])):
    for q in QUESTIONS:
        t = time.perf_counter(); encoder.encode([q]); single.append((time.perf_counter() - t) * 1000)
    for i in range(0, len(QUESTIONS), 8):
        t = time.perf_counter(); encoder.encode(QUESTIONS[i:i + 8]); batch.append((time.perf_counter() - t) * 1000 / 8)
print(json.dumps({"single": float(np.median(single)), "single_p95": float(np.percentile(single, 95)),
                  "batch": float(np.median(batch))}))
"""


def spin(until: float) -> None:
    while time.time() < until:
        pass


def measure(env: dict[str, str], encoder: str, passes: int) -> dict[str, float]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | env | {"RAG_QUERY_ENCODER": encoder}
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(passes)], cwd=REPO, env=full, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--busy", type=int, default=1, help="spinning processes competing for the cores")
    args = parser.parse_args()
    rows = []
    for name, (env, encoder) in CONFIGS.items():
        idle = measure(env, encoder, args.passes)
        busy = [multiprocessing.Process(target=spin, args=(time.time() + 120,)) for _ in range(args.busy)]
        for p in busy:
            p.start()
        try:
            contended = measure(env, encoder, args.passes)
        finally:
            for p in busy:
                p.terminate()
                p.join()
        rows.append((name, idle, contended))
    print(f"load average before the last run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.busy} busy")
    print("| setting | 1 question, idle | 1 question, contended | per text in batches of 8, idle | contended |")
    print("|---|---:|---:|---:|---:|")
    for name, idle, contended in rows:
        print(
            f"| {name} | {idle['single']:.1f} ms | {contended['single']:.1f} ms (p95 {contended['single_p95']:.1f}) "
            f"| {idle['batch']:.1f} ms | {contended['batch']:.1f} ms |"
        )


if __name__ == "__main__":
    main()
