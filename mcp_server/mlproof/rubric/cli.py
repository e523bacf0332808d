"""`mlproof audit`, `mlproof explain CHECK_ID`, `mlproof checks` and `mlproof evidence PATH CHECK|TERM`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlproof.errors import MlproofError

PROGRESS_MIN_FILES = 300  # below this a scan is too quick to need a progress bar


def register(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser("audit", help="Grade a repository on the six MLOps pillars, with evidence.",
                                  description="Scan a repository (read-only) and grade the 34 catalog checks.")
    audit.add_argument("path", help="Repository folder to audit.")
    audit.add_argument("--format", choices=["md", "json", "summary", "sarif", "brief"], default="md",
                       help="md (default), json (the full report), summary (the compact JSON the MCP tool returns by default), "
                            "sarif (SARIF 2.1.0 for code scanning) or brief (a few lines of text).")
    audit.add_argument("--output", "-o", type=Path, help="Write the report to this file instead of stdout.")
    audit.add_argument("--only", metavar="PILLAR", help="Show one pillar: data, dev, deploy, monitor, cicd or gov.")
    audit.add_argument("--fail-under", type=float, metavar="SCORE", help="Exit 1 when the overall score (0-10) is below SCORE.")
    audit.add_argument("--max-file-size", type=float, default=2.0, metavar="MIB", help="Skip files larger than this (default: 2 MiB).")
    audit.add_argument("--quiet", "-q", action="store_true", help="No progress bar on stderr.")
    audit.set_defaults(handler=run_audit_command)

    explain = subparsers.add_parser("explain", help="Explain one audit check: why it matters, how it is detected, how to fix it.")
    explain.add_argument("check_id", help="A check id such as dev.experiment_tracking (see `mlproof checks`).")
    explain.set_defaults(handler=run_explain_command)

    evidence = subparsers.add_parser("evidence", help="Evidence in a repository for one check id, pillar or keyword (exit 1 when none).",
                                     description="Search a repository (read-only) for one check or practice; each hit is "
                                                 "path:line with a redacted snippet. Exit 0 found, 1 nothing found, 2 bad input.")
    evidence.add_argument("path", help="Repository folder.")
    evidence.add_argument("query", help="A check id (dev.experiment_tracking), a pillar (monitor) or a keyword ('feature store').")
    evidence.add_argument("--format", choices=["md", "json"], default="md")
    evidence.set_defaults(handler=run_evidence_command)

    checks = subparsers.add_parser("checks", help="List the audit check catalog.")
    checks.add_argument("--pillar", help="Only this pillar.")
    checks.add_argument("--format", choices=["md", "json", "docs"], default="md",
                        help="md: a table; json: the catalog entries; docs: the check reference page (docs/checks.md).")
    checks.set_defaults(handler=run_checks_command)


def _progress_reporter(quiet: bool):
    """A progress callback drawing a rich bar on stderr for long scans (stdout stays clean)."""
    if quiet:
        return None, lambda: None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    state: dict = {}

    def report(done: int, total: int) -> None:
        if total < PROGRESS_MIN_FILES or not console.is_terminal:
            return
        if "bar" not in state:
            bar = Progress(TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           console=console, transient=True)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("scan", total=total)
        state["bar"].update(state["task"], completed=done)

    def stop() -> None:
        if "bar" in state:
            state["bar"].stop()

    return report, stop


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    if not output.parent.exists():
        raise MlproofError(f"The folder {output.parent} for --output does not exist.")
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as err:
        raise MlproofError(f"Cannot write the report to {output}: {err.strerror or err}.") from None


def run_audit_command(args: argparse.Namespace) -> int:
    from mlproof.rubric.audit import run_audit
    from mlproof.rubric.report import render_brief, render_json, render_markdown
    from mlproof.rubric.sarif import render_sarif

    if args.fail_under is not None and not 0 <= args.fail_under <= 10:
        raise MlproofError("--fail-under takes a score between 0 and 10.")
    if args.max_file_size <= 0:
        raise MlproofError("--max-file-size must be a positive number of MiB.")
    progress, stop = _progress_reporter(args.quiet)
    try:
        report = run_audit(args.path, only=args.only, progress=progress, max_bytes=int(args.max_file_size * 1024 * 1024))
    finally:
        stop()
    if args.format == "summary":
        from mlproof.rubric.summary import audit_summary

        from mlproof.repo.redact import redact

        text = redact(audit_summary(report).model_dump_json(indent=1))
    else:
        render = {"json": render_json, "sarif": render_sarif, "brief": render_brief}.get(args.format, render_markdown)
        text = render(report)
    _write(text, args.output)
    if args.output is not None:
        print(f"Report written to {args.output}", file=sys.stderr)
    if args.fail_under is not None and (report.score or 0.0) < args.fail_under:
        print(f"Audit score {report.score} is below --fail-under {args.fail_under}.", file=sys.stderr)
        return 1
    return 0


def explain_text(check_id: str) -> str:
    from mlproof.rubric.catalog import get_check, load_catalog

    check = get_check(check_id)
    pillar = load_catalog().pillars[check.pillar]
    tests = ", ".join(check.ml_test_score) or "none"
    needs = {"model": "repositories with model code", "serving": "repositories with a serving layer", "none": "every repository"}[check.needs]
    return (
        f"# {check.id} — {check.title}\n\n"
        f"Pillar: {pillar} · weight {check.weight} · effort {check.effort} · impact {check.impact} · applies to {needs}\n"
        f"ML Test Score tests: {tests}\n\n"
        f"## Why it matters\n{check.why}\n\n"
        f"## How mlproof detects it\n{check.detection}\n\n"
        f"## How to fix it\n{check.fix}\n"
    )


def run_explain_command(args: argparse.Namespace) -> int:
    _write(explain_text(args.check_id), None)
    return 0


def run_evidence_command(args: argparse.Namespace) -> int:
    from mlproof.repo.redact import redact
    from mlproof.rubric.lookup import evidence_search

    result = evidence_search(args.path, args.query)
    _write(redact(result.model_dump_json(indent=2) if args.format == "json" else result.to_markdown()), None)
    return 0 if result.found else 1


def run_checks_command(args: argparse.Namespace) -> int:
    import json

    from mlproof.rubric.catalog import load_catalog

    catalog = load_catalog()
    if args.format == "docs":
        from mlproof.rubric.checkdocs import render_check_docs

        if args.pillar:
            raise MlproofError("--format docs writes the whole reference page; leave out --pillar.")
        sys.stdout.write(render_check_docs())
        return 0
    if args.pillar and args.pillar not in catalog.pillars:
        raise MlproofError(f"Unknown pillar {args.pillar!r}; choose one of {', '.join(catalog.pillars)}.")
    checks = [c for c in catalog.checks if not args.pillar or c.pillar == args.pillar]
    if args.format == "json":
        rows = [c.model_dump(exclude={"signals"}) for c in checks]
        _write(json.dumps(rows, indent=2), None)
        return 0
    lines = ["| Check | Pillar | Title | Weight | ML Test Score |", "|---|---|---|---|---|"]
    lines += [f"| `{c.id}` | {catalog.pillars[c.pillar]} | {c.title} | {c.weight} | {', '.join(c.ml_test_score) or '—'} |" for c in checks]
    _write("\n".join(lines), None)
    return 0
