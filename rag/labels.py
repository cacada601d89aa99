"""Numbers that count nothing: a label's number ("Article 5", "Phase 2") or a number word inside a name
("the Five Eyes"). "How many members does NATO have?" was answered "Five" (of the Five Eyes).

The kind check (`rag/kind_check.py`) and the answer's lead (`rag/selection.key_value`) read counts through
this; the judge's signals keep `find_values` as the committed judge was fitted with.
"""

from __future__ import annotations

import re

from rag.answer_types import NUMBER_WORDS, AnswerType, Value

# Words that make the number after them a label, not a count ("Article 5", "Phase 2", "Resolution 1540").
_LABELLED = re.compile(
    r"\b(?:article|section|chapter|paragraph|annex|part|phase|rule|resolution|table|figure|no\.?|number)\s*$", re.I
)
# Inside a sentence, a capitalised number word before a capitalised word is part of a name ("the Five Eyes").
_NAMED_NUMBER = re.compile(rf"(?i:{NUMBER_WORDS})\s+[A-Z]")


def is_label(text: str, value: Value) -> bool:
    """Whether a count found in `text` is a label's number or part of a name ("the invocation of Article 5",
    "members of the Five Eyes"), which counts nothing."""
    if value.kind is not AnswerType.COUNT:
        return False
    if _LABELLED.search(text[max(0, value.start - 20) : value.start]):
        return True
    before = text[: value.start].rstrip()
    inside_sentence = bool(before) and before[-1] not in ".!?:;\"“‘'("
    return inside_sentence and value.text[:1].isupper() and bool(_NAMED_NUMBER.match(text, value.start))
