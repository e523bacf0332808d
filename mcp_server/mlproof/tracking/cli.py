"""`mlproof experiments`, `mlproof runs ...`, `mlproof models ...`: MLflow facts on the command line.

Everything is read-only except `models set-alias`, which needs --yes.
"""

from __future__ import annotations

import argparse
import json
import sys


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tracking-uri", default=None, help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///.mlproof-demo/mlflow.db).")
    parser.add_argument("--format", choices=["md", "json"], default="md", help="Output format (default: md).")


def _emit(result, fmt: str) -> None:
    """Print a result with every string masked (params and tags by their key, too)."""
    from mlproof.outputs import redact_data, redact_model

    if fmt == "json":
        print(json.dumps(redact_data(result.model_dump(mode="json")), indent=2))
    else:
        print(redact_model(result).to_markdown())


def _quiet_mlflow() -> None:
    """MLflow logs INFO lines (schema migrations, telemetry) that would pollute stdout/JSON."""
    import logging
    import os

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow  # noqa: F401 - mlflow sets its loggers up on import; lower them afterwards

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def register(subparsers: argparse._SubParsersAction) -> None:
    exp = subparsers.add_parser("experiments", help="List MLflow experiments.")
    exp.add_argument("--filter", default=None, help="MLflow experiment filter, e.g. \"name LIKE 'churn%%'\".")
    exp.add_argument("--view", choices=["active", "deleted", "all"], default="active")
    _common(exp)
    exp.set_defaults(handler=_experiments)

    runs = subparsers.add_parser("runs", help="Search, show, compare MLflow runs; pick the best one.")
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="ACTION", parser_class=type(runs))
    runs_sub.required = True

    search = runs_sub.add_parser("search", help="Runs matching an MLflow filter string, one page at a time.")
    search.add_argument("--experiment", "-e", action="append", help="Experiment name or id (repeatable; default: all).")
    search.add_argument("--filter", default="", help="MLflow filter, e.g. \"metrics.val_roc_auc > 0.9 and params.C = '1.0'\".")
    search.add_argument("--order-by", action="append", help="e.g. 'metrics.val_roc_auc DESC' (repeatable).")
    search.add_argument("--max-results", type=int, default=100)
    search.add_argument("--page-token", default=None, help="Token printed by the previous page.")
    _common(search)
    search.set_defaults(handler=_runs_search)

    show = runs_sub.add_parser("show", help="One run: params, final and best metrics, tags, git commit, datasets, artifacts, logged model.")
    show.add_argument("run_id")
    show.add_argument("--no-history", action="store_true", help="Skip metric histories (faster for runs with long histories).")
    _common(show)
    show.set_defaults(handler=_runs_show)

    compare = runs_sub.add_parser("compare", help="Param and metric differences between runs.")
    compare.add_argument("run_ids", nargs="+")
    _common(compare)
    compare.set_defaults(handler=_runs_compare)

    best = runs_sub.add_parser("best", help="The best run by a metric (ties: earliest start_time, then run_id).")
    best.add_argument("--metric", "-m", required=True)
    best.add_argument("--direction", choices=["max", "min"], default=None,
                      help="Whether larger or smaller is better (default: guessed from the name: loss, error, rmse, latency... are minimised).")
    best.add_argument("--experiment", "-e", action="append")
    best.add_argument("--filter", default="")
    _common(best)
    best.set_defaults(handler=_runs_best)

    models = subparsers.add_parser("models", help="Registered models: list, show, lineage, hygiene, set-alias.")
    models_sub = models.add_subparsers(dest="models_command", metavar="ACTION", parser_class=type(models))
    models_sub.required = True

    mlist = models_sub.add_parser("list", help="Registered models with their aliases.")
    mlist.add_argument("--filter", default=None, help="e.g. \"name LIKE 'churn%%'\".")
    _common(mlist)
    mlist.set_defaults(handler=_models_list)

    mshow = models_sub.add_parser("show", help="A model's versions, aliases, tags, descriptions and stages.")
    mshow.add_argument("name")
    _common(mshow)
    mshow.set_defaults(handler=_models_show)

    lineage = models_sub.add_parser("lineage", help="version -> run -> datasets -> git commit.")
    lineage.add_argument("name")
    ref = lineage.add_mutually_exclusive_group()
    ref.add_argument("--version", default=None)
    ref.add_argument("--alias", default=None)
    _common(lineage)
    lineage.set_defaults(handler=_models_lineage)

    hygiene = models_sub.add_parser("hygiene", help="Registry hygiene findings for the version behind an alias (exit 1 on a failed check).")
    hygiene.add_argument("name")
    hygiene.add_argument("--alias", default="champion")
    hygiene.add_argument("--challenger", default="challenger", help="Alias to compare against (default: challenger).")
    hygiene.add_argument("--metric", default=None, help="Primary metric for champion vs challenger.")
    hygiene.add_argument("--repo", default=None, help="Repository to scan for how serving pins the model (models:/ URIs).")
    _common(hygiene)
    hygiene.set_defaults(handler=_models_hygiene)

    alias = models_sub.add_parser("set-alias", help="WRITE: point an alias at a version (needs --yes).")
    alias.add_argument("name")
    alias.add_argument("alias")
    alias.add_argument("version")
    alias.add_argument("--yes", action="store_true", help="Confirm the registry write.")
    _common(alias)
    alias.set_defaults(handler=_models_set_alias)


