#!/usr/bin/env python3
"""Model validation suite: check a registered candidate model before it is promoted, for CI.

Five checks, each with its evidence in one JSON report on stdout:
  signature  the data has every column the model's input signature needs, with a compatible type,
             and MLflow's own schema enforcement accepts it
  metrics    the candidate's metrics on the data meet the thresholds (--threshold roc_auc>=0.80)
  champion   the candidate is not worse than the current champion on the same data, on each
             threshold metric, by more than --max-regression
  slices     every value of each --slice column with at least --min-slice-rows rows meets the
             thresholds less --slice-tolerance (smaller slices are listed as skipped, not hidden)
  latency    single-row prediction latency over a sample (p50/p95/p99); checked against
             --max-p95-ms when given, reported otherwise

Exit codes: 0 every check passed (or was skipped with a reason), 1 a check failed, 2 bad input.

Example (a CI job, after training registered a version under the alias "challenger"):
    python scripts/model_validation_suite.py --model churn --candidate challenger \
        --data data/holdout.parquet --label churned --threshold "roc_auc>=0.80" --threshold "accuracy>=0.70" \
        --slice plan --max-regression 0.01 --max-p95-ms 50 --output validation.json

Binary classification (labels 0/1; scores from the pyfunc's probabilities, or from the scikit-learn
flavour's predict_proba) or regression (--task regression: rmse, mae, r2). Standalone on purpose:
it needs only `mlflow` (which brings pandas and scikit-learn), so it can be copied into any pipeline.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Metric name -> True when larger is better.
CLASSIFICATION_METRICS = {"roc_auc": True, "accuracy": True, "f1": True, "precision": True, "recall": True,
                          "log_loss": False, "brier": False}
REGRESSION_METRICS = {"rmse": False, "mae": False, "r2": True}
THRESHOLD = re.compile(r"^\s*([a-z_0-9]+)\s*(>=|<=)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$")


class SuiteInputError(Exception):
    """Bad input: reported as one sentence with exit code 2."""


def shown(text: object, limit: int = 80) -> str:
    """User input as it may appear in a message: printable characters only, at most `limit` of them."""
    printable = "".join(ch for ch in str(text) if ch.isprintable())
    return printable if len(printable) <= limit else printable[: limit - 3] + "..."


def without_credentials(uri: str) -> str:
    """A store URI without its user:password part (reports are CI artefacts)."""
    return re.sub(r"//[^/@\s]+@", "//***@", uri)


@dataclass
class Threshold:
    metric: str
    operator: str  # ">=" or "<="
    value: float

    def met_by(self, measured: float, tolerance: float = 0.0) -> bool:
        if self.operator == ">=":
            return measured >= self.value - tolerance
        return measured <= self.value + tolerance

    def __str__(self) -> str:
        return f"{self.metric}{self.operator}{self.value:g}"


@dataclass
class Check:
    name: str
    status: str  # pass | fail | skipped
    detail: str
    evidence: dict = field(default_factory=dict)


# ---------------------------------------------------------------- input


def parse_threshold(text: str, known: dict[str, bool]) -> Threshold:
    match = THRESHOLD.match(text)
    if not match:
        raise SuiteInputError(f"--threshold '{shown(text)}' is not METRIC>=VALUE or METRIC<=VALUE.")
    metric, operator, value = match.group(1), match.group(2), float(match.group(3))
    if metric not in known:
        raise SuiteInputError(f"unknown metric '{shown(metric)}' for this task (known: {', '.join(known)}).")
    return Threshold(metric, operator, value)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="registered model name")
    parser.add_argument("--candidate", required=True, help="candidate alias (e.g. challenger) or version number")
    parser.add_argument("--data", required=True, help="evaluation data: .csv or .parquet, with the label column")
    parser.add_argument("--label", required=True, help="label column in --data")
    parser.add_argument("--task", choices=["classification", "regression"], default="classification")
    parser.add_argument("--threshold", action="append", default=[], metavar="METRIC>=VALUE",
                        help="a metric bound, repeatable (roc_auc>=0.8, log_loss<=0.45, rmse<=3.2)")
    parser.add_argument("--champion-alias", default="champion")
    parser.add_argument("--max-regression", type=float, default=0.0,
                        help="how much worse than the champion a threshold metric may be (absolute, default 0)")
    parser.add_argument("--slice", action="append", default=[], metavar="COLUMN", help="slice column, repeatable")
    parser.add_argument("--min-slice-rows", type=int, default=50)
    parser.add_argument("--slice-tolerance", type=float, default=0.05,
                        help="how far below a threshold a slice may be (absolute, default 0.05)")
    parser.add_argument("--latency-rows", type=int, default=100, help="rows scored one at a time (0 = skip)")
    parser.add_argument("--max-p95-ms", type=float, default=None, help="fail when p95 single-row latency exceeds it")
    parser.add_argument("--output", default=None, help="also write the JSON report to this file")
    parser.add_argument("--tracking-uri", default=None, help="MLflow tracking URI (default: MLFLOW_TRACKING_URI)")
    args = parser.parse_args(argv)
    known = CLASSIFICATION_METRICS if args.task == "classification" else REGRESSION_METRICS
    args.thresholds = [parse_threshold(text, known) for text in args.threshold]
    if not args.thresholds:
        raise SuiteInputError("give at least one --threshold (for example roc_auc>=0.8).")
    for name in ("max_regression", "slice_tolerance"):
        value = getattr(args, name)
        if not math.isfinite(value) or value < 0:
            raise SuiteInputError(f"--{name.replace('_', '-')} must be a finite number >= 0.")
    if args.min_slice_rows < 1 or args.latency_rows < 0:
        raise SuiteInputError("--min-slice-rows must be >= 1 and --latency-rows >= 0.")
    if args.max_p95_ms is not None and not (math.isfinite(args.max_p95_ms) and args.max_p95_ms > 0):
        raise SuiteInputError("--max-p95-ms must be a positive number.")
    args.higher_is_better = known
    return args


def load_data(path_text: str, label: str, slices: list[str]):
    import pandas as pd

    path = Path(path_text)
    try:
        exists = path.is_file()
    except OSError:  # a name too long for the file system
        exists = False
    if not exists:
        raise SuiteInputError(f"data file '{shown(path_text)}' does not exist.")
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            frame = pd.read_parquet(path)
        elif path.suffix.lower() == ".csv":
            frame = pd.read_csv(path)
        else:
            raise SuiteInputError(f"data file '{shown(path.name)}' is neither .csv nor .parquet.")
    except SuiteInputError:
        raise
    except Exception as exc:
        raise SuiteInputError(f"data file '{shown(path.name)}' could not be read ({type(exc).__name__}).") from None
    for column in [label, *slices]:
        if column not in frame.columns:
            raise SuiteInputError(f"column '{shown(column)}' is not in the data ({len(frame.columns)} columns).")
    if frame.empty:
        raise SuiteInputError(f"data file '{shown(path.name)}' has no rows.")
    if frame[label].isna().any():
        raise SuiteInputError(f"label column '{shown(label)}' has missing values.")
    return frame


# ---------------------------------------------------------------- the registry


@dataclass
class ModelRef:
    role: str
    version: str
    run_id: str | None
    aliases: list[str]
    uri: str


def resolve(client, model: str, ref: str, role: str) -> ModelRef:
    from mlflow.exceptions import MlflowException

    try:
        version = client.get_model_version(model, ref) if ref.isdigit() else client.get_model_version_by_alias(model, ref)
    except MlflowException as exc:
        kind = "version" if ref.isdigit() else "alias"
        raise SuiteInputError(f"model '{shown(model)}' has no {kind} '{shown(ref)}' ({exc.error_code}).") from None
    return ModelRef(role, str(version.version), version.run_id, list(version.aliases or []),
                    f"models:/{model}/{version.version}")


def champion_of(client, model: str, alias: str) -> ModelRef | None:
    """The version the champion alias points to, or None when the alias does not exist yet."""
    try:
        return resolve(client, model, alias, "champion")
    except SuiteInputError:
        return None


class Scorer:
    """Predictions of one model version: labels and (for classification) positive-class scores."""

    def __init__(self, ref: ModelRef, task: str):
        import mlflow

        self.ref = ref
        self.task = task
        self.pyfunc = mlflow.pyfunc.load_model(ref.uri)
        self.native = None
        self.scores_from = "pyfunc predict"

    def predict(self, features):
        """(labels or values, scores or None) for a DataFrame of features."""
        import numpy as np

        output = np.asarray(self.pyfunc.predict(features))
        if self.task == "regression":
            return output.astype(float).ravel(), None
        if output.ndim == 2 and output.shape[1] == 2:  # probabilities of [negative, positive]
            self.scores_from = "pyfunc predict (class probabilities)"
            return (output[:, 1] >= 0.5).astype(int), output[:, 1].astype(float)
        flat = output.ravel()
        if flat.dtype.kind == "f" and ((flat > 0) & (flat < 1)).any():
            self.scores_from = "pyfunc predict (scores)"
            return (flat >= 0.5).astype(int), flat.astype(float)
        # The pyfunc returns labels; the scikit-learn flavour still has predict_proba.
        if self.native is None and "sklearn" in self.pyfunc.metadata.flavors:
            import mlflow.sklearn

            self.native = mlflow.sklearn.load_model(self.ref.uri)
        if self.native is not None and hasattr(self.native, "predict_proba"):
            self.scores_from = "scikit-learn predict_proba"
            scores = np.asarray(self.native.predict_proba(features))[:, 1].astype(float)
            return flat.astype(int), scores
        self.scores_from = "pyfunc predict (labels only)"
        return flat.astype(int), None


def metrics_of(task: str, truth, predicted, scores) -> dict[str, float]:
    """Every metric of the task that the outputs allow (roc_auc needs scores and both classes)."""
    import numpy as np
    from sklearn import metrics

    truth = np.asarray(truth)
    if task == "regression":
        return {"rmse": float(np.sqrt(metrics.mean_squared_error(truth, predicted))),
                "mae": float(metrics.mean_absolute_error(truth, predicted)),
                "r2": float(metrics.r2_score(truth, predicted)) if len(truth) > 1 else float("nan")}
    result = {"accuracy": float(metrics.accuracy_score(truth, predicted)),
              "f1": float(metrics.f1_score(truth, predicted, zero_division=0)),
              "precision": float(metrics.precision_score(truth, predicted, zero_division=0)),
              "recall": float(metrics.recall_score(truth, predicted, zero_division=0))}
    if scores is not None:
        clipped = np.clip(scores, 1e-15, 1 - 1e-15)
        result["log_loss"] = float(metrics.log_loss(truth, clipped, labels=[0, 1]))
        result["brier"] = float(metrics.brier_score_loss(truth, scores))
        if len(set(truth.tolist())) == 2:
            result["roc_auc"] = float(metrics.roc_auc_score(truth, scores))
    return {name: round(value, 6) for name, value in result.items()}


# ---------------------------------------------------------------- the checks


def python_kind(mlflow_type: str) -> str:
    return {"boolean": "b", "integer": "i", "long": "i", "float": "f", "double": "f", "string": "O",
            "binary": "O", "datetime": "M"}.get(mlflow_type, "?")


def column_problem(series, mlflow_type: str) -> str | None:
    """Why a data column cannot feed an input of this MLflow type; None when it can."""
    import pandas as pd

    wanted = python_kind(mlflow_type)
    example = shown(series.dropna().iloc[0], 30) if series.notna().any() else "only missing values"
    if wanted == "i" and not pd.api.types.is_integer_dtype(series):
        return f"expects {mlflow_type}, the data has {series.dtype} (e.g. {example!r})"
    if wanted == "f" and (not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        return f"expects {mlflow_type}, the data has {series.dtype} (e.g. {example!r})"
    if wanted == "b" and not pd.api.types.is_bool_dtype(series):
        return f"expects boolean, the data has {series.dtype}"
    if wanted == "O" and mlflow_type == "string" and not (pd.api.types.is_string_dtype(series)
                                                          or pd.api.types.is_object_dtype(series)):
        return f"expects string, the data has {series.dtype} (e.g. {example!r})"
    if wanted == "M" and not pd.api.types.is_datetime64_any_dtype(series):
        return f"expects datetime, the data has {series.dtype}"
    return None


def signature_check(scorer: Scorer, frame, label: str) -> tuple[Check, list[str]]:
    """The input signature against the data's columns; returns the check and the feature columns."""
    from mlflow.exceptions import MlflowException

    signature = scorer.pyfunc.metadata.get_input_schema()
    if signature is None or not signature.has_input_names():
        features = [c for c in frame.columns if c != label]
        return Check("signature", "fail", "the candidate was logged without a named input signature, so the data "
                     "cannot be checked against it; log it with signature=infer_signature(X, y)",
                     {"model_uri": scorer.ref.uri}), features
    problems, expected = {}, {}
    for spec in signature.inputs:
        name, type_name = spec.name, getattr(spec.type, "name", str(spec.type))
        expected[name] = type_name
        if name not in frame.columns:
            if getattr(spec, "required", True):
                problems[name] = "missing from the data"
            continue
        if (problem := column_problem(frame[name], type_name)) is not None:
            problems[name] = problem
    features = [name for name in expected if name in frame.columns]
    evidence = {"model_uri": scorer.ref.uri, "expected": expected,
                "data_columns": {c: str(frame[c].dtype) for c in frame.columns}}
    if not problems:
        try:  # MLflow's own enforcement, on a few rows, catches what the type map above does not
            scorer.pyfunc.predict(frame[features].head(5))
        except MlflowException as exc:
            problems["(schema enforcement)"] = shown(str(exc).splitlines()[0], 200)
    if problems:
        evidence["problems"] = problems
        listed = "; ".join(f"{name}: {why}" for name, why in problems.items())
        return Check("signature", "fail", f"the data does not match the input signature ({listed})", evidence), features
    return Check("signature", "pass", f"all {len(expected)} signature inputs are present with compatible types",
                 evidence), features


