"""`mlproof lint PATH...`: exit 0 clean, 1 deprecated APIs found, 2 bad input."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lint",
        help="Find deprecated MLOps APIs (registry stages, Evidently < 0.7, KFP v1, ...) in files; exit 1 when found.",
        description=("Check Python, notebooks, YAML/TOML/JSON, shell and Markdown code blocks for deprecated or removed "
                     "MLOps APIs, with path:line, the replacement and why. Comments, docstrings and prose are not "
                     "code and are skipped. Exit status: 0 clean, 1 findings, 2 bad input."),
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="Files or folders (folders are listed like `mlproof audit` lists them).")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="text (default): one line per finding; json: the LintReport.")
    parser.add_argument("--ignore", action="append", default=[], metavar="RULE",
                        help="Skip a rule id (mlflow.stage_uri) or a whole library (airflow). Repeatable, or comma separated.")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="Print nothing when clean (pre-commit runs the hook on batches of files and shows every batch's output).")
    parser.add_argument("--list-rules", action="store_true", help="Print the rules and exit.")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from mlproof.lint import lint_paths, load_rules

    if args.list_rules:
        for rule in load_rules():
            print(f"{rule.id}: {rule.instead} ({rule.why})")
        return 0
    ignore = [name for item in args.ignore for name in item.split(",")]
    report = lint_paths(args.paths, ignore=ignore)
    if args.format == "json":
        print(report.model_dump_json(indent=2))
    else:
        for finding in report.findings:
            print(finding.text())
        if not (report.clean and args.quiet):
            print(report.summary(), file=sys.stderr if report.clean else sys.stdout)
    return 0 if report.clean else 1
