"""Read-only questions about experiments and runs.

Searches page through MLflow (`max_results` + page tokens) instead of loading
every run, so the best run among 10,000 costs one small query, not a DataFrame.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Literal

from mlproof.errors import MlproofError
from mlproof.evidence import Evidence
from mlproof.tracking.connection import open_client, resolve_tracking_uri
from mlproof.tracking.models import (
    GIT_COMMIT_TAG,
    ArtifactFacts,
    BestRun,
    DatasetFacts,
    ExperimentFacts,
    ExperimentList,
    LoggedModelFacts,
    MetricFacts,
    RunComparison,
    RunFacts,
    RunPage,
    RunSummary,
    SignatureFacts,
)

# Metric names whose smaller values are better; everything else is "higher is better".
LOWER_IS_BETTER_HINTS = ("loss", "error", "err", "rmse", "mse", "mae", "mape", "smape", "perplexity", "latency", "wer", "cer", "brier", "cost")
MAX_PAGE = 50_000  # MLflow's own ceiling for one search page
VIEW_TYPES = {"active": 1, "deleted": 2, "all": 3}  # mlflow.entities.ViewType values


def metric_direction(key: str) -> Literal["max", "min"]:
    """Guess whether a metric improves upwards or downwards from its name."""
    lowered = key.lower()
    return "min" if any(hint in lowered for hint in LOWER_IS_BETTER_HINTS) else "max"


def _check_direction(direction: str) -> Literal["max", "min"]:
    if direction not in ("max", "min"):
        raise MlproofError(f"Direction must be 'max' or 'min', not {direction!r}.")
    return direction  # type: ignore[return-value]


def _quote_key(key: str) -> str:
    if not key or "`" in key:
        raise MlproofError(f"The metric name {key!r} is empty or contains a backtick.")
    return f"`{key}`"


def _experiment_facts(exp) -> ExperimentFacts:
    return ExperimentFacts(
        experiment_id=exp.experiment_id,
        name=exp.name,
        lifecycle_stage=exp.lifecycle_stage,
        artifact_location=exp.artifact_location,
        tags={k: v for k, v in (exp.tags or {}).items()},
        creation_time=exp.creation_time,
        last_update_time=exp.last_update_time,
    )


def _all_experiments(client, filter_string: str | None = None, view: str = "active") -> list:
    """Every experiment (paged; experiment counts are small compared with runs)."""
    if view not in VIEW_TYPES:
        raise MlproofError(f"View must be one of {', '.join(VIEW_TYPES)}, not {view!r}.")
    found, token = [], None
    for _ in range(10_000):  # bounded: at most 10,000 pages of 1,000
        page = client.search_experiments(view_type=VIEW_TYPES[view], max_results=1000, filter_string=filter_string, page_token=token)
        found.extend(page)
        token = page.token
        if not token:
            break
    return found


def list_experiments(tracking_uri: str | None = None, filter_string: str | None = None, view: str = "active") -> ExperimentList:
    """Experiments in the store, optionally filtered with an MLflow experiment filter (e.g. "name LIKE 'churn%'")."""
    uri = resolve_tracking_uri(tracking_uri)
    with open_client(uri) as client:
        experiments = _all_experiments(client, filter_string or None, view)
    return ExperimentList(tracking_uri=uri, experiments=[_experiment_facts(e) for e in experiments])


def resolve_experiment_ids(client, experiments: list[str] | str | None) -> list[str]:
    """Experiment ids from ids or names; None means every active experiment."""
    if experiments is None or experiments == [] or experiments == "":
        return [e.experiment_id for e in _all_experiments(client)]
    wanted = [experiments] if isinstance(experiments, str) else list(experiments)
    ids: list[str] = []
    for item in wanted:
        exp = client.get_experiment_by_name(item)
        if exp is None and str(item).isdigit():
            try:
                exp = client.get_experiment(str(item))
            except Exception:
                exp = None
        if exp is None:
            raise MlproofError(f"No experiment named or numbered {item!r} in the MLflow store.")
        ids.append(exp.experiment_id)
    return ids


def _run_summary(run) -> RunSummary:
    return RunSummary(
        run_id=run.info.run_id,
        run_name=run.info.run_name,
        experiment_id=run.info.experiment_id,
        status=run.info.status,
        start_time=run.info.start_time,
        end_time=run.info.end_time,
        params=dict(run.data.params),
        metrics={k: float(v) for k, v in run.data.metrics.items()},
        git_commit=run.data.tags.get(GIT_COMMIT_TAG),
    )


def search_runs(
    tracking_uri: str | None = None,
    *,
    experiments: list[str] | str | None = None,
    filter_string: str = "",
    order_by: list[str] | None = None,
    max_results: int = 100,
    page_token: str | None = None,
) -> RunPage:
    """One page of runs matching an MLflow filter string; follow `next_page_token` for more."""
    if not 1 <= int(max_results) <= MAX_PAGE:
        raise MlproofError(f"max_results must be between 1 and {MAX_PAGE}, not {max_results}.")
    uri = resolve_tracking_uri(tracking_uri)
    with open_client(uri) as client:
        ids = resolve_experiment_ids(client, experiments)
        if not ids:
            return RunPage(tracking_uri=uri, experiment_ids=[], filter_string=filter_string, order_by=order_by or [], runs=[])
        page = client.search_runs(ids, filter_string=filter_string or "", max_results=int(max_results), order_by=order_by or None, page_token=page_token or None)
        runs = [_run_summary(r) for r in page]
        token = page.token
    return RunPage(tracking_uri=uri, experiment_ids=ids, filter_string=filter_string, order_by=order_by or [], runs=runs, next_page_token=token or None)


def best_run(
    tracking_uri: str | None = None,
    *,
    metric: str,
    direction: str | None = None,
    experiments: list[str] | str | None = None,
    filter_string: str = "",
) -> BestRun:
    """The run with the best latest value of `metric`.

    Without a `direction`, it is guessed from the metric's name (loss, error,
    rmse, latency... are minimised; anything else is maximised) and the result
    says it was guessed, so a caller never promotes the worst run by accident.

    The store sorts (metric, then earliest start_time, then run_id) and we read
    only the first page; NaN and missing values sort last in MLflow's SQL store.
    Further pages are read only while the values keep tying, to report ties.

    Sorting by a metric joins every run's metrics, which MLflow's SQLite store
    does slowly (~15 s for 10,000 runs). So a small unsorted sample first gives
    a value the winner must reach, and the sorted query only sees runs at or
    beyond it: the answer is the same, the join is a few rows.
    """
    guessed = direction is None
    direction = metric_direction(metric) if guessed else _check_direction(direction)
    key = _quote_key(metric)
    order = [f"metrics.{key} {'DESC' if direction == 'max' else 'ASC'}", "attributes.start_time ASC"]
    uri = resolve_tracking_uri(tracking_uri)
    with open_client(uri) as client:
        ids = resolve_experiment_ids(client, experiments)
        if not ids:
            raise MlproofError("The MLflow store has no experiments, so there is no best run.")
        narrowed = _narrow_to_contenders(client, ids, filter_string, metric, key, direction)
        winner, value, ties, seen, token = None, None, [], 0, None
        for _ in range(1000):  # bounded: stops at the first value that no longer ties
            page = client.search_runs(ids, filter_string=narrowed, max_results=50, order_by=order, page_token=token)
            stop = False
            for run in page:
                v = run.data.metrics.get(metric)
                if v is None or math.isnan(v):
                    stop = True  # the store sorts NaN and missing after every real value
                    break
                seen += 1
                if winner is None:
                    winner, value = run, float(v)
                elif float(v) == value:
                    ties.append(run.info.run_id)
                else:
                    stop = True
                    break
            token = page.token
            if stop or not token:
                break
    if winner is None:
        where = f" matching `{filter_string}`" if filter_string else ""
        raise MlproofError(f"No run{where} has a numeric value for metric {metric!r}.")
    summary = _run_summary(winner)
    how = "guessed from the metric name" if guessed else "given"
    evidence = [Evidence(kind="mlflow", snippet=f"{metric}={value:.6g} ({direction}, {how})", detector="best_run",
                         ids={"run_id": summary.run_id, "experiment_id": summary.experiment_id, "metric": metric})]
    return BestRun(tracking_uri=uri, metric=metric, direction=direction, direction_guessed=guessed, experiment_ids=ids,
                   filter_string=filter_string, run=summary, value=value, ties=ties, runs_with_metric_seen=seen,
                   evidence=evidence)


BEST_RUN_SAMPLE = 200


def _filter_number(value: float) -> str:
    """A float MLflow's filter parser accepts (it rejects `1e+20`) that parses back to the same value."""
    from decimal import Decimal

    return format(Decimal(repr(value)), "f")


