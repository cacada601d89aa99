"""Split documents into sentences and pack whole sentences into overlapping chunks.

Sentences come from pysbd, a rule-based splitter that returns character spans, handles abbreviations
("U.S.", "Dr.") and decimals, and needs no model download (NLTK's punkt would); LangChain's splitters cut
by character counts and do not report sentence spans. Sentences are split inside content blocks only,
so none crosses debris or a paragraph break.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.cleaning import clean_slice
from rag.corpus import Document

_LEADING_JUNK = " \t\n\u00a0•◦▪‣·*-–—>"
_QUOTABLE_END = re.compile(r"[.!;…]['\"”’)\]]*$")
MIN_QUOTABLE_WORDS = 4


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a document; `doc.text[start:end] == text`. Headings and questions are not quotable."""

    doc_id: str
    start: int
    end: int
    text: str
    block: int
    quotable: bool


@dataclass(frozen=True, slots=True)
class Chunk:
    """Whole consecutive sentences of one document; `start`/`end` are original offsets.

    `text` is the clean text of that range (debris removed), which is what gets indexed and shown.
    """

    chunk_id: int
    doc_id: str
    start: int
    end: int
    text: str
    sentence_ids: tuple[int, ...]


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def split_sentences(doc: Document) -> list[Sentence]:
    """The sentences of every content block of `doc`, trimmed of whitespace and list bullets."""
    sentences: list[Sentence] = []
    for block_no, block in enumerate(doc.blocks):
        # Soft line breaks inside a block become spaces for the splitter only (same length, same offsets).
        block_text = doc.text[block.start : block.end].replace("\n", " ")
        for seg in _segmenter().segment(block_text):
            start, end = block.start + seg.start, block.start + seg.end
            while start < end and doc.text[start] in _LEADING_JUNK:
                start += 1
            while end > start and doc.text[end - 1].isspace():
                end -= 1
            if start >= end or not any(ch.isalnum() for ch in doc.text[start:end]):
                continue
            text = doc.text[start:end]
            sentences.append(Sentence(doc.doc_id, start, end, text, block_no, is_quotable(text)))
    return sentences


def is_quotable(sentence: str) -> bool:
    """A statement worth quoting: ends like a sentence and has a few words (not a heading or question)."""
    return bool(_QUOTABLE_END.search(sentence)) and len(sentence.split()) >= MIN_QUOTABLE_WORDS


def sentence_contexts(sentences: list[Sentence]) -> list[str]:
    """For each sentence, the text it is read in: its section heading, the sentence before it in the
    same paragraph, then the sentence itself. A sentence often names its subject only there."""
    contexts: list[str] = []
    heading: str | None = None
    block_sizes: dict[tuple[str, int], int] = {}
    for s in sentences:
        block_sizes[(s.doc_id, s.block)] = block_sizes.get((s.doc_id, s.block), 0) + 1
    for i, s in enumerate(sentences):
        if i == 0 or sentences[i - 1].doc_id != s.doc_id:
            heading = None
        if not s.quotable and block_sizes[(s.doc_id, s.block)] == 1 and len(s.text.split()) <= 15:
            heading = s.text
        parts = [heading] if heading and heading != s.text else []
        if i > 0 and sentences[i - 1].doc_id == s.doc_id and sentences[i - 1].block == s.block:
            parts.append(sentences[i - 1].text)
        parts.append(s.text)
        contexts.append("\n".join(parts))
    return contexts


def chunk_sentences(
    doc: Document,
    sentences: list[Sentence],
    first_sentence_id: int,
    first_chunk_id: int,
    chunk_size: int,
    chunk_overlap: int,
) -> list[Chunk]:
    """Greedily pack `sentences` (all of `doc`, global ids from `first_sentence_id`) into chunks.

    A chunk holds whole sentences up to about `chunk_size` characters (a longer sentence gets a chunk
    of its own); the next chunk repeats trailing sentences of up to `chunk_overlap` characters.
    """
    chunks: list[Chunk] = []
    i, n = 0, len(sentences)
    while i < n:
        j = i
        length = 0
        while j < n and (j == i or length + _span_len(sentences[j]) <= chunk_size):
            length += _span_len(sentences[j])
            j += 1
        start, end = sentences[i].start, sentences[j - 1].end
        chunks.append(
            Chunk(
                chunk_id=first_chunk_id + len(chunks),
                doc_id=doc.doc_id,
                start=start,
                end=end,
                text=clean_slice(doc.text, start, end, doc.debris),
                sentence_ids=tuple(range(first_sentence_id + i, first_sentence_id + j)),
            )
        )
        if j >= n:
            break
        # Step back over whole sentences that fit in the overlap, but always move forward.
        back, overlap = j, 0
        while back - 1 > i and overlap + _span_len(sentences[back - 1]) <= chunk_overlap:
            back -= 1
            overlap += _span_len(sentences[back])
        i = back
    return chunks


def _span_len(sentence: Sentence) -> int:
    return sentence.end - sentence.start + 1
