"""The evaluation set: questions with acceptable answers and gold evidence spans in the original files.

Stored as JSON Lines (`eval/questions.jsonl`), one item per line, so a review diff shows one question per
changed line. Every span is an offset pair into the unmodified seed file, like a citation.
"""

from __future__ import annotations

import json
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from rag.chat import Turn
from rag.errors import RagError
from rag.text import squash_whitespace

DEFAULT_EVAL_SET = Path("eval/questions.jsonl")
# An acceptable answer: never blank, since "" would occur in every quote.
AnswerText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
UNANSWERABLE_KINDS = frozenset({"in_domain", "off_topic"})


class Category(StrEnum):
    FACT = "fact"  # a fact stated in one document
    PARAPHRASE = "paraphrase"  # asked in words the source mostly does not use
    MULTI_DOC = "multi_doc"  # the answer needs two documents
    DISAGREEMENT = "disagreement"  # the documents state different values; the gold is every side
    FOLLOW_UP = "follow_up"  # only makes sense with its chat history
    UNANSWERABLE = "unanswerable"  # in-domain but not in the documents, or off-topic


# The minimum number of items per category (fact: at least 8 per document, checked separately).
MINIMUM_COUNTS = {
    Category.PARAPHRASE: 10,
    Category.MULTI_DOC: 5,
    Category.DISAGREEMENT: 5,
    Category.FOLLOW_UP: 5,
    Category.UNANSWERABLE: 15,
}
MINIMUM_FACTS_PER_DOCUMENT = 8


class EvalSetError(RagError):
    """The evaluation set file is missing, malformed or inconsistent with the corpus."""


class Span(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    doc_id: str
    start: int = Field(ge=0)
    end: int = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end <= self.start:
            raise ValueError(f"span end ({self.end}) must be after its start ({self.start})")
        return self


class Side(BaseModel):
    """One side of a disagreement: what one source says, and where."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answers: list[AnswerText] = Field(min_length=1)
    evidence: list[Span] = Field(min_length=1)


class EvalItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    category: Category
    question: str = Field(min_length=1)
    history: list[Turn] = Field(default_factory=list)
    answers: list[AnswerText] = Field(default_factory=list, description="Any of these in the quotes is a right answer.")
    gold_docs: list[str] = Field(default_factory=list)
    evidence: list[Span] = Field(default_factory=list)
    sides: list[Side] = Field(default_factory=list, description="Disagreement questions: every side.")
    tags: list[str] = Field(default_factory=list)
    notes: str = ""

    @property
    def answerable(self) -> bool:
        return self.category is not Category.UNANSWERABLE

    @model_validator(mode="after")
    def _consistent(self) -> EvalItem:
        if self.category is Category.UNANSWERABLE:
            if self.answers or self.evidence or self.gold_docs or self.sides:
                raise ValueError("an unanswerable item has no answers, gold documents, evidence or sides")
            if len(UNANSWERABLE_KINDS & set(self.tags)) != 1:
                raise ValueError("an unanswerable item is tagged either in_domain or off_topic")
            return self
        if not self.answers or not self.evidence or not self.gold_docs:
            raise ValueError("an answerable item needs answers, gold_docs and evidence")
        if {s.doc_id for s in self.evidence} != set(self.gold_docs):
            raise ValueError("evidence spans must cover exactly the gold documents")
        if self.category is Category.DISAGREEMENT:
            self._check_sides()
        if self.category is not Category.DISAGREEMENT and self.sides:
            raise ValueError("only disagreement items have sides")
        if self.category is Category.FOLLOW_UP and (not self.history or self.history[-1].role != "assistant"):
            raise ValueError("a follow-up item needs a history that ends with the assistant's answer")
        if self.category is Category.MULTI_DOC and len(self.gold_docs) < 2:
            raise ValueError("a multi-document item needs at least two gold documents")
        return self

    def _check_sides(self) -> None:
        if len(self.sides) < 2:
            raise ValueError("a disagreement item needs at least two sides")
        if len({s.doc_id for side in self.sides for s in side.evidence}) < 2:
            raise ValueError("the sides of a disagreement must cite at least two documents")
        if {a for side in self.sides for a in side.answers} != set(self.answers):
            raise ValueError("a disagreement item's answers must be exactly its sides' answers")
        if {s for side in self.sides for s in side.evidence} != set(self.evidence):
            raise ValueError("a disagreement item's evidence must be exactly its sides' evidence")


def matchable(text: str) -> str:
    """Text as answers are matched: typography normalised, whitespace collapsed, case folded."""
    return squash_whitespace(text).casefold()


def contains_answer(text: str, answers: list[str]) -> bool:
    """Whether any acceptable answer occurs in `text` (typography, whitespace and case ignored)."""
    haystack = matchable(text)
    return any(matchable(a) in haystack for a in answers)


def load_eval_set(path: Path) -> list[EvalItem]:
    """Items of the JSONL file at `path`; EvalSetError naming the line of the first problem."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalSetError(f"cannot read the evaluation set {path}: {exc.strerror or exc}") from exc
    items: list[EvalItem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(EvalItem.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise EvalSetError(f"{path}:{number}: {exc}") from exc
    duplicates = [i for i, n in Counter(item.id for item in items).items() if n > 1]
    if duplicates:
        raise EvalSetError(f"{path}: duplicate ids: {', '.join(sorted(duplicates))}")
    if not items:
        raise EvalSetError(f"{path}: no items")
    return items


def check_against_corpus(items: list[EvalItem], texts: dict[str, str]) -> list[str]:
    """Problems of the set against the corpus (`doc_id` -> original text); empty when consistent.

    Every span must lie inside its file; the evidence of an item must contain one of its answers, and
    every side's evidence its own answer.
    """
    problems: list[str] = []

    def spans_ok(item_id: str, spans: list[Span]) -> bool:
        ok = True
        for s in spans:
            if s.doc_id not in texts:
                problems.append(f"{item_id}: unknown document {s.doc_id!r}")
                ok = False
            elif s.end > len(texts[s.doc_id]):
                problems.append(f"{item_id}: span {s.start}-{s.end} is past the end of {s.doc_id}")
                ok = False
        return ok

    for item in items:
        if spans_ok(item.id, item.evidence):
            evidence_text = " … ".join(texts[s.doc_id][s.start : s.end] for s in item.evidence)
            if item.answerable and not contains_answer(evidence_text, item.answers):
                problems.append(f"{item.id}: no acceptable answer inside its evidence spans")
        for n, side in enumerate(item.sides, start=1):
            if not spans_ok(item.id, side.evidence):
                continue
            side_text = " … ".join(texts[s.doc_id][s.start : s.end] for s in side.evidence)
            if not contains_answer(side_text, side.answers):
                problems.append(f"{item.id}: side {n}'s answer is not inside its evidence")
            if not {s.doc_id for s in side.evidence} <= set(item.gold_docs):
                problems.append(f"{item.id}: side {n} cites a document outside gold_docs")
    return problems
