"""A real `mlflow server` and seeded stores for the tracking and gate tests.

The server runs on 127.0.0.1 with a free port, a SQLite backend and an
artifact folder in a temporary directory; it is started in its own process
group so teardown can stop it and the workers it spawns.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

SERVER_START_TIMEOUT_S = 180  # a loaded 2-core machine took over 60 s to import the server and migrate SQLite
# Quiet, offline MLflow for every test process.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class MlflowServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.process.wait(timeout=15)


def start_mlflow_server(workdir: Path) -> MlflowServer:
    """Start `mlflow server` and wait (bounded) until /health answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = workdir / "server.log"
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    command = [str(mlflow_bin), "server", "--host", "127.0.0.1", "--port", str(port),
               "--backend-store-uri", f"sqlite:///{workdir / 'server.db'}",
               "--artifacts-destination", str(workdir / "artifacts"), "--workers", "1"]
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # no background job workers in tests
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=workdir)
    server = MlflowServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"mlflow server did not start within {SERVER_START_TIMEOUT_S} s: {log_path.read_text()[-2000:]}")


def make_git_repo(path: Path) -> str:
    """A one-commit git repository; returns its commit (the runs' git tag)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "train.py").write_text("print('train')\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["init", "-q"], ["add", "train.py"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", "-C", str(path), *args], check=True, env=env, capture_output=True)
    return subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


TIE_EXPERIMENT = "tie-break"
TIE_METRIC = "score"


def add_tie_runs(tracking_uri: str) -> dict[str, str]:
    """Three runs with the same score: two share the earliest start time, one starts later.

    Returns {"later": id, "early_a": id, "early_b": id}; the expected winner is
    the smaller run id of the two early runs.
    """
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment_id = client.create_experiment(TIE_EXPERIMENT)
    ids = {}
    for label, start in (("later", 2_000_000), ("early_a", 1_000_000), ("early_b", 1_000_000)):
        run = client.create_run(experiment_id, start_time=start, run_name=label)
        client.log_batch(run.info.run_id, metrics=[Metric(TIE_METRIC, 0.5, start, 0)])
        client.set_terminated(run.info.run_id, end_time=start + 10)
        ids[label] = run.info.run_id
    return ids


@dataclass
class SeededStore:
    tracking_uri: str
    git_commit: str
    summary: object  # mlproof.tracking.seed.SeedSummary
    ties: dict[str, str]


def seed_store(tracking_uri: str, git_commit: str) -> SeededStore:
    from mlproof.tracking.seed import seed_demo_store

    summary = seed_demo_store(tracking_uri, git_commit=git_commit, dataset="breast_cancer")
    return SeededStore(tracking_uri=tracking_uri, git_commit=git_commit, summary=summary, ties=add_tie_runs(tracking_uri))


_SQLITE_STORE: SeededStore | None = None


def shared_sqlite_store(root: Path) -> SeededStore:
    """One seeded embedded SQLite store per test session (seeding costs ~20 s)."""
    global _SQLITE_STORE
    if _SQLITE_STORE is None:
        commit = make_git_repo(root / "training-repo")
        _SQLITE_STORE = seed_store(f"sqlite:///{root / 'store' / 'mlflow.db'}", commit)
    return _SQLITE_STORE
