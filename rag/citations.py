"""The answer contract: citations cut verbatim from their source, conflicts between sources, the answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from rag.corpus import Document

ABSTENTION_TEXT = "The documents do not answer this question."


class Citation(BaseModel):
    id: int = Field(description="Citation number, as it appears in the answer: [id].")
    doc_id: str
    title: str
    start: int = Field(description="Start offset (Python string index) in the original document.")
    end: int = Field(description="End offset (exclusive) in the original document.")
    quote: str = Field(description="Exactly the original document's text[start:end].")
    score: float


class Conflict(BaseModel):
    about: str = Field(description="What the sources disagree about, e.g. 'the year' or 'the number'.")
    citations: list[int] = Field(description="Ids of the citations that state the differing values.")


def cite(doc: Document, number: int, start: int, end: int, score: float) -> Citation:
    """Citation `number` of `doc.text[start:end]`: the one place a citation's quote is cut from its source."""
    return Citation(
        id=number,
        doc_id=doc.doc_id,
        title=doc.title,
        start=start,
        end=end,
        quote=doc.text[start:end],
        score=round(score, 4),
    )


ReadWith = Literal["alone", "previous_question", "previous_answer", "elliptic"]


class Answer(BaseModel):
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    conflicts: list[Conflict] = Field(
        default_factory=list, description="Where cited sources state different values for the same thing."
    )
    mode: Literal["extractive", "generative"] = Field(
        "extractive", description="Who wrote the answer text: quotes alone, or a chat model around verified quotes."
    )
    confidence: float = Field(
        0.0,
        description="The judge's probability that the best candidate quote states what was asked (0 when "
        "there is none, or when the question is off-topic for the corpus): the answer abstains below the "
        "calibrated operating point.",
    )
    read_with: ReadWith = Field(
        "alone",
        description="How the question was read: alone, or with the chat history (previous_question: with the "
        "latest user questions; previous_answer: with the previous answer's quotes; elliptic: the previous "
        "question's kind of answer about a new subject). The reading whose best quote the judge trusts most.",
    )


def abstention(question: str, confidence: float, read_with: ReadWith = "alone") -> Answer:
    return Answer(
        question=question,
        answer=ABSTENTION_TEXT,
        abstained=True,
        citations=[],
        confidence=confidence,
        read_with=read_with,
    )
