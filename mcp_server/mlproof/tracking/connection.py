"""Which MLflow store to talk to, and a client that fails fast and plainly.

MLflow itself retries HTTP calls for minutes and silently creates a SQLite file
when asked to read one that does not exist. Both are wrong for a read-only
evidence tool, so every query goes through `open_client`, which:

- resolves the URI (`--tracking-uri` > MLFLOW_TRACKING_URI > the embedded demo store);
- parses the URI (tracking/uris.py), so every spelling of a scheme meets the same rules;
- refuses a missing SQLite file unless the caller is about to write, and a store MLflow would
  change on open (partial, older or newer schema), then opens SQLite read-only;
- probes an HTTP server within one overall deadline before MLflow sees it;
- caps MLflow's own HTTP retries and timeout;
- turns MlflowException into a one-sentence MlproofError.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from mlproof.errors import MlproofError, quoted
from mlproof.tracking.uris import StoreUri, parse_tracking_uri

if TYPE_CHECKING:
    from mlflow import MlflowClient

# The store `make demo` creates and fills (relative to the working directory).
DEFAULT_TRACKING_URI = "sqlite:///.mlproof-demo/mlflow.db"
# Seconds we wait for an MLflow server before saying it is unreachable.
DEFAULT_TIMEOUT_S = 5.0


def shown(uri: str) -> str:
    """The URI (or path) for messages: a password in it is masked, control characters escaped, length bounded."""
    return quoted(uri, 160)[1:-1]


def resolve_tracking_uri(tracking_uri: str | None = None) -> str:
    """The URI to use: explicit argument, then MLFLOW_TRACKING_URI, then the demo store (checked, not yet opened)."""
    uri = (tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI).strip()
    parse_tracking_uri(uri)
    return uri


def sqlite_path(uri: str) -> Path | None:
    """The database file behind a SQLite URI of any dialect (`sqlite:`, `sqlite+pysqlite:` ...), or None."""
    store = parse_tracking_uri(uri)
    return store.path if store.kind == "sqlite" else None


def _cap_mlflow_http_waits(timeout_s: float) -> None:
    """Keep MLflow's own HTTP client from retrying for minutes (the user may override)."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(max(1, int(round(timeout_s * 2)))))


PROBE_MAX_BYTES = 1 << 20  # an experiments page is a few KB; more is not an MLflow answer


async def _probe(url: str, timeout_s: float) -> tuple[int, bytes]:
    import anyio
    import httpx

    # One deadline for the whole exchange: httpx's timeouts apply to each read, so a server that
    # trickles a byte every few seconds would otherwise hold the call forever.
    with anyio.fail_after(timeout_s):
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            async with client.stream("GET", url) as response:
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > PROBE_MAX_BYTES:
                        break
                return response.status_code, body


def _probe_http_server(uri: str, timeout_s: float) -> None:
    """One cheap GET, finished or abandoned within `timeout_s`, so a bad server fails in seconds."""
    import concurrent.futures

    import anyio
    import httpx

    url = uri.rstrip("/") + "/api/2.0/mlflow/experiments/search?max_results=1"
    # A thread of its own: the probe runs its own event loop whether or not the caller has one.
    pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="mlproof-probe")
    try:
        status, body = pool.submit(anyio.run, _probe, url, timeout_s).result(timeout=timeout_s + 5)
    except (TimeoutError, concurrent.futures.TimeoutError, httpx.TimeoutException):
        raise MlproofError(f"The MLflow server at {shown(uri)} did not answer within {timeout_s:g} s.") from None
    except httpx.HTTPError as err:
        raise MlproofError(f"The MLflow server at {shown(uri)} is unreachable ({type(err).__name__}).") from None
    except (OSError, ValueError) as err:
        raise MlproofError(f"The MLflow server at {shown(uri)} is unreachable ({type(err).__name__}).") from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if status in (401, 403):
        raise MlproofError(f"The MLflow server at {shown(uri)} refused access (HTTP {status}); set MLFLOW_TRACKING_TOKEN or credentials.")
    if status >= 400:
        raise MlproofError(f"{shown(uri)} does not look like an MLflow tracking server (HTTP {status} on the experiments API).")
    try:
        json.loads(body)
    except ValueError:
        raise MlproofError(f"{shown(uri)} does not look like an MLflow tracking server (its experiments API did not return JSON).") from None


