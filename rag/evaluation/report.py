"""Reports of an evaluation run: JSON (the record), Markdown (for people) and a PNG chart (`chart`)."""

from __future__ import annotations

import os
from pathlib import Path

from rag.errors import RagError
from rag.evaluation import metrics as metric_defs
from rag.evaluation.calibration import WRONG_ANSWER_COST
from rag.evaluation.chart import write_chart
from rag.evaluation.dataset import Category, EvalItem
from rag.evaluation.metrics import LATENCY_METRICS, LOWER_IS_BETTER, QUALITY_METRICS
from rag.evaluation.runner import RunResult, SystemResult

# Metrics shown per category.
CATEGORY_COLUMNS = (
    "questions",
    "hit@1",
    "hit@5",
    "mrr",
    "answer_accuracy",
    "citation_precision",
    "citation_recall",
    "abstention_recall",
    "both_sides_rate",
    "answerable_abstained",
)


def _cell(value: object, metric: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if metric.endswith("_ms") else f"{value:.3f}"
    return str(value)


def metrics_table(run: RunResult) -> str:
    """Overall metrics, one column per system."""
    names = list(run.systems)
    rows = ["| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for metric in (*QUALITY_METRICS, *LOWER_IS_BETTER, *LATENCY_METRICS):
        cells = (_cell(run.systems[n].overall.get(metric), metric) for n in names)
        rows.append(f"| {metric} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _with_interval(value: object, metric: str, system: SystemResult, scope: str) -> str:
    """The figure, and its 95% interval when the run has one ("0.676 [0.561, 0.773]")."""
    interval = (system.intervals or {}).get(scope, {}).get(metric)
    cell = _cell(value, metric)
    return f"{cell} [{interval.low:.3f}, {interval.high:.3f}]" if interval is not None and value is not None else cell


def splits_table(runs: dict[str, RunResult]) -> str:
    """This project's metrics on each split side by side: overall, then by category, with their 95%
    intervals in brackets."""
    names = list(runs)
    rows = ["| scope | metric | " + " | ".join(names) + " |", "|---|---|" + "---:|" * len(names)]
    scopes = ["overall", *dict.fromkeys(c for r in runs.values() for c in r.primary.by_category)]
    for scope in scopes:
        for metric in ("questions", *QUALITY_METRICS, *LOWER_IS_BETTER):
            values = [
                (r.primary.overall if scope == "overall" else r.primary.by_category.get(scope, {})).get(metric)
                for r in runs.values()
            ]
            if all(v is None for v in values) or (scope != "overall" and metric not in CATEGORY_COLUMNS):
                continue
            cells = (_with_interval(v, metric, r.primary, scope) for v, r in zip(values, runs.values(), strict=True))
            rows.append(f"| {scope} | {metric} | " + " | ".join(cells) + " |")
    for name, r in runs.items():
        if r.judge is not None:
            rows.append(
                f"| judge ({name}) | candidate ROC AUC / answer ROC AUC | "
                + " | ".join(
                    f"{_cell(x.judge.candidate_auc)} / {_cell(x.judge.answer_auc)}" if x is r else ""
                    for x in runs.values()
                )
                + " |"
            )
    return "\n".join(rows)


def intervals_section(system: SystemResult) -> str:
    """The figures of `system` with their 95% intervals, overall and by category."""
    intervals = system.intervals or {}
    rows = [
        f"## How sure these figures are: {system.name}",
        "",
        "95% Wilson score intervals of each share, over the questions, abstentions or citations it counts "
        "(`rag/evaluation/intervals.py`).",
        "",
        "| scope | metric | value | 95% interval | counted over |",
        "|---|---|---:|---:|---:|",
    ]
    for scope, by_metric in intervals.items():
        figures = system.overall if scope == "overall" else system.by_category.get(scope, {})
        for metric, interval in by_metric.items():
            if scope != "overall" and metric not in CATEGORY_COLUMNS:
                continue
            rows.append(
                f"| {scope} | {metric} | {_cell(figures.get(metric), metric)} | "
                f"{interval.low:.3f} – {interval.high:.3f} | {interval.trials} |"
            )
    return "\n".join(rows)


def judge_section(run: RunResult) -> str:
    j = run.judge
    assert j is not None
    return "\n".join(
        [
            "## Answerability judge",
            "",
            f"ROC AUC over every judged candidate ({j.candidates}, of which {j.supporting} state the gold answer "
            f"in its evidence): {_cell(j.candidate_auc)}. ROC AUC of each question's best probability against "
            f"whether answering with it would be right: {_cell(j.answer_auc)}.",
        ]
    )


def category_table(run: RunResult, system: str) -> str:
    result = run.systems[system]
    rows = ["| category | " + " | ".join(CATEGORY_COLUMNS) + " |", "|---|" + "---:|" * len(CATEGORY_COLUMNS)]
    for category, values in result.by_category.items():
        rows.append(f"| {category} | " + " | ".join(_cell(values.get(m), m) for m in CATEGORY_COLUMNS) + " |")
    return "\n".join(rows)


def question_table(run: RunResult) -> str:
    names = list(run.systems)
    header = "| id | category | " + " | ".join(f"{n} | {n} rank" for n in names) + " | quotes (ours) | ms (ours) |"
    rows = [header, "|---|---|" + "---|---:|" * len(names) + "---|---:|"]
    by_system = {n: {q.id: q for q in run.systems[n].questions} for n in names}
    for q in run.primary.questions:
        cells = []
        for n in names:
            r = by_system[n][q.id]
            verdict = "✓" if r.correct else "✗"
            if r.abstained:
                verdict += " (abstained)"
            cells.append(f"{verdict} | {_cell(r.first_relevant_rank)}")
        quotes = f"{q.quotes_supported}/{len(q.quotes)} supported" if q.quotes else "–"
        rows.append(f"| {q.id} | {q.category} | " + " | ".join(cells) + f" | {quotes} | {q.latency_ms:.1f} |")
    return "\n".join(rows)


def misses(run: RunResult, items: dict[str, EvalItem] | None = None, width: int = 160) -> str:
    """What the project's system did on every question it got wrong: quoted, or abstained."""
    lines = []
    for q in run.primary.questions:
        if q.correct:
            continue
        expected = " / ".join(items[q.id].answers) if items and q.id in items else ""
        lines.append(f"- **{q.id}** ({q.category}) {q.question}" + (f" — expected: {expected}" if expected else ""))
        if q.abstained:
            lines.append("  - abstained")
        for quote in q.quotes:
            text = " ".join(quote.text.split())
            text = text if len(text) <= width else text[: width - 1] + "…"
            lines.append(f"  - [{quote.doc_id[:3]} {quote.start}-{quote.end}] “{text}”")
    return "\n".join(lines) if lines else "None."


def markdown_report(run: RunResult, chart_name: str | None = None, items: dict[str, EvalItem] | None = None) -> str:
    settings = ", ".join(f"{k}={v}" for k, v in run.settings.items() if k not in ("seeds_dir", "index_dir"))
    counts = {c.value: sum(q.category is c for q in run.primary.questions) for c in Category}
    parts = [
        f"# Evaluation run {run.run_id}: the `{run.split}` split",
        "",
        f"- commit: `{run.git_commit or 'unknown'}`" + (" (with uncommitted changes)" if run.git_dirty else ""),
        f"- corpus hash: `{run.corpus_hash}`",
        f"- evaluation set: `{run.eval_set}` ({len(run.primary.questions)} questions: "
        + ", ".join(f"{n} {c}" for c, n in counts.items() if n)
        + f"), sha256 `{run.eval_set_sha256[:16]}`",
        f"- settings: {settings}",
        *(f"- **{name}**: {s.description}" for name, s in run.systems.items()),
        "",
        "## Overall",
        "",
        metrics_table(run),
        "",
    ]
    if chart_name:
        parts += [f"![metrics by category]({chart_name})", ""]
    for name in run.systems:
        parts += [f"## By category: {name}", "", category_table(run, name), ""]
    if run.primary.intervals:
        parts += [intervals_section(run.primary), ""]
    if run.judge is not None:
        parts += [judge_section(run), ""]
    if run.calibration is not None:
        parts += [calibration_section(run), ""]
    parts += [
        "## Per question",
        "",
        "✓: an acceptable answer is in the quotes (or, for unanswerable questions, the system abstained). "
        "rank: first retrieved passage overlapping gold evidence.",
        "",
        question_table(run),
        "",
        f"## What {run.primary.name} got wrong",
        "",
        misses(run, items),
        "",
        "## Definitions",
        "",
        metric_defs.__doc__.split("Definitions (the report repeats them):", 1)[1].strip(),
        "",
    ]
    return "\n".join(parts)


def calibration_section(run: RunResult) -> str:
    """The abstention trade-off: the configured and recommended thresholds and a few points of the curve."""
    cal = run.calibration
    assert cal is not None
    rows = [
        "| threshold | abstention precision | abstention recall | answer accuracy | wrong answers | "
        "right answers withheld | cost |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    step = max(1, len(cal.curve) // 12)
    shown = {*cal.curve[::step], cal.recommended, cal.configured}
    for p in sorted(shown, key=lambda p: p.threshold):
        mark = " (configured)" if p == cal.configured else " (recommended)" if p == cal.recommended else ""
        rows.append(
            f"| {p.threshold:.3f}{mark} | {_cell(p.abstention_precision)} | {_cell(p.abstention_recall)} | "
            f"{_cell(p.answer_accuracy)} | {p.wrong_answers} | {p.withheld_answers} | {p.cost:g} |"
        )
    return "\n".join(
        [
            "## Abstention threshold",
            "",
            f"Configured operating point = {cal.configured.threshold:.3f}; recommended from this run: "
            f"{cal.recommended.threshold:.3f}, the lowest cost: {WRONG_ANSWER_COST:g} per wrong answer (a quote "
            "that does not answer, to any question), 1 per right answer withheld. Every question is answered "
            "with no threshold; each threshold abstains below it. The chart's right panel plots the curve.",
            "",
            *rows,
        ]
    )


def write_reports(
    run: RunResult, folder: Path, stem: str | None = None, items: list[EvalItem] | None = None
) -> list[Path]:
    """Write `<stem>.json`, `<stem>.md` and `<stem>.png` into `folder`; the paths written.

    ReportError when the folder cannot be written."""
    try:
        return _write_reports(run, folder, stem or run.run_id, items)
    except OSError as exc:
        raise ReportError(f"cannot write the report into {folder}: {exc.strerror or exc}") from exc


class ReportError(RagError):
    """A report could not be written."""


def _write_reports(run: RunResult, folder: Path, stem: str, items: list[EvalItem] | None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path, png_path = (folder / f"{stem}{ext}" for ext in (".json", ".md", ".png"))
    # Each file is written beside its target and renamed over it, so a crash never leaves half a baseline.
    tmp_png = png_path.with_suffix(".png.tmp")
    write_chart(run, tmp_png)
    os.replace(tmp_png, png_path)
    by_id = {item.id: item for item in items} if items else None
    _replace_text(md_path, markdown_report(run, chart_name=png_path.name, items=by_id))
    _replace_text(json_path, run.model_dump_json(indent=1) + "\n")
    return [json_path, md_path, png_path]


def _replace_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
