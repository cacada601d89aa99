"""Run the evaluation set through one or more systems and record the result of the run."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel
from tqdm import tqdm

from rag.corpus import corpus_hash
from rag.evaluation.calibration import Calibration, CalibrationSample, calibrate
from rag.evaluation.dataset import EvalItem, EvalSetError, check_against_corpus
from rag.evaluation.intervals import Intervals, proportion_intervals
from rag.evaluation.metrics import QuestionResult, aggregate, metrics_by_category, score_question
from rag.evaluation.systems import EvalSystem
from rag.service import QAComponents

RESULT_FORMAT = 1

Metrics = dict[str, float | int | None]


class SystemResult(BaseModel):
    name: str
    description: str
    overall: Metrics
    by_category: dict[str, Metrics]
    questions: list[QuestionResult]
    intervals: Intervals | None = None  # 95% Wilson intervals, overall and by category (older runs: none)


class JudgeReport(BaseModel):
    """How well the answerability judge separates quotes that answer from those that do not."""

    candidate_auc: float | None  # ROC AUC over every judged candidate of every question (label: supports gold)
    answer_auc: float | None  # ROC AUC of the best candidate's probability: would answering be right?
    candidates: int
    supporting: int


class RunResult(BaseModel):
    format: int = RESULT_FORMAT
    split: str = "dev"
    run_id: str
    created_at: str
    git_commit: str | None
    git_dirty: bool | None
    settings: dict
    corpus_hash: str
    eval_set: str
    eval_set_sha256: str
    systems: dict[str, SystemResult]
    calibration: Calibration | None = None  # the abstention trade-off of the project's system
    judge: JudgeReport | None = None

    @property
    def primary(self) -> SystemResult:
        """The project's own system: the one the regression gate watches."""
        return self.systems["ours"]


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def git_state() -> tuple[str | None, bool | None]:
    """The current commit and whether tracked files differ from it (None outside a git checkout)."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    return commit, (None if status is None else bool(status))


def evaluate(
    items: list[EvalItem],
    eval_set_path: Path,
    components: QAComponents,
    systems: list[EvalSystem],
    progress: bool = True,
    split: str = "dev",
) -> RunResult:
    """Score every system on every item; EvalSetError when the set does not fit the corpus."""
    documents = components.index.documents
    texts = {doc_id: doc.text for doc_id, doc in documents.items()}
    problems = check_against_corpus(items, texts)
    if problems:
        raise EvalSetError("the evaluation set does not match the corpus:\n  " + "\n  ".join(problems))
    results: dict[str, SystemResult] = {}
    for system in systems:
        scored: list[QuestionResult] = []
        for item in tqdm(items, desc=f"eval {system.name}", unit="q", disable=not progress, leave=False):
            scored.append(score_question(item, system.run(item), texts))
        results[system.name] = SystemResult(
            name=system.name,
            description=system.description,
            overall=aggregate(scored),
            by_category=metrics_by_category(scored),
            questions=scored,
            intervals=proportion_intervals(scored),
        )
    calibration = judge = None
    for system in systems:
        samples = getattr(system, "calibration_samples", None)
        if samples is not None:
            calibrated = samples(items)
            calibration = calibrate(calibrated, components.extractive.threshold)
            judge = judge_report(system.judged_candidates(items), calibrated)
    commit, dirty = git_state()
    now = datetime.now(UTC)
    return RunResult(
        run_id=f"{now:%Y%m%dT%H%M%SZ}-{(commit or 'nogit')[:8]}",
        created_at=now.isoformat(timespec="seconds"),
        git_commit=commit,
        git_dirty=dirty,
        settings=components.settings.model_dump(mode="json"),
        corpus_hash=corpus_hash(list(documents.values())),
        eval_set=str(eval_set_path),
        eval_set_sha256=hashlib.sha256(eval_set_path.read_bytes()).hexdigest(),
        systems=results,
        calibration=calibration,
        judge=judge,
        split=split,
    )


def judge_report(candidates: list[tuple[float, bool]], samples: list[CalibrationSample]) -> JudgeReport:
    """ROC AUCs of the judge: over (probability, supports gold) candidate pairs, and over the questions'
    best probabilities against whether answering with them would be right."""
    from sklearn.metrics import roc_auc_score

    def auc(scores: list[float], labels: list[bool]) -> float | None:
        return round(float(roc_auc_score(labels, scores)), 4) if 0 < sum(labels) < len(labels) else None

    return JudgeReport(
        candidate_auc=auc([p for p, _ in candidates], [y for _, y in candidates]),
        answer_auc=auc([s.confidence for s in samples], [s.answer_correct for s in samples]),
        candidates=len(candidates),
        supporting=sum(y for _, y in candidates),
    )


def load_run(path: Path) -> RunResult:
    return RunResult.model_validate_json(path.read_text(encoding="utf-8"))


def run_evaluation(
    components: QAComponents,
    items: list[EvalItem],
    eval_set_path: Path,
    with_peer: bool = True,
    progress: bool = True,
    split: str = "dev",
) -> RunResult:
    """Score this project's system (and the LangChain peer) on `items`, read from `eval_set_path`."""
    from rag.embedding import bundled_model_path
    from rag.evaluation.systems import LangChainBaseline, PipelineSystem

    systems: list[EvalSystem] = [PipelineSystem(components)]
    if with_peer:
        model_path = components.settings.model_path or bundled_model_path()
        systems.append(LangChainBaseline(list(components.index.documents.values()), str(model_path)))
    return evaluate(items, eval_set_path, components, systems, progress=progress, split=split)
