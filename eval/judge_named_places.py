"""Does a where-question's value signal miss places named without a preposition? Dev + training questions.

    .venv/bin/python eval/judge_named_places.py

The judge's `value_stated` / `value_missing` read a place only after "in", "at", "near" or "from" (the
pattern of `rag/answer_types.py`). So "Luxembourg provided an early contribution of EUR 16.5 million" states
no place for "Which country contributed EUR 16.5 million to APSS?", and the judge gives the right sentence
0.12; "This week, Toulouse, France takes centre stage …" states none for "In which city was the first
symposium held?". This replaces the two columns, for questions asking for a place, by spaCy's reading: a
place is stated when the quote names a country, city or region (GPE, LOC) or a site (FAC) that the question
does not name, or the pattern finds one. It compares the judge cross-validated with the columns as they are
and replaced (eval/judge_experiments.py's `compare`) on the 216 tuning questions. The test split is never
read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from judge_experiments import compare, tuning_pairs

from rag.answer_types import AnswerType, find_values
from rag.answering import ExtractiveAnswerer
from rag.judge import FEATURES, JudgeCandidate, JudgeQuestion
from rag.judge_fit import Pairs
from rag.nlp import entities

PLACES = frozenset({"GPE", "LOC", "FAC"})


def named_place(answerer: ExtractiveAnswerer):
    def measure(question: JudgeQuestion, candidates: list[JudgeCandidate]) -> list[list[float]]:
        rows = []
        asked = question.text.lower()
        for c in candidates:
            if question.asks is not AnswerType.PLACE:
                rows.append([np.nan, np.nan])
                continue
            stated = bool(find_values(c.quote, AnswerType.PLACE, exclude=question.text)) or any(
                label in PLACES and name.lower() not in asked for label, name in entities(c.quote)
            )
            rows.append([float(stated), float(not stated)])
        return rows

    return measure


def main() -> None:
    pairs, extra, answerable = tuning_pairs(named_place)
    stated, missing = FEATURES.index("value_stated"), FEATURES.index("value_missing")
    place = ~np.isnan(extra[:, 0])
    x = pairs.x.copy()
    x[place, stated] = extra[place, 0]
    x[place, missing] = extra[place, 1]
    changed = int((x[:, stated] != pairs.x[:, stated]).sum())
    print(f"{len(pairs.y)} candidates, {int(place.sum())} of place questions, {changed} read as stating a place now")
    compare({"current features": pairs, "named places": Pairs(x, pairs.y, pairs.items, pairs.readings)}, answerable)


if __name__ == "__main__":
    main()
