"""`mlproof drift REFERENCE CURRENT`: exit 0 no dataset drift, 1 dataset drift, 2 bad input."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mlproof.errors import MlproofError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "drift",
        help="Test a current dataset against a reference for data drift (exit 1 on dataset drift).",
        description=(
            "Compare CURRENT with REFERENCE column by column (CSV, Parquet, JSON Lines or Arrow files) using "
            "Evidently-compatible default tests. Exit status: 0 no dataset drift, 1 dataset drift, 2 bad input."
        ),
    )
    parser.add_argument("reference", help="Reference dataset file (.csv, .parquet, .jsonl, .arrow/.feather).")
    parser.add_argument("current", help="Current dataset file, same formats.")
    parser.add_argument("--columns", nargs="+", metavar="COL", help="Only these columns (space or comma separated).")
    parser.add_argument("--method", action="append", default=[], metavar="COL=METHOD",
                        help="Test for a column: ks, wasserstein, psi, jensenshannon, chisquare, z, tvd, hellinger. Repeatable; '*=psi' sets every column it fits.")
    parser.add_argument("--threshold", action="append", default=[], metavar="[COL=]X",
                        help="Drift threshold for every column (X) or one column (COL=X). Repeatable.")
    parser.add_argument("--drift-share", type=float, default=0.5, help="Dataset drift when at least this share of tested columns drift (default 0.5).")
    parser.add_argument("--column-type", action="append", default=[], metavar="COL=TYPE",
                        help="Override a column's type: numerical, categorical or text (text is skipped). Repeatable.")
    parser.add_argument("--format", choices=["md", "json", "html"], default=None,
                        help="Output format (default: a table on a terminal, Markdown otherwise; html needs --output or a pipe).")
    parser.add_argument("--output", "-o", metavar="FILE", help="Write the report here instead of stdout.")
    parser.add_argument("--log-to-mlflow", metavar="EXPERIMENT", default=None,
                        help="Also log the result as one MLflow run in EXPERIMENT (metrics per column, reports as artifacts, data digests as tags).")
    parser.add_argument("--tracking-uri", default=None,
                        help="MLflow store for --log-to-mlflow (default: $MLFLOW_TRACKING_URI, else the demo store); a SQLite store must lie in the working directory.")
    parser.add_argument("--exact-max-rows", type=int, default=None,
                        help="Above this many rows in either input, use the bounded-memory streaming engine (default 20,000,000).")
    parser.set_defaults(handler=run)


def _pairs(items: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise MlproofError(f"--{what} expects COL=VALUE, got {part!r}.")
            key, value = part.split("=", 1)
            pairs[key.strip()] = value.strip()
    return pairs


def _columns(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


def _float(value: str, what: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise MlproofError(f"{what} must be a number, got {value!r}.") from None


def run(args: argparse.Namespace) -> int:
    from mlproof.drift import drift_report
    from mlproof.drift.engine import EXACT_MAX_ROWS
    from mlproof.drift.render import print_terminal

    columns = _columns(args.columns)
    methods = _pairs(args.method, "method")
    thresholds: dict[str, float] = {}
    threshold = None
    for item in args.threshold:
        if "=" in item:
            name, value = item.split("=", 1)
            thresholds[name.strip()] = _float(value, f"The threshold for {name.strip()!r}")
        else:
            threshold = _float(item, "--threshold")
    column_types = _pairs(args.column_type, "column-type")
    mlflow_target = _open_mlflow_target(args) if args.log_to_mlflow is not None else None

    report = drift_report(
        args.reference,
        args.current,
        columns=columns,
        column_types=column_types or None,
        methods=methods or None,
        thresholds=thresholds or None,
        threshold=threshold,
        drift_share=args.drift_share,
        exact_max_rows=args.exact_max_rows or EXACT_MAX_ROWS,
        progress=_progress_printer(),
    )

    if mlflow_target is not None:
        _log_to_mlflow(report, args, *mlflow_target)

    fmt = args.format
    if fmt is None and args.output is None and sys.stdout.isatty():
        print_terminal(report)
        return 1 if report.dataset_drift else 0
    fmt = fmt or (Path(args.output).suffix.lstrip(".") if args.output else "md")
    text = {"json": report.to_json, "html": report.to_html}.get(fmt, report.to_markdown)()
    if args.output:
        output = Path(args.output)
        if not output.parent.exists():
            raise MlproofError(f"The output folder {output.parent} does not exist.")
        output.write_text(text, encoding="utf-8")
        print(f"{report.verdict} Report written to {output}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 1 if report.dataset_drift else 0


def _open_mlflow_target(args: argparse.Namespace):
    """Check the MLflow store before any work, so a bad URI is refused before a report is written."""
    import logging

    from mlproof.tracking.drift_runs import open_writing_client, writable_tracking_uri

    for path in (args.reference, args.current):
        if not Path(path).is_file():
            raise MlproofError(f"--log-to-mlflow needs data files; {path[:80]!r} is not a file.")
    uri = writable_tracking_uri(args.tracking_uri)  # refuses local stores outside the working directory
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow  # noqa: F401 - mlflow sets its loggers up on import; lower them afterwards

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return open_writing_client(uri)


def _log_to_mlflow(report, args: argparse.Namespace, client, uri: str) -> None:
    from mlproof.tracking.drift_runs import log_drift_run

    logged = log_drift_run(report, experiment=args.log_to_mlflow, reference_path=args.reference, current_path=args.current,
                           client=client, tracking_uri=uri)
    print(f"Logged drift run {logged.run_id} to MLflow experiment {logged.experiment!r} at {logged.tracking_uri} "
          f"({logged.metrics} metrics, {logged.params} params, 2 reports).", file=sys.stderr)


def _progress_printer():
    """Columns done / total on stderr when it is a terminal (stdout stays clean for JSON)."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console

    console = Console(stderr=True)

    def show(done: int, total: int) -> None:
        console.print(f"drift: {done}/{total} columns", end="\r")

    return show
