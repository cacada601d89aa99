"""The app's one document writer, and the watch that swaps in what other processes write to the store."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import numpy as np
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from api.state import ServiceState
from rag.document_writes import DocumentWriter
from rag.service import with_index
from rag.settings import Settings

logger = logging.getLogger(__name__)

# How often a running service looks for writes of other processes (one small SQLite read).
STORE_POLL_SECONDS = 2.0


class Writers:
    """The app's one DocumentWriter, made once the model is loaded: it embeds on the model thread, batch by
    batch, and publishes each new view to the service state."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._writer: DocumentWriter | None = None
        self._lock = threading.Lock()

    def get(self, state: ServiceState) -> DocumentWriter:
        with self._lock:
            if self._writer is None:
                parts = state.require()
                embedder, batch = parts.embedder, parts.settings.embed_batch_size

                def encode(texts: list[str]) -> np.ndarray:
                    rows = [
                        state.model_thread.submit(embedder.encode, texts[i : i + batch]).result()
                        for i in range(0, len(texts), batch)
                    ]
                    return np.vstack(rows)

                def publish(index: Any) -> None:
                    fresh = with_index(state.require(), index)
                    _ = fresh.extractive.stats  # term statistics now, not on the next question
                    state.components = fresh

                self._writer = DocumentWriter(
                    self.settings, embedder, encode=encode, view=lambda: state.require().index, publish=publish
                )
            return self._writer


def writers_of(app: FastAPI) -> Writers:
    """The app's writers, kept on `app.state` (made on first use, on the event loop)."""
    writers = getattr(app.state, "document_writers", None)
    if writers is None:
        writers = app.state.document_writers = Writers(app.state.service.settings)
    return writers


async def watch_store(app: FastAPI, interval_s: float = STORE_POLL_SECONDS) -> None:
    """Every `interval_s`, swap in the store's current version when another process (`rag add`, a second
    server) wrote to it. Runs for the app's lifetime; a failure is logged and tried again."""
    writers = writers_of(app)
    while True:
        await asyncio.sleep(interval_s)
        state: ServiceState = app.state.service
        if state.components is None:
            continue
        try:
            index = await run_in_threadpool(writers.get(state).refresh)
        except Exception:  # the service keeps serving the version it has
            logger.exception("could not load the corpus another process wrote")
            continue
        if index is not None:
            logger.info("serving generation %d written by another process", index.generation)
