"""`mlproof drift --log-to-mlflow`: one run per check in a real `mlflow server` on 127.0.0.1, in the format
the gate reads back with `latest_drift_runs`; local stores outside the working directory are refused."""

from __future__ import annotations

import csv
import hashlib
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from mlproof.errors import MlproofError
from mlproof.tracking.drift_runs import column_key, latest_drift_runs
from tests.mlflow_support import start_mlflow_server

ODD_COLUMNS = ["price ($)", "naïve/score", "a" * 300]


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """A real MLflow tracking server for this module (free loopback port, bounded start, stopped at the end)."""
    server = start_mlflow_server(tmp_path_factory.mktemp("drift-mlflow-server"))
    yield server
    server.stop()


def write_csv(path: Path, shift: float, seed: int) -> Path:
    rng = random.Random(seed)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tenure", "plan", *ODD_COLUMNS])
        for i in range(400):
            writer.writerow([round(rng.gauss(20 + shift, 5), 3), "abc"[i % 3],
                             round(rng.gauss(10 + shift, 1), 3), round(rng.gauss(shift / 5, 1), 3), i % 7])
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drift-data")
    return {"reference": write_csv(folder / "reference.csv", 0, 1), "shifted": write_csv(folder / "shifted.csv", 15, 2),
            "same": write_csv(folder / "same.csv", 0, 3)}


def mlproof(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlproof", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_drift_run_is_logged_in_the_documented_format_and_read_back(mlflow_server, data, tmp_path):
    from mlflow import MlflowClient

    reference, current = data["reference"], data["shifted"]
    result = mlproof("drift", str(reference), str(current), "--log-to-mlflow", "churn-drift", "--tracking-uri", mlflow_server.url,
                     "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # dataset drift
    report = json.loads(result.stdout)
    assert "Logged drift run" in result.stderr

    runs = latest_drift_runs(mlflow_server.url, experiment="churn-drift")
    assert len(runs) == 1
    facts = runs[0]
    assert facts.dataset_drift is True and facts.status == "FINISHED"
    assert facts.drift_share == pytest.approx(report["share_drifted"]) and facts.drifted_columns == report["drifted_columns"]
    assert facts.reference_digest == sha256(reference) and facts.current_digest == sha256(current)
    assert facts.evidence[0].ids["run_id"] == facts.run_id

    client = MlflowClient(tracking_uri=mlflow_server.url)
    run = client.get_run(facts.run_id)
    tags, metrics, params = run.data.tags, run.data.metrics, run.data.params
    assert tags["mlproof.kind"] == "drift" and tags["mlproof.dataset_drift"] == "true"
    assert tags["mlproof.version"] and tags["mlproof.reference_name"] == "reference.csv"
    assert metrics["dataset_drift"] == 1.0 and metrics["drifted_columns"] == report["drifted_columns"]
    assert metrics["drift_share"] == pytest.approx(report["share_drifted"])
    for column in report["columns"]:
        if column["status"] != "tested":
            continue
        key = column_key(column["column"])
        assert metrics[f"drift.{key}.statistic"] == pytest.approx(column["statistic"])
        assert metrics[f"drift.{key}.drifted"] == (1.0 if column["drifted"] else 0.0)
        assert params[f"drift.{key}.method"] == column["method"]
        assert float(params[f"drift.{key}.threshold"]) == pytest.approx(column["threshold"])
    assert metrics["drift.tenure.drifted"] == 1.0
    # Odd names become valid, distinct keys; the original name is kept as a param.
    keys = [column_key(name) for name in ODD_COLUMNS]
    assert len(set(keys)) == 3 and all(len(k) <= 190 for k in keys)
    assert params[f"drift.{keys[0]}.column"] == "price ($)"
    artifacts = {a.path for a in client.list_artifacts(facts.run_id, "drift")}
    assert artifacts == {"drift/drift_report.json", "drift/drift_report.html"}
    logged_json = Path(client.download_artifacts(facts.run_id, "drift/drift_report.json", str(tmp_path)))
    assert json.loads(logged_json.read_text())["dataset_drift"] is True


def test_the_newest_run_comes_first_and_no_drift_is_logged_as_false(mlflow_server, data, tmp_path):
    result = mlproof("drift", str(data["reference"]), str(data["same"]), "--log-to-mlflow", "churn-drift",
                     "--tracking-uri", mlflow_server.url, "--format", "md", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    runs = latest_drift_runs(mlflow_server.url, experiment="churn-drift", limit=5)
    assert runs[0].dataset_drift is False and runs[0].current_digest == sha256(data["same"])
    assert [r.start_time for r in runs] == sorted((r.start_time for r in runs), reverse=True)
    # Runs of other kinds in the same experiment are not drift runs.
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_server.url)
    other = client.create_run(runs[0].experiment_id, run_name="training")
    client.set_terminated(other.info.run_id)
    assert other.info.run_id not in {r.run_id for r in latest_drift_runs(mlflow_server.url)}
    assert len(latest_drift_runs(mlflow_server.url, limit=1)) == 1


def test_reading_bad_input_is_one_sentence(mlflow_server):
    with pytest.raises(MlproofError, match="no MLflow experiment named 'nope'"):
        latest_drift_runs(mlflow_server.url, experiment="nope")
    with pytest.raises(MlproofError, match="limit"):
        latest_drift_runs(mlflow_server.url, limit=0)


def test_sqlite_inside_the_working_directory_is_written(data, tmp_path):
    result = mlproof("drift", str(data["reference"]), str(data["same"]), "--log-to-mlflow", "local", "--tracking-uri",
                     "sqlite:///store/mlflow.db", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "store" / "mlflow.db").is_file()
    runs = latest_drift_runs(f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}")
    assert len(runs) == 1 and runs[0].dataset_drift is False


def mlproof_in_process(args: list[str], cwd: Path, monkeypatch, capsys) -> tuple[int, str, str]:
    """The real CLI in this process (no interpreter start-up: refusals must come before mlflow is even needed)."""
    from mlproof.cli import main

    monkeypatch.chdir(cwd)
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("uri", ["sqlite:///../outside.db", "sqlite:////tmp/mlproof-outside-cwd/mlflow.db", "../mlruns-outside"])
def test_local_stores_outside_the_working_directory_are_refused_before_any_work(uri, data, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    code, out, err = mlproof_in_process(["drift", str(data["reference"]), str(data["shifted"]), "--log-to-mlflow", "x",
                                         "--tracking-uri", uri, "--output", str(work / "report.md")], work, monkeypatch, capsys)
    assert code == 2 and out == ""
    assert "outside the working directory" in err and len(err.strip().splitlines()) == 1
    assert not (work / "report.md").exists() and not (tmp_path / "outside.db").exists()
    assert not Path("/tmp/mlproof-outside-cwd").exists() and not (tmp_path / "mlruns-outside").exists()


def test_an_unreachable_server_is_refused_before_the_report(data, tmp_path, monkeypatch, capsys):
    from tests.mlflow_support import free_port

    code, out, err = mlproof_in_process(["drift", str(data["reference"]), str(data["shifted"]), "--log-to-mlflow", "x",
                                         "--tracking-uri", f"http://127.0.0.1:{free_port()}", "--format", "json"],
                                        tmp_path, monkeypatch, capsys)
    assert code == 2 and out == "" and "unreachable" in err
