"""Drift runs in MLflow: `mlproof drift --log-to-mlflow` writes them, the gate reads them back.

This is mlproof's one write path into a tracking store besides `models set-alias`, so it
opens its own client (`open_writing_client`) instead of the read-only `open_client`, and it
refuses a SQLite or file store outside the working directory.

The run format (stable; `latest_drift_runs` and the gate rely on it):
- tags   mlproof.kind=drift, mlproof.version, mlproof.reference_digest, mlproof.current_digest
         (sha256 hex of the data files), mlproof.dataset_drift ("true"/"false"),
         mlproof.reference_name, mlproof.current_name (file names only);
- metrics dataset_drift (0/1), drift_share (share of tested columns that drifted),
         drifted_columns, tested_columns, reference_rows, current_rows, and per tested column
         drift.<column>.statistic and drift.<column>.drifted (0/1);
- params drift_share_threshold, engine, and per tested column drift.<column>.method and
         drift.<column>.threshold (plus drift.<column>.column with the original name when the
         key had to change);
- artifacts drift/drift_report.json and drift/drift_report.html.
<column> is the column name with every character outside letters, digits, `_ - .` and space
replaced by `_`; such names, and names longer than 180 characters, get `_` and 8 hex digits
of the name's SHA-1 appended, so two columns never share a key.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from mlproof import __version__
from mlproof.errors import MlproofError
from mlproof.evidence import Evidence

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from mlproof.drift.models import DriftReport

KIND_TAG, KIND = "mlproof.kind", "drift"
VERSION_TAG = "mlproof.version"
REFERENCE_DIGEST_TAG, CURRENT_DIGEST_TAG = "mlproof.reference_digest", "mlproof.current_digest"
DATASET_DRIFT_TAG = "mlproof.dataset_drift"
MAX_KEY_PART = 180
MAX_PARAM_VALUE = 500
PARAMS_PER_BATCH, METRICS_PER_BATCH = 100, 900  # MLflow's log_batch limits are 100 params and 1000 entities
MAX_RUNS_READ = 1000


class LoggedDriftRun(BaseModel):
    run_id: str
    experiment_id: str
    experiment: str
    tracking_uri: str = Field(description="The store, with any password masked.")
    metrics: int
    params: int
    artifacts: list[str]


class DriftRunFacts(BaseModel):
    """One drift run as the gate sees it."""

    run_id: str
    experiment_id: str
    experiment: str
    run_name: str | None = None
    status: str
    start_time: int = Field(description="Milliseconds since the epoch (MLflow's start_time).")
    started_at: str = Field(description="start_time in ISO 8601, UTC.")
    dataset_drift: bool | None = Field(description="None when the run lacks the mlproof.dataset_drift tag.")
    drift_share: float | None = Field(description="Share of tested columns that drifted.")
    drifted_columns: int | None = None
    reference_digest: str | None = None
    current_digest: str | None = None
    mlproof_version: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)


# ----------------------------------------------------------------------------- the format

def file_digest(path: str | os.PathLike[str]) -> str:
    """sha256 hex of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def column_key(column: str) -> str:
    """The column as a metric-key part MLflow accepts on every platform (see the module doc)."""
    safe = re.sub(r"[^A-Za-z0-9_\-. ]", "_", column)
    safe = re.sub(r"\.{2,}", lambda m: "_" * len(m.group(0)), safe).strip() or "_"
    if safe == column and len(column) <= MAX_KEY_PART:
        return column
    return f"{safe[:MAX_KEY_PART]}_{hashlib.sha1(column.encode('utf-8')).hexdigest()[:8]}"


def _param_value(value: object) -> str:
    text = str(value)
    return text if len(text) <= MAX_PARAM_VALUE else text[: MAX_PARAM_VALUE - 3] + "..."


