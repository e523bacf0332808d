"""Detector patterns found missing when the audit was compared with expert labels on real ML repositories.

Each row is a pattern seen in a public repository (rebuilt as a small synthetic fixture here, no
third-party code): the files that must now give the expected status, and a near-miss that must
not. The base repository trains a model in a module, so "fail" is a real fail, not n/a.
"""

from __future__ import annotations


import pytest

from mlproof.rubric.audit import run_audit
from tests.audit_support import build, workflow, assert_graded



SPARK_TUNING = (
    "from pyspark.ml.tuning import CrossValidator, ParamGridBuilder\n\n\n"
    "def tune(pipeline, model, evaluator, train_df):\n"
    "    grid = ParamGridBuilder().addGrid(model.maxDepth, [5, 10]).build()\n"
    "    cv = CrossValidator(estimator=pipeline, estimatorParamMaps=grid, evaluator=evaluator, numFolds=3)\n"
    "    return cv.fit(train_df).bestModel\n"
)
SPARK_NO_TUNING = "from pyspark.ml import Pipeline\n\n\ndef train(stages, train_df):\n    return Pipeline(stages=stages).fit(train_df)\n"

RAY_CLUSTER = (
    "cloud: my-cloud\nhead_node_type:\n  name: head\n  instance_type: m5.2xlarge\n"
    "worker_node_types:\n- name: gpu_worker\n  instance_type: g4dn.xlarge\n  min_workers: 0\n  max_workers: 1\n"
)
RAY_SERVICE = "name: classifier\nray_serve_config:\n  import_path: deploy.serve:entrypoint\n"

# (check id, files, expected status, what the case shows)
CASES = [
    # dev.hpo: Spark ML grid search with cross-validation is automated tuning.
    ("dev.hpo", {"jobs/tune.py": SPARK_TUNING}, "pass", "Spark ParamGridBuilder + CrossValidator"),
    ("dev.hpo", {"jobs/train_spark.py": SPARK_NO_TUNING}, "fail", "a Spark pipeline fit without a search"),
    # gov.explainability: Spark ML exposes importances as featureImportances (camelCase).
    ("gov.explainability", {"jobs/report.py": "def top(model):\n    return model.stages[-1].featureImportances\n"}, "partial", "Spark featureImportances"),
    ("gov.explainability", {"jobs/report.py": "def top(model):\n    return model.stages[-1].numFeatures\n"}, "fail", "another model attribute"),
    # dev.reproducibility: a seed under a quoted key in a dict/JSON config.
    ("dev.reproducibility", {"src/model/settings.py": 'ML_CONFIG = {"data_split": {"train": 0.8, "seed": 42}}\n'}, "partial", "quoted seed key with a fixed value"),
    ("dev.reproducibility", {"src/model/settings.py": 'ML_CONFIG = {"data_split": {"train": 0.8, "seed": None}}\n'}, "fail", "quoted seed key left unset"),
    # dev.baseline_comparison: naive forecasting baselines (persistence / climatology) and skill scores.
    ("dev.baseline_comparison", {"src/model/evaluate.py": "def report(rmse, persistence_rmse):\n    return 1 - rmse / persistence_rmse\n"}, "pass", "persistence baseline RMSE"),
    ("dev.baseline_comparison", {"src/model/evaluate.py": "def skill(rmse, ref):\n    skill_score = 1 - rmse / ref\n    return skill_score\n"}, "pass", "skill score against a reference"),
    ("dev.baseline_comparison", {"src/model/nb.py": "from sklearn.naive_bayes import MultinomialNB\nnaive_bayes = MultinomialNB()\n"}, "fail", "'naive' as a model name, not a baseline"),
    # cicd.training_pipeline: a CI job that runs the training script is a script chain (partial).
    ("cicd.training_pipeline", {".github/workflows/ml.yml": workflow("python jobs/features.py", "python spark/jobs/ml_training.py")}, "partial", "CI runs the training script"),
    ("cicd.training_pipeline", {".github/workflows/ci.yml": workflow("python -m pytest -q", "python scripts/lint.py")}, "fail", "CI runs only tests and lint"),
    # deploy.serving: a pipeline that runs a batch inference/scoring script (partial).
    ("deploy.serving", {".github/workflows/score.yml": workflow("python jobs/batch_inference.py", on="workflow_dispatch")}, "partial", "CI runs a batch inference job"),
    ("deploy.serving", {".github/workflows/ci.yml": workflow("python -m pytest tests/test_predict.py")}, "fail", "a test of the predict module is not a scoring job"),
    # cicd.continuous_deployment: Anyscale / Ray Serve rollouts from CI.
    ("cicd.continuous_deployment", {".github/workflows/serve.yml": workflow("anyscale service rollout --service-config-file deploy/services/serve.yaml")}, "pass", "anyscale service rollout"),
    ("cicd.continuous_deployment", {".github/workflows/serve.yml": workflow("serve deploy deploy/serve_config.yaml")}, "pass", "ray serve deploy"),
    ("cicd.continuous_deployment", {".github/workflows/train.yml": workflow("anyscale jobs submit deploy/jobs/train.yaml --wait")}, "fail", "a submitted training job is not a deployment"),
    # deploy.infrastructure_as_code: Ray cluster launcher / Anyscale compute and service configs.
    ("deploy.infrastructure_as_code", {"deploy/cluster_compute.yaml": RAY_CLUSTER}, "pass", "cluster compute definition"),
    ("deploy.infrastructure_as_code", {"deploy/services/serve.yaml": RAY_SERVICE}, "pass", "Ray Serve service definition"),
    ("deploy.infrastructure_as_code", {"configs/train.yaml": "model:\n  head_type: linear\n  workers: 2\n"}, "fail", "a training config with similar words"),
    # dev.model_registry: model artifacts saved to the tracker but never registered (partial).
    ("dev.model_registry", {"src/model/track.py": "from ray.air.integrations.mlflow import MLflowLoggerCallback\ncb = MLflowLoggerCallback(experiment_name='x', save_artifact=True)\n"}, "partial", "MLflow callback saving the model artifact"),
    ("dev.model_registry", {"src/model/track.py": "from lightning.pytorch.loggers import WandbLogger\nlogger = WandbLogger(project='x', log_model='all')\n"}, "partial", "W&B logger uploading checkpoints"),
    ("dev.model_registry", {"src/model/track.py": "from ray.air.integrations.mlflow import MLflowLoggerCallback\ncb = MLflowLoggerCallback(experiment_name='x', save_artifact=False)\n"}, "fail", "metrics only, no model artifact"),
]


@pytest.mark.parametrize("check_id, files, expected, _what", CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_realworld_pattern(tmp_path, check_id, files, expected, _what):
    assert_graded(tmp_path, check_id, files, expected)


def test_batch_scoring_makes_serving_schema_applicable(tmp_path):
    # With a scheduled scoring job the repository has a serving path, so input validation is graded, not n/a.
    files = {".github/workflows/score.yml": workflow("python jobs/batch_inference.py", on="workflow_dispatch")}
    report = run_audit(build(tmp_path, files))
    assert report.check("deploy.serving").status == "partial"
    assert report.check("deploy.serving_schema").status == "fail"
