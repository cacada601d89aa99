"""The Milvus backend (RAG_VECTOR_STORE=milvus) against Milvus Lite and a real Milvus server.

The server is PyPI's `milvus` package (Milvus 2.3.5 standalone), started once for this module on free ports in a
temporary folder (`tests/milvus_server.py`). It has no BM25 function, so it runs the client-side fusion path;
Milvus Lite (2.5) runs BM25 and RRF inside Milvus. Each backend gets a copy of the session's store and its own
collection, once per module: retrieval is compared with the FAISS path on the dev questions, and the API is
used end to end (ask, search, a document added and then removed through the API).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.errors import IndexStoreError
from rag.milvus_backend import MilvusRetriever
from rag.milvus_schema import has_full_text
from rag.retrieval import HybridRetriever
from rag.service import QAComponents, load_components
from rag.settings import Settings
from tests.milvus_server import MilvusUnavailable, milvus_server
from tests.test_ingest_api import AUTH, KEY, QUOKKA, QUOKKA_QUESTION, copy_store

from .conftest import REPO, SEEDS, under_ci

pytestmark = [pytest.mark.milvus, pytest.mark.slow]


def dev_queries() -> list[str]:
    """The retrieval query of every dev question (its earlier user turns, then the question)."""
    queries = []
    for line in (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            turns = [t["content"] for t in item.get("history", []) if t["role"] == "user"]
            queries.append(" ".join([*turns, item["question"]]))
    return queries


@pytest.fixture(scope="module")
def server_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Milvus server for this module (stopped after it); a missing one fails under CI, else skips."""
    try:
        with milvus_server(tmp_path_factory.mktemp("milvus-server")) as uri:
            yield uri
    except MilvusUnavailable as exc:
        if under_ci():
            pytest.fail(f"CI needs the Milvus server: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="module", params=["lite", "server"])
def backend(request: pytest.FixtureRequest, components: QAComponents, tmp_path_factory) -> Iterator[QAComponents]:
    """Components over a copy of the session's store with RAG_VECTOR_STORE=milvus, on Lite or the server."""
    root = tmp_path_factory.mktemp(f"milvus-{request.param}")
    uri = str(root / "lite.db") if request.param == "lite" else request.getfixturevalue("server_uri")
    copy_store(components, root / "index")
    settings = Settings(
        seeds_dir=SEEDS,
        index_dir=root / "index",
        api_keys=KEY,
        vector_store="milvus",
        milvus_uri=uri,
        milvus_collection=f"test_{request.param}_{os.getpid()}",
    )
    parts = load_components(settings)
    yield parts
    parts.retriever.collection.drop()


def test_the_backend_is_milvus_with_the_fusion_the_server_supports(backend: QAComponents):
    retriever = backend.retriever
    assert isinstance(retriever, MilvusRetriever)
    # Milvus Lite 2.5 has the BM25 function; the 2.3.5 server does not (detected, not configured).
    lite = not backend.settings.milvus_uri.startswith("http")
    assert retriever.fusion == ("milvus" if lite else "client")
    assert retriever.collection.keys() == set(retriever.keys)
    assert len(retriever.keys) == len(backend.index.chunks)


def test_retrieval_matches_faiss_on_the_dev_questions(backend: QAComponents, components: QAComponents):
    faiss, milvus = components.retriever, backend.retriever
    same_order = 0
    queries = dev_queries()
    for query in queries:
        vector = faiss.embed_query(query)
        a = faiss.search(query, k=10, query_vector=vector)
        b = milvus.search(query, k=10, query_vector=vector)
        assert {p.chunk.chunk_id for p in a[:3]} == {p.chunk.chunk_id for p in b[:3]}, query
        for p in b:  # the view's own chunks: citations are cut from the same offsets
            assert p.chunk == backend.index.chunks[p.chunk.chunk_id]
        dense = {p.chunk.chunk_id: p.dense_score for p in a}
        assert all(abs(dense[p.chunk.chunk_id] - p.dense_score) < 1e-5 for p in b if p.chunk.chunk_id in dense)
        same_order += [p.chunk.chunk_id for p in a] == [p.chunk.chunk_id for p in b]
    assert same_order >= 0.9 * len(queries), f"{same_order} of {len(queries)} rankings identical"


def test_stored_fields_are_the_citation_fields(backend: QAComponents):
    retriever = backend.retriever
    rows = retriever.collection.client.query(
        retriever.collection.name,
        filter="chunk_key >= 0",
        output_fields=["chunk_key", "doc_id", "start_char", "end_char", "text"],
        limit=1000,
    )
    assert len(rows) == len(backend.index.chunks)
    for row in rows:
        chunk = backend.index.chunks[retriever.positions[int(row["chunk_key"])]]
        assert (row["doc_id"], row["start_char"], row["end_char"], row["text"]) == (
            chunk.doc_id,
            chunk.start,
            chunk.end,
            chunk.text,
        )


def test_api_ask_search_and_a_document_added_then_removed(backend: QAComponents, components: QAComponents):
    with TestClient(create_app(components=backend)) as client:
        found = client.get("/search", params={"q": "Where is the NATO Space Operations Centre?", "k": 3}).json()
        expected = components.retriever.search("Where is the NATO Space Operations Centre?", k=3)
        assert [(p["doc_id"], p["start"], p["end"]) for p in found["passages"]] == [
            (p.doc_id, p.chunk.start, p.chunk.end) for p in expected
        ]
        answer = client.post("/ask", json={"question": "Where is the NATO Space Operations Centre?"}).json()
        assert not answer["abstained"] and "Ramstein" in answer["answer"]
        for citation in answer["citations"]:
            text = client.get(f"/documents/{citation['doc_id']}").json()["text"]
            assert text[citation["start"] : citation["end"]] == citation["quote"]

        added = client.post("/documents", json={"text": QUOKKA, "title": "Quokka survey"}, headers=AUTH)
        assert added.status_code == 201, added.text
        doc_id = added.json()["doc_id"]
        retriever = client.app.state.service.components.retriever
        assert isinstance(retriever, MilvusRetriever) and retriever.collection is backend.retriever.collection
        new_keys = {k for k, p in retriever.positions.items() if retriever.index.chunks[p].doc_id == doc_id}
        assert new_keys and new_keys <= retriever.collection.keys()
        hits = client.get("/search", params={"q": QUOKKA_QUESTION, "k": 3}).json()["passages"]
        assert hits[0]["doc_id"] == doc_id
        answer = client.post("/ask", json={"question": QUOKKA_QUESTION}).json()
        assert not answer["abstained"] and answer["citations"][0]["doc_id"] == doc_id
        assert "412" in answer["citations"][0]["quote"]

        assert client.delete(f"/documents/{doc_id}", headers=AUTH).status_code == 204
        assert not new_keys & retriever.collection.keys()
        hits = client.get("/search", params={"q": QUOKKA_QUESTION, "k": 10}).json()["passages"]
        assert doc_id not in {h["doc_id"] for h in hits}
        assert client.post("/ask", json={"question": QUOKKA_QUESTION}).json()["abstained"]
        assert client.app.state.service.components.retriever.collection.keys() == set(backend.retriever.keys)


def test_a_fresh_load_synchronises_a_collection_that_fell_behind(backend: QAComponents):
    collection = backend.retriever.collection
    stale = sorted(collection.keys())[:5]
    collection.client.delete(collection.name, ids=stale)
    assert not set(stale) & collection.keys()
    again = load_components(backend.settings)
    assert again.retriever.collection.keys() == set(backend.retriever.keys)


def test_switching_back_to_faiss_needs_only_the_setting(backend: QAComponents):
    settings = backend.settings.model_copy(update={"vector_store": "faiss"})
    faiss = load_components(settings)
    assert type(faiss.retriever) is HybridRetriever
    query = "How many Allies signed the APSS memorandum?"
    a, b = faiss.retriever.search(query, k=3), backend.retriever.search(query, k=3)
    assert {(p.doc_id, p.chunk.start) for p in a} == {(p.doc_id, p.chunk.start) for p in b}


def test_settings_refuse_a_missing_or_malformed_uri(monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(ValueError, match="needs RAG_MILVUS_URI"):
        Settings(vector_store="milvus")
    with pytest.raises(ValueError, match="http"):
        Settings(vector_store="milvus", milvus_uri="localhost:19530")
    with pytest.raises(ValueError, match="milvus_collection"):
        Settings(vector_store="milvus", milvus_uri="x.db", milvus_collection="bad-name")
    monkeypatch.setenv("RAG_VECTOR_STORE", "milvus")
    monkeypatch.setenv("RAG_MILVUS_URI", "http://127.0.0.1:19530")
    assert Settings().milvus_uri == "http://127.0.0.1:19530"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("v2.3.5-lite", False),
        ("v2.4.15", False),
        ("2.5.1", True),
        ("v2.6.0", True),
        ("Zilliz Cloud Vector Database(Compatible with Milvus 2.5)", True),
        ("unknown", False),
    ],
)
def test_bm25_support_is_read_from_the_version(version: str, expected: bool):
    assert has_full_text(version) is expected


