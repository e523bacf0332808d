"""`mlproof audit`, `explain` and `checks` through the real console entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlproof.cli import main

ROOT = Path(__file__).resolve().parents[1]
CHURN = ROOT / "evals" / "fixtures" / "churn-model"


def test_markdown_report_has_the_shape_of_an_audit(capsys):
    assert main(["audit", str(CHURN), "--quiet"]) == 0
    out = capsys.readouterr().out
    for heading in ("# MLOps audit: churn-model", "## Summary", "## Critical issues", "## Recommendations",
                    "### Model development", "## ML Test Score", "## Risks", "## Roadmap", "### Quick wins"):
        assert heading in out
    assert "Maturity level 1" in out
    assert "`src/churn/train.py:" in out  # evidence as path:line


def test_json_report_validates_and_carries_schema_version(capsys):
    from mlproof.rubric.models import AuditReport

    assert main(["audit", str(CHURN), "--format", "json", "--quiet"]) == 0
    data = json.loads(capsys.readouterr().out)
    report = AuditReport.model_validate(data)
    assert report.schema_version == "2.0"
    assert len(report.checks) == 34
    assert all(c.evidence for c in report.checks if c.status == "pass")


def test_only_one_pillar(capsys):
    assert main(["audit", str(CHURN), "--format", "json", "--only", "monitor", "--quiet"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {c["pillar"] for c in data["checks"]} == {"monitor"}
    assert data["maturity"]["level"] == 1  # maturity still uses every check


def test_fail_under_exits_1(capsys):
    assert main(["audit", str(CHURN), "--fail-under", "9.5", "--quiet"]) == 1
    assert "below --fail-under" in capsys.readouterr().err
    assert main(["audit", str(CHURN), "--fail-under", "1", "--quiet"]) == 0


def test_output_file(tmp_path, capsys):
    target = tmp_path / "audit.json"
    assert main(["audit", str(CHURN), "--format", "json", "-o", str(target), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text())["scan"]["repo_kind"] == "project"


@pytest.mark.parametrize("argv", [
    ["audit", "/definitely/not/here"],
    ["audit", str(CHURN), "--only", "security"],
    ["audit", str(CHURN), "--fail-under", "11"],
    ["audit", str(CHURN), "-o", "/definitely/not/here/out.md"],
    ["explain", "dev.nope"],
])
def test_bad_input_is_one_line_exit_2(argv):
    # through the installed console script: no traceback, one error line
    proc = subprocess.run([sys.executable, "-m", "mlproof", *argv], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error:") and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_explain_and_checks(capsys):
    assert main(["explain", "monitor.data_drift"]) == 0
    out = capsys.readouterr().out
    assert "## Why it matters" in out and "## How mlproof detects it" in out and "## How to fix it" in out
    assert "Monitor 2" in out
    assert main(["checks", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 34 and {"id", "why", "detection", "fix", "ml_test_score", "weight"} <= set(rows[0])