def _narrow_to_contenders(client, ids: list[str], filter_string: str, metric: str, key: str, direction: str) -> str:
    """The user's filter plus `metric >= best value seen in an unsorted sample` (or <= for min)."""
    sample = client.search_runs(ids, filter_string=filter_string or "", max_results=BEST_RUN_SAMPLE)
    values = [float(v) for r in sample if (v := r.data.metrics.get(metric)) is not None and not math.isnan(v) and not math.isinf(v)]
    if not values:
        return filter_string or ""
    bar = max(values) if direction == "max" else min(values)
    clause = f"metrics.{key} {'>=' if direction == 'max' else '<='} {_filter_number(bar)}"
    return f"{filter_string} and {clause}" if filter_string and filter_string.strip() else clause


def _metric_facts(client, run_id: str, key: str, final: float, with_history: bool) -> MetricFacts:
    direction = metric_direction(key)
    if not with_history:
        return MetricFacts(key=key, final=final, direction=direction)
    history = [m for m in client.get_metric_history(run_id, key) if m.value is not None and not math.isnan(m.value)]
    if not history:
        return MetricFacts(key=key, final=final, direction=direction)
    last = max(history, key=lambda m: (m.step, m.timestamp))
    pick = max if direction == "max" else min
    best = pick(history, key=lambda m: m.value)
    return MetricFacts(key=key, final=final, final_step=last.step, best=best.value, best_step=best.step, direction=direction,
                       history_length=len(history), min=min(m.value for m in history), max=max(m.value for m in history))


