"""Each deterministic grader on crafted answers, against facts the real engines compute on the fixtures."""

from __future__ import annotations

import pytest

from mlproof.evals.facts import Facts
from mlproof.evals.graders import GradeContext, grade, grade_transcript
from mlproof.evals.models import AssertionSpec, Scenario, ToolCallRecord, Transcript
from mlproof.evals.scenarios import FIXTURES_DIR
from mlproof.evals.textscan import matches_value

FRAUD = FIXTURES_DIR / "fraud-feast"
NOTEBOOK = FIXTURES_DIR / "notebook-only"
REF, CUR = "data/transactions_reference.csv", "data/transactions_current.csv"


@pytest.fixture(scope="module")
def fraud_facts() -> Facts:
    return Facts(FRAUD, None)


def check(spec: dict, answer: str, facts: Facts, *, condition: str = "skill+tools", tool_calls=(), prompt: str = ""):
    scenario = Scenario(id="t", title="t", skill="mlops-drift", prompt=prompt or "q", assertions=[AssertionSpec(**spec)])
    transcript = Transcript(scenario="t", condition=condition, answer=answer, tool_calls=list(tool_calls))
    return grade(scenario.assertions[0], GradeContext(scenario=scenario, transcript=transcript, prompt=prompt, facts=facts))


def test_sections_accepts_headings_bold_lines_and_title_colons(fraud_facts):
    spec = {"type": "sections", "sections": [["verdict"], ["evidence", "findings"], ["next steps"]]}
    assert check(spec, "## Verdict\nx\n**Findings**\ny\nNext steps:\nz", fraud_facts).passed
    result = check(spec, "## Verdict\nThe evidence is clear and next steps follow.", fraud_facts)
    assert not result.passed and "evidence, next steps" in result.why


def test_mentions_synonyms_regex_and_minimum(fraud_facts):
    spec = {"type": "mentions", "items": [["PSI", "population stability"], "re:canary|shadow"]}
    assert check(spec, "Use the Population Stability Index and a shadow deployment.", fraud_facts).passed
    result = check(spec, "Use PSI.", fraud_facts)
    assert not result.passed and "missing: re:canary|shadow" in result.why
    assert check(dict(spec, min=1), "Use PSI.", fraud_facts).passed
    # Word edges: "PSI" inside another word is not a mention.
    assert not check({"type": "mentions", "items": ["PSI"]}, "EPSILON values", fraud_facts).passed


def test_must_not_mention_quotes_the_line(fraud_facts):
    spec = {"type": "must_not_mention", "items": ["Production stage"], "why": "stages are deprecated"}
    result = check(spec, "Fine.\nThen move it to the Production stage.", fraud_facts)
    assert not result.passed and "stages are deprecated" in result.why and "move it to the Production stage" in result.why
    assert check(spec, "Set the @champion alias.", fraud_facts).passed


DEPRECATED_CODE = {
    "mlflow.transition_stage": 'client.transition_model_version_stage("m", 3, "Production")',
    "mlflow.get_latest_versions": 'client.get_latest_versions("m", stages=["Production"])',
    "mlflow.stage_uri": 'mlflow.pyfunc.load_model("models:/churn/Production")',
    "mlflow.stage_argument": 'client.create_model_version("m", src, stage="Staging")',
    "mlflow.artifact_path": 'mlflow.sklearn.log_model(model, artifact_path="model")',
    "evidently.legacy_report": "from evidently.report import Report",
    "evidently.column_mapping": "import evidently\nmapping = ColumnMapping(target='y')",
    "feast.feature": "from feast import Entity, Feature, FeatureView",
}
MODERN_CODE = """
from evidently import Report
from evidently.presets import DataDriftPreset
from feast import Entity, FeatureView, Field
client.set_registered_model_alias("m", "champion", "3")
model = mlflow.pyfunc.load_model("models:/churn@champion")
mlflow.sklearn.log_model(model, name="model", registered_model_name="churn")
"""


