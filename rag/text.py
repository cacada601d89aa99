"""Text normalisation for matching, and the tokenisation BM25 uses.

Normalisation maps characters one-for-one, so a normalised string has exactly the length of its source
and every offset computed on it is valid in the original text.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Typographic punctuation and exotic spaces -> their plain ASCII counterparts (one char -> one char).
_CHAR_MAP = {
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’
    "\u201a": "'",  # ‚
    "\u201b": "'",  # ‛
    "\u2032": "'",  # ′
    "\u00b4": "'",  # ´
    "`": "'",
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u201f": '"',  # ‟
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
    "\u2033": '"',  # ″
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u00a0": " ",  # no-break space
    "\u2007": " ",  # figure space
    "\u2009": " ",  # thin space
    "\u200a": " ",  # hair space
    "\u202f": " ",  # narrow no-break space
    "\u2002": " ",
    "\u2003": " ",
    "\u3000": " ",
    "\ufeff": " ",  # BOM / zero-width no-break space
}
_TRANSLATION = str.maketrans(_CHAR_MAP)
_WHITESPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Map typographic quotes, dashes and unusual spaces to ASCII; the result has the same length."""
    return text.translate(_TRANSLATION)


def squash_whitespace(text: str) -> str:
    """Normalise and collapse runs of whitespace to one space (for comparing quotes, not for offsets)."""
    return _WHITESPACE.sub(" ", normalize_text(text)).strip()


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


# Question words and auxiliaries carry no topic; dropping them on both sides keeps BM25 and term
# coverage about what the question is about.
_QUESTION_WORDS = (
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "many",
    "much",
    "do",
    "does",
    "did",
    "were",
    "has",
    "have",
    "had",
    "can",
    "could",
    "would",
    "should",
    "its",
)


@lru_cache(maxsize=1)
def _stopwords() -> list[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return sorted(set(STOPWORDS_EN) | set(_QUESTION_WORDS))


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed tokens, the same way for documents and queries.

    Possessives are dropped first so that `NATO's` and `NATO’s` both become `nato`.
    """
    import bm25s

    prepared = [re.sub(r"'s\b", "", normalize_text(t)) for t in texts]
    return bm25s.tokenize(
        prepared, stopwords=_stopwords(), stemmer=_stemmer().stemWords, return_ids=False, show_progress=False
    )


def stem_words(words: list[str]) -> list[str]:
    """The Snowball stems of `words`, as `tokenize` stems them."""
    return _stemmer().stemWords(words)


def stopword_set() -> frozenset[str]:
    """The words `tokenize` drops: English stop words and question words."""
    return frozenset(_stopwords())
