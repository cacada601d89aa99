"""`under_ci()`, which turns a missing browser or Milvus server from a skip into a failure."""

from __future__ import annotations

import pytest

from .conftest import under_ci


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), ("YES", True), (" True ", True), ("", False), ("0", False), ("false", False)],
)
def test_under_ci_reads_the_ci_variable(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("CI", value)
    assert under_ci() is expected


def test_not_under_ci_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert under_ci() is False
