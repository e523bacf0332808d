"""The registry's side of the proofs: the served alias or version, its signature, an older version, drift runs.

Read-only, through mlproof.tracking. The store is only the one the caller gave
(`--tracking-uri` or MLFLOW_TRACKING_URI): the gate never falls back to the demo
store, so without a URI every registry part is "unknown".
"""

from __future__ import annotations

import os
import statistics
from datetime import datetime, timedelta, timezone

from mlproof.errors import MlproofError
from mlproof.evidence import Evidence
from mlproof.gate.models import ProofPart
from mlproof.repo.redact import redact

NO_URI = "no MLflow tracking URI given (pass --tracking-uri or set MLFLOW_TRACKING_URI); the gate does not read any other store"
MAX_DRIFT_RUNS = 50


def given_tracking_uri(tracking_uri: str | None) -> str | None:
    """The store the caller named, or None: never the embedded demo store."""
    uri = (tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or "").strip()
    return uri or None


class RegistryFacts:
    """What the registry says about NAME@alias (or NAME version N), read once for every proof."""

    def __init__(self, tracking_uri: str, model: str, alias: str | None, version: str | None = None):
        from mlproof.tracking.connection import open_client
        from mlproof.tracking.registry import _all_versions, _registered_model, version_model_facts

        self.uri, self.model, self.alias, self.pinned = tracking_uri, model, alias, version
        with open_client(tracking_uri) as client:
            registered = _registered_model(client, model)
            self.aliases = {a: str(v) for a, v in (registered.aliases or {}).items()}
            self.versions = _all_versions(client, model)
            wanted = version if version is not None else self.aliases.get(alias or "")
            self.current = next((v for v in self.versions if v.version == wanted), None)
            self.logged, self.problem = version_model_facts(client, tracking_uri, self.current) if self.current else (None, None)
            self.run_exists = False
            if self.current is not None and self.current.run_id:
                try:
                    client.get_run(self.current.run_id)
                    self.run_exists = True
                except Exception:  # a deleted or unreadable run is a fact, reported below
                    self.run_exists = False

    @property
    def target(self) -> str:
        return f"version {self.pinned}" if self.pinned is not None else f"@{self.alias}"

    def ids(self, **extra: str) -> dict[str, str]:
        ids = {"model": self.model}
        if self.alias and self.pinned is None:
            ids["alias"] = self.alias
        if self.current is not None:
            ids["version"] = self.current.version
        return {**ids, **extra}

    @property
    def signature(self):
        return self.logged.signature if self.logged is not None else None


def served_version_part(facts: RegistryFacts) -> ProofPart:
    name = "alias" if facts.pinned is None else "version"
    current = facts.current
    if current is None:
        known = ", ".join(f"@{a}=v{v}" for a, v in facts.aliases.items()) or "none"
        what = f"no {facts.target}" if facts.pinned is None else f"no version {facts.pinned}"
        return ProofPart(source="mlflow", name=name, status="missing", detail=f"{facts.model} has {what} (aliases: {known})",
                         evidence=[Evidence(kind="mlflow", detector="registered_model_alias", snippet=f"aliases: {known}", ids={"model": facts.model})])
    ready = current.status == "READY" and facts.run_exists
    why = "READY, source run exists" if ready else f"status {current.status}, source run {'exists' if facts.run_exists else 'missing'}"
    label = f"@{facts.alias} -> version {current.version}" if facts.pinned is None else f"version {current.version}"
    return ProofPart(source="mlflow", name=name, status="satisfied" if ready else "missing", detail=f"{label} ({why})",
                     evidence=[Evidence(kind="mlflow", detector="registered_model_alias", snippet=redact(f"source {current.source}"),
                                        ids=facts.ids(run_id=current.run_id or ""))])


def signature_part(facts: RegistryFacts) -> ProofPart:
    if facts.current is None:
        return ProofPart(source="mlflow", name="signature", status="missing", detail=f"no {facts.target} version to read a signature from")
    signature = facts.signature
    if signature and signature.inputs:
        names = [str(c.get("name", c.get("type"))) for c in signature.inputs]
        return ProofPart(source="mlflow", name="signature", status="satisfied", detail=f"training signature with {len(names)} inputs",
                         evidence=[Evidence(kind="mlflow", detector="mlmodel_signature", snippet=", ".join(names[:8]),
                                            ids=facts.ids(model_id=(facts.logged.model_id or "")))])
    unread = (facts.logged.metadata_error if facts.logged is not None else None) or facts.problem
    if unread:  # the MLmodel was not read (outside the folders mlproof may read, unreadable): no verdict either way
        return ProofPart(source="mlflow", name="signature", status="unknown",
                         detail=f"the MLmodel of version {facts.current.version} was not read: {unread}",
                         evidence=[Evidence(kind="mlflow", detector="mlmodel_signature", snippet=redact(unread[:200]), ids=facts.ids())])
    return ProofPart(source="mlflow", name="signature", status="missing",
                     detail=f"version {facts.current.version} has no input signature" + (f" ({facts.problem})" if facts.problem else ""),
                     evidence=[Evidence(kind="mlflow", detector="mlmodel_signature", snippet="signature: none", ids=facts.ids())])


