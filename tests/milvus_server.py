"""A real Milvus server (PyPI's `milvus` package: Milvus 2.3.5 standalone, bundled) for the tests and for
running the evaluation against a server.

`milvus.MilvusServer` picks free ports itself (from 19530 for gRPC and 9091 for /healthz upwards), writes its
configuration, data and logs under the folder given, and is ready when /healthz answers OK (about 10 s).

    .venv/bin/python tests/milvus_server.py /tmp/milvus-data     # prints the URI, serves until Ctrl+C / SIGTERM
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT_MS = 120_000


class MilvusUnavailable(RuntimeError):
    """The bundled server is not installed or did not start."""


@contextlib.contextmanager
def milvus_server(data_dir: Path) -> Iterator[str]:
    """A Milvus server with its data in `data_dir`, for the duration of the block; yields its URI."""
    try:
        from milvus import MilvusServer
    except ImportError as exc:
        raise MilvusUnavailable("the `milvus` package is not installed: pip install -e '.[milvus]'") from exc
    data_dir.mkdir(parents=True, exist_ok=True)
    server = MilvusServer(wait_for_started=False)
    server.set_base_dir(str(data_dir))
    try:
        server.start()
        server.wait_started(timeout=START_TIMEOUT_MS)
    except Exception as exc:
        server.stop()
        log = data_dir / "logs" / "milvus-stderr.log"
        tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
        raise MilvusUnavailable(f"the Milvus server did not start: {exc}\n{tail}") from exc
    try:
        yield f"http://127.0.0.1:{server.listen_port}"
    finally:
        server.stop()


def main() -> None:
    data_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "milvus-data").resolve()
    started = time.perf_counter()
    with milvus_server(data_dir) as uri:
        print(f"{uri} (ready in {time.perf_counter() - started:.1f} s; data in {data_dir})", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
