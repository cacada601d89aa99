import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli import app

from .conftest import ANSWER_FIELDS, SEEDS

runner = CliRunner()
RAG = str(Path(sys.executable).parent / "rag")


def _invoke(settings, *args: str):
    return runner.invoke(app, ["--seeds-dir", str(settings.seeds_dir), "--index-dir", str(settings.index_dir), *args])


@pytest.mark.slow
def test_console_script_answers_with_the_ramstein_citation(components):
    settings = components.settings
    proc = subprocess.run(
        [
            RAG,
            "--seeds-dir",
            str(settings.seeds_dir),
            "--index-dir",
            str(settings.index_dir),
            "ask",
            "Where is the NATO Space Operations Centre?",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert set(answer) == ANSWER_FIELDS
    assert answer["abstained"] is False
    cited = [c for c in answer["citations"] if c["doc_id"] == "002_685e0ef70b0e745a" and "Ramstein" in c["quote"]]
    assert cited
    text = (SEEDS / "002_685e0ef70b0e745a.txt").read_text(encoding="utf-8")
    assert all(text[c["start"] : c["end"]] == c["quote"] for c in cited)
    assert set(cited[0]) == {"id", "doc_id", "title", "start", "end", "quote", "score"}


def test_ask_prints_a_readable_answer_with_sources(components):
    result = _invoke(components.settings, "ask", "How many Allies signed the APSS memorandum?")
    assert result.exit_code == 0, result.output
    assert (
        "17 Allies" in result.stdout and "Sources:" in result.stdout and "[1] NATO’s approach to space" in result.stdout
    )


def test_ask_abstains_in_json(components):
    result = _invoke(components.settings, "ask", "What is the best recipe for chocolate cake?", "--json")
    assert result.exit_code == 0
    answer = json.loads(result.stdout)
    assert answer["abstained"] is True and answer["citations"] == []


def test_search_lists_ranked_passages_with_scores(components):
    result = _invoke(components.settings, "search", "APSS memorandum of understanding", "-k", "3")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(lines) == 3 and all("fused=" in line and "dense=" in line and "bm25=" in line for line in lines)
    as_json = json.loads(_invoke(components.settings, "search", "APSS", "-k", "2", "--json").stdout)
    assert [p["rank"] for p in as_json] == [1, 2]
    text = (SEEDS / f"{as_json[0]['doc_id']}.txt").read_text(encoding="utf-8")
    assert as_json[0]["text"].split()[0] in text[as_json[0]["start"] : as_json[0]["end"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", ""], "the question is empty"),
        (["ask", "   "], "the question is empty"),
        (["ask", "x" * 1001], "the limit is 1000"),
        (["search", "space", "-k", "0"], "k must be from 1 to 50"),
        (["ask", "space?", "--top-k", "99"], "--top-k must be from 1 to 50"),
    ],
)
def test_bad_input_is_a_clear_error_with_nonzero_exit(components, args, message):
    result = _invoke(components.settings, *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_unknown_option_is_rejected(components):
    result = _invoke(components.settings, "ask", "Where?", "--bogus")
    assert result.exit_code == 2 and "No such option" in result.output


def test_missing_seeds_folder(tmp_path: Path):
    result = runner.invoke(app, ["--seeds-dir", str(tmp_path / "none"), "--index-dir", str(tmp_path), "index"])
    assert result.exit_code == 1 and "seeds folder not found" in result.stderr


def test_invalid_setting_from_environment(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("RAG_CHUNK_SIZE", "tiny")
    result = runner.invoke(app, ["ask", "Where?"])
    assert result.exit_code == 2 and "invalid settings" in result.stderr and "chunk_size" in result.stderr
    monkeypatch.delenv("RAG_CHUNK_SIZE")
    monkeypatch.setenv("RAG_CHUNK_SZE", "300")
    result = runner.invoke(app, ["ask", "Where?"])
    assert result.exit_code == 2 and "RAG_CHUNK_SZE" in result.stderr


def test_index_command_reports_up_to_date_and_rebuilds_on_force(components):
    result = _invoke(components.settings, "index")
    assert result.exit_code == 0 and "up to date" in result.stdout


def _run_as_unprivileged(args: list[str]) -> tuple[int, str]:
    """Run the CLI in a forked child that has dropped root, so file permissions apply (CI runs as root).

    The child may not be able to read the interpreter's own files (they can live under /root), so every
    module the commands import is imported here first.
    """
    import _strptime  # noqa: F401  (datetime.strptime imports it lazily)

    import filelock  # noqa: F401
    import tqdm  # noqa: F401

    import rag.service  # noqa: F401

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(read_fd)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            result = runner.invoke(app, args)
            detail = result.stderr + (repr(result.exception) if result.exit_code not in (0, 1, 2) else "")
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                detail += repr(result.exception)
            os.write(write_fd, json.dumps([result.exit_code, detail]).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    code, stderr = json.loads(data)
    return code, stderr


@pytest.fixture()
def world_readable_tmp():
    path = Path(tempfile.mkdtemp(prefix="rag-perm-"))
    path.chmod(0o755)
    seeds = path / "seeds"
    shutil.copytree(SEEDS, seeds)
    for p in [seeds, *seeds.iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    yield path
    for p in path.rglob("*"):
        if p.is_dir():
            p.chmod(0o755)
    shutil.rmtree(path)


def test_index_folder_without_write_permission(world_readable_tmp: Path):
    index = world_readable_tmp / "index"
    index.mkdir(mode=0o555)
    index.chmod(0o555)
    code, stderr = _run_as_unprivileged(
        ["--seeds-dir", str(world_readable_tmp / "seeds"), "--index-dir", str(index), "index"]
    )
    assert code == 1, stderr
    assert f"cannot write the index folder {index}: permission denied" in stderr
    assert list(index.iterdir()) == [], "nothing was changed"


def test_index_folder_without_read_permission(world_readable_tmp: Path, components):
    index = world_readable_tmp / "index"
    shutil.copytree(components.settings.index_dir, index, symlinks=True)
    index.chmod(0o000)
    code, stderr = _run_as_unprivileged(
        ["--seeds-dir", str(world_readable_tmp / "seeds"), "--index-dir", str(index), "ask", "Where is the NSpOC?"]
    )
    assert code == 1, stderr
    assert "permission denied" in stderr and str(index) in stderr
