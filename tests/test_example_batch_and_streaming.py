"""examples/batch-and-streaming: batch over a Parquet folder and a queue consumer, both in the prediction-log schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FIELDS = ["request_id", "timestamp", "model_name", "model_version", "features", "prediction", "latency_ms"]

STREAM_WITH_PROMOTION = r"""
import json, queue, sys, threading, time
from mlflow import MlflowClient
from prediction_log import PredictionLog
from stream_score import StreamScorer, produce

events = queue.Queue(maxsize=50)
scorer = StreamScorer("churn", PredictionLog(sys.argv[1]), resolve_every_seconds=0)

def producer():
    first = queue.Queue()
    produce(first, 150, seed=1, prefix="before")
    while (item := first.get()) is not None:
        events.put(item)
    deadline = time.monotonic() + 120
    while scorer.scored < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    MlflowClient().set_registered_model_alias("churn", "champion", "2")   # promotion while streaming
    produce(events, 150, seed=2, prefix="after")

thread = threading.Thread(target=producer)
thread.start()
print(json.dumps({"scored": scorer.run(events, idle_timeout_seconds=60)}))
thread.join(timeout=60)
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch-stream")
    folder = root / "batch-and-streaming"
    shutil.copytree(EXAMPLES / "batch-and-streaming", folder, ignore=shutil.ignore_patterns("__pycache__"))
    trainer = root / "trainer"
    shutil.copytree(EXAMPLES / "mlflow-experiment", trainer, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}", "MLFLOW_ENABLE_TELEMETRY": "false"}
    for c, alias in (("1.0", "champion"), ("0.01", "challenger")):
        trained = subprocess.run([sys.executable, "train.py", "--C", c, "--alias", alias], cwd=trainer, env=env,
                                 capture_output=True, text=True, timeout=300)
        assert trained.returncode == 0, trained.stderr[-2000:]
    rng = np.random.default_rng(4)
    (folder / "in").mkdir()
    for part in range(3):
        pd.DataFrame({"customer_id": [f"C{part}{i:03d}" for i in range(120)], "tenure_months": rng.integers(0, 72, 120),
                      "monthly_charges": rng.normal(70, 20, 120).round(2),
                      "plan": rng.choice(["basic", "standard", "premium"], 120)}).to_parquet(folder / "in" / f"part-{part}.parquet")
    return folder, env


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_batch_scores_every_file_with_one_resolved_version(project):
    folder, env = project
    result = subprocess.run([sys.executable, "batch_score.py", "in", "out", "--model-name", "churn"], cwd=folder,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary == {**summary, "model_version": "1", "rows": 360, "files": 3}
    scores = pd.read_parquet(folder / "out" / "scores.parquet")
    assert len(scores) == 360 and set(scores["model_version"]) == {"1"}
    assert scores["churn_probability"].between(0, 1).all() and scores["churn_probability"].nunique() > 100
    log = read_log(folder / "out" / "predictions.jsonl")
    assert len(log) == 360 and all(list(entry) == FIELDS for entry in log)
    first = log[0]
    assert first["model_name"] == "churn" and first["model_version"] == "1" and first["request_id"] == "batch-C0000"
    assert set(first["features"]) == {"tenure_months", "monthly_charges", "plan"}
    import mlflow

    mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
    try:
        model = mlflow.sklearn.load_model("models:/churn/1")
    finally:
        mlflow.set_tracking_uri(None)
    expected = model.predict_proba(pd.DataFrame([first["features"]]))[0, 1]
    assert first["prediction"] == pytest.approx(expected, abs=1e-12)


def test_batch_refuses_files_without_the_model_columns(project, tmp_path):
    folder, env = project
    (tmp_path / "bad").mkdir()
    pd.DataFrame({"customer_id": ["x"], "tenure_months": [3]}).to_parquet(tmp_path / "bad" / "p.parquet")
    result = subprocess.run([sys.executable, "batch_score.py", str(tmp_path / "bad"), str(tmp_path / "out")],
                            cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: the input files lack columns ['monthly_charges', 'plan']."
    assert not (tmp_path / "out").exists()


def test_stream_scores_every_event_and_follows_a_promotion(project, tmp_path):
    folder, env = project
    log_path = tmp_path / "stream.jsonl"
    result = subprocess.run([sys.executable, "-c", STREAM_WITH_PROMOTION, str(log_path)], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"scored": 300}
    log = read_log(log_path)
    assert len(log) == 300 and all(list(entry) == FIELDS for entry in log)
    assert len({entry["request_id"] for entry in log}) == 300
    versions = [entry["model_version"] for entry in log]
    # Before the flip only version 1 answers; after it, version 2, without restarting the consumer.
    assert set(versions[:150]) == {"1"} and set(versions[-100:]) == {"2"}
    assert all(0 <= entry["prediction"] <= 1 and entry["latency_ms"] >= 0 for entry in log)
