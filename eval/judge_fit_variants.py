"""The full `rag judge fit` (cross-validated answering of every dev question by judges that had not seen it)
for the kept grid (each pool's best candidate) and for the top-k answerability examples tried and not kept:

    .venv/bin/python eval/judge_fit_variants.py

Prints each variant's cross-validated operating point and its share handled right per category (dev only;
the models are written to /tmp, never over rag/judge_model.json).
"""

from __future__ import annotations

import json
from pathlib import Path

from rag import judge_fit
from rag.evaluation.dataset import load_eval_set
from rag.service import load_components
from rag.settings import Settings

VARIANTS = {
    "kept (best candidate only, C in 0.1/1)": ((0.1, 1.0), (1,)),
    "top-k, tried and not kept (top 1/3/5, C in 0.1/0.3/1)": ((0.1, 0.3, 1.0), (1, 3, 5)),
}


def main() -> None:
    dev = Path("eval/questions.jsonl")
    components = load_components(Settings(), progress=False)
    items = load_eval_set(dev)
    for name, (c_grid, k_grid) in VARIANTS.items():
        judge_fit.ANSWERABILITY_C, judge_fit.TOP_K = c_grid, k_grid
        meta = judge_fit.fit_judge(components, items, [dev], Path("/tmp/judge-variant.json"))
        point = meta["cv_operating_point"]
        print(
            f"{name}: C={meta['answerability_C']} k={meta['answerability_top_k']} log loss "
            f"{meta['cv_best_candidate_log_loss']} AUC {meta['cv_best_candidate_auc']}"
        )
        print("  operating point " + json.dumps(point))
        print("  handled right by category " + json.dumps(meta["cv_by_category"]))


if __name__ == "__main__":
    main()
