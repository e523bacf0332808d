"""Small but complete ML service repositories for the gate tests, written into tmp_path.

`write_complete_repo` produces a repository that shows every practice the
gate asks for; each `BREAKS[proof]` edit removes exactly that proof's evidence.
The serving schema names the breast-cancer features, matching the signature
of the models `seed_demo_store(dataset="breast_cancer")` registers.
"""

from __future__ import annotations

from pathlib import Path


def breast_cancer_features() -> list[str]:
    from sklearn.datasets import load_breast_cancer

    return [name.replace(" ", "_") for name in load_breast_cancer().feature_names]


def _serve_py(features: list[str], model_uri: str = "models:/churn-classifier@champion", with_latency: bool = True) -> str:
    fields = "\n".join(f"    {name}: float = Field(ge=0)" for name in features)
    latency = ', "latency_ms": round((time.perf_counter() - started) * 1000, 2)' if with_latency else ""
    timer = "    started = time.perf_counter()\n" if with_latency else ""
    return f'''"""Prediction service."""
import json
import logging
import time

import mlflow
import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel, Field

MODEL_URI = "{model_uri}"
app = FastAPI()
log = logging.getLogger("predictions")


class PatientFeatures(BaseModel):
{fields}


def log_prediction(record: dict) -> None:
    log.info(json.dumps(record))


@app.post("/predict")
def predict(payload: PatientFeatures) -> dict:
{timer}    model = mlflow.pyfunc.load_model(MODEL_URI)
    features = payload.model_dump()
    score = float(model.predict(pd.DataFrame([features]))[0])
    log_prediction({{"features": features, "score": score, "model_version": model.metadata.model_id{latency}}})
    return {{"score": score}}
'''


TRAIN_PY = '''"""Training job."""
import mlflow
from mlflow.models import infer_signature
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression


def train() -> None:
    x, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(x, y)
    with mlflow.start_run():
        mlflow.sklearn.log_model(model, name="model", signature=infer_signature(x, model.predict(x)),
                                 registered_model_name="churn-classifier")


if __name__ == "__main__":
    train()
'''

CANARY_YAML = '''apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: churn-classifier
spec:
  predictor:
    canaryTrafficPercent: 10
    model:
      modelFormat:
        name: mlflow
      storageUri: models:/churn-classifier@champion
'''

DRIFT_PY = '''"""Drift check on yesterday's production inputs."""
import pandas as pd
from scipy.stats import ks_2samp


def detect_drift(reference: pd.DataFrame, current: pd.DataFrame, alpha: float = 0.05) -> dict:
    return {c: ks_2samp(reference[c], current[c]).pvalue < alpha for c in reference.columns}


if __name__ == "__main__":
    print(detect_drift(pd.read_csv("data/reference.csv"), pd.read_csv("data/yesterday.csv")))
'''

DRIFT_WORKFLOW = '''name: drift-monitor
on:
  schedule:
    - cron: "0 6 * * *"
jobs:
  drift:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python monitoring/drift.py
'''

RETRAIN_WORKFLOW = '''name: retrain
on:
  schedule:
    - cron: "0 3 * * 1"
jobs:
  retrain:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python src/train.py
'''

ROLLBACK_PY = '''"""Restore the previous champion."""
from mlflow import MlflowClient


def rollback_champion(name: str, previous_version: str) -> None:
    MlflowClient().set_registered_model_alias(name, "champion", previous_version)
'''

ROLLBACK_TEST = '''from unittest import mock

from src import rollback


def test_rollback_restores_the_previous_champion():
    with mock.patch.object(rollback, "MlflowClient") as client:
        rollback.rollback_champion("churn-classifier", "1")
    client.return_value.set_registered_model_alias.assert_called_once_with("churn-classifier", "champion", "1")
'''

REQUIREMENTS = "mlflow==3.1.0\nscikit-learn==1.5.0\nfastapi==0.115.0\npandas==2.2.2\n"


def write_complete_repo(root: Path, features: list[str] | None = None) -> Path:
    files = {
        "requirements.txt": REQUIREMENTS,
        "src/train.py": TRAIN_PY,
        "src/serve.py": _serve_py(features or breast_cancer_features()),
        "deploy/inference-service.yaml": CANARY_YAML,
        "monitoring/drift.py": DRIFT_PY,
        ".github/workflows/drift.yml": DRIFT_WORKFLOW,
        ".github/workflows/retrain.yml": RETRAIN_WORKFLOW,
        "src/rollback.py": ROLLBACK_PY,
        "tests/test_rollback.py": ROLLBACK_TEST,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _replace(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


# proof id -> an edit that removes exactly that proof's repository evidence
BREAKS = {
    "registered_model": lambda root: _replace(root, "src/serve.py", "models:/churn-classifier@champion", "models:/churn-classifier/latest"),
    "serving_schema": lambda root: (root / "src/serve.py").write_text(_serve_py(["age", "bmi"]), encoding="utf-8"),
    "progressive_delivery": lambda root: _replace(root, "deploy/inference-service.yaml", "    canaryTrafficPercent: 10\n", ""),
    "drift_scheduled": lambda root: (root / ".github/workflows/drift.yml").unlink(),
    "retraining_trigger": lambda root: (root / ".github/workflows/retrain.yml").unlink(),
    "prediction_logging": lambda root: (root / "src/serve.py").write_text(_serve_py(breast_cancer_features(), with_latency=False), encoding="utf-8"),
    "rollback": lambda root: [(root / rel).unlink() for rel in ("src/rollback.py", "tests/test_rollback.py")],
}
