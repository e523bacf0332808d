"""Detector patterns found wrong in a third comparison with expert labels on real ML repositories.

The repositories were a notebook-heavy Kaggle regression project (feature-engineering modules,
training and submission only in notebooks, no CI) and a ZenML + MLflow + BentoML pipeline whose
register step compares a new model with the models already in the MLflow registry. Each row
rebuilds the pattern as a small synthetic fixture (no third-party code): the files that must now
give the expected status, and a near-miss that must not. The base repository trains a model in a
module, so "fail" is a real fail, not n/a.
"""

from __future__ import annotations

import json

import pytest

from tests.audit_support import assert_graded


def notebook(*cells: str) -> str:
    """A minimal Jupyter notebook whose code cells hold `cells`."""
    return json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": [line + "\n" for line in cell.split("\n")]} for cell in cells],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 2,
    })


REGISTRY_CHAMPION = (
    "from mlflow import MlflowClient\n\n\n"
    "def _get_second_best_model_metric(model_name, metric):\n"
    "    client = MlflowClient()\n    return max(0.0, 0.0)\n\n\n"
    "def registering_model_decision(model_name, model_accuracy):\n"
    "    return model_accuracy > _get_second_best_model_metric(model_name, 'accuracy')\n"
)
REGISTERED_SCORE = (
    "def should_register(new_score, client, name):\n"
    "    registered_model_score = client.get_run(name).data.metrics['rmse']\n"
    "    return new_score < registered_model_score\n"
)
HPO_BEST = (
    "from sklearn.model_selection import GridSearchCV\n\n\n"
    "def tune(model, grid, X, y):\n"
    "    search = GridSearchCV(model, grid).fit(X, y)\n"
    "    best_model_score = search.best_score_\n"
    "    return search.best_estimator_, best_model_score\n"
)
VALIDATE_HELPER = (
    "def validate_model(model, train_features, train_target, test_features, test_target):\n"
    "    model.fit(train_features, train_target)\n"
    "    print('Test Error: ', rmse(model.predict(test_features), test_target))"
)

CASES = [
    # dev.baseline_comparison: the candidate is compared with the metric of models already in the registry.
    ("dev.baseline_comparison", {"src/registry.py": REGISTRY_CHAMPION}, "pass", "new model vs second-best registered model"),
    ("dev.baseline_comparison", {"src/promote.py": REGISTERED_SCORE}, "pass", "new score vs registered model score"),
    ("dev.baseline_comparison", {"src/tune.py": HPO_BEST}, "fail", "the best score of a grid search is not a champion"),
    # cicd.model_validation_gate: a helper defined only in a notebook is not a pipeline gate.
    ("cicd.model_validation_gate", {"notebooks/Linear Models.ipynb": notebook("import numpy as np", VALIDATE_HELPER)}, "fail", "notebook-only validate helper"),
    # a function named like a gate that only prints errors blocks nothing, wherever it lives
    ("cicd.model_validation_gate", {"src/pipeline/validate.py": VALIDATE_HELPER + "\n"}, "fail", "the same helper in a pipeline module"),
    ("cicd.model_validation_gate", {"notebooks/gate.ipynb": notebook("if accuracy < min_accuracy:\n    raise SystemExit('below threshold')")}, "pass", "a real threshold check still counts"),
]


@pytest.mark.parametrize("check_id, files, expected, _what", CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_realworld_pattern(tmp_path, check_id, files, expected, _what):
    assert_graded(tmp_path, check_id, files, expected)


@pytest.mark.parametrize(("script", "expected"), [
    ("zenml secrets-manager register local_secrets --flavor=local\n", "pass"),
    ("gcloud secrets versions access latest --secret db-password > /tmp/pw\n", "pass"),
    ("vault kv get -field=token secret/ml/api\n", "pass"),
    ("echo 'remember to rotate the secrets'\n", "fail"),
])
def test_a_secrets_manager_in_setup_scripts_counts_for_access_control(tmp_path, script, expected):
    assert_graded(tmp_path, "gov.access_control", {"scripts/setup_stack.sh": "#!/usr/bin/env bash\n" + script}, expected)
