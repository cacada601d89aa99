"""The evaluation gate with the Milvus backend, on Milvus Lite and on a real Milvus server (the bundled 2.3.5).

Runs `rag eval --check` (extra arguments are passed on, e.g. --no-peer) with RAG_VECTOR_STORE=milvus, first
with RAG_MILVUS_URI a fresh Milvus Lite file, then against a server started for the run in a temporary folder
(`tests/milvus_server.py`); exits non-zero when either run fails the gate.

Run from the repository root (the index must exist: `rag index`):  .venv/bin/python eval/eval_milvus.py [--no-peer]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.milvus_server import milvus_server  # noqa: E402


def gate(uri: str, extra: list[str]) -> int:
    env = {**os.environ, "RAG_VECTOR_STORE": "milvus", "RAG_MILVUS_URI": uri, "RAG_MILVUS_COLLECTION": "rag_eval"}
    print(f"== rag eval --check with RAG_MILVUS_URI={uri}", flush=True)
    return subprocess.call([str(REPO / ".venv" / "bin" / "rag"), "eval", "--check", *extra], env=env, cwd=REPO)


def main() -> None:
    extra = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="rag-milvus-eval-") as tmp:
        lite = gate(str(Path(tmp) / "lite.db"), extra)
        with milvus_server(Path(tmp) / "server") as uri:
            server = gate(uri, extra)
    print(f"Milvus Lite: {'passed' if lite == 0 else 'FAILED'}; Milvus server: {'passed' if server == 0 else 'FAILED'}")
    sys.exit(1 if lite or server else 0)


if __name__ == "__main__":
    main()
