"""A question in the documents' own words, before it is read: the spellings a user may not share with them.

- An acronym the documents never use is replaced by the capitalised name they spell it with ("ISAF" ->
  "International Security Assistance Force", `rag/acronyms.py`).
- In a question typed in lower case, the names and abbreviations the documents never write in lower case
  get their capitals back ("apss" -> "APSS", "luxembourg" -> "Luxembourg", `rag/definitions.py`): what a
  question asks for and which names it gives are read from capitals.

Both tables are built from the corpus's sentences on the first question that needs them, once per index.
A question typed without its question mark gets one (`as_question`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property

from rag.acronyms import Acronyms, acronyms_in
from rag.answer_types import is_polar
from rag.candidates import TermStatistics
from rag.definitions import lower_case_words, restore_case, typed_in_lower_case, written_case
from rag.index_store import CorpusIndex
from rag.kind_check import answer_check
from rag.text import tokenize


class DocumentWording:
    """The documents' spellings of names, over one loaded index."""

    def __init__(self, index: CorpusIndex, stats: TermStatistics) -> None:
        self.index = index
        self.stats = stats

    @cached_property
    def acronyms(self) -> Acronyms:
        """The documents' names by their initials (built on the first question with an acronym they never use)."""
        return Acronyms(s.text for s in self.index.sentences)

    @cached_property
    def written_case(self) -> dict[str, str]:
        """The documents' names and abbreviations by their lower case (built on the first question typed in
        lower case: about 0.16 s per MB of text)."""
        return written_case(s.text for s in self.index.sentences)

    @cached_property
    def lower_case_words(self) -> frozenset[str]:
        """Every word the documents write in lower case somewhere ("alliance", "allies"; built on the first
        question asking for a kind of name)."""
        return lower_case_words(s.text for s in self.index.sentences)

    def answer_check(self, question: str) -> Callable[[str], bool] | None:
        """The answer-kind check of `question` (`rag/kind_check.py`), a name counting by a word of its own."""
        return answer_check(question, self.lower_case_words)

    def cased(self, question: str) -> str:
        """`question` with names and abbreviations typed in lower case as the documents write them."""
        return restore_case(question, self.written_case) if typed_in_lower_case(question) else question

    def spelled_out(self, question: str) -> str:
        """`question` with the acronyms no document uses replaced by the names the documents spell them with."""

        def unused(acronym: str) -> bool:
            terms = tokenize([acronym])[0]
            return bool(terms) and all(t not in self.stats.df for t in terms)

        if not any(map(unused, acronyms_in(question))):
            return question
        return self.acronyms.expand(question, unused)


_ASKING = re.compile(r"^\s*(?:who|whom|whose|what|when|where|which|why|how)\b", re.I)


def as_question(text: str) -> str:
    """`text` ending in a question mark when it asks something and ends with no mark of its own ("how much did
    Luxembourg pay for 3SAS" -> "...3SAS?"): the embedding model reads the two differently (cosine to the
    sentence that answers: 0.59 without the mark, 0.72 with it), and the judge was fitted on questions that
    have it. The answer still gives the question as asked."""
    stripped = text.rstrip()
    if stripped.endswith((".", "?", "!")) or not (_ASKING.match(stripped) or is_polar(stripped)):
        return text
    return f"{stripped}?"
