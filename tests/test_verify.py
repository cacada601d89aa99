import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.corpus import load_corpus
from rag.errors import InvalidQuery
from rag.verify import CLOSE_SCORE, MAX_QUOTE_CHARS, closest_passage, find_exact, span_in_context, verify_quote

from .conftest import SEEDS

RAMSTEIN = "002_685e0ef70b0e745a"
RAMSTEIN_QUOTE = (
    "In 2020, Defence Ministers decided to establish a NATO Space Operations Centre at Allied Air Command in "
    "Ramstein, Germany."
)
DOCS = load_corpus(SEEDS)
BY_ID = {d.doc_id: d for d in DOCS}


def _in_source(location) -> bool:
    return BY_ID[location.doc_id].text[location.start : location.end] == location.text


def test_a_verbatim_quote_is_found_with_its_offsets():
    result = verify_quote(RAMSTEIN_QUOTE, DOCS)
    assert result.verdict == "exact" and result.closest is None
    assert [(m.doc_id, m.start, m.end) for m in result.matches] == [(RAMSTEIN, 1391, 1513)]
    assert result.matches[0].text == RAMSTEIN_QUOTE


def test_typography_and_whitespace_differences_are_tolerated():
    # The document writes NATO’s with a typographic apostrophe; the quote uses a straight one, a line
    # break and a double space, and comes wrapped in quotation marks as copied from an answer.
    text = BY_ID[RAMSTEIN].text
    original = "NATO’s Space Operations Centre located at Allied Air Command in Ramstein"
    assert original in text
    quote = "“NATO's Space Operations\nCentre located  at Allied Air Command in Ramstein”"
    result = verify_quote(quote, DOCS)
    assert result.verdict == "exact"
    assert [m.text for m in result.matches] == [original]
    assert all(_in_source(m) for m in result.matches)


def test_every_occurrence_is_reported_in_document_order():
    result = verify_quote("Ramstein", DOCS)
    assert result.verdict == "exact" and len(result.matches) > 2
    assert all(m.text == "Ramstein" and _in_source(m) for m in result.matches)
    positions = [(m.doc_id, m.start) for m in result.matches]
    assert positions == sorted(positions)


def test_a_misquote_gets_the_closest_passage_and_a_score():
    misquote = (
        "In 2021, Defense Ministers decided to establish a NATO Space Operations Center at Allied Air Command in "
        "Ramstein."
    )
    result = verify_quote(misquote, DOCS)
    assert result.verdict == "close" and result.matches == []
    closest = result.closest
    assert closest.doc_id == RAMSTEIN and _in_source(closest)
    assert closest.text.startswith("In 2020, Defence Ministers") and "Ramstein" in closest.text
    assert CLOSE_SCORE <= closest.score < 100


def test_an_unrelated_quote_is_not_found_but_still_gets_its_closest_passage():
    result = verify_quote("The best chocolate cake needs butter, sugar and dark cocoa.", DOCS)
    assert result.verdict == "not_found" and result.matches == []
    assert result.closest is not None and result.closest.score < CLOSE_SCORE and _in_source(result.closest)


def test_a_long_misquote_is_located_quickly():
    text = BY_ID[RAMSTEIN].text
    long_quote = text[3000:6000].replace("e", "a")
    result = verify_quote(long_quote, DOCS)
    assert result.closest.doc_id == RAMSTEIN
    assert abs(result.closest.start - 3000) < 20 and abs(result.closest.end - 6000) < 40


def test_scope_to_one_document():
    elsewhere = [d for d in DOCS if d.doc_id != RAMSTEIN]
    assert verify_quote(RAMSTEIN_QUOTE, elsewhere).verdict != "exact"


@pytest.mark.parametrize(
    ("quote", "message"),
    [("", "empty"), ("   \n", "empty"), ("x" * (MAX_QUOTE_CHARS + 1), "limit")],
)
def test_unusable_quotes_are_refused(quote, message):
    with pytest.raises(InvalidQuery, match=message):
        verify_quote(quote, DOCS)


def test_find_exact_and_closest_passage_on_a_tiny_document():
    doc = DOCS[0]
    assert find_exact("", doc) == []
    start = doc.text.index("NATO")
    assert (start, start + 4) in find_exact("NATO", doc)
    assert closest_passage("   ", doc) is None


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_span_of_the_corpus_is_found_exactly_where_it_is(data):
    doc = data.draw(st.sampled_from(DOCS))
    start = data.draw(st.integers(0, len(doc.text) - 40))
    end = data.draw(st.integers(start + 20, min(len(doc.text), start + 400)))
    span = doc.text[start:end]
    if not span.strip():
        return
    result = verify_quote(span, [doc])
    assert result.verdict == "exact"
    assert all(_in_source(m) for m in result.matches)
    # The span itself is among the matches (trimmed of the whitespace at its ends).
    inner_start = start + len(span) - len(span.lstrip())
    assert any(m.start == inner_start for m in result.matches)


def test_span_in_context_returns_the_exact_span_and_its_surroundings():
    doc = BY_ID[RAMSTEIN]
    span = span_in_context(doc, 1391, 1513, 50)
    assert span.text == RAMSTEIN_QUOTE
    assert (span.context_start, span.context_end) == (1341, 1563)
    assert span.before + span.text + span.after == doc.text[1341:1563]
    edge = span_in_context(doc, 0, 10, 100)
    assert edge.context_start == 0 and edge.before == ""
    tail = span_in_context(doc, len(doc.text) - 5, len(doc.text), 100)
    assert tail.context_end == len(doc.text) and tail.after == ""


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [(20, 10, "smaller than end"), (10, 10, "smaller than end"), (-1, 5, "negative"), (0, 10**7, "past the end")],
)
def test_span_in_context_refuses_bad_spans(start, end, message):
    with pytest.raises(InvalidQuery, match=message):
        span_in_context(BY_ID[RAMSTEIN], start, end, 10)
