"""Shared fixtures: one index built from the real seeds with the real bundled model, per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rag.service import QAComponents, load_components
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
# The fields of the answer contract (`rag ask --json`, `POST /ask`), as the README documents them.
ANSWER_FIELDS = {
    "question",
    "answer",
    "abstained",
    "citations",
    "conflicts",
    "mode",
    "confidence",
    "read_with",
    "read_as",
    "abstention_reason",
}


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(seeds_dir=SEEDS, index_dir=tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def components(settings: Settings) -> QAComponents:
    return load_components(settings)


@pytest.fixture()
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of the seeds that a test may change."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


def source_text(seeds_dir: Path, doc_id: str) -> str:
    """The document exactly as the citation contract reads it."""
    with open(seeds_dir / f"{doc_id}.txt", encoding="utf-8") as fh:
        return fh.read()


# Debris that must never be quoted or retrieved, as it appears in the seeds.
KNOWN_DEBRIS = (
    "< / P >",
    "< p >",
    "Continue Reading",
    "Huawei P40",
    "This content is courtesy of",
    "Click this link for the original source",
    "See: Original Article",
    "(Getty)",
    "Information Technology***",
    "Author: Theresa Hitchens",
)


def under_ci() -> bool:
    """Whether the tests run under CI (`CI` set to 1, true or yes): a service a test needs must then be
    there, and its absence fails the test instead of skipping it."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
