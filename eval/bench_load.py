"""Soak test of the HTTP API: N concurrent clients on loopback for S seconds, a realistic mix of requests.

Starts `rag serve` on 127.0.0.1 (or targets `--url`, which must be a loopback address), warms it up, then
runs `--clients` concurrent clients (asyncio tasks, each with its own connection) for `--seconds`, each
sending, at random (seeded): `POST /ask` without history, `POST /ask` with a chat history, `GET /search`,
`POST /verify`, and, `--malformed` of the time (default 20%), a malformed request (broken JSON, a missing,
blank, over-long or mistyped field, an unknown history role, an out-of-range `k`, an unknown document).

It fails (exit 1) on any 5xx, connection error or time-out, on a valid request that does not get 200 or a
malformed one that does not get its 4xx, and when resident memory grows by more than `--max-rss-growth-mib`
between the end of the warm-up and the end of the run. It reports throughput, p50/p95/p99 per kind of
request and the server's RSS before and after.

Run from the repository root:  .venv/bin/python eval/bench_load.py  (or `make bench-load`; 32 clients x 60 s)
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import platform
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "eval"))

from bench_api import RAG, memory_mib, start_server, stop_server  # noqa: E402
from bench_core import QUESTIONS, percentile  # noqa: E402

FOLLOW_UPS = [
    ("Where is the NATO Space Operations Centre?", "When was it established?"),
    ("What is NORTHLINK?", "How many Allies take part in it?"),
    ("What is APSS?", "Who signed the memorandum?"),
    ("Where was the first NATO Space Symposium held?", "And the second one?"),
    ("What is the Commercial Space Strategy?", "When was it released?"),
]
VERIFY_QUOTES = [
    ("In 2020, Defence Ministers decided to establish a NATO Space Operations Centre", None),
    ("NATO's Space Operations Centre", "002_685e0ef70b0e745a"),
    ("In 2020 Defense Ministers chose to set up a NATO space operations center", None),
    ("The moon is made of green cheese and NATO owns it.", None),
]


@dataclass
class Request:
    kind: str
    method: str
    path: str
    expected: tuple[int, ...]
    params: dict | None = None
    json_body: object | None = None
    content: bytes | None = None


def valid_request(rng: random.Random) -> Request:
    roll = rng.random()
    if roll < 0.35:
        return Request("ask", "POST", "/ask", (200,), json_body={"question": rng.choice(QUESTIONS)})
    if roll < 0.55:
        first, follow_up = rng.choice(FOLLOW_UPS)
        history = [{"role": "user", "content": first}, {"role": "assistant", "content": "(an earlier answer)"}]
        return Request("ask+history", "POST", "/ask", (200,), json_body={"question": follow_up, "history": history})
    if roll < 0.85:
        params = {"q": rng.choice(QUESTIONS), "k": rng.choice([3, 5, 10])}
        return Request("search", "GET", "/search", (200,), params=params)
    quote, doc_id = rng.choice(VERIFY_QUOTES)
    body = {"quote": quote} if doc_id is None else {"quote": quote, "doc_id": doc_id}
    return Request("verify", "POST", "/verify", (200,), json_body=body)


def malformed_request(rng: random.Random) -> Request:
    cases = [
        Request("bad", "POST", "/ask", (400,), content=b'{"question": "Where is'),
        Request("bad", "POST", "/ask", (400,), content=b"\xff\xfe not utf-8"),
        Request("bad", "POST", "/ask", (422,), json_body={}),
        Request("bad", "POST", "/ask", (422,), json_body={"question": "   "}),
        Request("bad", "POST", "/ask", (422,), json_body={"question": "?!"}),
        Request("bad", "POST", "/ask", (422,), json_body={"question": "x" * 1001}),
        Request("bad", "POST", "/ask", (422,), json_body={"question": 42}),
        Request("bad", "POST", "/ask", (422,), json_body={"question": "What is APSS?", "top_k": 0}),
        Request("bad", "POST", "/ask", (422,), json_body={"question": "What is APSS?", "colour": "red"}),
        Request(
            "bad",
            "POST",
            "/ask",
            (422,),
            json_body={"question": "And then?", "history": [{"role": "wizard", "content": "hi"}]},
        ),
        Request("bad", "GET", "/search", (422,), params={"q": "APSS", "k": 0}),
        Request("bad", "GET", "/search", (422,), params={"q": "APSS", "k": "many"}),
        Request("bad", "GET", "/search", (422,), params={"k": 3}),
        Request("bad", "POST", "/verify", (422,), json_body={"quote": ""}),
        Request("bad", "POST", "/verify", (404,), json_body={"quote": "NATO", "doc_id": "../../etc/passwd"}),
    ]
    return rng.choice(cases)


@dataclass
class Tally:
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    failure_counts: Counter = field(default_factory=Counter)

    def fail(self, kind: str, message: str) -> None:
        self.failure_counts[kind] += 1
        if len(self.failures) < 20:  # the first few, verbatim; the rest are counted
            self.failures.append(message)


async def send(http: httpx.AsyncClient, request: Request) -> httpx.Response:
    headers = {"Content-Type": "application/json"} if request.content is not None else None
    return await http.request(
        request.method,
        request.path,
        params=request.params,
        json=request.json_body,
        content=request.content,
        headers=headers,
    )


async def client(base: str, seed: int, until: float, malformed: float, timeout: float, tally: Tally) -> None:
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as http:
        while time.perf_counter() < until:
            request = malformed_request(rng) if rng.random() < malformed else valid_request(rng)
            started = time.perf_counter()
            try:
                response = await send(http, request)
            except httpx.TimeoutException as exc:
                tally.fail("timeout", f"{request.method} {request.path}: time-out ({type(exc).__name__})")
                continue
            except httpx.TransportError as exc:
                tally.fail("connection", f"{request.method} {request.path}: {type(exc).__name__}: {exc}")
                await asyncio.sleep(0.05)
                continue
            tally.latencies_ms[request.kind].append((time.perf_counter() - started) * 1000)
            tally.statuses[response.status_code] += 1
            if response.status_code >= 500:
                tally.fail("5xx", f"{request.method} {request.path}: {response.status_code} {response.text[:200]}")
            elif response.status_code not in request.expected:
                tally.fail(
                    "unexpected status",
                    f"{request.method} {request.path} ({request.kind}): {response.status_code}, expected "
                    f"{request.expected}: {response.text[:200]}",
                )


async def warm_up(base: str) -> None:
    """Every question once on /ask and /search, then a burst as wide as the run's, so that buffers sized
    by the batch (the model's, the allocator's) are grown before the 'before' memory reading."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for question in QUESTIONS:
            (await http.post("/ask", json={"question": question})).raise_for_status()
            (await http.get("/search", params={"q": question, "k": 5})).raise_for_status()
        burst = [http.post("/ask", json={"question": q}) for q in QUESTIONS * 2]
        for response in await asyncio.gather(*burst):
            response.raise_for_status()


