"""Load the source documents and describe them (id, title, date, publisher, author).

A document's text is the file read as UTF-8 in text mode, exactly as
`open(path, encoding="utf-8").read()` returns it; every offset in the system indexes that string.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rag.cleaning import Debris, Span, content_blocks, find_debris
from rag.errors import CorpusError, DocumentNotFound

logger = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = (".txt", ".md")
_DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE_PATTERNS = (
    (re.compile(rf"\b(\d{{1,2}} (?:{_MONTHS}) \d{{4}})\b"), "%d %B %Y"),
    (re.compile(rf"\b((?:{_MONTHS}) \d{{1,2}}, \d{{4}})\b"), "%B %d, %Y"),
    (re.compile(r"\b(\d{4}-\d{2}-\d{2})\b"), "%Y-%m-%d"),
)
_PUBLISHED_BY = re.compile(r"^Published by (?P<who>[^,\n]+?)(?:,|\s+on\s|$)", re.IGNORECASE)
# A byline: "Author: Theresa Hitchens", "Written by: ..." on a line of its own (rag/byline.py quotes it).
AUTHOR_LINE = re.compile(r"^[ \t]*(?:Author|Written by)s?:[ \t]*(?P<who>[^\n]+?)[ \t]*$", re.I | re.M)
_COURTESY = re.compile(r"courtesy of,?.*?https?://(?:www\.)?(?P<site>[\w.-]+)", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"\((?P<who>[^()\n]{2,120}?)\*{2,}[^()\n]{0,10}\)")
_LABEL_PREFIX = re.compile(r"^(?:Summary|Abstract|Overview|Excerpt|Update)\s*:\s*", re.IGNORECASE)
_DATELINE_PREFIX = re.compile(r"^[A-Z][A-Z .,'-]{2,40}\s+[—–-]{1,2}\s+")


@dataclass(frozen=True, slots=True)
class Document:
    doc_id: str
    path: Path
    text: str
    sha256: str
    title: str
    date: str | None = None
    publisher: str | None = None
    author: str | None = None
    debris: list[Debris] = field(default_factory=list)
    blocks: list[Span] = field(default_factory=list)

    @property
    def length(self) -> int:
        return len(self.text)


def list_document_paths(seeds_dir: Path) -> list[Path]:
    """The corpus files in `seeds_dir` (`.txt` and `.md`), sorted by name."""
    if not seeds_dir.is_dir():
        raise CorpusError(f"seeds folder not found: {seeds_dir}")
    try:
        paths = sorted(p for p in seeds_dir.iterdir() if p.suffix.lower() in DOCUMENT_SUFFIXES and p.is_file())
    except PermissionError as exc:
        raise CorpusError(f"cannot read the seeds folder {seeds_dir}: permission denied") from exc
    if not paths:
        raise CorpusError(f"no .txt or .md documents in {seeds_dir}")
    stems = [p.stem for p in paths]
    clashes = sorted({s for s in stems if stems.count(s) > 1})
    if clashes:
        raise CorpusError(f"two documents share an id (file stem): {', '.join(clashes)}")
    return paths


def read_document_text(path: Path) -> str:
    """The file decoded as UTF-8 in text mode (universal newlines), as the citation contract reads it."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path} is not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from exc


def load_document(path: Path) -> Document:
    text = read_document_text(path)
    debris = find_debris(text)
    blocks = content_blocks(text, debris)
    meta = describe_document(text, debris, blocks, fallback_title=path.stem)
    return Document(
        doc_id=path.stem,
        path=path,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        debris=debris,
        blocks=blocks,
        **meta,
    )


def load_corpus(seeds_dir: Path) -> list[Document]:
    """Every document of the corpus folder, sorted by id."""
    docs = [load_document(p) for p in list_document_paths(seeds_dir)]
    for doc in docs:
        if not _DOC_ID.match(doc.doc_id):
            raise CorpusError(f"unsupported document file name {doc.path.name!r}: use letters, digits, . _ -")
    logger.info("loaded %d documents from %s", len(docs), seeds_dir)
    return docs


def find_document(docs: list[Document], doc_id: str) -> Document:
    for doc in docs:
        if doc.doc_id == doc_id:
            return doc
    raise DocumentNotFound(f"no document with id {doc_id!r}")


