"""scripts/champion_challenger_gate.py against a real local MLflow store with real scikit-learn versions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import load_script

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "champion_challenger_gate.py"
MODEL = "churn"


gate = load_script(SCRIPT)


def train_and_register(X_train, y_train, X_test, y_test, columns, C):
    """One real training run: fit, measure AUC and log loss on held-out data, register the model."""
    import mlflow
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss, roc_auc_score

    with mlflow.start_run():
        model = LogisticRegression(C=C, max_iter=500).fit(X_train[:, columns], y_train)
        proba = model.predict_proba(X_test[:, columns])[:, 1]
        metrics = {"roc_auc": roc_auc_score(y_test, proba), "log_loss": log_loss(y_test, proba)}
        mlflow.log_params({"C": C, "n_features": len(columns)})
        mlflow.log_metrics(metrics)
        # Explicit requirements: MLflow otherwise infers them in a subprocess (~10 s per model).
        info = mlflow.sklearn.log_model(sk_model=model, name="model", registered_model_name=MODEL,
                                        pip_requirements=[f"scikit-learn=={sklearn.__version__}"])
    return str(info.registered_model_version), metrics


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A sqlite store with three real versions: v1 weak (champion), v2 strong (challenger), v3 weakest."""
    import mlflow
    from mlflow import MlflowClient
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    saved_experiment_env = os.environ.get("MLFLOW_EXPERIMENT_ID")
    root = tmp_path_factory.mktemp("gate-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    experiment_id = mlflow.create_experiment("churn-gate", artifact_location=(root / "artifacts").as_uri())
    mlflow.set_experiment(experiment_id=experiment_id)
    X, y = make_classification(n_samples=1500, n_features=8, n_informative=5, random_state=7)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=7)
    metrics = {}
    for columns, C in (([0, 1], 1.0), (list(range(8)), 1.0), ([7], 0.01)):
        version, values = train_and_register(X_train, y_train, X_test, y_test, columns, C)
        metrics[version] = values
    client = MlflowClient(uri)
    client.set_registered_model_alias(MODEL, "champion", "1")
    client.set_registered_model_alias(MODEL, "challenger", "2")
    # set_experiment leaves process-wide state (a module global, MLFLOW_EXPERIMENT_ID); undo it.
    from mlflow.tracking import fluent

    mlflow.set_tracking_uri(None)
    fluent._active_experiment_id = None
    if saved_experiment_env is None:
        os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    else:
        os.environ["MLFLOW_EXPERIMENT_ID"] = saved_experiment_env
    # The data must make the intended ordering real, not assumed.
    assert metrics["2"]["roc_auc"] > metrics["1"]["roc_auc"] > metrics["3"]["roc_auc"]
    return {"root": root, "uri": uri, "metrics": metrics}


@pytest.fixture(autouse=True)
def restore_tracking_uri():
    """The script sets MLflow's global tracking URI; leave the process as we found it."""
    yield
    import mlflow

    mlflow.set_tracking_uri(None)


def run(capsys, *argv):
    code = gate.main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def writable_copy(store, tmp_path) -> str:
    """A copy of the store for tests that write (the module store stays pristine)."""
    shutil.copy(store["root"] / "mlflow.db", tmp_path / "mlflow.db")
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def test_stronger_challenger_passes_with_evidence(store, capsys):
    code, verdict, err = run(capsys, "--tracking-uri", store["uri"], "--model", MODEL,
                             "--metric", "roc_auc", "--challenger", "challenger")
    assert code == 0 and verdict["verdict"] == "PASS"
    assert verdict["champion"]["version"] == "1" and verdict["challenger"]["version"] == "2"
    assert verdict["champion"]["metric"] == pytest.approx(store["metrics"]["1"]["roc_auc"])
    assert verdict["challenger"]["metric"] == pytest.approx(store["metrics"]["2"]["roc_auc"])
    assert verdict["champion"]["run_id"] and verdict["challenger"]["run_id"]
    assert verdict["promotion"] is None  # read-only without --promote
    assert err.startswith("PASS:")


def test_weaker_challenger_is_blocked(store, capsys):
    code, verdict, _ = run(capsys, "--tracking-uri", store["uri"], "--model", MODEL,
                           "--metric", "roc_auc", "--challenger", "3")
    assert code == 1 and verdict["verdict"] == "BLOCKED"
    assert "improvement" in verdict["reason"]


def test_min_improvement_is_enforced(store, capsys):
    gap = store["metrics"]["2"]["roc_auc"] - store["metrics"]["1"]["roc_auc"]
    code, verdict, _ = run(capsys, "--tracking-uri", store["uri"], "--model", MODEL, "--metric", "roc_auc",
                           "--challenger", "2", "--min-improvement", str(gap + 0.001))
    assert code == 1 and verdict["verdict"] == "BLOCKED"
    code, verdict, _ = run(capsys, "--tracking-uri", store["uri"], "--model", MODEL, "--metric", "roc_auc",
                           "--challenger", "2", "--min-improvement", str(gap - 0.001))
    assert code == 0 and verdict["verdict"] == "PASS"


