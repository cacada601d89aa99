"""OpenAI-compatible chat completions: the service as a "model" for existing chat clients.

The last message is the question and the earlier user/assistant messages are its history (system and
developer messages are accepted and ignored: the service quotes, it does not follow instructions). The
reply's content is the answer with its quotes and numbered sources; the structured citations travel in
an extra `citations` field of the completion (of the last chunk when streaming).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.schemas import ANSWER_CITATION_EXAMPLE, ANSWER_EXAMPLE, QUESTION_EXAMPLE, examples, with_limits
from api.sse import sse_event
from rag.answering import Answer, Citation
from rag.chat import Turn
from rag.citations import AbstentionReason
from rag.errors import InvalidQuery
from rag.settings import Settings

MODEL_ID = "documents-qa"  # answers from the documents of this service (the NATO-and-space seeds by default)
# The same limit as a chat turn of the core (`rag.chat.Turn`), so a message that fits here fits there.
MAX_MESSAGE_CHARS = next(m.max_length for m in Turn.model_fields["content"].metadata if hasattr(m, "max_length"))
_MAX_PARTS = 64


# --- request -------------------------------------------------------------------------------------------


class TextPart(BaseModel):
    type: Literal["text"]
    text: str = Field(max_length=MAX_MESSAGE_CHARS)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")  # clients send `name` and other fields this service ignores

    role: Literal["system", "developer", "user", "assistant"]
    content: (
        Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)]
        | Annotated[list[TextPart], Field(max_length=_MAX_PARTS)]
        | None
    ) = Field(None, description="Text, or a list of text parts (images and other parts are not supported).")

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class ChatCompletionRequest(BaseModel):
    """An OpenAI chat completion request; sampling options (temperature, max_tokens ...) are ignored."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {"model": MODEL_ID, "messages": [{"role": "user", "content": QUESTION_EXAMPLE}]},
                {
                    "model": MODEL_ID,
                    "stream": True,
                    "messages": [
                        {"role": "user", "content": QUESTION_EXAMPLE},
                        {"role": "assistant", "content": ANSWER_EXAMPLE["answer"]},
                        {"role": "user", "content": "When was it established?"},
                    ],
                },
            ]
        },
    )

    model: str = Field(MODEL_ID, description=f"Any name; the reply names the one model, {MODEL_ID!r}.")
    messages: list[ChatMessage] = Field(
        min_length=1, description="The chat so far, oldest first; the last message is the user's question."
    )
    stream: bool = Field(False, description="Reply as server-sent `chat.completion.chunk` events.")


def chat_request_model(settings: Settings) -> type[ChatCompletionRequest]:
    """ChatCompletionRequest with the history limit of `settings` (every message counts, system ones too)."""
    return with_limits(ChatCompletionRequest, messages=(Field(max_length=settings.max_history_turns + 1),))


def question_and_history(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """The last message as the question and the earlier user/assistant messages as its history."""
    last = messages[-1]
    if last.role != "user":
        raise InvalidQuery(f"the last message must be the user's question, not a {last.role!r} message")
    try:
        history = [Turn(role=m.role, content=m.text()) for m in messages[:-1] if m.role in ("user", "assistant")]
    except ValidationError:
        raise InvalidQuery(f"a message's text is longer than {MAX_MESSAGE_CHARS} characters") from None
    return last.text(), history


# --- response ------------------------------------------------------------------------------------------


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    model_config = examples(
        {
            "id": "chatcmpl-5f0c…",
            "object": "chat.completion",
            "created": 1795000000,
            "model": MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": ANSWER_EXAMPLE["answer"] + "\n\nSources:\n[1] …"},
                    "finish_reason": "stop",
                }
            ],
            "citations": [ANSWER_CITATION_EXAMPLE],
            "abstained": False,
        }
    )

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    citations: list[Citation] = Field(description="The answer's citations: text[start:end] == quote.")
    abstained: bool = Field(description="True when the documents do not answer the question.")
    abstention_reason: AbstentionReason | None = Field(
        None, description="Why the answer abstains (null when it answers): as in the answer contract of /ask."
    )


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    citations: list[Citation] | None = Field(None, description="On the last chunk only.")
    abstained: bool | None = Field(None, description="On the last chunk only.")
    abstention_reason: AbstentionReason | None = Field(None, description="On the last chunk of an abstention only.")

    def sse_data(self) -> str:
        """The chunk as the `data:` of an event: unset extras left out, `finish_reason` always present."""
        data = self.model_dump(mode="json", exclude_none=True)
        for choice in data["choices"]:
            choice.setdefault("finish_reason", None)
        return json.dumps(data, ensure_ascii=False)


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    model_config = examples(
        {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "documents-qa"}]}
    )

    object: Literal["list"] = "list"
    data: list[ModelCard]


def reply_pieces(answer: Answer) -> list[str]:
    """The reply's content in the pieces it is streamed in: each quote with its marker, then the sources.

    Joined, they are the content of the non-streaming reply."""
    quotes = re.split(r"(?<=\]) (?=“)", answer.answer)
    pieces = [q if i == 0 else " " + q for i, q in enumerate(quotes)]
    if answer.citations:
        pieces.append("\n\nSources:")
        pieces += [f"\n[{c.id}] {c.title} ({c.doc_id}, characters {c.start}-{c.end})" for c in answer.citations]
    return pieces


def completion(answer: Answer) -> ChatCompletion:
    return ChatCompletion(
        id=_completion_id(),
        created=int(time.time()),
        model=MODEL_ID,
        choices=[Choice(message=AssistantMessage(content="".join(reply_pieces(answer))))],
        citations=answer.citations,
        abstained=answer.abstained,
        abstention_reason=answer.abstention_reason,
    )


def completion_chunks(answer: Answer) -> Iterator[ChatCompletionChunk]:
    """The reply as OpenAI stream chunks: the role, the content piece by piece, then the finish with the
    citations."""
    common = {"id": _completion_id(), "created": int(time.time()), "model": MODEL_ID}
    yield ChatCompletionChunk(**common, choices=[ChunkChoice(delta=Delta(role="assistant", content=""))])
    for piece in reply_pieces(answer):
        yield ChatCompletionChunk(**common, choices=[ChunkChoice(delta=Delta(content=piece))])
    yield ChatCompletionChunk(
        **common,
        choices=[ChunkChoice(delta=Delta(), finish_reason="stop")],
        citations=answer.citations,
        abstained=answer.abstained,
        abstention_reason=answer.abstention_reason,
    )


def completion_events(answer: Answer) -> Iterator[bytes]:
    """The stream of a reply: one event per chunk, then `[DONE]`, as OpenAI sends them."""
    for chunk in completion_chunks(answer):
        yield sse_event(chunk.sse_data())
    yield sse_event("[DONE]")


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"