async def run(base: str, clients: int, seconds: float, malformed: float, timeout: float, seed: int) -> Tally:
    tally = Tally()
    until = time.perf_counter() + seconds
    await asyncio.gather(*(client(base, seed + n, until, malformed, timeout, tally) for n in range(clients)))
    return tally


def require_loopback(url: str) -> str:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"--url must be a loopback address (127.0.0.1, localhost, [::1]), got {host!r}")
    return url.rstrip("/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--malformed", type=float, default=0.2, help="share of malformed requests")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a request counts as timed out")
    parser.add_argument("--max-rss-growth-mib", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--url", help="a running server on loopback (its memory is then not measured)")
    parser.add_argument("--index-dir", type=Path, default=REPO / "index")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    if args.clients < 1 or args.seconds <= 0 or not 0 <= args.malformed <= 1:
        parser.error("--clients must be >= 1, --seconds > 0, --malformed from 0 to 1")

    server = None
    if args.url:
        base = require_loopback(args.url)
    else:
        seeds = REPO / "seeds"
        index_cmd = [str(RAG), "--seeds-dir", str(seeds), "--index-dir", str(args.index_dir), "index"]
        import subprocess

        subprocess.run(index_cmd, check=True, stdout=subprocess.DEVNULL)
        server, base, _ = start_server(seeds, args.index_dir)
    try:
        asyncio.run(warm_up(base))
        before = memory_mib(server.pid) if server else None
        started = time.perf_counter()
        tally = asyncio.run(run(base, args.clients, args.seconds, args.malformed, args.timeout, args.seed))
        elapsed = time.perf_counter() - started
        after = memory_mib(server.pid) if server else None
    finally:
        if server:
            stop_server(server)

    every = [ms for values in tally.latencies_ms.values() for ms in values]
    total = len(every) + sum(tally.failure_counts[k] for k in ("timeout", "connection"))
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.clients} clients x {args.seconds:g} s, "
        f"{args.malformed:.0%} malformed"
    )
    print("| requests | result |\n|---|---|")
    print(f"| all ({total}) | {len(every) / elapsed:.0f} req/s; {spread(every)} |")
    for kind in sorted(tally.latencies_ms):
        values = tally.latencies_ms[kind]
        print(f"| {kind} ({len(values)}) | {len(values) / elapsed:.0f} req/s; {spread(values)} |")
    print(f"\nstatuses: {dict(sorted(tally.statuses.items()))}; failures: {dict(tally.failure_counts) or 'none'}")
    growth = None
    if before and after:
        growth = after["VmRSS"] - before["VmRSS"]
        print(
            f"server RSS: {before['VmRSS']:.0f} MiB after warm-up, {after['VmRSS']:.0f} MiB at the end "
            f"({growth:+.0f} MiB); peak {after['VmHWM']:.0f} MiB"
        )
    for message in tally.failures:
        print(f"  FAIL {message}")
    if args.json:
        raw = {
            "clients": args.clients,
            "seconds": elapsed,
            "latencies_ms": tally.latencies_ms,
            "statuses": tally.statuses,
            "failures": tally.failure_counts,
            "rss_before": before,
            "rss_after": after,
        }
        args.json.write_text(json.dumps(raw, indent=1))
    if tally.failure_counts:
        print(f"FAILED: {sum(tally.failure_counts.values())} failed request(s)")
        return 1
    if growth is not None and growth > args.max_rss_growth_mib:
        print(f"FAILED: resident memory grew by {growth:.0f} MiB (limit {args.max_rss_growth_mib:g})")
        return 1
    return 0


def spread(ms: list[float]) -> str:
    if not ms:
        return "no requests"
    return f"p50 {percentile(ms, 50):.1f} / p95 {percentile(ms, 95):.1f} / p99 {percentile(ms, 99):.1f} ms"


if __name__ == "__main__":
    sys.exit(main())
