"""`rag eval` and `rag judge fit`: scoring the evaluation splits, and fitting the answerability judge.

Kept apart from `rag.cli` (the question-answering commands) the way `rag.cli_documents` is: each command
group registers itself on the one Typer app.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from rag.errors import InvalidQuery
from rag.settings import Settings

SPLIT_CHOICES = ("dev", "test", "both", "train", "chains")
GATED_SPLITS = ("dev", "test")  # the others are further questions on the tuning side, with no baseline


def _is_the_test_split(path: Path) -> bool:
    """Whether `path` holds the test split: the file the test baseline was made on (same bytes), or the
    default test split itself."""
    import hashlib
    import json

    default = Path("eval/questions_test.jsonl")
    if default.exists() and path.exists() and path.resolve() == default.resolve():
        return True
    try:
        frozen = json.loads(Path("eval/baseline-test.json").read_text(encoding="utf-8"))["eval_set_sha256"]
        return hashlib.sha256(path.read_bytes()).hexdigest() == frozen
    except (OSError, KeyError, ValueError):
        return False


def register(
    app: typer.Typer,
    domain_errors: Callable[[], AbstractContextManager[None]],
    fail: Callable[[str, int], NoReturn],
) -> None:
    @app.command("eval")
    def eval_command(
        ctx: typer.Context,
        split: Annotated[
            str,
            typer.Option(
                help="Which split to score: dev (tuned on), test (never tuned on), both, or a further set of the "
                "tuning side, never gated: train (the judge's further questions) or chains (three-question chats)."
            ),
        ] = "both",
        eval_set: Annotated[Path, typer.Option("--set", help="The dev split (JSONL).")] = Path("eval/questions.jsonl"),
        test_set: Annotated[Path, typer.Option("--test-set", help="The test split (JSONL).")] = Path(
            "eval/questions_test.jsonl"
        ),
        train_set: Annotated[Path, typer.Option("--train-set", help="The training questions (JSONL).")] = Path(
            "eval/questions_train.jsonl"
        ),
        chains_set: Annotated[Path, typer.Option("--chains-set", help="The chains of follow-ups (JSONL).")] = Path(
            "eval/questions_chains.jsonl"
        ),
        out: Annotated[Path, typer.Option(help="Folder for the run's JSON, Markdown and PNG.")] = Path("eval/results"),
        peer: Annotated[bool, typer.Option(help="Also score the plain LangChain RAG baseline.")] = True,
        check: Annotated[bool, typer.Option("--check", help="Exit 1 when a metric falls below the baseline.")] = False,
        baseline: Annotated[Path, typer.Option(help="Baseline of the dev split for --check.")] = Path(
            "eval/baseline.json"
        ),
        test_baseline: Annotated[Path, typer.Option(help="Baseline of the test split for --check.")] = Path(
            "eval/baseline-test.json"
        ),
        tolerance: Annotated[
            float, typer.Option(min=0.0, max=1.0, help="Absolute drop of a metric forgiven by --check.")
        ] = 0.005,
        write_baseline: Annotated[
            bool, typer.Option("--write-baseline", help="Make this run the baseline (commit it after review).")
        ] = False,
        compare_runs: Annotated[
            tuple[Path, Path] | None,
            typer.Option("--compare", metavar="RUN_A RUN_B", help="Only compare two result files; runs nothing."),
        ] = None,
    ) -> None:
        """Score the evaluation splits: retrieval, answers, citations, abstention; gate against the baselines."""
        from rag.evaluation import gate, report, runner
        from rag.evaluation.dataset import load_eval_set
        from rag.service import load_components

        settings: Settings = ctx.obj
        with domain_errors():
            if compare_runs is not None:
                before, after = (gate.read_run(p) for p in compare_runs)
                comparison = gate.compare(before, after, tolerance)
                typer.echo(gate.format_comparison(comparison, before.run_id[:10], after.run_id[:10]))
                return
            if split not in SPLIT_CHOICES:
                raise InvalidQuery(f"--split must be one of {', '.join(SPLIT_CHOICES)}, got {split!r}")
            names = ["dev", "test"] if split == "both" else [split]
            if (check or write_baseline) and not set(names) <= set(GATED_SPLITS):
                raise InvalidQuery(
                    f"--check and --write-baseline are for {' and '.join(GATED_SPLITS)} only: {split} has no baseline"
                )
            paths = {"dev": eval_set, "test": test_set, "train": train_set, "chains": chains_set}
            baselines = {"dev": baseline, "test": test_baseline}
            # Fail early, before loading anything, when a set or a baseline is unusable.
            sets = {name: load_eval_set(paths[name]) for name in names}
            references = {name: gate.read_run(baselines[name]) for name in names} if check else {}
            parts = load_components(settings, progress=sys.stderr.isatty())
            runs = {
                name: runner.run_evaluation(
                    parts, items, paths[name], with_peer=peer, progress=sys.stderr.isatty(), split=name
                )
                for name, items in sets.items()
            }
            written = [
                p
                for name, run in runs.items()
                for p in report.write_reports(run, out, stem=f"{run.run_id}-{name}", items=sets[name])
            ]
            for name, run in runs.items():
                typer.echo(f"\n{name} split ({len(sets[name])} questions):\n" + report.metrics_table(run))
            if len(runs) > 1:
                typer.echo("\nSide by side:\n" + report.splits_table(runs))
            typer.echo("\nWrote " + ", ".join(str(p) for p in written))
            if write_baseline:
                for name, run in runs.items():
                    target = baselines[name]
                    paths_written = report.write_reports(run, target.parent, stem=target.stem, items=sets[name])
                    typer.echo("Baseline written: " + ", ".join(str(p) for p in paths_written))
            failed = []
            for name, reference in references.items():
                comparison = gate.compare(reference, runs[name], tolerance)
                typer.echo(
                    f"\nAgainst the {name} baseline:\n" + gate.format_comparison(comparison, "baseline", "this run")
                )
                if not comparison.passed:
                    failed.append(
                        f"{name}: {len(comparison.regressions)} metric(s) fell below the baseline by more than "
                        f"{tolerance}" + (f"; {len(comparison.problems)} problem(s)" if comparison.problems else "")
                    )
            if failed:
                fail("; ".join(failed), 1)
            if references:
                typer.echo("Quality gate passed.")

    judge_app = typer.Typer(help="The answerability judge: fit it on the dev split.", no_args_is_help=True)
    app.add_typer(judge_app, name="judge")

    @judge_app.command("fit")
    def judge_fit_command(
        ctx: typer.Context,
        eval_sets: Annotated[
            list[Path],
            typer.Option(
                "--set", help="A question file to fit on (repeatable: dev, eval/questions_train.jsonl; never test)."
            ),
        ] = [Path("eval/questions.jsonl")],  # noqa: B006 (typer reads it, never mutates)
        out: Annotated[Path, typer.Option(help="Where to write the fitted judge.")] = Path("rag/judge_model.json"),
    ) -> None:
        """Fit the offline judge on labelled (question, quote) pairs of the dev split, choose its operating point
        on cross-validated dev answers, and write it (deterministic: the same data give the same file)."""
        from collections import Counter

        from rag.evaluation.dataset import load_eval_set
        from rag.judge_fit import fit_judge
        from rag.service import load_components

        settings: Settings = ctx.obj
        with domain_errors():
            for eval_set in eval_sets:
                if _is_the_test_split(eval_set):
                    raise InvalidQuery(f"{eval_set} is the test split: the judge is fitted on dev only")
            items = [item for eval_set in eval_sets for item in load_eval_set(eval_set)]
            repeated = sorted(i for i, n in Counter(item.id for item in items).items() if n > 1)
            if repeated:
                raise InvalidQuery(f"question ids appear in more than one file: {', '.join(repeated[:5])}")
            parts = load_components(settings, progress=sys.stderr.isatty())
            meta = fit_judge(parts, items, eval_sets, out)
        point = meta["cv_operating_point"]
        typer.echo(
            f"Fitted on {meta['pairs']} pairs ({meta['positive_pairs']} positive) from {meta['questions']} questions, "
            f"ranker C={meta['ranker_C']}, answerability C={meta['answerability_C']}; cross-validated hit@1 "
            f"{meta['cv_hit@1']:.3f}, best-candidate ROC AUC {meta['cv_best_candidate_auc']:.3f}; operating point "
            f"{point['threshold']:.3f} (cross-validated abstention precision {point['abstention_precision']}, "
            f"recall {point['abstention_recall']}, answer accuracy {point['answer_accuracy']}); off-topic floor "
            f"{meta['relevance_floor']:.3f} -> {out}"
        )
