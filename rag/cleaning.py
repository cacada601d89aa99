"""Find debris in a source text and the clean content blocks around it, in original offsets.

Nothing here rewrites the source: debris is described as spans of the original text, and content is
a list of blocks (paragraph-like spans) that never contain debris. Because every later stage (sentences,
chunks, quotes) is cut from those blocks, every offset the system returns points into the original
file, and a quote can never straddle a piece of debris.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FLAGS = re.MULTILINE | re.IGNORECASE

# kind -> pattern. Each pattern matches one piece of debris; adjacent pieces are merged afterwards.
DEBRIS_PATTERNS: dict[str, re.Pattern[str]] = {
    # Literal HTML remnants, also with spaces inside the brackets: `< / P >`, `< p >`, `<br/>`.
    "html": re.compile(r"<\s*/?\s*[a-z][a-z0-9]{0,9}(?:\s+[a-z-]+=\"[^\"<>]*\")*\s*/?\s*>", _FLAGS),
    # A "continue reading" teaser and whatever advertisement follows it, up to the end of the text.
    "advertisement": re.compile(r"Continue Reading.*\Z", _FLAGS | re.DOTALL),
    # Syndication and copyright boilerplate lines.
    "syndication": re.compile(
        r"^[ \t]*(?:Click (?:this|here|the) link for the original source\b.*"
        r"|See:? Original Article\.?"
        r"|This content is courtesy of\b.*"
        r"|(?:Originally published|Source):? .*\bhttps?://\S+.*"
        r"|Read (?:the )?(?:full|original) (?:article|story)\b.*)$",
        _FLAGS,
    ),
    # Bylines: the author is metadata, not content.
    "byline": re.compile(r"^[ \t]*(?:Author|Written by|Reporter)s?:[ \t]*[^\n]{1,100}$", _FLAGS),
    # Photo captions with a credit, and credit lines.
    "photo_credit": re.compile(
        r"^[^\n]{0,250}\([^()\n]*\b(?:Getty(?: Images)?|Reuters|AFP|AP Photo|Shutterstock|iStock|"
        r"Photo|Image|Credit|Courtesy)\b[^()\n]*\)[ \t]*$"
        r"|^[ \t]*(?:Photo(?: credit)?|Image|Credit|Picture)s?(?::| by)[ \t]*[^\n]{1,150}$",
        _FLAGS,
    ),
    # Syndicator attributions such as `(Beijing Lande Information Technology***.)`.
    "attribution": re.compile(r"\([^()\n]{0,120}\*{2,}[^()\n]{0,10}\)", _FLAGS),
}

_TERMINAL = ".!?:;\"'”’)]…"


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Debris:
    kind: str
    start: int
    end: int


def find_debris(text: str) -> list[Debris]:
    """Every debris span of `text`, sorted, with touching or overlapping spans merged."""
    found = sorted(
        (
            Debris(kind, m.start(), m.end())
            for kind, pattern in DEBRIS_PATTERNS.items()
            for m in pattern.finditer(text)
            if m.end() > m.start()
        ),
        key=lambda d: (d.start, -d.end),
    )
    merged: list[Debris] = []
    for item in found:
        if merged and text[merged[-1].end : item.start].strip() == "":
            last = merged[-1]
            if item.end > last.end:
                merged[-1] = Debris(last.kind, last.start, item.end)
            continue
        merged.append(item)
    return merged


def _is_soft_break(text: str, newline: int) -> bool:
    """A single newline inside a hard-wrapped sentence: previous line unfinished, next one lower-case."""
    before = text[max(0, newline - 80) : newline].rstrip()
    after = text[newline + 1 : newline + 40].lstrip(" \t")
    return bool(before) and before[-1] not in _TERMINAL and after[:1].islower()


def content_blocks(text: str, debris: list[Debris]) -> list[Span]:
    """Paragraph-like spans of real content: between debris, split at blank lines and hard line breaks.

    Each block is trimmed of surrounding whitespace and is never empty.
    """
    blocks: list[Span] = []
    cursor = 0
    for piece_start, piece_end in [*((d.start, d.end) for d in debris), (len(text), len(text))]:
        _split_region(text, cursor, piece_start, blocks)
        cursor = max(cursor, piece_end)
    return blocks


def _split_region(text: str, start: int, end: int, out: list[Span]) -> None:
    line_start = start
    for i in range(start, end + 1):
        if i < end and (text[i] != "\n" or _is_soft_break(text, i)):
            continue
        _append_trimmed(text, line_start, i, out)
        line_start = i + 1


def _append_trimmed(text: str, start: int, end: int, out: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if any(ch.isalnum() for ch in text[start:end]):
        out.append(Span(start, end))


def clean_slice(text: str, start: int, end: int, debris: list[Debris]) -> str:
    """`text[start:end]` with every debris span replaced by a line break (for display and indexing)."""
    parts: list[str] = []
    cursor = start
    for d in debris:
        if d.end <= start or d.start >= end:
            continue
        parts.append(text[cursor : max(cursor, d.start)])
        parts.append("\n")
        cursor = max(cursor, min(d.end, end))
    parts.append(text[cursor:end])
    joined = "".join(parts)
    return re.sub(r"[ \t]*\n\s*", "\n", joined).strip()


def contains_debris(text: str) -> bool:
    """True when `text` contains anything the debris patterns recognise (used as a safety net)."""
    return any(p.search(text) for p in DEBRIS_PATTERNS.values())
