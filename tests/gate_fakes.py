"""A genuine churn service that earns every gate proof, and copies of it with exactly one proof faked.

`write_service(root)` writes the service: a FastAPI app that loads `models:/churn@champion`
through a small registry module, validates requests with a pydantic model that matches
the training signature by name and type, and logs each prediction (features, resolved
model version, latency) through a helper; a KServe canary; a scheduled drift workflow
that runs a drift script and `mlproof drift --log-to-mlflow`; a weekly retraining that
also follows the drift workflow; a champion/challenger promotion job; a rollback script
with a test that runs it and asserts.

`build_store(root)` makes the MLflow store it is judged against: real scikit-learn runs,
two registered versions of `churn` (signature: long, double, string columns), @champion on
version 2, and drift runs logged in the format `mlproof drift --log-to-mlflow` writes.

`FAKES[name] = (proof id, edit)`: each edit keeps the practice's *words* (comments,
docstrings, Markdown, notebook prose, dead or skipped code) and removes its substance.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

MODEL = "churn"
DRIFT_EXPERIMENT = "churn-drift"

APP = '''"""Churn prediction API."""
from __future__ import annotations

import time
import uuid

import pandas as pd
from fastapi import FastAPI

from churn_service.features import CustomerFeatures
from churn_service.prediction_log import write_prediction
from churn_service.registry import load_champion

app = FastAPI(title="churn")
MODEL = load_champion()


@app.post("/predict")
def predict(customer: CustomerFeatures) -> dict:
    started = time.perf_counter()
    features = customer.model_dump()
    probability = float(MODEL.model.predict(pd.DataFrame([features]))[0])
    write_prediction(
        request_id=str(uuid.uuid4()),
        features=features,
        prediction=probability,
        model_version=MODEL.version,
        latency_ms=(time.perf_counter() - started) * 1000,
    )
    return {"churn": probability, "model_version": MODEL.version}
'''

REGISTRY = '''"""The served model: whatever version @champion points at, resolved once at start-up."""
from __future__ import annotations

import os
from dataclasses import dataclass

import mlflow
from mlflow import MlflowClient

MODEL_NAME = os.environ.get("MODEL_NAME", "churn")
ALIAS = os.environ.get("MODEL_ALIAS", "champion")


@dataclass
class Served:
    model: object
    version: str


def load_champion() -> Served:
    version = MlflowClient().get_model_version_by_alias(MODEL_NAME, ALIAS).version
    model = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}@{ALIAS}")
    return Served(model=model, version=str(version))
'''

FEATURES = '''"""The request: one customer, with the columns the model was trained on."""
from typing import Literal

from pydantic import BaseModel, Field


class CustomerFeatures(BaseModel):
    tenure_months: int = Field(ge=0)
    monthly_charges: float = Field(ge=0)
    contract_type: Literal["month-to-month", "one-year", "two-year"]
    support_calls: int = Field(ge=0)
'''

PREDICTION_LOG = '''"""One JSON line per prediction, for monitoring and for joining with labels later."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

log = logging.getLogger("churn.predictions")


def write_prediction(request_id: str, features: dict, prediction: float, model_version: str, latency_ms: float) -> None:
    record = {
        "request_id": request_id,
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "model_name": "churn",
        "model_version": model_version,
        "features": features,
        "prediction": prediction,
        "latency_ms": round(latency_ms, 3),
    }
    log.info(json.dumps(record))
'''

TRAIN = '''"""Train the churn classifier and register it."""
import mlflow
import pandas as pd
from mlflow.models import infer_signature
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder


def main(path: str = "data/train.csv") -> None:
    frame = pd.read_csv(path)
    x, y = frame.drop(columns=["churned"]), frame["churned"]
    encode = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["contract_type"]), remainder="passthrough")
    model = make_pipeline(encode, LogisticRegression(max_iter=500)).fit(x, y)
    with mlflow.start_run():
        mlflow.sklearn.log_model(model, name="model", signature=infer_signature(x, model.predict(x)), registered_model_name="churn")


