"""Adding, replacing and removing documents through the API: auth, formats, bad input, atomic views."""

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.corpus import corpus_hash, load_corpus
from rag.service import load_components
from rag.settings import Settings
from tests.documents import backup_store, make_docx, make_encrypted_pdf, make_html, make_image_only_pdf, make_pdf

from .conftest import SEEDS

pytestmark = pytest.mark.slow

KEY = "k-correct-horse"
AUTH = {"Authorization": f"Bearer {KEY}"}
SEED_HASH = corpus_hash(load_corpus(SEEDS))
MAX_UPLOAD = 200_000
QUOKKA = (
    "Rottnest quokka survey\n\n"
    "The quokka survey of 2024 counted 412 quokkas on Rottnest Island. "
    "It was led by the Rottnest Island Authority with forty volunteers.\n"
)
QUOKKA_QUESTION = "How many quokkas did the survey on Rottnest Island count?"


def copy_store(components, index: Path) -> None:
    """The session's store, copied: the seeds are already embedded there."""
    backup_store(components.settings.index_dir, index)


@pytest.fixture(scope="module")
def client(components, tmp_path_factory):
    index = tmp_path_factory.mktemp("ingest") / "index"
    copy_store(components, index)
    settings = Settings(
        seeds_dir=SEEDS,
        index_dir=index,
        api_keys=f"other-key,{KEY}",
        max_upload_bytes=MAX_UPLOAD,
        max_document_chars=50_000,
    )
    with TestClient(create_app(components=load_components(settings))) as test_client:
        yield test_client


def corpus(client) -> tuple[str, list[str]]:
    docs = sorted(d["doc_id"] for d in client.get("/documents").json()["documents"])
    return client.get("/version").json()["corpus_hash"], docs


def check_citations(client, answer: dict) -> None:
    for c in answer["citations"]:
        text = client.get(f"/documents/{c['doc_id']}").json()["text"]
        assert text[c["start"] : c["end"]] == c["quote"]


# --- auth ----------------------------------------------------------------------------------------------


def test_writes_need_a_valid_key(client):
    before = corpus(client)
    missing = client.post("/documents", json={"text": QUOKKA})
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"]["type"] == "unauthorized"
    wrong = client.post("/documents", json={"text": QUOKKA}, headers={"Authorization": "Bearer k-correct-hors"})
    assert wrong.status_code == 403 and wrong.json()["error"]["message"] == "the API key is not valid"
    assert client.post("/documents", json={"text": QUOKKA}, headers={"Authorization": KEY}).status_code == 401
    assert client.delete("/documents/002_685e0ef70b0e745a").status_code == 401
    assert client.put("/documents/x", json={"text": QUOKKA}, headers={"Authorization": "Basic abc"}).status_code == 401
    assert corpus(client) == before
    assert client.get("/documents").status_code == 200, "reads stay open"


def test_without_configured_keys_the_service_is_read_only(components):
    app = create_app(components=components)  # the session's settings: no RAG_API_KEYS
    with TestClient(app) as c:
        refused = c.post("/documents", json={"text": QUOKKA}, headers=AUTH)
        assert refused.status_code == 403 and "RAG_API_KEYS" in refused.json()["error"]["message"]
        assert c.delete("/documents/002_685e0ef70b0e745a", headers=AUTH).status_code == 403


# --- add, ask, remove ----------------------------------------------------------------------------------


def test_add_ask_remove_round_trip(client):
    seeds_hash, seed_ids = corpus(client)
    added = client.post("/documents", json={"text": QUOKKA, "title": "Quokka survey"}, headers=AUTH)
    assert added.status_code == 201, added.text
    meta = added.json()
    assert meta["status"] == "created" and meta["origin"] == "upload" and meta["chunks"] >= 1
    assert meta["title"] == "Quokka survey" and added.headers["location"] == f"/documents/{meta['doc_id']}"
    assert meta["corpus_hash"] == client.get("/version").json()["corpus_hash"] != seeds_hash
    again = client.post("/documents", json={"text": QUOKKA, "title": "Quokka survey"}, headers=AUTH)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    assert again.json()["doc_id"] == meta["doc_id"]
    assert corpus(client)[0] == meta["corpus_hash"]

    answer = client.post("/ask", json={"question": QUOKKA_QUESTION}).json()
    assert not answer["abstained"] and answer["citations"][0]["doc_id"] == meta["doc_id"]
    assert "412" in answer["citations"][0]["quote"]
    check_citations(client, answer)

    assert client.delete(f"/documents/{meta['doc_id']}", headers=AUTH).status_code == 204
    assert corpus(client) == (seeds_hash, seed_ids)
    assert client.post("/ask", json={"question": QUOKKA_QUESTION}).json()["abstained"]
    assert client.get(f"/documents/{meta['doc_id']}").status_code == 404


