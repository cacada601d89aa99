"""Every route of the HTTP API through FastAPI's TestClient, with the session's real model and index."""

import dataclasses
import json

import openai
import pytest
from fastapi.testclient import TestClient

from api.app import MAX_BODY_BYTES, create_app
from api.routes.documents import PASSAGE_EXAMPLE
from api.routes.verify import VERIFY_EXAMPLE
from api.schemas import ANSWER_EXAMPLE
from api.state import ServiceState
from rag.corpus import corpus_hash, load_corpus
from rag.service import load_components
from rag.settings import Settings

from .conftest import ANSWER_FIELDS, SEEDS, source_text

RAMSTEIN_QUESTION = "Where is the NATO Space Operations Centre?"
RAMSTEIN_DOC = "002_685e0ef70b0e745a"
RAMSTEIN_QUOTE = (
    "In 2020, Defence Ministers decided to establish a NATO Space Operations Centre at Allied Air Command in "
    "Ramstein, Germany."
)
OFF_TOPIC = "What is the best recipe for chocolate cake?"


@pytest.fixture(scope="module")
def client(components):
    with TestClient(create_app(components=components)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def openai_client(client):
    return openai.OpenAI(base_url="http://testserver/v1", api_key="unused", http_client=client, max_retries=0)


def parse_sse(text: str) -> list[tuple[str | None, str]]:
    """(event name, data) for each event of a text/event-stream body."""
    events = []
    for block in text.strip().split("\n\n"):
        name, data = None, []
        for line in block.splitlines():
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        events.append((name, "\n".join(data)))
    return events


def assert_citations_resolve(citations):
    for c in citations:
        assert source_text(SEEDS, c["doc_id"])[c["start"] : c["end"]] == c["quote"]


def assert_error(response, status: int, kind: str, *words: str):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["type"] == kind
    for word in words:
        assert word in error["message"], error["message"]


# --- /ask and /ask/stream ----------------------------------------------------------------------------


def test_ask_returns_the_answer_contract_with_resolvable_citations(client, components):
    response = client.post("/ask", json={"question": RAMSTEIN_QUESTION})
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == ANSWER_FIELDS
    assert answer["abstained"] is False
    top = answer["citations"][0]
    assert top["doc_id"] == RAMSTEIN_DOC and "Ramstein" in top["quote"] and "Space Operations Centre" in top["quote"]
    assert_citations_resolve(answer["citations"])
    # The same JSON as `rag ask --json`, which prints the answerer's Answer.
    assert answer == json.loads(components.answerer.answer(RAMSTEIN_QUESTION).model_dump_json())


def test_ask_abstains_off_topic(client):
    answer = client.post("/ask", json={"question": OFF_TOPIC}).json()
    assert answer["abstained"] is True and answer["citations"] == []
    assert answer["abstention_reason"] == "off_topic"


def test_ask_honours_top_k(client):
    assert client.post("/ask", json={"question": RAMSTEIN_QUESTION, "top_k": 1}).status_code == 200


def test_a_follow_up_question_is_understood_through_the_history(client):
    first = client.post("/ask", json={"question": RAMSTEIN_QUESTION}).json()
    history = [{"role": "user", "content": RAMSTEIN_QUESTION}, {"role": "assistant", "content": first["answer"]}]
    follow_up = client.post("/ask", json={"question": "When was it established?", "history": history}).json()
    assert follow_up["question"] == "When was it established?" and not follow_up["abstained"]
    top = follow_up["citations"][0]
    assert "NATO Space Operations Centre" in top["quote"] and "established in 2024" in top["quote"]
    assert_citations_resolve(follow_up["citations"])


def test_history_carries_the_subject_of_a_vague_follow_up(client):
    question = "What does it aim to do?"
    alone = client.post("/ask", json={"question": question}).json()
    history = [{"role": "user", "content": "What is STARLIFT?"}]
    with_history = client.post("/ask", json={"question": question, "history": history}).json()
    assert "STARLIFT" in with_history["citations"][0]["quote"]
    assert all("STARLIFT" not in c["quote"] for c in alone["citations"])


def test_ask_stream_sends_citations_then_the_answer(client):
    expected = client.post("/ask", json={"question": RAMSTEIN_QUESTION}).json()
    response = client.post("/ask/stream", json={"question": RAMSTEIN_QUESTION})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    names = [name for name, _ in events]
    assert names == ["citation"] * len(expected["citations"]) + ["answer"]
    assert [json.loads(data) for _, data in events[:-1]] == expected["citations"]
    assert json.loads(events[-1][1]) == expected


def test_ask_stream_of_an_abstention_is_just_the_answer(client):
    events = parse_sse(client.post("/ask/stream", json={"question": OFF_TOPIC}).text)
    assert [name for name, _ in events] == ["answer"]
    assert json.loads(events[0][1])["abstained"] is True


def test_ask_stream_refuses_bad_input_before_streaming(client):
    assert_error(client.post("/ask/stream", json={"question": " "}), 422, "invalid_request", "question", "empty")


def test_a_failure_after_the_stream_started_is_an_error_event(components):
    class FailingAnswerer:
        def answer(self, *args, **kwargs):
            raise RuntimeError("boom")

    broken = dataclasses.replace(components, answerer=FailingAnswerer())
    with TestClient(create_app(components=broken)) as broken_client:
        response = broken_client.post("/ask/stream", json={"question": RAMSTEIN_QUESTION})
    assert response.status_code == 200
    [(name, data)] = parse_sse(response.text)
    assert name == "error" and json.loads(data)["error"]["type"] == "internal_error"


# --- /search -------------------------------------------------------------------------------------------


def test_search_returns_ranked_passages_with_scores(client, components):
    response = client.get("/search", params={"q": "APSS memorandum of understanding", "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "APSS memorandum of understanding" and body["k"] == 3
    passages = body["passages"]
    assert [p["rank"] for p in passages] == [1, 2, 3]
    for p in passages:
        assert {"doc_id", "start", "end", "text", "dense_score", "bm25_score", "fused_score"} <= set(p)
        assert p["title"] == components.index.documents[p["doc_id"]].title
        assert p["text"].split()[0] in source_text(SEEDS, p["doc_id"])[p["start"] : p["end"]]
    fused = [p["fused_score"] for p in passages]
    assert fused == sorted(fused, reverse=True)


def test_search_defaults_to_the_configured_k(client, components):
    passages = client.get("/search", params={"q": "Ramstein"}).json()["passages"]
    assert len(passages) == components.settings.default_k


# --- /documents ----------------------------------------------------------------------------------------


def test_documents_lists_every_document_with_length_and_chunk_count(client, components):
    documents = client.get("/documents").json()["documents"]
    assert [d["doc_id"] for d in documents] == sorted(p.stem for p in SEEDS.glob("*.txt"))
    for d in documents:
        assert d["length"] == len(source_text(SEEDS, d["doc_id"]))
        assert d["chunks"] == components.index.chunk_count(d["doc_id"]) > 0
        assert d["title"]
    assert sum(d["chunks"] for d in documents) == len(components.index.chunks)


def test_a_document_comes_with_its_original_text(client):
    document = client.get(f"/documents/{RAMSTEIN_DOC}").json()
    assert document["text"] == source_text(SEEDS, RAMSTEIN_DOC)
    assert document["title"] == "NATO’s approach to space" and document["length"] == len(document["text"])


def test_passage_lookup_gives_the_exact_span_and_its_context(client):
    response = client.get(f"/documents/{RAMSTEIN_DOC}/passage", params={"start": 1391, "end": 1513, "context": 40})
    assert response.status_code == 200
    span = response.json()
    text = source_text(SEEDS, RAMSTEIN_DOC)
    assert span["text"] == RAMSTEIN_QUOTE == text[1391:1513]
    assert span["before"] == text[1351:1391] and span["after"] == text[1513:1553]
    assert (span["context_start"], span["context_end"]) == (1351, 1553)


def test_every_citation_of_an_answer_resolves_through_the_passage_route(client):
    answer = client.post("/ask", json={"question": "How many Allies signed the APSS memorandum?"}).json()
    for c in answer["citations"]:
        params = {"start": c["start"], "end": c["end"], "context": 0}
        assert client.get(f"/documents/{c['doc_id']}/passage", params=params).json()["text"] == c["quote"]


# --- /verify -------------------------------------------------------------------------------------------


def test_verify_finds_an_exact_quote_despite_typography(client):
    result = client.post(
        "/verify", json={"quote": "NATO's Space Operations Centre located at Allied Air Command"}
    ).json()
    assert result["verdict"] == "exact" and result["closest"] is None
    [match] = result["matches"]
    assert match["doc_id"] == RAMSTEIN_DOC
    assert source_text(SEEDS, RAMSTEIN_DOC)[match["start"] : match["end"]] == match["text"]
    assert "NATO’s" in match["text"]


def test_verify_reports_the_closest_passage_for_a_misquote(client):
    misquote = "In 2021, Defence Ministers decided to build a NATO Space Operations Centre in Ramstein, Germany."
    result = client.post("/verify", json={"quote": misquote}).json()
    assert result["verdict"] in ("close", "not_found") and result["matches"] == []
    closest = result["closest"]
    assert closest["doc_id"] == RAMSTEIN_DOC and 0 < closest["score"] < 100
    assert source_text(SEEDS, closest["doc_id"])[closest["start"] : closest["end"]] == closest["text"]
    assert "Ramstein" in closest["text"]


def test_verify_can_be_limited_to_one_document(client):
    result = client.post("/verify", json={"quote": RAMSTEIN_QUOTE, "doc_id": "000_0e2e3f937b961bac"}).json()
    assert result["verdict"] != "exact" and result["closest"]["doc_id"] == "000_0e2e3f937b961bac"


# --- /v1/chat/completions with the official OpenAI client -------------------------------------------


def test_openai_client_gets_the_answer_with_sources_and_citations(openai_client, client):
    completion = openai_client.chat.completions.create(
        model="nato-space-rag", messages=[{"role": "user", "content": RAMSTEIN_QUESTION}]
    )
    expected = client.post("/ask", json={"question": RAMSTEIN_QUESTION}).json()
    content = completion.choices[0].message.content
    assert completion.object == "chat.completion" and completion.choices[0].finish_reason == "stop"
    assert content.startswith(expected["answer"])
    top = expected["citations"][0]
    assert (
        f"\n\nSources:\n[1] NATO’s approach to space (002_685e0ef70b0e745a, characters {top['start']}-{top['end']})"
        in content
    )
    assert completion.citations == expected["citations"]
    assert completion.abstained is False
    assert_citations_resolve(completion.citations)


def test_openai_client_streams_the_same_content(openai_client):
    messages = [{"role": "user", "content": RAMSTEIN_QUESTION}]
    whole = openai_client.chat.completions.create(model="nato-space-rag", messages=messages)
    chunks = list(openai_client.chat.completions.create(model="nato-space-rag", messages=messages, stream=True))
    assert all(c.object == "chat.completion.chunk" for c in chunks) and len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].citations == whole.citations
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])


