"""Which MLflow store to talk to, and a client that fails fast and plainly.

MLflow itself retries HTTP calls for minutes and silently creates a SQLite file
when asked to read one that does not exist. Both are wrong for a read-only
evidence tool, so every query goes through `open_client`, which:

- resolves the URI (`--tracking-uri` > MLFLOW_TRACKING_URI > the embedded demo store);
- refuses a missing SQLite file unless the caller is about to write;
- probes an HTTP server with a short timeout before MLflow sees it;
- caps MLflow's own HTTP retries and timeout;
- turns MlflowException into a one-sentence MlproofError.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from mlproof.errors import MlproofError

if TYPE_CHECKING:
    from mlflow import MlflowClient

# The store `make demo` creates and fills (relative to the working directory).
DEFAULT_TRACKING_URI = "sqlite:///.mlproof-demo/mlflow.db"
# Seconds we wait for an MLflow server before saying it is unreachable.
DEFAULT_TIMEOUT_S = 5.0


def shown(uri: str) -> str:
    """The URI for messages: a password in it is masked."""
    from mlproof.repo.redact import redact

    return redact(uri)


def resolve_tracking_uri(tracking_uri: str | None = None) -> str:
    """The URI to use: explicit argument, then MLFLOW_TRACKING_URI, then the demo store."""
    uri = (tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI).strip()
    if not uri:
        raise MlproofError("The MLflow tracking URI is empty; pass --tracking-uri or set MLFLOW_TRACKING_URI.")
    return uri


def sqlite_path(uri: str) -> Path | None:
    """The database file behind a `sqlite:///` URI, or None for other schemes."""
    if not uri.startswith("sqlite:"):
        return None
    rest = uri[len("sqlite:"):]
    if rest.startswith("////"):
        return Path(rest[3:])  # sqlite:////abs/path
    if rest.startswith("///"):
        return Path(rest[3:])  # sqlite:///relative/path
    raise MlproofError(f"The SQLite tracking URI {shown(uri)} is malformed; use sqlite:///relative.db or sqlite:////absolute.db.")


def _cap_mlflow_http_waits(timeout_s: float) -> None:
    """Keep MLflow's own HTTP client from retrying for minutes (the user may override)."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(max(1, int(round(timeout_s * 2)))))


def _probe_http_server(uri: str, timeout_s: float) -> None:
    """One cheap GET so an unreachable or non-MLflow server fails in seconds."""
    import httpx

    url = uri.rstrip("/") + "/api/2.0/mlflow/experiments/search?max_results=1"
    try:
        response = httpx.get(url, timeout=timeout_s)
    except httpx.TimeoutException:
        raise MlproofError(f"The MLflow server at {shown(uri)} did not answer within {timeout_s:g} s.") from None
    except httpx.HTTPError as err:
        raise MlproofError(f"The MLflow server at {shown(uri)} is unreachable ({type(err).__name__}).") from None
    if response.status_code in (401, 403):
        raise MlproofError(f"The MLflow server at {shown(uri)} refused access (HTTP {response.status_code}); set MLFLOW_TRACKING_TOKEN or credentials.")
    if response.status_code >= 400:
        raise MlproofError(f"{shown(uri)} does not look like an MLflow tracking server (HTTP {response.status_code} on the experiments API).")
    try:
        response.json()
    except ValueError:
        raise MlproofError(f"{shown(uri)} does not look like an MLflow tracking server (its experiments API did not return JSON).") from None


def _require_mlflow_schema(db: Path) -> None:
    """Refuse a SQLite file without MLflow's tables: MLflow would otherwise add them to it."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as err:
        raise MlproofError(f"{db} is not a readable SQLite database ({err}).") from None
    if not {"experiments", "runs"} <= tables:
        raise MlproofError(f"{db} is a SQLite database without MLflow's tables; point --tracking-uri at an MLflow store.")


def check_store(uri: str, *, create: bool = False, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
    """Fail fast with one sentence when the store cannot be used."""
    if uri.startswith(("http://", "https://")):
        _cap_mlflow_http_waits(timeout_s)
        _probe_http_server(uri, timeout_s)
        return
    db = sqlite_path(uri)
    if db is not None:
        if db.exists():
            if not db.is_file():
                raise MlproofError(f"The SQLite tracking store {db} is not a file.")
            if not create:
                _require_mlflow_schema(db)
            return
        if not create:
            raise MlproofError(f"The MLflow store {db} does not exist; run `make demo` to create it or pass --tracking-uri.")
        db.parent.mkdir(parents=True, exist_ok=True)
        return
    if uri.startswith("databricks") or ("://" in uri and not uri.startswith("file:")):
        return  # other schemes (databricks, postgresql, mysql): MLflow reports its own errors, translated below
    local = Path(uri[len("file://"):] if uri.startswith("file://") else uri)
    if not local.exists() and not create:
        raise MlproofError(f"The MLflow file store {local} does not exist; pass an existing --tracking-uri.")


@functools.lru_cache(maxsize=8)
def _cached_client(uri: str) -> MlflowClient:
    # Building a SQL store checks the schema, which costs ~1 s: do it once per URI.
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


@contextlib.contextmanager
def open_client(tracking_uri: str | None = None, *, create: bool = False, timeout_s: float = DEFAULT_TIMEOUT_S) -> Iterator[MlflowClient]:
    """An MlflowClient for the resolved store; MLflow errors come out as MlproofError."""
    uri = resolve_tracking_uri(tracking_uri)
    check_store(uri, create=create, timeout_s=timeout_s)
    with translate_errors(uri):
        yield _cached_client(uri)


def describe_mlflow_error(err: BaseException) -> str:
    """The first meaningful line of an MLflow error, without the stack of causes."""
    message = getattr(err, "message", None) or str(err) or type(err).__name__
    first = message.strip().splitlines()[0] if message.strip() else type(err).__name__
    return first if len(first) <= 300 else first[:297] + "..."


@contextlib.contextmanager
def translate_errors(uri: str) -> Iterator[None]:
    """Turn MLflow and connection failures into one plain sentence."""
    from mlflow.exceptions import MlflowException
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except MlproofError:
        raise
    except MlflowException as err:
        code = getattr(err, "error_code", "")
        text = describe_mlflow_error(err)
        if code == "RESOURCE_DOES_NOT_EXIST":
            raise MlproofError(f"Not found in the MLflow store {shown(uri)}: {text}") from None
        if code == "INVALID_PARAMETER_VALUE":
            raise MlproofError(f"MLflow rejected the request: {text}") from None
        raise MlproofError(f"MLflow error from {shown(uri)}: {text}") from None
    except SQLAlchemyError as err:
        raise MlproofError(f"{shown(uri)} is not a readable MLflow database ({describe_mlflow_error(err)}).") from None
    except (ConnectionError, TimeoutError, OSError) as err:
        raise MlproofError(f"The MLflow store {shown(uri)} could not be read ({type(err).__name__}: {describe_mlflow_error(err)}).") from None
