"""`make bench-scale` at a tiny size, so the script cannot rot: it builds, serves and reports every figure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_bench_scale_runs_at_a_tiny_size_and_reports_every_figure(tmp_path: Path):
    out = tmp_path / "results"
    command = [sys.executable, str(REPO / "eval" / "bench_scale.py"), "--sizes", "1500", "--crossover", "1200"]
    command += ["--max-anchors", "40", "--hnsw-max", "2000", "--out", str(out), "--data", str(tmp_path / "data")]
    env = os.environ | {"XDG_CACHE_HOME": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((out / "bench-scale.json").read_text())
    (row,) = result["rows"]
    assert row["size"] == 1500 and row["ivf"]["nlist"] == round(4 * 1500**0.5)
    for figure in ("hybrid", "bm25", "flat_dense", "ivf", "hnsw_build", "ivf_mmap"):
        assert 0 < row[figure]["p50_ms"] <= row[figure]["p99_ms"], figure
    recalls = [v["recall_at_10"] for v in row["nprobe_sweep"].values()]
    assert all(0 < r <= 1 for r in recalls) and recalls == sorted(recalls), "more lists scanned, no less recall"
    assert row["nprobe_sweep"]["128"]["recall_at_10"] > 0.9, "128 of 155 lists: nearly exhaustive"
    assert row["serve_rss_peak_mib"] >= row["serve_rss_steady_mib"] > 0 and row["disk_mib"] > 0
    assert result["crossover"][0]["size"] == 1200 and 0 < result["crossover"][0]["ivf_recall_at_10"] <= 1
    table = (out / "bench-scale.md").read_text()
    assert "| 1,500 |" in table and "load average" in table