def metrics_check(measured: dict, thresholds: list[Threshold], ref: ModelRef, rows: int, scores_from: str) -> Check:
    results, failed = [], []
    for threshold in thresholds:
        value = measured.get(threshold.metric)
        ok = value is not None and threshold.met_by(value)
        results.append({"metric": threshold.metric, "threshold": str(threshold), "value": value, "passed": ok})
        if not ok:
            failed.append(f"{threshold.metric} {value if value is not None else 'not computable'} "
                          f"misses {threshold}")
    evidence = {"model_uri": ref.uri, "run_id": ref.run_id, "rows": rows, "scores_from": scores_from,
                "metrics": measured, "thresholds": results}
    if failed:
        return Check("metrics", "fail", "; ".join(failed), evidence)
    return Check("metrics", "pass", ", ".join(f"{r['metric']} {r['value']} meets {r['threshold']}" for r in results),
                 evidence)


def champion_check(candidate: dict, champion: dict | None, champion_ref: ModelRef | None, candidate_ref: ModelRef,
                   thresholds: list[Threshold], higher_is_better: dict, max_regression: float, alias: str) -> Check:
    if champion_ref is None:
        return Check("champion", "skipped", f"no '{alias}' alias yet, so there is no champion to compare with "
                     "(first version)", {"alias": alias})
    evidence = {"champion": asdict(champion_ref), "max_regression": max_regression, "comparisons": []}
    if champion_ref.version == candidate_ref.version:
        return Check("champion", "skipped", f"the candidate is the champion already (version {candidate_ref.version})",
                     evidence)
    worse = []
    for metric in dict.fromkeys(t.metric for t in thresholds):
        ours, theirs = candidate.get(metric), champion.get(metric)
        if ours is None or theirs is None:
            worse.append(f"{metric} not computable for both models")
            continue
        # Positive = candidate better, in the metric's good direction.
        gain = ours - theirs if higher_is_better[metric] else theirs - ours
        ok = gain >= -max_regression
        evidence["comparisons"].append({"metric": metric, "candidate": ours, "champion": theirs,
                                        "gain": round(gain, 6), "passed": ok})
        if not ok:
            worse.append(f"{metric} {ours} vs champion {theirs} (worse by {-gain:.4g} > allowed {max_regression:g})")
    if worse:
        return Check("champion", "fail", f"worse than champion version {champion_ref.version}: " + "; ".join(worse),
                     evidence)
    return Check("champion", "pass", f"not worse than champion version {champion_ref.version} by more than "
                 f"{max_regression:g} on {', '.join(c['metric'] for c in evidence['comparisons'])}", evidence)


