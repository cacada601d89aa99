"""Run one document write and SIGKILL this process at its N-th SQLite call (before or after it runs).

    python -m tests.crash_ingest INDEX_DIR SEEDS_DIR KILL_AT add|replace

KILL_AT 0 runs the write to the end and prints how many points it passed. Vectors come from a stand-in
encoder (a crash's effect on the store does not depend on their values), so no model is loaded here.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
from pathlib import Path

ADDED_ID = "walrus-report"
REPLACED_ID = "notes"
ADDED_TEXT = (
    "Walrus report\n\nThe walrus survey of 2021 counted 412 animals at Kapp Lee. It was funded by the Norwegian "
    "Polar Institute, which has run the survey every five years since 2006.\n\nA second paragraph says that the "
    "next survey is planned for 2026, with two aircraft and a ship.\n"
)
REPLACEMENT_TEXT = "Notes, second version\n\nThe tern colony on Farne had 311 nests in 2019, up from 280.\n"

_points = 0
_kill_at = 0
_armed = False


def _tick() -> None:
    global _points
    if _armed:
        _points += 1
        if _points == _kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


class CountingConnection(sqlite3.Connection):
    def execute(self, *args, **kwargs):  # type: ignore[override]
        _tick()
        result = super().execute(*args, **kwargs)
        _tick()
        return result

    def executemany(self, *args, **kwargs):  # type: ignore[override]
        _tick()
        result = super().executemany(*args, **kwargs)
        _tick()
        return result


def main() -> None:
    global _kill_at, _armed
    index_dir, seeds_dir, kill_at, operation = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    _kill_at = kill_at
    connect = sqlite3.connect
    sqlite3.connect = lambda *a, **k: connect(*a, factory=CountingConnection, **k)  # type: ignore[assignment]

    from rag.document_writes import DocumentWriter
    from rag.embedding import Embedder
    from rag.extract import ExtractedText
    from rag.ingest import prepare_upload
    from rag.settings import Settings
    from tests.documents import stand_in_vectors

    settings = Settings(seeds_dir=seeds_dir, index_dir=index_dir)
    writer = DocumentWriter(settings, Embedder(), encode=stand_in_vectors)
    doc_id, text = (ADDED_ID, ADDED_TEXT) if operation == "add" else (REPLACED_ID, REPLACEMENT_TEXT)
    prepared = prepare_upload(
        ExtractedText(text, "text/plain"), settings, doc_id=doc_id, title=None, file_name=None, original=text.encode()
    )
    _armed = True
    writer.add(prepared, explicit_id=True, replace=operation == "replace")
    _armed = False
    print(_points)


if __name__ == "__main__":
    main()