def run_contents(report: DriftReport, reference_digest: str, current_digest: str,
                 reference_name: str, current_name: str) -> tuple[dict[str, float], dict[str, str], dict[str, str]]:
    """(metrics, params, tags) of the drift run for a report."""
    metrics: dict[str, float] = {
        "dataset_drift": 1.0 if report.dataset_drift else 0.0,
        "drift_share": float(report.share_drifted),
        "drifted_columns": float(report.drifted_columns),
        "tested_columns": float(report.tested_columns),
        "reference_rows": float(report.reference.rows),
        "current_rows": float(report.current.rows),
    }
    params: dict[str, str] = {"drift_share_threshold": _param_value(report.drift_share), "engine": report.engine}
    for column in report.columns:
        if column.status != "tested":
            continue
        key = column_key(column.column)
        if column.statistic is not None:
            metrics[f"drift.{key}.statistic"] = float(column.statistic)
        metrics[f"drift.{key}.drifted"] = 1.0 if column.drifted else 0.0
        params[f"drift.{key}.method"] = _param_value(column.method)
        params[f"drift.{key}.threshold"] = _param_value(column.threshold)
        if key != column.column:
            params[f"drift.{key}.column"] = _param_value(column.column)
    tags = {
        KIND_TAG: KIND,
        VERSION_TAG: __version__,
        REFERENCE_DIGEST_TAG: reference_digest,
        CURRENT_DIGEST_TAG: current_digest,
        DATASET_DRIFT_TAG: "true" if report.dataset_drift else "false",
        "mlproof.reference_name": _param_value(reference_name),
        "mlproof.current_name": _param_value(current_name),
    }
    return metrics, params, tags


# ----------------------------------------------------------------------------- writing

def _inside_working_directory(path: Path) -> bool:
    cwd = Path.cwd().resolve()
    resolved = (cwd / path).resolve() if not path.is_absolute() else path.resolve()
    return resolved == cwd or cwd in resolved.parents


def writable_tracking_uri(tracking_uri: str | None) -> str:
    """The resolved URI, refused when it is a local store (SQLite or a folder) outside the working directory."""
    from mlproof.tracking.connection import resolve_tracking_uri, shown, sqlite_path

    uri = resolve_tracking_uri(tracking_uri)
    local = sqlite_path(uri)
    if uri.startswith("file:"):
        local = Path(re.sub(r"^file:(?://)?", "", uri))
    elif local is None and not re.match(r"^[a-z][a-z0-9+.\-]*:", uri):
        local = Path(uri)  # a plain folder is MLflow's file store
    if local is not None and not _inside_working_directory(local):
        raise MlproofError(f"Refusing to write drift runs to the local store {shown(uri)[:80]}: it lies outside the working "
                           "directory; run from its folder or use an MLflow server URI.")
    return uri


def open_writing_client(tracking_uri: str | None) -> tuple[MlflowClient, str]:
    """A new MlflowClient that may write, for a store checked first (server reachable, local store inside cwd)."""
    from mlflow import MlflowClient

    from mlproof.tracking.connection import check_store, translate_errors

    uri = writable_tracking_uri(tracking_uri)
    check_store(uri, create=True)
    with translate_errors(uri):
        return MlflowClient(tracking_uri=uri, registry_uri=uri), uri


def _experiment_id(client: MlflowClient, name: str) -> str:
    if not name or not name.strip():
        raise MlproofError("--log-to-mlflow needs an experiment name.")
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        return client.create_experiment(name)
    if experiment.lifecycle_stage != "active":
        raise MlproofError(f"The MLflow experiment {name[:80]!r} is deleted; restore it or choose another name.")
    return experiment.experiment_id


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def log_drift_run(report: DriftReport, *, experiment: str, reference_path: str, current_path: str,
                  client: MlflowClient, tracking_uri: str, run_name: str | None = None) -> LoggedDriftRun:
    """Log one drift run (see the module doc for its format) through a writing client."""
    from mlflow.entities import Metric, Param

    from mlproof.tracking.connection import shown, translate_errors

    reference_digest, current_digest = file_digest(reference_path), file_digest(current_path)
    reference_name, current_name = Path(reference_path).name, Path(current_path).name
    metrics, params, tags = run_contents(report, reference_digest, current_digest, reference_name, current_name)
    # MLflow prints "View run ... at" links to stdout when a run ends; stdout may be a JSON report.
    with translate_errors(tracking_uri), contextlib.redirect_stdout(sys.stderr):
        experiment_id = _experiment_id(client, experiment)
        run = client.create_run(experiment_id, run_name=run_name or f"drift {reference_name} vs {current_name}",
                                tags=tags)
        run_id = run.info.run_id
        try:
            now = int(time.time() * 1000)
            for batch in _chunks([Param(k, v) for k, v in params.items()], PARAMS_PER_BATCH):
                client.log_batch(run_id, params=batch)
            for batch in _chunks([Metric(k, v, now, 0) for k, v in metrics.items()], METRICS_PER_BATCH):
                client.log_batch(run_id, metrics=batch)
            with tempfile.TemporaryDirectory(prefix="mlproof-drift-") as folder:
                (Path(folder) / "drift_report.json").write_text(report.to_json(), encoding="utf-8")
                (Path(folder) / "drift_report.html").write_text(report.to_html(), encoding="utf-8")
                client.log_artifacts(run_id, folder, artifact_path="drift")
            client.set_terminated(run_id, "FINISHED")
        except BaseException:
            client.set_terminated(run_id, "FAILED")
            raise
    return LoggedDriftRun(run_id=run_id, experiment_id=experiment_id, experiment=experiment, tracking_uri=shown(tracking_uri),
                          metrics=len(metrics), params=len(params),
                          artifacts=["drift/drift_report.json", "drift/drift_report.html"])


