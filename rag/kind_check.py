"""Whether a quote states the kind of thing a question asks for: the answer-kind check.

"When was it launched?" wants a date, "What did it cost?" an amount, "Which company is building the
system?" the name of an organisation, "Which rocket will the project use?" a product, "Where is it
based?" a place, "What was the title of the report?" a name. A quote about the same subject that states no
such thing cannot answer, however close it is: that is the commonest way an on-topic sentence is taken for
an answer to a question the documents do not answer. So an answer's candidates must state a value or
name of the asked kind that the question does not already name:

- dates and amounts: the patterns of `rag/answer_types.py`; counts: `rag/counts.py` (of what the question
  counts);
- names: spaCy's named entities (OntoNotes labels: PERSON, ORG, GPE, LOC, FAC, PRODUCT, EVENT,
  WORK_OF_ART, LAW, ...), the kind read from the question's wh-phrase with spaCy's tagger (the noun that
  "which"/"what" asks about). A name counts by a word of its own, one the documents never write in lower
  case and the question does not use: "the Alliance" names nothing (the documents also write "alliance"),
  nor does "NATO Allies" to a question about NATO.

"Where …?" wants a name standing where something is (`rag/places.py`): after "in", "at", "near" (and "in
the southwest of", "at the 2018 … Summit"), after "from" only when the question asks where from. A name that
only qualifies another ("the US Space Force's Commercial Space Strategy") says where nothing is.

"Who" questions are checked loosely: their answers are as often a body or a role ("NATO member countries",
"a NATO official", "Defence Ministers") as a person's name, so any name counts, or a word for a role or a
group of members that the question does not use. A sentence naming no one ("Last October, NATO's planning
directorate launched an effort ...") does not answer "Who heads NATO's planning directorate?". A question
for the holder of a person's role ("Who is the commander of ...?", "Who was NATO Secretary General when
...?", or with the role's verb: "Who commands ...?") wants a person's name.

spaCy's pipeline: `rag/nlp.py`.

The map from the asked noun to entity labels is the labels' own definitions (an organisation is a company,
an agency, a body...), not a list of particular questions; it was written with the dev and training
questions' wh-phrases in view, never the test split's. Nouns outside it ask for no particular kind of name,
and nothing is checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.answer_types import ROLES, WHERE_QUESTION, AnswerType, expected_type, find_values
from rag.countries import is_country
from rag.counts import count_check
from rag.dates import date_check
from rag.nlp import entities, tagged
from rag.places import locative, stands_where
from rag.text import stem_words

if TYPE_CHECKING:
    from spacy.tokens import Token

ANY_NAME = frozenset({"PERSON", "NORP", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"})
_VALUE_KINDS = (AnswerType.DATE, AnswerType.COUNT, AnswerType.AMOUNT, AnswerType.EXPANSION)
# The labels a name of each kind may carry. The small model tags people and countries reliably but confuses
# organisations, people and products with one another ("SpaceX" and "Maxar Technologies" come out as PERSON,
# "Falcon 9" as ORG), so an organisation or a product may carry any of those labels; what they may not be is
# a country, a date or a number.
_PERSON = frozenset({"PERSON"})
_ORG = frozenset({"ORG", "PERSON", "PRODUCT"})
_PRODUCT = frozenset({"PRODUCT", "ORG", "PERSON", "FAC", "WORK_OF_ART", "EVENT", "LAW"})
_WORK = frozenset({"WORK_OF_ART", "LAW", "ORG", "EVENT", "PRODUCT"})
_AREA = frozenset({"GPE", "LOC"})  # a city, a country, a region
_PLACE = frozenset({"GPE", "LOC", "FAC", "ORG"})  # where something is: also a site or a body ("at Allied Air Command")

# The asked noun (its lemma, or the word before + lemma) -> the labels a name of that kind carries.
# Events and documents are tagged unevenly ("the Madrid Summit" comes out as ORG), so they ask for any name.
_KINDS: dict[frozenset[str], str] = {
    _PERSON: "person people official expert leader commander general officer minister spokesperson spokesman "
    "spokeswoman author analyst chief president director ambassador scientist engineer astronaut founder "
    "chairman chairwoman chair politician diplomat head",
    _ORG: "company firm contractor manufacturer organisation organization agency institution body office "
    "think_tank supplier startup vendor university ministry department bank",
    _AREA: "city country nation town region capital continent island province",
    _PLACE: "base spaceport port site location place airport facility",
    _PRODUCT: "rocket launcher launch_vehicle missile missile_system weapon_system spacecraft aircraft",
    _WORK: "treaty law act",
    ANY_NAME: "name title report book document summit exercise conference meeting symposium war operation",
}
# Asked nouns that a country's name does not answer: "In which city ...?", "From which spaceport ...?".
_NOT_A_COUNTRY = frozenset({"city", "town", "capital", "base", "spaceport", "port", "airport", "facility", "site"})
_LABELS: dict[str, frozenset[str]] = {
    noun.replace("_", " "): labels for labels, nouns in _KINDS.items() for noun in nouns.split()
}
_WH = frozenset({"which", "what", "whose"})


_WORDS = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _noun_stems() -> frozenset[str]:
    """The stems (the project's Snowball stemmer, as `tokenize` stems) of the nouns the map knows: a plural
    ("companies") has its singular's stem."""
    return frozenset(stem_words(sorted({n.split()[-1] for n in _LABELS})))


def may_ask_for_a_name(question: str) -> bool:
    """Cheap test before tagging: a wh-word, and one of the map's nouns (in any number) somewhere after it."""
    words = [w.lower() for w in _WORDS.findall(question)]
    first = next((i for i, w in enumerate(words) if w in _WH), None)
    return first is not None and not _noun_stems().isdisjoint(stem_words(words[first + 1 :]))


# Tokens that can stand in a wh-phrase before its noun: "which two NATO bodies", "which Russian missile system".
_PHRASE_POS = frozenset({"ADJ", "NOUN", "PROPN", "NUM"})


def asked_labels(question: str) -> frozenset[str] | None:
    """The entity labels a name answering `question` carries, or None when it asks for no kind of name."""
    if WHERE_QUESTION.match(question):
        return _PLACE
    noun = asked_noun(question)
    return None if noun is None else _LABELS[noun]


def asked_area(question: str) -> str | None:
    """The noun of a question asking which city, country, region ... ("In which city …?" -> "city"), or None."""
    noun = asked_noun(question)
    return noun if noun is not None and _LABELS[noun] == _AREA else None


@lru_cache(maxsize=4096)
def asked_noun(question: str) -> str | None:
    """The noun of the map that `question`'s wh-phrase asks about, or None.

    The asked noun ends the wh-phrase: the adjectives, nouns and numbers after "which"/"what"/"whose"
    ("which Russian missile system" -> "missile system", "in which city" -> "city", "which rocket or
    launch vehicle" -> "rocket"), or after "what is the" ("what is the capital city of ..." -> "city",
    "what was the full name of ..." -> "name", which asks for any name).
    """
    if not may_ask_for_a_name(question):
        return None
    for phrase in wh_phrases(question):
        head = phrase[-1].lemma_.lower()
        before = phrase[-2].lemma_.lower() if len(phrase) > 1 else ""
        for noun in (f"{before} {head}", head):
            if noun in _LABELS:
                return noun
    return None


def wh_phrases(question: str) -> Iterator[list[Token]]:
    """The phrases after each "which"/"what"/"whose" of `question` that end with a noun: its adjectives,
    nouns and numbers, after "what is the" the phrase after "the"."""
    doc = tagged(question)
    for i, token in enumerate(doc):
        if token.lower_ not in _WH:
            continue
        start = i + 1
        if start + 1 < len(doc) and doc[start].lemma_ == "be" and doc[start + 1].lower_ == "the":
            start += 2  # "What is the capital city of ...": the phrase after "the" is what is asked
        phrase = []
        for t in doc[start:]:
            if t.pos_ not in _PHRASE_POS and t.tag_ != "POS":  # "which leaders' meeting": the noun is "meeting"
                break
            phrase.append(t)
        if phrase and phrase[-1].pos_ in ("NOUN", "PROPN"):
            yield phrase


def names_kind(
    text: str,
    labels: frozenset[str],
    question: str,
    common: Container[str] = (),
    countries: bool = True,
    located: re.Pattern[str] | None = None,
) -> bool:
    """Whether `text` names something of one of `labels` that `question` does not already name; with
    `located`, only a name standing where something is (after a preposition it reads: "in", "at" ...). With
    `common`, the words the documents also write in lower case, a name counts only by a word of its own that
    the question does not use: "the Alliance" (the documents write "alliance") names nothing, and "NATO
    Allies" names nothing new to a question about NATO. Without `countries`, a country's name counts for
    nothing (a city or a spaceport is asked for)."""
    asked = question.lower()
    asked_words = set(_WORDS.findall(asked))
    for label, name in entities(text):
        if label not in labels or name.lower() in asked or (not countries and is_country(name)):
            continue
        if located is not None and not stands_where(located, text, name):
            continue
        own = [w for w in _WORDS.findall(name) if (w[0].isupper() or w[0].isdigit()) and w.lower() not in common]
        if not common or any(w.lower() not in asked_words for w in own):
            return True
    return False


def answer_check(question: str, common: Container[str] = ()) -> Callable[[str], bool] | None:
    """A test that a quote states what kind of thing `question` asks for (a date, an amount, a name of
    an organisation...), or None when the question asks for no particular kind."""
    kind = expected_type(question)
    if kind is AnswerType.COUNT:
        return count_check(question)
    if kind is AnswerType.DATE:
        return date_check(question)
    if kind in _VALUE_KINDS:
        return lambda text: bool(find_values(text, kind, exclude=question))
    if kind is AnswerType.PERSON:
        role = _role_named(question)
        if role is not None:  # "Who is the commander of the CFSpCC?": a person's name, stated with the role
            return lambda text: names_kind(text, _PERSON, question, common) and _states_role(text, role)
        if _ROLE_VERB.match(question):  # "Who commands the NSpOC?": a person's name
            return lambda text: names_kind(text, _PERSON, question, common)
        return lambda text: names_kind(text, ANY_NAME, question, common) or _names_someone(text, question)
    labels = asked_labels(question)
    if labels is None:
        return None
    countries = asked_noun(question) not in _NOT_A_COUNTRY
    located = locative(question) if WHERE_QUESTION.match(question) else None  # "Where …?": where something is
    return lambda text: names_kind(text, labels, question, common, countries, located)


# Someone named by a role or as a group of members ("a NATO official", "Defence Ministers", "NATO member
# countries"): the answer to a "who" question when no name is.
_SOMEONE = re.compile(rf"\b(?:{ROLES}|allies|countries|states|members|nations)\b", re.I)


# A role said of something rather than someone named by it: "NATO remains a leader in ...", "as a leader".
_PREDICATE = re.compile(
    r"\b(?:is|are|was|were|be|been|remains?|remained|becomes?|became|as)\s+(?:an?|the)\s+(?:\w+\s+)?$", re.I
)


def _names_someone(text: str, question: str) -> bool:
    """Whether `text` names someone by a role or a group that `question` does not name (not a role said of
    something: "the Alliance remains a leader in this arena")."""
    asked = question.lower()
    return any(
        m.group().lower() not in asked and not _PREDICATE.search(text, max(0, m.start() - 40), m.start())
        for m in _SOMEONE.finditer(text)
    )


# "Who is/was ..." and the words after it, to the end of the role's name.
_ROLE_HOLDER = re.compile(
    r"^\s*who\s+(?:is|was|are|were|will be|has been)\s+(?:the\s+|a\s+|an\s+)?(?:current\s+|new\s+|former\s+)?"
    r"([\w’'.-]+(?:\s+[\w’'.-]+){0,3})",
    re.IGNORECASE,
)
# Where a role's name ends: "the commander of ...", "NATO Secretary General when ...".
_ROLE_END = re.compile(r"(?:of|in|at|for|on|when|who|whom|that|which|with|to|from|by|during|after|before|since)$", re.I)


# The same asked with the role's verb ("Who commands the NSpOC?": its commander).
_ROLE_VERB = re.compile(
    r"^\s*who\s+(?:currently\s+|now\s+)?(?:will\s+)?(?:command|direct|chair)(?:s|ed)?\b", re.IGNORECASE
)


def _role_named(question: str) -> tuple[str, ...] | None:
    """What qualifies the person's role `question` asks the holder of, in lower case ("Who is NATO's Assistant
    Secretary General for ...?" -> nato, assistant, secretary; "Who is the head of ...?" -> nothing): the
    words after "who is", up to a preposition or a relative word, without the word for a role itself ("head",
    "chief", "general": other words say the same); None when no word of them names a person's role."""
    m = _ROLE_HOLDER.match(question)
    if m is None:
        return None
    role: list[str] = []
    for word in m.group(1).split():
        if _ROLE_END.match(word):
            break
        role.append(word)
    if not any(_LABELS.get(word.lower().rstrip(".")) == _PERSON for word in role):
        return None
    words = (w for word in role for w in _WORDS.findall(re.sub(r"['’]s$", "", word.lower())))
    return tuple(w for w in words if _LABELS.get(w) != _PERSON)


def _states_role(text: str, role: tuple[str, ...]) -> bool:
    """Whether `text` states every word that qualifies the role asked about, in any number: the person it
    names holds that role, not another ("Secretary General Stoltenberg" is no Assistant Secretary General)."""
    return set(stem_words(list(role))) <= set(stem_words(_WORDS.findall(text.lower())))
