"""Tracking URIs parsed, never prefix-matched: which kind of store a URI names, and where it lives.

`HTTP://host`, `sqlite+pysqlite:///x.db` and `file:/x` must meet the same rules as their plain
spellings (a prefix test lets them slip past). Every URI is parsed once here; the scheme is
compared case-insensitively and every SQLite dialect counts as SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from mlproof.errors import MlproofError, quoted

StoreKind = Literal["sqlite", "file", "http", "database", "databricks"]

DATABASE_SCHEMES = ("postgresql", "postgres", "mysql", "mssql")  # with or without +driver
DATABRICKS_SCHEMES = ("databricks", "databricks-uc", "uc")
SUPPORTED = "http(s)://host:port, sqlite:///path/to/mlflow.db, postgresql://, mysql://, mssql://, databricks, or a local folder"


@dataclass(frozen=True)
class StoreUri:
    kind: StoreKind
    uri: str  # the URI as MLflow should receive it (scheme lower-cased)
    scheme: str  # lower-cased; "" for a plain path
    path: Path | None = None  # the SQLite file or the file-store folder (as written, not resolved)

    @property
    def local(self) -> bool:
        """A store on this machine: its records are data mlproof must not trust further than the roots."""
        return self.kind in ("sqlite", "file")

    def read_only_uri(self) -> str:
        """For SQLite: a URI SQLite opens read-only, so no MLflow code path can write to the store.

        The `sqlite+pysqlite` spelling also keeps MLflow from creating parent folders, which it
        does for `sqlite:///` URIs before it connects."""
        if self.kind != "sqlite" or self.path is None:
            return self.uri
        return f"sqlite+pysqlite:///file:{quote(str(self.path.resolve()))}?mode=ro&uri=true"

    def writable_uri(self) -> str:
        if self.kind != "sqlite" or self.path is None:
            return self.uri
        return f"sqlite:///{self.path.resolve()}"


def _sqlite_path(uri: str, rest: str) -> Path:
    """The database file of `sqlite[+driver]:` + rest (`///relative.db`, `////abs.db`, `///file:x.db?mode=ro`)."""
    if not rest.startswith("///"):
        raise MlproofError(f"The SQLite tracking URI {quoted(uri)} is malformed; use sqlite:///relative.db or sqlite:////absolute.db.")
    database = rest[3:]
    if database.startswith("file:"):  # a SQLite URI filename: file:path?mode=...
        database = unquote(database[len("file:"):].split("?", 1)[0])
        if database.startswith("//"):
            database = database[2:]
    else:
        database = database.split("?", 1)[0]
    if not database or database == ":memory:":
        raise MlproofError(f"The SQLite tracking URI {quoted(uri)} names no database file; an in-memory store holds no runs.")
    return Path(database)


def parse_tracking_uri(uri: str) -> StoreUri:
    """The store a tracking URI names, or one sentence saying why mlproof cannot use it."""
    if not isinstance(uri, str) or not uri.strip():
        raise MlproofError("The MLflow tracking URI is empty; pass --tracking-uri or set MLFLOW_TRACKING_URI.")
    uri = uri.strip()
    if not uri.isprintable():
        raise MlproofError(f"The MLflow tracking URI {quoted(uri)} contains control characters.")
    if len(uri) > 4096:
        raise MlproofError(f"The MLflow tracking URI {quoted(uri)} is longer than 4096 characters.")
    head, colon, rest = uri.partition(":")
    scheme = head.lower()
    if not colon or not scheme or not scheme[0].isalpha() or not all(c.isalnum() or c in "+-." for c in scheme) or len(scheme) == 1:
        return StoreUri("file", uri, "", Path(uri).expanduser())  # a plain path (one letter: a Windows drive)
    dialect = scheme.split("+", 1)[0]
    if dialect == "sqlite":
        return StoreUri("sqlite", "sqlite" + scheme[len("sqlite"):] + ":" + rest, scheme, _sqlite_path(uri, rest))
    if scheme == "file":
        parsed = urlsplit(uri)
        if parsed.netloc not in ("", "localhost"):
            raise MlproofError(f"The file URI {quoted(uri)} names another host; mlproof reads file stores on this machine only.")
        return StoreUri("file", "file://" + parsed.path, scheme, Path(unquote(parsed.path)))
    if scheme in ("http", "https"):
        parsed = urlsplit(uri)
        if not parsed.hostname:
            raise MlproofError(f"The tracking URI {quoted(uri)} has no host; use http://host:port.")
        try:
            parsed.port  # noqa: B018 - raises on a port that is not a number in range
        except ValueError:
            raise MlproofError(f"The tracking URI {quoted(uri)} has an invalid port.") from None
        return StoreUri("http", urlunsplit((scheme, parsed.netloc, parsed.path, parsed.query, parsed.fragment)), scheme)
    if dialect in DATABASE_SCHEMES:
        return StoreUri("database", scheme + ":" + rest, scheme)
    if scheme in DATABRICKS_SCHEMES:
        return StoreUri("databricks", scheme + ":" + rest, scheme)
    raise MlproofError(f"The tracking URI scheme {quoted(scheme, 20)} is not one mlproof can read; use {SUPPORTED}.")
