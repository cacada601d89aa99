"""Check quotes and citations against the corpus.

`verify_quote` says where a quote attributed to these documents occurs: exact matches with their offsets
in the original text, or, failing that, the closest passage with a similarity score. "Exact" tolerates
typography and whitespace: both sides are normalised one-for-one (`normalize_text`, so every offset is
valid in the original) and any run of whitespace in the quote matches any run of whitespace in the text.
The closest passage comes from rapidfuzz's `partial_ratio_alignment` (the best-aligned substring, in C,
instead of a hand-written sliding window) over overlapping windows of each document.

`span_in_context` resolves a citation (`doc_id`, `start`, `end`) to its text and the text around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, TypeVar

from pydantic import BaseModel, Field
from rapidfuzz import fuzz

from rag.corpus import Document
from rag.errors import InvalidQuery
from rag.text import normalize_text, squash_whitespace

MAX_QUOTE_CHARS = 5000
MAX_CONTEXT_CHARS = 5000
# A closest passage scoring at least this (0..100) is reported as a close match: the same words with a
# few differences (a changed word, a dropped comma), not merely the same topic.
CLOSE_SCORE = 90.0
# Quotes up to this long are aligned exactly (partial_ratio_alignment), longer ones coarse to fine.
_SHORT_QUOTE = 128
# Windows for exact alignment are at least this long, so a short quote is compared with whole sentences.
_MIN_WINDOW = 400
# Word boundaries tried for each edge of the closest passage.
_MAX_EDGE_CANDIDATES = 48
_QUOTE_MARKS = "\"'"
_WHITESPACE_CHAR = re.compile(r"\s")

Verdict = Literal["exact", "close", "not_found"]


class QuoteLocation(BaseModel):
    """A span of a document: `text` is exactly `document.text[start:end]`."""

    doc_id: str
    title: str
    start: int = Field(description="Start offset (Python string index) in the original document.")
    end: int = Field(description="End offset (exclusive) in the original document.")
    text: str = Field(description="Exactly the original document's text[start:end].")


LocationT = TypeVar("LocationT", bound=QuoteLocation)


class ClosestPassage(QuoteLocation):
    score: float = Field(ge=0, le=100, description="Similarity of the quote and `text`, 0 to 100.")


class QuoteVerification(BaseModel):
    quote: str
    verdict: Verdict = Field(
        description=f"exact: found verbatim (typography and whitespace aside); close: the closest passage "
        f"scores at least {CLOSE_SCORE:g}; not_found: neither."
    )
    matches: list[QuoteLocation] = Field(description="Every exact occurrence, in document order.")
    closest: ClosestPassage | None = Field(description="The most similar passage when there is no exact match.")


class SpanInContext(BaseModel):
    doc_id: str
    title: str
    start: int
    end: int
    text: str = Field(description="Exactly the original document's text[start:end].")
    context_start: int
    context_end: int
    before: str = Field(description="text[context_start:start]")
    after: str = Field(description="text[end:context_end]")


def verify_quote(quote: str, documents: Iterable[Document]) -> QuoteVerification:
    """Where `quote` occurs in `documents`: exact matches, or else the closest passage."""
    cleaned = _validate_quote(quote)
    documents = list(documents)
    matches: list[QuoteLocation] = []
    for candidate in _quote_variants(cleaned):
        matches = [
            _location(doc, start, end, QuoteLocation) for doc in documents for start, end in find_exact(candidate, doc)
        ]
        if matches:
            return QuoteVerification(quote=quote, verdict="exact", matches=matches, closest=None)
    closest = max(
        (found for doc in documents if (found := closest_passage(cleaned, doc)) is not None),
        key=lambda p: p.score,
        default=None,
    )
    verdict: Verdict = "close" if closest is not None and closest.score >= CLOSE_SCORE else "not_found"
    return QuoteVerification(quote=quote, verdict=verdict, matches=[], closest=closest)


def find_exact(quote: str, doc: Document) -> list[tuple[int, int]]:
    """Spans of `doc.text` equal to `quote` up to typography and runs of whitespace."""
    words = normalize_text(quote).split()
    if not words:
        return []
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    return [m.span() for m in pattern.finditer(normalize_text(doc.text))]


def closest_passage(quote: str, doc: Document) -> ClosestPassage | None:
    """The passage of `doc` most similar to `quote`, widened to whole words, with its score (0..100).

    Comparison ignores case, typography and the kind of whitespace.
    """
    needle = squash_whitespace(quote).lower()
    if not needle or not doc.text:
        return None
    haystack = _WHITESPACE_CHAR.sub(" ", normalize_text(doc.text)).lower()  # one-for-one: offsets hold
    if len(needle) <= _SHORT_QUOTE:
        start, end = _best_substring(needle, haystack)
    else:
        start = _best_window_start(needle, haystack)
        end = min(len(haystack), start + len(needle))
    start, end = _best_edges(needle, doc.text, *_whole_words(doc.text, start, end))
    if start >= end:
        return None
    return _location(doc, start, end, ClosestPassage, score=round(_similarity(needle, doc.text[start:end]), 1))


def _similarity(needle: str, passage: str) -> float:
    return fuzz.ratio(needle, squash_whitespace(passage).lower())


def _best_edges(needle: str, text: str, start: int, end: int) -> tuple[int, int]:
    """Move the end, then the start, to the word boundary nearby where the passage matches best.

    The alignment found a passage as long as the quote; a quote that drops or adds words matches a
    longer or shorter passage, whose other words would otherwise be cut off or added."""
    if start >= end:
        return start, end
    reach = max(len(needle) // 4, 20)
    ends = [i for i in range(max(start + 1, end - reach), min(len(text), end + reach) + 1) if _ends_word(text, i)]
    end = max(_spread(ends, _MAX_EDGE_CANDIDATES), key=lambda e: _similarity(needle, text[start:e]), default=end)
    starts = [i for i in range(max(0, start - reach), min(end, start + reach)) if _starts_word(text, i)]
    start = max(_spread(starts, _MAX_EDGE_CANDIDATES), key=lambda s: _similarity(needle, text[s:end]), default=start)
    return start, end


def _ends_word(text: str, i: int) -> bool:
    return i > 0 and not text[i - 1].isspace() and (i == len(text) or text[i].isspace())


def _starts_word(text: str, i: int) -> bool:
    return i < len(text) and not text[i].isspace() and (i == 0 or text[i - 1].isspace())


def _spread(items: list[int], most: int) -> list[int]:
    """At most `most` of `items`, evenly spread (long quotes have many boundaries to try)."""
    step = max(1, -(-len(items) // most))
    return items[::step]


def _best_substring(needle: str, haystack: str) -> tuple[int, int]:
    """The best-aligned substring (partial_ratio_alignment) over windows that overlap by the needle's
    length, so any passage as long as the needle lies whole inside one of them. Exact but quadratic in the
    needle's length, hence for short needles."""
    width = max(2 * len(needle), _MIN_WINDOW)
    step = width - len(needle)
    best = (-1.0, 0, 0)
    for offset in range(0, max(len(haystack) - len(needle), 0) + 1, step):
        aligned = fuzz.partial_ratio_alignment(needle, haystack[offset : offset + width])
        if aligned is not None and aligned.score > best[0]:
            best = (aligned.score, offset + aligned.dest_start, offset + aligned.dest_end)
    return best[1], best[2]


