"""`rag add FOLDER` at scale: batches of files per transaction, resuming after an interruption (a SIGKILL,
or one in the middle of a batch's embedding) without embedding again what was done, throughput shown."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rag import index_sync
from rag.bulk_add import BulkAdder
from rag.cli import app
from rag.extract import ExtractedText
from rag.ingest import prepare_upload
from rag.settings import Settings
from rag.store import CorpusStore
from tests.documents import backup_store

from .conftest import REPO, SEEDS

pytestmark = pytest.mark.slow

BIRDS = ["puffin", "gannet", "kittiwake", "fulmar", "shag", "guillemot", "razorbill", "skua", "tern", "eider"]
PLACES = ["Farne", "Skomer", "Bass Rock", "Noss", "Handa", "Rathlin", "Lundy", "Staple", "Fair Isle", "Foula"]


@pytest.fixture()
def index(components, tmp_path: Path) -> Path:
    return backup_store(components.settings.index_dir, tmp_path / "index")


def survey_text(i: int, sentences: int) -> str:
    """A small report of its own: one fact to ask about, then filler sentences no other file has."""
    rng = random.Random(i)
    bird, place = BIRDS[i % len(BIRDS)], PLACES[i // len(BIRDS) % len(PLACES)]
    fact = f"The {bird} survey on {place} counted {100 + 7 * i} pairs in 20{i:02d}."
    lines = [f"{place} {bird} survey {i}", "", fact]
    for n in range(sentences):
        words = rng.sample(["wardens", "cliffs", "ledges", "boats", "weather", "nests", "chicks", "rings"], 4)
        lines.append(f"Report {i} note {n}: the {words[0]} and {words[1]} near the {words[2]} were {words[3]}.")
    return "\n".join(lines) + "\n"


def write_folder(folder: Path, count: int, sentences: int = 4) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"survey-{i:03d}.txt"
        path.write_text(survey_text(i, sentences), encoding="utf-8")
        paths.append(path)
    return paths


def rag(index: Path, *args: str):
    return CliRunner().invoke(app, ["--seeds-dir", str(SEEDS), "--index-dir", str(index), *args])


def store_state(index: Path) -> tuple[int, int]:
    """(uploaded documents, generation)."""
    with CorpusStore(index, create=False) as store:
        uploads = sum(1 for _, origin in store.document_ids().values() if origin == "upload")
        return uploads, store.generation()


def embedding_inputs(paths: list[Path], settings: Settings) -> set[str]:
    texts: set[str] = set()
    for path in paths:
        extracted = ExtractedText(path.read_text(encoding="utf-8"), "text/plain")
        prepared = prepare_upload(extracted, settings, doc_id=None, title=None, file_name=path.name, original=b"")
        texts.update(prepared.embedding_inputs())
    return texts


def test_a_folder_is_added_a_batch_per_transaction_with_its_throughput(index: Path, tmp_path: Path):
    write_folder(tmp_path / "surveys", 9)
    _, generation = store_state(index)
    result = rag(index, "add", str(tmp_path / "surveys"), "--batch", "4")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("created ") == 9
    assert store_state(index) == (9, generation + 3), "three batches, three commits"
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("9 files in ") and "9 created" in summary and "texts/s" in summary
    answer = json.loads(rag(index, "ask", "How many pairs did the gannet survey on Farne count?", "--json").stdout)
    assert "counted 107 pairs" in answer["citations"][0]["quote"]
    again = rag(index, "add", str(tmp_path / "surveys"), "--batch", "4")
    assert again.exit_code == 0 and again.stdout.count("unchanged ") == 9
    assert "0 texts embedded" in again.stderr and store_state(index) == (9, generation + 3)


def test_one_bad_or_repeated_file_does_not_stop_its_batch(index: Path, tmp_path: Path):
    folder = tmp_path / "mixed"
    paths = write_folder(folder, 3)
    (folder / "copy.txt").write_bytes(paths[0].read_bytes())  # the same bytes under another name
    (folder / "zz-bad.txt").write_bytes("caf\xe9".encode("latin-1"))
    result = rag(index, "add", str(folder), "--batch", "10")
    assert result.exit_code == 1, result.output
    assert result.stdout.count("created ") == 3 and result.stdout.count("unchanged ") == 1
    assert "zz-bad.txt" in result.stderr and "1 failed" in result.stderr
    assert store_state(index)[0] == 3


def test_an_interruption_inside_a_batch_keeps_the_vectors_already_embedded(
    index: Path, tmp_path: Path, components, monkeypatch: pytest.MonkeyPatch
):
    paths = write_folder(tmp_path / "surveys", 6, sentences=10)
    settings = Settings(seeds_dir=SEEDS, index_dir=index)
    monkeypatch.setattr(index_sync, "CHECKPOINT_TEXTS", 16)
    needed = embedding_inputs(paths, settings)
    calls = 0

    class Interrupted:
        model_path = components.embedder.model_path

        def encode(self, texts: list[str], progress=None) -> np.ndarray:
            nonlocal calls
            calls += 1
            if calls == 4:  # three parts of 16 are embedded and cached; the fourth is cut short
                raise KeyboardInterrupt
            return components.embedder.encode(texts)

    first = BulkAdder(settings, Interrupted(), batch=10)  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        first.add(paths, lambda path, outcome: None)
    assert first.stats.texts_embedded == 48 and store_state(index)[0] == 0, "nothing half-written"
    second = BulkAdder(settings, components.embedder, batch=10)
    stats = second.add(paths, lambda path, outcome: None)
    assert stats.statuses == {"created": 6}
    assert stats.texts_embedded == len(needed) - 48


def test_a_killed_run_resumes_where_it_stopped(index: Path, tmp_path: Path):
    folder = tmp_path / "surveys"
    paths = write_folder(folder, 12, sentences=12)
    command = [sys.executable, "-m", "rag.cli", "--seeds-dir", str(SEEDS), "--index-dir", str(index)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = subprocess.Popen([*command, "add", str(folder), "--batch", "3"], cwd=REPO, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 300
    while store_state(index)[0] < 3 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=60)
    assert run.returncode == -signal.SIGKILL, "the run was killed before it finished"
    committed, _ = store_state(index)
    assert 3 <= committed < 12 and committed % 3 == 0, "whole batches only"
    resumed = subprocess.run([*command, "add", str(folder), "--batch", "3"], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=600)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.count("unchanged ") == committed
    assert resumed.stdout.count("created ") == 12 - committed
    assert store_state(index)[0] == 12
    embedded = int(resumed.stderr.split(" texts embedded")[0].rsplit(" ", 1)[1])
    all_texts = len(embedding_inputs(paths, Settings(seeds_dir=SEEDS, index_dir=index)))
    assert embedded < all_texts, "what the killed run committed is not embedded again"
