"""The MCP tools through the SDK's own client: over stdio (`rag mcp`) and streamable HTTP (`/mcp` of `rag serve`)."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from .conftest import SEEDS, source_text
from .server import RAG, rag_serve

QUESTION = "Where is the NATO Space Operations Centre?"
FOLLOW_UP = {"question": "When was it established?", "history": [{"role": "user", "content": QUESTION}]}
DOC = "002_685e0ef70b0e745a"
BAD_CALLS = [
    ("ask", {"question": "   "}, "empty"),
    ("ask", {"question": "?!"}, "letters or digits"),
    ("ask", {"question": "x" * 1001}, "at most 1000"),
    ("ask", {"question": 42}, "valid string"),
    ("ask", {}, "question"),
    ("ask", {"question": "And then?", "history": [{"role": "wizard", "content": "hi"}]}, "'user' or 'assistant'"),
    ("ask", {"question": "What is APSS?", "top_k": 0}, "greater than or equal to 1"),
    ("search", {"query": "APSS", "k": 51}, "less than or equal to 50"),
    ("get_passage", {"doc_id": "../../etc/passwd", "start": 0, "end": 10}, "no document"),
    ("get_passage", {"doc_id": DOC, "start": 20, "end": 10}, "smaller than end"),
    ("get_passage", {"doc_id": DOC, "start": 0, "end": 10**9}, "past the end"),
    ("verify_quote", {"quote": ""}, "at least 1"),
    ("verify_quote", {"quote": "NATO", "doc_id": "nope"}, "no document"),
    ("no_such_tool", {}, "Unknown tool"),
]


async def _exercise(target, components) -> None:
    """Every tool once, every bad call, then a good call again: the server must survive them all."""
    async with Client(target, read_timeout_seconds=60) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"ask", "search", "get_passage", "verify_quote"}
        ask_schema = tools["ask"].input_schema
        assert ask_schema["required"] == ["question"]
        assert ask_schema["properties"]["question"]["maxLength"] == components.settings.max_question_chars
        assert tools["ask"].output_schema["properties"]["citations"]
        assert tools["search"].input_schema["properties"]["k"]["maximum"] == components.settings.max_k

        result = await client.call_tool("ask", {"question": QUESTION})
        assert not result.is_error
        expected = components.answerer.answer(QUESTION).model_dump(mode="json")
        assert result.structured_content == expected
        for c in result.structured_content["citations"]:
            assert source_text(SEEDS, c["doc_id"])[c["start"] : c["end"]] == c["quote"]

        follow_up = await client.call_tool("ask", FOLLOW_UP)
        assert "2024" in follow_up.structured_content["answer"]

        hits = (await client.call_tool("search", {"query": "APSS memorandum", "k": 3})).structured_content
        assert [h["rank"] for h in hits["passages"]] == [1, 2, 3]
        first = hits["passages"][0]
        passage = await client.call_tool(
            "get_passage", {"doc_id": first["doc_id"], "start": first["start"], "end": first["end"], "context": 20}
        )
        assert passage.structured_content["text"] == source_text(SEEDS, first["doc_id"])[first["start"] : first["end"]]
        verdict = await client.call_tool("verify_quote", {"quote": "NATO's Space Operations Centre", "doc_id": DOC})
        assert verdict.structured_content["verdict"] == "exact"

        for name, arguments, message in BAD_CALLS:
            bad = await client.call_tool(name, arguments)
            assert bad.is_error, (name, arguments)
            assert message in bad.content[0].text, (name, arguments, bad.content[0].text)
        assert not (await client.call_tool("ask", {"question": QUESTION})).is_error


@pytest.mark.slow
def test_mcp_tools_over_stdio(components):
    command = ["--seeds-dir", str(components.settings.seeds_dir), "--index-dir", str(components.settings.index_dir)]
    anyio.run(_exercise, StdioServerParameters(command=RAG, args=[*command, "mcp"]), components)


@pytest.fixture(scope="module")
def served(components, tmp_path_factory) -> Iterator[str]:
    with rag_serve(components.settings, tmp_path_factory.mktemp("mcp") / "server.log") as base:
        yield base


@pytest.mark.slow
def test_mcp_tools_over_streamable_http(components, served):
    anyio.run(_exercise, f"{served}/mcp", components)
    with httpx.Client(base_url=served) as http:  # /mcp took no other path from the API
        assert http.get("/mcp/else").json()["error"]["type"] == "not_found"


@pytest.mark.slow
def test_concurrent_http_answers_equal_in_process_answers(components, served):
    """The server batches concurrent requests' query embeddings: the answers must not change."""
    questions = [QUESTION, "How many Allies signed the APSS memorandum?", "What is Aquila?", "What is SPACENET?"] * 4

    async def ask_all() -> list[dict]:
        async with httpx.AsyncClient(base_url=served, timeout=60) as http:
            responses = [http.post("/ask", json={"question": q}) for q in questions]
            return [r.json() for r in await _gather(responses)]

    for question, answer in zip(questions, anyio.run(ask_all), strict=True):
        expected = components.answerer.answer(question).model_dump(mode="json")
        assert {k: v for k, v in answer.items() if k != "confidence"} == {
            k: v for k, v in expected.items() if k != "confidence"
        }


async def _gather(awaitables):
    import asyncio

    return await asyncio.gather(*awaitables)
