"""A chat-model judge: one call reads the question and the top candidate quotes together and says, for
each, how likely it is to state what was asked. Used when `RAG_CHAT_MODEL` is set.

The offline judge ranks the pool first; the chat model judges its `top_n` best candidates in one call
(JSON out, read with LangChain's `PydanticOutputParser`, which also strips code fences). The rest keep a
probability no higher than the lowest the model gave, so they never overtake a quote it judged. When the
model fails, times out or replies with anything but the JSON asked for, the offline judge's probabilities
are returned unchanged: answering never depends on the chat model being up.
"""

from __future__ import annotations

import logging

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import PydanticOutputParser
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel, Field

from rag.judge import FittedJudge, JudgeCandidate, JudgeQuestion

logger = logging.getLogger(__name__)

DEFAULT_TOP_N = 5


class Verdict(BaseModel):
    quote: int = Field(description="Number of the quote judged, as listed.")
    probability: float = Field(ge=0.0, le=1.0, description="How likely the quote states what was asked.")


class Verdicts(BaseModel):
    verdicts: list[Verdict]


SYSTEM_PROMPT = """You check whether quotes answer a question. For each numbered quote, judge whether it
states what the question asks: the asked detail itself (the person for "who", the date for "when", the
amount for "how much", ...), about the thing asked about. A quote on the same subject that lacks the
asked detail does NOT answer. Reply with one JSON object and nothing else:
{{"verdicts": [{{"quote": 1, "probability": 0.9}}, {{"quote": 2, "probability": 0.05}}]}}"""

HUMAN_PROMPT = "Question: {question}\n\nQuotes:\n\n{quotes}"


class ChatJudge:
    """Judges the offline judge's best candidates with a chat model, falling back to the offline judge."""

    def __init__(self, chat_model: BaseChatModel, fallback: FittedJudge, top_n: int = DEFAULT_TOP_N) -> None:
        if top_n < 1:
            raise ValueError(f"top_n must be at least 1, got {top_n}")
        self.fallback = fallback
        self.top_n = top_n
        self.parser = PydanticOutputParser(pydantic_object=Verdicts)
        prompt = ChatPromptTemplate.from_messages([("system", SYSTEM_PROMPT), ("human", HUMAN_PROMPT)])
        self.chain = prompt | chat_model | self.parser

    @property
    def threshold(self) -> float:
        return self.fallback.threshold

    def judge(self, question: JudgeQuestion, candidates: list[JudgeCandidate]) -> list[float]:
        offline = self.fallback.judge(question, candidates)
        if not candidates:
            return offline
        top = sorted(range(len(candidates)), key=lambda i: -offline[i])[: self.top_n]
        quotes = "\n\n".join(
            f"[{n}] (context: {candidates[i].context[:300]})\n“{candidates[i].quote}”" for n, i in enumerate(top, 1)
        )
        try:
            reply: Verdicts = self.chain.invoke({"question": question.text, "quotes": quotes})
        except Exception as exc:  # any failure of the model or its reply: the offline judge answers
            logger.warning("chat-model judge failed (%s: %s); using the offline judge", type(exc).__name__, exc)
            return offline
        judged = {v.quote: v.probability for v in reply.verdicts if 1 <= v.quote <= len(top)}
        if len(judged) != len(top):
            logger.warning("chat-model judge judged %d of %d quotes; using the offline judge", len(judged), len(top))
            return offline
        probabilities = list(offline)
        for n, i in enumerate(top, 1):
            probabilities[i] = judged[n]
        floor = min(judged.values())
        chosen = set(top)
        return [p if i in chosen else min(p, floor) for i, p in enumerate(probabilities)]
