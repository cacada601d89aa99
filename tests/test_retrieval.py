import pytest

from rag.cleaning import contains_debris
from rag.errors import InvalidQuery
from rag.retrieval import fuse_rankings
from rag.text import normalize_text, tokenize

from .conftest import KNOWN_DEBRIS


def test_reciprocal_rank_fusion():
    fused = fuse_rankings([[7, 8, 9], [9, 7]], k=60)
    assert fused[7] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[9] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[8] == pytest.approx(1 / 62)
    assert sorted(fused, key=fused.get, reverse=True) == [7, 9, 8]
    with pytest.raises(ValueError, match="k must be at least 1"):
        fuse_rankings([[1]], k=0)


def test_normalisation_keeps_length_and_maps_typography():
    text = "NATO’s “Space Center” – 2020\u20132034\u00a0now"
    assert normalize_text(text) == 'NATO\'s "Space Center" - 2020-2034 now'
    assert len(normalize_text(text)) == len(text)
    assert tokenize(["NATO's approach"]) == tokenize(["NATO’s approach"]) == tokenize(["NATO approach"])


def test_search_ranks_the_operations_centre_passage_first(components):
    passages = components.retriever.search("Where is the NATO Space Operations Centre?", k=5)
    assert len(passages) == 5
    assert [p.rank for p in passages] == [1, 2, 3, 4, 5]
    assert [p.fused_score for p in passages] == sorted((p.fused_score for p in passages), reverse=True)
    assert passages[0].doc_id == "002_685e0ef70b0e745a" and "Ramstein" in passages[0].chunk.text
    assert all(-1.0 <= p.dense_score <= 1.0 and p.bm25_score >= 0 for p in passages)


@pytest.mark.parametrize(
    ("straight", "typographic"),
    [
        ("NATO's approach to space", "NATO’s approach to space"),
        ('the "Space Center" at rumstein', "the “Space Center” at rumstein"),
        ("period 2020-2034", "period 2020–2034"),
    ],
)
def test_typographic_quotes_dashes_and_spaces_match(components, straight, typographic):
    a = components.retriever.search(straight, k=5)
    b = components.retriever.search(typographic, k=5)
    assert [p.chunk.chunk_id for p in a] == [p.chunk.chunk_id for p in b]
    assert [p.fused_score for p in a] == pytest.approx([p.fused_score for p in b])
    assert a[0].bm25_score > 0


def test_straight_apostrophe_finds_curly_one_in_text(components):
    query = "NATO's approach to space will remain fully in line with international law"
    top = components.retriever.search(query, k=1)[0]
    assert "NATO’s approach to space will remain fully in line with international law" in top.chunk.text


@pytest.mark.parametrize(
    "query",
    [
        "Huawei P40 Pro evaluation mobile phone photography",
        "Click this link for the original source of this article",
        "content courtesy owned and copyrighted RSS feed",
        "graphic of a global satellite network Getty",
        "< / P > < p >",
    ],
)
def test_debris_is_never_retrieved(components, query):
    for p in components.retriever.search(query, k=10):
        assert not contains_debris(p.chunk.text)
        assert not any(marker in p.chunk.text for marker in KNOWN_DEBRIS)


@pytest.mark.parametrize("k", [0, -1, 51, True, "3"])
def test_k_out_of_range_is_rejected(components, k):
    with pytest.raises(InvalidQuery, match="k must be"):
        components.retriever.search("space", k=k)


@pytest.mark.parametrize("query", ["", "   ", "?!", "x" * 1001, None])
def test_bad_queries_are_rejected(components, query):
    with pytest.raises(InvalidQuery):
        components.retriever.search(query)