def test_openai_stream_ends_with_done(client):
    body = {"messages": [{"role": "user", "content": OFF_TOPIC}], "stream": True}
    events = parse_sse(client.post("/v1/chat/completions", json=body).text)
    assert events[-1] == (None, "[DONE]")
    final = json.loads(events[-2][1])
    assert final["abstained"] is True and final["citations"] == []
    assert final["abstention_reason"] == "off_topic"


def test_openai_chat_history_makes_follow_ups_work(openai_client):
    completion = openai_client.chat.completions.create(
        model="anything",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is STARLIFT?"},
            {"role": "assistant", "content": "STARLIFT is a NATO launch initiative."},
            {"role": "user", "content": [{"type": "text", "text": "What does it aim to do?"}]},
        ],
    )
    assert completion.model == "documents-qa"
    assert "STARLIFT" in completion.citations[0]["quote"]


def test_openai_client_sees_errors_as_api_errors(openai_client):
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        openai_client.chat.completions.create(model="x", messages=[{"role": "user", "content": "   "}])
    assert "empty" in caught.value.message


def test_openai_models_lists_the_service(openai_client):
    assert [m.id for m in openai_client.models.list()] == ["documents-qa"]


# --- health, readiness, version ------------------------------------------------------------------------


def test_health_ready_and_version(client, components):
    assert client.get("/healthz").json() == {"status": "alive"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["documents"] == 5 and ready["chunks"] == len(components.index.chunks)
    version = client.get("/version").json()
    assert version["corpus_hash"] == corpus_hash(load_corpus(SEEDS)) == components.index.manifest["corpus_hash"]
    assert version["model_name"] == "sentence-transformers/all-MiniLM-L6-v2" and version["model_dimension"] == 384
    assert version["index_built_at"] == components.index.manifest["built_at"]


def test_until_loaded_only_health_answers(settings):
    app = create_app(settings)  # no lifespan runs without `with`: nothing loads
    bare = TestClient(app)
    assert bare.get("/healthz").status_code == 200
    assert_error(bare.get("/readyz"), 503, "not_ready", "loading")
    assert bare.get("/readyz").headers["retry-after"]
    for response in (
        bare.post("/ask", json={"question": RAMSTEIN_QUESTION}),
        bare.post("/ask/stream", json={"question": RAMSTEIN_QUESTION}),
        bare.get("/search", params={"q": "Ramstein"}),
        bare.get("/documents"),
        bare.get("/version"),
        bare.post("/verify", json={"quote": "Ramstein"}),
        bare.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "Ramstein?"}]}),
    ):
        assert_error(response, 503, "not_ready")


