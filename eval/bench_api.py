"""Benchmark of the HTTP API on this machine: `rag serve` in a subprocess, measured over HTTP.

Measures, in one run: server start to ready (process start to the first 200 from /readyz), resident
memory after warm-up, p50/p95/p99 latency and requests per second of `GET /search` and `POST /ask` with 1
and with 8 concurrent clients (threads, each with its own httpx.Client), and, as the floor, the bare
in-process query-embedding time for the same questions (those of `bench_core.py`).

Run from the repository root:  .venv/bin/python eval/bench_api.py  (or `make bench-api`)
Prints a Markdown table; `--json PATH` also writes the raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench_core import QUESTIONS, percentile  # noqa: E402  (eval/ is on sys.path when this script runs)

from rag.embedding import Embedder  # noqa: E402
from rag.query_embedding import query_embedder  # noqa: E402
from rag.service import load_components  # noqa: E402
from rag.settings import Settings  # noqa: E402

RAG = Path(sys.executable).parent / "rag"
READY_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(seeds: Path, index: Path) -> tuple[subprocess.Popen, str, float]:
    """Start `rag serve`; return it, its base URL and the seconds from process start to ready."""
    port = free_port()
    cmd = [str(RAG), "--seeds-dir", str(seeds), "--index-dir", str(index), "serve", "--port", str(port)]
    started = time.perf_counter()
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=5) as http:
        while time.perf_counter() - started < READY_TIMEOUT_S:
            if server.poll() is not None:
                raise RuntimeError(f"rag serve exited with {server.returncode}")
            try:
                if http.get("/readyz").status_code == 200:
                    return server, base, time.perf_counter() - started
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.02)
    server.kill()
    raise RuntimeError(f"rag serve not ready after {READY_TIMEOUT_S}s")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def memory_mib(pid: int) -> dict[str, float]:
    """Resident memory now (VmRSS) and at its peak (VmHWM), in MiB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def request(http: httpx.Client, route: str, question: str) -> None:
    if route == "search":
        response = http.get("/search", params={"q": question, "k": 5})
    else:
        response = http.post("/ask", json={"question": question})
    response.raise_for_status()


def load_test(base: str, route: str, clients: int, total: int) -> dict[str, float | list[float]]:
    """`total` requests split over `clients` threads, each cycling through the questions from its own
    offset. Returns every latency (ms) and the requests per second over the whole run."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = total // clients

    def client(offset: int) -> None:
        own: list[float] = []
        with httpx.Client(base_url=base, timeout=60) as http:
            for i in range(per_client):
                question = QUESTIONS[(offset + i) % len(QUESTIONS)]
                t0 = time.perf_counter()
                request(http, route, question)
                own.append((time.perf_counter() - t0) * 1000)
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=client, args=(n * len(QUESTIONS) // clients,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"latencies_ms": latencies, "requests_per_s": len(latencies) / elapsed}


def embedding_floor(repeats: int) -> list[float]:
    """Milliseconds to embed each question alone, in this process (the model already loaded), with what
    the server embeds questions with (`RAG_QUERY_ENCODER`: the ONNX export by default)."""
    settings = Settings()
    bulk = Embedder(settings.model_path, settings.embed_batch_size)
    index = load_components(settings).index
    embedder = query_embedder(settings, index, bulk)
    embedder.encode(QUESTIONS[:1])
    times = []
    for _ in range(repeats):
        for question in QUESTIONS:
            t0 = time.perf_counter()
            embedder.encode([question])
            times.append((time.perf_counter() - t0) * 1000)
    return times


def spread(ms: list[float]) -> str:
    return f"p50 {percentile(ms, 50):.1f} / p95 {percentile(ms, 95):.1f} / p99 {percentile(ms, 99):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=3, help="server starts to time (median reported)")
    parser.add_argument("--requests", type=int, default=320, help="requests per route and concurrency level")
    parser.add_argument("--index-dir", type=Path, default=REPO / "index", help="index folder (built first if stale)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    seeds = REPO / "seeds"
    # Build or refresh the index first, so start-up times loading it, not building it.
    subprocess.run([str(RAG), "--seeds-dir", str(seeds), "--index-dir", str(args.index_dir), "index"], check=True)

    start_times = []
    for _ in range(args.starts - 1):
        server, _, seconds = start_server(seeds, args.index_dir)
        start_times.append(seconds)
        stop_server(server)
    server, base, seconds = start_server(seeds, args.index_dir)
    start_times.append(seconds)
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            for question in QUESTIONS:  # warm-up: every question once on each route
                request(http, "search", question)
                request(http, "ask", question)
        memory = memory_mib(server.pid)
        runs = {}
        for route in ("search", "ask"):
            for clients in (1, 8):
                cpu = cpu_seconds(server.pid)
                runs[(route, clients)] = load_test(base, route, clients, args.requests)
                runs[(route, clients)]["server_cpu_ms"] = (cpu_seconds(server.pid) - cpu) * 1000 / args.requests
    finally:
        stop_server(server)
    floor = embedding_floor(repeats=max(1, args.requests // len(QUESTIONS)))

    print(
        f"{date.today().isoformat()}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {len(QUESTIONS)} questions, {args.requests} requests per row"
    )
    rows = [
        (
            "server start to ready (`rag serve` to first 200 from /readyz)",
            f"{statistics.median(start_times):.2f} s median of {len(start_times)}",
        ),
        ("resident memory after warm-up (VmRSS; peak VmHWM)", f"{memory['VmRSS']:.0f} MiB; {memory['VmHWM']:.0f} MiB"),
        ("query embedding alone, in-process (the floor)", spread(floor)),
    ]
    labels = {"search": "`GET /search` k=5", "ask": "`POST /ask`"}
    for (route, clients), run in runs.items():
        name = f"{labels[route]}, {clients} client{'s' if clients > 1 else ''}"
        rows.append(
            (
                name,
                f"{spread(run['latencies_ms'])}; {run['requests_per_s']:.0f} req/s; "
                f"server CPU {run['server_cpu_ms']:.1f} ms/request",
            )
        )
    print("| measure | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    if args.json:
        raw = {
            "start_to_ready_s": start_times,
            "memory_mib": memory,
            "embedding_ms": floor,
            "runs": {f"{route}-{clients}": run for (route, clients), run in runs.items()},
        }
        args.json.write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