@pytest.mark.parametrize("api_id", sorted(DEPRECATED_CODE))
def test_no_deprecated_api_catches_each_known_api(api_id, fraud_facts):
    answer = f"Do this:\n```python\n{DEPRECATED_CODE[api_id]}\n```\n"
    result = check({"type": "no_deprecated_api"}, answer, fraud_facts)
    assert not result.passed and api_id in result.why


def test_no_deprecated_api_accepts_modern_code_and_prose_warnings(fraud_facts):
    answer = f"```python\n{MODERN_CODE}\n```\nDo not call `transition_model_version_stage()`; stages are deprecated."
    assert check({"type": "no_deprecated_api"}, answer, fraud_facts).passed
    result = check({"type": "no_deprecated_api", "require_code": True}, "No code here.", fraud_facts)
    assert not result.passed and "no code block" in result.why


def test_cited_files_exist(fraud_facts):
    spec = {"type": "cited_files_exist", "require": True}
    ok = check(spec, "The 24h mean is recomputed at `src/fraud/serve.py:31`; Feast view in feature_repo/features.py:13.", fraud_facts)
    assert ok.passed and "2 citation(s)" in ok.why
    missing = check(spec, "Drift runs in `monitoring/drift_check.py:12`.", fraud_facts)
    assert not missing.passed and "monitoring/drift_check.py" in missing.why
    past_end = check(spec, "See src/fraud/serve.py:400.", fraud_facts)
    assert not past_end.passed and "has 40 lines" in past_end.why
    # Proposing a new file is not citing one; a path the project's own code names is a real reference.
    assert check({"type": "cited_files_exist"}, "Add a `dvc.yaml` for the pipeline.", fraud_facts).why == "cites no file"
    assert check({"type": "cited_files_exist"}, "Labels come from data/labels.parquet.", fraud_facts).passed
    assert not check(spec, "Everything is fine in `src/fraud/train.py`.", fraud_facts).passed  # require: needs a line


def test_cited_notebook_cells(fraud_facts):
    facts = Facts(NOTEBOOK, None)
    spec = {"type": "cited_files_exist"}
    assert check(spec, "Training at `churn_analysis.ipynb#cell5:2`.", facts).passed
    no_cell = check(spec, "Training at `churn_analysis.ipynb#cell9:4`.", facts)
    assert not no_cell.passed and "no such" in no_cell.why
    no_line = check(spec, "Training at `churn_analysis.ipynb#cell5:7`.", facts)
    assert not no_line.passed and "cell 5" in no_line.why


def test_numbers_match_uses_the_drift_engine(fraud_facts):
    truth = fraud_facts.drift_column(REF, CUR, "amount")["statistic"]
    spec = {"type": "numbers_match", "facts": [{"source": "drift", "reference": REF, "current": CUR, "column": "amount", "tolerance": 0.01}]}
    assert check(spec, f"- amount: normed Wasserstein {truth:.2f} (threshold 0.1)", fraud_facts).passed
    wrong = check(spec, "- amount: PSI = 0.31 (threshold 0.2)", fraud_facts)
    assert not wrong.passed and "reports 0.31 for amount" in wrong.why and "drift engine" in wrong.why
    silent = check(spec, "The amounts look different.", fraud_facts)
    assert not silent.passed and "does not report" in silent.why


def test_matches_value_handles_rounding_and_percent():
    assert matches_value("0.47", 0.4696, 0.0)          # rounded to the shown decimals
    assert not matches_value("0.46", 0.4696, 0.0)
    assert matches_value("46.96%", 0.4696, 0.0)
    assert matches_value("47%", 0.4696, 0.0)
    # One shown decimal covers ±0.05 of rounding: 0.5 is consistent with 0.4696, 0.4 is not.
    assert matches_value("0.5", 0.4696, 0.001)
    assert not matches_value("0.4", 0.4696, 0.001)


