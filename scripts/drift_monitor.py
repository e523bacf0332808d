#!/usr/bin/env python3
"""Scheduled drift monitor: compare today's data with a reference, write a report, exit non-zero on drift.

The reference is a local file (or, with --engine spark, a Parquet folder or table:NAME) or an MLflow artifact:
  runs:/<run_id>/<path>                 an artifact logged with a run
  models:/<name>@<alias>/<path>         the same path under the run that produced the
  models:/<name>/<version>/<path>       model version behind an alias (or a version number)
MLflow artifacts are fetched with mlflow.artifacts.download_artifacts into a temporary folder.

Every comparison option of `mlproof drift` is accepted here too (per-column --method/--threshold,
--column-type, --columns, --drift-share, --engine spark, --spark-master URL): both parse them with
mlproof.drift.cli.add_drift_options and run the same engine.

Exit status: 0 no dataset drift, 1 dataset drift (alert), 2 bad input or unreachable MLflow.

Example cron line (every day at 06:00, alert mail from cron on a non-zero exit):
  0 6 * * * cd /srv/churn && /srv/churn/.venv/bin/python scripts/drift_monitor.py \
      --reference models:/churn@champion/data/reference.parquet --current data/today.parquet \
      --report-dir reports/drift --tracking-uri http://127.0.0.1:5000 || echo "drift alert" | mail -s drift ops@example.com
The same job on a Spark cluster, reading catalog tables where they live (needs mlproof[spark] and Java):
  0 6 * * * cd /srv/churn && /srv/churn/.venv/bin/python scripts/drift_monitor.py \
      --reference table:features.train --current table:features.today --engine spark \
      --spark-master spark://10.0.0.5:7077 --report-dir reports/drift || echo "drift alert" | mail -s drift ops@example.com
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

from mlproof.errors import MlproofError

MLFLOW_SCHEMES = ("runs:/", "models:/")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from mlproof.drift.cli import add_drift_options

    parser = argparse.ArgumentParser(description="Scheduled data drift check (exit 1 on dataset drift).")
    parser.add_argument("--reference", required=True, help="File path, runs:/<id>/<path>, models:/<name>@<alias>/<path> or (Spark) table:NAME.")
    parser.add_argument("--current", required=True, help="Current data (.csv, .parquet, .jsonl, .arrow; with --engine spark a Parquet folder or table:NAME).")
    parser.add_argument("--report-dir", default="drift-reports", help="Folder for the report (created if needed).")
    parser.add_argument("--format", choices=["html", "md", "json"], default="html")
    parser.add_argument("--tracking-uri", default=None, help="MLflow tracking URI (default: MLFLOW_TRACKING_URI).")
    add_drift_options(parser)
    return parser.parse_args(argv)


def resolve_reference(reference: str, tracking_uri: str | None, workdir: Path) -> str:
    """A path (or table:NAME) for the reference, downloading MLflow artifacts when given an MLflow URI."""
    if not reference.startswith(MLFLOW_SCHEMES):
        return reference
    import mlflow

    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    artifact_uri = reference
    if reference.startswith("models:/"):
        artifact_uri = _model_to_run_uri(reference)
    try:
        local = mlflow.artifacts.download_artifacts(artifact_uri=artifact_uri, dst_path=str(workdir), tracking_uri=tracking_uri)
    except Exception as err:  # mlflow raises many types; the user needs one sentence
        raise MlproofError(f"Could not download {reference} from MLflow ({str(err).splitlines()[0][:160]}).") from err
    return str(local)


def _model_to_run_uri(uri: str) -> str:
    """models:/name@alias/path or models:/name/version/path -> runs:/<run that logged the version>/path."""
    from mlflow import MlflowClient

    rest = uri[len("models:/"):]
    client = MlflowClient()
    try:
        if "@" in rest.split("/", 1)[0]:
            head, _, path = rest.partition("/")
            name, alias = head.split("@", 1)
            version = client.get_model_version_by_alias(name, alias)
        else:
            name, number, path = (rest.split("/", 2) + ["", ""])[:3]
            version = client.get_model_version(name, number)
    except Exception as err:
        raise MlproofError(f"Could not resolve {uri} in the MLflow registry ({str(err).splitlines()[0][:160]}).") from err
    if not path:
        raise MlproofError(f"{uri} names no file; add the artifact path, e.g. models:/<name>@<alias>/data/reference.parquet.")
    if not version.run_id:
        raise MlproofError(f"Model version {version.name}/{version.version} has no source run to read the reference from.")
    return f"runs:/{version.run_id}/{path}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from mlproof.drift import drift_report
    from mlproof.drift.cli import drift_options

    try:
        options = drift_options(args)
        with tempfile.TemporaryDirectory(prefix="mlproof-drift-") as tmp:
            reference = resolve_reference(args.reference, args.tracking_uri, Path(tmp))
            report = drift_report(reference, args.current, **options)
        out_dir = Path(args.report_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        output = out_dir / f"drift-{stamp}.{args.format}"
        text = {"html": report.to_html, "json": report.to_json, "md": report.to_markdown}[args.format]()
        output.write_text(text, encoding="utf-8")
    except MlproofError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{report.verdict} Report: {output}")
    return 1 if report.dataset_drift else 0


if __name__ == "__main__":
    sys.exit(main())