@functools.lru_cache(maxsize=1)
def _mlflow_schema() -> tuple[str, frozenset[str], frozenset[str]]:
    """(head revision, every known revision, every table) of the installed MLflow's SQL schema.

    MLflow keeps these in its migration scripts and ORM models; its SqlAlchemyStore compares a
    store's `alembic_version` with the same head, and creates or migrates when they differ."""
    from alembic.script import ScriptDirectory
    from mlflow.store.db.base_sql_model import Base
    from mlflow.store.db.utils import _get_alembic_config, _get_latest_schema_revision

    script = ScriptDirectory.from_config(_get_alembic_config(db_url=""))
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return _get_latest_schema_revision(), known, frozenset(Base.metadata.tables)


def _require_mlflow_schema(db: Path) -> None:
    """Refuse a SQLite file MLflow would write to on open: not MLflow's, partial, older or newer.

    MLflow creates missing tables and migrates an older schema in place (one way) when it
    opens a store; a read-only tool must refuse such a store instead."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchall() if "alembic_version" in tables else []
            has_default = bool(conn.execute("SELECT 1 FROM experiments WHERE experiment_id = 0").fetchall()) if "experiments" in tables else False
    except sqlite3.Error as err:
        raise MlproofError(f"{shown(str(db))} is not a readable SQLite database ({str(err)[:80]}).") from None
    if not {"experiments", "runs"} <= tables:
        raise MlproofError(f"{shown(str(db))} is a SQLite database without MLflow's tables; point --tracking-uri at an MLflow store.")
    head, known, expected = _mlflow_schema()
    found = revision[0][0] if len(revision) == 1 else None
    if found != head:
        if found is None or found in known:
            raise MlproofError(f"The MLflow store {shown(str(db))} has an older schema (revision {found or 'none'}); this store needs "
                               f"`mlflow db upgrade` first (back it up), since mlproof reads stores as they are and never migrates them.")
        raise MlproofError(f"The MLflow store {shown(str(db))} was written by a newer MLflow (schema revision {str(found)[:40]}); "
                           "upgrade mlflow to read it.")
    missing = sorted(expected - tables)
    if missing:
        raise MlproofError(f"The MLflow store {shown(str(db))} is incomplete ({len(missing)} of MLflow's tables are missing, e.g. "
                           f"{', '.join(missing[:3])}); MLflow would create them on open, so mlproof leaves it alone.")
    if not has_default:
        raise MlproofError(f"The MLflow store {shown(str(db))} has no Default experiment (id 0); MLflow would add it on open, "
                           "so mlproof leaves it alone.")


def _require_driver(store: StoreUri) -> None:
    """A SQL store whose driver is not installed gets one sentence, not MLflow's ImportError."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(store.uri).get_dialect().import_dbapi()
    except ImportError as err:
        raise MlproofError(f"The {store.scheme.split('+')[0]} tracking store needs the database driver {quoted(err.name or 'driver', 40)}, "
                           "which is not installed; install it (e.g. pymysql, psycopg2-binary) or use another store.") from None
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise MlproofError(f"The tracking URI {shown(store.uri)[:80]} is not a database URL SQLAlchemy understands "
                           "(e.g. postgresql://user@host/db, mysql+pymysql://user@host/db).") from None


def _require_file_store(folder: Path) -> None:
    """A file store MLflow would add folders to on open (.trash, models) is refused: it is read as it is."""
    if not folder.is_dir():
        raise MlproofError(f"The MLflow file store {shown(str(folder))} is not a folder.")
    missing = [name for name in (".trash", "models") if not (folder / name).is_dir()]
    if missing:
        raise MlproofError(f"The folder {shown(str(folder))} is not a complete MLflow file store (no {' or '.join(missing)} folder); "
                           "MLflow would create it on open, so mlproof leaves it alone.")


