"""scripts/model_validation_suite.py against a real SQLite MLflow store with real scikit-learn models."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers import load_script

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "model_validation_suite.py"
FEATURES = ["tenure_months", "monthly_charges", "plan"]


def churn_frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "tenure_months": rng.integers(0, 72, rows),
        "monthly_charges": rng.normal(70, 20, rows).clip(5).round(2),
        "plan": rng.choice(["basic", "standard", "premium"], rows, p=[0.45, 0.45, 0.10]),
    })
    logit = 1.2 - frame["tenure_months"] / 12 + (frame["monthly_charges"] - 70) / 12 + (frame["plan"] == "basic") * 0.8
    frame["churned"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def register(frame: pd.DataFrame, c: float, proba_pyfunc: bool, shuffle_labels: bool = False) -> str:
    """One real training run registered as a version of 'churn'."""
    import mlflow
    import sklearn
    from mlflow.models import infer_signature
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    labels = frame["churned"].sample(frac=1, random_state=1).to_numpy() if shuffle_labels else frame["churned"]
    encode = ColumnTransformer([("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"])], remainder="passthrough")
    model = Pipeline([("encode", encode), ("model", LogisticRegression(C=c, max_iter=1000))]).fit(frame[FEATURES], labels)
    with mlflow.start_run():
        mlflow.log_param("C", c)
        extra = {"pyfunc_predict_fn": "predict_proba"} if proba_pyfunc else {}
        output = model.predict_proba(frame[FEATURES]) if proba_pyfunc else model.predict(frame[FEATURES])
        info = mlflow.sklearn.log_model(sk_model=model, name="model", registered_model_name="churn",
                                        signature=infer_signature(frame[FEATURES], output),
                                        pip_requirements=[f"scikit-learn=={sklearn.__version__}"], **extra)
    return str(info.registered_model_version)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """v1 champion, v2 challenger (as good; its pyfunc returns labels), v3 trained on shuffled labels."""
    import mlflow
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("validation-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    saved = os.environ.get("MLFLOW_EXPERIMENT_ID")
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("validation-suite")
    train = churn_frame(1500, seed=3)
    versions = [register(train, 1.0, True), register(train, 0.5, False), register(train, 1.0, True, True)]
    client = MlflowClient(uri)
    client.set_registered_model_alias("churn", "champion", versions[0])
    client.set_registered_model_alias("churn", "challenger", versions[1])
    mlflow.set_tracking_uri(None)
    if saved is None:
        os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    holdout = churn_frame(900, seed=11)
    holdout.to_csv(root / "holdout.csv", index=False)
    return {"uri": uri, "root": root, "holdout": holdout, "versions": versions}


suite = load_script(SCRIPT)


def suite_args(store, args: tuple[str, ...], data: Path | None) -> list[str]:
    return ["--model", "churn", "--label", "churned", "--tracking-uri", store["uri"],
            "--data", str(data or store["root"] / "holdout.csv"), *args]


@pytest.fixture
def validate(store, capsys):
    """Run the suite in this process (MLflow is imported once); returns (exit code, JSON report, stderr)."""
    import mlflow

    def run(*args: str, data: Path | None = None) -> tuple[int, dict | None, str]:
        try:
            code = suite.main(suite_args(store, args, data))
        finally:
            mlflow.set_tracking_uri(None)
        captured = capsys.readouterr()
        return code, json.loads(captured.out) if captured.out.strip() else None, captured.err

    return run


def check(report: dict, name: str) -> dict:
    return next(c for c in report["checks"] if c["name"] == name)


def test_a_good_challenger_passes_every_check_with_evidence(validate, store, tmp_path):
    output = tmp_path / "validation.json"
    code, report, stderr = validate("--candidate", "challenger", "--threshold", "roc_auc>=0.75",
                                     "--threshold", "accuracy>=0.65", "--slice", "plan", "--max-regression", "0.02",
                                     "--latency-rows", "20", "--max-p95-ms", "10000", "--output", str(output))
    assert code == 0, stderr
    assert report["verdict"] == "PASS" and json.loads(output.read_text()) == report
    assert report["candidate"]["version"] == store["versions"][1] and report["candidate"]["run_id"]
    assert report["champion"]["version"] == store["versions"][0]
    assert [c["status"] for c in report["checks"]] == ["pass"] * 5
    signature = check(report, "signature")["evidence"]
    assert signature["expected"] == {"tenure_months": "long", "monthly_charges": "double", "plan": "string"}
    metrics = check(report, "metrics")["evidence"]
    # The challenger's pyfunc returns labels; the AUC comes from the scikit-learn flavour's probabilities.
    assert metrics["scores_from"] == "scikit-learn predict_proba" and metrics["rows"] == 900
    assert metrics["metrics"]["roc_auc"] >= 0.75 and metrics["thresholds"][0]["threshold"] == "roc_auc>=0.75"
    comparisons = {c["metric"]: c for c in check(report, "champion")["evidence"]["comparisons"]}
    assert set(comparisons) == {"roc_auc", "accuracy"} and abs(comparisons["roc_auc"]["gain"]) < 0.02
    slices = check(report, "slices")["evidence"]
    assert sorted(s["slice"] for s in slices["evaluated"]) == ["plan=basic", "plan=premium", "plan=standard"]
    assert sum(s["rows"] for s in slices["evaluated"]) == 900
    latency = check(report, "latency")["evidence"]
    assert latency["rows"] == 20 and 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"]
    assert stderr.strip().splitlines()[-1] == "PASS"


def test_a_weak_model_fails_the_threshold_and_the_champion_comparison(validate, store):
    weak = store["versions"][2]
    code, report, _ = validate("--candidate", weak, "--threshold", "roc_auc>=0.75", "--latency-rows", "0")
    assert code == 1 and report["verdict"] == "FAIL"
    assert report["failed_checks"] == ["metrics", "champion"]
    metrics = check(report, "metrics")
    assert metrics["evidence"]["metrics"]["roc_auc"] < 0.65 and "misses roc_auc>=0.75" in metrics["detail"]
    champion = check(report, "champion")
    assert f"champion version {store['versions'][0]}" in champion["detail"]
    assert champion["evidence"]["comparisons"][0]["gain"] < -0.1
    assert check(report, "latency")["status"] == "skipped"


def test_a_slice_the_model_gets_wrong_fails_on_its_own(validate, store, tmp_path):
    holdout = store["holdout"].copy()
    premium = holdout["plan"] == "premium"
    holdout.loc[premium, "churned"] = 1 - holdout.loc[premium, "churned"]  # that segment behaves the opposite way
    data = tmp_path / "shifted.parquet"
    holdout.to_parquet(data, index=False)
    code, report, _ = validate("--candidate", "challenger", "--threshold", "roc_auc>=0.70", "--slice", "plan",
                               "--max-regression", "0.02", "--latency-rows", "0", data=data)
    assert code == 1 and report["failed_checks"] == ["slices"]
    slices = check(report, "slices")
    assert "plan=premium" in slices["detail"] and "plan=basic" not in slices["detail"]
    by_slice = {s["slice"]: s for s in slices["evidence"]["evaluated"]}
    assert by_slice["plan=premium"]["metrics"]["roc_auc"] < 0.5 < by_slice["plan=basic"]["metrics"]["roc_auc"]
    assert by_slice["plan=premium"]["rows"] == int(premium.sum())


def test_small_slices_are_listed_as_skipped_not_hidden(validate, store):
    code, report, _ = validate("--candidate", "challenger", "--threshold", "roc_auc>=0.70", "--slice", "plan",
                               "--min-slice-rows", "200", "--max-regression", "0.02", "--latency-rows", "0")
    assert code == 0
    skipped = check(report, "slices")["evidence"]["skipped"]
    assert [s["slice"] for s in skipped] == ["plan=premium"] and skipped[0]["reason"] == "fewer than 200 rows"


def test_data_that_does_not_fit_the_signature_fails_before_scoring(validate, store, tmp_path):
    bad = store["holdout"].drop(columns=["plan"]).astype({"tenure_months": str})
    bad.loc[0, "tenure_months"] = "three"
    data = tmp_path / "bad.csv"
    bad.to_csv(data, index=False)
    code, report, _ = validate("--candidate", "challenger", "--threshold", "roc_auc>=0.70", data=data)
    assert code == 1 and report["failed_checks"] == ["signature"]
    problems = check(report, "signature")["evidence"]["problems"]
    assert problems["plan"] == "missing from the data"
    # pandas 3 reads text as the `str` dtype, pandas 2 as `object`; either way the bad value is shown.
    assert re.fullmatch(r"expects long, the data has (str|object) \(e\.g\. 'three'\)", problems["tenure_months"])
    assert {c["name"]: c["status"] for c in report["checks"]}["metrics"] == "skipped"


def test_a_latency_budget_that_cannot_be_met_fails(validate, store):
    code, report, _ = validate("--candidate", "challenger", "--threshold", "roc_auc>=0.70", "--max-regression", "0.02",
                               "--latency-rows", "10", "--max-p95-ms", "0.000001")
    assert code == 1 and report["failed_checks"] == ["latency"]
    assert "exceeds 1e-06 ms" in check(report, "latency")["detail"]


def test_no_champion_yet_is_a_skip_with_its_reason(validate, store):
    code, report, _ = validate("--candidate", "challenger", "--threshold", "roc_auc>=0.70",
                                "--champion-alias", "nobody", "--latency-rows", "0")
    assert code == 0 and report["champion"] is None
    assert check(report, "champion")["status"] == "skipped" and "no 'nobody' alias" in check(report, "champion")["detail"]


@pytest.mark.parametrize("args, message", [
    (["--candidate", "challenger", "--threshold", "roc_auc=0.7"], "is not METRIC>=VALUE"),
    (["--candidate", "challenger", "--threshold", "rmse<=3"], "unknown metric 'rmse'"),
    (["--candidate", "challenger"], "at least one --threshold"),
    (["--candidate", "nine", "--threshold", "roc_auc>=0.7"], "has no alias 'nine'"),
    (["--candidate", "99", "--threshold", "roc_auc>=0.7"], "has no version '99'"),
    (["--candidate", "challenger", "--threshold", "roc_auc>=0.7", "--slice", "region"], "column 'region' is not"),
    (["--candidate", "challenger", "--threshold", "roc_auc>=0.7", "--max-regression", "-1"], "--max-regression must"),
])
def test_bad_input_is_one_sentence_and_exit_2(validate, store, args, message):
    code, report, stderr = validate(*args)
    assert code == 2 and report is None
    assert message in stderr and "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1


def test_missing_files_and_long_input_are_reported_briefly(validate, store, tmp_path):
    code, _, stderr = validate("--candidate", "challenger", "--threshold", "roc_auc>=0.7",
                                data=tmp_path / ("x" * 300 + ".csv"))
    assert code == 2 and "does not exist" in stderr and "x" * 81 not in stderr
    output = tmp_path / "never.json"
    code, _, stderr = validate("--model", "nope", "--candidate", "1", "--threshold", "roc_auc>=0.7",
                               "--output", str(output))
    assert code == 2 and "'nope' was not found" in stderr and not output.exists()


def test_the_command_line_exit_code_is_what_ci_sees(store):
    """One real process, as a CI step runs it: a failing check is exit 1 and the report still prints."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    command = [sys.executable, str(SCRIPT), *suite_args(store, ("--candidate", store["versions"][2], "--threshold",
                                                                "roc_auc>=0.75", "--latency-rows", "0"), None)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 1, result.stderr[-2000:]
    assert json.loads(result.stdout)["failed_checks"] == ["metrics", "champion"]
    assert result.stderr.strip().splitlines()[-1] == "FAIL"