def _dataset_facts(run) -> list[DatasetFacts]:
    inputs = run.inputs.dataset_inputs if run.inputs else []
    facts = []
    for item in inputs:
        d = item.dataset
        context = next((t.value for t in item.tags if t.key == "mlflow.data.context"), None)
        facts.append(DatasetFacts(name=d.name, digest=d.digest, source_type=d.source_type, source=d.source, context=context, dataset_schema=d.schema, profile=d.profile))
    return facts


def _list_artifacts(client, store, run, limit: int) -> tuple[list[ArtifactFacts], bool, str | None]:
    """Breadth-first artifact listing, bounded by `limit` entries, where the artifact policy allows it."""
    from mlproof.tracking.artifacts import list_local, locate

    access = locate(run.info.artifact_uri, store, client)
    if access.refused:
        return [], False, f"artifacts not listed: {access.refused}"
    if access.local is not None:
        entries, truncated = list_local(access.local, limit)
        return [ArtifactFacts(path=path, is_dir=is_dir, file_size=size) for path, is_dir, size in entries], truncated, None
    found: list[ArtifactFacts] = []
    queue: list[str | None] = [None]
    while queue:
        for info in client.list_artifacts(run.info.run_id, queue.pop(0)):
            if len(found) >= limit:
                return found, True, None
            found.append(ArtifactFacts(path=info.path, is_dir=info.is_dir, file_size=info.file_size))
            if info.is_dir:
                queue.append(info.path)
    return found, False, None


MAX_MLMODEL_BYTES = 1 << 20  # an MLmodel file is a few KB of YAML


def read_mlmodel(uri: str, model_dir_uri: str, client=None) -> tuple[SignatureFacts | None, bool, list[str], str | None]:
    """Signature, input-example presence and flavors from a model's MLmodel file.

    The location comes from a store record, so it is read only where tracking/artifacts.py
    allows: a local file inside the allowed folders (read directly), or a download the
    store's kind permits. Anything else is the problem returned, never read."""
    from mlflow.models import Model

    from mlproof.tracking.artifacts import join, locate
    from mlproof.tracking.uris import parse_tracking_uri

    store = parse_tracking_uri(uri)
    access = locate(model_dir_uri, store, client)
    if access.local is not None:
        access = locate(str(access.local / "MLmodel"), store)  # the file itself may be a link elsewhere
    if access.refused:
        return None, False, [], f"not read: {access.refused}"
    with tempfile.TemporaryDirectory(prefix="mlproof-mlmodel-") as tmp:
        try:
            if access.local is not None:
                if access.local.stat().st_size > MAX_MLMODEL_BYTES:
                    return None, False, [], "not read: the MLmodel file is larger than 1 MiB"
                local = access.local
            else:
                import mlflow.artifacts

                local = mlflow.artifacts.download_artifacts(artifact_uri=join(access.remote, "MLmodel"), dst_path=tmp,
                                                            tracking_uri=store.uri, registry_uri=store.uri)
            model = Model.load(Path(local))
        except Exception as err:  # a missing or unreadable MLmodel is a fact to report, not a crash
            return None, False, [], f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:200]
    signature = None
    if model.signature is not None:
        sig = model.signature.to_dict()
        import json

        signature = SignatureFacts(
            inputs=json.loads(sig["inputs"]) if sig.get("inputs") else None,
            outputs=json.loads(sig["outputs"]) if sig.get("outputs") else None,
            params=json.loads(sig["params"]) if sig.get("params") else None,
        )
    return signature, model.saved_input_example_info is not None, sorted(model.flavors), None


