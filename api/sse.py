"""Server-sent events for the streaming routes (`/ask/stream`, `/v1/chat/completions` with `stream`)."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi.sse import format_sse_event
from pydantic import BaseModel
from starlette.responses import StreamingResponse


class ServerSentEvents(StreamingResponse):
    """A text/event-stream response of events the route has formatted.

    The class declares no media type, so FastAPI documents only the route's own description of the
    events (OpenAPI `itemSchema`), not a plain string body. FastAPI's EventSourceResponse as a response
    class would instead expect the route to be a generator, which cannot refuse bad input with a status
    code before streaming.
    """

    media_type = None

    def __init__(self, events: Iterable[bytes]) -> None:
        # No caching, and no buffering by proxies such as nginx: each event should arrive when sent.
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        super().__init__(events, media_type="text/event-stream", headers=headers)


def sse_event(data: BaseModel | str, name: str | None = None) -> bytes:
    """One event: `data` is a model (sent as JSON) or a string sent as it is."""
    text = data if isinstance(data, str) else data.model_dump_json()
    return format_sse_event(event=name, data_str=text)