def test_grounded_statistics_flags_invented_numbers(fraud_facts):
    spec = {"type": "grounded_statistics", "drift": {"reference": REF, "current": CUR}}
    invented = check(spec, "merchant_category: PSI = 0.22; customer_age_days: KS statistic 0.12, p-value 0.003.", fraud_facts)
    assert not invented.passed and "PSI 0.22" in invented.why and "p-value 0.003" in invented.why
    real = fraud_facts.drift_column(REF, CUR, "merchant_category")["statistic"]
    assert check(spec, f"merchant_category: Jensen-Shannon distance {real:.4f}.", fraud_facts).passed
    # Numbers a tool returned in this episode, or the prompt gave, are grounded too.
    tool = ToolCallRecord(name="best_run", arguments={}, result='{"value": 0.0679}')
    assert check({"type": "grounded_statistics"}, "val_log_loss = 0.0679", fraud_facts, tool_calls=[tool]).passed
    assert check({"type": "grounded_statistics"}, "accuracy of 85% before", fraud_facts, prompt="Accuracy fell from 85% to 78%").passed
    assert check({"type": "grounded_statistics"}, "No numbers here.", fraud_facts).why == "states no statistic"


def test_drift_agrees(fraud_facts):
    spec = {"type": "drift_agrees", "reference": REF, "current": CUR}
    assert check(spec, "Drifted: amount, amount_mean_24h and merchant_category. country did not drift.", fraud_facts).passed
    unnamed = check(spec, "Drifted: amount and merchant_category.", fraud_facts)
    assert not unnamed.passed and "amount_mean_24h" in unnamed.why
    wrong = check(spec, "amount, amount_mean_24h, merchant_category drifted.\ncustomer_age_days has drifted too.", fraud_facts)
    assert not wrong.passed and "customer_age_days" in wrong.why
    only = check(dict(spec, columns=["country"]), "country: no drift.", fraud_facts)
    assert only.passed


def test_audit_agrees(fraud_facts):
    spec = {"type": "audit_agrees", "checks": [
        {"id": "cicd.ci_pipeline", "synonyms": ["CI pipeline", "GitHub Actions"]},
        {"id": "monitor.data_drift", "synonyms": ["drift"]},
    ]}
    assert check(spec, "GitHub Actions runs the tests. Gap: no drift monitoring.", fraud_facts).passed
    denied = check(spec, "There is no CI pipeline. Also no drift monitoring.", fraud_facts)
    assert not denied.passed and "cicd.ci_pipeline" in denied.why and "pass" in denied.why
    silent = check(spec, "GitHub Actions runs the tests.", fraud_facts)
    assert not silent.passed and "monitor.data_drift" in silent.why


def test_tools_called_and_applies_to(fraud_facts):
    spec = {"type": "tools_called", "tools": ["drift_report"], "applies_to": ["skill+tools"]}
    assert check(spec, "x", fraud_facts, condition="baseline") is None  # not graded outside skill+tools
    assert not check(spec, "x", fraud_facts).passed
    ok = ToolCallRecord(name="drift_report", arguments={}, result="{}")
    failed = ToolCallRecord(name="drift_report", arguments={}, result="outside the roots", is_error=True)
    assert check(spec, "x", fraud_facts, tool_calls=[ok]).passed
    assert not check(spec, "x", fraud_facts, tool_calls=[failed]).passed


def test_bad_scenario_options_fail_with_a_reason(fraud_facts):
    result = check({"type": "numbers_match", "facts": [{"source": "drift", "reference": REF, "current": CUR, "column": "nope"}]}, "x", fraud_facts)
    assert not result.passed and "could not be graded" in result.why and "nope" in result.why
    result = check({"type": "mentions"}, "x", fraud_facts)
    assert not result.passed and "lacks the option" in result.why


def test_empty_or_failed_episode_is_one_failed_assertion(fraud_facts):
    scenario = Scenario(id="t", title="t", skill="s", prompt="q", assertions=[AssertionSpec(type="mentions", items=["x"])])
    grades = grade_transcript(scenario, Transcript(scenario="t", condition="skill", answer="  "), "q", fraud_facts)
    assert [(g.type, g.passed) for g in grades] == [("episode", False)]
    grades = grade_transcript(scenario, Transcript(scenario="t", condition="skill", answer="", error="timeout"), "q", fraud_facts)
    assert "timeout" in grades[0].why