PENGUIN = (
    "Emperor penguin count on Ross Island\n\n"
    "The Ross Island Penguin Watch (RIPW) counted 9,300 emperor penguins in the winter of 2023. "
    "Its volunteers camp on the sea ice for six weeks.\n\n"
    "Author: Marta Lindqvist\n"
)


def test_a_posted_documents_byline_and_definitions_answer(client):
    added = client.post("/documents", json={"text": PENGUIN, "title": "Penguin count"}, headers=AUTH)
    assert added.status_code == 201, added.text
    doc_id = added.json()["doc_id"]
    try:
        author = client.post("/ask", json={"question": "Who wrote the article about the emperor penguin count?"})
        answer = author.json()
        assert not answer["abstained"] and answer["answer"].startswith("Marta Lindqvist [1]")
        assert answer["citations"][0]["doc_id"] == doc_id and answer["confidence"] == 1.0
        check_citations(client, answer)
        expansion = client.post("/ask", json={"question": "what does ripw stand for"}).json()
        assert expansion["answer"].startswith("Ross Island Penguin Watch [1]") and expansion["read_as"]
        check_citations(client, expansion)
    finally:
        assert client.delete(f"/documents/{doc_id}", headers=AUTH).status_code == 204
    assert client.post("/ask", json={"question": "What does RIPW stand for?"}).json()["abstained"]


def test_pdf_upload_keeps_pages_and_the_original(client):
    pdf = make_pdf()
    added = client.post("/documents", files={"file": ("walrus-survey.pdf", pdf, "application/pdf")}, headers=AUTH)
    assert added.status_code == 201, added.text
    doc_id = added.json()["doc_id"]
    assert doc_id.startswith("walrus-survey_") and added.json()["media_type"] == "application/pdf"
    detail = client.get(f"/documents/{doc_id}").json()
    assert [p["page"] for p in detail["pages"]] == [1, 2, 3]
    answer = client.post("/ask", json={"question": "How many walruses did the 2021 survey count?"}).json()
    citation = answer["citations"][0]
    assert citation["doc_id"] == doc_id and "412" in citation["quote"]
    check_citations(client, answer)
    page = next(p for p in detail["pages"] if p["start"] <= citation["start"] < p["end"])
    assert page["page"] == 2 and citation["end"] <= page["end"]
    original = client.get(f"/documents/{doc_id}/original")
    assert original.content == pdf and original.headers["content-type"] == "application/pdf"
    assert "walrus-survey.pdf" in original.headers["content-disposition"]
    assert client.delete(f"/documents/{doc_id}", headers=AUTH).status_code == 204


def test_docx_and_html_uploads(client):
    docx = make_docx(["The beluga count of 2022 found 57 belugas in the Saint Lawrence estuary."], "Beluga count")
    html = make_html(["The narwhal census of 2023 counted 1,200 narwhals in Tremblay Sound."], "Narwhal census")
    ids = []
    for name, data in (("beluga.docx", docx), ("narwhal.html", html)):
        response = client.post("/documents", files={"file": (name, data)}, headers=AUTH)
        assert response.status_code == 201, response.text
        ids.append(response.json()["doc_id"])
    text = client.get(f"/documents/{ids[1]}").json()["text"]
    assert "Subscribe" not in text and "Cookie" not in text
    answer = client.post("/ask", json={"question": "How many narwhals were counted in Tremblay Sound?"}).json()
    assert answer["citations"][0]["doc_id"] == ids[1]
    check_citations(client, answer)
    for doc_id in ids:
        assert client.delete(f"/documents/{doc_id}", headers=AUTH).status_code == 204


def test_put_replaces_and_conflicting_post_is_refused(client):
    created = client.put("/documents/quokka-notes", json={"text": QUOKKA}, headers=AUTH)
    assert created.status_code == 201 and created.json()["doc_id"] == "quokka-notes"
    hash_one = corpus(client)[0]
    other = {"text": "Something else entirely.", "doc_id": "quokka-notes"}
    conflict = client.post("/documents", json=other, headers=AUTH)
    assert conflict.status_code == 409 and "PUT /documents/quokka-notes" in conflict.json()["error"]["message"]
    replaced = client.put(
        "/documents/quokka-notes",
        files={"file": ("q.txt", QUOKKA.replace("412", "977").encode())},
        headers=AUTH,
    )
    assert replaced.status_code == 200 and replaced.json()["status"] == "replaced"
    assert corpus(client)[0] not in (hash_one, SEED_HASH)
    quote = client.post("/ask", json={"question": QUOKKA_QUESTION}).json()["citations"][0]["quote"]
    assert "977" in quote and "412" not in quote
    assert client.delete("/documents/quokka-notes", headers=AUTH).status_code == 204


