"""Benchmark of adding documents and of starting with a large corpus, on this machine.

Run from the repository root:  .venv/bin/python eval/bench_ingest.py  (or `make bench-ingest`)

1. Adding a document: texts of 10, 100 and 300 KB made of the seeds' sentences with their words shuffled
   (new to the embedding cache, of the seeds' length and vocabulary), each added to a copy of the seeds'
   index with the real model, as `POST /documents` does it (cut, embed, commit, next view). Reported as
   seconds per 100 KB of text.
2. Start-up with 1,000 documents: a corpus of 1,000 such documents of about 5 KB, stored with stand-in
   vectors (loading does not depend on their values, and embedding 1,000 documents with the real model
   would take this machine hours of benchmark), then `rag serve`'s loading timed in a fresh process:
   open and synchronise the store, build the view, load the model, warm up with one question. Then one
   more document is added to that corpus with the real model, to show what a write costs at that size.
Prints a Markdown table and the machine's load average; `--json PATH` also writes the raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.corpus import load_corpus  # noqa: E402
from rag.document_writes import DocumentWriter  # noqa: E402
from rag.embedding import Embedder  # noqa: E402
from rag.extract import ExtractedText  # noqa: E402
from rag.index_store import open_index  # noqa: E402
from rag.index_sync import write_prepared  # noqa: E402
from rag.ingest import prepare_upload  # noqa: E402
from rag.service import load_components, with_index  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.store import CorpusStore  # noqa: E402
from tests.documents import stand_in_vectors  # noqa: E402

SEEDS = REPO / "seeds"


def synthetic_text(size: int, rng: random.Random, sentences: list[str]) -> str:
    """About `size` characters of paragraphs of seed sentences with their words shuffled."""
    parts: list[str] = [f"Report {rng.randrange(10**9)}\n"]
    length = 0
    while length < size:
        paragraph = []
        for _ in range(rng.randint(3, 6)):
            words = rng.choice(sentences).rstrip(".").split()
            rng.shuffle(words)
            paragraph.append(" ".join(words).capitalize() + ".")
        parts.append(" ".join(paragraph))
        length += len(parts[-1]) + 2
    return "\n\n".join(parts) + "\n"


class StandInEmbedder(Embedder):
    def encode(self, texts, progress=None):  # type: ignore[override]
        return stand_in_vectors(texts)


def add_timed(settings: Settings, embedder: Embedder, text: str, view) -> dict[str, float]:
    published = []
    writer = DocumentWriter(settings, embedder, view=view, publish=published.append)
    started = time.perf_counter()
    prepared = prepare_upload(
        ExtractedText(text, "text/plain"), settings, doc_id=None, title=None, file_name="bench.txt", original=b""
    )
    cut = time.perf_counter()
    writer.add(prepared, explicit_id=False)
    total = time.perf_counter() - started
    return {
        "kb": len(text.encode()) / 1000,
        "texts": len(prepared.embedding_inputs()),
        "cut_s": cut - started,
        "total_s": total,
        "s_per_100kb": total / (len(text.encode()) / 100_000),
    }


def bench_adds(tmp: Path, sizes: list[int], sentences: list[str]) -> list[dict]:
    embedder = Embedder()
    embedder.warm_up()
    rng = random.Random(12)
    results = []
    for size in sizes:
        settings = Settings(seeds_dir=SEEDS, index_dir=tmp / f"add-{size}")
        index = open_index(settings, embedder)
        results.append(add_timed(settings, embedder, synthetic_text(size, rng, sentences), lambda i=index: i))
    return results


def seed_sentences() -> list[str]:
    """The seeds' sentences of six words or more (roughly split): the vocabulary of the synthetic texts."""
    return [s for doc in load_corpus(SEEDS) for s in doc.text.split(". ") if len(s.split()) >= 6]


def build_stand_in_corpus(
    settings: Settings, documents: int, sentences: list[str], rng: random.Random
) -> StandInEmbedder:
    """The seeds and `documents` documents of about 5 KB (doc-0000, ...), all stored with stand-in vectors."""
    stand_in = StandInEmbedder()
    open_index(settings, stand_in)  # the seeds, with stand-in vectors too
    with CorpusStore(settings.index_dir) as store:
        for start in range(0, documents, 100):
            batch = [
                prepare_upload(
                    ExtractedText(synthetic_text(5000, rng, sentences), "text/plain"),
                    settings,
                    doc_id=f"doc-{i:04d}",
                    title=None,
                    file_name=f"doc-{i:04d}.txt",
                    original=b"",
                )
                for i in range(start, min(documents, start + 100))
            ]
            write_prepared(store, batch, settings, stand_in)
    return stand_in


