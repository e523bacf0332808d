"""`mlproof demo`, the first command of the quick start, end to end on its embedded defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _untracked() -> list[str]:
    listed = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=REPO,
                            capture_output=True, text=True, timeout=60).stdout
    return sorted(line for line in listed.splitlines() if line.startswith(("??", "!!")) and "__pycache__" not in line)


def test_demo_runs_every_engine_and_writes_only_to_its_workdir(tmp_path):
    workdir = tmp_path / "demo"
    before = _untracked()
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"} | {"COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-m", "mlproof", "demo", "--workdir", str(workdir)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for step in ("1. MLflow store", "2. Audit of", "3. Drift", "4. MLflow: which run to promote", "5. Gate"):
        assert step in out
    assert "@champion=v2" in out and "Maturity level" in out
    assert "Best run by val_roc_auc" in out
    assert "BLOCKED" in out  # the bundled project lacks canary, drift schedule and rollback tests
    html = (workdir / "drift.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert (workdir / "mlflow.db").stat().st_size > 0
    assert _untracked() == before, "the demo must not write inside the repository"