# --- bad input changes nothing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "json_body", "status", "message"),
    [
        ({"file": ("empty.txt", b"")}, None, 422, "empty"),
        ({"file": ("latin1.txt", "café crème".encode("latin-1"))}, None, 422, "not valid UTF-8"),
        ({"file": ("program.txt", b"\x7fELF\x00\x01" * 100)}, None, 422, "binary"),
        ({"file": ("broken.pdf", b"%PDF-1.4\nnot really")}, None, 422, "corrupt"),
        ({"file": ("locked.pdf", make_encrypted_pdf())}, None, 422, "encrypted"),
        ({"file": ("scan.pdf", make_image_only_pdf())}, None, 422, "no extractable text"),
        ({"file": ("big.txt", b"word " * (MAX_UPLOAD // 5 + 1))}, None, 413, "upload limit"),
        (None, {"text": "Long words. " * 5000}, 413, "RAG_MAX_DOCUMENT_CHARS"),
        ({"file": ("tool.exe", b"MZ\x90\x00")}, None, 415, "cannot read files of type '.exe'"),
        ({"upload": ("a.txt", b"text")}, None, 422, "field 'file'"),
        (None, {"text": "A fine text about quokkas.", "doc_id": "../etc/passwd"}, 422, "not a safe identifier"),
        (None, {"text": "A fine text.", "doc_id": "a b"}, 422, "not a safe identifier"),
        (None, {"text": ""}, 422, "body.text"),
        (None, {"text": "Fine.", "colour": "red"}, 422, "body.colour"),
        (None, {"text": "\u0000\u0001\u0002" * 50}, 422, "binary"),
    ],
)
def test_bad_input_gets_its_4xx_and_changes_nothing(client, files, json_body, status, message):
    before = corpus(client)
    response = client.post("/documents", files=files, json=json_body, headers=AUTH)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]["message"]
    assert corpus(client) == before


def test_other_bad_requests(client):
    before = corpus(client)
    as_json = {**AUTH, "Content-Type": "application/json"}
    assert client.post("/documents", content=b"{not json", headers=as_json).status_code == 400
    plain = client.post("/documents", content=b"text", headers={**AUTH, "Content-Type": "text/plain"})
    assert plain.status_code == 415 and "multipart/form-data" in plain.json()["error"]["message"]
    missing = client.delete("/documents/no-such-document", headers=AUTH)
    assert missing.status_code == 404 and "no-such-document" in missing.json()["error"]["message"]
    assert client.get("/documents/no-such-document/original").status_code == 404
    assert corpus(client) == before


# --- readers see the old or the new corpus, never a half -----------------------------------------------


def test_views_are_consistent_while_documents_are_written(client):
    state = client.app.state.service
    seen: list = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(state.require())

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(3):
            text = f"Note {i}\n\nThe tern colony number {i} on Farne had {100 + i} nests in 2019.\n"
            doc_id = client.post("/documents", json={"text": text}, headers=AUTH).json()["doc_id"]
            assert client.delete(f"/documents/{doc_id}", headers=AUTH).status_code == 204
    finally:
        stop.set()
        reader.join()
    views = {id(p.index): p.index for p in seen}
    assert len(views) >= 2, "the reader saw the writes"
    for index in views.values():
        assert index.manifest["corpus_hash"] == corpus_hash(list(index.documents.values()))
        assert len(index.chunks) == index.faiss_index.ntotal == index.bm25.scores["num_docs"]
        assert len(index.sentences) == len(index.sentence_vectors) == len(index.context_vectors)
        assert all(c.doc_id in index.documents for c in index.chunks)
        assert all(index.documents[s.doc_id].text[s.start : s.end] == s.text for s in index.sentences)


def test_a_write_of_another_process_is_served_within_seconds(client, components):
    """`rag add` next to a running service: the service swaps in the new version by itself."""
    import time

    from rag.document_writes import DocumentWriter
    from rag.extract import ExtractedText
    from rag.ingest import prepare_upload

    settings = client.app.state.service.settings
    text = "Puffin count\n\nThe puffin count of 2020 on Skomer found 38,000 puffins, the most since 1946.\n"
    prepared = prepare_upload(
        ExtractedText(text, "text/plain"), settings, doc_id="puffins", title=None, file_name=None, original=b""
    )
    DocumentWriter(settings, components.embedder).add(prepared, explicit_id=True)  # publishes nothing itself
    deadline = time.monotonic() + 30
    while "puffins" not in corpus(client)[1] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "puffins" in corpus(client)[1]
    answer = client.post("/ask", json={"question": "How many puffins were counted on Skomer?"}).json()
    assert answer["citations"][0]["doc_id"] == "puffins"
    assert client.delete("/documents/puffins", headers=AUTH).status_code == 204