def test_lower_is_better_metric(store, capsys):
    assert store["metrics"]["2"]["log_loss"] < store["metrics"]["1"]["log_loss"]
    code, verdict, _ = run(capsys, "--tracking-uri", store["uri"], "--model", MODEL, "--metric", "log_loss",
                           "--challenger", "2", "--lower-is-better")
    assert code == 0 and verdict["direction"] == "lower_is_better"
    # The same comparison read the wrong way round must block.
    code, verdict, _ = run(capsys, "--tracking-uri", store["uri"], "--model", MODEL, "--metric", "log_loss",
                           "--challenger", "2")
    assert code == 1


def test_champion_against_itself_is_blocked(store, capsys):
    code, verdict, _ = run(capsys, "--tracking-uri", store["uri"], "--model", MODEL,
                           "--metric", "roc_auc", "--challenger", "champion")
    assert code == 1 and "already the champion" in verdict["reason"]


def test_promote_flips_alias_and_records_rollback(store, tmp_path, capsys):
    from mlflow import MlflowClient

    uri = writable_copy(store, tmp_path)
    code, verdict, _ = run(capsys, "--tracking-uri", uri, "--model", MODEL, "--metric", "roc_auc",
                           "--challenger", "challenger", "--promote")
    assert code == 0
    assert verdict["promotion"]["now_points_to"] == "2" and verdict["promotion"]["previous"] == "1"
    client = MlflowClient(uri)
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == "2"
    assert client.get_model_version(MODEL, "2").tags["previous_champion_version"] == "1"
    # The original store was not touched.
    assert str(MlflowClient(store["uri"]).get_model_version_by_alias(MODEL, "champion").version) == "1"


def test_blocked_challenger_is_never_promoted(store, tmp_path, capsys):
    from mlflow import MlflowClient

    uri = writable_copy(store, tmp_path)
    code, verdict, _ = run(capsys, "--tracking-uri", uri, "--model", MODEL, "--metric", "roc_auc",
                           "--challenger", "3", "--promote")
    assert code == 1 and verdict["promotion"] is None
    assert str(MlflowClient(uri).get_model_version_by_alias(MODEL, "champion").version) == "1"


def test_missing_champion_blocks_unless_allowed(store, tmp_path, capsys):
    from mlflow import MlflowClient

    uri = writable_copy(store, tmp_path)
    MlflowClient(uri).delete_registered_model_alias(MODEL, "champion")
    code, verdict, _ = run(capsys, "--tracking-uri", uri, "--model", MODEL, "--metric", "roc_auc", "--challenger", "2")
    assert code == 1 and verdict["champion"] is None
    code, verdict, _ = run(capsys, "--tracking-uri", uri, "--model", MODEL, "--metric", "roc_auc",
                           "--challenger", "2", "--allow-missing-champion")
    assert code == 0 and verdict["verdict"] == "PASS"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "nope", "--metric", "roc_auc", "--challenger", "2"], "registered model 'nope' was not found"),
        (["--model", MODEL, "--metric", "f1", "--challenger", "2"], "has no metric 'f1'"),
        (["--model", MODEL, "--metric", "roc_auc", "--challenger", "staging"], "has no alias 'staging'"),
        (["--model", MODEL, "--metric", "roc_auc", "--challenger", "99"], "has no version '99'"),
        (["--model", MODEL, "--metric", "roc_auc", "--challenger", "2", "--min-improvement", "-1"],
         "--min-improvement must be"),
    ],
)
def test_bad_input_is_one_sentence_exit_2(store, capsys, argv, message):
    code, verdict, err = run(capsys, "--tracking-uri", store["uri"], *argv)
    assert code == 2 and verdict is None
    assert message in err and len(err.strip().splitlines()) == 1


def test_command_line_exit_codes(store, tmp_path):
    """The script as CI runs it: a real subprocess, JSON on stdout, exit code as the verdict."""
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--tracking-uri", store["uri"], "--model", MODEL,
         "--metric", "roc_auc", "--challenger", "3"],
        capture_output=True, text=True, timeout=180, cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["verdict"] == "BLOCKED"


def test_unreachable_server_is_one_sentence(capsys, monkeypatch):
    # Nothing listens on port 9 (discard) on loopback; no retries so the answer comes at once.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    code, verdict, err = run(capsys, "--tracking-uri", "http://127.0.0.1:9", "--model", MODEL,
                             "--metric", "roc_auc", "--challenger", "2")
    assert code == 2 and verdict is None
    assert err.startswith("error:") and "Traceback" not in err and len(err.strip().splitlines()) == 1
