"""`mlproof audit --format sarif`: valid against the official SARIF 2.1.0 schema, readable by sarif-tools,
one rule per catalog check with help and a link into docs/checks.md, results at the evidence."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest

from mlproof.rubric.audit import run_audit
from mlproof.rubric.catalog import load_catalog
from mlproof.rubric.checkdocs import check_anchor, render_check_docs
from mlproof.rubric.report import render_brief
from mlproof.rubric.sarif import FINGERPRINT_KEY, LEVELS, render_sarif, sarif_log

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "evals" / "fixtures"
SCHEMA = json.loads((REPO / "tests" / "fixtures" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
SECRET = "sk-live-4f9aQ2mZ8xW1bK7pL3nR6tY0"


def validate(log: dict) -> None:
    """The official schema is draft-04; its format keywords (uri, date-time) are checked too."""
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


@pytest.fixture(scope="module")
def churn_log() -> dict:
    return sarif_log(run_audit(str(FIXTURES / "churn-model")))


def results_by_rule(log: dict) -> dict[str, dict]:
    return {r["ruleId"]: r for r in log["runs"][0]["results"]}


def test_the_bundled_example_is_valid_sarif_and_sarif_tools_reads_it(churn_log, tmp_path):
    validate(churn_log)
    path = tmp_path / "churn.sarif"
    path.write_text(json.dumps(churn_log), encoding="utf-8")
    from sarif import loader

    sarif_file = loader.load_sarif_file(str(path))
    report = run_audit(str(FIXTURES / "churn-model"))
    open_checks = [c for c in report.checks if c.status in ("fail", "partial")]
    assert sarif_file.get_result_count() == len(open_checks) > 0
    records = sarif_file.get_records()
    assert {r["Code"] for r in records} == {c.id for c in open_checks}
    assert all(r["Tool"] == "mlproof" for r in records)
    # The sarif command-line tool (same package) summarises it without error.
    summary = subprocess.run([str(Path(sys.executable).with_name("sarif")), "summary", str(path)],
                             capture_output=True, text=True, timeout=120)
    assert summary.returncode == 0, summary.stderr
    assert "error: 1" in summary.stdout  # monitor.data_drift: a failed weight-3 check


def test_one_rule_per_catalog_check_with_help_and_a_link_to_its_docs(churn_log):
    catalog = load_catalog()
    rules = churn_log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.id for c in catalog.checks]
    urls = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    for rule, check in zip(rules, catalog.checks):
        assert rule["shortDescription"]["text"] == check.title
        assert rule["fullDescription"]["text"] == check.why
        for field in ("text", "markdown"):
            assert check.why in rule["help"][field] and check.fix in rule["help"][field]
            assert check.detection in rule["help"][field]
        assert rule["helpUri"] == f"{urls['Check docs']}#{check_anchor(check.id)}"
        props = rule["properties"]
        assert props["pillar"] == check.pillar and props["weight"] == check.weight
        assert props["ml_test_score"] == check.ml_test_score
        assert rule["defaultConfiguration"]["level"] == LEVELS["fail"][check.weight]
    assert churn_log["runs"][0]["tool"]["driver"]["informationUri"] == urls["Homepage"]


def test_levels_follow_status_and_weight(churn_log):
    report = run_audit(str(FIXTURES / "churn-model"))
    results = results_by_rule(churn_log)
    for check in report.checks:
        if check.status in ("pass", "n/a"):
            assert check.id not in results
        else:
            assert results[check.id]["level"] == LEVELS[check.status][check.weight]
            assert results[check.id]["properties"]["status"] == check.status
    assert results["monitor.data_drift"]["level"] == "error"  # fail, weight 3
    assert results["deploy.rollback"]["level"] == "note"  # partial, weight 2


def test_results_sit_at_their_evidence_with_line_and_snippet(churn_log):
    result = results_by_rule(churn_log)["deploy.rollback"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/churn/evaluate.py", "uriBaseId": "SRCROOT"}
    assert location["region"]["startLine"] == 34
    line = (FIXTURES / "churn-model" / "src/churn/evaluate.py").read_text().splitlines()[33]
    assert location["region"]["snippet"]["text"] == line.strip()
    related = result["relatedLocations"]
    assert related[0]["physicalLocation"]["artifactLocation"]["uri"] == "README.md"
    assert "src/churn/evaluate.py (line 34)" in result["message"]["text"]


def test_a_failing_check_without_evidence_points_where_the_practice_belongs_and_says_so(churn_log):
    results = results_by_rule(churn_log)
    drift = results["monitor.data_drift"]
    assert drift["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "README.md"
    assert "No evidence of this practice was found in the 15 files" in drift["message"]["text"]
    assert "points at README.md" in drift["message"]["text"]
    assert "region" not in drift["locations"][0]["physicalLocation"]
    # CI/CD practices belong in the CI definition.
    retrain = results["cicd.retraining_trigger"]
    assert retrain["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ".github/workflows/ci.yml"


def test_a_repository_without_any_home_file_points_at_its_root(tmp_path):
    (tmp_path / "train.py").write_text("from sklearn.linear_model import LogisticRegression\nLogisticRegression().fit(X, y)\n")
    log = sarif_log(run_audit(str(tmp_path)))
    validate(log)
    drift = results_by_rule(log)["monitor.data_drift"]
    assert drift["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "."
    assert "points at the repository root" in drift["message"]["text"]


def test_notebook_evidence_points_at_the_ipynb_and_names_the_cell():
    log = sarif_log(run_audit(str(FIXTURES / "notebook-only")))
    validate(log)
    result = results_by_rule(log)["dev.code_outside_notebooks"]
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "churn_analysis.ipynb"
    assert "region" not in location["physicalLocation"]  # the cell's line is not a line of the JSON file
    assert location["message"]["text"].startswith("notebook cell 5, line 2")
    assert "notebook cell 5, line 2" in result["message"]["text"]


def test_fingerprints_are_stable_across_runs_and_line_moves(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "churn-model", project)
    before = {r["ruleId"]: r["partialFingerprints"][FINGERPRINT_KEY] for r in sarif_log(run_audit(str(project)))["runs"][0]["results"]}
    again = {r["ruleId"]: r["partialFingerprints"][FINGERPRINT_KEY] for r in sarif_log(run_audit(str(project)))["runs"][0]["results"]}
    assert before == again and len(set(before.values())) == len(before)
    evaluate = project / "src/churn/evaluate.py"
    evaluate.write_text("# a new header line\n# and another\n" + evaluate.read_text())
    moved_log = sarif_log(run_audit(str(project)))
    moved = results_by_rule(moved_log)["deploy.rollback"]
    assert moved["locations"][0]["physicalLocation"]["region"]["startLine"] == 36
    assert moved["partialFingerprints"][FINGERPRINT_KEY] == before["deploy.rollback"]


def test_credentials_never_reach_the_sarif(tmp_path):
    (tmp_path / "train.py").write_text(
        "import mlflow\nfrom sklearn.linear_model import LogisticRegression\n"
        f'api_key = "{SECRET}"\nmlflow.log_metric("auc", 0.9)\nLogisticRegression().fit(X, y)\n'
    )
    text = render_sarif(run_audit(str(tmp_path)))
    validate(json.loads(text))
    assert SECRET not in text
    access = results_by_rule(json.loads(text))["gov.access_control"]
    assert access["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "train.py"
    assert "****" in access["locations"][0]["physicalLocation"]["region"]["snippet"]["text"]


def test_cli_writes_sarif_and_keeps_the_fail_under_exit_code(tmp_path):
    out = tmp_path / "audit.sarif"
    result = subprocess.run([sys.executable, "-m", "mlproof", "audit", str(FIXTURES / "churn-model"), "--format", "sarif",
                             "-o", str(out), "--fail-under", "9", "--quiet"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "below --fail-under" in result.stderr
    validate(json.loads(out.read_text(encoding="utf-8")))


def test_docs_checks_md_is_generated_from_the_catalog_and_in_sync():
    text = (REPO / "docs" / "checks.md").read_text(encoding="utf-8")
    assert text == render_check_docs(), "docs/checks.md is stale: run `mlproof checks --format docs > docs/checks.md`"
    headings = [line[4:] for line in text.splitlines() if line.startswith("### ")]
    assert headings == [c.id for c in load_catalog().checks]


def github_slug(heading: str) -> str:
    """GitHub's heading anchors, written independently of checkdocs: lower case, drop punctuation, spaces to -."""
    return re.sub(r"[^a-z0-9_\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_help_uri_anchor_exists_in_the_docs(churn_log):
    text = (REPO / "docs" / "checks.md").read_text(encoding="utf-8")
    anchors = [github_slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")]
    assert len(anchors) == len(set(anchors)), "duplicate headings would get -1 suffixes"
    for rule in churn_log["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["helpUri"].split("#", 1)[1] in anchors, rule["id"]


def test_brief_format_lists_open_checks_heaviest_first():
    report = run_audit(str(FIXTURES / "churn-model"))
    lines = render_brief(report).splitlines()
    assert lines[0].endswith("score 6.1/10, maturity level 1 (ML pipeline), 15 files read.")
    listed = [line.split()[2].rstrip(":") for line in lines[1:-1]]
    open_checks = [c for c in report.checks if c.status in ("fail", "partial")]
    assert sorted(listed) == sorted(c.id for c in open_checks)
    weights = [int(line.split()[1][1:]) for line in lines[1:-1]]
    assert weights == sorted(weights, reverse=True) and lines[1].split()[2] == "monitor.data_drift:"
    assert "deploy.rollback: Found" in render_brief(report) and "[src/churn/evaluate.py:34]" in render_brief(report)