def _best_window_start(needle: str, haystack: str) -> int:
    """Where a window of the needle's length matches it best (fuzz.ratio), searched coarse to fine: every
    eighth of the needle's length first, then ever closer around the best start so far. A shift of a few
    characters costs a long needle little, so the coarse pass lands near the best place."""
    length, last = len(needle), max(len(haystack) - len(needle), 0)

    def score(start: int) -> float:
        return fuzz.ratio(needle, haystack[start : start + length])

    stride = max(1, length // 8)
    best = max(range(0, last + 1, stride), key=score)
    while stride > 1:
        radius, stride = stride, max(1, stride // 8)
        best = max(range(max(0, best - radius), min(last, best + radius) + 1, stride), key=score)
    return best


def span_in_context(doc: Document, start: int, end: int, context: int) -> SpanInContext:
    """`doc.text[start:end]` with up to `context` characters on either side; InvalidQuery for a bad span."""
    length = len(doc.text)
    if start < 0 or end < 0:
        raise InvalidQuery(f"start and end must not be negative, got start={start}, end={end}")
    if start >= end:
        raise InvalidQuery(f"start ({start}) must be smaller than end ({end})")
    if end > length:
        raise InvalidQuery(f"end ({end}) is past the end of document {doc.doc_id!r} ({length} characters)")
    if not 0 <= context <= MAX_CONTEXT_CHARS:
        raise InvalidQuery(f"context must be from 0 to {MAX_CONTEXT_CHARS}, got {context}")
    context_start, context_end = max(0, start - context), min(length, end + context)
    return SpanInContext(
        doc_id=doc.doc_id,
        title=doc.title,
        start=start,
        end=end,
        text=doc.text[start:end],
        context_start=context_start,
        context_end=context_end,
        before=doc.text[context_start:start],
        after=doc.text[end:context_end],
    )


def _validate_quote(quote: str) -> str:
    stripped = quote.strip()
    if not stripped:
        raise InvalidQuery("the quote is empty")
    if len(stripped) > MAX_QUOTE_CHARS:
        raise InvalidQuery(f"the quote is {len(stripped)} characters long; the limit is {MAX_QUOTE_CHARS}")
    return stripped


def _quote_variants(quote: str) -> list[str]:
    """The quote as given and, if it is wrapped in quotation marks, without them (as copied from an answer)."""
    normalized = normalize_text(quote)
    if len(normalized) > 2 and normalized[0] in _QUOTE_MARKS and normalized[-1] == normalized[0]:
        return [quote, quote[1:-1].strip()]
    return [quote]


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) so it neither begins nor ends inside a word, then trim surrounding whitespace."""
    while 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while 0 < end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _location(doc: Document, start: int, end: int, model: type[LocationT], **extra: float) -> LocationT:
    return model(doc_id=doc.doc_id, title=doc.title, start=start, end=end, text=doc.text[start:end], **extra)
