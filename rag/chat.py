"""Chat turns and follow-up questions: the history a client sends, and the query it implies.

A follow-up such as "When was it established?" names its subject only in an earlier turn. Without a
language model, the retrieval query is the follow-up together with the most recent earlier user
question, so the subject comes along; a self-contained question is left as it is.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.citations import ABSTENTION_TEXT
from rag.errors import InvalidQuery

Role = Literal["user", "assistant"]

# Words that point back at something said before: the question depends on its history. "that" counts
# only as a pronoun or determiner after a verb or preposition ("Who said that?", "Why was that base
# chosen?"), not as a conjunction; "one" only in "the Arctic one".
_REFERRING = re.compile(
    r"\b(?:it|its|it's|they|them|their|theirs|he|him|his|she|her|this|these|those|the same|the other|"
    r"the latter|the former)\b"
    r"|\b(?:is|was|are|were|mean|means|about|of|for|in|on|at|by|from|with) that\b"
    r"|\bthat\s*\?"
    r"|\bthe \w+ (?:one|ones)\b",
    re.IGNORECASE,
)
ELLIPTIC_START = re.compile(r"^\s*(?:and|what about|how about|also|but|or)\b", re.IGNORECASE)
# The quotes of an earlier answer, as this service writes them: “quote” [n].
_QUOTED = re.compile(r"“(.+?)”\s*\[\d+\]", re.DOTALL)
# A question this short rarely names its own subject ("When?", "Who leads it?").
_SHORT_QUESTION_WORDS = 4


class Turn(BaseModel):
    """One message of a chat: what the user asked or what the service answered."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    content: str = Field(max_length=20_000)


def is_follow_up(question: str) -> bool:
    """Whether `question` leans on an earlier turn for its subject."""
    words = re.findall(r"\w+", question)
    return bool(_REFERRING.search(question) or ELLIPTIC_START.match(question) or len(words) <= _SHORT_QUESTION_WORDS)


def is_elliptic(question: str) -> bool:
    """Whether `question` repeats the previous question about something else ("And the Arctic one?")."""
    return bool(ELLIPTIC_START.match(question))


def previous_user_question(history: list[Turn]) -> str | None:
    previous = previous_user_questions(history, 1)
    return previous[-1] if previous else None


def previous_user_questions(history: list[Turn], n: int) -> list[str]:
    """The latest `n` user questions of `history`, oldest first."""
    previous = [t.content.strip() for t in history if t.role == "user" and t.content.strip()]
    return previous[-n:] if n > 0 else []


def previous_quotes(history: list[Turn]) -> list[str]:
    """What the most recent answer quoted: the “…” quotes of this service's answers, or else the whole
    answer (a client may send the answer text in its own words); nothing when that answer was this
    service's abstention (its words name nothing the question could refer to)."""
    for turn in reversed(history):
        if turn.role == "assistant" and turn.content.strip():
            if turn.content.strip().startswith(ABSTENTION_TEXT):
                return []
            return quotes_in(turn.content)
    return []


def quotes_in(answer: str) -> list[str]:
    """What an answer quoted: its “…” [n] quotes, or else the whole answer (a client may send the answer in its
    own words)."""
    return _QUOTED.findall(answer) or [answer.strip()]


def validate_history(history: list[Turn] | None, max_turns: int) -> list[Turn]:
    history = list(history or [])
    if len(history) > max_turns:
        raise InvalidQuery(f"the history has {len(history)} turns; the limit is {max_turns}")
    return history


def contextualize(question: str, history: list[Turn], max_chars: int) -> str:
    """The retrieval query for `question` asked after `history`, at most `max_chars` long.

    A follow-up is prefixed with the most recent earlier user question, so its subject takes part in
    retrieval and scoring; a self-contained question, or one with no earlier user turn, is returned as is.
    """
    previous = previous_user_question(history)
    room = max_chars - len(question) - 1
    if previous is None or room <= 0 or not is_follow_up(question):
        return question
    return f"{previous[-room:]} {question}"
