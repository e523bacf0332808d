"""Which artifact locations an MLflow record may make mlproof read, and reading them.

A store's records are data: a model version's `source`, a logged model's or run's
artifact location can name any path or URL. mlproof reads an MLmodel file or lists
artifacts only where the rules below allow, and reports the rest instead:

- a local path (plain or `file:`) must resolve, symlinks included, inside the allowed
  folders: the MCP server's roots, or for the CLI the working directory and the store's
  own folder; it is then read directly, never through a download;
- a store on this machine (SQLite, file store) never makes mlproof download anything:
  its records could otherwise point it at any URL;
- a remote store may have its artifacts fetched through the tracking server itself
  (`mlflow-artifacts:`, or http(s) on the server's own host) or from a cloud object store;
- `runs:/` and `models:/` are resolved through the store to one of the above.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mlproof.tracking.uris import StoreUri

# Set by the MCP server to the client's roots for the duration of a tool call.
_ALLOWED_ROOTS: contextvars.ContextVar[tuple[Path, ...] | None] = contextvars.ContextVar("mlproof_artifact_roots", default=None)

CLOUD_SCHEMES = frozenset({"s3", "gs", "wasbs", "abfss", "dbfs", "oss", "r2", "uc-volumes"})
MAX_HOPS = 3  # runs:/ -> models:/ -> location; a record pointing at itself stops here


@contextlib.contextmanager
def allowed_roots(roots) -> Iterator[None]:
    """Inside this block, local artifacts are readable only inside `roots`."""
    token = _ALLOWED_ROOTS.set(tuple(Path(os.path.realpath(r)) for r in roots))
    try:
        yield
    finally:
        _ALLOWED_ROOTS.reset(token)


def use_roots(roots) -> None:
    """For the rest of the current task (an MCP tool call and the threads it starts): read only inside `roots`."""
    _ALLOWED_ROOTS.set(tuple(Path(os.path.realpath(r)) for r in roots))


def current_roots(store: StoreUri) -> tuple[Path, ...]:
    roots = _ALLOWED_ROOTS.get()
    if roots is not None:
        return roots
    found = [Path(os.path.realpath(os.getcwd()))]
    if store.path is not None:
        folder = store.path if store.kind == "file" else store.path.parent
        found.append(Path(os.path.realpath(folder)))
    return tuple(found)


@dataclass(frozen=True)
class Access:
    """Where to read an artifact from: a checked local path, a URI MLflow may download, or neither and why."""

    local: Path | None = None
    remote: str | None = None
    refused: str | None = None


def _inside(path: Path, roots: tuple[Path, ...]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _local(path_text: str, store: StoreUri) -> Access:
    if "\0" in path_text or not os.path.isabs(path_text):
        return Access(refused="the recorded location is not an absolute local path")
    try:
        real = Path(os.path.realpath(path_text))
    except (OSError, ValueError):
        return Access(refused="the recorded location cannot be resolved")
    roots = current_roots(store)
    if not _inside(real, roots):
        return Access(refused="it lies outside the folders mlproof may read (" + ", ".join(str(r) for r in roots) + ")")
    return Access(local=real)


def locate(location: str | None, store: StoreUri, client=None, *, hops: int = 0) -> Access:
    """Where `location` (an artifact URI or path from a record of `store`) may be read from."""
    if not location or not isinstance(location, str):
        return Access(refused="no location is recorded")
    if not location.isprintable():
        return Access(refused="the recorded location holds control characters")
    parts = urlsplit(location)
    scheme = parts.scheme.lower()
    if scheme in ("", "file") or len(scheme) == 1:  # a path, a file: URI, or a Windows drive
        if scheme == "file":
            if parts.netloc not in ("", "localhost"):
                return Access(refused="it names a file on another host")
            return _local(unquote(parts.path), store)
        return _local(location, store)
    if scheme in ("runs", "models"):
        if client is None or hops >= MAX_HOPS:
            return Access(refused=f"{scheme}:/ URIs are not followed this deep")
        try:
            resolved = _resolve_registry_uri(client, scheme, location)
        except Exception as err:  # a missing run or version is a fact to report
            return Access(refused=f"{scheme}:/ URI could not be resolved ({type(err).__name__})")
        return locate(resolved, store, client, hops=hops + 1)
    if store.local:
        return Access(refused="a store on this machine never makes mlproof download anything, and this location is remote")
    if scheme == "mlflow-artifacts" and store.kind == "http":
        if parts.netloc and parts.netloc.lower() != urlsplit(store.uri).netloc.lower():
            return Access(refused="it names another artifact server than the tracking server")
        return Access(remote=location)
    if scheme in ("http", "https") and store.kind == "http" and parts.netloc.lower() == urlsplit(store.uri).netloc.lower():
        return Access(remote=location)
    if scheme in CLOUD_SCHEMES:
        return Access(remote=location)
    return Access(refused=f"mlproof does not download from {scheme}: locations")


def _resolve_registry_uri(client, scheme: str, location: str) -> str:
    """The artifact location behind `runs:/<run>/<path>` or `models:/<m-id | name/version | name@alias>`."""
    rest = location.split(":", 1)[1].lstrip("/")
    if scheme == "runs":
        run_id, _, sub = rest.partition("/")
        base = client.get_run(run_id).info.artifact_uri.rstrip("/")
        return f"{base}/{sub}" if sub else base
    if rest.startswith("m-") and "/" not in rest:
        return client.get_logged_model(rest).artifact_location
    if "@" in rest:
        name, alias = rest.split("@", 1)
        version = client.get_model_version_by_alias(name, alias).version
    else:
        name, _, version = rest.partition("/")
    return client.get_model_version_download_uri(name, version)


def join(location: str, name: str) -> str:
    return location.rstrip("/") + "/" + name


def list_local(folder: Path, limit: int) -> tuple[list[tuple[str, bool, int | None]], bool]:
    """(relative path, is folder, size) of what is under `folder`, breadth first, symlinks not followed."""
    found: list[tuple[str, bool, int | None]] = []
    queue: list[tuple[Path, str]] = [(folder, "")]
    while queue:
        current, prefix = queue.pop(0)
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if len(found) >= limit:
                return found, True
            if entry.is_symlink():
                continue  # a link could lead out of the allowed folders
            rel = f"{prefix}{entry.name}"
            is_dir = entry.is_dir(follow_symlinks=False)
            found.append((rel, is_dir, None if is_dir else entry.stat(follow_symlinks=False).st_size))
            if is_dir:
                queue.append((Path(entry.path), rel + "/"))
    return found, False
