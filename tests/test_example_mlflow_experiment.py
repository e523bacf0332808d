"""examples/mlflow-experiment end to end: train, register, alias, serve by alias, promote and roll back live."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.local_servers import uvicorn_app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mlflow-experiment"
CUSTOMER = {"tenure_months": 3, "monthly_charges": 95.5, "plan": "basic"}


@pytest.fixture
def project(tmp_path):
    folder = tmp_path / "mlflow-experiment"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
           "MLFLOW_ENABLE_TELEMETRY": "false", "CHAMPION_TTL_SECONDS": "1"}
    return folder, env


def run(folder: Path, env: dict, *args: str) -> dict:
    result = subprocess.run([sys.executable, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_train_serve_promote_and_roll_back_without_restart(project):
    folder, env = project
    first = run(folder, env, "train.py", "--C", "1.0", "--alias", "challenger")
    assert first["version"] == "1" and first["val_auc"] > 0.7
    assert run(folder, env, "promote.py") == {"model": "churn", "champion_before": None, "champion_after": "1"}

    with uvicorn_app("serve:app", folder, env, sys.executable, folder / "uvicorn.log") as base:
        def predict() -> dict:
            response = httpx.post(f"{base}/predict", json=CUSTOMER, timeout=30)
            assert response.status_code == 200, response.text
            return response.json()

        served_v1 = predict()
        assert served_v1["model_version"] == "1" and 0.0 < served_v1["churn_probability"] < 1.0

        # A second, different model becomes champion; the running server follows within the TTL.
        second = run(folder, env, "train.py", "--C", "0.01", "--alias", "challenger")
        assert second["version"] == "2"
        assert run(folder, env, "promote.py")["champion_after"] == "2"
        time.sleep(1.5)
        served_v2 = predict()
        assert served_v2["model_version"] == "2"
        assert served_v2["churn_probability"] != served_v1["churn_probability"]

        # Roll back by alias: same process, previous predictions again.
        assert run(folder, env, "promote.py", "--rollback") == {"model": "churn", "champion_before": "2",
                                                                "champion_after": "1"}
        time.sleep(1.5)
        rolled_back = predict()
        assert rolled_back["model_version"] == "1"
        assert rolled_back["churn_probability"] == served_v1["churn_probability"]
        # Bad input is a 4xx, not a prediction.
        assert httpx.post(f"{base}/predict", json={**CUSTOMER, "plan": "gold"}, timeout=30).status_code == 422


def test_logged_model_has_a_signature_and_returns_probabilities(project):
    import mlflow
    import pandas as pd

    folder, env = project
    run(folder, env, "train.py", "--alias", "champion")
    mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
    try:
        info = mlflow.models.get_model_info("models:/churn@champion")
        assert [c.name for c in info.signature.inputs] == ["tenure_months", "monthly_charges", "plan"]
        model = mlflow.pyfunc.load_model("models:/churn@champion")
        output = model.predict(pd.DataFrame([CUSTOMER]))
        assert output.shape == (1, 2) and abs(float(output[0].sum()) - 1.0) < 1e-9
    finally:
        mlflow.set_tracking_uri(None)


def test_rollback_without_previous_is_a_one_line_error(project):
    folder, env = project
    run(folder, env, "train.py", "--alias", "champion")
    result = subprocess.run([sys.executable, "promote.py", "--rollback"], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: model 'churn' has no @previous version to roll back to."
