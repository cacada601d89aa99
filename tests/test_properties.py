"""Property-based checks of the offset guarantees, on generated documents full of debris."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.chunking import chunk_sentences, split_sentences
from rag.cleaning import contains_debris
from rag.corpus import load_document
from rag.text import normalize_text

WORDS = st.sampled_from(
    ["NATO", "space", "Allies", "U.S.", "satellite", "2024", "€1.5", "“quoted”", "it’s", "Ramstein", "and", "the"]
)
SENTENCE = st.lists(WORDS, min_size=2, max_size=12).map(lambda ws: " ".join(ws) + ".")
DEBRIS = st.sampled_from(["< / P > < p >", "< p >", "<br/>", "(Beijing Lande Information Technology***.)"])
PIECE = st.one_of(SENTENCE, SENTENCE, SENTENCE, DEBRIS, st.sampled_from(["\n", "\n\n", "  • ", " "]))
TRAILERS = st.sampled_from(
    ["", "\nSee: Original Article", " Continue Readinggather and watch! Phone review: do you like it?"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(PIECE, min_size=1, max_size=40), trailer=TRAILERS)
def test_sentences_and_chunks_never_contain_debris_and_map_back(tmp_path: Path, pieces, trailer):
    path = tmp_path / "generated.txt"
    path.write_text(" ".join(pieces) + trailer, encoding="utf-8")
    doc = load_document(path)
    sentences = split_sentences(doc)
    for s in sentences:
        assert doc.text[s.start : s.end] == s.text
        assert not contains_debris(s.text)
    for chunk in chunk_sentences(doc, sentences, 0, 0, 200, 50):
        assert not contains_debris(chunk.text)
        assert doc.text[chunk.start : chunk.end].startswith(sentences[chunk.sentence_ids[0]].text)


@given(st.text())
def test_normalisation_never_changes_length(text):
    assert len(normalize_text(text)) == len(text)
