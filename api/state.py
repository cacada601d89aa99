"""What the running service holds: its settings, the threads that run the model (with the query batcher
on the ONNX path) and, once loaded, the model and index.

`rag serve` loads them in the background, started by the app's lifespan, so `/healthz` answers at once and
every other route answers 503 until `/readyz` says ready. Tests pass loaded components in.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from api.batching import MicroBatcher, install_batching
from api.errors import NotReady
from rag import nlp
from rag.service import QAComponents, load_components
from rag.settings import Settings

logger = logging.getLogger(__name__)

# Asked once after loading, so the first real question does not pay for torch's lazy initialisation.
_WARM_UP_QUESTION = "Where is the NATO Space Operations Centre?"

T = TypeVar("T")


class ModelThread:
    """The threads that run every call using the model (loading included): the standard library's
    ThreadPoolExecutor, with an awaitable `run`.

    With sentence-transformers embedding questions there is one thread: PyTorch gives each thread that runs
    a model its own team of OpenMP threads, and with a team per request thread the teams fight for the
    cores (measured: 5.6 ms per query embedding on one thread, 12 ms once a second thread has used it).
    With the ONNX path, `workers` threads answer at once and their query texts meet in the `batcher`,
    which embeds them together on its own thread (api/batching.py).
    """

    def __init__(self, name: str = "rag-model", workers: int = 1) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self.batcher: MicroBatcher | None = None

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self._executor.submit(self._call, fn, *args, **kwargs)

    def _call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        if self.batcher is None:
            return fn(*args, **kwargs)
        with self.batcher.request():  # lets the batcher wait a moment for this request's texts
            return fn(*args, **kwargs)

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` on the model thread, awaited without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(fn, *args, **kwargs))


class ServiceState:
    def __init__(self, settings: Settings, components: QAComponents | None = None) -> None:
        self.settings = settings
        self.components = components
        self.error: str | None = None
        self.load_seconds: float | None = None
        self.model_thread = ModelThread(workers=settings.answer_threads if settings.query_encoder == "onnx" else 1)
        self.loading: Future[None] | None = None

    def start_loading(self) -> None:
        """Load the components on the model thread, unless they are loaded or loading."""
        if self.components is None and self.loading is None:
            self.loading = self.model_thread.submit(self.load)

    def load(self) -> None:
        """Open (or build) the index, load the model and warm both up; on failure, remember why."""
        started = time.perf_counter()
        try:
            components = load_components(self.settings)
            if self.settings.query_encoder == "onnx":
                self.model_thread.batcher = install_batching(components, self.settings)
            components.extractive.answer(_WARM_UP_QUESTION)  # no chat-model call in generative mode
            if self.settings.kind_check:
                nlp.warm_up()  # spaCy's pipelines, loaded on first use otherwise
        except Exception as exc:  # reported by /readyz and every route, and logged with its traceback
            logger.exception("loading the index failed")
            self.error = f"loading the index failed: {exc}"
            return
        self.load_seconds = round(time.perf_counter() - started, 3)
        self.components = components
        logger.info("ready in %.1fs: %d chunks", self.load_seconds, len(components.index.chunks))

    def require(self) -> QAComponents:
        """The loaded components, or NotReady (a 503) saying why there are none yet."""
        if self.components is None:
            raise NotReady(self.error or "the index is still loading; retry shortly")
        return self.components


def service_state(request: Request) -> ServiceState:
    return request.app.state.service


def loaded_components(state: Annotated[ServiceState, Depends(service_state)]) -> QAComponents:
    return state.require()


def model_thread(state: Annotated[ServiceState, Depends(service_state)]) -> ModelThread:
    return state.model_thread


State = Annotated[ServiceState, Depends(service_state)]
Components = Annotated[QAComponents, Depends(loaded_components)]
Model = Annotated[ModelThread, Depends(model_thread)]