def bench_startup(tmp: Path, documents: int, sentences: list[str]) -> dict:
    settings = Settings(seeds_dir=SEEDS, index_dir=tmp / "large")
    rng = random.Random(7)
    built = time.perf_counter()
    build_stand_in_corpus(settings, documents, sentences, rng)
    build_s = time.perf_counter() - built
    code = (
        "import time, json; t = time.perf_counter()\n"
        "from rag.service import load_components; from rag.settings import Settings\n"
        f"p = load_components(Settings(seeds_dir={str(SEEDS)!r}, index_dir={str(settings.index_dir)!r}))\n"
        "loaded = time.perf_counter() - t\n"
        "p.extractive.answer('Where is the NATO Space Operations Centre?')\n"
        "print(json.dumps({'loaded_s': loaded, 'ready_s': time.perf_counter() - t, "
        "'documents': len(p.index.documents), 'chunks': len(p.index.chunks), 'sentences': len(p.index.sentences)}))"
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=REPO).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    figures["process_s"] = time.perf_counter() - started
    figures["store_mb"] = (settings.index_dir / "corpus.sqlite").stat().st_size / 1e6
    figures["build_s"] = build_s
    # As the service does it: after the commit, the next view and the answerer's term statistics over it.
    parts = load_components(settings)
    swaps: list[float] = []

    def publish(index) -> None:
        started = time.perf_counter()
        _ = with_index(parts, index).extractive.stats
        swaps.append(time.perf_counter() - started)

    view_started = time.perf_counter()
    writer = DocumentWriter(settings, parts.embedder, view=lambda: parts.index, publish=publish)
    prepared = prepare_upload(
        ExtractedText(synthetic_text(100_000, rng, sentences), "text/plain"),
        settings,
        doc_id=None,
        title=None,
        file_name="bench.txt",
        original=b"",
    )
    started = time.perf_counter()
    writer.add(prepared, explicit_id=False)
    total = time.perf_counter() - started
    figures["add_100kb_at_this_size"] = {
        "kb": len(prepared.document.text.encode()) / 1000,
        "total_s": total,
        "s_per_100kb": total / (len(prepared.document.text.encode()) / 100_000),
        "view_and_stats_s": swaps[0],
        "setup_s": started - view_started,
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000], help="texts to add (none: skip)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sentences = seed_sentences()
    with tempfile.TemporaryDirectory() as tmp:
        adds = bench_adds(Path(tmp), args.sizes, sentences)
        startup = bench_startup(Path(tmp), args.documents, sentences)
    load = os.getloadavg()
    print(f"load average (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; cores: {os.cpu_count()}\n")
    if adds:
        print("| added text | texts embedded | cut (s) | total (s) | s per 100 KB |\n|---:|---:|---:|---:|---:|")
    for a in adds:
        print(f"| {a['kb']:.0f} KB | {a['texts']} | {a['cut_s']:.2f} | {a['total_s']:.2f} | {a['s_per_100kb']:.1f} |")
    s = startup
    print(
        f"\nStart-up with {s['documents']} documents ({s['chunks']} chunks, {s['sentences']} sentences, store "
        f"{s['store_mb']:.0f} MB): index and model loaded in {s['loaded_s']:.1f} s, ready (after the warm-up "
        f"question) in {s['ready_s']:.1f} s; whole process {s['process_s']:.1f} s."
    )
    a = s["add_100kb_at_this_size"]
    print(
        f"Adding 100 KB to that corpus: {a['total_s']:.1f} s ({a['s_per_100kb']:.1f} s per 100 KB), of which "
        f"{a['view_and_stats_s']:.1f} s for the next view and its term statistics."
    )
    if args.json:
        args.json.write_text(json.dumps({"adds": adds, "startup": startup, "load": load}, indent=1))


if __name__ == "__main__":
    main()
