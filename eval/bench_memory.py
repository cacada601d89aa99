"""Memory of the in-memory view at 1,000 documents: what loading the corpus adds to a process's RSS.

Run from the repository root:  .venv/bin/python eval/bench_memory.py [--documents N] [--tree PATH]

Builds a corpus of the seeds and N documents of about 5 KB (the seeds' sentences with their words shuffled,
stored with stand-in vectors, as eval/bench_ingest.py's start-up figure: what loading costs does not depend
on the vectors' values), then loads the view (`rag.index_store.load_index`) in a fresh process and prints
its resident memory (VmRSS) before and after, and its peak (VmHWM). `--tree` loads with the code of
another checkout of the project (e.g. a worktree of an older commit), against the same store.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eval.bench_ingest import build_stand_in_corpus, seed_sentences  # noqa: E402
from rag.settings import Settings  # noqa: E402

SEEDS = REPO / "seeds"
LOAD = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from rag.index_store import load_index
def status():
    fields = {l.split(':')[0]: int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('Vm')}
    return fields['VmRSS'], fields['VmHWM']
base, _ = status()
started = time.perf_counter()
index = load_index(Path(sys.argv[2]))
seconds = time.perf_counter() - started
rss, peak = status()
print(f"{len(index.documents)} documents, {len(index.chunks)} chunks, {len(index.sentences)} sentences: view "
      f"loaded in {seconds:.1f} s, RSS +{rss - base:.0f} MiB (from {base:.0f} to {rss:.0f} MiB; peak {peak:.0f} MiB)")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--tree", type=Path, action="append", help="code to load with (default: this checkout)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(seeds_dir=SEEDS, index_dir=Path(tmp) / "index")
        build_stand_in_corpus(settings, args.documents, seed_sentences(), random.Random(7))
        for tree in args.tree or [REPO]:
            out = subprocess.run([sys.executable, "-c", LOAD, str(tree), str(Path(tmp) / "index")],
                                 check=True, capture_output=True, text=True).stdout  # fmt: skip
            print(f"{tree}: {out.strip()}")


if __name__ == "__main__":
    main()
