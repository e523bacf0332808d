"""The bundled churn-model project runs on the installed MLflow: train, promote, serve a probability.

The audit, gate and eval tests read this fixture as text; this test runs it for real (a copy in a temp
folder, a SQLite MLflow store), so its code stays correct, not only well-graded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "evals" / "fixtures" / "churn-model"

SERVE_AND_COMPARE = r"""
import json, sys
import mlflow, pandas as pd
from fastapi.testclient import TestClient
from churn.serve import app

row = pd.read_csv("data/current.csv").drop(columns=["customer_id", "churned"]).iloc[0].to_dict()
response = TestClient(app).post("/predict", json=row)
raw = mlflow.sklearn.load_model("models:/churn-classifier@champion")
expected = float(raw.predict_proba(pd.DataFrame([row]))[0, 1])
bad = TestClient(app).post("/predict", json={**row, "contract_type": "lifetime"})
print(json.dumps({"status": response.status_code, "body": response.json(), "expected": expected,
                  "bad_status": bad.status_code}))
"""


def run(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def trained_fixture(tmp_path_factory):
    """A copy of the fixture, trained and promoted once against a temporary store."""
    root = tmp_path_factory.mktemp("churn-fixture")
    project = root / "churn-model"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
           "PYTHONPATH": str(project / "src"), "MLFLOW_ENABLE_TELEMETRY": "false"}
    trained = run([sys.executable, "-m", "churn.train", "--params", "params.yaml"], project, env)
    assert trained.returncode == 0, trained.stderr[-3000:]
    promoted = run([sys.executable, "-m", "churn.evaluate", "--params", "params.yaml"], project, env)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr[-3000:]
    assert "promoted version 1 to @champion" in promoted.stdout
    return project, env


def test_train_logs_and_registers_on_the_installed_mlflow(trained_fixture):
    from mlflow import MlflowClient

    _, env = trained_fixture
    client = MlflowClient(env["MLFLOW_TRACKING_URI"])
    champion = client.get_model_version_by_alias("churn-classifier", "champion")
    run_data = client.get_run(champion.run_id).data
    assert run_data.metrics["val_roc_auc"] > 0.7
    # Stored with skops (MLflow 3's safe default, not pickle); the pyfunc answers with probabilities.
    import mlflow

    mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
    try:
        info = mlflow.models.get_model_info(f"models:/churn-classifier/{champion.version}")
    finally:
        mlflow.set_tracking_uri(None)
    assert info.flavors["sklearn"]["serialization_format"] == "skops"
    assert info.flavors["python_function"]["predict_fn"] == "predict_proba"


def test_serve_returns_the_churn_probability_not_the_label(trained_fixture):
    project, env = trained_fixture
    result = run([sys.executable, "-c", SERVE_AND_COMPARE], project, env)
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["status"] == 200
    probability = facts["body"]["churn_probability"]
    # A probability strictly between 0 and 1, equal to the underlying model's predict_proba.
    assert 0.0 < probability < 1.0
    assert probability == pytest.approx(facts["expected"], abs=1e-9)
    assert facts["body"]["model_uri"] == "models:/churn-classifier@champion"
    # The pydantic schema still rejects an unknown category with a 4xx.
    assert facts["bad_status"] == 422
