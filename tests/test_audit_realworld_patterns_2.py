"""Detector patterns found missing in a second comparison with expert labels on real ML repositories.

The repositories were a Prefect + MLflow + FastAPI + Terraform forecasting platform and a PyTorch
Lightning + Hydra + DVC + W&B + Vertex AI image classifier. Each row rebuilds the pattern as a
small synthetic fixture (no third-party code): the files that must now give the expected status,
and a near-miss that must not. The base repository trains a model in a module, so "fail" is a
real fail, not n/a.
"""

from __future__ import annotations


import pytest

from tests.audit_support import workflow, assert_graded



PREFECT_DEPLOY = (
    "import subprocess\n\n\n"
    "def main(cron: str) -> None:\n"
    "    subprocess.run(\n        [\n            'prefect',\n            'deploy',\n"
    "            'flows/retrain_flow.py:retrain_flow',\n            '--cron',\n            cron,\n        ],\n"
    "        check=True,\n    )\n"
)
PREFECT_SERVE = (
    "from prefect import flow\nfrom sklearn.linear_model import LogisticRegression\n\n\n"
    "@flow\ndef training_flow(X, y):\n    return LogisticRegression().fit(X, y)\n\n\n"
    "if __name__ == '__main__':\n    training_flow.serve(name='nightly-training', cron='0 3 * * *')\n"
)
ISSUE_ON_DRIFT = (
    "name: drift\non: workflow_dispatch\njobs:\n  drift:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - uses: actions/github-script@v7\n        with:\n          script: |\n"
    "            await github.rest.issues.create({ title: 'Data drift detected' });\n"
)
CLOUD_ALERT = (
    'resource "google_monitoring_alert_policy" "high_error_rate" {\n'
    '  display_name = "API - High Error Rate"\n  combiner     = "OR"\n}\n'
)
CLOUD_DASHBOARD = 'resource "google_monitoring_dashboard" "api" {\n  dashboard_json = file("dashboard.json")\n}\n'

CASES = [
    # dev.reproducibility: a prefixed seed key in the training config is a fixed seed.
    ("dev.reproducibility", {"configs/dev.yaml": "environment: dev\nrandom_seed: 42\n"}, "pass", "random_seed in an external config"),
    ("dev.reproducibility", {"configs/dev.yaml": "environment: dev\nnum_seeds: 3\n"}, "partial", "a count of seeds is not a fixed seed"),
    # data.lineage: the dataset version recorded as a parameter of the training run.
    ("data.lineage", {"src/model/track.py": "import mlflow\n\n\ndef log(manifest):\n    mlflow.log_param(\"dataset_version\", manifest['version'])\n"}, "pass", "dataset version logged with the run"),
    ("data.lineage", {"src/model/track.py": "import mlflow\n\n\ndef log(frame):\n    mlflow.log_param(\"dataset_size\", len(frame))\n"}, "fail", "a dataset size is not a version"),
    # monitor.model_performance: persistent performance degradation computed from production outcomes.
    ("monitor.model_performance", {"src/monitoring/policy.py": "def decide(signals):\n    if signals.performance_degraded:\n        return 'retrain'\n"}, "pass", "performance degradation signal"),
    ("monitor.model_performance", {"src/monitoring/metrics.py": "def rolling(frame):\n    return compute_rolling_metrics(frame, window='7D')\n"}, "partial", "rolling production error metrics"),
    ("monitor.model_performance", {"src/api/app.py": "from fastapi import FastAPI\napp = FastAPI()\n\n\n@app.post(\"/feedback\")\ndef feedback(is_correct: bool):\n    return {'ok': is_correct}\n"}, "partial", "a feedback endpoint collecting labels"),
    ("monitor.model_performance", {"src/api/app.py": "from fastapi import FastAPI\napp = FastAPI()\n\n\n@app.get(\"/feedback\")\ndef feedback_form():\n    return {'form': 'html'}\n"}, "fail", "a page that shows a feedback form"),
    ("monitor.model_performance", {"README.md": "# Model\n\nForecast quality uses delayed-ground-truth RMSE.\n"}, "partial", "hyphenated delayed ground truth in docs"),
    # monitor.alerting: cloud alert policies declared in Terraform, or CI opening an issue on a threshold.
    ("monitor.alerting", {"infra/monitoring.tf": CLOUD_ALERT}, "pass", "Terraform alert policy"),
    ("monitor.alerting", {"infra/monitoring.tf": CLOUD_DASHBOARD}, "fail", "a dashboard is not an alert"),
    ("monitor.alerting", {".github/workflows/drift.yml": ISSUE_ON_DRIFT}, "partial", "CI opens an issue on drift"),
    # cicd.training_pipeline: a managed cloud training job submitted from CI is a one-step job (partial).
    ("cicd.training_pipeline", {".github/workflows/train.yml": workflow("gcloud ai custom-jobs create --region=europe-west1 --config=job.yaml", on="workflow_dispatch")}, "partial", "Vertex AI custom training job"),
    ("cicd.training_pipeline", {".github/workflows/train.yml": workflow("aws sagemaker create-training-job --cli-input-json file://job.json", on="workflow_dispatch")}, "partial", "SageMaker training job"),
    ("cicd.training_pipeline", {".github/workflows/ci.yml": workflow("gcloud ai endpoints list --region=europe-west1")}, "fail", "listing endpoints trains nothing"),
    # cicd.retraining_trigger: a cron handed to a scheduler, *_cron config keys, auto-retrain flows.
    ("cicd.retraining_trigger", {"scripts/setup_schedule.py": PREFECT_DEPLOY}, "pass", "prefect deploy --cron of a retrain flow"),
    ("cicd.retraining_trigger", {"flows/training_flow.py": PREFECT_SERVE}, "pass", "flow.serve(cron=...) of a training flow"),
    ("cicd.retraining_trigger", {"flows/training_flow.py": PREFECT_SERVE.replace("LogisticRegression().fit(X, y)", "print(X, y)")},
     "fail", "flow.serve(cron=...) of a flow that is only named training"),
    ("cicd.retraining_trigger", {"configs/dev.yaml": "orchestration:\n  deployment_name: auto-retrain\n  retrain_cron: \"0 3 * * *\"\n"}, "pass", "retrain_cron config key"),
    # a schedule that trains nothing is no retraining trigger: fail (the dev-set experts grade it so)
    ("cicd.retraining_trigger", {"configs/dev.yaml": "reporting:\n  report_cron: \"0 3 * * *\"\n"}, "fail", "a schedule that does not train"),
    ("cicd.retraining_trigger", {"scripts/setup_schedule.py": PREFECT_DEPLOY.replace("retrain_flow", "pretrained_report")}, "fail", "a cron for a job that only uses a pretrained model"),
    ("cicd.retraining_trigger", {"src/flows/orchestrate.py": "def run_auto_retraining(config):\n    return config\n"}, "pass", "auto-retraining entry point"),
    ("cicd.retraining_trigger", {"src/flows/orchestrate.py": "def run_training(config):\n    return config\n"}, "fail", "a plain training entry point"),
]


@pytest.mark.parametrize("check_id, files, expected, _what", CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_realworld_pattern(tmp_path, check_id, files, expected, _what):
    assert_graded(tmp_path, check_id, files, expected)
