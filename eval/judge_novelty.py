"""Does a quote say anything the question did not? Dev + training questions only.

    .venv/bin/python eval/judge_novelty.py

An on-topic quote that does not answer often restates the question ("the major member states have
different emphases on space power construction" for "What does Germany value in its space power
construction?"): it covers the question's terms and adds nothing. An answer states something new: a name,
an acronym, a quoted term, a number, words the question does not use. This adds, for every candidate, how
much of the quote (and of the quote in context) is new to the question as read (with its history, for a
follow-up): the IDF share of its content terms the question does not use, and the number of names
(capitalised words, acronyms, quoted phrases, numbers) the question does not name, then compares the judge
cross-validated with and without them (eval/judge_experiments.py's `compare`) on the 216 tuning
questions. The test split is never read.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from judge_experiments import compare, tuning_pairs

from rag.answer_types import AnswerType, is_polar
from rag.answering import ExtractiveAnswerer
from rag.judge import JudgeQuestion
from rag.judge_fit import Pairs
from rag.text import tokenize

# A name: a capitalised word after the first word of a clause, an acronym, a quoted phrase, or a number.
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]*|\b[A-Z]{2,}\w*|[“\"][^”\"]{2,60}[”\"]|\b\d[\d,.]*\b")


def names(text: str) -> set[str]:
    return {m.group(0).strip('“”"').lower() for m in _NAME.finditer(text)}


def novelty(answerer: ExtractiveAnswerer, question: JudgeQuestion, quote: str, context: str) -> list[float]:
    stats = answerer.stats
    asked = set(tokenize([question.text])[0])
    asked_names = names(question.text)
    asked_lower = question.text.lower()
    rows = []
    for text in (quote, f"{context} {quote}"):
        terms = set(tokenize([text])[0])
        mass = sum(stats.idf(t) for t in terms)
        new = sum(stats.idf(t) for t in terms - asked)
        rows.append(new / mass if mass else 0.0)
    new_names = {n for n in names(quote) - asked_names if n not in asked_lower}
    wants_entity = question.asks is AnswerType.OTHER and not is_polar(question.text)
    return [*rows, math.log1p(len(new_names)), float(wants_entity and bool(new_names))]


def main() -> None:
    pairs, extra, answerable = tuning_pairs(
        lambda answerer: lambda q, cands: [novelty(answerer, q, c.quote, c.context) for c in cands]
    )
    print(f"{len(pairs.y)} candidates, {int(pairs.y.sum())} answering, {len(answerable)} questions")
    plus = Pairs(np.column_stack([pairs.x, extra]), pairs.y, pairs.items, pairs.readings)
    names_only = Pairs(np.column_stack([pairs.x, extra[:, 2:]]), pairs.y, pairs.items, pairs.readings)
    compare({"current features": pairs, "+ novelty": plus, "+ new names only": names_only}, answerable)


if __name__ == "__main__":
    main()
