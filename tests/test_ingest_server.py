"""`rag serve` with RAG_API_KEYS: a document the seeds never mention is added and answered from, then
removed (and the question abstained on); writes without the key get 401. (That an acknowledged write
survives the process is tests/test_crash.py's: killed after the commit, the new corpus loads.)"""

import sqlite3
from pathlib import Path

import httpx
import pytest

from rag.settings import Settings
from rag.store import store_path

from .conftest import SEEDS
from .server import rag_serve

pytestmark = pytest.mark.slow

KEY = "serve-test-key"
DOCUMENT = (
    "Axolotl husbandry at the Xochimilco field station\n\n"
    "The Xochimilco field station keeps 86 axolotls in twelve outdoor canals. "
    "The canals were dug by hand in 1998 by the station's first director, Dr Elena Ruiz.\n"
)
QUESTION = "How many axolotls does the Xochimilco field station keep?"


def test_serve_add_ask_remove(components, tmp_path: Path):
    index = tmp_path / "index"
    index.mkdir()
    src, dst = sqlite3.connect(store_path(components.settings.index_dir)), sqlite3.connect(store_path(index))
    src.backup(dst)
    src.close()
    dst.close()
    settings = Settings(seeds_dir=SEEDS, index_dir=index)
    env = {"RAG_API_KEYS": KEY}
    auth = {"Authorization": f"Bearer {KEY}"}
    with rag_serve(settings, tmp_path / "serve.log", env) as base, httpx.Client(base_url=base, timeout=60) as http:
        assert http.post("/ask", json={"question": QUESTION}).json()["abstained"]
        refused = http.post("/documents", files={"file": ("axolotl.txt", DOCUMENT.encode())})
        assert refused.status_code == 401
        added = http.post("/documents", files={"file": ("axolotl.txt", DOCUMENT.encode())}, headers=auth)
        assert added.status_code == 201, added.text
        doc_id = added.json()["doc_id"]
        assert http.get("/version").json()["corpus_hash"] == added.json()["corpus_hash"]
        answer = http.post("/ask", json={"question": QUESTION}).json()
        assert not answer["abstained"], answer
        citation = answer["citations"][0]
        assert citation["doc_id"] == doc_id and "86 axolotls" in citation["quote"]
        text = http.get(f"/documents/{doc_id}").json()["text"]
        assert text == DOCUMENT and text[citation["start"] : citation["end"]] == citation["quote"]
        assert http.delete(f"/documents/{doc_id}").status_code == 401
        assert http.delete(f"/documents/{doc_id}", headers=auth).status_code == 204
        assert http.post("/ask", json={"question": QUESTION}).json()["abstained"]
        assert http.get(f"/documents/{doc_id}").status_code == 404
