"""Latency of answering follow-ups in-process: every question with a chat history in the dev, training and
chains sets, answered warm (the extractive answerer, as `POST /ask` runs it, without HTTP), split into those
that only point at their subject ("When was it launched?", `rag/referent.py`) and the rest.

    .venv/bin/python eval/bench_follow_ups.py [--repeat 3]

Prints a Markdown table of p50 / p95 in milliseconds. `eval/bench_api.py` measures `POST /ask` over HTTP on
questions without history; this measures what a chat's follow-ups cost.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.evaluation.dataset import load_eval_set  # noqa: E402
from rag.referent import points_without_naming  # noqa: E402
from rag.service import load_components  # noqa: E402
from rag.settings import Settings  # noqa: E402

SETS = ("eval/questions.jsonl", "eval/questions_train.jsonl", "eval/questions_chains.jsonl")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the questions")
    args = parser.parse_args()
    answerer = load_components(Settings()).answerer
    items = [item for path in SETS for item in load_eval_set(REPO / path) if item.history]
    for item in items:  # warm-up: models loaded, caches as a running service has them
        answerer.answer(item.question, history=item.history)
    times: dict[str, list[float]] = {"only point at their subject": [], "the rest": []}
    for _ in range(args.repeat):
        for item in items:
            start = time.perf_counter()
            answerer.answer(item.question, history=item.history)
            elapsed = (time.perf_counter() - start) * 1000
            times["only point at their subject" if points_without_naming(item.question) else "the rest"].append(elapsed)
    print("| follow-ups | questions | p50 ms | p95 ms |\n|---|---:|---:|---:|")
    for name, values in times.items():
        n = len(values) // args.repeat
        print(f"| {name} | {n} | {statistics.median(values):.1f} | {percentile(values, 0.95):.1f} |")


if __name__ == "__main__":
    main()
