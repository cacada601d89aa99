"""The real server: `rag serve` in a subprocess, asked a question over HTTP."""

import httpx
import pytest

from .conftest import SEEDS, source_text
from .server import rag_serve


@pytest.mark.slow
def test_rag_serve_answers_over_http(components, tmp_path):
    # The session's index is built: the server only loads it.
    with (
        rag_serve(components.settings, tmp_path / "server.log") as base,
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        answer = http.post("/ask", json={"question": "Where is the NATO Space Operations Centre?"}).json()
        assert not answer["abstained"] and answer["citations"]
        for c in answer["citations"]:
            assert source_text(SEEDS, c["doc_id"])[c["start"] : c["end"]] == c["quote"]
        assert any("Ramstein" in c["quote"] for c in answer["citations"])
        assert http.get("/version").json()["corpus_hash"] == components.index.manifest["corpus_hash"]
