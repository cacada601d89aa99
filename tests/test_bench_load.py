"""A short run of the soak test (`make bench-load` runs it for 32 clients x 60 s)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import REPO


@pytest.mark.slow
def test_bench_load_smoke_run_has_no_failure(components, tmp_path):
    command = [sys.executable, str(REPO / "eval" / "bench_load.py"), "--clients", "6", "--seconds", "4"]
    command += ["--index-dir", str(components.settings.index_dir), "--json", str(tmp_path / "load.json")]
    out = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "failures: none" in out.stdout and "| bad (" in out.stdout and "| ask+history (" in out.stdout


def test_bench_load_refuses_a_target_off_loopback():
    command = [sys.executable, str(REPO / "eval" / "bench_load.py"), "--url", "http://10.0.0.1:8000", "--seconds", "1"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "loopback" in out.stderr
