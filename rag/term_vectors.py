"""Word vectors for soft term coverage: is each word of the question, or one close to it in meaning,
stated in a candidate quote? ("contribute" ~ "funding", "cheaper" ~ "cost-effective").

Words are embedded with the same bi-encoder as everything else, on first use (the words of a question's
candidates in one call), and kept: the vocabulary of the quotes a corpus's questions touch is small (the
five seeds hold about 1,300 content words).
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from rag.embedding import Embedder
from rag.text import stem_words, stopword_set

_WORD = re.compile(r"[A-Za-z][A-Za-z’'-]+")
_SHARED: weakref.WeakKeyDictionary[Embedder, TermVectors] = weakref.WeakKeyDictionary()


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    return stopword_set()


def content_words(text: str) -> list[str]:
    """The lower-cased words of `text` that carry content (no stop words, at least three letters)."""
    stop = _stopwords()
    return [
        w for w in (m.group(0).lower().replace("’", "'") for m in _WORD.finditer(text)) if len(w) > 2 and w not in stop
    ]


def stems(words: list[str]) -> list[str]:
    return stem_words(words)


def term_vectors_for(embedder: Embedder) -> TermVectors:
    """The word vectors of `embedder`, shared by every answerer using it (a new view of the corpus after a
    write keeps the words already embedded)."""
    found = _SHARED.get(embedder)
    if found is None:
        found = _SHARED[embedder] = TermVectors(embedder)
    return found


class TermVectors:
    """Normalised vectors of single words, embedded once each. Safe to share between the server's answer
    threads: new words are added under a lock, and a word's id is published only after the matrix holding
    its row is, so a reader never indexes past the matrix it sees."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._ids: dict[str, int] = {}
        self._rows: list[np.ndarray] = []
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._text_ids: dict[str, list[int]] = {}  # the same quotes and contexts come back question after question
        self._lock = threading.Lock()

    def ids(self, words: list[str]) -> list[int]:
        if any(w not in self._ids for w in words):
            with self._lock:
                missing = [w for w in dict.fromkeys(words) if w not in self._ids]
                if missing:
                    vectors = self.embedder.encode(missing)
                    first = len(self._rows)
                    self._rows.extend(vectors)
                    self._matrix = np.vstack(self._rows)  # published before the ids that point into it
                    for n, w in enumerate(missing):
                        self._ids[w] = first + n
        return [self._ids[w] for w in words]

    def prepare(self, texts: list[str]) -> None:
        """Embed, in one call, the words of `texts` not embedded yet (a question's candidates and contexts)."""
        missing = [t for t in texts if t not in self._text_ids]
        if missing:
            self.ids([w for t in missing for w in content_words(t)])

    def soft_coverage_of(self, question: str, idf: Callable[[str], float]) -> Callable[[str], float]:
        """A function of a text: the IDF-weighted mean, over the question's content words, of the cosine of
        the text's closest word (1 when the word itself is there)."""
        q_words = list(dict.fromkeys(content_words(question)))
        if not q_words:
            return lambda text: 0.0
        weights = np.asarray([idf(s) for s in stems(q_words)], dtype=np.float64)
        q_vectors = self._matrix_rows(self.ids(q_words))

        def soft(text: str) -> float:
            ids = self._text_ids.get(text)
            if ids is None:
                ids = self._text_ids[text] = self.ids(content_words(text))
            if not ids:
                return 0.0
            sims = q_vectors @ self._matrix_rows(ids).T
            return float((sims.max(axis=1) * weights).sum() / weights.sum())

        return soft

    def _matrix_rows(self, ids: list[int]) -> np.ndarray:
        return self._matrix[ids]
