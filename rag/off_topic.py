"""Off-topic questions: the corpus says nothing close to what is asked, so no quote of it can answer.

The judge was fitted on questions about the corpus. Far outside them its probabilities are extrapolations:
"Where were the 2016 Summer Olympics held?" was judged answerable at 0.67 by a sentence about a symposium
(its cosine to the question: 0.22). And after a question about NORTHLINK, "Where is the Eiffel Tower?" was
answered from the history's reading ("The NORTHLINK project was launched in October 2024."). So before any
reading is trusted, the question is checked against the corpus itself, with two general signals:

- **relevance**: the best cosine between the question alone and any sentence of its candidate pool. A
  question the corpus is about has some sentence close to it, however it is worded; the floor is
  calibrated on the dev split (`rag judge fit`, stored in the judge's file; `RAG_MIN_RELEVANCE` overrides).
- **unknown words**: the share of the question's content terms that the corpus never uses. After a chat
  history, a question below the relevance floor may still be a follow-up ("Who said that?": its words are
  all common ones, its subject is in the history). One whose words are mostly foreign to the corpus asks
  about a subject of its own that the documents do not know ("the Eiffel Tower"), and the history's subject
  cannot stand in for it.

- **words stated together**: below the floor, a question is still on topic when one sentence it retrieves
  uses at least three quarters of its content terms (two at least). MiniLM's cosine is low between a short
  question and the long sentence that answers it ("What is the Schriever exercise?": 0.30, against a
  sentence naming "the Schriever military exercise" among much else); a question about something else
  shares a word or two with the corpus here and there, not in one sentence ("What is the capital of
  Australia?": "capital" and "Australia" are in different sentences).

A question with no history is off-topic when its relevance is below the floor and its words are not stated
together; one with a history, when,
besides, at least half of its content terms (and two or more) are unknown to the corpus. Off-topic, no
reading is trusted.
(Not trusting the question's own reading below the floor while its history's may still answer was tried:
one off-topic question fewer answered of 120 on the tuning list, and dev's "Who said that?" abstained on
instead of answered wrong, with its retrieval worse: level, not kept.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rag.candidates import ScoredSentence, TermStatistics
from rag.definitions import abbreviations_in, asks_expansion
from rag.text import tokenize

# After a history, a question below the floor is off-topic when at least this share of its content terms is
# unknown to the corpus (half of what it names, the documents never mention), and at least MIN_UNKNOWN of
# them: one unknown word is as often the question's own word for what the history was about ("Who is paying
# for it?" after a question on a project whose funding the documents state) as a subject of its own.
UNKNOWN_SHARE = 0.5
MIN_UNKNOWN = 2
# Below the floor, a question is on topic when one sentence uses this share of its content terms, and at least
# MIN_SHARED of them (see the module's docstring).
SHARED_SHARE = 0.75
MIN_SHARED = 2


def relevance(pool: Iterable[ScoredSentence]) -> float:
    """How close the corpus comes to a reading's question: the best cosine of its candidate pool."""
    return max((s.dense for s in pool), default=0.0)


def unknown_terms(question: str, stats: TermStatistics) -> tuple[int, int]:
    """How many of `question`'s content terms no sentence of the corpus uses, and how many it has."""
    terms = set(tokenize([question])[0])
    return sum(t not in stats.df for t in terms), len(terms)


def stated_together(question: str, sentences: Iterable[frozenset[str]]) -> bool:
    """Whether one of `sentences` (their content terms) uses at least SHARED_SHARE of `question`'s content
    terms, and at least MIN_SHARED of them."""
    terms = set(tokenize([question])[0])
    needed = max(MIN_SHARED, math.ceil(SHARED_SHARE * len(terms)))
    return len(terms) >= needed and any(len(terms & tokens) >= needed for tokens in sentences)


def relevance_floor(relevances: list[float], answerable: list[bool], right: list[bool]) -> float:
    """The floor calibrated on questions asked without history: midway between the lowest relevance of a
    question answered right and the highest relevance below it of a question the corpus does not answer,
    so that no right answer is withheld and the margin on both sides is the widest. 0 (no check) when no
    unanswerable question lies below every right answer."""
    lowest_right = min((r for r, ok in zip(relevances, right, strict=True) if ok), default=None)
    if lowest_right is None:
        return 0.0
    below = [r for r, a in zip(relevances, answerable, strict=True) if not a and r < lowest_right]
    return round((max(below) + lowest_right) / 2, 4) if below else 0.0


@dataclass(frozen=True, slots=True)
class TopicCheck:
    """Whether a question is off-topic for the corpus (see the module's docstring)."""

    floor: float
    stats: TermStatistics

    def off_topic(self, question: str, alone_relevance: float, with_history: bool, pool: Iterable[int] = ()) -> bool:
        """Whether no reading of the question is to be trusted, with or without its history. `pool`: the
        sentences the question alone retrieved, where its words may be stated together (the lexical half of
        retrieval finds a sentence sharing its rare words; a scan of the whole corpus would cost seconds on
        millions of sentences)."""
        if alone_relevance >= self.floor or self.asks_expansion_of_known_abbreviation(question):
            return False
        if stated_together(question, (self.stats.sentence_tokens[i] for i in pool)):
            return False
        if not with_history:
            return True
        unknown, terms = unknown_terms(question, self.stats)
        return unknown >= MIN_UNKNOWN and unknown >= UNKNOWN_SHARE * terms

    def asks_expansion_of_known_abbreviation(self, question: str) -> bool:
        """Whether `question` asks what an abbreviation the documents write stands for ("What is the full
        name of NIAG?"): about the corpus whatever the cosine of its few words, which the embedding model
        reads poorly (an abbreviation it does not know, in a question with no other content)."""
        if not asks_expansion(question):
            return False
        terms = {t for tokens in tokenize(abbreviations_in(question)) for t in tokens}
        return any(t in self.stats.df for t in terms)
