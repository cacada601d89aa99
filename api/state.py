"""What the running service holds: its settings and, once loaded, the model and index.

`rag serve` loads them in a background thread started by the app's lifespan, so `/healthz` answers at
once and every other route answers 503 until `/readyz` says ready. Tests pass loaded components in.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Annotated

from fastapi import Depends, Request

from api.errors import NotReady
from rag.service import QAComponents, load_components
from rag.settings import Settings

logger = logging.getLogger(__name__)

# Asked once after loading, so the first real question does not pay for torch's lazy initialisation.
_WARM_UP_QUESTION = "Where is the NATO Space Operations Centre?"


class ServiceState:
    def __init__(self, settings: Settings, components: QAComponents | None = None) -> None:
        self.settings = settings
        self.components = components
        self.error: str | None = None
        self.load_seconds: float | None = None
        self._thread: threading.Thread | None = None

    def start_loading(self) -> None:
        """Load the components in a background thread, unless they are loaded or loading."""
        if self.components is not None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self.load, name="rag-load", daemon=True)
        self._thread.start()

    def load(self) -> None:
        """Open (or build) the index, load the model and warm both up; on failure, remember why."""
        started = time.perf_counter()
        try:
            components = load_components(self.settings)
            components.answerer.answer(_WARM_UP_QUESTION)
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


State = Annotated[ServiceState, Depends(service_state)]
Components = Annotated[QAComponents, Depends(loaded_components)]
