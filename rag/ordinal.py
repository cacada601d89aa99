"""A follow-up that picks one item of a list the previous answer named: "What does the first of those
countries tend to prioritise?" after a quote naming "Britain, France and Germany" asks about Britain.

Read as it is, such a question names nothing the documents say ("the first of those countries"), so its
readings find the quote that named the list again. `pick_from_list` writes the item in instead of the
pointer ("What does Britain tend to prioritise?"), and every reading of the question starts from that
(`rag/resolve.py`, which shows it as what the question was read as). The quotes that named the list, and
any quote naming the whole list again, are about the list, not the item: the readings leave them out.

A pointer is an ordinal with "of those / these / them" ("the second of them", "the last of these Allies"),
an ordinal with "one" ("the third one"), or "the former" / "the latter" standing alone ("the former
Secretary General" is a title, not a pointer). A list is three or more names, or two, written as names
are ("A, B and C", "A or B"; a name is a capitalised word or words, with "of" or "the" inside, such as
"the Netherlands"). The list is the first in the previous answer's quotes (an answer quotes its best
sentence first) that is long enough for the ordinal ("the former" / "the latter": two names); when none is,
"the fourth of those" after three names picks nothing, and the question is read as it is.

Lists of things that are not names ("satellite communications, imagery and navigation") are not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.nlp import tagged

_ORDINAL = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1}
_ORDINAL_WORD = "|".join(_ORDINAL)
_POINTER = re.compile(
    rf"\bthe\s+(?P<nth>{_ORDINAL_WORD})\s+(?:of\s+(?:them|(?:those|these)(?P<noun>\s+[a-z]+)?)|one)\b"
    r"|\bthe\s+(?P<end>former|latter)\b",
    re.IGNORECASE,
)
# A name: capitalised words on one line, possibly joined by "of" or "of the", with an optional leading "the"
# ("Bosnia and Herzegovina" is read as two names); a full stop belongs to a word only inside it ("U.S.").
_WORD = r"[A-Z](?:[\w’'-]|\.(?=\w))*"
_NAME = rf"(?:the[ ]+)?{_WORD}(?:[ ]+(?:of[ ]+(?:the[ ]+)?)?{_WORD})*"
_LIST = re.compile(rf"{_NAME}(?:[ ]*,[ ]*{_NAME})*[ ]*,?[ ]+(?:and|or)[ ]+{_NAME}")
_SEPARATOR = re.compile(r"[ ]*,[ ]*(?:(?:and|or)[ ]+)?|[ ]+(?:and|or)[ ]+")
# After "the former" / "the latter", a word of these kinds makes it a qualifier ("the former Secretary General").
_QUALIFIED = frozenset({"NOUN", "PROPN", "ADJ", "NUM"})


def named_lists(texts: list[str]) -> list[list[str]]:
    """The lists of names the texts state, in order: each a list of two or more names."""
    found = []
    for text in texts:
        for m in _LIST.finditer(text):
            items = [re.sub(r"^the[ ]+|[’']s?$", "", item) for item in _SEPARATOR.split(m.group(0)) if item]
            if len(items) >= 2:
                found.append(items)
    return found


@dataclass(frozen=True, slots=True)
class Pick:
    """A question with its pointer replaced by the item it picks, and the list the item was picked from."""

    question: str
    items: tuple[str, ...]

    def restates_list(self, quote: str) -> bool:
        """Whether `quote` names the whole list again: it is about the list, not about the item picked."""
        return any(set(self.items) <= set(found) for found in named_lists([quote]))


def pick_from_list(question: str, previous_quotes: list[str]) -> Pick | None:
    """`question` with its pointer to one item of the previous answer's list replaced by that item, or
    None when it has no such pointer or the previous answer states no list it can pick from."""
    m = _POINTER.search(question)
    if m is None:
        return None
    if m.group("end"):
        rest = list(tagged(question[m.end() :].lstrip()))
        if rest and rest[0].pos_ in _QUALIFIED:  # "the former Secretary General": a title
            return None
        nth = 0 if m.group("end").lower() == "former" else -1
    else:
        nth = _ORDINAL[m.group("nth").lower()]
    end = m.end()
    if m.group("noun") and tagged(question[m.start("noun") :].lstrip())[0].pos_ != "NOUN":
        end = m.start("noun")  # "the first of these tested": the pointer ends before the verb
    for items in named_lists(previous_quotes):  # the first that fits: an answer quotes its best sentence first
        if (len(items) == 2) if m.group("end") else (nth < len(items)):
            return Pick(f"{question[: m.start()]}{items[nth]}{question[end:]}", tuple(items))
    return None
