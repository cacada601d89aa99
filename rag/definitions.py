"""Where a text spells out an abbreviation, and whether a question asks for that.

"What does NSS6G stand for?" is answered by a sentence that defines the abbreviation: "… through the NATO
SATCOM Services 6th Generation (NSS6G) project". Such a sentence writes the long form and the abbreviation
side by side, in one of the ways English documents define one:

- the long form, then the abbreviation in brackets: "the NATO Space Operations Centre (NSpOC)";
- the abbreviation, then the long form in brackets: "NSpOC (NATO Space Operations Centre)";
- the long form, then ", or" and the abbreviation: "NATO SATCOM Services 6th Generation, or NSS6G".

The long form is the run of capitalised words (and words that open with a digit, "6th", "Post-2000"; small
words such as "of" and "from" may stand inside it) written next to the abbreviation, at most as many as the
abbreviation has letters: a capital counts once, a leading digit repeats the capital after it ("3SAS" is
five words: Strategic Space Situational Awareness System), any other number is one word ("NSS6G": "6th"). Whether the
initials match is not checked: a document that writes "the Space Alliance Continuous Surveillance (APSS)"
defines APSS that way, and a reader asking what APSS stands for must see it (it disagrees with "Alliance
Persistent Surveillance from Space (APSS)" in another document).

The same reading of abbreviations gives a question typed in lower case its capitals back
(`written_case`, `restore_case`, used by `rag/wording.py`): "what does apss stand for" asks what APSS
stands for only once "apss" is seen as the documents' "APSS".

Why not a truecasing library: PyPI's `truecase` 0.0.14 (a statistical model of news English) needs NLTK's
punkt data downloaded at run time, and no general model knows this corpus's spellings ("NSpOC", "3SAS").

Why not a library: `abbreviation-extractor` (Schwartz-Hearst, Rust) was tried on the seeds and found 6 of
the 9 definitions they write; it requires the long form to contain the abbreviation's letters in order
and misses abbreviations that open with a digit ("3SAS"), so it misses the translated APSS and 3SAS.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rag.acronyms import ASKS_EXPANSION, SMALL_WORDS, SPACES, WORD

# An abbreviation: a word with two capitals or more, letters and digits only ("APSS", "NSpOC", "3SAS", "CoE").
ABBREVIATION = r"(?=[A-Za-z0-9]*[A-Z][A-Za-z0-9]*[A-Z])[A-Za-z0-9]{2,10}"
_IN_TEXT = re.compile(rf"\b({ABBREVIATION})\b(?![’']s\b)")
_SMALL = SMALL_WORDS | {"a", "an"}


@dataclass(frozen=True, slots=True)
class Definition:
    """`text[start:end]` spells out `abbreviation`."""

    abbreviation: str
    start: int
    end: int


def abbreviations_in(text: str) -> list[str]:
    """The abbreviations `text` writes, leaving out possessives ("NATO’s APSS" -> APSS)."""
    return [m.group(1) for m in _IN_TEXT.finditer(text)]


# A word in lower case that may be a name or an abbreviation typed without its capitals ("nspoc", "3sas").
_LOWER_WORD = re.compile(r"\b[a-z0-9]*[a-z][a-z0-9]*\b")
# A word with a capital in it, inside a sentence ("in Luxembourg", "the (NSpOC)"), or with two capitals
# anywhere ("NATO"): a capital that opens a sentence or a heading ("According to", "Summary") makes no name.
_CAPITALISED_WORD = re.compile(
    r"(?:(?<=[a-z0-9,;:] )|(?<=[a-z0-9,;:] [(“\"‘']))([A-Za-z0-9]*[A-Z][A-Za-z0-9]*)\b"
    r"|\b([A-Za-z0-9]*[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*)\b"
)
_NEXT_CAPITALISED = re.compile(r"[ \u00a0-]+[A-Z]")
_PREVIOUS_CAPITALISED = re.compile(r"[A-Z][\w’'.]*[ \u00a0-]+$")


def written_case(texts: Iterable[str]) -> dict[str, str]:
    """Lower case -> a word as `texts` write it, for the names and abbreviations they never write in lower
    case ("luxembourg" -> "Luxembourg", "nspoc" -> "NSpOC"; the commonest writing when there are several).

    A name is a word written with a capital inside a sentence, standing alone at least once: "Advisory" is
    only ever a word of "NATO Industrial Advisory Group", and "which advisory body" asks about no name. An
    abbreviation (two capitals or more) counts wherever it stands. "us" and "space" are written in lower case
    too, and stay out; so do words under three characters."""
    written: dict[str, Counter[str]] = {}
    lower_words: set[str] = set()
    for text in texts:
        for m in _CAPITALISED_WORD.finditer(text):
            word = m.group(1) or m.group(2)
            if m.group(1) and m.group(2) is None and _in_a_run(text, m.start(1), m.end(1)):
                continue
            written.setdefault(word.lower(), Counter())[word] += 1
        lower_words.update(_LOWER_WORD.findall(text))
    return {
        low: counts.most_common(1)[0][0]
        for low, counts in written.items()
        if len(low) >= 3 and low not in lower_words  # "d" of "D.C." is not worth a guess
    }


def lower_case_words(texts: Iterable[str]) -> frozenset[str]:
    """Every word `texts` write in lower case somewhere ("alliance", "allies"): a capitalised word among them
    is a common word written as a title ("the Alliance"), not a name of its own."""
    return frozenset(w for text in texts for w in _LOWER_WORD.findall(text))


def _in_a_run(text: str, start: int, end: int) -> bool:
    """Whether the capitalised word `text[start:end]` stands next to another capitalised word."""
    return bool(_NEXT_CAPITALISED.match(text, end) or _PREVIOUS_CAPITALISED.search(text[max(0, start - 40) : start]))


def restore_case(question: str, casing: dict[str, str]) -> str:
    """`question` with the names and abbreviations typed in lower case written as the documents write them
    ("what does apss stand for" -> "what does APSS stand for", "luxembourg" -> "Luxembourg"): what a
    question asks and which names it gives are read from capitals. Only a question typed in lower case (no
    capital after its first letter) is changed: one that writes some names with capitals writes the others
    as meant."""
    if not typed_in_lower_case(question):
        return question
    return _LOWER_WORD.sub(lambda m: casing.get(m.group(), m.group()), question)


def typed_in_lower_case(question: str) -> bool:
    """Whether `question` has no capital after its first letter."""
    return not any(c.isupper() for c in question[1:])


def asks_expansion(question: str) -> bool:
    """Whether `question` asks what an abbreviation it writes stands for."""
    return bool(ASKS_EXPANSION.search(question)) and bool(abbreviations_in(question))


def letters(abbreviation: str) -> int:
    """How many words a long form of `abbreviation` has at most: its capitals, a leading digit repeating
    the capital after it, any other number one word."""
    lead = re.match(r"(\d)[A-Z]", abbreviation)
    rest = abbreviation[1:] if lead else abbreviation
    return (int(lead.group(1)) - 1 if lead else 0) + len(re.findall(r"\d+|[A-Z]", rest))


def _significant(word: str) -> bool:
    """A word that counts in a long form: capitalised ("Space"; not a small word opening a sentence, "In",
    "The") or opening with a digit and going on with letters ("6th", not a year)."""
    if word.lower() in _SMALL:
        return False
    return word[:1].isupper() or (word[:1].isdigit() and not word.isdigit())


def _long_form(words: list[re.Match[str]], text: str, most: int) -> tuple[int, int] | None:
    """The long form among `words` (consecutive, nearest the abbreviation first): the longest run of
    capitalised words (small words inside) of at most `most` capitalised words; None under two words."""
    kept: list[re.Match[str]] = []
    count = 0
    for previous, word in zip([None, *words], words, strict=False):
        if previous is not None:
            a, b = sorted((previous, word), key=lambda m: m.start())
            if SPACES.fullmatch(text[a.end() : b.start()]) is None:
                break
        if _significant(word.group(0)):
            if count == most:
                break
            count += 1
        elif word.group(0).lower() not in _SMALL:
            break  # a word in lower case, or a bare number ("In 2024 the Agency (ESA)")
        kept.append(word)
    while kept and not _significant(kept[-1].group(0)):
        kept.pop()
    if count < 2 or len(kept) < 2:
        return None
    return min(m.start() for m in kept), max(m.end() for m in kept)


def definitions(text: str) -> list[Definition]:
    """The abbreviations `text` spells out, each with the span of its long form."""
    found: list[Definition] = []
    for m in re.finditer(rf"\(({ABBREVIATION})\)|,\s+or\s+({ABBREVIATION})\b", text):
        abbreviation = m.group(1) or m.group(2)
        before = list(WORD.finditer(text, 0, m.start()))[::-1][: 2 * letters(abbreviation) + 2]
        if before and SPACES.fullmatch(text[before[0].end() : m.start()]) is None and m.group(1):
            continue  # "words, (APSS)": the brackets do not follow the name
        span = _long_form(before, text, letters(abbreviation))
        if span is not None:
            found.append(Definition(abbreviation, *span))
    for m in re.finditer(rf"\b({ABBREVIATION})\s+\(([^()]{{3,120}})\)", text):
        inside = list(WORD.finditer(text, m.start(2), m.end(2)))
        span = _long_form(inside, text, letters(m.group(1)))
        if span is not None and span == (m.start(2), m.end(2)):
            found.append(Definition(m.group(1), *span))
    return found