def test_the_lifespan_loads_the_index_in_the_background(settings):
    app = create_app(settings)
    with TestClient(app) as lazy:
        app.state.service.loading.result(timeout=120)
        assert lazy.get("/readyz").status_code == 200
        assert lazy.post("/ask", json={"question": RAMSTEIN_QUESTION}).json()["citations"]


def test_a_failed_load_is_reported_by_readyz(tmp_path):
    empty = tmp_path / "seeds"
    empty.mkdir()
    state = ServiceState(Settings(seeds_dir=empty, index_dir=tmp_path / "index"))
    state.load()
    app = create_app(state.settings)
    app.state.service = state
    assert_error(TestClient(app).get("/readyz"), 503, "not_ready", "loading the index failed", "no .txt or .md")


# --- documentation -------------------------------------------------------------------------------------


def test_docs_are_served_and_every_route_documents_a_response_and_an_example(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    operations = [(path, op) for path, item in spec["paths"].items() for op in item.values()]
    assert len(operations) == 17
    for path, op in operations:
        success = min(code for code in op["responses"] if code.startswith("2"))
        if success == "204":  # DELETE /documents/{doc_id}: no content
            continue
        ok = op["responses"][success]["content"]
        has_example = any("example" in media for media in ok.values()) or any(
            "examples" in schemas.get(media.get("schema", {}).get("$ref", "/").split("/")[-1], {})
            for media in ok.values()
        )
        assert has_example, path
        assert any(media.get("schema") or media.get("itemSchema") for media in ok.values()), path


def test_the_documented_examples_are_real(client):
    answer = client.post("/ask", json={"question": ANSWER_EXAMPLE["question"]}).json()
    assert ANSWER_EXAMPLE["citations"][0] in answer["citations"]
    params = {"start": PASSAGE_EXAMPLE["start"], "end": PASSAGE_EXAMPLE["end"], "context": 50}
    assert client.get(f"/documents/{RAMSTEIN_DOC}/passage", params=params).json() == PASSAGE_EXAMPLE
    assert client.post("/verify", json={"quote": VERIFY_EXAMPLE["quote"]}).json() == VERIFY_EXAMPLE


def test_limits_from_the_settings_appear_in_the_schema(tmp_path):
    custom = Settings(seeds_dir=SEEDS, index_dir=tmp_path, max_question_chars=200, max_k=7, max_history_turns=3)
    spec = create_app(custom).openapi()
    ask = spec["components"]["schemas"]["AskRequest"]["properties"]
    assert ask["question"]["maxLength"] == 200
    assert ask["history"]["maxItems"] == 3
    assert ask["top_k"]["anyOf"][0]["maximum"] == 7
    k = next(p for p in spec["paths"]["/search"]["get"]["parameters"] if p["name"] == "k")
    assert k["schema"]["maximum"] == 7
    messages = spec["components"]["schemas"]["ChatCompletionRequest"]["properties"]["messages"]
    assert messages["maxItems"] == 4


# --- bad input: a clear 4xx naming the problem, never a 500 -----------------------------------------

ASK = "/ask"
PASSAGE = f"/documents/{RAMSTEIN_DOC}/passage"
CHAT = "/v1/chat/completions"
INVALID, NOT_FOUND = "invalid_request", "not_found"


def post(path: str, body: object) -> tuple:
    return "post", path, {"json": body}


def get(path: str, **params: object) -> tuple:
    return "get", path, {"params": params}


def raw(body: bytes, content_type: str | None = "application/json") -> tuple:
    return "post", ASK, {"content": body, "headers": {"content-type": content_type} if content_type else {}}


def bad(name: str, request: tuple, status: int, kind: str, *words: str):
    """A bad request, the status and error type it must get, and words its message must contain."""
    return pytest.param(*request, status, kind, words, id=name)


def ask(**fields: object) -> tuple:
    return post(ASK, {"question": "Where?", **fields})


def chat(*messages: dict) -> tuple:
    return post(CHAT, {"messages": list(messages)})


USER = {"role": "user", "content": "Where?"}

BAD_REQUESTS = [
    bad("empty question", ask(question=""), 422, INVALID, "question"),
    bad("blank question", ask(question=" \n\t "), 422, INVALID, "question", "empty"),
    bad("punctuation only", ask(question="?!"), 422, INVALID, "letters or digits"),
    bad("question too long", ask(question="x" * 1001), 422, INVALID, "1000"),
    bad("no question", post(ASK, {}), 422, INVALID, "body.question", "required"),
    bad("question not a string", ask(question=42), 422, INVALID, "question", "string"),
    bad("top_k zero", ask(top_k=0), 422, INVALID, "top_k"),
    bad("top_k too big", ask(top_k=51), 422, INVALID, "top_k"),
    bad("top_k a string", ask(top_k="5"), 422, INVALID, "top_k"),
    bad("top_k a bool", ask(top_k=True), 422, INVALID, "top_k"),
    bad("unknown role", ask(history=[{"role": "system", "content": "x"}]), 422, INVALID, "history.0.role"),
    bad("history too long", ask(history=[USER] * 51), 422, INVALID, "history", "50"),
    bad("history not a list", ask(history="hi"), 422, INVALID, "history"),
    bad("unknown field", ask(topk=3), 422, INVALID, "topk"),
    bad("body not an object", post(ASK, ["Where?"]), 422, INVALID, "body"),
    bad("malformed JSON", raw(b'{"question": "Where?"'), 400, "malformed_json", "not valid JSON"),
    bad("not UTF-8", raw(b'{"question": "\xff"}'), 400, "malformed_json", "UTF-8"),
    bad("not declared JSON", raw(b'{"question": "Where?"}', None), 422, INVALID, "Content-Type"),
    bad("stream: blank question", post("/ask/stream", {"question": " "}), 422, INVALID, "empty"),
    bad("search: no q", get("/search"), 422, INVALID, "query.q", "required"),
    bad("search: empty q", get("/search", q=""), 422, INVALID, "query.q"),
    bad("search: blank q", get("/search", q="   "), 422, INVALID, "empty"),
    bad("search: q too long", get("/search", q="x" * 1001), 422, INVALID, "query.q", "1000"),
    bad("search: k zero", get("/search", q="APSS", k=0), 422, INVALID, "query.k"),
    bad("search: k too big", get("/search", q="APSS", k=51), 422, INVALID, "query.k", "50"),
    bad("search: k not a number", get("/search", q="APSS", k="x"), 422, INVALID, "query.k"),
    bad("unknown document", get("/documents/no-such-doc"), 404, NOT_FOUND, "no-such-doc"),
    bad("path-like id", get("/documents/..%2F..%2Fetc%2Fpasswd"), 404, NOT_FOUND),
    bad("dotted id", get("/documents/%2E%2E"), 404, NOT_FOUND),  # httpx turns "/documents/.." into "/"
    bad("encoded dots", get("/documents/%2E%2E%2Fseeds"), 404, NOT_FOUND),
    bad("passage of unknown document", get("/documents/nope/passage", start=0, end=5), 404, NOT_FOUND, "nope"),
    bad("passage reversed", get(PASSAGE, start=50, end=10), 422, INVALID, "start (50)", "end (10)"),
    bad("passage empty", get(PASSAGE, start=10, end=10), 422, INVALID, "smaller than end"),
    bad("passage negative", get(PASSAGE, start=-5, end=10), 422, INVALID, "query.start"),
    bad("passage past the end", get(PASSAGE, start=0, end=99999), 422, INVALID, "past the end", "17201"),
    bad("passage without end", get(PASSAGE, start=0), 422, INVALID, "query.end", "required"),
    bad("passage context too big", get(PASSAGE, start=0, end=5, context=10**6), 422, INVALID, "query.context"),
    bad("passage start not a number", get(PASSAGE, start="a", end=5), 422, INVALID, "query.start"),
    bad("verify: empty quote", post("/verify", {"quote": ""}), 422, INVALID, "quote"),
    bad("verify: blank quote", post("/verify", {"quote": "  "}), 422, INVALID, "quote is empty"),
    bad("verify: quote too long", post("/verify", {"quote": "x" * 5001}), 422, INVALID, "quote", "5000"),
    bad("verify: quote not a string", post("/verify", {"quote": ["x"]}), 422, INVALID, "quote"),
    bad("verify: path-like doc_id", post("/verify", {"quote": "x", "doc_id": "../x"}), 404, NOT_FOUND, "../x"),
    bad("chat: no messages", chat(), 422, INVALID, "messages"),
    bad(
        "chat: last message not the user's",
        chat(USER, {"role": "assistant", "content": "Ramstein."}),
        422,
        INVALID,
        "last message",
    ),
    bad("chat: unknown role", chat({"role": "tool", "content": "x"}), 422, INVALID, "role"),
    bad("chat: too many messages", chat(*[USER] * 52), 422, INVALID, "messages", "51"),
    bad("chat: blank question", chat({"role": "user", "content": " "}), 422, INVALID, "empty"),
    bad("chat: question too long", chat({"role": "user", "content": "x" * 1001}), 422, INVALID, "1000"),
    bad("chat: image content", chat({"role": "user", "content": [{"type": "image_url"}]}), 422, INVALID, "content"),
    bad("unknown route", get("/nowhere"), 404, NOT_FOUND, "/nowhere"),
    bad("wrong method", ("get", ASK, {}), 405, "method_not_allowed"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "kind", "words"), BAD_REQUESTS)
def test_bad_input_gets_a_clear_json_error(client, method, path, kwargs, status, kind, words):
    assert_error(getattr(client, method)(path, **kwargs), status, kind, *words)


def test_validation_errors_list_every_field(client):
    response = client.post("/ask", json={"question": "", "top_k": 0, "history": "x"})
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {"body.question", "body.top_k", "body.history"}


def test_an_oversized_body_is_refused_with_413(client):
    body = b'{"question": "' + b"x" * MAX_BODY_BYTES + b'"}'
    assert_error(
        client.post("/ask", content=body, headers={"content-type": "application/json"}), 413, "payload_too_large"
    )
    chunked = iter([b'{"question": "', b"x" * MAX_BODY_BYTES, b'"}'])
    assert_error(
        client.post("/ask", content=chunked, headers={"content-type": "application/json"}), 413, "payload_too_large"
    )


# --- citations stay resolvable across rebuilds ---------------------------------------------------------


@pytest.mark.slow
def test_citations_resolve_to_the_same_text_after_a_forced_rebuild(client, settings, tmp_path):
    questions = [RAMSTEIN_QUESTION, "How many Allies signed the APSS memorandum?", "What is Aquila?"]
    before = [client.post("/ask", json={"question": q}).json() for q in questions]
    rebuilt_settings = Settings(seeds_dir=settings.seeds_dir, index_dir=tmp_path / "index")
    rebuilt = load_components(rebuilt_settings, force_rebuild=True)
    assert rebuilt.index.manifest["build_id"] != client.get("/version").json()["index_build_id"]
    with TestClient(create_app(components=rebuilt)) as after_client:
        assert after_client.get("/version").json()["corpus_hash"] == client.get("/version").json()["corpus_hash"]
        for answer in before:
            for c in answer["citations"]:
                params = {"start": c["start"], "end": c["end"], "context": 30}
                old = client.get(f"/documents/{c['doc_id']}/passage", params=params).json()
                new = after_client.get(f"/documents/{c['doc_id']}/passage", params=params).json()
                assert new == old and new["text"] == c["quote"]
        after = [after_client.post("/ask", json={"question": q}).json() for q in questions]
    assert after == before
