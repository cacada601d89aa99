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
AbstentionReason = Literal["off_topic", "no_referent", "other_subject", "kind_not_stated", "not_confident"]
# What each reason tells the reader, in a sentence (the web page and the CLI show it under the abstention).
ABSTENTION_REASONS: dict[str, str] = {
    "off_topic": "Nothing in the documents comes close to this question.",
    "no_referent": "The question points at something (“it”, “they”, “that”) that nothing before it names.",
    "other_subject": "The passages closest to it state the kind of value asked for (a date, a number, an amount), "
    "but of something other than what the question names.",
    "kind_not_stated": "The passages closest to it do not state the kind of thing asked for (a date, a number, "
    "an amount, a name of that kind), or not for the time asked about.",
    "not_confident": "No passage is judged likely enough to state what was asked.",
}


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
        "calibrated operating point (1 for an answer read from the documents' own words: who wrote a piece, from "
        "its byline; what an abbreviation stands for, from a definition of it).",
    )
    read_with: ReadWith = Field(
        "alone",
        description="How the question was read: alone, or with the chat history (previous_question: with the "
        "latest user questions; previous_answer: with the previous answer's quotes; elliptic: the previous "
        "question's kind of answer about a new subject). The reading whose best quote the judge trusts most.",
    )
    read_as: str | None = Field(
        None,
        description="The question as the service read it, when that differs from the question asked: an "
        "acronym the documents never use spelled out as the name they give it (null otherwise).",
    )
    abstention_reason: AbstentionReason | None = Field(
        None,
        description="Why the answer abstains (null when it answers). off_topic: nothing in the documents comes "
        "close to the question; no_referent: asked with no conversation before it, the question points at its "
        "subject ('it', 'they', 'that') without naming it; other_subject: passages judged likely enough to answer "
        "state the kind of value asked for (a date, a number, an amount), but of something other than what the "
        "question names; kind_not_stated: passages judged likely enough to answer were set aside because none "
        "states the kind of thing asked for (a date, a number, an amount, a name of that kind) or a year inside "
        "the time asked about; not_confident: no passage is judged likely "
        "enough to state what was asked.",
    )


def abstention(
    question: str,
    confidence: float,
    read_with: ReadWith = "alone",
    reason: AbstentionReason = "not_confident",
    read_as: str | None = None,
) -> Answer:
    return Answer(
        question=question,
        answer=ABSTENTION_TEXT,
        abstained=True,
        citations=[],
        confidence=confidence,
        read_with=read_with,
        read_as=read_as,
        abstention_reason=reason,
    )
