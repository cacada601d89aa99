"""Who "he" or "she" is in a quote just shown (`rag/speaker.py`)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rag.chat import Turn
from rag.chunking import Sentence
from rag.speaker import ASKS_SPEAKER, antecedent, speaker_quote


@dataclass
class _Index:
    sentences: list[Sentence]


def _index(*texts: str, doc_ids: tuple[str, ...] = (), headings: tuple[int, ...] = ()) -> _Index:
    sentences, start = [], 0
    for i, text in enumerate(texts):
        doc = doc_ids[i] if doc_ids else "d"
        sentences.append(Sentence(doc, start, start + len(text), text, block=i, quotable=i not in headings))
        start += len(text) + 1
    return _Index(sentences)


SPEAKER = "Admiral Jane Porter, the head of the agency, opened the meeting."
PLAIN = "The meeting discussed launch capacity at length."
PRONOUN = "Further, she urged the allies to share data."


def test_the_person_a_pronoun_stands_for_is_named_before_it():
    index = _index(SPEAKER, PLAIN, PRONOUN)
    assert antecedent(index, 2) == 0  # the nearest person named before, two sentences up


@pytest.mark.parametrize(
    ("index", "quoted"),
    [
        (_index(SPEAKER, PLAIN, "Admiral Porter said she would stay."), 2),  # the quote names its speaker
        (_index(SPEAKER, PLAIN, "The allies share data."), 2),  # no pronoun to resolve
        (_index(PLAIN, PRONOUN, SPEAKER), 1),  # a person named only after the pronoun
        (_index(SPEAKER, PRONOUN, doc_ids=("a", "b")), 1),  # named in another document
        (_index(SPEAKER, PLAIN, PLAIN, PLAIN, PRONOUN), 4),  # too far back
        (_index(SPEAKER, PRONOUN, headings=(0,)), 1),  # a heading is not quoted
    ],
)
def test_no_antecedent(index, quoted):
    assert antecedent(index, quoted) is None


@pytest.mark.parametrize("question", ["Who said that?", "who stressed this", "Who made that remark?", "Who added it?"])
def test_questions_asking_who_said_what_was_shown(question):
    assert ASKS_SPEAKER.match(question)


@pytest.mark.parametrize(
    "question",
    ["Who said NATO would act?", "Who is he?", "Who said that NATO would act?", "Who wrote it?", "Who made that?"],
)
def test_other_who_questions(question):
    assert not ASKS_SPEAKER.match(question)


def test_the_speaker_sentence_answers_only_after_a_quote_with_a_pronoun():
    index = _index(SPEAKER, PLAIN, PRONOUN)
    history = [Turn(role="user", content="What did she urge?"), Turn(role="assistant", content=f"“{PRONOUN}” [1]")]

    def quoted(quotes: list[str]) -> set[int]:
        return {i for i, s in enumerate(index.sentences) if any(s.text in q for q in quotes)}

    [found] = speaker_quote(index, "Who said that?", history, quoted)
    assert (found.sentence_id, found.start, found.end) == (0, 0, len(SPEAKER))
    assert speaker_quote(index, "Who said that?", None, quoted) == []
    assert speaker_quote(index, "When did she say it?", history, quoted) == []
    other = [history[0], Turn(role="assistant", content=f"“{PLAIN}” [1]")]
    assert speaker_quote(index, "Who said that?", other, quoted) == []
