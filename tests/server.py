"""The real server for tests: `rag serve` in a subprocess on a free port, waited for until ready."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from rag.settings import Settings

RAG = str(Path(sys.executable).parent / "rag")
START_TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def rag_serve(settings: Settings, log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`rag serve` on the seeds and index of `settings`, with no `RAG_*` variable of the environment but those of
    `env`; yields its base URL once `/readyz` answers 200. While it loads, `/readyz` must answer 503 `not_ready` and
    `/healthz` 200. On exit it is stopped with SIGINT and must exit 0; its output is in `log_path`."""
    port = free_port()
    command = [RAG, "--seeds-dir", str(settings.seeds_dir), "--index-dir", str(settings.index_dir)]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RAG_")}, **(env or {})}
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [*command, "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(server, base, log_path)
            yield base
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    assert server.returncode == 0, log_path.read_text()


def _wait_until_ready(server: subprocess.Popen, base: str, log_path: Path) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert server.poll() is None, log_path.read_text()
            try:
                ready = http.get("/readyz")
                if ready.status_code == 200:
                    return
                assert ready.status_code == 503 and ready.json()["error"]["type"] == "not_ready"
                assert http.get("/healthz").status_code == 200  # alive while loading
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.1)
    pytest.fail(f"not ready after {START_TIMEOUT}s:\n{log_path.read_text()}")
