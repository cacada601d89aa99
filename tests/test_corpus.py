import hashlib
from pathlib import Path

import pytest

from rag.corpus import corpus_hash, find_document, load_corpus, parse_date
from rag.errors import CorpusError, DocumentNotFound

from .conftest import REPO, SEEDS

EXPECTED_IDS = [
    "000_0e2e3f937b961bac",
    "001_0af95a1a156b083b",
    "002_685e0ef70b0e745a",
    "003_c18e84aa03fe5042",
    "004_f86d5d7a2ec9e2ba",
]


def test_seeds_are_byte_for_byte_the_shared_ones():
    shared = REPO.parent / "shared" / "seeds"
    assert shared.is_dir(), "CI runs with ../shared beside the clone"
    names = sorted(p.name for p in shared.iterdir())
    assert names == sorted(p.name for p in SEEDS.iterdir())
    for name in names:
        assert (SEEDS / name).read_bytes() == (shared / name).read_bytes(), name


def test_documents_ids_and_text_untouched():
    docs = load_corpus(SEEDS)
    assert [d.doc_id for d in docs] == EXPECTED_IDS
    for doc in docs:
        with open(SEEDS / f"{doc.doc_id}.txt", encoding="utf-8") as fh:
            assert doc.text == fh.read()
        assert doc.sha256 == hashlib.sha256(doc.text.encode()).hexdigest()


def test_titles_dates_publishers_authors():
    docs = {d.doc_id: d for d in load_corpus(SEEDS)}
    assert docs["002_685e0ef70b0e745a"].title == "NATO’s approach to space"
    assert docs["002_685e0ef70b0e745a"].date == "2025-06-24"
    assert docs["002_685e0ef70b0e745a"].publisher == "NATO"
    assert docs["001_0af95a1a156b083b"].title == "New progress in NATO’s space force construction"
    assert docs["003_c18e84aa03fe5042"].title == "Inaugural NATO Space Symposium Charts Course for Space Security"
    assert docs["003_c18e84aa03fe5042"].date == "2024-04-29"
    assert docs["003_c18e84aa03fe5042"].publisher == "NATO's Strategic Warfare Development Command"
    assert docs["004_f86d5d7a2ec9e2ba"].author == "Theresa Hitchens"
    assert docs["004_f86d5d7a2ec9e2ba"].publisher == "breakingdefense.com"
    # No heading: titled by its first sentence, never by the photo caption or a "Summary:" label.
    assert docs["004_f86d5d7a2ec9e2ba"].title.startswith("NATO’s just-released “Commercial Space Strategy”")
    assert docs["000_0e2e3f937b961bac"].title.startswith("At present, the North Atlantic Treaty Organization")


def test_parse_date_formats():
    assert parse_date("Published by NATO, 24 June 2025") == "2025-06-24"
    assert parse_date("April 29, 2024") == "2024-04-29"
    assert parse_date("no date here") is None


def test_markdown_files_are_part_of_the_corpus(seeds_copy: Path):
    (seeds_copy / "extra_note.md").write_text("# A note\n\nSomething new happened.\n", encoding="utf-8")
    (seeds_copy / "ignored.json").write_text("{}", encoding="utf-8")
    docs = load_corpus(seeds_copy)
    assert [d.doc_id for d in docs] == [*EXPECTED_IDS, "extra_note"]
    assert find_document(docs, "extra_note").title == "A note"
    with pytest.raises(DocumentNotFound):
        find_document(docs, "../../etc/passwd")


def test_non_utf8_and_missing_folder_are_clear_errors(tmp_path: Path):
    with pytest.raises(CorpusError, match="seeds folder not found"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9")
    with pytest.raises(CorpusError, match=r"bad\.txt is not valid UTF-8"):
        load_corpus(tmp_path)


def test_corpus_hash_changes_with_content(seeds_copy: Path):
    before = corpus_hash(load_corpus(seeds_copy))
    path = seeds_copy / "003_c18e84aa03fe5042.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.", encoding="utf-8")
    assert corpus_hash(load_corpus(seeds_copy)) != before
    assert before == corpus_hash(load_corpus(SEEDS))
