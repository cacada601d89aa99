"""A follow-up that only points at its subject, read with a name of the conversation written in
(`rag/coreference.py`)."""

from __future__ import annotations

from rag.chat import Turn
from rag.coreference import MAX_REFERENTS, conversation_names, written_in
from rag.service import QAComponents

APSS = "NATO is currently implementing APSS – the largest multinational investment in space-based capabilities"


def test_the_pronoun_is_replaced_by_the_name() -> None:
    assert written_in("When was it launched?", "APSS") == "When was APSS launched?"
    assert written_in("What is its budget?", "APSS") == "What is APSS's budget?"
    assert written_in("How much did they contribute?", "Luxembourg") == "How much did Luxembourg contribute?"
    # Only the first pronoun: "it" the second time is the same thing, and one name says it.
    assert written_in("Who funds it and when was it launched?", "3SAS") == "Who funds 3SAS and when was it launched?"
    # "that" is a statement said before, not a thing's name ("Who said that?": `rag/speaker.py`).
    assert written_in("Who said that?", "APSS") is None
    assert written_in("Where is the centre?", "NSpOC") is None


def test_the_names_of_the_latest_turns_come_first_and_the_corpus_background_is_no_name(
    components: QAComponents,
) -> None:
    specific = components.extractive.stats.specific
    history = [
        Turn(role="user", content="Which NATO initiative looks down at Earth?"),
        Turn(role="assistant", content=f"“{APSS}.” [1]"),
    ]
    names = conversation_names(history, specific)
    # The answer's name first; "NATO", which most sentences of the corpus use, is no name of its own.
    assert names[0] == ("APSS", "previous_answer")
    assert all(name != "NATO" for name, _ in names)
    assert not specific("NATO") and specific("APSS") and not specific("Atlantis")
    many = [Turn(role="user", content="What do STARLIFT, NORTHLINK, APSS, 3SAS and Aquila have in common?")]
    assert len(conversation_names(many, specific)) <= MAX_REFERENTS


def test_a_follow_up_whose_subject_only_the_answer_names_is_answered_about_it(components: QAComponents) -> None:
    # Read with the whole answer, "When was it launched?" judged APSS's launch at 0.05 and the question alone
    # answered with NORTHLINK's launch (October 2024).
    history = [
        Turn(role="user", content="Which NATO initiative looks down at Earth to show what is happening on the ground?"),
        Turn(role="assistant", content=f"“{APSS} in NATO’s history.” [1]"),
    ]
    answer = components.answerer.answer("When was it launched?", history=history)
    assert not answer.abstained
    assert "February 2023" in answer.citations[0].quote and "APSS" in answer.citations[0].quote
    assert answer.read_as == "When was APSS launched?" and answer.read_with == "previous_answer"


def test_a_reading_with_a_name_only_takes_quotes_read_about_it(components: QAComponents) -> None:
    resolver = components.extractive.resolver
    history = [Turn(role="user", content="What is STARLIFT?"), Turn(role="assistant", content="“STARLIFT.” [1]")]
    named = [r for r in resolver.readings("When was it launched?", history) if r.referent is not None]
    assert [r.query for r in named] == ["When was STARLIFT launched?"]
    quotes = ["The NORTHLINK project was launched in October 2024.", "It was launched in October 2024."]
    contexts = ["The NORTHLINK project was launched in October 2024.", "The STARLIFT project. It was launched."]
    assert named[0].leaves_out(quotes, contexts, [0, 1]) == [True, False]


def test_names_are_runs_of_proper_nouns_and_it_stands_for_no_plural() -> None:
    from rag.coreference import names_in

    text = "“To that end, Allied Defence Ministers endorsed the first NATO Commercial Space Strategy in February 2025.”"
    assert names_in(text) == ("Allied Defence Ministers", "NATO Commercial Space Strategy")  # no "February"
    assert names_in("The 3SAS and the NSP2K programme were funded by Luxembourg.") == ("3SAS", "NSP2K", "Luxembourg")
    funded = names_in("Allies gave more than USD 1 billion to APSS.")
    assert "APSS" in funded and "USD" not in funded  # a currency's code is no name
    assert written_in("Who helped develop it?", "Allied Defence Ministers") is None
    assert (
        written_in("How much did they contribute?", "Seventeen Allies") == "How much did Seventeen Allies contribute?"
    )
    assert written_in("When was it launched?", "APSS") == "When was APSS launched?"


def test_a_long_turn_is_read_for_names_only_so_far(components: QAComponents) -> None:
    from rag.coreference import NAME_CHARS

    specific = components.extractive.stats.specific
    filler = "The Alliance said so. " * (NAME_CHARS // 20)
    history = [Turn(role="user", content=f"{filler} What about STARLIFT?")]
    assert conversation_names(history, specific) == []
    # Of an answer, its quotes are read, not the words around them.
    answer = f"As the page says: “{APSS}.” [1] {filler} STARLIFT"
    assert conversation_names([Turn(role="assistant", content=answer)], specific) == [("APSS", "previous_answer")]