# ----------------------------------------------------------------------------- reading (the gate's side)

def _experiments(client: MlflowClient, experiment: str | None) -> dict[str, str]:
    """{experiment id: name} for the named experiment (name or id), or every active one."""
    if experiment is not None:
        found = client.get_experiment_by_name(experiment)
        if found is None and experiment.isdigit():
            found = client.get_experiment(experiment)
        if found is None:
            raise MlproofError(f"There is no MLflow experiment named {experiment[:80]!r}.")
        return {found.experiment_id: found.name}
    names, token = {}, None
    for _ in range(1000):  # bounded: 1000 pages of 1000 experiments
        page = client.search_experiments(max_results=1000, page_token=token)
        names.update({e.experiment_id: e.name for e in page})
        token = page.token
        if not token:
            break
    return names


def _facts(run, experiments: dict[str, str], tracking_uri: str) -> DriftRunFacts:
    tags, metrics = run.data.tags, run.data.metrics
    flag = tags.get(DATASET_DRIFT_TAG)
    drifted = metrics.get("drifted_columns")
    start = run.info.start_time or 0
    return DriftRunFacts(
        run_id=run.info.run_id,
        experiment_id=run.info.experiment_id,
        experiment=experiments.get(run.info.experiment_id, run.info.experiment_id),
        run_name=run.info.run_name,
        status=run.info.status,
        start_time=start,
        started_at=datetime.fromtimestamp(start / 1000, tz=timezone.utc).isoformat(timespec="seconds"),
        dataset_drift=None if flag is None else flag == "true",
        drift_share=metrics.get("drift_share"),
        drifted_columns=None if drifted is None else int(drifted),
        reference_digest=tags.get(REFERENCE_DIGEST_TAG),
        current_digest=tags.get(CURRENT_DIGEST_TAG),
        mlproof_version=tags.get(VERSION_TAG),
        evidence=[Evidence(kind="mlflow", snippet=f"drift run {run.info.run_name or run.info.run_id}: dataset drift {flag}",
                           detector=KIND_TAG, ids={"run_id": run.info.run_id, "experiment_id": run.info.experiment_id})],
    )


def latest_drift_runs(tracking_uri: str | None = None, experiment: str | None = None, limit: int = 10) -> list[DriftRunFacts]:
    """The newest drift runs (tag mlproof.kind=drift), newest first, in one experiment or all. Read-only."""
    from mlproof.tracking.connection import open_client, resolve_tracking_uri

    if not 1 <= limit <= MAX_RUNS_READ:
        raise MlproofError(f"limit must be between 1 and {MAX_RUNS_READ}.")
    uri = resolve_tracking_uri(tracking_uri)
    with open_client(uri) as client:
        experiments = _experiments(client, experiment)
        if not experiments:
            return []
        runs = client.search_runs(list(experiments), filter_string=f"tags.`{KIND_TAG}` = '{KIND}'",
                                  order_by=["attributes.start_time DESC"], max_results=limit)
        return [_facts(run, experiments, uri) for run in runs]
