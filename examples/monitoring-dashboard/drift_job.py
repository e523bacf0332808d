"""Scheduled drift job: compare the last window of the prediction log with the training reference and
publish the result as Prometheus gauges.

    python drift_job.py reference.csv predictions.jsonl --textfile /var/lib/node_exporter/churn_drift.prom
    python drift_job.py reference.csv predictions.jsonl --pushgateway 127.0.0.1:9091

The prediction log is JSON Lines with the pack's prediction-log fields (request_id, timestamp,
model_name, model_version, features, prediction, latency_ms); the job reads `features` of the newest
`--window` records. Batch jobs do not live long enough to be scraped, so the gauges go either to a
file for node_exporter's textfile collector (written atomically) or to a Pushgateway.
Exit codes: 0 no dataset drift, 1 dataset drift, 2 bad input (one sentence on stderr).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

from mlproof.drift import drift_report


def read_reference(path: Path) -> dict[str, list]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise ValueError(f"reference '{path.name}' has no rows.")
    columns: dict[str, list] = {name: [] for name in rows[0]}
    for row in rows:
        for name, value in row.items():
            try:
                columns[name].append(float(value))
            except ValueError:
                columns[name].append(value)
    return columns


def read_window(path: Path, window: int) -> tuple[dict[str, list], set[str]]:
    """Feature columns of the newest `window` prediction records, and the model versions they came from."""
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    raise ValueError(f"{path.name}:{number} is not a JSON record.") from None
    records = sorted(records, key=lambda record: record["timestamp"])[-window:]
    if not records:
        raise ValueError(f"prediction log '{path.name}' has no records.")
    columns: dict[str, list] = {}
    for record in records:
        for name, value in record["features"].items():
            columns.setdefault(name, []).append(value)
    return columns, {str(record["model_version"]) for record in records}


def publish(report, model_name: str, versions: set[str]) -> CollectorRegistry:
    registry = CollectorRegistry()
    feature = Gauge("churn_feature_drift_score", "Drift statistic per feature (method label says which).",
                    ["model_name", "feature", "method"], registry=registry)
    drifted = Gauge("churn_feature_drifted", "1 when the feature's statistic crossed its threshold.",
                    ["model_name", "feature"], registry=registry)
    dataset = Gauge("churn_dataset_drift", "1 when the share of drifted features reached drift_share.",
                    ["model_name", "model_versions"], registry=registry)
    finished = Gauge("churn_drift_job_last_success_timestamp_seconds", "When the drift job last finished.",
                     ["model_name"], registry=registry)
    for column in report.columns:
        if column.statistic is not None:
            feature.labels(model_name, column.column, column.method).set(column.statistic)
            drifted.labels(model_name, column.column).set(1 if column.drifted else 0)
    dataset.labels(model_name, ",".join(sorted(versions))).set(1 if report.dataset_drift else 0)
    finished.labels(model_name).set(time.time())
    return registry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("prediction_log", type=Path)
    parser.add_argument("--model-name", default="churn")
    parser.add_argument("--window", type=int, default=1000, help="newest records to test (default 1000)")
    parser.add_argument("--drift-share", type=float, default=0.5)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--textfile", type=Path, help="write gauges here for node_exporter's textfile collector")
    target.add_argument("--pushgateway", help="host:port of a Prometheus Pushgateway")
    args = parser.parse_args(argv)
    try:
        for path in (args.reference, args.prediction_log):
            if not path.is_file():
                raise ValueError(f"'{str(path)[:80]}' is not a readable file.")
        reference = read_reference(args.reference)
        current, versions = read_window(args.prediction_log, args.window)
        shared = {name: reference[name] for name in current if name in reference}
        if not shared:
            raise ValueError("the prediction log's features share no column with the reference.")
        report = drift_report(shared, {name: current[name] for name in shared}, drift_share=args.drift_share)
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    registry = publish(report, args.model_name, versions)
    if args.textfile:
        write_to_textfile(str(args.textfile), registry)  # writes a temp file, then renames: never half a file
    else:
        push_to_gateway(args.pushgateway, job=f"{args.model_name}-drift", registry=registry)
    print(json.dumps({"dataset_drift": report.dataset_drift, "drifted_columns": report.drifted_columns,
                      "tested_columns": report.tested_columns, "model_versions": sorted(versions)}))
    return 1 if report.dataset_drift else 0


if __name__ == "__main__":
    sys.exit(main())
