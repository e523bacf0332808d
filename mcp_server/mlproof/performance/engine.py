"""`model_performance`: join logged predictions with late labels and judge quality per window and segment.

    model_performance("predictions.jsonl", "labels.csv", baseline=0.90, window="1d")
    model_performance(preds, labels, baseline_model="churn@champion", baseline_metric="val_roc_auc")

Windows are tumbling (non-overlapping) periods of the prediction timestamp,
aligned to the epoch in UTC. A window or segment is judged only when it has at
least `min_labels` labelled predictions; it is degraded when a one-sided test
at `alpha` finds the primary metric worse than the baseline moved by the
relative `tolerance` (metrics.py has the test per metric).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from mlproof.errors import MlproofError
from mlproof.performance import metrics as m
from mlproof.performance.logs import LabelLog, PredictionLog, read_labels, read_predictions
from mlproof.performance.models import Baseline, Counts, LabelDelay, PerformanceReport, QualityRow

WINDOW = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
UNIT_NS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_WINDOWS = 2000
MAX_SEGMENTS = 200
NS_PER_HOUR = 3600 * 1_000_000_000


def parse_window(text: str) -> int:
    match = WINDOW.match(text or "")
    if not match or int(match[1]) == 0:
        raise MlproofError(f"window must look like 30m, 6h, 1d or 1w, got {str(text)[:40]!r}.")
    return int(match[1]) * UNIT_NS[match[2].lower()] * 1_000_000_000


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Joined:
    """The labelled predictions as aligned arrays, plus what each metric needs."""

    def __init__(self, log: PredictionLog, labels: LabelLog, keep: np.ndarray, label_index: np.ndarray):
        self.keep = keep  # indices into the prediction log (deduplicated, filtered)
        self.matched = label_index >= 0
        rows = keep[self.matched]
        self.rows = rows
        self.label_rows = label_index[self.matched]
        self.prediction = log.prediction.canonical()[rows]
        self.label = labels.label.canonical()[self.label_rows]
        self.label_values = labels.label
        self.prediction_values = log.prediction
        self.timestamp = log.timestamp_ns[rows]


def _dedupe_labels(labels: LabelLog) -> tuple[np.ndarray, np.ndarray, int]:
    """(sorted unique ids, row index of the kept label per id, duplicates dropped)."""
    order_key = labels.labelled_at_ns if labels.labelled_at_ns is not None else np.arange(labels.request_id.size)
    order = np.lexsort((np.arange(labels.request_id.size), order_key, labels.request_id))
    ids = labels.request_id[order]
    last = np.ones(ids.size, dtype=bool)
    last[:-1] = ids[1:] != ids[:-1]
    return ids[last], order[last], int(ids.size - last.sum())


def _detect_task(log: PredictionLog, labels: LabelLog, task: str | None) -> tuple[str, str]:
    if task is not None:
        if task not in ("classification", "regression"):
            raise MlproofError(f"task must be classification or regression, got {str(task)[:40]!r}.")
        return task, "given"
    if log.probability is not None or log.score is not None:
        return "classification", "the log has a probability or score column"
    if labels.label.kind in ("string", "bool"):
        return "classification", f"labels are {labels.label.kind}s"
    distinct = np.unique(labels.label.values)
    if distinct.size <= 2 and np.all(distinct == np.round(distinct)):
        return "classification", f"labels take {distinct.size} integer value(s)"
    return "regression", f"labels are numbers with {distinct.size} distinct values"


def _positive(joined: _Joined, given: str | None, notes: list[str]) -> str | None:
    classes = sorted(set(np.unique(joined.label).tolist()) | set(np.unique(joined.prediction).tolist()))
    if given is not None:
        given = str(given)
        if given not in classes:
            raise MlproofError(f"positive_label {given[:40]!r} is not among the classes {classes[:10]}.")
        return given
    if len(classes) > 2:
        return None
    if set(classes) <= {"0", "1"}:
        return "1"
    positive = classes[-1]
    notes.append(f"Positive class {positive!r} (the larger of {classes}); set positive_label to change it.")
    return positive


class _Quality:
    """Per-row quantities for the task, and quality of any subset of joined rows."""

    def __init__(self, task: str, joined: _Joined, log: PredictionLog, positive: str | None):
        self.task = task
        self.available: list[str] = []
        if task == "classification":
            self.correct = joined.prediction == joined.label
            self.available.append("accuracy")
            self.positive = (joined.label == positive) if positive is not None else None
            score = log.probability if log.probability is not None else log.score
            self.score = score[joined.rows] if score is not None and positive is not None else None
            if self.score is not None:
                self.available.append("auc")
            self.log_losses = None
            if log.probability is not None and positive is not None:
                self.log_losses = m.log_loss_rows(self.positive, log.probability[joined.rows])
                self.available.append("log_loss")
        else:
            if joined.label_values.kind == "string" or joined.prediction_values.kind == "string":
                raise MlproofError("Regression needs numeric predictions and labels; set task=classification for classes.")
            errors = joined.prediction_values.values[joined.rows] - joined.label_values.values[joined.label_rows]
            self.abs_errors, self.sq_errors = np.abs(errors), errors * errors
            self.available += ["rmse", "mae"]

    def values(self, mask: np.ndarray) -> dict[str, float | None]:
        if not mask.any():
            return {name: None for name in self.available}
        result: dict[str, float | None] = {}
        if self.task == "classification":
            result["accuracy"] = m.accuracy(self.correct[mask])
            if "auc" in self.available:
                result["auc"] = m.auc(self.positive[mask], self.score[mask])
            if "log_loss" in self.available:
                result["log_loss"] = float(self.log_losses[mask].mean())
        else:
            result["rmse"] = float(np.sqrt(self.sq_errors[mask].mean()))
            result["mae"] = float(self.abs_errors[mask].mean())
        return result

    def p_worse(self, metric: str, mask: np.ndarray, bound: float) -> float | None:
        if metric == "accuracy":
            return m.worse_than(metric, bound, correct=self.correct[mask])
        if metric == "auc":
            return m.worse_than(metric, bound, positive=self.positive[mask], score=self.score[mask])
        losses = {"log_loss": getattr(self, "log_losses", None), "mae": getattr(self, "abs_errors", None),
                  "rmse": getattr(self, "sq_errors", None)}[metric]
        return m.worse_than(metric, bound, losses=losses[mask])


def _settings(tolerance, alpha, min_labels):
    from mlproof.experiments.inputs import number, probability, whole

    tolerance = number(tolerance, "tolerance")
    if not 0 <= tolerance < 1:
        raise MlproofError(f"tolerance is a relative fraction between 0 and 1 (0.05 = 5%), got {tolerance:g}.")
    alpha = probability(alpha, "alpha", high=0.5)
    min_labels = whole(min_labels, "min_labels", minimum=1)
    return tolerance, alpha, min_labels


def _baseline(metric, tolerance, baseline, baseline_run, baseline_model, baseline_metric, tracking_uri) -> Baseline | None:
    from mlproof.experiments.inputs import number

    given = [v is not None for v in (baseline, baseline_run, baseline_model)]
    if sum(given) > 1:
        raise MlproofError("Give one baseline: a number, baseline_run or baseline_model.")
    if not any(given):
        if baseline_metric is not None:
            raise MlproofError("baseline_metric needs baseline_run or baseline_model to read it from.")
        return None
    evidence = None
    if baseline is not None:
        value, source = number(baseline, "baseline"), "given"
    else:
        from mlproof.performance.baseline import champion_metric

        value, source, evidence = champion_metric(baseline_metric or "", run_id=baseline_run, model=baseline_model,
                                                  tracking_uri=tracking_uri)
    higher = m.HIGHER_IS_BETTER[metric]
    if metric in ("accuracy", "auc") and not 0 <= value <= 1:
        raise MlproofError(f"A baseline {metric} must lie between 0 and 1, got {value:g}.")
    if value < 0:
        raise MlproofError(f"A baseline {metric} cannot be negative, got {value:g}.")
    bound = value * (1 - tolerance) if higher else value * (1 + tolerance)
    return Baseline(metric=metric, value=value, source=source, evidence=evidence, tolerance=tolerance, bound=bound,
                    higher_is_better=higher)


def _row(key, predictions, mask, quality: _Quality, metric, baseline, min_labels, alpha, window_end=None) -> QualityRow:
    labelled = int(mask.sum())
    row = QualityRow(key=key, window_end=window_end, predictions=int(predictions), labelled=labelled,
                     coverage=labelled / predictions if predictions else 0.0, metrics=quality.values(mask),
                     judged=labelled >= min_labels)
    if row.judged and baseline is not None and row.metrics.get(metric) is not None:
        row.p_value = quality.p_worse(metric, mask, baseline.bound)
        row.degraded = row.p_value is not None and row.p_value < alpha
    return row


def model_performance(
    predictions: str | Path,
    labels: str | Path,
    *,
    task: str | None = None,
    metric: str | None = None,
    window: str = "1d",
    segment_by: str | None = None,
    baseline: float | None = None,
    baseline_run: str | None = None,
    baseline_model: str | None = None,
    baseline_metric: str | None = None,
    tracking_uri: str | None = None,
    tolerance: float = 0.05,
    alpha: float = 0.05,
    min_labels: int = 100,
    positive_label: str | None = None,
    model_version: str | None = None,
) -> PerformanceReport:
    """Quality of logged predictions against late labels, per window and segment, judged against a baseline."""
    tolerance, alpha, min_labels = _settings(tolerance, alpha, min_labels)
    window_ns = parse_window(window)
    log = read_predictions(predictions, segment_by)
    label_log = read_labels(labels)
    notes = log.notes + label_log.notes

    keep = np.arange(log.request_id.size)
    if model_version is not None:
        if log.model_version is None:
            raise MlproofError("The prediction log has no model_version column to filter on.")
        keep = keep[log.model_version == str(model_version)]
        if keep.size == 0:
            raise MlproofError(f"No prediction in the log comes from model_version {str(model_version)[:40]!r}.")
    _, first = np.unique(log.request_id[keep], return_index=True)
    duplicates = int(keep.size - first.size)
    keep = keep[np.sort(first)]
    if duplicates:
        notes.append(f"{duplicates} repeated request_id(s) in the prediction log; the first of each is kept.")
    label_ids, label_rows, label_duplicates = _dedupe_labels(label_log)
    position = np.searchsorted(label_ids, log.request_id[keep])
    position = np.clip(position, 0, max(label_ids.size - 1, 0))
    found = label_ids[position] == log.request_id[keep]
    label_index = np.where(found, label_rows[position], -1)
    joined = _Joined(log, label_log, keep, label_index)
    orphans = int(label_ids.size - np.isin(label_ids, log.request_id[keep]).sum())

    task, task_reason = _detect_task(log, label_log, task)
    positive = _positive(joined, positive_label, notes) if task == "classification" else None
    if task == "classification" and positive is None and (log.probability is not None or log.score is not None):
        notes.append("More than two classes: AUC and log-loss are skipped, accuracy only.")
    quality = _Quality(task, joined, log, positive)
    if metric is None:
        metric = "auc" if "auc" in quality.available else ("accuracy" if task == "classification" else "rmse")
    if metric not in quality.available:
        raise MlproofError(f"metric {str(metric)[:40]!r} cannot be computed here; available: {', '.join(quality.available)}.")
    reference = _baseline(metric, tolerance, baseline, baseline_run, baseline_model, baseline_metric, tracking_uri)

    starts_all = (log.timestamp_ns[keep] // window_ns) * window_ns
    unique_starts, predictions_per_window = np.unique(starts_all, return_counts=True)
    if unique_starts.size > MAX_WINDOWS:
        raise MlproofError(f"The log spans {unique_starts.size} windows of {window}; choose a longer window (at most {MAX_WINDOWS}).")
    starts_joined = starts_all[joined.matched]
    windows = [_row(_iso(int(start)), count, starts_joined == start, quality, metric, reference, min_labels, alpha,
                    window_end=_iso(int(start + window_ns)))
               for start, count in zip(unique_starts, predictions_per_window)]

    segments = []
    if log.segment is not None:
        segment_all = log.segment[keep]
        names, counts = np.unique(segment_all, return_counts=True)
        if names.size > MAX_SEGMENTS:
            raise MlproofError(f"{log.segment_by!r} has {names.size} distinct values; segment by a column with at most {MAX_SEGMENTS}.")
        segment_joined = segment_all[joined.matched]
        segments = [_row(str(name), count, segment_joined == name, quality, metric, reference, min_labels, alpha)
                    for name, count in zip(names, counts)]

    everything = np.ones(joined.rows.size, dtype=bool)
    overall = _row("all", keep.size, everything, quality, metric, reference, min_labels, alpha)
    delay = _label_delay(log, label_log, joined)
    counts = Counts(predictions=int(keep.size), duplicate_predictions=duplicates, labels=int(label_ids.size),
                    duplicate_labels=label_duplicates, joined=int(joined.rows.size), orphan_labels=orphans,
                    coverage=joined.rows.size / keep.size)
    if label_duplicates:
        notes.append(f"{label_duplicates} repeated label request_id(s); the latest of each is kept.")
    versions = {}
    if log.model_version is not None:
        names, per_version = np.unique(log.model_version[keep], return_counts=True)
        versions = {str(n): int(c) for n, c in zip(names, per_version)}
    report = PerformanceReport(
        predictions_path=str(predictions), labels_path=str(labels), task=task, task_reason=task_reason,
        positive_label=positive, metric=metric, status="not_compared", verdict="", method=_method(metric, min_labels, alpha, reference),
        alpha=alpha, min_labels=min_labels, window=window.strip(), counts=counts, label_delay=delay, overall=overall,
        windows=windows, segment_by=log.segment_by, segments=segments, baseline=reference,
        degraded_windows=[w.key for w in windows if w.degraded], degraded_segments=[s.key for s in segments if s.degraded],
        model_versions=versions, schema_gaps=log.schema_gaps, notes=notes,
    )
    report.status, report.verdict = _verdict(report)
    return report


def _method(metric: str, min_labels: int, alpha: float, reference: Baseline | None) -> str:
    text = (f"Tumbling windows of the prediction timestamp (UTC); a window or segment is judged when it has at least "
            f"{min_labels} labelled predictions, and degraded when a {m.TEST_METHODS[metric]} rejects "
            f"'{metric} no worse than the bound' at alpha = {alpha:g}")
    if reference is not None:
        sign = "-" if reference.higher_is_better else "+"
        text += f"; bound = baseline {reference.value:.4g} {sign} {reference.tolerance:.0%} = {reference.bound:.4g}"
    return text + "."


def _label_delay(log: PredictionLog, labels: LabelLog, joined: _Joined) -> LabelDelay | None:
    if labels.labelled_at_ns is None or joined.rows.size == 0:
        return None
    delay = (labels.labelled_at_ns[joined.label_rows] - log.timestamp_ns[joined.rows]) / NS_PER_HOUR
    return LabelDelay(rows=int(delay.size), median_hours=float(np.median(delay)), p90_hours=float(np.quantile(delay, 0.9)),
                      max_hours=float(delay.max()), negative=int((delay < 0).sum()))


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _verdict(report: PerformanceReport) -> tuple[str, str]:
    judged = [w for w in report.windows if w.judged]
    pending = [w for w in report.windows if not w.judged]
    coverage = f"Label coverage {report.counts.coverage:.0%} ({report.counts.joined:,} of {report.counts.predictions:,} predictions)"
    if report.label_delay is not None:
        coverage += f"; labels arrive a median {report.label_delay.median_hours:.1f} h after the prediction (p90 {report.label_delay.p90_hours:.1f} h)"
    coverage += "."
    if pending:
        coverage += f" {len(pending)} window(s) have fewer than {report.min_labels} labels and are not judged."
    overall = f"Overall {report.metric} = {_fmt(report.overall.metrics.get(report.metric))}."
    if report.baseline is None:
        return "not_compared", (f"{overall} No baseline was given, so nothing is judged degraded; pass the champion's "
                                f"offline {report.metric} (a number, baseline_run or baseline_model). {coverage}")
    if not judged:
        return "insufficient_labels", (f"Not judged yet: no window has {report.min_labels} labelled predictions. "
                                       f"{overall} {coverage}")
    b = report.baseline
    band = f"the bound {b.bound:.4g} (champion {b.value:.4g} from {b.source}, tolerance {b.tolerance:.0%})"
    if report.degraded_windows or report.degraded_segments:
        parts = []
        if report.degraded_windows:
            latest = next(w for w in reversed(report.windows) if w.degraded)
            parts.append(f"{len(report.degraded_windows)} of {len(judged)} judged window(s), latest {latest.key}: "
                         f"{report.metric} {_fmt(latest.metrics.get(report.metric))}, p = {latest.p_value:.2g}")
        if report.degraded_segments:
            parts.append(f"segment(s) {', '.join(report.degraded_segments[:5])}")
        return "degraded", f"Degraded: {report.metric} is significantly worse than {band} in " + "; ".join(parts) + f". {coverage}"
    return "ok", f"No degradation: {report.metric} is not significantly worse than {band} in any of {len(judged)} judged window(s). {overall} {coverage}"
