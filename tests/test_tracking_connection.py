"""Unreachable, silent, foreign or missing stores give one clear sentence, never a hang or a new file."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest

from mlproof.errors import MlproofError
from mlproof.tracking import list_experiments, search_runs
from mlproof.tracking.connection import DEFAULT_TRACKING_URI, resolve_tracking_uri
from tests.mlflow_support import free_port


def test_uri_resolution_order(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert resolve_tracking_uri(None) == DEFAULT_TRACKING_URI
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:1")
    assert resolve_tracking_uri(None) == "http://127.0.0.1:1"
    assert resolve_tracking_uri("sqlite:///x.db") == "sqlite:///x.db"


def test_missing_sqlite_store_is_an_error_and_is_not_created(tmp_path):
    db = tmp_path / "nested" / "mlflow.db"
    with pytest.raises(MlproofError, match="does not exist"):
        list_experiments(f"sqlite:///{db}")
    assert not db.exists() and not db.parent.exists()


def test_embedded_default_is_not_created_by_a_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(MlproofError, match="make demo"):
        search_runs()
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_an_mlflow_database(tmp_path):
    db = tmp_path / "notes.db"
    db.write_bytes(b"this is not sqlite at all " * 100)
    with pytest.raises(MlproofError, match="not a readable SQLite database"):
        list_experiments(f"sqlite:///{db}")


def test_nothing_listening_is_unreachable():
    with pytest.raises(MlproofError, match="unreachable"):
        list_experiments(f"http://127.0.0.1:{free_port()}")


def test_a_server_that_never_answers_times_out(monkeypatch):
    # Accepts the TCP connection but never replies: the probe's timeout must fire.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    try:
        import mlproof.tracking.connection as connection

        monkeypatch.setattr(connection, "DEFAULT_TIMEOUT_S", 1.0)
        with pytest.raises(MlproofError, match="did not answer within"):
            connection.check_store(f"http://127.0.0.1:{port}", timeout_s=1.0)
    finally:
        listener.close()


class _NotMlflow(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server API
        body = b"<html>hello</html>"
        self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_web_server_that_is_not_mlflow():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotMlflow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(MlproofError, match="does not look like an MLflow"):
            list_experiments(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


def test_bad_arguments_before_any_store_access(tmp_path):
    with pytest.raises(MlproofError, match="max_results"):
        search_runs(f"sqlite:///{tmp_path / 'absent.db'}", max_results=0)
    with pytest.raises(MlproofError, match="malformed"):
        list_experiments("sqlite:/relative.db")


def test_a_foreign_sqlite_database_is_refused_and_left_untouched(tmp_path):
    import sqlite3

    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER)")
    before = db.read_bytes()
    with pytest.raises(MlproofError, match="without MLflow's tables"):
        list_experiments(f"sqlite:///{db}")
    assert db.read_bytes() == before


def test_a_password_in_the_tracking_uri_never_reaches_the_message():
    with pytest.raises(MlproofError) as caught:
        list_experiments(f"http://alice:hunter2-very-secret@127.0.0.1:{free_port()}")
    assert "hunter2-very-secret" not in str(caught.value) and "alice:****@" in str(caught.value)