def _experiments(args) -> int:
    _quiet_mlflow()
    from mlproof.tracking import list_experiments

    _emit(list_experiments(args.tracking_uri, filter_string=args.filter, view=args.view), args.format)
    return 0


def _runs_search(args) -> int:
    _quiet_mlflow()
    from mlproof.tracking import search_runs

    _emit(search_runs(args.tracking_uri, experiments=args.experiment, filter_string=args.filter, order_by=args.order_by,
                      max_results=args.max_results, page_token=args.page_token), args.format)
    return 0


def _runs_show(args) -> int:
    _quiet_mlflow()
    from mlproof.tracking import get_run

    _emit(get_run(args.run_id, args.tracking_uri, history=not args.no_history), args.format)
    return 0


def _runs_compare(args) -> int:
    _quiet_mlflow()
    from mlproof.tracking import compare_runs

    _emit(compare_runs(args.run_ids, args.tracking_uri), args.format)
    return 0


def _runs_best(args) -> int:
    _quiet_mlflow()
    from mlproof.tracking import best_run

    _emit(best_run(args.tracking_uri, metric=args.metric, direction=args.direction, experiments=args.experiment, filter_string=args.filter), args.format)
    return 0


def _models_list(args) -> int:
    _quiet_mlflow()
    from mlproof.tracking import list_models

    _emit(list_models(args.tracking_uri, filter_string=args.filter), args.format)
    return 0


def _models_show(args) -> int:
    _quiet_mlflow()
    from mlproof.tracking import get_model

    _emit(get_model(args.name, args.tracking_uri), args.format)
    return 0


def _models_lineage(args) -> int:
    _quiet_mlflow()
    from mlproof.tracking import model_lineage

    _emit(model_lineage(args.name, version=args.version, alias=args.alias, tracking_uri=args.tracking_uri), args.format)
    return 0


def _models_hygiene(args) -> int:
    _quiet_mlflow()
    from mlproof.tracking import registry_hygiene

    report = registry_hygiene(args.tracking_uri, model=args.name, alias=args.alias, challenger_alias=args.challenger,
                              primary_metric=args.metric, repo=args.repo)
    _emit(report, args.format)
    return 1 if report.failed else 0


def _models_set_alias(args) -> int:
    _quiet_mlflow()
    from mlproof.tracking import set_alias

    change = set_alias(args.name, args.alias, args.version, args.tracking_uri, confirm=args.yes)
    _emit(change, args.format)
    print(f"registry changed: @{change.alias} -> v{change.version}", file=sys.stderr)
    return 0