def logged_model_facts(client, uri: str, model_id: str) -> LoggedModelFacts:
    lm = client.get_logged_model(model_id)
    signature, has_example, flavors, problem = read_mlmodel(uri, lm.artifact_location, client)
    return LoggedModelFacts(model_id=lm.model_id, name=lm.name, source_run_id=lm.source_run_id, artifact_location=lm.artifact_location,
                            model_type=lm.model_type, status=str(lm.status), flavors=flavors, signature=signature,
                            has_input_example=has_example, metadata_error=problem)


def _logged_model_ids(client, run) -> list[str]:
    outputs = run.outputs.model_outputs if run.outputs else []
    ids = [o.model_id for o in outputs]
    if not ids:  # models logged by older clients appear only through search
        page = client.search_logged_models([run.info.experiment_id], filter_string=f"source_run_id = '{run.info.run_id}'", max_results=20)
        ids = [m.model_id for m in page]
    return list(dict.fromkeys(ids))


def run_facts(client, uri: str, run_id: str, *, history: bool = True, max_artifacts: int = 200, models: bool = True) -> RunFacts:
    from mlproof.tracking.uris import parse_tracking_uri

    run = client.get_run(run_id)
    metrics = [_metric_facts(client, run_id, k, float(v), history) for k, v in sorted(run.data.metrics.items())]
    artifacts, truncated, note = _list_artifacts(client, parse_tracking_uri(uri), run, max_artifacts) if max_artifacts > 0 else ([], False, None)
    logged = [logged_model_facts(client, uri, mid) for mid in _logged_model_ids(client, run)] if models else []
    return RunFacts(
        tracking_uri=uri, run_id=run.info.run_id, run_name=run.info.run_name, experiment_id=run.info.experiment_id,
        status=run.info.status, start_time=run.info.start_time, end_time=run.info.end_time, user_id=run.info.user_id,
        artifact_uri=run.info.artifact_uri, lifecycle_stage=run.info.lifecycle_stage, params=dict(run.data.params),
        metrics=metrics, tags=dict(run.data.tags), git_commit=run.data.tags.get(GIT_COMMIT_TAG),
        datasets=_dataset_facts(run), artifacts=artifacts, artifacts_truncated=truncated, artifacts_note=note, logged_models=logged,
    )


def get_run(run_id: str, tracking_uri: str | None = None, *, history: bool = True, max_artifacts: int = 200) -> RunFacts:
    """Everything about one run: params, final and best metrics, tags, git commit, datasets, artifacts, logged models."""
    if not run_id or not str(run_id).strip():
        raise MlproofError("A run id is required.")
    uri = resolve_tracking_uri(tracking_uri)
    with open_client(uri) as client:
        return run_facts(client, uri, str(run_id).strip(), history=history, max_artifacts=max_artifacts)


def compare_runs(run_ids: list[str], tracking_uri: str | None = None) -> RunComparison:
    """Params that differ and the latest value of every metric, side by side, with the leader per metric."""
    run_ids = list(dict.fromkeys(r.strip() for r in run_ids if r and r.strip()))
    if len(run_ids) < 2:
        raise MlproofError("Comparing runs needs at least two distinct run ids.")
    uri = resolve_tracking_uri(tracking_uri)
    with open_client(uri) as client:
        runs = [client.get_run(rid) for rid in run_ids]
    param_keys = sorted({k for r in runs for k in r.data.params})
    differing, same = {}, {}
    for key in param_keys:
        values = {r.info.run_id: r.data.params.get(key) for r in runs}
        if len(set(values.values())) > 1:
            differing[key] = values
        else:
            same[key] = next(iter(values.values()))
    metrics: dict[str, dict[str, float | None]] = {}
    leaders: dict[str, str | None] = {}
    for key in sorted({k for r in runs for k in r.data.metrics}):
        values = {r.info.run_id: (float(r.data.metrics[key]) if key in r.data.metrics else None) for r in runs}
        metrics[key] = values
        scored = [(v, rid) for rid, v in values.items() if v is not None and not math.isnan(v)]
        if scored:
            pick = max if metric_direction(key) == "max" else min
            best_value = pick(v for v, _ in scored)
            best_ids = [rid for v, rid in scored if v == best_value]
            leaders[key] = best_ids[0] if len(best_ids) == 1 else None  # a tie has no leader
    return RunComparison(tracking_uri=uri, run_ids=[r.info.run_id for r in runs], run_names={r.info.run_id: r.info.run_name for r in runs},
                         param_differences=differing, same_params=same, metrics=metrics, metric_leader=leaders)
