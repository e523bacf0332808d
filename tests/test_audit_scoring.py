"""Scores, maturity, ML Test Score, risks and roadmap, and the bundled churn-model demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlproof.rubric import scoring
from mlproof.rubric.audit import find_evidence, run_audit
from mlproof.rubric.catalog import load_catalog
from mlproof.rubric.models import CheckResult

CHURN = Path(__file__).resolve().parents[1] / "evals" / "fixtures" / "churn-model"


def result(check_id: str, status: str) -> CheckResult:
    check = load_catalog().by_id()[check_id]
    return CheckResult(id=check.id, pillar=check.pillar, title=check.title, status=status, why="w", fix=check.fix,
                       weight=check.weight, ml_test_score=check.ml_test_score)


def all_checks(status: str, **overrides: str) -> list[CheckResult]:
    return [result(c.id, overrides.get(c.id, status)) for c in load_catalog().checks]


def test_pillar_score_weights_pass_partial_and_skips_na():
    # data: versioning w3 pass, validation w2 partial, feature_store w1 n/a, lineage w2 fail, privacy w1 pass
    results = [result("data.versioning", "pass"), result("data.validation", "partial"), result("data.feature_store", "n/a"),
               result("data.lineage", "fail"), result("data.privacy", "pass")]
    (data,) = scoring.pillar_scores(results, load_catalog())
    assert data.score == pytest.approx(round(10 * (3 + 1 + 0 + 1) / 8, 1))
    assert data.counts == {"pass": 2, "partial": 1, "fail": 1, "n/a": 1, "waived": 0}
    assert scoring.weighted_score([result("data.feature_store", "n/a")]) is None


@pytest.mark.parametrize(("overrides", "level"), [
    ({}, 0),
    ({cid: "pass" for cid, _ in scoring.MATURITY_LEVELS[1][2]}, 1),
    ({cid: "pass" for lv in scoring.MATURITY_LEVELS[1:3] for cid, _ in lv[2]}, 2),
    ({cid: "pass" for lv in scoring.MATURITY_LEVELS[1:] for cid, _ in lv[2]}, 3),
])
def test_maturity_levels_follow_the_documented_criteria(overrides, level):
    assert scoring.maturity(all_checks("fail", **overrides)).level == level


def test_maturity_needs_every_lower_level():
    level2_only = {cid: "pass" for cid, _ in scoring.MATURITY_LEVELS[2][2]}
    maturity = scoring.maturity(all_checks("fail", **level2_only))
    assert maturity.level == 0
    assert maturity.next_steps and maturity.next_steps[0].startswith("dev.experiment_tracking")


def test_na_counts_as_met_for_maturity():
    assert scoring.maturity(all_checks("n/a")).level == 3


@pytest.mark.parametrize(("status", "final", "band"), [
    ("fail", 0.0, "research project"),
    ("partial", 1.5, "first pass"),  # Data has 3 observable tests: 3 x 0.5 is the lowest section
])
def test_ml_test_score_final_is_the_minimum_section(status, final, band):
    score = scoring.ml_test_score(all_checks(status))
    assert score.final == final == min(s.score for s in score.sections)
    assert band in score.interpretation
    assert [s.section for s in score.sections] == ["Data", "Model", "Infrastructure", "Monitoring"]
    assert sum(len(s.items) for s in score.sections) == 28


def test_ml_test_score_points_and_bands():
    score = scoring.ml_test_score(all_checks("pass"))
    infra = next(s for s in score.sections if s.section == "Infrastructure")
    assert infra.score == 7.0  # every infra test has mapped checks
    partial = scoring.ml_test_score(all_checks("partial"))
    assert next(s for s in partial.sections if s.section == "Infrastructure").score == 3.5
    bands = dict((b, t) for b, t in scoring.ML_TEST_BANDS)
    assert scoring.ml_test_score(all_checks("pass")).interpretation == bands[3.0]  # 3 observable data tests -> final 3


def test_risks_and_roadmap_come_from_failing_checks_by_weight():
    results = all_checks("pass", **{"monitor.data_drift": "fail", "dev.hpo": "fail", "deploy.progressive_delivery": "partial"})
    risks = scoring.risks(results, load_catalog())
    assert [r.check for r in risks][0] == "monitor.data_drift"
    assert risks[0].probability == "high" and risks[0].impact == "high"
    plan = scoring.roadmap(results, load_catalog())
    assert [i.check for i in plan.quick_wins] == ["dev.hpo"]
    assert [i.check for i in plan.medium_term] == ["monitor.data_drift"]
    assert [i.check for i in plan.long_term] == ["deploy.progressive_delivery"]


# The bundled example: a realistic project with deliberate gaps (no drift monitoring, no canary, no fairness).
CHURN_EXPECTED = {
    "dev.experiment_tracking": "pass", "dev.reproducibility": "pass", "dev.dependency_pinning": "pass",
    "dev.model_registry": "pass", "deploy.serving": "pass", "deploy.serving_schema": "pass",
    "deploy.containerization": "pass", "cicd.ci_pipeline": "pass", "cicd.automated_tests": "pass",
    "cicd.model_validation_gate": "pass", "gov.model_documentation": "pass", "data.validation": "pass",
    "cicd.training_pipeline": "partial", "deploy.rollback": "partial", "monitor.prediction_logging": "partial",
    "monitor.data_drift": "fail", "deploy.progressive_delivery": "fail", "gov.fairness": "fail",
    "cicd.retraining_trigger": "fail", "cicd.continuous_deployment": "fail", "dev.hpo": "fail",
}


def test_churn_model_demo_shows_a_mix():
    report = run_audit(CHURN)
    got = {cid: report.check(cid).status for cid in CHURN_EXPECTED}
    assert got == CHURN_EXPECTED
    assert report.maturity.level == 1
    assert report.check("dev.code_outside_notebooks").status == "pass"
    notebook = report.scan.files_read and [e for c in report.checks for e in c.evidence if e.cell is not None]
    assert report.scan.repo_kind == "project"
    assert notebook == [] or all(e.path.endswith(".ipynb") for e in notebook)


def test_find_evidence_by_id_keyword_and_literal():
    by_id = find_evidence(CHURN, "dev.model_registry")
    assert by_id and by_id[0].path.startswith("src/churn/")
    by_keyword = find_evidence(CHURN, "registry")
    assert {e.path for e in by_id} <= {e.path for e in by_keyword}
    literal = find_evidence(CHURN, "HistGradientBoostingClassifier")
    assert literal and all("HistGradientBoostingClassifier" in e.snippet for e in literal)
