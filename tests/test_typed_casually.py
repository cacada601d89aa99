"""A question typed in lower case and without its question mark is read as the written one."""

from __future__ import annotations

import pytest

from rag.definitions import restore_case, written_case
from rag.service import QAComponents
from rag.wording import as_question

TEXTS = [
    "The system was funded by 6.7 million euros from Luxembourg. The NATO Space Operations Centre (NSpOC) is",
    "in Ramstein. It is part of the NATO Industrial Advisory Group. Space is contested, say us analysts.",
    "According to the summary, the centre opened.",
]


def test_names_and_abbreviations_the_texts_never_write_in_lower_case_get_their_capitals() -> None:
    casing = written_case(TEXTS)
    assert restore_case("how much did luxembourg give to nspoc", casing) == "how much did Luxembourg give to NSpOC"
    # Words the texts write in lower case too, words only ever inside a longer name, and capitals that only
    # open a sentence stay as typed.
    assert restore_case("is space advisory according to us", casing) == "is space advisory according to us"


def test_a_question_that_writes_capitals_is_left_as_written() -> None:
    casing = written_case(TEXTS)
    assert restore_case("Did Ramstein pay luxembourg?", casing) == "Did Ramstein pay luxembourg?"


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("how much did Luxembourg pay", "how much did Luxembourg pay?"),
        ("Is NATO in space ", "Is NATO in space?"),
        ("Where is it?", "Where is it?"),
        ("Tell me about NATO.", "Tell me about NATO."),
        ("Huawei P40 Pro evaluation", "Huawei P40 Pro evaluation"),  # asks nothing: no mark added
    ],
)
def test_a_question_without_its_mark_is_read_with_one(text: str, read: str) -> None:
    assert as_question(text) == read


@pytest.mark.parametrize(
    ("typed", "needle"),
    [
        # Without its mark the embedding's cosine to the answer fell from 0.72 to 0.59, and the judge abstained.
        ("how much did luxembourg pay for 3sas", "6.7 million euros"),
        # In lower case the abbreviation was not seen, and the question not read as asking for its long form.
        ("what does nspoc stand for", "NATO Space Operations Centre"),
        # Read as written, its few words fell under the off-topic floor; an abbreviation the documents write
        # keeps it on topic, once its capitals are back.
        ("what is the full name of niag", "NATO Industrial Advisory Group"),
    ],
)
def test_a_question_typed_casually_is_answered_as_the_written_one(
    components: QAComponents, typed: str, needle: str
) -> None:
    answer = components.answerer.answer(typed)
    assert not answer.abstained and answer.answer.startswith(needle)
    assert answer.question == typed  # the answer gives the question as asked; read_as says how it was read