def slices_check(frame, truth, predicted, scores, args) -> Check:
    import numpy as np

    if not args.slice:
        return Check("slices", "skipped", "no --slice column given", {})
    evaluated, skipped, failed = [], [], []
    for column in args.slice:
        for value, index in frame.groupby(column, dropna=False).indices.items():
            label = f"{column}={shown(value, 40)}"
            if len(index) < args.min_slice_rows:
                skipped.append({"slice": label, "rows": int(len(index)),
                                "reason": f"fewer than {args.min_slice_rows} rows"})
                continue
            measured = metrics_of(args.task, np.asarray(truth)[index], predicted[index],
                                  None if scores is None else scores[index])
            row = {"slice": label, "rows": int(len(index)), "metrics": {}}
            for threshold in args.thresholds:
                got = measured.get(threshold.metric)
                row["metrics"][threshold.metric] = got
                if got is None:
                    skipped.append({"slice": label, "rows": int(len(index)),
                                    "reason": f"{threshold.metric} not computable (one class only)"})
                elif not threshold.met_by(got, args.slice_tolerance):
                    failed.append(f"{label} ({len(index)} rows): {threshold.metric} {got} misses {threshold} "
                                  f"less tolerance {args.slice_tolerance:g}")
            evaluated.append(row)
    evidence = {"columns": args.slice, "min_rows": args.min_slice_rows, "tolerance": args.slice_tolerance,
                "evaluated": evaluated, "skipped": skipped}
    if failed:
        return Check("slices", "fail", "; ".join(failed), evidence)
    if not evaluated:
        return Check("slices", "skipped", f"no slice has {args.min_slice_rows} rows or more", evidence)
    return Check("slices", "pass", f"{len(evaluated)} slices meet the thresholds (tolerance {args.slice_tolerance:g});"
                 f" {len(skipped)} skipped", evidence)


