import asyncio

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnableParallel, RunnablePassthrough
from pydantic import ValidationError

from rag.errors import InvalidQuery
from rag.langchain_retriever import CorpusRetriever

from .conftest import SEEDS, source_text

QUESTION = "Where is the NATO Space Operations Centre?"


@pytest.fixture(scope="module")
def retriever(components) -> CorpusRetriever:
    return CorpusRetriever.from_components(components, k=4)


def assert_original_slices(documents: list[Document]) -> None:
    for d in documents:
        m = d.metadata
        assert d.page_content == source_text(SEEDS, m["doc_id"])[m["start"] : m["end"]]


def test_is_a_langchain_retriever_returning_original_slices_with_offsets(retriever, components):
    assert isinstance(retriever, BaseRetriever)
    documents = retriever.invoke(QUESTION)
    assert len(documents) == 4
    assert_original_slices(documents)
    top = documents[0].metadata
    assert top["doc_id"] == "002_685e0ef70b0e745a" and "Ramstein" in documents[0].page_content
    assert top["title"] == components.index.documents[top["doc_id"]].title
    assert [d.metadata["rank"] for d in documents] == [1, 2, 3, 4]
    fused = [d.metadata["fused_score"] for d in documents]
    assert fused == sorted(fused, reverse=True)
    assert {"dense_score", "bm25_score", "fused_score"} <= documents[0].metadata.keys()


def test_matches_the_project_retriever(retriever, components):
    passages = components.retriever.search(QUESTION, k=4)
    documents = retriever.invoke(QUESTION)
    assert [(d.metadata["doc_id"], d.metadata["start"], d.metadata["end"]) for d in documents] == [
        (p.doc_id, p.chunk.start, p.chunk.end) for p in passages
    ]


def test_k_is_respected_and_defaults_to_settings(components, retriever):
    assert len(CorpusRetriever.from_components(components, k=2).invoke(QUESTION)) == 2
    assert CorpusRetriever.from_components(components).k == components.settings.default_k
    assert len(retriever.invoke(QUESTION, k=1)) == 1  # per-call override


def test_bad_k_is_refused(components):
    with pytest.raises(ValidationError):
        CorpusRetriever.from_components(components, k=0)
    with pytest.raises(ValidationError, match="max_k"):
        CorpusRetriever.from_components(components, k=components.settings.max_k + 1)


def test_works_inside_an_lcel_chain(retriever):
    def cite(documents: list[Document]) -> list[str]:
        return [f"{d.metadata['doc_id']}[{d.metadata['start']}:{d.metadata['end']}]" for d in documents]

    chain = {"context": retriever | RunnableLambda(cite), "question": RunnablePassthrough()}

    result = RunnableParallel(chain).invoke(QUESTION)
    assert result["question"] == QUESTION
    assert len(result["context"]) == 4 and result["context"][0].startswith("002_685e0ef70b0e745a[")


def test_batch_and_ainvoke(retriever):
    questions = [QUESTION, "When did NATO adopt its overarching space policy?"]
    batched = retriever.batch(questions)
    assert [len(b) for b in batched] == [4, 4]
    assert batched[0] == retriever.invoke(QUESTION)
    for documents in batched:
        assert_original_slices(documents)
    assert asyncio.run(retriever.ainvoke(QUESTION)) == batched[0]


@pytest.mark.parametrize("query", ["", "   ", "?!"])
def test_unusable_query_raises_invalid_query(retriever, query):
    with pytest.raises(InvalidQuery):
        retriever.invoke(query)