if __name__ == "__main__":
    main()
'''

DRIFT_CHECK = '''"""Yesterday's requests against the training data, one KS test per numeric column."""
import sys

import pandas as pd
from scipy.stats import ks_2samp


def drifted_columns(reference: pd.DataFrame, current: pd.DataFrame, alpha: float = 0.05) -> list[str]:
    return [c for c in reference.select_dtypes("number").columns if ks_2samp(reference[c], current[c]).pvalue < alpha]


def main() -> int:
    drifted = drifted_columns(pd.read_csv("data/train.csv"), pd.read_csv("data/yesterday.csv"))
    print("drifted:", drifted)
    return 1 if drifted else 0


if __name__ == "__main__":
    sys.exit(main())
'''

DRIFT_WORKFLOW = '''name: drift-monitor
on:
  schedule:
    - cron: "0 6 * * *"
  workflow_dispatch:
jobs:
  drift:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: python monitoring/drift_check.py
      - run: mlproof drift data/train.csv data/yesterday.csv --log-to-mlflow churn-drift
'''

RETRAIN_WORKFLOW = '''name: retrain
on:
  schedule:
    - cron: "0 3 * * 1"
  workflow_run:
    workflows: [drift-monitor]
    types: [completed]
jobs:
  retrain:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: make train
'''

MAKEFILE = "train:\n\tpython -m churn_service.train\n\nserve:\n\tuvicorn churn_service.app:app --app-dir src\n"

PROMOTE = '''"""Promote @challenger to @champion only when it beats the champion on validation AUC."""
import sys

from mlflow import MlflowClient

MIN_GAIN = 0.002


def auc(client: MlflowClient, version) -> float:
    return client.get_run(version.run_id).data.metrics["val_auc"]


def main(name: str = "churn") -> int:
    client = MlflowClient()
    champion = client.get_model_version_by_alias(name, "champion")
    challenger = client.get_model_version_by_alias(name, "challenger")
    if auc(client, challenger) < auc(client, champion) + MIN_GAIN:
        print("challenger does not beat the champion; nothing promoted")
        return 1
    client.set_registered_model_alias(name, "champion", challenger.version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''

PROMOTE_WORKFLOW = '''name: promote
on:
  workflow_dispatch:
jobs:
  promote:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python ops/promote.py
'''

ROLLBACK = '''"""Point @champion back at the newest READY version older than the current one."""
from mlflow import MlflowClient


def previous_version(client: MlflowClient, name: str, alias: str = "champion") -> str:
    current = int(client.get_model_version_by_alias(name, alias).version)
    older = [int(v.version) for v in client.search_model_versions(f"name='{name}'")
             if int(v.version) < current and v.status == "READY"]
    if not older:
        raise SystemExit(f"{name}: nothing older than version {current} to roll back to")
    return str(max(older))


def rollback(client: MlflowClient, name: str, alias: str = "champion") -> str:
    target = previous_version(client, name, alias)
    client.set_registered_model_alias(name, alias, target)
    return target
'''

ROLLBACK_TEST = '''import mlflow
from mlflow import MlflowClient

from ops.rollback import rollback


def test_rollback_moves_the_champion_back(tmp_path):
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    client.create_registered_model("churn")
    run = client.create_run(client.create_experiment("t", artifact_location=str(tmp_path / "a")))
    for _ in range(2):
        client.create_model_version("churn", source=str(tmp_path / "a"), run_id=run.info.run_id)
    client.set_registered_model_alias("churn", "champion", "2")
    assert rollback(client, "churn") == "1"
    assert str(client.get_model_version_by_alias("churn", "champion").version) == "1"
'''

CANARY = '''apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: churn
spec:
  predictor:
    canaryTrafficPercent: 20
    model:
      modelFormat:
        name: mlflow
      storageUri: s3://models/churn/v2
'''

README = '''# churn service

Serves the churn classifier registered in MLflow (`models:/churn@champion`).
'''

FILES = {
    "requirements.txt": "mlflow==3.4.0\nscikit-learn==1.5.2\nfastapi==0.115.0\npandas==2.2.3\nscipy==1.14.1\n",
    "README.md": README,
    "Makefile": MAKEFILE,
    "src/churn_service/__init__.py": "",
    "src/churn_service/app.py": APP,
    "src/churn_service/registry.py": REGISTRY,
    "src/churn_service/features.py": FEATURES,
    "src/churn_service/prediction_log.py": PREDICTION_LOG,
    "src/churn_service/train.py": TRAIN,
    "monitoring/drift_check.py": DRIFT_CHECK,
    "ops/__init__.py": "",
    "ops/promote.py": PROMOTE,
    "ops/rollback.py": ROLLBACK,
    "tests/test_rollback.py": ROLLBACK_TEST,
    "deploy/kserve.yaml": CANARY,
    ".github/workflows/drift.yml": DRIFT_WORKFLOW,
    ".github/workflows/retrain.yml": RETRAIN_WORKFLOW,
    ".github/workflows/promote.yml": PROMOTE_WORKFLOW,
}


def write_service(root: Path) -> Path:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# ----------------------------------------------------------------------------- the store

@dataclass
class ServiceStore:
    tracking_uri: str
    versions: dict[str, str]  # version -> run id
    drift_run_id: str


def training_frame(rows: int = 240, seed: int = 7):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "tenure_months": rng.integers(0, 72, rows),
        "monthly_charges": rng.normal(70, 20, rows).round(2),
        "contract_type": rng.choice(["month-to-month", "one-year", "two-year"], rows),
        "support_calls": rng.integers(0, 8, rows),
    })
    frame["churned"] = ((frame["support_calls"] > 3) | (frame["tenure_months"] < 6)).astype(int)
    return frame


