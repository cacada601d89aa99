"""What "it" stands for: a follow-up that only points at its subject, read with a name of the conversation
written in.

"When was it launched?" after an answer quoting "NATO is currently implementing APSS – the largest
multinational investment in space-based capabilities in NATO's history" asks when APSS was launched. The
readings that carry the history's words (`rag/resolve.py`) read it with all of them: "the largest",
"multinational", "investment", "history" count as much as "APSS", and the sentence that says when APSS was
launched covers few of them, so it is judged weakly, while the question alone finds whatever was launched
("The NORTHLINK project was launched in October 2024."). Coreference is what a reader does instead: the
pronoun stands for one thing the conversation named.

So a question that only points (`rag/referent.py`: its subject is a pronoun) gets one more reading per name
the conversation's latest turns mention, most recent first, with the name written in place of the pronoun
("When was APSS launched?"). Each is judged like a question asked on its own, and competes with the other
readings as they all do: the judge decides which name the pronoun stands for, by whether the documents
state what is asked about it. The answer says how it was read (`read_as`).

A name is a run of proper nouns (spaCy's tagger, `rag/nlp.py`) or an abbreviation, with a word of its own:
one that at most 10% of the corpus's sentences use (`TermStatistics.specific`). "NATO" or "the Alliance",
which nearly every sentence here uses, is the background of the conversation, not what "it" picks out of it.
Such a reading, like the previous-answer reading, is left out when the previous answer's quotes already state
the kind of thing asked (`rag/resolve.py`, `without_parallel_reading`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from rag.answer_types import NOT_A_NAME
from rag.chat import Turn, quotes_in
from rag.citations import ReadWith
from rag.definitions import ABBREVIATION
from rag.nlp import tagged
from rag.reading import ResolvedQuestion
from rag.text import tokenize

# At most this many names are tried, most recent first.
MAX_REFERENTS = 3
# The turns of the conversation, from the latest back, whose names may be what a pronoun stands for.
REACH_TURNS = 4
# How much of a turn is read for names (characters; of an answer, its quotes): a client may send long turns,
# and the tagger reads about 100 KB a second.
NAME_CHARS = 1000

# An abbreviation, which the tagger may take for a number or a common noun ("3SAS", "NSP2K", "NSpOC"), as
# `rag/definitions.py` reads them.
_ABBREVIATION = re.compile(ABBREVIATION)
_POSSESSIVE = re.compile(r"['’]s$")
# The pronouns a thing's name replaces ("he" and "she" are left to `rag/speaker.py`), and their possessives.
_PRONOUNS = frozenset({"it", "they", "them"})
_POSSESSIVES = frozenset({"its", "their"})
_SINGULAR = frozenset({"it", "its"})


def conversation_names(history: list[Turn], specific: Callable[[str], bool]) -> list[tuple[str, ReadWith]]:
    """The names the latest turns of `history` mention (with the turn they come from: an answer or a
    question), most recent turn first, in order of mention within a turn, each once, at most MAX_REFERENTS."""
    found: list[tuple[str, ReadWith]] = []
    seen: set[str] = set()
    for turn in reversed(history[-REACH_TURNS:]):
        source: ReadWith = "previous_answer" if turn.role == "assistant" else "previous_question"
        said = " ".join(quotes_in(turn.content)) if source == "previous_answer" else turn.content
        for name in names_in(said[:NAME_CHARS]):
            if name.lower() in seen or not specific(name):
                continue
            seen.add(name.lower())
            found.append((name, source))
            if len(found) == MAX_REFERENTS:
                return found
    return found


@lru_cache(maxsize=4096)
def names_in(text: str) -> tuple[str, ...]:
    """The names `text` mentions, in order: each run of proper nouns (spaCy's tagger: "NATO Commercial Space
    Strategy", "Allied Defence Ministers") or abbreviations ("3SAS"), without a month's or a day's name or a
    currency's code."""
    names: list[str] = []
    run: list[str] = []
    previous = None
    for token in [*tagged(text), None]:
        glued = bool(run) and previous is not None and not previous.whitespace_ and token is not None
        # A month's or a day's name, which the tagger takes for a proper noun ("February"), or a currency's code
        # ("USD 1 billion": an amount's unit) is no name.
        if token is not None and (
            ((token.pos_ == "PROPN" or _ABBREVIATION.fullmatch(token.text)) and not NOT_A_NAME.match(token.text))
            or (glued and token.text.isalnum())  # "NSP2K", cut by the tokeniser into "NSP2" and "K"
        ):
            run.append(token.text_with_ws)
            previous = token
            continue
        previous = token
        if run:
            names.append(_POSSESSIVE.sub("", "".join(run).strip()))
            run = []
    return tuple(names)


def written_in(question: str, name: str) -> str | None:
    """`question` with its first pronoun for a thing replaced by `name` ("When was it launched?" -> "When was
    APSS launched?", "What is its budget?" -> "What is APSS's budget?"), or None when it has none, or when the
    name is plural and the pronoun singular ("it" does not stand for "Allied Defence Ministers")."""
    pronoun = _pronoun(question)
    if pronoun is None:
        return None
    start, end, word = pronoun
    if word in _SINGULAR and _looks_plural(name):
        return None
    return question[:start] + (f"{name}'s" if word in _POSSESSIVES else name) + question[end:]


@lru_cache(maxsize=4096)
def _pronoun(question: str) -> tuple[int, int, str] | None:
    """Where `question`'s first pronoun for a thing is (start, end, the word in lower case), or None."""
    for token in tagged(question):
        word = token.lower_
        if token.tag_ in ("PRP", "PRP$") and (word in _PRONOUNS or word in _POSSESSIVES):
            return token.idx, token.idx + len(token.text), word
    return None


def _looks_plural(name: str) -> bool:
    """Whether a name ends with a plural noun written in title case ("Allies", "Defence Ministers"); an
    abbreviation ("APSS", "3SAS") is not."""
    last = name.split()[-1]
    return last[:1].isupper() and last[1:].islower() and last.endswith("s") and not last.endswith(("ss", "us", "is"))


def named_readings(
    alone: ResolvedQuestion,
    history: list[Turn],
    specific: Callable[[str], bool],
    in_documents_words: Callable[[str], str],
) -> list[ResolvedQuestion]:
    """The readings of a question that only points at its subject (`alone`, its reading on its own), one per
    name of the conversation written in for its pronoun (`in_documents_words`: as the question is read),
    each asking about that name: a candidate must be read about it (its context names it)."""
    readings = []
    for name, source in conversation_names(history, specific):
        written = written_in(alone.type_question, name)
        if written is None:
            continue
        text = in_documents_words(written)
        about = frozenset(tokenize([name])[0])
        readings.append(
            ResolvedQuestion(
                alone.question,
                text,
                alone.asks,
                written,
                text,
                source=source,
                read_as=text,
                new_subject=about,
                referent=name,
            )
        )
    return readings
