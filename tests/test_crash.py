"""A write SIGKILLed at any of 20 points leaves the previous corpus (or, once committed, the new one)
loadable and consistent."""

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rag.corpus import corpus_hash
from rag.document_writes import DocumentWriter
from rag.extract import ExtractedText
from rag.index_store import CorpusIndex, load_index
from rag.ingest import prepare_upload
from rag.settings import Settings
from rag.store import store_path
from tests import crash_ingest
from tests.documents import backup_store

from .conftest import REPO, SEEDS

pytestmark = pytest.mark.slow
POINTS = 20
PARALLEL = 3


@pytest.fixture(scope="module")
def base_index(components, tmp_path_factory) -> Path:
    """The session's store plus one uploaded document, `notes` (the one the replacements replace)."""
    index = tmp_path_factory.mktemp("crash") / "base"
    backup_store(components.settings.index_dir, index)
    settings = Settings(seeds_dir=SEEDS, index_dir=index)
    text = "Notes\n\nThe tern colony on Farne had 280 nests in 2018, counted by the National Trust.\n"
    prepared = prepare_upload(
        ExtractedText(text, "text/plain"), settings, doc_id="notes", title=None, file_name=None, original=b"x"
    )
    DocumentWriter(settings, components.embedder).add(prepared, explicit_id=True)
    return index


def _start(index: Path, kill_at: int, operation: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.crash_ingest", str(index), str(SEEDS), str(kill_at), operation],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check_consistent(index: CorpusIndex) -> None:
    assert index.manifest["corpus_hash"] == corpus_hash(list(index.documents.values()))
    assert len(index.chunks) == index.faiss_index.ntotal == index.bm25.scores["num_docs"]
    assert len(index.sentences) == len(index.sentence_vectors) == len(index.context_vectors)
    assert all(index.documents[s.doc_id].text[s.start : s.end] == s.text for s in index.sentences)
    assert all(c.doc_id in index.documents for c in index.chunks)


def test_sigkill_at_20_points_of_an_ingest(base_index: Path, tmp_path: Path):
    before = load_index(base_index)
    old_hash = before.manifest["corpus_hash"]
    totals = {}
    for operation in ("add", "replace"):  # a full run of each, to know its points
        dry = tmp_path / f"dry-{operation}"
        backup_store(base_index, dry)
        done = _start(dry, 0, operation)
        out, err = done.communicate(timeout=120)
        assert done.returncode == 0, err
        totals[operation] = int(out.strip())
    assert min(totals.values()) >= POINTS // 2, totals
    runs = [
        (operation, 1 + (i * (totals[operation] - 1)) // (POINTS // 2 - 1))
        for operation in ("add", "replace")
        for i in range(POINTS // 2)
    ]
    assert len(set(runs)) == POINTS
    outcomes = []
    for batch in range(0, POINTS, PARALLEL):
        started = []
        for operation, point in runs[batch : batch + PARALLEL]:
            index = tmp_path / f"{operation}-{point}"
            backup_store(base_index, index)
            started.append((operation, point, index, _start(index, point, operation)))
        for operation, point, index, proc in started:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == -signal.SIGKILL, f"{operation} at {point} was not killed: {err}"
            outcomes.append(_verify(index, operation, old_hash, before))
    assert "old" in outcomes and "new" in outcomes, outcomes  # points before and after the commit


def _verify(index_dir: Path, operation: str, old_hash: str, before: CorpusIndex) -> str:
    conn = sqlite3.connect(store_path(index_dir))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    after = load_index(index_dir)
    _check_consistent(after)
    changed = crash_ingest.ADDED_ID if operation == "add" else crash_ingest.REPLACED_ID
    expected = crash_ingest.ADDED_TEXT if operation == "add" else crash_ingest.REPLACEMENT_TEXT
    if after.manifest["corpus_hash"] == old_hash:
        assert set(after.documents) == set(before.documents)
        assert len(after.chunks) == len(before.chunks)
        return "old"
    assert after.documents[changed].text == expected, "the new corpus is whole"
    assert set(after.documents) - {changed} == set(before.documents) - {changed}
    return "new"
