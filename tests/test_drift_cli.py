"""`mlproof drift` exit codes and formats, the HTML report in headless Chromium, and scripts/drift_monitor.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlproof import cli
from tests.helpers import require_tool

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(11)


@pytest.fixture()
def data(tmp_path):
    n = 3_000
    ref = pd.DataFrame({"amount": RNG.normal(50, 5, n), "plan": RNG.choice(["a", "b", "c"], n), "age": RNG.normal(40, 8, n)})
    same = pd.DataFrame({"amount": RNG.normal(50, 5, n), "plan": RNG.choice(["a", "b", "c"], n), "age": RNG.normal(40, 8, n)})
    drifted = pd.DataFrame({"amount": RNG.normal(58, 5, n), "plan": RNG.choice(["a", "b", "c"], n, p=[0.7, 0.2, 0.1]), "age": RNG.normal(40, 8, n)})
    ref.to_parquet(tmp_path / "ref.parquet")
    same.to_csv(tmp_path / "same.csv", index=False)
    drifted.to_parquet(tmp_path / "drifted.parquet")
    return tmp_path


def run_cli(monkeypatch, argv):
    # Only the drift subcommand is registered, so this test depends on no other engine.
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["mlproof.drift.cli"])
    return cli.main(["drift", *argv])


def test_exit_codes_follow_the_dataset_verdict(data, monkeypatch, capsys):
    assert run_cli(monkeypatch, [str(data / "ref.parquet"), str(data / "same.csv")]) == 0
    assert "No dataset drift" in capsys.readouterr().out
    assert run_cli(monkeypatch, [str(data / "ref.parquet"), str(data / "drifted.parquet")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("# Data drift report") and "Dataset drift: 2 of 3" in out


def test_bad_input_exits_2_with_one_line(data, monkeypatch, capsys):
    assert run_cli(monkeypatch, [str(data / "nope.csv"), str(data / "same.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "does not exist" in err and err.count("\n") == 1
    assert run_cli(monkeypatch, [str(data / "ref.parquet"), str(data / "same.csv"), "--method", "amount"]) == 2
    assert "COL=VALUE" in capsys.readouterr().err


def test_options_json_output_and_file(data, monkeypatch, capsys):
    args = [str(data / "ref.parquet"), str(data / "drifted.parquet"), "--columns", "amount,plan", "--method", "amount=psi",
            "--threshold", "plan=0.9", "--drift-share", "0.6", "--column-type", "plan=categorical", "--format", "json"]
    assert run_cli(monkeypatch, args) == 0  # only amount drifts: 1 of 2 < 0.6
    report = json.loads(capsys.readouterr().out)
    amount, plan = report["columns"]
    assert (amount["method"], amount["drifted"]) == ("psi", True)
    assert (plan["threshold"], plan["drifted"], plan["type_source"]) == (0.9, False, "override")
    out = data / "report.html"
    assert run_cli(monkeypatch, [str(data / "ref.parquet"), str(data / "drifted.parquet"), "--method", "*=ks", "-o", str(out)]) == 1
    page = out.read_text()
    assert "Kolmogorov-Smirnov" in page and page.count("<svg") == 3


def test_html_report_renders_in_headless_chromium(data, tmp_path):
    chromium = require_tool("chromium")
    from mlproof.drift import drift_report

    page = tmp_path / "report.html"
    page.write_text(drift_report(data / "ref.parquet", data / "drifted.parquet").to_html())
    profile = tmp_path / "profile"
    flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}"]
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-500:]
    assert 'id="verdict"' in dom.stdout and "Dataset drift" in dom.stdout
    assert dom.stdout.count("<rect") > 50 and "card drifted" in dom.stdout
    shot = tmp_path / "shot.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000


def _monitor(*args, cwd):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "drift_monitor.py"), *args], capture_output=True, text=True, cwd=cwd, timeout=180)


def test_drift_monitor_with_a_file_and_an_mlflow_model_alias(data, tmp_path, request):
    done = _monitor("--reference", str(data / "ref.parquet"), "--current", str(data / "same.csv"), "--report-dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "out").glob("drift-*.html"))) == 1

    # A real MLflow store: the reference is an artifact of the run behind models:/churn@champion.
    import mlflow
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    request.addfinalizer(lambda: mlflow.set_tracking_uri(None))  # set_tracking_uri also sets MLFLOW_TRACKING_URI
    experiment = mlflow.create_experiment("drift-monitor", artifact_location=(tmp_path / "artifacts").as_uri())
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.log_artifact(str(data / "ref.parquet"), artifact_path="data")
    client = MlflowClient(uri)
    client.create_registered_model("churn")
    version = client.create_model_version("churn", source=f"runs:/{run.info.run_id}/data", run_id=run.info.run_id)
    client.set_registered_model_alias("churn", "champion", version.version)

    # The MLflow cases call the script's main() in this process (mlflow is already imported here).
    monitor = _load_monitor()
    out = tmp_path / "out-mlflow"
    code = monitor.main(["--reference", "models:/churn@champion/data/ref.parquet", "--current", str(data / "drifted.parquet"),
                         "--tracking-uri", uri, "--report-dir", str(out), "--format", "json"])
    assert code == 1
    report = json.loads(next(out.glob("drift-*.json")).read_text())
    assert report["dataset_drift"] is True and report["reference"]["source"].endswith("ref.parquet")

    code = monitor.main(["--reference", f"runs:/{run.info.run_id}/data/ref.parquet", "--current", str(data / "same.csv"),
                         "--tracking-uri", uri, "--report-dir", str(tmp_path / "out-run")])
    assert code == 0

    code = monitor.main(["--reference", "models:/churn@nobody/data/ref.parquet", "--current", str(data / "same.csv"),
                         "--tracking-uri", uri, "--report-dir", str(tmp_path / "out-missing")])
    assert code == 2 and not (tmp_path / "out-missing").exists()  # bad input: nothing written


def _load_monitor():
    import importlib.util

    spec = importlib.util.spec_from_file_location("drift_monitor", ROOT / "scripts" / "drift_monitor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_terminal_view_shows_table_and_bars_for_drifted_columns(data):
    from rich.console import Console

    from mlproof.drift import drift_report
    from mlproof.drift.render import print_terminal

    console = Console(record=True, width=140, force_terminal=False)
    print_terminal(drift_report(data / "ref.parquet", data / "drifted.parquet"), console)
    text = console.export_text()
    assert "DRIFT" in text and "amount" in text and "█" in text and "Dataset drift" in text
