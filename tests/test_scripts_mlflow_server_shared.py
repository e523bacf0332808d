"""start_mlflow_server.sh in the shared shape: a real PostgreSQL backend and an S3 artifact root.

PostgreSQL comes from Debian's package (started on 127.0.0.1 with a throwaway data directory). The S3
API is moto's server mode (PyPI): MinIO is on neither Debian nor PyPI, and moto speaks the S3 protocol
that MLflow's boto3 artifact repository uses, which a local folder would not exercise. The server runs
from the refs environment (it needs psycopg2 and boto3); the client is this environment's MLflow,
talking only HTTP to the server, which proxies the artifacts.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.local_servers import free_port, postgres_server, s3_server, stop
from tests.refs_env import refs_bin

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "start_mlflow_server.sh"
BUCKET = "mlflow-artifacts"


def wait_for_health(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/health", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"MLflow never answered /health; exit={process.poll()}\n{log.read_text()[-3000:]}")


def test_postgres_and_s3_shape_logs_a_run_and_reads_its_artifact_back(tmp_path):
    mlflow_bin, moto_bin = refs_bin("mlflow"), refs_bin("moto_server")
    with postgres_server() as pg, s3_server(moto_bin, BUCKET) as s3_endpoint:
        port = free_port()
        env = {**os.environ, "MLFLOW_BIN": str(mlflow_bin), "MLFLOW_S3_ENDPOINT_URL": s3_endpoint,
               "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
               "MLFLOW_ENABLE_TELEMETRY": "false"}
        log_path = tmp_path / "server.log"
        log = open(log_path, "w")
        server = subprocess.Popen(
            ["bash", str(SCRIPT), "--port", str(port), "--data-dir", str(tmp_path / "unused"),
             "--backend-store-uri", pg["uri"], "--artifacts-destination", f"s3://{BUCKET}/experiments"],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_health(base, server, log_path)
            import mlflow
            from mlflow import MlflowClient

            client = MlflowClient(base)
            experiment_id = client.create_experiment("shared-shape")
            run = client.create_run(experiment_id)
            client.log_param(run.info.run_id, "store", "postgres")
            client.log_metric(run.info.run_id, "val_auc", 0.81)
            client.log_text(run.info.run_id, "evidence from the shared store\n", "notes/evidence.txt")
            client.set_terminated(run.info.run_id)

            # Read back through the server (artifacts are proxied: the client holds no S3 credentials).
            downloaded = Path(mlflow.artifacts.download_artifacts(
                run_id=run.info.run_id, artifact_path="notes/evidence.txt", dst_path=str(tmp_path / "dl"),
                tracking_uri=base))
            assert downloaded.read_text() == "evidence from the shared store\n"
            assert client.get_run(run.info.run_id).data.metrics["val_auc"] == 0.81
        finally:
            stop(server)
            log.close()
        output = log_path.read_text()
        assert f"127.0.0.1:{port}" in output and "s3://mlflow-artifacts/experiments" in output
        assert not (tmp_path / "unused").exists(), "the shared shape must not create local store folders"

        # The run really lives in Postgres, and the artifact really is an object in the bucket.
        rows = subprocess.run(
            [pg["psql"], "-h", "127.0.0.1", "-p", str(pg["port"]), "-U", pg["user"], "-d", pg["database"],
             "-At", "-c", "select run_uuid, status from runs"],
            capture_output=True, text=True, timeout=60, check=True).stdout
        assert f"{run.info.run_id}|FINISHED" in rows
        listing = httpx.get(f"{s3_endpoint}/{BUCKET}?list-type=2", timeout=10).text
        assert f"experiments/{experiment_id}/{run.info.run_id}/artifacts/notes/evidence.txt" in listing


def test_shared_shape_bad_uris_exit_2_with_the_password_masked(tmp_path):
    result = subprocess.run(
        ["bash", str(SCRIPT), "--backend-store-uri", "redis://admin:hunter2@db:6379/0", "--data-dir", str(tmp_path / "d")],
        capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "hunter2" not in result.stderr and "admin:***@" in result.stderr
    result = subprocess.run(
        ["bash", str(SCRIPT), "--artifacts-destination", "ftp://files/mlflow", "--data-dir", str(tmp_path / "d")],
        capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "is not an s3://" in result.stderr
    assert not (tmp_path / "d").exists()
