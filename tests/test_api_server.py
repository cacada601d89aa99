"""The real server: `rag serve` in a subprocess, asked a question over HTTP."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .conftest import SEEDS, source_text

RAG = str(Path(sys.executable).parent / "rag")
START_TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_rag_serve_answers_over_http(components, tmp_path):
    settings = components.settings  # the session's index is built: the server only loads it
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [
            RAG,
            "--seeds-dir",
            str(settings.seeds_dir),
            "--index-dir",
            str(settings.index_dir),
            "serve",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("RAG_")},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            deadline = time.monotonic() + START_TIMEOUT
            statuses = set()
            while time.monotonic() < deadline:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                try:
                    ready = http.get("/readyz")
                    statuses.add(ready.status_code)
                    if ready.status_code == 200:
                        break
                    assert ready.status_code == 503 and ready.json()["error"]["type"] == "not_ready"
                    assert http.get("/healthz").status_code == 200  # alive while loading
                except httpx.TransportError:
                    pass  # not listening yet
                time.sleep(0.1)
            else:
                pytest.fail(f"not ready after {START_TIMEOUT}s:\n{(tmp_path / 'server.log').read_text()}")

            answer = http.post("/ask", json={"question": "Where is the NATO Space Operations Centre?"}).json()
            assert not answer["abstained"] and answer["citations"]
            for c in answer["citations"]:
                assert source_text(SEEDS, c["doc_id"])[c["start"] : c["end"]] == c["quote"]
            assert any("Ramstein" in c["quote"] for c in answer["citations"])
            assert http.get("/version").json()["corpus_hash"] == components.index.manifest["corpus_hash"]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    assert server.returncode == 0, (tmp_path / "server.log").read_text()
