"""Regression gate: compare a run with the committed baseline (or any two runs), metric by metric."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from rag.errors import RagError
from rag.evaluation.metrics import LATENCY_METRICS, QUALITY_METRICS
from rag.evaluation.runner import RunResult, SystemResult, load_run

DEFAULT_BASELINE = Path("eval/baseline.json")
# Absolute drop allowed before a metric counts as a regression. The numbers are deterministic, so this
# only forgives rounding; one question flipping in a category of ten moves its metrics by 0.1.
DEFAULT_TOLERANCE = 0.005


class RunFileError(RagError):
    """A run or baseline file is missing or not a result of `rag eval`."""


@dataclass(frozen=True, slots=True)
class Delta:
    scope: str  # "overall" or a category
    metric: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        return None if self.before is None or self.after is None else round(self.after - self.before, 4)


@dataclass(slots=True)
class Comparison:
    deltas: list[Delta] = field(default_factory=list)
    regressions: list[Delta] = field(default_factory=list)
    broke: list[str] = field(default_factory=list)  # question ids: right before, wrong after
    fixed: list[str] = field(default_factory=list)  # wrong before, right after
    problems: list[str] = field(default_factory=list)  # reasons the gate fails besides regressions

    @property
    def passed(self) -> bool:
        return not self.regressions and not self.problems

    @property
    def flip_p_value(self) -> float:
        """How likely flips this lopsided are if the change made no difference: McNemar's exact test (a
        two-sided binomial test of right -> wrong against wrong -> right; scipy). 1.0 when none flipped."""
        from scipy.stats import binomtest

        flips = len(self.broke) + len(self.fixed)
        return float(binomtest(len(self.fixed), flips, 0.5).pvalue) if flips else 1.0


def read_run(path: Path) -> RunResult:
    try:
        return load_run(path)
    except OSError as exc:
        raise RunFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValidationError as exc:
        raise RunFileError(f"{path} is not a result of `rag eval`: {exc.errors()[0]['msg']}") from exc


def _scopes(system: SystemResult) -> dict[str, dict]:
    return {"overall": system.overall, **system.by_category}


def compare(before: RunResult, after: RunResult, tolerance: float = DEFAULT_TOLERANCE) -> Comparison:
    """Metric deltas of the project's system between two runs, regressions beyond `tolerance`, and
    the questions that flipped. Latency is listed but never a regression."""
    result = Comparison()
    old, new = before.primary, after.primary
    old_scopes, new_scopes = _scopes(old), _scopes(new)
    for scope in dict.fromkeys([*old_scopes, *new_scopes]):
        for metric in QUALITY_METRICS + (LATENCY_METRICS if scope == "overall" else ()):
            a = old_scopes.get(scope, {}).get(metric)
            b = new_scopes.get(scope, {}).get(metric)
            if a is None and b is None:
                continue
            delta = Delta(scope, metric, a, b)
            result.deltas.append(delta)
            # A metric that stops applying (e.g. abstention precision once nothing is abstained on) is not
            # a regression; the questions behind it show up among the flipped ones if they went wrong.
            if metric in QUALITY_METRICS and a is not None and b is not None and b < a - tolerance:
                result.regressions.append(delta)
    right_before = {q.id: q.correct for q in old.questions}
    for q in new.questions:
        if q.id in right_before and right_before[q.id] != q.correct:
            (result.fixed if q.correct else result.broke).append(q.id)
    validity = new.overall.get("quote_validity")
    if validity is not None and validity < 1.0:
        result.problems.append(f"quote validity is {validity}; every quote must equal its source span")
    if before.eval_set_sha256 != after.eval_set_sha256:
        result.problems.append(
            "the evaluation set changed since the baseline; review the new run and commit it as the baseline "
            "(rag eval --write-baseline)"
        )
    if before.corpus_hash != after.corpus_hash:
        result.problems.append("the corpus changed since the baseline; re-run and commit a new baseline")
    return result


def format_comparison(comparison: Comparison, label_before: str, label_after: str, only_changes: bool = True) -> str:
    """A plain-text table of the deltas and the flipped questions."""
    lines = [f"{'scope':<14} {'metric':<22} {label_before:>10} {label_after:>10} {'change':>8}"]
    for d in comparison.deltas:
        if only_changes and d.change == 0:
            continue
        mark = "  REGRESSION" if d in comparison.regressions else ""
        lines.append(
            f"{d.scope:<14} {d.metric:<22} {_fmt(d.before):>10} {_fmt(d.after):>10} "
            f"{_fmt(d.change, sign=True):>8}{mark}"
        )
    if len(lines) == 1:
        lines.append("(no metric changed)")
    lines.append(f"right -> wrong ({len(comparison.broke)}): {', '.join(comparison.broke) or '-'}")
    lines.append(f"wrong -> right ({len(comparison.fixed)}): {', '.join(comparison.fixed) or '-'}")
    if comparison.broke or comparison.fixed:
        lines.append(
            f"McNemar's exact test on the flipped questions: p = {comparison.flip_p_value:.3f} "
            "(the chance of flips this lopsided if the change made no difference)"
        )
    lines.extend(f"problem: {p}" for p in comparison.problems)
    return "\n".join(lines)


def _fmt(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.4f}" if sign else f"{value:.4f}"