def check_store(uri: str, *, create: bool = False, write: bool = False, timeout_s: float = DEFAULT_TIMEOUT_S) -> StoreUri:
    """Fail fast with one sentence when the store cannot be used as asked; the parsed store otherwise.

    `create` (seeding the demo store): a missing SQLite store may be created. `write` (set-alias):
    the store must be complete and current, and is opened read-write. Otherwise the store is read
    only, and refused whenever MLflow would change it on open."""
    store = parse_tracking_uri(uri)
    if store.kind == "http":
        _cap_mlflow_http_waits(timeout_s)
        _probe_http_server(store.uri, timeout_s)
    elif store.kind == "sqlite":
        db = store.path
        try:
            exists = db.exists()
        except OSError:
            raise MlproofError(f"The SQLite store path {shown(str(db))[:80]} cannot be used (too long or unreadable).") from None
        if exists:
            if not db.is_file():
                raise MlproofError(f"The SQLite tracking store {shown(str(db))} is not a file.")
            if not create:
                _require_mlflow_schema(db)
        elif not create:
            raise MlproofError(f"The MLflow store {shown(str(db))} does not exist; run `make demo` to create it or pass --tracking-uri.")
        else:
            db.parent.mkdir(parents=True, exist_ok=True)
    elif store.kind == "database":
        _require_driver(store)
    elif store.kind == "file":
        try:
            exists = store.path.exists()
        except OSError:
            raise MlproofError(f"The MLflow file store path {shown(str(store.path))[:80]} cannot be used (too long or unreadable).") from None
        if not exists and not create:
            raise MlproofError(f"The MLflow file store {shown(str(store.path))} does not exist; pass an existing --tracking-uri.")
        if exists and not create:
            _require_file_store(store.path)
    return store


def _fail_fast_engines() -> None:
    """MLflow retries a failed database connection ten times with backoff (about 100 s) while holding
    the lock every other store creation waits on; for an interactive read, the first failure is the answer."""
    try:
        import mlflow.store.db.utils as db_utils

        db_utils.MAX_RETRY_COUNT = 1
    except (ImportError, AttributeError):  # pragma: no cover - another MLflow layout: keep its behaviour
        pass


@functools.lru_cache(maxsize=8)
def _cached_client(uri: str) -> MlflowClient:
    # Building a SQL store checks the schema, which costs ~1 s: do it once per URI.
    from mlflow import MlflowClient

    _fail_fast_engines()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


@contextlib.contextmanager
def open_client(tracking_uri: str | None = None, *, create: bool = False, write: bool = False,
                timeout_s: float = DEFAULT_TIMEOUT_S) -> Iterator[MlflowClient]:
    """An MlflowClient for the resolved store; MLflow errors come out as MlproofError.

    SQLite stores are opened read-only unless `create` or `write` is asked for, so no MLflow
    code path (schema checks, default experiment, migrations) can change them."""
    uri = resolve_tracking_uri(tracking_uri)
    store = check_store(uri, create=create, write=write, timeout_s=timeout_s)
    connect = store.writable_uri() if (create or write) else store.read_only_uri()
    with translate_errors(uri):
        yield _cached_client(connect)


def describe_mlflow_error(err: BaseException) -> str:
    """The first sentence of an MLflow error, without the stack of causes, credentials masked."""
    from mlproof.repo.redact import redact

    message = str(getattr(err, "message", None) or err or type(err).__name__)
    first = message.strip().splitlines()[0] if message.strip() else type(err).__name__
    first = first.split(". ")[0].rstrip(".")
    first = "".join(c if c.isprintable() else " " for c in redact(first))
    return first if len(first) <= 200 else first[:199] + "…"


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
    except ImportError as err:
        raise MlproofError(f"The MLflow store {shown(uri)} needs the module {quoted(err.name or 'unknown', 40)}, which is not installed.") from None
