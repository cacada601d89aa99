"""Acronyms the documents spell out but never use.

"How long did the ISAF mission last?" shares no word with "During the 12-year combat mission of NATO's
International Security Assistance Force in Afghanistan, …": the documents never write "ISAF", so neither
retrieval nor the judge can tell that the question is about that force, and the question falls under the
off-topic floor. An acronym of the question that no document uses is read as the capitalised name of the
documents whose initials spell it ("International Security Assistance Force"), when there is one such name,
or one written more often than any other. Small words inside a name do not count ("Alliance Persistent
Surveillance from Space" is APSS).

A wrong expansion would answer a question nobody asked, so the reading is conservative:
- only names written with capitals count (in lower case almost any run of words spells some acronym), and
  no possessive ("NATO’s Space Agenda" is no name for "NSA");
- only acronyms of three to six letters: two letters spell too many names ("AI" would be "Article IV").

An acronym the documents do use (NATO, APSS) is left as it is, and so is one that no name of theirs spells
("What does DNA stand for?"). A question asking what an acronym stands for is left as it is too: the
expansion would be its answer, and the documents never state it ("What does CSS stand for?" is not
answered with the Commercial Space Strategy).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

# An acronym as questions write it: three to six capitals, perhaps a plural "s" ("NGOs").
_ACRONYM = re.compile(r"\b([A-Z]{3,6})s?\b")
WORD = re.compile(r"[\w'’-]+")  # a word, with its apostrophes and hyphens
# Words a name may hold without their initial counting.
SMALL_WORDS = frozenset({"of", "for", "from", "the", "and", "in", "on", "to", "at", "de", "du", "des", "la", "le"})
_MAX_LETTERS = 6
SPACES = re.compile(r"[ \u00a0]+")  # what may stand between two words of a name
_POSSESSIVE = re.compile(r"['’]s$")
# A question about what an abbreviation stands for ("What does APSS stand for?", "the full name of ..."):
# spelling it out would answer it for the documents, and `rag/definitions.py` answers it from theirs.
ASKS_EXPANSION = re.compile(
    r"\bstands? for\b|\bshort for\b|\babbreviat|\bacronym|\bfull (?:form|name|title)\b|\bspell(?:ed|s)? out\b"
    r"|\bwhat(?: is|'s|’s) the expansion of\b|\bwhat (?:does|do|did) (?:the )?\S+ (?:mean|refer to)\b",
    re.I,
)


def _is_capitalised(word: str) -> bool:
    """A word of a name: capitalised, and not a possessive ("NATO’s Space Agenda" names no "NSA")."""
    return word[0].isupper() and not _POSSESSIVE.search(word)


def names_by_initials(texts: Iterable[str]) -> dict[str, Counter[str]]:
    """For each string of initials, the capitalised names of `texts` that spell it, with how often each is
    written. A name is a run of two to six capitalised words, separated only by spaces and small words,
    that starts and ends with a capitalised word."""
    names: dict[str, Counter[str]] = {}
    for text in texts:
        words = list(WORD.finditer(text))
        for i, first in enumerate(words):
            if not _is_capitalised(first.group(0)):
                continue
            initials = first.group(0)[0]
            for j in range(i + 1, len(words)):
                gap = text[words[j - 1].end() : words[j].start()]
                word = words[j].group(0)
                if SPACES.fullmatch(gap) is None or not (_is_capitalised(word) or word.lower() in SMALL_WORDS):
                    break
                if word.lower() in SMALL_WORDS:
                    continue
                initials += word[0]
                if len(initials) > _MAX_LETTERS:
                    break
                names.setdefault(initials.upper(), Counter())[text[first.start() : words[j].end()]] += 1
    return names


def acronyms_in(question: str) -> list[str]:
    """The acronyms `question` writes (without a plural "s")."""
    return [m.group(1) for m in _ACRONYM.finditer(question)]


class Acronyms:
    """Expands a question's acronyms that the documents never use into the names they spell there."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.names = names_by_initials(texts)

    def expansion(self, acronym: str) -> str | None:
        """The name of the documents that spells `acronym`: the only one, or the one written most often;
        None when none does or two are written equally often."""
        spelled = self.names.get(acronym)
        if not spelled:
            return None
        (best, count), *rest = spelled.most_common(2)
        return None if rest and rest[0][1] == count else best

    def expand(self, question: str, unused: Callable[[str], bool]) -> str:
        """`question` with each acronym that the documents never use (`unused`) replaced by the name they
        spell it with."""

        def replace(m: re.Match[str]) -> str:
            name = self.expansion(m.group(1)) if unused(m.group(1)) else None
            return m.group(0) if name is None else name

        return question if ASKS_EXPANSION.search(question) else _ACRONYM.sub(replace, question)
