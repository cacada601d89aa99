from pathlib import Path

import pytest

from rag.chunking import chunk_sentences, is_quotable, sentence_contexts, split_sentences
from rag.cleaning import clean_slice, contains_debris
from rag.corpus import load_corpus, load_document

from .conftest import KNOWN_DEBRIS, SEEDS

DOCS = load_corpus(SEEDS)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.doc_id)
def test_sentence_offsets_point_into_the_original(doc):
    sentences = split_sentences(doc)
    assert len(sentences) > 10
    previous_end = 0
    for s in sentences:
        assert doc.text[s.start : s.end] == s.text
        assert s.start >= previous_end, "sentences are in order and do not overlap"
        previous_end = s.end
        assert s.text == s.text.strip() and not s.text.startswith("•")
        assert not any(d.start < s.end and s.start < d.end for d in doc.debris), "no sentence touches debris"
        assert not contains_debris(s.text)
        assert not any(marker in s.text for marker in KNOWN_DEBRIS)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.doc_id)
@pytest.mark.parametrize(("size", "overlap"), [(700, 150), (300, 0), (1500, 400)])
def test_chunks_are_whole_sentences_with_original_offsets(doc, size, overlap):
    sentences = split_sentences(doc)
    chunks = chunk_sentences(doc, sentences, 0, 0, size, overlap)
    covered = set()
    for i, chunk in enumerate(chunks):
        first, last = sentences[chunk.sentence_ids[0]], sentences[chunk.sentence_ids[-1]]
        assert (chunk.start, chunk.end) == (first.start, last.end)
        assert list(chunk.sentence_ids) == list(range(chunk.sentence_ids[0], chunk.sentence_ids[-1] + 1))
        assert chunk.text == clean_slice(doc.text, chunk.start, chunk.end, doc.debris)
        assert not contains_debris(chunk.text) and not any(m in chunk.text for m in KNOWN_DEBRIS)
        if len(chunk.sentence_ids) > 1:
            assert sum(sentences[j].end - sentences[j].start + 1 for j in chunk.sentence_ids) <= size
        if i:
            shared = set(chunks[i - 1].sentence_ids) & set(chunk.sentence_ids)
            assert sum(sentences[j].end - sentences[j].start + 1 for j in shared) <= overlap
            assert chunk.sentence_ids[0] > chunks[i - 1].sentence_ids[0], "always moves forward"
        covered.update(chunk.sentence_ids)
    assert covered == set(range(len(sentences))), "every sentence is in some chunk"


def test_debris_never_reaches_chunks_of_the_noisy_document():
    doc = next(d for d in DOCS if d.doc_id.startswith("001_"))
    chunks = chunk_sentences(doc, split_sentences(doc), 0, 0, 700, 150)
    joined = " ".join(c.text for c in chunks)
    assert "regarding the exact establishment time" in joined  # text right after `< / P > < p >` is kept
    assert "Huawei" not in joined and "< p >" not in joined


def test_quotable_sentences_exclude_headings_and_questions():
    assert is_quotable("NATO recognises space as an operational domain.")
    assert not is_quotable("The NATO Space Operations Centre")
    assert not is_quotable("Why is space important for NATO and Allies?")
    assert not is_quotable("Training and exercises;")  # too short to stand alone


def test_context_carries_heading_and_previous_sentence(tmp_path: Path):
    path = tmp_path / "doc.txt"
    path.write_text("NORTHLINK\n\nThe project was launched in 2024. It includes 13 Allies.\n", encoding="utf-8")
    sentences = split_sentences(load_document(path))
    contexts = sentence_contexts(sentences)
    assert contexts[-1] == "NORTHLINK\nThe project was launched in 2024.\nIt includes 13 Allies."