def log_drift_run(client, experiment: str, artifact_location: str, started_ms: int, drifted: bool) -> str:
    """A drift run as `mlproof drift --log-to-mlflow` records it (tags, metrics), at a chosen start time."""
    from mlflow.entities import Metric

    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment, artifact_location=artifact_location)
    run = client.create_run(experiment_id, start_time=started_ms, run_name="drift train.csv vs yesterday.csv", tags={
        "mlproof.kind": "drift", "mlproof.version": "0.1.0", "mlproof.dataset_drift": "true" if drifted else "false",
        "mlproof.reference_digest": "0" * 64, "mlproof.current_digest": "1" * 64})
    client.log_batch(run.info.run_id, metrics=[Metric("dataset_drift", float(drifted), started_ms, 0),
                                              Metric("drift_share", 0.5 if drifted else 0.0, started_ms, 0)])
    client.set_terminated(run.info.run_id, "FINISHED", end_time=started_ms + 1000)
    return run.info.run_id


def copy_store(source_uri: str, root: Path) -> str:
    """A copy of an existing SQLite store (its schema is already migrated, which costs MLflow seconds)."""
    import sqlite3

    root.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source_uri.removeprefix("sqlite:///")) as source, sqlite3.connect(root / "mlflow.db") as target:
        source.backup(target)
    return f"sqlite:///{root / 'mlflow.db'}"


