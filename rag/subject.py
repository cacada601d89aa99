"""Whose value a quote states: a question asking for a date, a count or an amount of something it names is
not answered by a quote stating that kind of value for something else.

The commonest wrong answer to a fresh question is a value of the asked kind that belongs to another subject:
"When was the Memorandum of Understanding for the STARLIFT project signed?" got the sentence on the APSS
Memorandum, "How much is the United States contributing to the NSS6G project?" NATO's own EUR 1 billion.
The judge weighs how much of the question a sentence covers, not which of its names the value is about.

So, for a question asking for a value, each name the question gives its subject must be stated in the
candidate's quote or its context (the sentences around it); a candidate stating only some of them stays when
it names nothing else that could be the subject and states the question's grammatical subject, if a name
gives it (one part of a two-part question: "How much has Luxembourg given to 3SAS and to APSS?"). A
candidate stating none of them is about something else, named or not, and so is one that states only the
object ("Seventeen Allies are contributing …", in a paragraph on APSS, for "How much does the United
States contribute to the APSS initiative?"); both are set aside.

- **A name** is a word the corpus writes capitalised inside a sentence at least half the times it writes it
  there, used by at most 10% of its sentences (so not "NATO" here), and not a month, a weekday or a currency
  code. The question must write it as a name too (capitalised, not as its first word; or in capitals): "the
  far north" names nothing, though the corpus writes "North Atlantic".
- **The question's names** come in runs ("Overarching Space Policy", "United States"): a run is stated when
  one of its name words is, or the abbreviation the documents spell it out with ("Alliance Persistent
  Surveillance from Space" for "APSS", and the other way round).
- **Names that describe, not name, the subject** are not read: those in a clause that modifies a noun ("the
  programme building the Aquila satellite constellation", spaCy's parse: `acl`, `relcl`), and the source a
  question cites ("…, according to Breaking Defense?").

The names and abbreviations are read from the corpus once per index, on the first value question that
names something (about 0.5 s per MB of text). Measured on dev, the training questions, the chains and the
probe sets (README, Evaluation): earlier forms
(any one of the question's names in the paragraph; every name, however the question writes it, whatever
clause it stands in) lost right answers, and so does this one for every kind of question
(`eval/subject_scope.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rag.answer_types import NOT_A_NAME, AnswerType, expected_type
from rag.candidates import ScoredSentence, TermStatistics
from rag.chunking import Sentence
from rag.definitions import definitions
from rag.nlp import parsed
from rag.reading import ResolvedQuestion
from rag.text import normalize_text, stem_words, stopword_set, tokenize

# The kinds of value a quote may state for another subject than the question's.
VALUES = (AnswerType.DATE, AnswerType.COUNT, AnswerType.AMOUNT)
NAME_SHARE = 0.1  # a name's word is used by at most this share of the corpus's sentences
CAPITALISED_SHARE = 0.5  # ... and written capitalised inside a sentence at least this share of the times
_WORD = re.compile(r"\b\w\w+\b")
# "…, according to Breaking Defense?": the name of a source the question cites, not of what it asks about.
CITED_SOURCE = re.compile(r"\baccording to (?:the )?(?:[A-Z][\w’'-]*\s*)+")
_DESCRIBING = ("acl", "relcl")  # a clause that modifies a noun ("the programme building ...")
_SUBJECT = ("nsubj", "nsubjpass")


@dataclass(frozen=True, slots=True)
class NameLexicon:
    """The corpus's names (as `tokenize` stems them) and its abbreviations spelled out."""

    names: frozenset[str]
    aliases: tuple[tuple[frozenset[str], frozenset[str]], ...]  # (an abbreviation's stems, its long form's)

    @classmethod
    def of(cls, sentences: list[Sentence], texts: Iterable[str], stats: TermStatistics) -> NameLexicon:
        stop = stopword_set()
        uses: dict[str, int] = {}
        capitalised: dict[str, int] = {}
        for s in sentences:  # every word but the first of each sentence, stemmed as `tokenize` stems it
            words = [
                w
                for w in _WORD.findall(re.sub(r"'s\b", "", normalize_text(s.text)))[1:]
                if w.lower() not in stop and not NOT_A_NAME.match(w)  # not "October", "USD"
            ]
            for word, stem in zip(words, stem_words([w.lower() for w in words]), strict=True):
                uses[stem] = uses.get(stem, 0) + 1
                capitalised[stem] = capitalised.get(stem, 0) + word[0].isupper()
        limit = NAME_SHARE * max(stats.n, 1)
        names = frozenset(
            stem
            for stem, n in uses.items()
            if capitalised[stem] >= CAPITALISED_SHARE * n and stats.df.get(stem, 0) <= limit
        )
        aliases = []
        for text in texts:
            for d in definitions(text):
                short, long = frozenset(tokenize([d.abbreviation])[0]), frozenset(tokenize([text[d.start : d.end]])[0])
                if short and long:
                    aliases.append((short, long))
        return cls(names, tuple(dict.fromkeys(aliases)))

    def asked(self, question: str) -> list[NameRun]:
        """The runs of names `question` gives what it asks about, each as its name stems."""
        runs = _name_runs(CITED_SOURCE.sub(" ", question))
        return [NameRun(run.words & self.names, run.words, run.subject) for run in runs if run.words & self.names]

    def states(self, run: NameRun, terms: frozenset[str]) -> bool:
        """Whether a text of `terms` states `run`: one of its names, or the abbreviation the documents spell
        the run out with ("APSS" for "Alliance Persistent Surveillance"), or the whole long form of the
        abbreviation the run is. Not "NATO" for "Outer Space Treaty": a run is stated by an abbreviation only
        when all of its words are in the long form."""
        if run.stems & terms:
            return True
        return any(
            (short <= terms and run.words <= long) or (long <= terms and short <= run.words)
            for short, long in self.aliases
        )


