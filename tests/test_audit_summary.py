"""The compact audit view (mlproof.rubric.summary): what it keeps, how it trims, and that it reads reports defensively."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlproof.cli import main
from mlproof.rubric.audit import run_audit
from mlproof.rubric.summary import AuditSummary, audit_full, audit_summary, strongest, tokens
from mlproof.evidence import Evidence

CHURN = Path(__file__).resolve().parents[1] / "evals" / "fixtures" / "churn-model"


@pytest.fixture(scope="module")
def report():
    return run_audit(CHURN)


def test_summary_keeps_every_gap_with_its_strongest_evidence_and_fix(report):
    summary = audit_summary(report)
    gaps = {c.id: c for c in report.checks if c.status in ("fail", "partial")}
    assert [g.id for g in summary.gaps] == sorted(gaps, key=lambda i: (gaps[i].status != "fail", -gaps[i].weight, i))
    for gap in summary.gaps:
        check = gaps[gap.id]
        assert gap.why == " ".join(check.why.split())[:240] and gap.evidence_count == len(check.evidence)
        if check.evidence:
            best = strongest(check.evidence)
            assert gap.evidence.location == best.location() and len(gap.evidence.snippet) <= 100
        assert gap.fix == check.fix  # within budget nothing is trimmed
    assert set(summary.passing) == {c.id for c in report.checks if c.status == "pass"}
    assert summary.maturity_level == report.maturity.level and summary.score == report.score
    assert summary.roadmap["quick_wins"] == [item.check for item in report.roadmap.quick_wins]
    assert summary.repo_kind == report.scan.repo_kind and not summary.omitted and summary.report is None


def test_trimming_says_what_it_left_out(report):
    summary = audit_summary(report, budget=1500)
    assert tokens(summary) <= 1500 or summary.omitted[-1] == "next-step sentences"
    assert summary.omitted[0] == "fix texts of weight-1 gaps"
    assert all(g.fix is None for g in summary.gaps if (g.weight or 0) <= 1)
    assert len(summary.gaps) == len(audit_summary(report).gaps), "trimming never drops a gap"


def test_full_detail_carries_the_whole_report(report):
    full = audit_full(report)
    assert full.detail == "full" and full.report == report.model_dump(mode="json")


def test_strongest_prefers_a_located_file_line():
    note = Evidence(kind="note", snippet="no file")
    located = Evidence(path="src/train.py", line=3, snippet="mlflow.log_metric(...)")
    assert strongest([note, located]) is located and strongest([note]) is note and strongest([]) is None


def test_summary_reads_other_report_shapes(report):
    """Fields the lead may add or move (a richer repository kind, no scan block) do not break the view."""
    reshaped = report.model_copy()
    object.__setattr__(reshaped, "scan", None)
    object.__setattr__(reshaped, "kind", {"kind": "template", "reason": "cookiecutter.json at the root"})
    summary = audit_summary(reshaped)
    assert summary.repo_kind == "template" and summary.repo_kind_reason == "cookiecutter.json at the root"
    assert AuditSummary.model_validate_json(summary.model_dump_json()) == summary


def test_cli_summary_format_is_the_mcp_view(capsys, report):
    assert main(["audit", str(CHURN), "--format", "summary", "-q"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == audit_summary(report).model_dump(mode="json") | {"root": printed["root"]}
