"""Ground truth for grading: what mlproof's engines compute on a scenario's fixture and store.

Graders never trust numbers the answer (or a recorded transcript) brings; they
recompute them here: drift statistics by running the drift engine on the
fixture's datasets, run metrics by reading the seeded MLflow store, check
statuses by auditing the fixture. Everything is cached per scenario run.
"""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path
from typing import Any

from mlproof.errors import MlproofError


def numbers_in(value: Any) -> set[float]:
    """Every finite number anywhere inside a JSON-like value."""
    found: set[float] = set()
    if isinstance(value, bool):
        return found
    if isinstance(value, (int, float)):
        if math.isfinite(value):
            found.add(float(value))
    elif isinstance(value, dict):
        for item in value.values():
            found |= numbers_in(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            found |= numbers_in(item)
    return found


def _field(data, path: str):
    """data["a"][0]["b"] for the path "a.0.b"."""
    for part in path.split("."):
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return None
    return data


class DriftColumn(dict):
    """One column of a drift report as plain data: column, method, statistic, p_value, threshold, drifted."""


def _column_rows(report_data: dict) -> list[DriftColumn]:
    """Normalize the drift report's per-column results (a list or a mapping) to rows."""
    raw = report_data.get("columns") or []
    items = raw.items() if isinstance(raw, dict) else ((None, r) for r in raw)
    rows = []
    for key, row in items:
        row = dict(row)
        row.setdefault("column", key or row.get("name"))
        rows.append(DriftColumn(row))
    return rows


class Facts:
    """Lazily computed facts about one fixture and one MLflow store."""

    def __init__(self, fixture: Path | None, tracking_uri: str | None):
        self.fixture = fixture
        self.tracking_uri = tracking_uri
        self._drift: dict[tuple[str, str], dict] = {}
        self._audit = None
        self._gate: dict[tuple, Any] = {}
        self._reports: dict[tuple, Any] = {}  # ab_test and model_performance reports
        self.known: set[float] = set()  # every number an engine produced while grading

    # -- files ---------------------------------------------------------------
    def fixture_path(self, relative: str) -> Path:
        if self.fixture is None:
            raise MlproofError("This scenario has no fixture, so it has no files to cite.")
        return self.fixture / relative

    # -- drift ---------------------------------------------------------------
    def drift(self, reference: str, current: str) -> dict:
        """The drift engine's report on two fixture datasets, as plain data."""
        key = (reference, current)
        if key not in self._drift:
            from mlproof.drift import drift_report

            report = drift_report(str(self.fixture_path(reference)), str(self.fixture_path(current)))
            data = report.model_dump(mode="json")
            self._drift[key] = data
            # Only the verdict numbers count as known statistics (not histogram counts or bin edges).
            self.known |= numbers_in([data.get("drift_share"), data.get("share_drifted")])
            for row in _column_rows(data):
                self.known |= numbers_in([row.get("statistic"), row.get("p_value"), row.get("threshold")])
        return self._drift[key]

    def drift_columns(self, reference: str, current: str) -> list[DriftColumn]:
        return _column_rows(self.drift(reference, current))

    def drift_column(self, reference: str, current: str, column: str) -> DriftColumn:
        for row in self.drift_columns(reference, current):
            if row.get("column") == column:
                return row
        raise MlproofError(f"The drift report on {reference} vs {current} has no column {column!r}.")

    # -- MLflow --------------------------------------------------------------
    @cached_property
    def runs(self) -> list[dict]:
        """Every run in the store: name, id, metrics, params (read once)."""
        if not self.tracking_uri:
            raise MlproofError("This scenario has no MLflow store to read facts from.")
        from mlproof.tracking.connection import open_client

        rows = []
        with open_client(self.tracking_uri) as client:
            experiments = client.search_experiments()
            for run in client.search_runs([e.experiment_id for e in experiments], max_results=1000):
                rows.append({
                    "name": run.info.run_name,
                    "id": run.info.run_id,
                    "metrics": dict(run.data.metrics),
                    "params": dict(run.data.params),
                })
        for row in rows:
            self.known |= numbers_in(row["metrics"])
        return rows

    def best_run(self, metric: str, direction: str = "max") -> dict:
        candidates = [r for r in self.runs if metric in r["metrics"]]
        if not candidates:
            raise MlproofError(f"No run in {self.tracking_uri} logged the metric {metric!r}.")
        pick = max if direction == "max" else min
        return pick(candidates, key=lambda r: r["metrics"][metric])

    def run_metric(self, run_name: str, metric: str) -> float:
        for row in self.runs:
            if row["name"] == run_name and metric in row["metrics"]:
                return float(row["metrics"][metric])
        raise MlproofError(f"No run named {run_name!r} logged the metric {metric!r} in {self.tracking_uri}.")

    # -- audit ---------------------------------------------------------------
    def audit(self):
        if self._audit is None:
            if self.fixture is None:
                raise MlproofError("This scenario has no fixture to audit.")
            from mlproof.rubric.audit import run_audit

            self._audit = run_audit(str(self.fixture))
            self.known |= numbers_in(self._audit.model_dump(mode="json"))
        return self._audit

    def check_status(self, check_id: str) -> str:
        for check in self.audit().checks:
            if check.id == check_id:
                return check.status
        raise MlproofError(f"The audit has no check {check_id!r}.")

    # -- gate ----------------------------------------------------------------
    def gate(self, claim: str, model: str | None = None, alias: str = "champion"):
        key = (claim, model, alias)
        if key not in self._gate:
            from mlproof.gate import gate_claim

            self._gate[key] = gate_claim(claim, repo=str(self.fixture) if self.fixture else None,
                                         tracking_uri=self.tracking_uri, model=model, alias=alias)
        return self._gate[key]

    # -- A/B tests and model performance -----------------------------------------
    def ab(self, arguments: dict):
        """ab_test on the arguments a scenario gives (the numbers in its prompt)."""
        import json

        key = ("ab", json.dumps(arguments, sort_keys=True))
        if key not in self._reports:
            from mlproof.experiments import ab_test

            report = ab_test(**arguments)
            self._reports[key] = report
            self.known |= numbers_in(report.model_dump(mode="json"))
        return self._reports[key]

    def performance(self, spec: dict):
        """model_performance on the fixture's prediction log and labels."""
        import json

        key = ("performance", json.dumps(spec, sort_keys=True, default=str))
        if key not in self._reports:
            from mlproof.performance import model_performance

            report = model_performance(self.fixture_path(spec["predictions"]), self.fixture_path(spec["labels"]),
                                       **spec.get("arguments", {}))
            self._reports[key] = report
            self.known |= numbers_in(report.model_dump(mode="json", exclude={"windows"}))
            for window in report.windows:  # per-window metrics, not the counts of every window
                self.known |= numbers_in([window.metrics, window.coverage, window.p_value])
        return self._reports[key]

    # -- one named fact, as used by the numbers_match grader -----------------
    def value(self, spec: dict) -> tuple[float, str]:
        """The number a fact spec names, with a sentence saying where it came from."""
        source = spec.get("source")
        if source == "drift":
            row = self.drift_column(spec["reference"], spec["current"], spec["column"])
            field = spec.get("field", "statistic")
            if row.get(field) is None:
                raise MlproofError(f"The drift engine reports no {field} for {spec['column']}.")
            return float(row[field]), f"drift engine: {spec['column']} {row.get('method', '')} {field} = {row[field]:.4g}"
        if source == "drifted_share":
            data = self.drift(spec["reference"], spec["current"])
            share = data.get("share_drifted")
            if share is None:
                raise MlproofError("The drift report does not give the share of drifted columns.")
            return float(share), f"drift engine: share of drifted columns = {share:.4g}"
        if source == "mlflow_best":
            best = self.best_run(spec["metric"], spec.get("direction", "max"))
            value = float(best["metrics"][spec["metric"]])
            return value, f"MLflow: best run {best['name']} ({best['id']}) {spec['metric']} = {value:.4g}"
        if source == "mlflow_run":
            value = self.run_metric(spec["run"], spec["metric"])
            return value, f"MLflow: run {spec['run']} {spec['metric']} = {value:.4g}"
        if source in ("ab", "performance"):
            report = self.ab(spec["arguments"]) if source == "ab" else self.performance(spec)
            value = _field(report.model_dump(mode="json"), spec["field"])
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise MlproofError(f"The {source} report has no number at {spec['field']}.")
            name = "ab_test" if source == "ab" else "model_performance"
            return float(value), f"{name}: {spec['field']} = {value:.6g}"
        if source == "constant":  # a number the scenario itself fixes (e.g. from the prompt)
            return float(spec["value"]), f"scenario constant {spec['value']}"
        raise MlproofError(f"Unknown fact source {source!r}.")
