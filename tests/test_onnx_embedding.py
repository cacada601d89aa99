"""The light query path: the project's ONNX export of the bundled model against sentence-transformers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.embedding import bundled_model_path
from rag.evaluation.dataset import load_eval_set
from rag.onnx_embedding import MIN_COSINE, OnnxEmbedder, OnnxExportError, export_onnx, export_problem
from rag.query_embedding import onnx_folder, verification_texts

from .conftest import REPO


@pytest.fixture(scope="module")
def questions() -> list[str]:
    items = load_eval_set(REPO / "eval" / "questions.jsonl")
    return [i.question for i in items] + [t.content for i in items for t in i.history]


def test_questions_are_embedded_by_the_onnx_export(components):
    assert isinstance(components.retriever.embedder, OnnxEmbedder)
    assert export_problem(onnx_folder(components.settings), bundled_model_path()) is None


def test_light_path_vectors_match_sentence_transformers(components, questions):
    texts = questions + verification_texts(components.index)  # short questions, sentences, chunks, one too long
    light = components.retriever.embedder.encode(texts)
    reference = components.embedder.encode(texts)
    assert light.dtype == np.float32 and light.shape == reference.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(light, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(light * reference, axis=1)
    assert cosines.min() >= MIN_COSINE, texts[int(cosines.argmin())]
    # One text alone and inside a batch padded to a longer one: the same vector.
    alone = components.retriever.embedder.encode(texts[:1])
    assert np.allclose(alone[0], light[0], atol=1e-5)
    assert components.retriever.embedder.encode([]).shape == (0, 384)


def test_query_path_does_not_import_torch(components):
    script = (
        "import sys\n"
        "from rag.service import load_components\n"
        "from rag.settings import Settings\n"
        f"parts = load_components(Settings(seeds_dir={str(components.settings.seeds_dir)!r}, "
        f"index_dir={str(components.settings.index_dir)!r}))\n"
        "answer = parts.answerer.answer('Where is the NATO Space Operations Centre?')\n"
        "assert answer.citations, answer\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules)\n"
        "print(','.join(heavy) or 'none')\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "none", out.stderr


def _copy_export(components, target: Path) -> Path:
    shutil.copytree(onnx_folder(components.settings), target)
    return target


def test_an_unchecked_or_foreign_export_is_refused(components, tmp_path):
    folder = _copy_export(components, tmp_path / "export")
    assert export_problem(folder, bundled_model_path()) is None
    record = json.loads((folder / "export.json").read_text())

    failed = {**record, "min_cosine": 0.99}
    (folder / "export.json").write_text(json.dumps(failed))
    assert "not verified" in export_problem(folder, bundled_model_path())

    other = {**record, "source": {**record["source"], "mtime_ns": 1, "sha256": "0" * 64}}
    (folder / "export.json").write_text(json.dumps(other))
    assert "other weights" in export_problem(folder, bundled_model_path())

    (folder / "model.onnx").unlink()
    assert "incomplete" in export_problem(folder, bundled_model_path())
    assert "no ONNX export" in export_problem(tmp_path / "missing", bundled_model_path())


def test_export_needs_enough_texts_to_check(tmp_path):
    with pytest.raises(OnnxExportError, match="at least"):
        export_onnx(bundled_model_path(), tmp_path / "export", ["too few"])
    assert not (tmp_path / "export").exists()
