"""End-to-end check of "your documents" against a running service (what tests/test_ingest_server.py runs).

    .venv/bin/python eval/check_documents.py --url http://127.0.0.1:8000 --key "$RAG_API_KEYS"

Posts a document about something the seeds never mention, asks a question only it answers and checks that
the citation satisfies `text[start:end] == quote` against GET /documents/{id}, that a write without the key
gets 401, then deletes the document and checks that the question is abstained on and the corpus hash is
back. Prints each step; exits 1 at the first failure. Leaves the corpus as it found it.
"""

from __future__ import annotations

import argparse
import sys

import httpx

DOCUMENT = (
    "Axolotl husbandry at the Xochimilco field station\n\n"
    "The Xochimilco field station keeps 86 axolotls in twelve outdoor canals. "
    "The canals were dug by hand in 1998 by the station's first director, Dr Elena Ruiz.\n"
)
QUESTION = "How many axolotls does the Xochimilco field station keep?"


class CheckFailed(AssertionError):
    pass


def check(condition: bool, what: str) -> None:
    if not condition:
        raise CheckFailed(what)
    print(f"ok  {what}")


def run_check(base_url: str, key: str, timeout: float = 60.0) -> None:
    """Every step of the check; CheckFailed names the first one that fails."""
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, timeout=timeout) as http:
        before = http.get("/version").json()["corpus_hash"]
        check(http.post("/ask", json={"question": QUESTION}).json()["abstained"], "abstains before the upload")
        upload = {"file": ("axolotl-station.txt", DOCUMENT.encode())}
        check(http.post("/documents", files=upload).status_code == 401, "401 without the key")
        added = http.post("/documents", files=upload, headers=auth)
        check(added.status_code == 201, f"201 with the key ({added.status_code} {added.text[:200]})")
        doc_id = added.json()["doc_id"]
        check(http.get("/version").json()["corpus_hash"] not in (before, None), "the corpus hash changed")
        answer = http.post("/ask", json={"question": QUESTION}).json()
        check(not answer["abstained"] and answer["citations"][0]["doc_id"] == doc_id, "answered from it")
        citation = answer["citations"][0]
        text = http.get(f"/documents/{doc_id}").json()["text"]
        check(text[citation["start"] : citation["end"]] == citation["quote"], "text[start:end] == quote")
        check("86 axolotls" in citation["quote"], "the quote states the answer")
        check(http.delete(f"/documents/{doc_id}").status_code == 401, "401 deleting without the key")
        check(http.delete(f"/documents/{doc_id}", headers=auth).status_code == 204, "204 on delete")
        check(http.post("/ask", json={"question": QUESTION}).json()["abstained"], "abstains after the delete")
        check(http.get(f"/documents/{doc_id}").status_code == 404, "404 for the deleted document")
        check(http.get("/version").json()["corpus_hash"] == before, "the corpus hash is back")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="one of the service's RAG_API_KEYS")
    args = parser.parse_args()
    try:
        run_check(args.url, args.key)
    except CheckFailed as exc:
        print(f"FAILED  {exc}", file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
