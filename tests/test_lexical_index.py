"""BM25 at scale (issue 13): bm25s's top-k retrieval and per-chunk scores agree with scoring every chunk,
and a saved index opened memory-mapped ranks the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.evaluation.dataset import DEFAULT_EVAL_SET, load_eval_set
from rag.lexical_index import bm25_scores_of, bm25_top, load_bm25
from rag.text import tokenize
from tests.conftest import REPO


def _questions() -> list[str]:
    return [item.question for item in load_eval_set(REPO / DEFAULT_EVAL_SET)]


def _full_ranking(bm25: object, tokens: list[str], depth: int) -> dict[int, float]:
    """What retrieval did before: score every chunk, sort them all (stable, so ties go by position)."""
    if not tokens:
        return {}
    scores = np.asarray(bm25.get_scores(tokens), dtype=np.float32)
    return {int(i): float(scores[i]) for i in np.argsort(-scores, kind="stable")[:depth] if scores[i] > 0}


def test_top_of_the_ranking_is_the_stable_sort_of_every_score_on_the_dev_questions(components):
    bm25 = components.index.bm25
    compared = 0
    for question in _questions():
        tokens = tokenize([question])[0]
        want, got = _full_ranking(bm25, tokens, 30), bm25_top(bm25, tokens, 30)
        assert list(got) == list(want), question  # the same chunks in the same order, ties by position
        assert list(got.values()) == pytest.approx(list(want.values()))
        compared += bool(want)
    assert compared > 80, "most dev questions match some chunk"


def test_ties_are_broken_by_position_like_a_stable_sort():
    import bm25s

    bm25 = bm25s.BM25()
    corpus = [["orbit", "satellit"], ["launch"], ["orbit", "satellit"], ["orbit"], ["orbit", "satellit"]] * 40
    bm25.index(corpus, show_progress=False)
    tokens = ["orbit", "satellit"]
    assert list(bm25_top(bm25, tokens, 7)) == list(_full_ranking(bm25, tokens, 7)) == [0, 2, 4, 5, 7, 9, 10]


def test_scores_of_given_chunks_are_their_full_scores(components):
    bm25 = components.index.bm25
    rng = np.random.default_rng(3)
    for question in [*_questions()[:30], "ballistic missile missile defence defence"]:  # repeated words count
        tokens = tokenize([question])[0]
        positions = rng.choice(len(components.index.chunks), size=12, replace=False).tolist()
        full = bm25.get_scores(tokens)
        assert bm25_scores_of(bm25, tokens, positions) == pytest.approx({p: float(full[p]) for p in positions})


def test_query_without_known_words_matches_nothing(components):
    assert bm25_top(components.index.bm25, tokenize(["zzyzx qwertyuiop"])[0], 30) == {}
    assert bm25_top(components.index.bm25, [], 30) == {}


def test_saved_index_opened_memory_mapped_ranks_the_same(components, tmp_path: Path):
    bm25 = components.index.bm25
    bm25.save(str(tmp_path / "bm25"))
    mapped = load_bm25(tmp_path / "bm25", mmap=True)
    assert isinstance(mapped.scores["data"], np.memmap)
    for question in _questions()[:20]:
        tokens = tokenize([question])[0]
        assert bm25_top(mapped, tokens, 30) == pytest.approx(bm25_top(bm25, tokens, 30))


@pytest.mark.parametrize("depth", [3, 8])
def test_large_corpus_with_many_ties_ranks_as_the_full_sort(depth):
    """Past 2 * depth blocks of 1,024 chunks only the chunks reaching the blocks' floor are selected among."""
    import bm25s

    rng = np.random.default_rng(11)
    words = [f"w{i}" for i in range(40)]
    corpus = [[words[j] for j in rng.integers(40, size=rng.integers(1, 4))] for _ in range(20_000)]
    bm25 = bm25s.BM25()
    bm25.index(corpus, show_progress=False)
    for tokens in (["w1"], ["w2", "w3"], ["w5", "w5", "w6", "w7"], ["w39", "zz"]):
        want = _full_ranking(bm25, tokens, depth)
        assert list(bm25_top(bm25, tokens, depth)) == list(want) and len(want) == depth, tokens