@dataclass(frozen=True, slots=True)
class NameRun:
    """A run of names of a question ("United States"): its name stems, all its stems, and whether it names
    the question's grammatical subject ("How much does the United States contribute to APSS?")."""

    stems: frozenset[str]
    words: frozenset[str]
    subject: bool = False


@lru_cache(maxsize=4096)
def _name_runs(question: str) -> tuple[NameRun, ...]:
    """Each run of words `question` writes as names (capitalised after its first word, or in capitals),
    outside the clauses that modify a noun (every stem of it a name, until `NameLexicon.asked` keeps only
    the corpus's names)."""
    doc = parsed(question)
    runs: list[list[int]] = []  # the character spans of the runs (spaCy may cut "NSS6G" into "NSS6", "G")
    for i, token in enumerate(doc):
        written = (i > 0 and token.text[:1].isupper()) or (len(token.text) > 1 and token.text.isupper())
        describing = any(t.dep_ in _DESCRIBING for t in (token, *token.ancestors))
        if written and not token.is_punct and not describing:
            if runs and runs[-1][1] == i:
                runs[-1][1] = i + 1
            else:
                runs.append([i, i + 1])
    found = []
    for start, end in runs:
        words = frozenset(tokenize([doc[start:end].text])[0])
        subject = any(t.dep_ in _SUBJECT for t in (doc[start], *doc[start].ancestors))
        found.append(NameRun(words, words, subject))
    return tuple(found)


class SubjectCheck:
    """Sets aside the candidates stating a value for another subject than the one a question names."""

    def __init__(self, lexicon: NameLexicon, stats: TermStatistics) -> None:
        self.lexicon = lexicon
        self.stats = stats

    def about_asked(self, reading: ResolvedQuestion, candidates: list[ScoredSentence]) -> list[ScoredSentence]:
        """`candidates` (best first) without those about another subject, for a reading asking for a value:
        kept when they state every name run of the question, or some, among them its grammatical subject's,
        and no other name; for a reading of a question that only points, also one of the names it may
        stand for (`ResolvedQuestion.referents`: "When was it signed?")."""
        if not candidates or expected_type(reading.type_question) not in VALUES:
            return candidates
        runs = self.lexicon.asked(reading.terms_of)
        if runs:
            question = frozenset(tokenize([reading.terms_of])[0])
            candidates = [c for c in candidates if self._about(c, runs, question)]
        return self._about_one_of(reading.referents, candidates) if reading.referents else candidates

    def _about(self, c: ScoredSentence, runs: list[NameRun], question: frozenset[str]) -> bool:
        """Whether `c` states every run, or some, the grammatical subject's among them, and no other name
        than the question's (its terms: `question`)."""
        terms = self._terms(c)
        said = [self.lexicon.states(run, terms) for run in runs]
        if all(said):
            return True
        subject = [s for s, run in zip(said, runs, strict=True) if run.subject]
        named_else = (self._quote_terms(c) & self.lexicon.names) - question
        return any(said) and (any(subject) or not subject) and not named_else

    def _about_one_of(self, names: tuple[str, ...], candidates: list[ScoredSentence]) -> list[ScoredSentence]:
        """`candidates` about one of `names`, the names of the conversation a question that only points may
        stand for: stated in the quote, or in its context when the quote names nothing else ("It currently
        includes 13 NATO Allies", quoted with "The NORTHLINK project was launched …", is not about STARLIFT,
        named a paragraph before)."""
        runs = [NameRun(words & self.lexicon.names, words) for words in (frozenset(tokenize([n])[0]) for n in names)]
        runs = [run for run in runs if run.stems]
        if not runs:
            return candidates
        referred = frozenset().union(*(run.words for run in runs))

        def about(c: ScoredSentence) -> bool:
            quote = self._quote_terms(c)
            if any(self.lexicon.states(run, quote) for run in runs):
                return True
            return not (quote & self.lexicon.names) - referred and any(
                self.lexicon.states(run, self._terms(c)) for run in runs
            )

        return [c for c in candidates if about(c)]

    def _quote_terms(self, c: ScoredSentence) -> frozenset[str]:
        """The terms of `c`'s quote (with the sentence before it, when quoted with it)."""
        quote = self.stats.sentence_tokens[c.sentence_id]
        return quote | self.stats.sentence_tokens[c.sentence_id - 1] if c.extended else quote

    def _terms(self, c: ScoredSentence) -> frozenset[str]:
        """The terms of `c`'s quote and of its context."""
        return self._quote_terms(c) | self.around(c.sentence_id)

    def around(self, sentence_id: int) -> frozenset[str]:
        """The terms of the sentences a candidate is read with (its context), where a name may be stated."""
        return self.stats.context_tokens[sentence_id]
