"""What the ingestion tests and benchmarks make themselves (no downloaded files): PDF, DOCX and HTML
fixtures, copies of a store, and stand-in vectors for processes that must not load the model."""

from __future__ import annotations

import hashlib
import io
import sqlite3
from pathlib import Path

import numpy as np

from rag.store import store_path


def backup_store(source_index: Path, target_index: Path) -> Path:
    """A consistent copy of the store in `source_index` into `target_index` (created), by SQLite's backup."""
    target_index.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(store_path(source_index)), sqlite3.connect(store_path(target_index))
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target_index


def stand_in_vectors(texts: list[str]) -> np.ndarray:
    """Unit vectors seeded by each text's hash: the same text always gets the same vector, and no model runs."""
    rows = []
    for text in texts:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
        rows.append(v / np.linalg.norm(v))
    return np.vstack(rows)


WALRUS_PAGES = [
    "Svalbard walrus survey\n\nThe survey team flew over the eastern islands in August.",
    "The walrus survey of 2021 counted 412 animals at Kapp Lee on Edgeøya.",
    "Funding came from the Norwegian Polar Institute, which has run the survey every five years since 2006.",
]


def make_pdf(pages: list[str] = WALRUS_PAGES) -> bytes:
    """A text PDF with one page per string (fpdf2's core fonts: Latin-1 text)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        for paragraph in text.split("\n\n"):
            pdf.multi_cell(0, 8, paragraph)
            pdf.ln(4)
    return bytes(pdf.output())


def make_image_only_pdf() -> bytes:
    """A PDF whose page has drawings but no text (as a scan without OCR)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    return bytes(pdf.output())


def make_encrypted_pdf(password: str = "secret") -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(make_pdf()))
    writer.encrypt(user_password=password, owner_password=password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(paragraphs: list[str], title: str | None = None) -> bytes:
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
        document.add_heading(title, level=1)
    for p in paragraphs:
        document.add_paragraph(p)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


BOILERPLATE = ("Subscribe to our newsletter", "Cookie settings", "All rights reserved")


def make_html(body_paragraphs: list[str], title: str) -> bytes:
    """An article page with navigation, a sidebar and a footer around the article (boilerplate to drop)."""
    article = "\n".join(f"<p>{p}</p>" for p in body_paragraphs)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{title} | Polar News</title></head>
<body><header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/science">Science</a>
<a href="/subscribe">{BOILERPLATE[0]}</a></nav></header>
<main><article><h1>{title}</h1>{article}</article></main>
<aside><h3>Most read</h3><ul><li><a href="/a">Ten things about penguins</a></li></ul></aside>
<footer><p>{BOILERPLATE[1]}</p><p>Copyright 2024 Polar News. {BOILERPLATE[2]}.</p></footer></body></html>""".encode()


class CountingEmbedder:
    """The real embedder, counting every text it is asked to encode."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_path = inner.model_path
        self.batch_size = inner.batch_size
        self.texts: list[str] = []

    def warm_up(self) -> None:
        self.inner.warm_up()

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts, progress=None):
        self.texts += list(texts)
        return self.inner.encode(texts, progress)
