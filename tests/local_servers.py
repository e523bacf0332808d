"""Throwaway servers on 127.0.0.1 for tests: PostgreSQL (Debian's binaries) and an S3 API (moto's server).

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user that
Debian's package creates, on a data directory made for this test only. Every wait is bounded and
every process is stopped by its own id.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing(message: str):
    if os.environ.get("MLPROOF_REQUIRE_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)


def postgres_bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        missing("PostgreSQL server binaries are not installed (run `make test-tools`: Debian's postgresql)")
    return Path(candidates[-1]).parent


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextlib.contextmanager
def postgres_server(database: str = "mlflow", user: str = "mlflow"):
    """Yield the URI of a fresh PostgreSQL database (trust auth, loopback only)."""
    bin_dir = postgres_bin_dir()
    as_root = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="mlproof-pg-"))  # not under pytest's root-only tmp folders
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    prefix: list[str] = []
    if as_root:
        runuser = shutil.which("runuser")
        if runuser is None:
            missing("runuser is needed to start PostgreSQL as the postgres user")
        prefix = [runuser, "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    log = open(root.parent / f"{root.name}.log", "w")
    server = None
    try:
        subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", user, "--no-sync"],
                       check=True, capture_output=True, timeout=180)
        server = subprocess.Popen(
            [*prefix, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sockets),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready = subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                                   capture_output=True, timeout=10)
            if ready.returncode == 0:
                break
            assert server.poll() is None, "postgres exited during start-up"
            time.sleep(0.3)
        else:
            raise AssertionError("postgres did not become ready within 60 s")
        subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, database],
                       check=True, capture_output=True, timeout=60)
        # psycopg2 named explicitly: SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3.
        yield {"uri": f"postgresql+psycopg2://{user}@127.0.0.1:{port}/{database}", "port": port, "user": user,
               "database": database, "psql": str(bin_dir / "psql")}
    finally:
        if server is not None:
            stop(server, signal.SIGINT)  # SIGINT = PostgreSQL's fast shutdown
        log.close()
        shutil.rmtree(root, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.remove(root.parent / f"{root.name}.log")


@contextlib.contextmanager
def s3_server(moto_server: Path, bucket: str):
    """Yield the endpoint URL of moto's S3-compatible server with `bucket` created."""
    port = free_port()
    server = subprocess.Popen([str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.put(f"{endpoint}/{bucket}", timeout=5).status_code == 200:
                    break
            assert server.poll() is None, "moto_server exited during start-up"
            time.sleep(0.3)
        else:
            raise AssertionError("moto_server did not answer within 60 s")
        yield endpoint
    finally:
        stop(server)


@contextlib.contextmanager
def uvicorn_app(app: str, cwd: Path, env: dict, python: str, log_path: Path):
    """Serve `module:app` with uvicorn on 127.0.0.1; yield its base URL once /health answers 200."""
    port = free_port()
    with open(log_path, "w") as log:
        server = subprocess.Popen([python, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)],
                                  cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and server.poll() is None:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                        break
                time.sleep(0.5)
            else:
                pytest.fail(f"uvicorn never answered /health: {log_path.read_text()[-2000:]}")
            yield base
        finally:
            stop(server)
