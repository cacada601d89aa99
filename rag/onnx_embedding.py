"""Query embeddings without torch: the bundled all-MiniLM-L6-v2 exported to ONNX, run by ONNX Runtime, with
the tokenizer of the `tokenizers` library.

Importing torch and sentence-transformers costs about 3 s per process, to embed a one-line question. So the
project exports the bundled weights once (`export_onnx`, at `rag index` time or on first use, which does
import torch) into a cache folder, checks the export against sentence-transformers on a few hundred texts of
the corpus (cosine >= MIN_COSINE for every one), and records the check in `export.json` beside the model.
`OnnxEmbedder` loads only a checked export of the same weights, and never imports torch.

The graph is the transformer with the model's pooling (mean over the attention mask) and L2 normalisation
inside it, so one `run` returns the sentence vectors; the tokenizer truncates to the model's
`max_seq_length` (256) and pads to the longest text of a batch, as sentence-transformers does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Literal

import numpy as np

from rag.errors import RagError
from rag.text import normalize_text

logger = logging.getLogger(__name__)

EXPORT_FORMAT = 1
MIN_COSINE = 0.9999
MIN_VERIFICATION_TEXTS = 200
OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxExportError(RagError):
    """The ONNX export is missing, of other weights, or did not match sentence-transformers."""


@dataclass(frozen=True, slots=True)
class ThreadSettings:
    """ONNX Runtime's threads: `intra_op` threads per forward pass (0: one per core) and whether they spin
    while waiting for work (fast when the cores are idle, slow when another process competes for them)."""

    intra_op: int = 0
    spinning: bool = False


def weights_file(model_path: Path) -> Path:
    return model_path / "model.safetensors"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_export_record(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "export.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def export_problem(folder: Path, model_path: Path) -> str | None:
    """Why the export in `folder` cannot serve the model in `model_path`; None when it can."""
    record = read_export_record(folder)
    if record is None:
        return f"no ONNX export in {folder}"
    if record.get("format") != EXPORT_FORMAT:
        return f"ONNX export format {record.get('format')} != {EXPORT_FORMAT}"
    if not (folder / "model.onnx").is_file() or not (folder / "tokenizer.json").is_file():
        return f"the ONNX export in {folder} is incomplete"
    if not record.get("min_cosine", 0.0) >= MIN_COSINE or record.get("texts", 0) < MIN_VERIFICATION_TEXTS:
        return f"the ONNX export in {folder} was not verified against sentence-transformers"
    weights = weights_file(model_path)
    stat = weights.stat()
    source = record.get("source", {})
    # Hashing 90 MB takes a while; the same size and modification time of the same path is the same file.
    same_file = [str(weights), stat.st_size, stat.st_mtime_ns] == [source.get(k) for k in ("path", "size", "mtime_ns")]
    if not same_file and sha256_file(weights) != source.get("sha256"):
        return f"the ONNX export in {folder} was made from other weights than {weights}"
    return None


def export_onnx(model_path: Path, folder: Path, texts: Sequence[str]) -> dict:
    """Export the sentence-transformers model in `model_path` to `folder` (replaced atomically), check it
    against sentence-transformers on `texts`, and return the record written to `export.json`.

    OnnxExportError when there are too few texts or any text's cosine falls below MIN_COSINE; nothing is
    installed then."""
    import torch

    from rag.embedding import Embedder, _load_model

    if len(texts) < MIN_VERIFICATION_TEXTS:
        raise OnnxExportError(f"the export needs at least {MIN_VERIFICATION_TEXTS} texts to check, got {len(texts)}")
    started = time.perf_counter()
    model = _load_model(str(model_path))
    transformer = model[0].auto_model.eval()
    max_length = int(model.max_seq_length)

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        shutil.copyfile(model_path / "tokenizer.json", tmp / "tokenizer.json")
        sample = _tokenizer(tmp / "tokenizer.json", max_length).encode_batch(["an example", "a second, longer example"])
        dummy = tuple(torch.tensor([getattr(e, name) for e in sample], dtype=torch.int64) for name in _ids())
        axes = {name: {0: "batch", 1: "sequence"} for name in _INPUTS}
        with torch.inference_mode(), warnings.catch_warnings():
            # The tracer's warnings concern branches on shapes that a BERT encoder takes the same way for
            # every input; the check below runs the export on texts of every length to prove it.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                SentenceEmbedding(),
                dummy,
                str(tmp / "model.onnx"),
                input_names=list(_INPUTS),
                output_names=["sentence_embedding"],
                dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,  # the TorchScript exporter: no onnxscript dependency, exact for this BERT graph
            )
        _write_record(tmp, {"format": EXPORT_FORMAT, "max_seq_length": max_length})
        reference = Embedder(model_path).encode(list(texts))
        exported = OnnxEmbedder(tmp).encode(list(texts))
        cosines = np.sum(reference * exported, axis=1)
        worst = float(cosines.min())
        if worst < MIN_COSINE:
            raise OnnxExportError(
                f"the ONNX export differs from sentence-transformers: cosine {worst:.6f} < {MIN_COSINE} on "
                f"{texts[int(cosines.argmin())][:80]!r}"
            )
        weights = weights_file(model_path)
        stat = weights.stat()
        record = {
            "format": EXPORT_FORMAT,
            "max_seq_length": max_length,
            "dimension": int(exported.shape[1]),
            "opset": OPSET,
            "source": {
                "path": str(weights),
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "sha256": sha256_file(weights),
            },
            "texts": len(texts),
            "min_cosine": round(worst, 7),
            "mean_cosine": round(float(cosines.mean()), 7),
            "libraries": {name: version(name) for name in ("torch", "onnxruntime", "tokenizers")},
            "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "export_seconds": round(time.perf_counter() - started, 2),
        }
        _write_record(tmp, record)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("exported the embedding model to ONNX in %.1fs: min cosine %.6f", record["export_seconds"], worst)
    return record


def _write_record(folder: Path, record: dict) -> None:
    (folder / "export.json").write_text(json.dumps(record, indent=1), encoding="utf-8")


def _ids() -> tuple[Literal["ids"], Literal["attention_mask"], Literal["type_ids"]]:
    return ("ids", "attention_mask", "type_ids")  # the `tokenizers.Encoding` attributes, in _INPUTS order


def _tokenizer(path: Path, max_length: int):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    # tokenizer.json ships with a fixed padding and truncation at 128; sentence-transformers reads up to
    # max_seq_length tokens and pads each batch to its longest text.
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


class OnnxEmbedder:
    """Encodes text to L2-normalised float32 vectors with the ONNX export in `folder`: the same contract
    as `rag.embedding.Embedder.encode`, without torch."""

    def __init__(self, folder: Path, batch_size: int = 32, threads: ThreadSettings | None = None) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        import onnxruntime as ort

        record = read_export_record(folder)
        if record is None:
            raise OnnxExportError(f"no ONNX export in {folder}")
        threads = threads or ThreadSettings()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads.intra_op
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if threads.spinning else "0")
        self.folder = folder
        self.batch_size = batch_size
        self.threads = threads
        self.dimension = int(record.get("dimension", 384))
        self._session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self._tokenizer = _tokenizer(folder / "tokenizer.json", int(record["max_seq_length"]))

    def warm_up(self) -> None:
        """Nothing to load later: the session is built in __init__ (kept for the Embedder interface)."""

    def encode(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for `texts` (normalised text in, one row per text); `progress(n)` after each batch."""
        rows: list[np.ndarray] = []
        for i in range(0, len(texts), self.batch_size):
            batch = [normalize_text(t) for t in texts[i : i + self.batch_size]]
            encodings = self._tokenizer.encode_batch(batch)
            feed = {
                name: np.array([getattr(e, attr) for e in encodings], dtype=np.int64)
                for name, attr in zip(_INPUTS, _ids(), strict=True)
            }
            (vectors,) = self._session.run(["sentence_embedding"], feed)
            rows.append(vectors)
            if progress:
                progress(len(batch))
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.vstack(rows).astype(np.float32, copy=False)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)  # exactly unit length
        return np.ascontiguousarray(vectors)