def previous_version_part(facts: RegistryFacts) -> ProofPart:
    current = facts.current
    if current is None:
        return ProofPart(source="mlflow", name="previous_version", status="missing", detail=f"no {facts.target} version, so nothing to roll back from")
    older = [v for v in facts.versions if int(v.version) < int(current.version) and v.status == "READY"]
    if not older:
        return ProofPart(source="mlflow", name="previous_version", status="missing",
                         detail=f"version {current.version} is the only READY version; there is nothing to restore",
                         evidence=[Evidence(kind="mlflow", detector="model_versions", snippet=f"{len(facts.versions)} version(s)", ids=facts.ids())])
    previous = older[-1]
    return ProofPart(source="mlflow", name="previous_version", status="satisfied", detail=f"version {previous.version} is READY to restore",
                     evidence=[Evidence(kind="mlflow", detector="model_versions", snippet=f"rollback target v{previous.version} (run {previous.run_id})",
                                        ids={"model": facts.model, "version": previous.version, "current_version": current.version})])


def unknown_part(name: str, detail: str) -> ProofPart:
    return ProofPart(source="mlflow", name=name, status="unknown", detail=detail)


# ----------------------------------------------------------------------------- drift runs

def drift_recency_part(tracking_uri: str, experiments: list[str], periods: list[timedelta],
                       now: datetime | None = None) -> ProofPart | None:
    """"ran recently" or "missing: last drift run N days ago"; None when no drift run is logged and none is expected."""
    try:
        from mlproof.tracking.drift_runs import latest_drift_runs
    except ImportError:
        return unknown_part("drift ran recently", "this mlproof cannot read drift runs from MLflow (mlproof.tracking.drift_runs is missing)")
    runs = []
    missing_experiments = []
    for experiment in experiments or [None]:
        try:
            runs += latest_drift_runs(tracking_uri, experiment=experiment, limit=MAX_DRIFT_RUNS)
        except MlproofError as err:
            if experiment is not None and "no MLflow experiment" in str(err):
                missing_experiments.append(experiment)
                continue
            raise
    if not runs:
        if missing_experiments:
            return ProofPart(source="mlflow", name="drift ran recently", status="missing",
                             detail=f"the scheduled job logs drift runs to the experiment {missing_experiments[0]!r}, which the store does not have: it has not run")
        if experiments:
            return ProofPart(source="mlflow", name="drift ran recently", status="missing",
                             detail=f"the scheduled job logs drift runs to {experiments[0]!r}, but the store holds none: it has not run")
        return None
    runs.sort(key=lambda r: r.start_time, reverse=True)
    latest = runs[0]
    now = now or datetime.now(timezone.utc)
    age = now - datetime.fromtimestamp(latest.start_time / 1000, tz=timezone.utc)
    period = min(periods) if periods else _observed_period(runs)
    ids = {"run_id": latest.run_id, "experiment_id": latest.experiment_id}
    evidence = [Evidence(kind="mlflow", detector="mlproof.kind=drift", ids=ids,
                         snippet=f"latest drift run {latest.run_name or latest.run_id} at {latest.started_at}: dataset drift {latest.dataset_drift}")]
    if period is None:
        return ProofPart(source="mlflow", name="drift ran recently", status="unknown", evidence=evidence,
                         detail=f"last drift run {_age(age)} ago, but the schedule's period is not in the repository and one run shows no period")
    source = "the schedule" if periods else "the logged runs"
    if age <= 2 * period:
        return ProofPart(source="mlflow", name="drift ran recently", status="satisfied", evidence=evidence,
                         detail=f"ran recently: last drift run {_age(age)} ago, within two periods of {source} (2 × {_age(period)})")
    return ProofPart(source="mlflow", name="drift ran recently", status="missing", evidence=evidence,
                     detail=f"last drift run {_age(age)} ago, more than two periods of {source} (2 × {_age(period)})")


def _observed_period(runs) -> timedelta | None:
    starts = sorted(r.start_time for r in runs)
    gaps = [b - a for a, b in zip(starts, starts[1:]) if b > a]
    return timedelta(milliseconds=statistics.median(gaps)) if gaps else None


def _age(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    if days >= 1:
        return f"{days:.0f} days" if days >= 2 else f"{days:.1f} days"
    hours = delta.total_seconds() / 3600
    if hours >= 1:
        return f"{hours:.1f} hours"
    minutes = round(max(delta.total_seconds() / 60, 0))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
