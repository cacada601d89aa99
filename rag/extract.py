"""Extract a document's canonical UTF-8 text from an uploaded file (.txt, .md, .html, .pdf, .docx).

The extracted text is what is stored, indexed and served by `GET /documents/{id}`, so every citation's
offsets index it. Extractors, each maintained and permissively licensed: trafilatura (HTML main text
without navigation or boilerplate, Apache-2.0), pypdf (PDF text page by page, BSD, pure Python),
python-docx (MIT). Every failure is an `InvalidDocument` saying what is wrong with the file.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import PurePath

from rag.errors import InvalidDocument, UnsupportedFormat

logger = logging.getLogger(__name__)

MEDIA_TYPES = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_BY_CONTENT_TYPE = {v: k for k, v in reversed(MEDIA_TYPES.items())}
SUPPORTED_SUFFIXES = tuple(MEDIA_TYPES)
# Page texts are joined by a blank line: a paragraph break, so no sentence straddles two pages.
PAGE_SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class PageSpan:
    """Page `page` (from 1) of a PDF is `text[start:end]` of the extracted text."""

    page: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ExtractedText:
    text: str
    media_type: str
    title: str | None = None
    pages: list[PageSpan] = field(default_factory=list)


def media_type_for(file_name: str | None, content_type: str | None = None) -> str:
    """The media type of an upload, from its file name's suffix (else its declared content type)."""
    suffix = PurePath(file_name or "").suffix.lower()
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    declared = (content_type or "").split(";")[0].strip().lower()
    if not suffix and declared in _BY_CONTENT_TYPE:
        return declared
    what = f"files of type {suffix!r}" if suffix else f"content of type {declared or 'unknown'!r} without a suffix"
    raise UnsupportedFormat(f"cannot read {what}; supported: {', '.join(sorted(set(MEDIA_TYPES)))}")


def extract_text(data: bytes, file_name: str | None, content_type: str | None = None) -> ExtractedText:
    """The canonical text of an uploaded file; InvalidDocument (or UnsupportedFormat) when there is none."""
    media_type = media_type_for(file_name, content_type)
    if not data:
        raise InvalidDocument("the file is empty")
    if media_type == "application/pdf":
        extracted = _pdf(data)
    elif media_type.endswith("wordprocessingml.document"):
        extracted = _docx(data)
    elif media_type == "text/html":
        extracted = _html(data)
    else:
        extracted = ExtractedText(decode_text(data), media_type)
    if not any(ch.isalnum() for ch in extracted.text):
        raise InvalidDocument("the file has no text (no letters or digits)")
    return extracted


def normalise_newlines(text: str) -> str:
    """Universal newlines, as Python's text mode reads a file: CRLF and CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_text(data: bytes) -> str:
    """Plain text as UTF-8 (a leading byte-order mark dropped), refusing binary data."""
    if b"\x00" in data[:65536]:
        raise InvalidDocument("the file is binary (it contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidDocument(
            f"the file is not valid UTF-8 ({exc.reason} at byte {exc.start}); save it as UTF-8 and upload it again"
        ) from exc
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(8, len(text[:65536]) // 100):
        raise InvalidDocument("the file is binary (it is full of control characters), not text")
    return normalise_newlines(text)


def _clean_extracted(text: str) -> str:
    lines = [line.rstrip() for line in normalise_newlines(text.replace("\x00", "")).split("\n")]
    return "\n".join(lines).strip("\n")


def _pdf(data: bytes) -> ExtractedText:
    import pypdf
    from pypdf.errors import PyPdfError

    if b"%PDF-" not in data[:1024]:
        raise InvalidDocument("the file is not a PDF (no %PDF- header)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InvalidDocument("the PDF is encrypted with a password; upload a copy without the password")
        page_texts = [_clean_extracted(page.extract_text() or "") for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or None
    except InvalidDocument:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        # pypdf reports a damaged file with many exception types; any of them means the same to the user.
        raise InvalidDocument(f"the PDF is corrupt or cannot be read ({type(exc).__name__}: {exc})") from exc
    if not any(any(ch.isalnum() for ch in t) for t in page_texts):
        raise InvalidDocument(
            "the PDF has no extractable text (it may be scanned images); run OCR on it first, then upload it again"
        )
    pages: list[PageSpan] = []
    parts: list[str] = []
    cursor = 0
    for number, page_text in enumerate(page_texts, start=1):
        if parts:
            parts.append(PAGE_SEPARATOR)
            cursor += len(PAGE_SEPARATOR)
        pages.append(PageSpan(number, cursor, cursor + len(page_text)))
        parts.append(page_text)
        cursor += len(page_text)
    return ExtractedText("".join(parts), "application/pdf", _short_title(title), pages)


def _docx(data: bytes) -> ExtractedText:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    if not data.startswith(b"PK\x03\x04"):
        raise InvalidDocument("the file is not a .docx document (not a ZIP package)")
    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                for row in block.rows:
                    cells = [c.text.strip() for c in row.cells]
                    paragraphs.append(" | ".join(c for c in cells if c))
            else:
                paragraphs.append(block.text.strip())
        title = document.core_properties.title or None
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise InvalidDocument(f"the .docx document is corrupt or cannot be read ({exc})") from exc
    text = _clean_extracted("\n\n".join(p for p in paragraphs if p))
    return ExtractedText(text, MEDIA_TYPES[".docx"], _short_title(title))


def _html(data: bytes) -> ExtractedText:
    import trafilatura

    if b"\x00" in data[:65536]:
        raise InvalidDocument("the file is binary (it contains NUL bytes), not HTML")
    try:
        html = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        html = data.decode("cp1252", errors="replace")  # old pages without a declared charset
    # favor_precision: rather lose a marginal paragraph than keep navigation or a newsletter prompt.
    text = trafilatura.extract(
        html, output_format="txt", include_comments=False, include_tables=True, favor_precision=True
    )
    if not text or not any(ch.isalnum() for ch in text):
        raise InvalidDocument("the HTML page has no main text that could be extracted")
    metadata = trafilatura.extract_metadata(html)
    return ExtractedText(_clean_extracted(text), "text/html", _short_title(metadata.title if metadata else None))


def _short_title(title: str | None) -> str | None:
    title = " ".join((title or "").split())
    return title[:200] or None