def latency_check(scorer: Scorer, features, rows: int, max_p95_ms: float | None) -> Check:
    import numpy as np

    if rows == 0:
        return Check("latency", "skipped", "--latency-rows 0", {})
    sample = features.sample(n=min(rows, len(features)), random_state=0)
    for i in range(min(3, len(sample))):  # warm-up: first calls pay for lazy imports and caches
        scorer.pyfunc.predict(sample.iloc[[i]])
    timings = []
    for i in range(len(sample)):
        start = time.perf_counter()
        scorer.pyfunc.predict(sample.iloc[[i]])
        timings.append((time.perf_counter() - start) * 1000)
    p50, p95, p99 = (round(float(np.percentile(timings, q)), 3) for q in (50, 95, 99))
    evidence = {"rows": len(sample), "method": "single-row pyfunc predict in this process, after 3 warm-up calls",
                "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "max_p95_ms": max_p95_ms}
    if max_p95_ms is None:
        return Check("latency", "pass", f"p95 {p95} ms over {len(sample)} single-row calls (no budget given)", evidence)
    if p95 > max_p95_ms:
        return Check("latency", "fail", f"p95 {p95} ms over {len(sample)} single-row calls exceeds {max_p95_ms:g} ms",
                     evidence)
    return Check("latency", "pass", f"p95 {p95} ms over {len(sample)} single-row calls is within {max_p95_ms:g} ms",
                 evidence)


# ---------------------------------------------------------------- the suite


def run_suite(args: argparse.Namespace) -> tuple[int, dict]:
    # Fail fast on an unreachable server instead of MLflow's minutes of retries (env still wins).
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    frame = load_data(args.data, args.label, args.slice)
    if args.tracking_uri:
        mlflow.set_tracking_uri(args.tracking_uri)
    client = MlflowClient()
    try:
        client.get_registered_model(args.model)
    except MlflowException as exc:
        raise SuiteInputError(f"registered model '{shown(args.model)}' was not found ({exc.error_code}).") from None
    candidate_ref = resolve(client, args.model, args.candidate, "candidate")
    champion_ref = champion_of(client, args.model, args.champion_alias)
    truth = frame[args.label].to_numpy()
    if args.task == "classification" and not set(truth.tolist()) <= {0, 1}:
        raise SuiteInputError(f"label column '{shown(args.label)}' must hold 0/1 for classification.")

    candidate = Scorer(candidate_ref, args.task)
    signature, features = signature_check(candidate, frame, args.label)
    checks = [signature]
    if signature.status == "fail":
        reason = "not run: the data does not fit the candidate's signature"
        checks += [Check(name, "skipped", reason) for name in ("metrics", "champion", "slices", "latency")]
    else:
        predicted, scores = candidate.predict(frame[features])
        measured = metrics_of(args.task, truth, predicted, scores)
        checks.append(metrics_check(measured, args.thresholds, candidate_ref, len(frame), candidate.scores_from))
        champion_measured = None
        if champion_ref is not None and champion_ref.version != candidate_ref.version:
            champion = Scorer(champion_ref, args.task)
            champion_measured = metrics_of(args.task, truth, *champion.predict(frame[features]))
        checks.append(champion_check(measured, champion_measured, champion_ref, candidate_ref, args.thresholds,
                                     args.higher_is_better, args.max_regression, args.champion_alias))
        checks.append(slices_check(frame, truth, predicted, scores, args))
        checks.append(latency_check(candidate, frame[features], args.latency_rows, args.max_p95_ms))

    failed = [check.name for check in checks if check.status == "fail"]
    report = {
        "verdict": "FAIL" if failed else "PASS",
        "failed_checks": failed,
        "model": args.model,
        "candidate": asdict(candidate_ref),
        "champion": asdict(champion_ref) if champion_ref else None,
        "data": {"path": args.data, "rows": len(frame), "label": args.label, "task": args.task},
        "checks": [asdict(check) for check in checks],
        "tracking_uri": without_credentials(mlflow.get_tracking_uri()),
    }
    return (1 if failed else 0), report


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
        code, report = run_suite(args)
    except SuiteInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # unreachable store, unreadable model: one sentence, no traceback
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"error: the model or its store could not be read ({type(exc).__name__}: {shown(first_line)}).",
              file=sys.stderr)
        return 2
    text = json.dumps(report, indent=2, default=str)
    if args.output:
        try:
            Path(args.output).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            print(f"error: the report could not be written to '{shown(args.output)}' ({exc.strerror}).", file=sys.stderr)
            return 2
    print(text)
    for check in report["checks"]:
        print(f"{check['status'].upper():7} {check['name']}: {check['detail']}", file=sys.stderr)
    print(f"{report['verdict']}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
