"""A follow-up that picks one item of a list the previous answer named (`rag/ordinal.py`)."""

from __future__ import annotations

import pytest

from rag.chat import Turn
from rag.ordinal import named_lists, pick_from_list
from rag.service import QAComponents

THREE = "The major member states represented by Britain, France and Germany have different emphases."
TWO = "Some countries, including Russia and China, have developed counter-space technologies."


def test_the_lists_of_names_a_text_states():
    text = (
        "It currently includes 13 NATO Allies: Canada, Denmark, the Netherlands and the United States.\n\n"
        "Partners include the European Union and the United Nations. Satellite communications, imagery and "
        "navigation matter."
    )
    assert named_lists([text]) == [
        ["Canada", "Denmark", "Netherlands", "United States"],
        ["European Union", "United Nations"],  # a name ends at its line; "and navigation" is no name
    ]
    assert named_lists(["Britain tends to enhance its support; Germany values private capital."]) == []


@pytest.mark.parametrize(
    ("question", "quotes", "read_as"),
    [
        ("What does the first of those countries value?", [THREE], "What does Britain value?"),
        ("What does the second of them value?", [THREE], "What does France value?"),
        ("And the last one?", [THREE], "And Germany?"),
        ("What did the latter test?", [TWO], None),  # "latter test": read as a noun phrase, not a pointer
        ("What has the former tested?", [TWO], "What has Russia tested?"),
        ("Who leads the latter?", [TWO], "Who leads China?"),
        ("What has the first of these tested?", [TWO], "What has Russia tested?"),
        # The first list long enough for the ordinal, in the order the answer quotes them.
        ("What does the third of those states value?", [TWO, THREE], "What does Germany value?"),
        ("What does the first of those states value?", [TWO, THREE], "What does Russia value?"),
    ],
)
def test_a_pointer_is_replaced_by_the_item_it_picks(question, quotes, read_as):
    picked = pick_from_list(question, quotes)
    assert (picked.question if picked else None) == read_as


@pytest.mark.parametrize(
    ("question", "quotes"),
    [
        ("What does the fourth of those countries value?", [THREE]),  # the list is too short
        ("Who leads the latter?", [THREE]),  # "the latter" of three
        ("Who was the former Secretary General?", [TWO]),  # a title, not a pointer
        ("What was the first NATO space policy?", [THREE]),  # an ordinal that points at nothing
        ("What does the first of those countries value?", ["NATO values its partners."]),  # no list
        ("What does the first of those countries value?", []),
    ],
)
def test_nothing_is_picked(question, quotes):
    assert pick_from_list(question, quotes) is None


def test_a_quote_naming_the_list_again_is_about_the_list():
    picked = pick_from_list("What did the first of them test?", [TWO])
    assert picked is not None and picked.items == ("Russia", "China")
    assert picked.restates_list("Some countries, including Russia and China, tested weapons in space.")
    assert not picked.restates_list("NATO condemned Russia's anti-satellite missile test.")
    assert not picked.restates_list("Russia and Iran tested weapons.")


BRITAIN = (
    "from the perspective of NATO, the major member states represented by Britain, France and Germany have "
    "different emphases on space power construction."
)
RUSSIA = (
    "Some countries, including Russia and China, have developed and tested a wide range of counter-space technologies."
)


@pytest.mark.parametrize(
    ("listed", "question", "read_as", "answer", "the_list"),
    [
        # Without the pick, the answer repeated the quote that named the list (`chain-b-001-britain-emphasis`).
        (
            BRITAIN,
            "What does the first of those countries tend to prioritise?",
            "What does Britain tend to prioritise?",
            "Britain tends to enhance",
            "Britain, France and Germany",
        ),
        # Another document's sentence naming the same list is about the list, not the item: left out.
        (
            RUSSIA,
            "What did the first of those countries test in November 2021?",
            "What did Russia test in November 2021?",
            "anti-satellite missile test",
            "Russia and China",
        ),
    ],
)
def test_the_item_picked_is_what_the_follow_up_asks_about(
    components: QAComponents, listed: str, question: str, read_as: str, answer: str, the_list: str
) -> None:
    history = [Turn(role="user", content="Which ones?"), Turn(role="assistant", content=f"“{listed}” [1]")]
    found = components.answerer.answer(question, history=history)
    assert not found.abstained and found.read_as == read_as
    assert answer in found.citations[0].quote
    assert all(the_list not in c.quote for c in found.citations)
