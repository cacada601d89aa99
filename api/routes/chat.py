"""POST /v1/chat/completions and GET /v1/models: the OpenAI-compatible face of the service."""

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import Response

from api.chat_completions import (
    MODEL_ID,
    ChatCompletion,
    ModelCard,
    ModelList,
    chat_request_model,
    completion,
    completion_events,
    question_and_history,
)
from api.errors import error_responses
from api.sse import ServerSentEvents
from api.state import Components, Model
from rag.settings import Settings

_STREAM_DOC = {
    "description": "With `stream: true`: `chat.completion.chunk` events, then `data: [DONE]`.",
    "content": {
        "text/event-stream": {
            "itemSchema": {
                "type": "object",
                "required": ["data"],
                "properties": {
                    "data": {
                        "type": "string",
                        "description": "A `chat.completion.chunk` as JSON (the last with `citations`), or `[DONE]`.",
                    }
                },
            },
            "example": 'data: {"id": "chatcmpl-…", "object": "chat.completion.chunk", "created": 1795000000, '
            f'"model": "{MODEL_ID}", "choices": [{{"index": 0, "delta": {{"content": "…"}}, "finish_reason": null}}]}}'
            "\n\ndata: [DONE]\n\n",
        }
    },
}


def router(settings: Settings) -> APIRouter:
    routes = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])
    ChatBody = chat_request_model(settings)

    @routes.post(
        "/chat/completions",
        response_model=ChatCompletion,
        responses={200: _STREAM_DOC, **error_responses(400, 413, 422, 503)},
    )
    async def chat_completions(body: ChatBody, parts: Components, model: Model) -> ChatCompletion | Response:
        """An OpenAI chat completion: the last user message is the question, the earlier messages its history.

        The reply's content is the answer's quotes followed by numbered sources; `citations` (an extra
        field) holds the structured citations. With `stream: true`, the same content arrives as
        `chat.completion.chunk` server-sent events, the citations on the last chunk, then `[DONE]`."""
        question, history = question_and_history(body.messages)
        answer = await model.run(parts.answerer.answer, question, history=history)
        if not body.stream:
            return completion(answer)
        return ServerSentEvents(completion_events(answer))

    @routes.get("/models", response_model=ModelList, responses=error_responses(503))
    def list_models(parts: Components) -> ModelList:
        """The one model this service offers, for clients that list models first."""
        built = datetime.fromisoformat(parts.index.manifest["built_at"])
        return ModelList(data=[ModelCard(id=MODEL_ID, created=int(built.timestamp()), owned_by=MODEL_ID)])

    return routes
