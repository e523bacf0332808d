"""Every catalog check on fixture repositories built here: pass, partial (docs or weak signal), fail.

The cases are data: one row per check. The base repository trains a model in a
module (so "fail" is a real fail, not n/a) and does nothing else.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlproof.rubric.audit import run_audit
from tests.audit_support import build
from mlproof.rubric.catalog import load_catalog


API = "from fastapi import FastAPI\napp = FastAPI()\n\n\n@app.post('/predict')\ndef predict(request):\n    return {}\n"
CI_PYTEST = "name: ci\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: python -m pytest -q\n"

# check id -> (files that make it pass, files that make it partial)
CASES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "data.versioning": ({"dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n"}, {"README.md": "The raw data is versioned with DVC and pulled before training.\n"}),
    "data.validation": ({"src/model/checks.py": "import pandera as pa\nschema = pa.DataFrameSchema({})\n"}, {"README.md": "Input data is checked with Great Expectations before each training run.\n"}),
    "data.feature_store": ({"feature_repo/feature_store.yaml": "project: churn\nprovider: local\n"}, {"docs/design.md": "Features are served from the team's Feast feature store.\n"}),
    "data.lineage": ({"src/model/track.py": "import mlflow\nmlflow.log_input(dataset, context='training')\n"}, {"README.md": "Data lineage is tracked by hand in a spreadsheet.\n"}),
    "data.privacy": ({"src/model/pii.py": "from presidio_analyzer import AnalyzerEngine\nengine = AnalyzerEngine()\n"}, {"README.md": "The table holds personal data (PII) of customers.\n"}),
    "dev.experiment_tracking": ({"src/model/track.py": "import mlflow\nmlflow.log_metric('auc', 0.91)\n"}, {"src/model/tb.py": "from torch.utils.tensorboard import SummaryWriter\nwriter = SummaryWriter()\n"}),
    "dev.reproducibility": ({"params.yaml": "seed: 1\nlr: 0.1\n", "src/model/seed.py": "import numpy as np\nnp.random.seed(0)\n"}, {"src/model/seed.py": "import numpy as np\nnp.random.seed(0)\n"}),
    "dev.dependency_pinning": ({"requirements.txt": "numpy==1.26.4\npandas==2.2.0\nscikit-learn==1.4.2\n"}, {"requirements.txt": "numpy\npandas>=2\n"}),
    "dev.model_registry": ({"src/model/register.py": "import mlflow\nmlflow.register_model('runs:/abc/model', 'churn')\n"}, {"src/model/store.py": "import bentoml\nbentoml.sklearn.save_model('churn', model)\n"}),
    "dev.baseline_comparison": ({"src/model/baseline.py": "from sklearn.dummy import DummyClassifier\nbaseline = DummyClassifier()\n"}, {"README.md": "Compare the model against a baseline before release.\n"}),
    "dev.hpo": ({"src/model/search.py": "from sklearn.model_selection import GridSearchCV\nsearch = GridSearchCV(model, {'C': [1, 10]})\n"}, {"README.md": "Hyperparameter tuning is done by hand.\n"}),
    "deploy.serving": ({"src/model/api.py": API}, {"src/model/ui.py": "import streamlit as st\nst.title('churn')\n"}),
    "deploy.containerization": ({"Dockerfile": "FROM python:3.11-slim\nCOPY . /app\n"}, {"docker-compose.yml": "services:\n  db:\n    image: postgres:16\n"}),
    "deploy.infrastructure_as_code": ({"infra/main.tf": 'resource "aws_s3_bucket" "models" {}\n'}, {"README.md": "Production runs on Kubernetes, set up by the platform team.\n"}),
    "deploy.progressive_delivery": ({"k8s/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nspec:\n  predictor:\n    canaryTrafficPercent: 10\n"}, {"README.md": "New models get a canary release with 10% of the traffic.\n"}),
    "deploy.rollback": ({"deploy/rollback.sh": "#!/bin/sh\nhelm rollback churn 1\n"}, {"README.md": "If something breaks, roll back by hand.\n"}),
    "deploy.serving_schema": ({"src/model/api.py": API + "\nfrom pydantic import BaseModel\n\n\nclass PredictRequest(BaseModel):\n    tenure: int\n"}, {"src/model/api.py": API + "\nfrom pydantic import BaseModel\n\n\nclass Settings(BaseModel):\n    debug: bool\n"}),
    "monitor.data_drift": ({"src/model/drift.py": "from scipy.stats import ks_2samp\nstat = ks_2samp(a, b)\n"}, {"README.md": "Data drift on the inputs is checked every week with Evidently.\n"}),
    "monitor.model_performance": ({"src/model/perf.py": "from evidently.presets import ClassificationPreset\nreport = Report([ClassificationPreset()])\n"}, {"README.md": "Model performance is tracked weekly once the delayed labels arrive.\n"}),
    "monitor.prediction_logging": ({"src/model/log.py": "def log_prediction(features, prediction, version):\n    db.insert(features, prediction, version)\n"}, {"src/model/api2.py": "y_pred = model.predict(x)\nlogger.info('prediction %s', y_pred)\n"}),
    "monitor.service_metrics": ({"src/model/metrics.py": "from prometheus_client import Histogram\nLATENCY = Histogram('latency_seconds', 'latency')\n"}, {"README.md": "Latency is checked in the cloud console.\n"}),
    "monitor.alerting": ({"monitoring/rules.yaml": "groups:\n- name: model\n  rules:\n  - alert: HighLatency\n    expr: latency > 1\n"}, {"README.md": "Alerting is handled by the on-call engineer.\n"}),
    "cicd.ci_pipeline": ({".github/workflows/ci.yml": "on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ruff check .\n"}, {"README.md": "GitHub Actions runs the checks on every push.\n"}),
    "cicd.automated_tests": ({"tests/test_model.py": "def test_ok():\n    assert True\n", ".github/workflows/ci.yml": CI_PYTEST}, {"tests/test_model.py": "def test_ok():\n    assert True\n"}),
    "cicd.model_validation_gate": ({"src/model/gate.py": "if auc < threshold:\n    raise SystemExit(1)\n"}, {"tests/test_quality.py": "import unittest\n\n\nclass Quality(unittest.TestCase):\n    def test_auc(self):\n        self.assertGreater(metrics['auc'], 0.8)\n"}),
    "cicd.training_pipeline": ({"src/model/flow.py": "from prefect import flow\n\n\n@flow\ndef pipeline():\n    pass\n"}, {"Makefile": "train:\n\tpython src/model/train.py\n"}),
    "cicd.retraining_trigger": (
        {".github/workflows/retrain.yml": "on:\n  schedule:\n    - cron: '0 3 * * 1'\njobs:\n  retrain:\n    runs-on: ubuntu-latest\n    steps:\n      - run: python src/model/train.py\n"},
        {"README.md": "The model is retrained automatically every week.\n"},
    ),
    "cicd.continuous_deployment": (
        {".github/workflows/cd.yml": "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: kubectl apply -f k8s/\n"},
        {".github/workflows/image.yml": "on: push\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n      - run: docker push ghcr.io/acme/churn:latest\n"},
    ),
    "gov.model_documentation": ({"MODEL_CARD.md": "# Model card\n\n## Intended use\nRanking.\n"}, {"README.md": "The model card below gives the intended use.\n"}),
    "gov.fairness": ({"src/model/fair.py": "from fairlearn.metrics import MetricFrame\nframe = MetricFrame(metrics=acc, y_true=y, y_pred=p, sensitive_features=g)\n"}, {"README.md": "Fairness is reviewed per customer segment before each release.\n"}),
    "gov.explainability": ({"src/model/explain.py": "import shap\nexplainer = shap.TreeExplainer(model)\n"}, {"src/model/imp.py": "print(model.feature_importances_)\n"}),
    "gov.audit_trail": ({"src/model/tags.py": "import mlflow\nmlflow.set_tag('git_commit', sha)\n"}, {"src/model/run.py": "import mlflow\nwith mlflow.start_run():\n    pass\n"}),
    "gov.access_control": ({"CODEOWNERS": "* @acme/ml-team\n"}, {"README.md": "Access control (RBAC) is managed by IT.\n"}),
}

# Checks whose pass case is Python code: the same lines commented out only *mention* the practice.
COMMENTED = [cid for cid, (good, _) in CASES.items() if len(good) == 1 and next(iter(good)).endswith(".py")]


def status(root: Path, check_id: str):
    return run_audit(root).check(check_id)


def test_every_catalog_check_has_cases():
    # dev.code_outside_notebooks is graded from training facts; it has its own tests below
    assert sorted([*CASES, "dev.code_outside_notebooks"]) == sorted(c.id for c in load_catalog().checks)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_positive_case_passes_with_evidence(tmp_path, check_id):
    result = status(build(tmp_path, CASES[check_id][0]), check_id)
    assert result.status == "pass", result.why
    assert result.evidence and result.evidence[0].path, "a pass must carry evidence"
    assert any(e.path in CASES[check_id][0] for e in result.evidence)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_weak_or_docs_only_case_is_partial(tmp_path, check_id):
    result = status(build(tmp_path, CASES[check_id][1]), check_id)
    assert result.status == "partial", result.why
    assert result.evidence


# Docs that plan, negate or only name a practice: the near misses of the partial cases above.
NOT_DONE = {
    "data.versioning": ("README.md", "We plan to track the data with DVC."),
    "data.validation": ("README.md", "Data validation with Great Expectations is on the roadmap."),
    "data.feature_store": ("docs/design.md", "A feature store would remove the duplicated feature code."),
    "deploy.progressive_delivery": ("README.md", "Next quarter we want a canary release."),
    "monitor.data_drift": ("README.md", "Data drift is not monitored yet."),
    "monitor.model_performance": ("README.md", "We should monitor model performance once labels arrive."),
    "cicd.ci_pipeline": ("README.md", "GitHub Actions will run the checks soon."),
    "gov.model_documentation": ("README.md", "A model card is coming."),
    "gov.fairness": ("README.md", "Fairness has not been assessed yet."),
    "dev.experiment_tracking": ("README.md", "## Tools\n\n- MLflow\n- DVC\n"),
    "monitor.alerting": ("README.md", "Supports function-calling models.\n"),
}


@pytest.mark.parametrize("check_id", sorted(NOT_DONE))
def test_plans_negations_and_bare_names_do_not_credit(tmp_path, check_id):
    path, text = NOT_DONE[check_id]
    result = status(build(tmp_path, {path: text + "\n"}), check_id)
    assert result.status == "fail", result.why
    assert "does not count" in result.why or not result.evidence
    assert all(e.statement in {"plan", "negate", "name"} for e in result.evidence)


@pytest.mark.parametrize("check_id", sorted(c.id for c in load_catalog().checks))
def test_base_repository_fails_without_evidence(tmp_path, check_id):
    result = status(build(tmp_path, {}), check_id)
    # no serving layer: serving_schema fails too (the dev-set labels never call it n/a)
    expected = "pass" if check_id == "dev.code_outside_notebooks" else "fail"
    assert result.status == expected, result.why
    if expected != "pass":
        assert result.evidence == []


@pytest.mark.parametrize("check_id", COMMENTED)
def test_commented_out_code_is_at_most_partial(tmp_path, check_id):
    (rel, text), = CASES[check_id][0].items()
    commented = "\n".join("# " + line if line.strip() else line for line in text.splitlines()) + "\n"
    result = status(build(tmp_path, {rel: commented}), check_id)
    assert result.status == "partial", result.why
    assert result.evidence[0].path == rel


def test_practice_in_a_docstring_is_only_a_mention(tmp_path):
    text = '"""Notes.\n\nLater: mlflow.log_metric("auc", auc) for every run.\n"""\n'
    result = status(build(tmp_path, {"src/model/notes.py": text}), "dev.experiment_tracking")
    assert result.status == "partial"


def test_notebook_only_training_fails_and_points_at_the_cell(tmp_path):
    import json

    notebook = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Train\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
         "source": ["from sklearn.linear_model import LogisticRegression\n", "model = LogisticRegression()\n", "model.fit(X, y)\n"]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "train.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    result = run_audit(tmp_path).check("dev.code_outside_notebooks")
    assert result.status == "fail"
    assert result.evidence[0].path == "train.ipynb" and result.evidence[0].cell == 2 and result.evidence[0].line == 3
    assert result.evidence[0].location() == "train.ipynb#cell2:3"


def test_training_in_notebook_with_helper_modules_is_partial(tmp_path):
    import json

    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1,
                           "source": "import torch\nmodel.fit(X, y)\n"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "train.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    (tmp_path / "features.py").write_text("from sklearn.preprocessing import StandardScaler\nmodel.predict(x)\n", encoding="utf-8")
    assert run_audit(tmp_path).check("dev.code_outside_notebooks").status == "partial"


def test_library_without_model_code_gets_na_not_fail(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "strings.py").write_text("def slugify(text):\n    return text.lower().replace(' ', '-')\n", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_strings.py").write_text("from pkg.strings import slugify\n\ndef test_it():\n    assert slugify('A b') == 'a-b'\n", encoding="utf-8")
    report = run_audit(tmp_path)
    assert report.scan.repo_kind == "library"
    assert report.check("monitor.data_drift").status == "n/a"
    assert report.check("deploy.serving").status == "n/a"
    # practices every repository can have are still graded
    assert report.check("cicd.automated_tests").status == "partial"
    assert report.check("cicd.ci_pipeline").status == "fail"


def test_serving_schema_fails_without_serving(tmp_path):
    # no serving layer means no request validation: fail, not n/a (as the dev-set experts grade it)
    assert status(build(tmp_path, {}), "deploy.serving_schema").status == "fail"


@pytest.mark.parametrize(("check_id", "rel", "text"), [
    # early stopping compares losses, it does not gate a release
    ("cicd.model_validation_gate", "src/model/loop.py", "if val_loss < min_val_loss:\n    min_val_loss = val_loss\n"),
    # a package version is not a champion model
    ("dev.baseline_comparison", "src/model/version.py", "current_version = '1.2.3'\n"),
    # an API schema is not a data schema
    ("data.validation", "api/openapi-schema.json", "{\"openapi\": \"3.0.0\"}\n"),
    # "drift" in prose is a mention, never a pass
    ("monitor.data_drift", "docs/ideas.md", "We should detect data drift with Evidently some day.\n"),
])
def test_look_alikes_do_not_pass(tmp_path, check_id, rel, text):
    assert status(build(tmp_path, {rel: text}), check_id).status in {"fail", "partial"}
