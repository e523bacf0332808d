"""`mlproof add PIECE` and `mlproof init`: write operational pieces into the user's repository.

These are mlproof's only writing commands besides `models set-alias`. They write
only inside --repo, never through a symlink that leaves it, never on --dry-run,
and never over a file that differs without --force. Running one twice changes
nothing the second time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlproof.errors import MlproofError

PIECE_HELP = {
    "drift-monitor": "a scheduled job running `mlproof drift ... --log-to-mlflow` with per-column tests and an alert on drift",
    "retrain-schedule": "a job that retrains on a schedule (and when the drift monitor finds drift)",
    "champion-gate": "a CI job that compares the challenger with the champion before moving the alias",
    "rollback": "a rollback script (alias back to the previous version) and a test that rehearses it against a real MLflow store",
    "prediction-log": "a logging helper (features, model version, latency as JSON Lines), its JSON Schema, and the hook into the app",
    "canary": "a KServe InferenceService that canaries the registry alias",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    add = subparsers.add_parser(
        "add", help="Write an operational piece the gate asks for into a repository, fitted to it (--dry-run shows the diff).",
        description="Pieces: " + "; ".join(f"{name}: {text}" for name, text in PIECE_HELP.items()) + ".")
    add.add_argument("piece", metavar="PIECE", help=", ".join(PIECE_HELP))
    _common(add)
    add.add_argument("--model", default=None, help="Registered model name (default: the one the served or training code names).")
    add.add_argument("--alias", default=None, help="Alias that serves the model (default: the one the served code loads, else champion).")
    add.add_argument("--ci", choices=["github", "gitlab", "kubernetes"], default=None, help="CI system (default: detected).")
    add.add_argument("--reference", default=None, help="drift-monitor: reference data file in the repository (default: detected).")
    add.add_argument("--current", default=None, help="drift-monitor: current (production) data file (default: detected).")
    add.add_argument("--experiment", default=None, help="drift-monitor: MLflow experiment for the drift runs (default: mlproof-drift).")
    add.add_argument("--schedule", default=None, help="drift-monitor / retrain-schedule: cron expression.")
    add.add_argument("--metric", default=None, help="champion-gate: metric of the training runs to compare (default: detected).")
    add.add_argument("--train-command", default=None, help="retrain-schedule: the command that trains (default: detected).")
    add.add_argument("--canary-percent", type=int, default=10, help="canary: share of the traffic for the new revision (default 10).")
    add.add_argument("--namespace", default="default", help="canary: Kubernetes namespace.")
    add.add_argument("--tracking-uri", default=None, help="canary: MLflow store to resolve the alias's artifact location (read-only).")
    add.set_defaults(handler=_add)

    init = subparsers.add_parser("init", help="Add a [tool.mlproof] section and mlproof's pre-commit hooks to a repository.")
    _common(init)
    init.set_defaults(handler=_init)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path("."), help="Repository to write into (default: the current directory).")
    parser.add_argument("--dry-run", action="store_true", help="Print the unified diff; write nothing.")
    parser.add_argument("--force", action="store_true", help="Replace files that exist and differ.")


def _add(args) -> int:
    from mlproof.scaffold import add_piece

    result = add_piece(args.piece, args.repo, dry_run=args.dry_run, force=args.force, model=args.model, alias=args.alias,
                       ci=args.ci, reference=args.reference, current=args.current, experiment=args.experiment,
                       schedule=args.schedule, metric=args.metric, train_command=args.train_command,
                       canary_percent=args.canary_percent, namespace=args.namespace, tracking_uri=args.tracking_uri)
    _report(result, args.dry_run)
    return 0


def _init(args) -> int:
    from mlproof.scaffold import init_repository

    _report(init_repository(args.repo, dry_run=args.dry_run, force=args.force), args.dry_run)
    return 0


def _report(result, dry_run: bool) -> None:
    from mlproof.repo.redact import redact

    if dry_run:
        diff = "".join(p.diff() for p in result.planned if p.action != "unchanged")
        sys.stdout.write(redact(diff) if diff else "nothing to change\n")
    else:
        for p in result.planned:
            print(f"{p.action:>9}  {p.change.rel}")
    for note in result.notes:
        print(f"note: {redact(note)}", file=sys.stderr)


def check_piece(piece: str) -> str:
    from mlproof.scaffold.pieces import PIECES

    if piece not in PIECES:
        shown = "".join(ch if ch.isprintable() else "?" for ch in piece)[:60]
        raise MlproofError(f"Unknown piece {shown!r}; choose one of {', '.join(PIECES)}.")
    return piece
