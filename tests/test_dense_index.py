"""The dense index chosen by size (issue 13): exact and approximate give the same answers on the seeds,
the approximate one is built in the background and swapped in, and updates by id keep positions right."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from rag import dense_index
from rag.dense_index import ChunkVectors, DenseIndexSpec, describe
from rag.evaluation.dataset import DEFAULT_EVAL_SET, load_eval_set
from rag.index_store import load_index
from rag.retrieval import HybridRetriever
from rag.service import make_answerer

REPO_EVAL_SET = DEFAULT_EVAL_SET


def _chunk_matrix(vectors: ChunkVectors) -> np.ndarray:
    return np.vstack([vectors.reconstruct(p) for p in range(len(vectors.keys))]).astype(np.float32)


def _dev_questions() -> list[str]:
    from tests.conftest import REPO

    return [item.question for item in load_eval_set(REPO / REPO_EVAL_SET)]


def _exhaustive(kind: str, n: int) -> DenseIndexSpec:
    """An approximate index forced to look everywhere: IVF scanning every list, HNSW with a candidate list
    longer than the corpus. Approximate in structure, so any bug in building or mapping ids shows."""
    nlist = DenseIndexSpec.nlist_for(n)
    return DenseIndexSpec(kind=kind, ivf_nprobe=nlist, hnsw_ef_search=max(64, 2 * n), background=False)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_index_gives_the_same_passages_and_answers_on_the_dev_questions(components, kind):
    exact = components.index.faiss_index
    assert exact.kind == "flat", "the seeds are below the threshold: searched exactly by default"
    keys = exact.keys
    approximate = ChunkVectors.build(keys, _chunk_matrix(exact), spec=_exhaustive(kind, len(keys)))
    assert approximate.kind == kind and approximate.ntotal == len(keys)
    index = dataclasses.replace(components.index, faiss_index=approximate)
    retriever = HybridRetriever(index, components.retriever.embedder, components.settings)
    approximate_answers = make_answerer(retriever, components.settings)
    questions = _dev_questions()
    for question in questions:
        vector = components.retriever.embed_query(question)
        want = components.retriever.search(question, k=10, query_vector=vector)
        got = retriever.search(question, k=10, query_vector=vector)
        assert [p.chunk.chunk_id for p in got] == [p.chunk.chunk_id for p in want], question
        assert [p.dense_score for p in got] == pytest.approx([p.dense_score for p in want], abs=1e-5)
    for question in questions[:: 4 if kind == "hnsw" else 1]:  # answers: every question for IVF, the default
        want, got = components.answerer.answer(question), approximate_answers.answer(question)
        assert (got.answer, got.abstained) == (want.answer, want.abstained), question
        assert [(c.doc_id, c.start, c.end) for c in got.citations] == [
            (c.doc_id, c.start, c.end) for c in want.citations
        ], question


def test_nlist_and_kind_by_size():
    spec = DenseIndexSpec(exact_max_chunks=1000)
    assert spec.kind_for(1000) == "flat" and spec.kind_for(1001) == "ivf"
    assert DenseIndexSpec(kind="hnsw").kind_for(10) == "hnsw"
    assert DenseIndexSpec.nlist_for(1_000_000) == 4000 and DenseIndexSpec.nlist_for(10_000) == 400
    assert DenseIndexSpec.nlist_for(1) == 1


@pytest.mark.parametrize("bad", [{"kind": "annoy"}, {"exact_max_chunks": 0}, {"ivf_nprobe": 0}])
def test_bad_spec_is_rejected(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        DenseIndexSpec(**bad)


def test_corpus_past_the_threshold_is_served_exactly_until_the_background_index_is_swapped_in(components, monkeypatch):
    gate = threading.Event()
    real_build = dense_index.build_faiss

    def held_build(vectors, keys, kind, spec):  # the approximate build waits until the test has looked
        if kind != "flat":
            assert gate.wait(timeout=60)
        return real_build(vectors, keys, kind, spec)

    monkeypatch.setattr(dense_index, "build_faiss", held_build)
    exact = components.index.faiss_index
    keys, vectors = exact.keys, _chunk_matrix(exact)
    spec = DenseIndexSpec(exact_max_chunks=len(keys) - 20)
    smaller = ChunkVectors.build(keys[:-20], np.ascontiguousarray(vectors[:-20]), spec=spec)
    assert smaller.kind == "flat" and "building" not in smaller.description
    grown = ChunkVectors.build(keys, vectors, previous=smaller, spec=spec)  # the corpus grows past it
    served_first = grown.index
    assert grown.kind == "flat" and grown.description["building"] == "ivf", "the exact index serves at once"
    _scores, found = grown.search(vectors[-1:], 1)
    assert found[0][0] == len(keys) - 1, "the new chunks are searchable before the approximate index exists"
    assert not grown.wait(timeout=0.2), "still building"
    gate.set()
    assert grown.wait(timeout=60)
    assert grown.kind == "ivf" and grown.index is not served_first
    assert grown.description == {"kind": "ivf", "vectors": len(keys), "dimension": vectors.shape[1]} | {
        "nlist": DenseIndexSpec.nlist_for(len(keys)),
        "nprobe": min(spec.ivf_nprobe, DenseIndexSpec.nlist_for(len(keys))),
    }
    assert smaller.kind == "flat" and smaller.ntotal == len(keys) - 20, "the previous view is untouched"
    for position in (0, 17, len(keys) - 1):
        _scores, found = grown.search(vectors[position : position + 1], 1)
        assert found[0][0] == position, "positions, not FAISS ids, come back after the swap"


def test_ivf_index_is_updated_by_id_and_keeps_positions(components):
    exact = components.index.faiss_index
    keys, vectors = exact.keys, _chunk_matrix(exact)
    spec = DenseIndexSpec(kind="ivf", ivf_nprobe=1000, background=False)
    first = ChunkVectors.build(keys, vectors, spec=spec)
    kept = np.r_[0:10, 25 : len(keys)]  # ten removed, the rest kept, and five new ones added
    new_keys = np.r_[keys[kept], np.arange(5) + int(keys.max()) + 1]
    new_vectors = np.vstack([vectors[kept], vectors[:5][:, ::-1]]).astype(np.float32)
    new_vectors /= np.linalg.norm(new_vectors, axis=1, keepdims=True)
    second = ChunkVectors.build(new_keys, np.ascontiguousarray(new_vectors), previous=first, spec=spec)
    assert second.kind == "ivf" and second.ntotal == len(new_keys) and first.ntotal == len(keys)
    assert describe(second.index)["nlist"] == describe(first.index)["nlist"], "updated, not trained again"
    for position in range(len(new_keys)):
        _scores, found = second.search(new_vectors[position : position + 1], 1)
        assert found[0][0] == position
        assert second.reconstruct(position) == pytest.approx(new_vectors[position], abs=1e-6)


def test_loaded_view_names_its_dense_index_in_the_manifest(components):
    settings = components.settings
    default = load_index(settings.index_dir)
    assert default.manifest["dense_index"] == {"kind": "flat", "vectors": len(default.chunks), "dimension": 384}
    small = load_index(settings.index_dir, dense=DenseIndexSpec(exact_max_chunks=10))
    assert small.faiss_index.wait(timeout=60)
    assert small.manifest["dense_index"]["kind"] == "ivf" and small.manifest["dense_index"]["nprobe"] == 32


def test_hnsw_is_extended_by_id_and_rebuilt_when_chunks_are_removed(components):
    exact = components.index.faiss_index
    keys, vectors = exact.keys, _chunk_matrix(exact)
    spec = DenseIndexSpec(kind="hnsw", background=False)
    first = ChunkVectors.build(keys[:-8], np.ascontiguousarray(vectors[:-8]), spec=spec)
    grown = ChunkVectors.build(keys, vectors, previous=first, spec=spec)
    shrunk = ChunkVectors.build(keys[8:], np.ascontiguousarray(vectors[8:]), previous=grown, spec=spec)
    assert (first.ntotal, grown.ntotal, shrunk.ntotal) == (len(keys) - 8, len(keys), len(keys) - 8)
    assert grown.kind == shrunk.kind == "hnsw" and grown.description["m"] == 32
    for view, offset in ((grown, 0), (shrunk, 8)):
        for position in range(0, view.ntotal, 7):
            _scores, found = view.search(vectors[offset + position : offset + position + 1], 1)
            assert found[0][0] == position
