"""`rag add`, `rag remove`, `rag documents` on a copy of the session's store."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli import app
from tests.documents import backup_store, make_docx, make_pdf

from .conftest import SEEDS

pytestmark = pytest.mark.slow


@pytest.fixture()
def index(components, tmp_path: Path) -> Path:
    return backup_store(components.settings.index_dir, tmp_path / "index")


def rag(index: Path, *args: str):
    return CliRunner().invoke(app, ["--seeds-dir", str(SEEDS), "--index-dir", str(index), *args])


def test_add_a_folder_list_ask_and_remove(index: Path, tmp_path: Path):
    folder = tmp_path / "reports"
    (folder / "sub").mkdir(parents=True)
    (folder / "walrus.pdf").write_bytes(make_pdf())
    (folder / "sub" / "beluga.docx").write_bytes(make_docx(["The beluga count of 2022 found 57 belugas."]))
    (folder / "ignored.png").write_bytes(b"\x89PNG")
    added = rag(index, "add", str(folder))
    assert added.exit_code == 0, added.output
    assert added.output.count("created ") == 2
    listing = json.loads(rag(index, "documents", "--json").stdout)
    uploads = {d["doc_id"]: d for d in listing["documents"] if d["origin"] == "upload"}
    assert sorted(d["file_name"] for d in uploads.values()) == ["beluga.docx", "walrus.pdf"]
    again = rag(index, "add", str(folder / "walrus.pdf"))
    assert again.exit_code == 0 and "unchanged" in again.output
    answer = json.loads(rag(index, "ask", "How many walruses did the 2021 survey count?", "--json").stdout)
    assert answer["citations"][0]["doc_id"] in uploads
    removed = rag(index, "remove", *uploads)
    assert removed.exit_code == 0, removed.output
    after = json.loads(rag(index, "documents", "--json").stdout)
    assert all(d["origin"] == "seed" for d in after["documents"]) and len(after["documents"]) == 5


def test_bad_files_and_unknown_ids_are_errors(index: Path, tmp_path: Path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("café".encode("latin-1"))
    result = rag(index, "add", str(bad))
    assert result.exit_code == 2 and "not valid UTF-8" in result.stderr
    assert rag(index, "add", str(tmp_path / "missing.txt")).exit_code == 2
    unknown = rag(index, "remove", "no-such-doc")
    assert unknown.exit_code == 1 and "no document with id 'no-such-doc'" in unknown.stderr
    assert len(json.loads(rag(index, "documents", "--json").stdout)["documents"]) == 5
