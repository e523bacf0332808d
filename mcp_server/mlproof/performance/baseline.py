"""The champion's offline metric, read from an MLflow run or a registered model version (read-only).

`model` is "name@alias", "name/version" or "models:/name@alias". The metric is
the source run's metric; MLflow 3 logged-model metrics are the fallback.
"""

from __future__ import annotations

import os
import re

from mlproof.errors import MlproofError
from mlproof.evidence import Evidence

MODEL_SPEC = re.compile(r"^(?:models:/)?(?P<name>[^@/]+)(?:@(?P<alias>[\w.-]+)|/(?P<version>\d+))$")


def _uri(tracking_uri: str | None) -> str:
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        # No fallback store: a baseline read from the wrong store would be worse than none.
        raise MlproofError("Reading the champion's metric needs a tracking URI (tracking_uri or MLFLOW_TRACKING_URI).")
    return uri


def _from_logged_model(client, model_id: str | None, metric: str) -> float | None:
    if not model_id:
        return None
    try:
        logged = client.get_logged_model(model_id)
    except Exception:  # older servers have no logged models; the run metric is the main source anyway
        return None
    for item in getattr(logged, "metrics", None) or []:
        if item.key == metric:
            return float(item.value)
    return None


def champion_metric(metric: str, *, run_id: str | None = None, model: str | None = None,
                    tracking_uri: str | None = None) -> tuple[float, str, Evidence]:
    """(value, source sentence, evidence) for `metric` of a run or a model version."""
    from mlproof.tracking.connection import open_client
    from mlproof.tracking.registry import resolve_version

    if not metric or not metric.strip():
        raise MlproofError("baseline_metric names the MLflow metric to compare with (e.g. val_roc_auc).")
    uri = _uri(tracking_uri)
    ids: dict[str, str] = {}
    with open_client(uri) as client:
        model_id = None
        if model is not None:
            match = MODEL_SPEC.match(model.strip())
            if not match:
                raise MlproofError(f"baseline_model must be name@alias or name/version, got {model[:60]!r}.")
            version = match["version"]
            alias = match["alias"]
            facts, _ = resolve_version(client, match["name"], version, alias)
            ids = {"model": facts.name, "version": facts.version}
            if alias:
                ids["alias"] = alias
            run_id, model_id = facts.run_id, facts.model_id
        if not run_id and not model_id:
            raise MlproofError("The model version records no source run to read the metric from.")
        value = None
        if run_id:
            ids["run_id"] = run_id
            run = client.get_run(run_id)
            value = run.data.metrics.get(metric)
        if value is None:
            value = _from_logged_model(client, model_id, metric)
            if model_id:
                ids["model_id"] = model_id
        if value is None:
            raise MlproofError(f"The champion's run logged no metric {metric!r}.")
    where = ", ".join(f"{k}={v}" for k, v in ids.items())
    evidence = Evidence(kind="mlflow", snippet=f"{metric} = {value:.6g}", detector="performance.baseline", ids={**ids, "metric": metric})
    return float(value), f"MLflow ({where})", evidence
