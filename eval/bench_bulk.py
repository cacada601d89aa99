"""Benchmark of bulk ingestion: `rag add FOLDER` over many files, a file per transaction against batches.

Run from the repository root:  .venv/bin/python eval/bench_bulk.py  (or `make bench-bulk`)

The files are new texts of about `--kb` KB made of the seeds' sentences with their words shuffled (as in
eval/bench_ingest.py: the seeds' length and vocabulary, nothing in the embedding cache). Each run adds them,
with the real model, to a fresh copy of the seeds' store through the real CLI (a subprocess, `rag add FOLDER
--batch B`), and reports wall time, files/s and texts embedded per second. Then one run is SIGKILLed when
about half the files are committed and run again, to show what the resume embeds again: only what the
killed run had not committed or cached.
Prints a Markdown table and the machine's load average; `--json PATH` also writes the raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eval.bench_ingest import seed_sentences, synthetic_text  # noqa: E402
from rag.embedding import Embedder  # noqa: E402
from rag.index_store import open_index  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.store import CorpusStore  # noqa: E402
from tests.documents import backup_store  # noqa: E402

SEEDS = REPO / "seeds"
COMMAND = [sys.executable, "-m", "rag.cli", "--seeds-dir", str(SEEDS)]


def make_files(folder: Path, count: int, kb: float) -> None:
    sentences = seed_sentences()
    rng = random.Random(7)
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"report-{i:05d}.txt").write_text(synthetic_text(int(kb * 1000), rng, sentences), encoding="utf-8")


def uploads(index: Path) -> int:
    with CorpusStore(index, create=False) as store:
        return sum(1 for _, origin in store.document_ids().values() if origin == "upload")


def texts_embedded(stderr: str) -> int:
    summary = [line for line in stderr.splitlines() if " texts embedded" in line][-1]
    return int(summary.split(" texts embedded")[0].rsplit(" ", 1)[1])


def run_add(index: Path, folder: Path, batch: int) -> dict:
    started = time.perf_counter()
    done = subprocess.run([*COMMAND, "--index-dir", str(index), "add", str(folder), "--batch", str(batch)],
                          cwd=REPO, capture_output=True, text=True, check=True)  # fmt: skip
    seconds = time.perf_counter() - started
    files = len(list(folder.iterdir()))
    embedded = texts_embedded(done.stderr)
    return {"batch": batch, "files": files, "seconds": seconds, "files_per_s": files / seconds,
            "texts": embedded, "texts_per_s": embedded / seconds}  # fmt: skip


def killed_and_resumed(index: Path, folder: Path, batch: int) -> dict:
    files = len(list(folder.iterdir()))
    run = subprocess.Popen([*COMMAND, "--index-dir", str(index), "add", str(folder), "--batch", str(batch)],
                           cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    while uploads(index) < files // 2 and run.poll() is None:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    committed = uploads(index)
    resumed = run_add(index, folder, batch)
    return {"committed_before_kill": committed, "resume": resumed, "complete": uploads(index) == files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=120)
    parser.add_argument("--kb", type=float, default=2.0, help="size of each file")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        base = tmp / "base"
        open_index(Settings(seeds_dir=SEEDS, index_dir=base), Embedder())
        make_files(tmp / "files", args.files, args.kb)
        runs = [run_add(backup_store(base, tmp / f"b{b}"), tmp / "files", b) for b in args.batches]
        resume = killed_and_resumed(backup_store(base, tmp / "kill"), tmp / "files", max(args.batches))
    load = os.getloadavg()
    print(f"load average (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; cores: {os.cpu_count()}\n")
    print(f"{args.files} files of about {args.kb:g} KB, `rag add FOLDER --batch B` into a copy of the seeds' store:\n")
    print("| batch (files per commit) | wall time (s) | files/s | texts embedded | texts/s |")
    print("|---:|---:|---:|---:|---:|")
    for r in runs:
        print(f"| {r['batch']} | {r['seconds']:.1f} | {r['files_per_s']:.2f} | {r['texts']} | {r['texts_per_s']:.1f} |")
    r = resume["resume"]
    full = runs[-1]["texts"]
    print(
        f"\nKilled (SIGKILL) with {resume['committed_before_kill']} of {args.files} files committed, then run again: "
        f"the resume embedded {r['texts']} of the {full} texts ({r['texts'] / full:.0%}) in {r['seconds']:.1f} s; "
        f"complete: {resume['complete']}."
    )
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "resume": resume, "load": load}, indent=1))


if __name__ == "__main__":
    main()
