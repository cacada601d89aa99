"""The answerability judge: the probability that a candidate quote states what the question asks.

`Judge` is the stage's interface. `FittedJudge`, the offline default, is a logistic regression over
general signals of a (question, quote) pair (`judge_features`): meaning, term and focus coverage, whether
a value of the asked type is stated, retrieval rank, how the candidate compares with the rest of the pool.
Its weights are fitted on labelled pairs from the `dev` split's gold evidence (`rag judge fit`, see
`rag/judge_fit.py`) and stored in `rag/judge_model.json`, together with the operating point chosen on
cross-validated `dev` answers. `rag/chat_judge.py` has the chat-model judge, which falls back to this one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.answer_types import AnswerType, is_polar
from rag.candidates import ScoredSentence
from rag.errors import RagError

DEFAULT_JUDGE_MODEL = Path(__file__).with_name("judge_model.json")
JUDGE_FORMAT = 3


class JudgeModelError(RagError):
    """The judge's model file is missing, unreadable or made for other features."""


@dataclass(frozen=True, slots=True)
class JudgeQuestion:
    """The question as judged: its words (for a follow-up, read with its history), the kind of answer it
    wants, and how many content terms it has."""

    text: str
    asks: AnswerType
    terms: int


@dataclass(frozen=True, slots=True)
class JudgeCandidate:
    """A candidate quote with its signals, its text and the text around it (heading, previous sentence)."""

    scored: ScoredSentence
    quote: str
    context: str


class Judge(Protocol):
    """Given a question and its candidate quotes, the probability that each states what was asked."""

    def judge(self, question: JudgeQuestion, candidates: list[JudgeCandidate]) -> list[float]: ...


FEATURES = (
    "dense",
    "dense_alone",
    "dense_context",
    "dense_gap",  # the pool's best dense score minus this one's
    "heuristic",
    "heuristic_gap",
    "heuristic_rank",  # 1 / rank in the pool by the heuristic score
    "cover_sentence",
    "cover_context",
    "cover_paragraph",
    "focus_sentence",
    "focus_context",
    "uncovered",
    "soft_sentence",
    "soft_context",
    "value_proximity",
    "asks_value",
    "value_stated",  # asks for a value, and the quote states one of that kind
    "value_missing",  # asks for a value, and the quote states none
    "asks_person",
    "asks_date",
    "asks_count_or_amount",
    "polar",
    "question_terms",  # log(1 + content terms of the question): a two-word question is weak evidence
    "near_anchor",
    "passage_rank",  # 1 / first-stage rank of its passage (0 when only near an anchor)
    "extended",
    "quote_length",  # log of the quote's length in characters
)


