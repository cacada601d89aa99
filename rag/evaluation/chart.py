"""The PNG chart of an evaluation run (matplotlib, imported only when a chart is drawn): metrics by category,
every system's overall metrics, and the abstention trade-off curve when the run has one."""

from __future__ import annotations

from pathlib import Path

from rag.evaluation.metrics import QUALITY_METRICS
from rag.evaluation.runner import RunResult

# The metrics charted by category.
CHARTED = ("hit@5", "mrr", "answer_accuracy", "citation_precision", "citation_recall", "abstention_recall")


def write_chart(run: RunResult, path: Path) -> None:
    """Grouped bars: the project's metrics by category, and every system's overall metrics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    ours = run.primary
    categories = list(ours.by_category)
    panels = 3 if run.calibration is not None else 2
    fig, axes = plt.subplots(1, panels, figsize=(7 * panels, 5), gridspec_kw={"width_ratios": [3, 2, 2][:panels]})
    left, right = axes[0], axes[1]
    width = 0.8 / len(CHARTED)
    x = np.arange(len(categories))
    for i, metric in enumerate(CHARTED):
        values = [ours.by_category[c].get(metric) for c in categories]
        left.bar(x + i * width, [v if v is not None else 0 for v in values], width, label=metric)
    left.set_xticks(x + width * (len(CHARTED) - 1) / 2, categories, rotation=15)
    left.set_ylim(0, 1.05)
    left.set_title(f"{ours.name}: metrics by category")
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(CHARTED) // 2)

    names = list(run.systems)
    overall = [m for m in QUALITY_METRICS if any(run.systems[n].overall.get(m) is not None for n in names)]
    y = np.arange(len(overall))
    height = 0.8 / len(names)
    for j, name in enumerate(names):
        values = [run.systems[name].overall.get(m) for m in overall]
        right.barh(y + j * height, [v if v is not None else 0 for v in values], height, label=name)
    right.set_yticks(y + height * (len(names) - 1) / 2, overall, fontsize=8)
    right.invert_yaxis()
    right.set_xlim(0, 1.05)
    right.set_title("overall")
    right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=len(names))
    if run.calibration is not None:
        plot_calibration(run, axes[2])
    fig.suptitle(f"Evaluation {run.run_id}")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def plot_calibration(run: RunResult, ax: object) -> None:
    """Abstention precision against recall over the thresholds, with the configured point marked."""
    cal = run.calibration
    assert cal is not None
    # A split with no unanswerable question (the chains) has no recall: nothing to draw.
    points = [p for p in cal.curve if p.abstention_precision is not None and p.abstention_recall is not None]
    ax.plot([p.abstention_recall for p in points], [p.abstention_precision for p in points], marker=".", label="curve")
    for point, style, name in ((cal.configured, "o", "configured"), (cal.recommended, "x", "recommended")):
        if point.abstention_precision is not None and point.abstention_recall is not None:
            ax.plot(
                point.abstention_recall,
                point.abstention_precision,
                style,
                markersize=10,
                label=f"{name} ({point.threshold:.3f})",
            )
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("abstention recall")
    ax.set_ylabel("abstention precision")
    ax.set_title("abstention threshold trade-off")
    ax.legend(fontsize=8, loc="lower left")