def test_a_failing_milvus_is_an_index_store_error_and_the_next_sync_repairs_it(backend: QAComponents):
    collection = backend.retriever.collection
    collection.drop()  # the collection gone under a running service
    with pytest.raises(IndexStoreError, match="cannot search the collection"):
        backend.retriever.search("Where is the NATO Space Operations Centre?")
    with TestClient(create_app(components=backend)) as client:
        response = client.get("/search", params={"q": "Where is the NATO Space Operations Centre?"})
        assert response.status_code == 503 and "Milvus" in response.json()["error"]["message"]
    repaired = MilvusRetriever.over(backend.index, backend.retriever.embedder, backend.settings, backend.retriever)
    assert repaired.search("Where is the NATO Space Operations Centre?")[0].doc_id == "002_685e0ef70b0e745a"


def test_collection_describing_another_store_is_rebuilt(backend: QAComponents, tmp_path: Path):
    collection = backend.retriever.collection
    descriptor = {**collection.descriptor(backend.index), "store_id": "another-store"}
    collection.ensure(descriptor)
    assert collection.keys() == set()  # dropped and created anew
    assert MilvusRetriever.over(backend.index, backend.retriever.embedder, backend.settings, backend.retriever)
    assert collection.keys() == set(backend.retriever.keys)


