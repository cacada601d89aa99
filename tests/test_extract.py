"""Text extraction from each supported format, and a clear InvalidDocument for every bad file."""

import pytest

from rag.errors import InvalidDocument, UnsupportedFormat
from rag.extract import extract_text, media_type_for
from tests.documents import (
    BOILERPLATE,
    WALRUS_PAGES,
    make_docx,
    make_encrypted_pdf,
    make_html,
    make_image_only_pdf,
    make_pdf,
)


def test_pdf_text_keeps_its_pages():
    extracted = extract_text(make_pdf(), "survey.pdf")
    assert extracted.media_type == "application/pdf"
    assert [p.page for p in extracted.pages] == [1, 2, 3]
    for page, expected in zip(extracted.pages, WALRUS_PAGES, strict=True):
        on_page = extracted.text[page.start : page.end]
        for sentence in expected.split("\n\n"):
            assert " ".join(sentence.split()) in " ".join(on_page.split())
    assert "412 animals" in extracted.text[extracted.pages[1].start : extracted.pages[1].end]
    assert extracted.pages[0].end < extracted.pages[1].start  # pages never share a character


def test_pdf_encrypted_with_an_empty_password_is_read():
    extracted = extract_text(make_encrypted_pdf(password=""), "open.pdf")
    assert "412 animals" in extracted.text


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.txt", "the file is empty"),
        (b"", "empty.pdf", "the file is empty"),
        ("Ünïcödé in Latin-1".encode("latin-1"), "latin1.txt", "not valid UTF-8"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00" * 50, "program.txt", "binary"),
        (bytes(range(1, 32)) * 40, "controls.md", "binary"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", "broken.pdf", "corrupt"),
        (b"this is not a pdf at all", "fake.pdf", "not a PDF"),
        (make_pdf()[: len(make_pdf()) // 2], "truncated.pdf", "PDF"),
        (make_encrypted_pdf(), "locked.pdf", "encrypted"),
        (make_image_only_pdf(), "scan.pdf", "no extractable text"),
        (b"PK\x03\x04 not really a zip", "broken.docx", "corrupt"),
        (b"plain words", "fake.docx", "not a .docx"),
        (b"<html><head><script>var a = 1;</script></head><body></body></html>", "empty.html", "no main text"),
        (b"   \n\n  ...  \n", "blank.txt", "no text"),
    ],
)
def test_bad_files_are_refused_with_a_reason(data: bytes, name: str, message: str):
    with pytest.raises(InvalidDocument, match=message):
        extract_text(data, name)


@pytest.mark.parametrize("name", ["tool.exe", "sheet.xlsx", "picture.png", "noext"])
def test_unsupported_types(name: str):
    with pytest.raises(UnsupportedFormat, match="cannot read"):
        media_type_for(name, "application/octet-stream")


def test_content_type_names_a_file_without_suffix():
    assert media_type_for("upload", "application/pdf") == "application/pdf"


def test_text_is_utf8_with_universal_newlines_and_no_bom():
    extracted = extract_text("\ufeffTitle\r\n\r\nOne line.\rTwo.".encode(), "notes.txt")
    assert extracted.text == "Title\n\nOne line.\nTwo."


def test_html_main_text_without_boilerplate():
    paragraphs = [
        "The narwhal census of 2023 counted 1,200 narwhals in Tremblay Sound.",
        "Researchers from Fisheries and Oceans Canada led the count.",
    ]
    extracted = extract_text(make_html(paragraphs, "Narwhal census"), "census.html")
    assert extracted.media_type == "text/html"
    assert all(p in extracted.text for p in paragraphs)
    assert not any(b in extracted.text for b in BOILERPLATE), extracted.text
    assert "Ten things about penguins" not in extracted.text
    assert extracted.title and "Narwhal census" in extracted.title


def test_docx_paragraphs_and_title():
    data = make_docx(["The beluga count of 2022 found 57 whales in the Saint Lawrence estuary."], title="Beluga count")
    extracted = extract_text(data, "beluga.docx")
    assert extracted.title == "Beluga count"
    assert "57 whales" in extracted.text and extracted.text.startswith("Beluga count")