def build_store(root: Path, template_uri: str | None = None) -> ServiceStore:
    """Two registered versions of `churn` trained for real, @champion on version 2, a drift run three hours old.
    With `template_uri`, the store starts as a copy of that one (the session's seeded store)."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.models import infer_signature
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from mlproof.tracking.seed import _fluent_uri

    root.mkdir(parents=True, exist_ok=True)
    uri = copy_store(template_uri, root) if template_uri else f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    frame = training_frame()
    x, y = frame.drop(columns=["churned"]), frame["churned"]
    experiment_id = client.create_experiment("churn-training", artifact_location=str(root / "artifacts"))
    versions = {}
    with _fluent_uri(uri):  # restores MLflow's URIs and the environment variables it sets
        for c in (0.1, 1.0):
            encode = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["contract_type"]), remainder="passthrough")
            model = make_pipeline(encode, LogisticRegression(C=c, max_iter=500)).fit(x, y)
            with mlflow.start_run(experiment_id=experiment_id) as run:
                mlflow.log_metric("val_auc", 0.8 + c / 10)
                info = mlflow.sklearn.log_model(model, name="model", signature=infer_signature(x, model.predict(x)),
                                                registered_model_name=MODEL, pip_requirements=["scikit-learn"])
            versions[str(info.registered_model_version)] = run.info.run_id
    client.set_registered_model_alias(MODEL, "champion", "2")
    now = int(time.time() * 1000)
    drift_run = log_drift_run(client, DRIFT_EXPERIMENT, str(root / "drift-artifacts"), now - 3 * 3600 * 1000, drifted=False)
    return ServiceStore(uri, versions, drift_run)


# ----------------------------------------------------------------------------- the fakes

def _edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _notebook(*cells: tuple[str, str]) -> str:
    return json.dumps({"cells": [{"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True),
                                  **({"outputs": [], "execution_count": None} if kind == "code" else {})} for kind, text in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def todo_comment_for_a_cron(root: Path) -> None:
    (root / ".github/workflows/drift.yml").unlink()
    _edit(root, "monitoring/drift_check.py", "def main() -> int:", "# TODO: run this every day from a cron schedule\ndef main() -> int:")


def commented_out_schedule(root: Path) -> None:
    _edit(root, ".github/workflows/drift.yml", '  schedule:\n    - cron: "0 6 * * *"\n', '#  schedule:\n#    - cron: "0 6 * * *"\n')


def skipped_rollback_test_without_assertion(root: Path) -> None:
    _write(root, "tests/test_rollback.py", '''import pytest

from ops.rollback import rollback


@pytest.mark.skip(reason="needs a registry")
def test_rollback_moves_the_champion_back():
    rollback(None, "churn")
''')


def log_without_features_or_version(root: Path) -> None:
    _edit(root, "src/churn_service/prediction_log.py", '''        "model_version": model_version,
        "features": features,
''', "        # features and model_version are logged upstream\n")


def retraining_that_only_echoes(root: Path) -> None:
    _edit(root, ".github/workflows/retrain.yml", "      - run: make train\n", '      - run: echo "retraining the churn model (train.py)"\n')


def request_missing_a_feature_named_in_a_comment(root: Path) -> None:
    _edit(root, "src/churn_service/features.py", "    monthly_charges: float = Field(ge=0)\n", "    # monthly_charges: float, sent by the caller too\n")


def drift_code_never_called(root: Path) -> None:
    _edit(root, "monitoring/drift_check.py", '''    drifted = drifted_columns(pd.read_csv("data/train.csv"), pd.read_csv("data/yesterday.csv"))
    print("drifted:", drifted)
    return 1 if drifted else 0''', '''    print("drift check: see drifted_columns")
    return 0''')
    _edit(root, ".github/workflows/drift.yml", "      - run: mlproof drift data/train.csv data/yesterday.csv --log-to-mlflow churn-drift\n", "")


def rollback_test_only_in_a_notebook_markdown_cell(root: Path) -> None:
    (root / "tests/test_rollback.py").unlink()
    _write(root, "notebooks/rollback.ipynb", _notebook(
        ("markdown", "## Rollback test\n\n```python\ndef test_rollback():\n    assert rollback(client, 'churn') == '1'\n```\n"),
        ("code", "import pandas as pd\nprint(pd.__version__)\n")))


def rollback_test_asserts_true(root: Path) -> None:
    _edit(root, "tests/test_rollback.py", '''    assert rollback(client, "churn") == "1"
    assert str(client.get_model_version_by_alias("churn", "champion").version) == "1"''', '''    rollback(client, "churn")
    assert True''')


def schedule_on_a_disabled_workflow(root: Path) -> None:
    _edit(root, ".github/workflows/drift.yml", "  drift:\n    runs-on: ubuntu-latest\n", "  drift:\n    if: false\n    runs-on: ubuntu-latest\n")


def suspended_cronjob(root: Path) -> None:
    (root / ".github/workflows/drift.yml").unlink()
    _write(root, "deploy/drift-cronjob.yaml", '''apiVersion: batch/v1
kind: CronJob
metadata:
  name: churn-drift
spec:
  schedule: "0 6 * * *"
  suspend: true
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: drift
              image: python:3.11-slim
              command: ["python", "monitoring/drift_check.py"]
''')
    _edit(root, ".github/workflows/retrain.yml", "  workflow_run:\n    workflows: [drift-monitor]\n    types: [completed]\n", "")


def logging_under_if_false(root: Path) -> None:
    _edit(root, "src/churn_service/prediction_log.py", "    log.info(json.dumps(record))\n", "    if False:\n        log.info(json.dumps(record))\n")


def helm_rollback_only_in_a_readme(root: Path) -> None:
    (root / "tests/test_rollback.py").unlink()
    _edit(root, "README.md", "Serves the churn", "Roll back with `helm rollback churn 3` (tested before every release).\n\nServes the churn")


def placeholder_model_version(root: Path) -> None:
    _edit(root, "src/churn_service/app.py", "model_version=MODEL.version,", 'model_version="?",')


def raw_run_load_with_the_alias_in_a_docstring(root: Path) -> None:
    _edit(root, "src/churn_service/registry.py", 'model = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}@{ALIAS}")',
          '"""Loads models:/churn@champion."""\n    model = mlflow.pyfunc.load_model("runs:/3f2a9c1d/model")')


def canary_only_in_docs(root: Path) -> None:
    (root / "deploy/kserve.yaml").write_text(CANARY.replace("    canaryTrafficPercent: 20\n", ""), encoding="utf-8")
    _write(root, "docs/deploy.md", "# Deploying\n\nWe canary every release:\n\n```yaml\nspec:\n  predictor:\n    canaryTrafficPercent: 10\n```\n")


def request_type_mismatch(root: Path) -> None:
    _edit(root, "src/churn_service/features.py", "    monthly_charges: float = Field(ge=0)\n", "    monthly_charges: str\n")


# Beyond the list: what else a determined agent might try.

def canary_at_full_traffic(root: Path) -> None:
    _edit(root, "deploy/kserve.yaml", "canaryTrafficPercent: 20", "canaryTrafficPercent: 100")


def canary_commented_out(root: Path) -> None:
    _edit(root, "deploy/kserve.yaml", "    canaryTrafficPercent: 20\n", "    # canaryTrafficPercent: 20\n")


def unpinned_latest_version(root: Path) -> None:
    _edit(root, "src/churn_service/registry.py", 'f"models:/{MODEL_NAME}@{ALIAS}"', 'f"models:/{MODEL_NAME}/latest"')


def pickle_next_to_the_registry(root: Path) -> None:
    _edit(root, "src/churn_service/registry.py", 'model = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}@{ALIAS}")',
          'registered = f"models:/{MODEL_NAME}@{ALIAS}"\n    import joblib\n    model = joblib.load("artifacts/model.pkl")')


def constant_latency(root: Path) -> None:
    _edit(root, "src/churn_service/app.py", "latency_ms=(time.perf_counter() - started) * 1000,", "latency_ms=0.0,")


def features_as_an_empty_literal(root: Path) -> None:
    _edit(root, "src/churn_service/app.py", "        features=features,\n", "        features={},\n")


def prediction_log_only_in_tests(root: Path) -> None:
    _edit(root, "src/churn_service/app.py", '''    write_prediction(
        request_id=str(uuid.uuid4()),
        features=features,
        prediction=probability,
        model_version=MODEL.version,
        latency_ms=(time.perf_counter() - started) * 1000,
    )
''', "")
    _write(root, "tests/test_logging.py", '''import time

from churn_service.prediction_log import write_prediction


def test_a_prediction_is_logged():
    started = time.perf_counter()
    write_prediction("r1", {"tenure_months": 3}, 0.4, "2", (time.perf_counter() - started) * 1000)
    assert True is not False
''')


def untyped_request_body(root: Path) -> None:
    _edit(root, "src/churn_service/app.py", "def predict(customer: CustomerFeatures) -> dict:", "def predict(customer: dict) -> dict:")
    _edit(root, "src/churn_service/app.py", "features = customer.model_dump()", "features = dict(customer)")


def rollback_test_that_never_rolls_back(root: Path) -> None:
    _edit(root, "tests/test_rollback.py", 'from ops.rollback import rollback\n', 'from ops.rollback import previous_version\n')
    _edit(root, "tests/test_rollback.py", '''    assert rollback(client, "churn") == "1"
    assert str(client.get_model_version_by_alias("churn", "champion").version) == "1"''', '''    # rollback(client, "churn") flips the alias back
    assert previous_version(client, "churn") == "1"''')


def rollback_tests_in_a_skipped_class(root: Path) -> None:
    _write(root, "tests/test_rollback.py", '''import unittest

from mlflow import MlflowClient

from ops.rollback import rollback


@unittest.skip("needs a registry server")
class RollbackTest(unittest.TestCase):
    def test_rollback_moves_the_champion_back(self):
        client = MlflowClient(tracking_uri="sqlite:///rollback.db")
        self.assertEqual(rollback(client, "churn"), "1")
''')


def drift_only_in_scheduled_tests(root: Path) -> None:
    _edit(root, ".github/workflows/drift.yml", "      - run: python monitoring/drift_check.py\n      - run: mlproof drift data/train.csv data/yesterday.csv --log-to-mlflow churn-drift\n",
          "      - run: python -m pytest tests/test_drift.py\n")
    _write(root, "tests/test_drift.py", '''import pandas as pd

from monitoring.drift_check import drifted_columns


def test_no_drift_on_identical_data():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    assert drifted_columns(frame, frame) == []
''')


def retraining_only_by_hand(root: Path) -> None:
    _edit(root, ".github/workflows/retrain.yml", '''  schedule:
    - cron: "0 3 * * 1"
  workflow_run:
    workflows: [drift-monitor]
    types: [completed]
''', "  workflow_dispatch:\n")


def retraining_after_an_unrelated_workflow(root: Path) -> None:
    _edit(root, ".github/workflows/retrain.yml", '  schedule:\n    - cron: "0 3 * * 1"\n', "")
    _edit(root, ".github/workflows/retrain.yml", "workflows: [drift-monitor]", "workflows: [lint]")


def drift_job_if_false(root: Path) -> None:
    _edit(root, ".github/workflows/drift.yml", "  drift:\n    runs-on: ubuntu-latest\n", "  drift:\n    if: false\n    runs-on: ubuntu-latest\n")


def drift_workflow_outside_the_workflows_folder(root: Path) -> None:
    (root / ".github/workflows-old").mkdir()
    (root / ".github/workflows/drift.yml").rename(root / ".github/workflows-old/drift.yml")


def rollback_test_pytest_never_collects(root: Path) -> None:
    (root / "tests/test_rollback.py").rename(root / "tests/rollback_check.py")


def logging_after_the_return(root: Path) -> None:
    _edit(root, "src/churn_service/app.py", "    write_prediction(\n", '    return {"churn": probability, "model_version": MODEL.version}\n    write_prediction(\n')


def retrain_job_if_false_expression(root: Path) -> None:
    _edit(root, ".github/workflows/retrain.yml", "  retrain:\n    runs-on: ubuntu-latest\n", "  retrain:\n    if: ${{ false }}\n    runs-on: ubuntu-latest\n")


def drift_steps_commented_out(root: Path) -> None:
    _edit(root, ".github/workflows/drift.yml",
          "      - run: python monitoring/drift_check.py\n      - run: mlproof drift data/train.csv data/yesterday.csv --log-to-mlflow churn-drift\n",
          "      # - run: python monitoring/drift_check.py\n      # - run: mlproof drift data/train.csv data/yesterday.csv --log-to-mlflow churn-drift\n      - run: echo ok\n")


def canary_at_zero_traffic(root: Path) -> None:
    _edit(root, "deploy/kserve.yaml", "canaryTrafficPercent: 20", "canaryTrafficPercent: 0")


FAKES: dict[str, tuple[str, Callable[[Path], None]]] = {
    # the six classes of issue 12
    "todo_comment_for_a_cron": ("drift_scheduled", todo_comment_for_a_cron),
    "commented_out_schedule": ("drift_scheduled", commented_out_schedule),
    "skipped_rollback_test_without_assertion": ("rollback", skipped_rollback_test_without_assertion),
    "log_without_features_or_version": ("prediction_logging", log_without_features_or_version),
    "retraining_that_only_echoes": ("retraining_trigger", retraining_that_only_echoes),
    "request_missing_a_feature_named_in_a_comment": ("serving_schema", request_missing_a_feature_named_in_a_comment),
    # the ones the issue adds
    "drift_code_never_called": ("drift_scheduled", drift_code_never_called),
    "rollback_test_only_in_a_notebook_markdown_cell": ("rollback", rollback_test_only_in_a_notebook_markdown_cell),
    "rollback_test_asserts_true": ("rollback", rollback_test_asserts_true),
    "schedule_on_a_disabled_workflow": ("drift_scheduled", schedule_on_a_disabled_workflow),
    "suspended_cronjob": ("drift_scheduled", suspended_cronjob),
    "logging_under_if_false": ("prediction_logging", logging_under_if_false),
    "helm_rollback_only_in_a_readme": ("rollback", helm_rollback_only_in_a_readme),
    "placeholder_model_version": ("prediction_logging", placeholder_model_version),
    "raw_run_load_with_the_alias_in_a_docstring": ("registered_model", raw_run_load_with_the_alias_in_a_docstring),
    "canary_only_in_docs": ("progressive_delivery", canary_only_in_docs),
    "request_type_mismatch": ("serving_schema", request_type_mismatch),
    # more of the same kind
    "canary_at_full_traffic": ("progressive_delivery", canary_at_full_traffic),
    "canary_commented_out": ("progressive_delivery", canary_commented_out),
    "unpinned_latest_version": ("registered_model", unpinned_latest_version),
    "pickle_next_to_the_registry": ("registered_model", pickle_next_to_the_registry),
    "constant_latency": ("prediction_logging", constant_latency),
    "features_as_an_empty_literal": ("prediction_logging", features_as_an_empty_literal),
    "prediction_log_only_in_tests": ("prediction_logging", prediction_log_only_in_tests),
    "untyped_request_body": ("serving_schema", untyped_request_body),
    "rollback_test_that_never_rolls_back": ("rollback", rollback_test_that_never_rolls_back),
    "rollback_tests_in_a_skipped_class": ("rollback", rollback_tests_in_a_skipped_class),
    "drift_only_in_scheduled_tests": ("drift_scheduled", drift_only_in_scheduled_tests),
    "retraining_only_by_hand": ("retraining_trigger", retraining_only_by_hand),
    "retraining_after_an_unrelated_workflow": ("retraining_trigger", retraining_after_an_unrelated_workflow),
    "drift_job_if_false": ("drift_scheduled", drift_job_if_false),
    "drift_workflow_outside_the_workflows_folder": ("drift_scheduled", drift_workflow_outside_the_workflows_folder),
    "rollback_test_pytest_never_collects": ("rollback", rollback_test_pytest_never_collects),
    "logging_after_the_return": ("prediction_logging", logging_after_the_return),
    "retrain_job_if_false_expression": ("retraining_trigger", retrain_job_if_false_expression),
    "drift_steps_commented_out": ("drift_scheduled", drift_steps_commented_out),
    "canary_at_zero_traffic": ("progressive_delivery", canary_at_zero_traffic),
}
