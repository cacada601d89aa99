"""Who said what the previous answer quoted, when the quote names its speaker only by a pronoun.

"Who said that?" after “Further, he encouraged the audience to …” asks whom "he" stands for. An English
pronoun refers back: its antecedent is the nearest person named before it, a sentence or a few up in the
same document. The judge reads each sentence against the question, and "Who said that?" shares nothing
with the sentence naming that person, so it prefers any sentence that names a speaker (in the seeds, the
next speaker of the symposium). The antecedent is found by reading the document back from the quote instead,
as `rag/byline.py` answers "Who wrote …?" from the byline, and that sentence is quoted with its characters.

Only a question that asks who said what was just shown ("Who said that?", "Who stressed this?", "Who made
that remark?"), after an answer whose first quote has "he" or "she" and names no person (spaCy's entities,
`rag/nlp.py`), is answered so; otherwise the judge answers as for any question. A quote that names its
speaker needs no resolving, and a pronoun with no person named within REACH sentences before it in its
document is left to the judge.

Why not a coreference library: coreferee (the spaCy component that supports this pipeline's version)
fetches its trained English model from GitHub (`python -m coreferee install en`), which these machines
cannot reach, and neural resolvers (fastcoref, maverick-coref) load transformer weights from a model hub.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Set

from rag.candidates import ScoredSentence
from rag.chat import Turn, previous_quotes
from rag.index_store import CorpusIndex
from rag.nlp import entities

ASKS_SPEAKER = re.compile(
    r"^\s*who\s+(?:(?:said|says|stated|added|stressed|noted|told|encouraged|urged|warned|argued|explained|"
    r"announced)\s+(?:that|this|it|these|those)(?:\s+(?:statement|remark|comment|point|claim)s?)?|"
    r"made\s+(?:that|this|these|those)\s+(?:statement|remark|comment|point|claim)s?)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"\b(?:he|she)\b", re.IGNORECASE)
# How far back (sentences, in the quote's document) the person a pronoun stands for may be named.
REACH = 3


def names_person(text: str) -> bool:
    return any(label == "PERSON" for label, _ in entities(text))


def antecedent(index: CorpusIndex, quoted: int) -> int | None:
    """The sentence naming the person that "he"/"she" in sentence `quoted` stands for: the nearest one before
    it in its document, within REACH, that names a person; None when the sentence names a person itself, has
    no such pronoun, or no person is named close enough before it."""
    sentences = index.sentences
    text = sentences[quoted].text
    if not _PRONOUN.search(text) or names_person(text):
        return None
    for sid in range(quoted - 1, max(quoted - REACH, 0) - 1, -1):
        if sentences[sid].doc_id != sentences[quoted].doc_id:
            return None
        if sentences[sid].quotable and names_person(sentences[sid].text):
            return sid
    return None


def speaker_quote(
    index: CorpusIndex, question: str, history: list[Turn] | None, quoted_sentences: Callable[[list[str]], Set[int]]
) -> list[ScoredSentence]:
    """For "Who said that?" after an answer quoting a sentence whose speaker is a pronoun: the sentence
    naming that speaker, as the one candidate of the answer (empty otherwise). `quoted_sentences` maps
    quotes to the sentences they lie in (`Resolver.quoted_sentences`)."""
    quotes = previous_quotes(history) if history and ASKS_SPEAKER.match(question) else []
    quoted = sorted(quoted_sentences(quotes[:1])) if quotes else []
    found = antecedent(index, quoted[0]) if quoted else None
    if found is None:
        return []
    s = index.sentences[found]
    return [ScoredSentence(found, s.doc_id, s.start, s.end, score=1.0, dense=0.0, lexical=0.0)]
