"""examples/monitoring-dashboard: real metrics from the serving example and the drift job, checked by promtool."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import require_tool
from tests.local_servers import uvicorn_app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE = EXAMPLES / "monitoring-dashboard"


def promtool(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([require_tool("promtool"), *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                          timeout=120)


def write_prediction_log(path: Path, rows: int, shift: float, seed: int) -> None:
    """A prediction log in the pack's schema (the fields the drift job and mlproof performance read)."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 12, 1, tzinfo=timezone.utc)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(rows):
            features = {"tenure_months": int(rng.integers(0, 72)), "monthly_charges": round(float(rng.normal(70 + shift, 20)), 2),
                        "plan": str(rng.choice(["basic", "standard", "premium"]))}
            handle.write(json.dumps({"request_id": f"r-{i}", "timestamp": (start + timedelta(seconds=i)).isoformat(),
                                     "model_name": "churn", "model_version": "1", "features": features,
                                     "prediction": 0.3, "latency_ms": 2.5}) + "\n")


def write_reference(path: Path, rows: int = 1500, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    lines = ["tenure_months,monthly_charges,plan"]
    for _ in range(rows):
        lines.append(f"{int(rng.integers(0, 72))},{rng.normal(70, 20):.2f},{rng.choice(['basic', 'standard', 'premium'])}")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def service_metrics(tmp_path_factory):
    """Exposition text from the real serving example after some predictions."""
    root = tmp_path_factory.mktemp("monitoring")
    serve = root / "mlflow-experiment"
    shutil.copytree(EXAMPLES / "mlflow-experiment", serve, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}", "MLFLOW_ENABLE_TELEMETRY": "false"}
    trained = subprocess.run([sys.executable, "train.py", "--alias", "champion"], cwd=serve, env=env,
                             capture_output=True, text=True, timeout=300)
    assert trained.returncode == 0, trained.stderr[-2000:]
    with uvicorn_app("serve:app", serve, env, sys.executable, root / "uvicorn.log") as base:
        customers = [{"tenure_months": 2, "monthly_charges": 110.0, "plan": "basic"},      # likely churn
                     {"tenure_months": 70, "monthly_charges": 20.0, "plan": "premium"}]    # likely stay
        for i in range(10):
            assert httpx.post(f"{base}/predict", json=customers[i % 2], timeout=30).status_code == 200
        return httpx.get(f"{base}/metrics/", timeout=10).text


def samples(text: str) -> list:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def test_service_exports_latency_histogram_and_counts_by_class(service_metrics):
    found = samples(service_metrics)
    counts = {s.labels["predicted_class"]: s.value for s in found if s.name == "churn_predictions_total"}
    assert counts == {"churn": 5.0, "stay": 5.0}
    observed = [s for s in found if s.name == "churn_prediction_latency_seconds_count"]
    assert observed and observed[0].value == 10.0 and observed[0].labels["model_version"] == "1"
    assert any(s.name == "churn_prediction_latency_seconds_bucket" and s.labels["le"] == "+Inf" for s in found)
    result = promtool("check", "metrics", stdin=service_metrics)
    assert result.returncode == 0, result.stdout + result.stderr


def test_drift_job_publishes_gauges_and_exits_1_on_drift(tmp_path):
    write_reference(tmp_path / "reference.csv")
    write_prediction_log(tmp_path / "predictions.jsonl", rows=1200, shift=30, seed=2)
    textfile = tmp_path / "churn_drift.prom"
    result = subprocess.run([sys.executable, str(EXAMPLE / "drift_job.py"), str(tmp_path / "reference.csv"),
                             str(tmp_path / "predictions.jsonl"), "--textfile", str(textfile), "--drift-share", "0.3"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["dataset_drift"] is True and summary["model_versions"] == ["1"]
    exported = textfile.read_text()
    found = {(s.name, s.labels.get("feature")): s for s in samples(exported)}
    assert found[("churn_feature_drifted", "monthly_charges")].value == 1
    assert found[("churn_feature_drifted", "plan")].value == 0
    assert found[("churn_dataset_drift", None)].value == 1
    assert abs(found[("churn_drift_job_last_success_timestamp_seconds", None)].value - time.time()) < 600
    lint = promtool("check", "metrics", stdin=exported)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    # The same job on an unshifted window: exit 0, gauge 0.
    write_prediction_log(tmp_path / "calm.jsonl", rows=1200, shift=0, seed=3)
    calm = subprocess.run([sys.executable, str(EXAMPLE / "drift_job.py"), str(tmp_path / "reference.csv"),
                           str(tmp_path / "calm.jsonl"), "--textfile", str(textfile), "--drift-share", "0.3"],
                          capture_output=True, text=True, timeout=300)
    assert calm.returncode == 0, calm.stderr
    assert {(s.name): s.value for s in samples(textfile.read_text()) if s.name == "churn_dataset_drift"} == {
        "churn_dataset_drift": 0.0}


def test_drift_job_bad_input_is_one_sentence(tmp_path):
    (tmp_path / "log.jsonl").write_text("{not json\n")
    write_reference(tmp_path / "reference.csv", rows=10)
    result = subprocess.run([sys.executable, str(EXAMPLE / "drift_job.py"), str(tmp_path / "reference.csv"),
                             str(tmp_path / "log.jsonl"), "--textfile", str(tmp_path / "out.prom")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.strip() == "error: log.jsonl:1 is not a JSON record."
    assert not (tmp_path / "out.prom").exists()


def test_prometheus_config_rules_and_rule_unit_tests_pass_promtool():
    prometheus = EXAMPLE / "prometheus"
    for args in (("check", "config", "prometheus.yml"), ("check", "rules", "alert-rules.yml"),
                 ("test", "rules", "alert-rules.test.yml")):
        result = promtool(*args, cwd=prometheus)
        assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}{result.stderr}"


def test_grafana_dashboard_is_well_formed_and_queries_real_metrics(service_metrics, tmp_path):
    dashboard = json.loads((EXAMPLE / "grafana" / "churn-dashboard.json").read_text())
    for key in ("title", "uid", "schemaVersion", "panels", "templating"):
        assert key in dashboard, key
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    exported = {s.name for s in samples(service_metrics)} | {
        "churn_feature_drift_score", "churn_feature_drifted", "churn_dataset_drift",
        "churn_drift_job_last_success_timestamp_seconds"}
    rules = {"groups": [{"name": "dashboard", "rules": []}]}
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
        assert panel["datasource"]["type"] == "prometheus" and panel["targets"], panel["title"]
        for target in panel["targets"]:
            expr = target["expr"]
            for variable in re.findall(r"\$(\w+)", expr):
                assert variable in variables, f"{panel['title']}: ${variable} is not a dashboard variable"
            names = set(re.findall(r"\bchurn_[a-z0-9_]+", expr))  # every metric this pack exports starts with churn_
            assert names and names <= exported, f"{panel['title']}: {names - exported} is not exported"
            rules["groups"][0]["rules"].append(
                {"record": f"dashboard:panel{panel['id']}:{target['refId']}", "expr": expr.replace("$model", "churn")})
    import yaml

    (tmp_path / "dashboard-rules.yml").write_text(yaml.safe_dump(rules))
    result = promtool("check", "rules", str(tmp_path / "dashboard-rules.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
