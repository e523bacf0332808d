"""`mlproof performance PREDICTIONS LABELS`: exit 0 no degradation, 1 degraded, 2 bad input."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "performance",
        help="Join a prediction log with late labels; quality per window and segment vs the champion (exit 1 when degraded).",
        description=(
            "Join logged predictions with ground truth by request_id, compute accuracy / AUC / log-loss or RMSE / MAE "
            "per time window and per segment, and flag windows significantly worse than the champion's offline metric. "
            "Inputs: CSV, Parquet or JSON Lines in the prediction-log schema. Exit status: 0 no degradation (or not "
            "judged), 1 degraded, 2 bad input."
        ),
    )
    parser.add_argument("predictions", help="Prediction log: request_id, timestamp, model_name, model_version, features, prediction, latency_ms [, probability, score, segment].")
    parser.add_argument("labels", help="Labels: request_id, label [, labelled_at].")
    parser.add_argument("--task", choices=["classification", "regression"], help="Default: detected from the data.")
    parser.add_argument("--metric", choices=["accuracy", "auc", "log_loss", "rmse", "mae"], help="Primary metric (default: auc with scores, else accuracy; rmse for regression).")
    parser.add_argument("--window", default="1d", help="Window length: 30m, 6h, 1d, 1w (default 1d).")
    parser.add_argument("--segment-by", help="Column (or features.NAME) to slice by (default: segment, when logged).")
    baseline = parser.add_mutually_exclusive_group()
    baseline.add_argument("--baseline", type=float, help="The champion's offline value of the primary metric.")
    baseline.add_argument("--baseline-run", metavar="RUN_ID", help="Read the baseline from this MLflow run (with --baseline-metric).")
    baseline.add_argument("--baseline-model", metavar="NAME@ALIAS|NAME/VERSION", help="Read it from a registered model version's run.")
    parser.add_argument("--baseline-metric", help="MLflow metric key of the baseline, e.g. val_roc_auc.")
    parser.add_argument("--tracking-uri", help="MLflow tracking URI for --baseline-run/--baseline-model (default: $MLFLOW_TRACKING_URI; no fallback).")
    parser.add_argument("--tolerance", type=float, default=0.05, help="Relative tolerance around the baseline (default 0.05 = 5%%).")
    parser.add_argument("--alpha", type=float, default=0.05, help="Level of the one-sided degradation test (default 0.05).")
    parser.add_argument("--min-labels", type=int, default=100, help="Labelled predictions a window needs to be judged (default 100).")
    parser.add_argument("--positive-label", help="Positive class for AUC and log-loss (default: 1, True, or the larger label).")
    parser.add_argument("--model-version", help="Only predictions of this model_version.")
    parser.add_argument("--format", choices=["md", "json"], default="md", help="Output format (default: md).")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from mlproof.performance import model_performance

    if args.baseline_run or args.baseline_model:
        from mlproof.tracking.cli import _quiet_mlflow

        _quiet_mlflow()
    report = model_performance(
        args.predictions, args.labels, task=args.task, metric=args.metric, window=args.window, segment_by=args.segment_by,
        baseline=args.baseline, baseline_run=args.baseline_run, baseline_model=args.baseline_model,
        baseline_metric=args.baseline_metric, tracking_uri=args.tracking_uri, tolerance=args.tolerance, alpha=args.alpha,
        min_labels=args.min_labels, positive_label=args.positive_label, model_version=args.model_version,
    )
    if args.format == "json":
        sys.stdout.write(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
    else:
        sys.stdout.write(report.to_markdown())
    return 1 if report.status == "degraded" else 0
