"""One reading of a question in its chat: what to retrieve with, whose words quotes must cover, what kind of
answer it wants, and what of the conversation it leaves out (`rag/resolve.py` builds the readings); and a
reading retrieved and judged (`rag/answering.py`), with why an answer from it abstains."""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.answer_types import AnswerType
from rag.candidates import ScoredSentence
from rag.citations import AbstentionReason, ReadWith
from rag.ordinal import Pick
from rag.retrieval import Passage
from rag.text import tokenize

# A candidate repeats a quote of the previous answer when at most this share of its content words is
# missing from that quote: the same wording, nearly, or a part of it. One that quotes it and goes on to say
# more (a quote extended with the next sentence, "It currently includes 13 Allies: ...") is not an echo.
ECHO_NEW_WORDS = 0.15


@dataclass(frozen=True, slots=True)
class ResolvedQuestion:
    """One reading of a question: what to retrieve with, whose words quotes must cover, what kind of
    answer it wants, and the sentences the previous answer quoted (a follow-up is likely about them)."""

    question: str
    query: str
    asks: AnswerType
    type_question: str
    terms_of: str
    anchors: frozenset[int] = frozenset()
    source: ReadWith = "alone"
    said: tuple[str, ...] = ()  # the previous answer's quotes (a previous_answer reading leaves them out)
    said_words: tuple[frozenset[str], ...] = field(default=(), hash=False, compare=False)  # their content words
    near: dict[int, float] = field(default_factory=dict, hash=False, compare=False)
    read_as: str | None = None  # the question in the documents' words, when that differs (acronyms spelled out)
    # When the question asks the previous question again about a new subject ("And for APSS?"): that subject's
    # content terms. A quote of the previous answer answers it only if it names the new subject too.
    new_subject: frozenset[str] = frozenset()
    # When the question picks one item of a list the previous answer named (`rag/ordinal.py`): the quotes that
    # named the list, or name it again, say nothing about the item, and every reading leaves them out.
    picked: Pick | None = None
    # When the question only points at its subject ("When was it launched?"): the name of the conversation
    # written in for its pronoun (`rag/coreference.py`), which every candidate must be read about.
    referent: str | None = None
    # For the readings of such a question without a name written in: the names the others write in.
    referents: tuple[str, ...] = ()

    def echoes(self, quote: str) -> bool:
        """Whether `quote` repeats what the previous answer quoted (the same wording, nearly, or a part of
        it) rather than saying something new."""
        return self.echoing([quote])[0]

    def echoing(self, quotes: list[str]) -> list[bool]:
        """`echoes` for each of `quotes`, tokenised together (a pool's candidates in one call)."""
        if not self.said_words or not quotes:
            return [False] * len(quotes)
        return [
            any(len(words - said) <= ECHO_NEW_WORDS * len(words) for said in self.said_words)
            for words in map(set, tokenize(quotes))
        ]

    def leaves_out(self, quotes: list[str], contexts: list[str], sentence_ids: list[int]) -> list[bool]:
        """For each candidate (its quote, the context it is read in, its sentence), whether this reading
        leaves it out: a quote of the previous answer, or one echoing it, says nothing new. When the question
        asks about a new subject ("And for APSS?"), a candidate must be read about that subject (its context
        names it), and a quote of the previous answer stays only if it names it itself ("Germany values ...;
        France focuses on ..." answers "What about France?" after "What does Germany value?")."""
        repeated = [sid in self.anchors or echo for sid, echo in zip(sentence_ids, self.echoing(quotes), strict=True)]
        if self.picked:
            repeated = [again or self.picked.restates_list(q) for again, q in zip(repeated, quotes, strict=True)]
        if not self.new_subject:
            return repeated
        in_context = [self.new_subject <= set(terms) for terms in tokenize(contexts)]
        again = [i for i, (r, about) in enumerate(zip(repeated, in_context, strict=True)) if r and about]
        said = tokenize([quotes[i] for i in again]) if again else []
        named = {i: self.new_subject <= set(terms) for i, terms in zip(again, said, strict=True)}
        return [not about or not named.get(i, True) for i, about in enumerate(in_context)]

    @property
    def content_terms(self) -> int:
        return len(set(tokenize([self.terms_of])[0]))


@dataclass(frozen=True, slots=True)
class JudgedReading:
    """One reading of the question, retrieved and judged: the first stage's passages re-ranked by their
    best candidate, every candidate with its probability (best first), the best probability, how close
    its pool comes to the question (`rag/off_topic.py`), the best probability before the answer-kind and
    time-range checks set candidates aside, and before the subject check (`rag/subject.py`) did, and whether
    the question was found off-topic."""

    reading: ResolvedQuestion
    passages: list[Passage]
    candidates: list[ScoredSentence]
    confidence: float
    relevance: float = 0.0
    unchecked: float = 0.0
    ungated: float = 0.0
    off_topic: bool = False
    no_referent: bool = False
    pool: list[ScoredSentence] = field(default_factory=list)  # every candidate judged, best first, unchecked

    def abstention_reason(self, threshold: float) -> AbstentionReason:
        """Why an answer from this reading abstains, at the operating point `threshold`."""
        if self.off_topic:
            return "off_topic"
        if self.no_referent:
            return "no_referent"
        if self.ungated >= threshold:
            return "other_subject"
        return "kind_not_stated" if self.unchecked >= threshold else "not_confident"