def judge_features(question: JudgeQuestion, candidates: list[JudgeCandidate]) -> np.ndarray:
    """One row of FEATURES per candidate; pool-relative features compare it with the other candidates."""
    if not candidates:
        return np.zeros((0, len(FEATURES)), dtype=np.float64)
    pool = [c.scored for c in candidates]
    best_dense = max(s.dense for s in pool)
    best_heuristic = max(s.heuristic for s in pool)
    order = sorted(range(len(pool)), key=lambda i: (-pool[i].heuristic, pool[i].sentence_id))
    rank = {i: r for r, i in enumerate(order, start=1)}
    asks_value = question.asks is not AnswerType.OTHER
    polar = is_polar(question.text)
    rows = []
    for i, c in enumerate(candidates):
        s = c.scored
        rows.append(
            [
                s.dense,
                s.dense_alone,
                s.dense_context,
                best_dense - s.dense,
                s.heuristic,
                best_heuristic - s.heuristic,
                1.0 / rank[i],
                s.cover_sentence,
                s.cover_context,
                s.cover_paragraph,
                s.focus_sentence,
                s.focus_context,
                s.uncovered,
                s.soft_sentence,
                s.soft_context,
                s.value_proximity,
                float(asks_value),
                float(asks_value and s.type_ok),
                float(asks_value and not s.type_ok),
                float(question.asks is AnswerType.PERSON),
                float(question.asks is AnswerType.DATE),
                float(question.asks in (AnswerType.COUNT, AnswerType.AMOUNT)),
                float(polar),
                math.log1p(question.terms),
                s.near_anchor,
                1.0 / s.passage_rank if s.passage_rank else 0.0,
                float(s.extended),
                math.log(max(len(c.quote), 1)),
            ]
        )
    return np.asarray(rows, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Linear:
    """A linear function of standardised inputs: ((x - mean) / scale) @ coef + intercept."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float = 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def to_json(self) -> dict:
        # Rounded, so that a refit on the same data writes the same file (the last bits of a float vary with
        # the order of a sum); six decimals move no probability by more than about 1e-5.
        return {
            "mean": _rounded(self.mean),
            "scale": _rounded(self.scale),
            "coef": _rounded(self.coef),
            "intercept": round(self.intercept, 6),
        }

    @classmethod
    def from_json(cls, raw: dict) -> Linear:
        return cls(*(np.asarray(raw[k], dtype=np.float64) for k in ("mean", "scale", "coef")), float(raw["intercept"]))


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in values]


def answerability_inputs(rank_scores: np.ndarray, x: np.ndarray) -> np.ndarray:
    """What the answerability model reads of each candidate: its ranking score, its lead over the next
    candidate when it ranks first (0 for the others, which are judged on their own strength, so that a
    corroborating or disagreeing quote is not penalised for ranking second), and its features."""
    lead = np.zeros(len(rank_scores))
    if len(rank_scores):
        order = np.argsort(-rank_scores, kind="stable")
        lead[order[0]] = rank_scores[order[0]] - rank_scores[order[1]] if len(rank_scores) > 1 else 1.0
    return np.column_stack([rank_scores, lead, x])


@dataclass(frozen=True, slots=True)
class JudgeModel:
    """The fitted judge, in two parts (`rag judge fit`):

    - a ranker: which candidate of a pool states the answer, learnt from pairs (an answering quote against
      a non-answering one of the same question: a pairwise logistic regression);
    - an answerability model: the probability that a candidate states the answer given its ranking score,
      its lead over the rest of the pool and its features (a logistic regression over every reading's best
      candidate), so the best candidate's probability says whether the question is answered at all.
    """

    features: tuple[str, ...]
    ranker: Linear
    answerability: Linear
    threshold: float  # the calibrated operating point: answer when the best probability reaches it
    meta: dict
    relevance_floor: float = 0.0  # the calibrated off-topic floor (rag/off_topic.py); 0: no check

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        if x.shape[0] == 0:
            return np.zeros(0)
        z = self.answerability(answerability_inputs(self.ranker(x), x))
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))

    def to_json(self) -> dict:
        return {
            "format": JUDGE_FORMAT,
            "features": list(self.features),
            "ranker": self.ranker.to_json(),
            "answerability": self.answerability.to_json(),
            "threshold": self.threshold,
            "relevance_floor": self.relevance_floor,
            "meta": self.meta,
        }


def load_judge_model(path: Path = DEFAULT_JUDGE_MODEL) -> JudgeModel:
    """The fitted judge at `path`; JudgeModelError when missing or made for other features."""
    return _load_judge_model(str(path))


@lru_cache(maxsize=4)
def _load_judge_model(path: str) -> JudgeModel:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise JudgeModelError(f"cannot read the judge model {path}: {exc}; refit it with `rag judge fit`") from exc
    if (
        raw.get("format") != JUDGE_FORMAT
        or tuple(raw.get("features", ())) != FEATURES
        or not isinstance(raw.get("relevance_floor"), int | float)
    ):
        raise JudgeModelError(
            f"the judge model {path} was fitted for other features or by an older version; refit it with "
            "`rag judge fit`"
        )
    return JudgeModel(
        FEATURES,
        Linear.from_json(raw["ranker"]),
        Linear.from_json(raw["answerability"]),
        float(raw["threshold"]),
        dict(raw.get("meta", {})),
        float(raw["relevance_floor"]),
    )


class FittedJudge:
    """The offline judge: the fitted model over `judge_features`. Deterministic."""

    def __init__(self, model: JudgeModel) -> None:
        self.model = model

    @classmethod
    def from_file(cls, path: Path = DEFAULT_JUDGE_MODEL) -> FittedJudge:
        return cls(load_judge_model(path))

    @property
    def threshold(self) -> float:
        return self.model.threshold

    @property
    def relevance_floor(self) -> float:
        return self.model.relevance_floor

    def judge(self, question: JudgeQuestion, candidates: list[JudgeCandidate]) -> list[float]:
        return [float(p) for p in self.model.probabilities(judge_features(question, candidates))]


class HeuristicJudge:
    """The signals' hand-weighted combination (meaning and term coverage, halved when the quote states no
    value of the asked kind), as answering ranked candidates before the fitted judge: a baseline."""

    def judge(self, question: JudgeQuestion, candidates: list[JudgeCandidate]) -> list[float]:
        return [c.scored.heuristic * (1.0 if c.scored.type_ok else 0.5) for c in candidates]