@pytest.mark.parametrize("backend", ["lite"], indirect=True)  # the 2.3.5 server has no BM25, so no analyzer
def test_milvus_english_analyzer_ranks_by_its_own_tokens(backend: QAComponents):
    assert backend.retriever.collection.full_text, "Milvus Lite 2.5 has the BM25 function"
    settings = backend.settings.model_copy(
        update={"milvus_analyzer": "english", "milvus_collection": f"{backend.settings.milvus_collection}_en"}
    )
    english = MilvusRetriever.over(backend.index, backend.retriever.embedder, settings)
    try:
        query = "Ramstein operations centre"
        hits = english._bm25(query, ["ramstein", "oper", "centr"], 5)
        assert hits and "Ramstein" in backend.index.chunks[next(iter(hits))].text
        assert english.collection.descriptor(backend.index)["analyzer"] == "english"
    finally:
        english.collection.drop()


@pytest.mark.parametrize("split", ["dev", "test"])
def test_the_evaluation_gate_passes_on_milvus(backend: QAComponents, split: str):
    """`rag eval --check` (without the peer) in-process on this backend: every metric of the split within the
    gate's tolerance of the committed baseline, which was measured with FAISS."""
    from rag.evaluation import gate, runner
    from rag.evaluation.dataset import load_eval_set

    path = REPO / "eval" / ("questions.jsonl" if split == "dev" else "questions_test.jsonl")
    baseline = REPO / "eval" / ("baseline.json" if split == "dev" else "baseline-test.json")
    run = runner.run_evaluation(backend, load_eval_set(path), path, with_peer=False, progress=False, split=split)
    comparison = gate.compare(gate.read_run(baseline), run)
    assert comparison.passed, gate.format_comparison(comparison, "baseline", f"milvus {backend.settings.milvus_uri}")
