"""The evaluation gate with the Milvus backend, on Milvus Lite and on a real Milvus server (the bundled 2.3.5).

Runs `rag eval --check` (extra arguments are passed on, e.g. --no-peer) with RAG_VECTOR_STORE=milvus, first
with RAG_MILVUS_URI a fresh Milvus Lite file, then against a server started for the run in a temporary folder
(`tests/milvus_server.py`), then with FAISS for comparison at the same load; prints the headline figures of
the three side by side, and exits non-zero when a Milvus run fails the gate.

Run from the repository root (the index must exist: `rag index`):  .venv/bin/python eval/eval_milvus.py [--no-peer]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.milvus_server import milvus_server  # noqa: E402

RESULTS = REPO / "eval" / "results"
HEADLINE = (
    "hit@1",
    "mrr",
    "recall@10",
    "answer_accuracy",
    "citation_precision",
    "citation_recall",
    "abstention_recall",
    "latency_p50_ms",
)


def gate(uri: str | None, extra: list[str]) -> tuple[int, dict[str, dict]]:
    """(exit code of `rag eval --check`, split -> overall metrics of our system in the run); FAISS for None."""
    env = {**os.environ, "RAG_VECTOR_STORE": "faiss"}
    if uri is not None:
        env.update(RAG_VECTOR_STORE="milvus", RAG_MILVUS_URI=uri, RAG_MILVUS_COLLECTION="rag_eval")
    print(f"== rag eval --check with RAG_VECTOR_STORE={env['RAG_VECTOR_STORE']} {uri or ''}", flush=True)
    before = set(RESULTS.glob("*.json")) if RESULTS.is_dir() else set()
    code = subprocess.call([str(REPO / ".venv" / "bin" / "rag"), "eval", "--check", *extra], env=env, cwd=REPO)
    runs = {}
    for path in sorted(set(RESULTS.glob("*.json")) - before):
        run = json.loads(path.read_text(encoding="utf-8"))
        runs[run["split"]] = run["systems"]["ours"]["overall"]
    return code, runs


def headline_table(columns: dict[str, dict[str, dict]]) -> str:
    """Markdown: one row per split and metric, one column per backend."""
    names = list(columns)
    lines = ["| split | metric | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for split in ("dev", "test"):
        for metric in HEADLINE:
            cells = [columns[n].get(split, {}).get(metric) for n in names]
            lines.append(f"| {split} | {metric} | " + " | ".join("–" if c is None else f"{c:g}" for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    extra = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="rag-milvus-eval-") as tmp:
        lite, lite_runs = gate(str(Path(tmp) / "lite.db"), extra)
        with milvus_server(Path(tmp) / "server") as uri:
            server, server_runs = gate(uri, extra)
    _, faiss_runs = gate(None, extra)  # the same figures at the same time, for latency
    print(headline_table({"FAISS": faiss_runs, "Milvus Lite 2.5.1": lite_runs, "Milvus server 2.3.5": server_runs}))
    print(f"Milvus Lite: {'passed' if lite == 0 else 'FAILED'}; Milvus server: {'passed' if server == 0 else 'FAILED'}")
    sys.exit(1 if lite or server else 0)


if __name__ == "__main__":
    main()