def corpus_hash(docs: list[Document]) -> str:
    """One hash over every document id and content hash: names the corpus a citation belongs to."""
    return corpus_hash_of((doc.doc_id, doc.sha256) for doc in docs)


def corpus_hash_of(pairs: Iterable[tuple[str, str]]) -> str:
    """`corpus_hash` over (doc_id, sha256) pairs (the store's rows): the same hash for the same documents."""
    h = hashlib.sha256()
    for doc_id, sha in sorted(pairs):
        h.update(f"{doc_id}\0{sha}\n".encode())
    return h.hexdigest()


# --- metadata ---------------------------------------------------------------------------------------


def parse_date(text: str) -> str | None:
    """The first date written out in `text`, as ISO `YYYY-MM-DD`, or None."""
    for pattern, fmt in _DATE_PATTERNS:
        m = pattern.search(text)
        if m:
            try:
                return datetime.strptime(m.group(1), fmt).date().isoformat()
            except ValueError:
                continue
    return None


def dateline_span(doc: Document) -> tuple[tuple[int, int], str] | None:
    """The characters of `doc`'s dateline, the heading line that dates it as `describe_document` reads it
    ("Published by NATO, 24 June 2025", "April 29, 2024"), without the spaces around it, and the date as
    written there; None when it has none."""
    for block in doc.blocks:
        line = doc.text[block.start : block.end]
        if not _is_heading(line):
            return None
        if _is_dateline(line):
            written = next(m.group(1) for pattern, _ in _DATE_PATTERNS if (m := pattern.search(line)))
            start = block.start + len(line) - len(line.lstrip())
            return (start, block.start + len(line.rstrip())), written
    return None


def _is_dateline(line: str) -> bool:
    """Whether a heading line dates the document: "Published by …" with a date, or a short line with one."""
    return bool(_PUBLISHED_BY.match(line) or len(line) <= 40) and parse_date(line) is not None


def _is_heading(line: str) -> bool:
    return 0 < len(line) <= 150 and "\n" not in line and line.rstrip()[-1] not in ".!;:"


def describe_document(text: str, debris: list[Debris], blocks: list[Span], fallback_title: str) -> dict:
    """Title, date, publisher and author, as far as the text states them.

    The title is the heading a reader would name: of the short heading lines that open the document
    (before the first paragraph), the last one; an earlier one is taken as the publisher (a site or
    organisation name above the headline). A document with no heading is titled by its first sentence.
    """
    date: str | None = None
    publisher: str | None = None
    headings: list[str] = []
    for block in blocks:
        line = text[block.start : block.end]
        if not _is_heading(line):
            break
        by = _PUBLISHED_BY.match(line)
        line_date = parse_date(line)
        if by:
            publisher = by.group("who").strip()
            date = date or line_date
        elif _is_dateline(line):
            date = date or line_date
        else:
            headings.append(line.strip().lstrip("#").strip())  # a Markdown heading's marker is not its title
    if len(headings) >= 2 and publisher is None:
        publisher = headings[0]
    title = headings[-1] if headings else _title_from_first_sentence(text, blocks) or fallback_title

    debris_text = "\n".join(text[d.start : d.end] for d in debris)
    author_m = AUTHOR_LINE.search(debris_text)
    if publisher is None:
        site = _COURTESY.search(debris_text)
        attribution = _ATTRIBUTION.search(debris_text)
        if site:
            publisher = site.group("site")
        elif attribution:
            publisher = attribution.group("who").strip()
    return {
        "title": title,
        "date": date,
        "publisher": publisher,
        "author": author_m.group("who") if author_m else None,
    }


def _title_from_first_sentence(text: str, blocks: list[Span], max_words: int = 12) -> str | None:
    if not blocks:
        return None
    first = text[blocks[0].start : blocks[0].end]
    first = _DATELINE_PREFIX.sub("", _LABEL_PREFIX.sub("", first))
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0].strip()
    words = sentence.split()
    if len(words) <= max_words:
        return sentence.rstrip(".")
    return " ".join(words[:max_words]).rstrip(",;:") + "…"
