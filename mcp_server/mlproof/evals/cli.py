"""`mlproof eval`: run the scenarios under each condition and report the difference the skills make."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlproof.errors import MlproofError

DEFAULT_CONDITIONS = "baseline,skill,skill+tools"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="Measure answers with vs without the mlproof skills and tools.",
        description="Run eval scenarios under baseline / skill / skill+tools conditions, grade every answer "
                    "against facts mlproof's engines compute, and report pass rates with paired bootstrap intervals.",
    )
    parser.add_argument("--conditions", default=DEFAULT_CONDITIONS, help=f"Comma-separated conditions (default {DEFAULT_CONDITIONS}).")
    parser.add_argument("--provider", default="replay", choices=["anthropic", "openai", "command", "replay"],
                        help="Who answers: a chat API, a CLI agent (--command), or recorded transcripts (default replay).")
    parser.add_argument("--model", help="Model name for anthropic/openai (defaults: claude-sonnet-4-5, gpt-4.1-mini).")
    parser.add_argument("--base-url", help="Override the API base URL (else ANTHROPIC_BASE_URL / OPENAI_BASE_URL).")
    parser.add_argument("--command", dest="agent_command", help="CLI agent for --provider command; prompt on stdin, answer on stdout.")
    parser.add_argument("--transcripts", type=Path, help="Recorded transcripts for --provider replay (default evals/transcripts).")
    parser.add_argument("--epochs", type=int, default=1, help="Episodes per scenario and condition (default 1).")
    parser.add_argument("--scenarios", help="Glob(s) over scenario ids or file names, comma-separated (default all).")
    parser.add_argument("--scenarios-dir", type=Path, help="Where the scenario YAML files are (default evals/scenarios).")
    parser.add_argument("--tracking-uri", help="Use this MLflow store instead of seeding a fresh demo store.")
    parser.add_argument("--judge", choices=["anthropic", "openai"], help="Also grade the scenario rubrics with this model provider.")
    parser.add_argument("--judge-model", help="Model for --judge.")
    parser.add_argument("--record", type=Path, help="Save every transcript here in the replay format.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the bootstrap (default 0).")
    parser.add_argument("--max-turns", type=int, default=8, help="Bound on tool-use turns per episode (default 8).")
    parser.add_argument("--output", type=Path, help="Directory to write eval-report.md and eval-report.json into.")
    parser.add_argument("--json", action="store_true", help="Print JSON instead of Markdown on stdout.")
    parser.add_argument("--summary-only", action="store_true", help="Leave per-assertion details out of the Markdown.")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    import asyncio

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from mlproof.evals import report, scenarios
    from mlproof.outputs import redact_model
    from mlproof.repo.redact import redact
    from mlproof.evals.providers import make_provider
    from mlproof.evals.runner import run_eval

    conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    if not conditions:
        raise MlproofError("--conditions is empty; use baseline, skill and/or skill+tools.")
    if args.max_turns < 1:
        raise MlproofError("--max-turns must be at least 1.")
    if args.output is not None and args.output.exists() and not args.output.is_dir():
        raise MlproofError(f"--output {args.output} exists and is not a directory.")
    selected = scenarios.load_scenarios(args.scenarios_dir or scenarios.SCENARIOS_DIR, args.scenarios)
    provider = make_provider(args.provider, model=args.model, base_url=args.base_url, command=args.agent_command,
                             transcripts=args.transcripts or scenarios.TRANSCRIPTS_DIR)
    if hasattr(provider, "max_turns"):
        provider.max_turns = args.max_turns
    judge_provider = make_provider(args.judge, model=args.judge_model) if args.judge else None

    async def main():
        console = Console(stderr=True)
        try:
            with Progress(TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          TextColumn("{task.description}"), console=console, transient=True) as bar:
                task = bar.add_task("seeding / starting", total=None)

                def progress(done: int, total: int, what: str) -> None:
                    bar.update(task, completed=done, total=total, description=what)

                return await run_eval(selected, conditions, provider, epochs=args.epochs, seed=args.seed,
                                      judge_provider=judge_provider, record_dir=args.record,
                                      tracking_uri=args.tracking_uri, progress=progress)
        finally:
            await provider.aclose()
            if judge_provider is not None:
                await judge_provider.aclose()

    run = asyncio.run(main())
    if run.episodes and all(e.transcript.error for e in run.episodes):
        raise MlproofError(f"Every episode failed, so nothing was measured; the first error: {run.episodes[0].transcript.error}")
    markdown = report.to_markdown(run, details=not args.summary_only)
    if args.output is not None:
        args.output.mkdir(parents=True, exist_ok=True)
        (args.output / "eval-report.md").write_text(redact(markdown), encoding="utf-8")
        (args.output / "eval-report.json").write_text(report.to_json(redact_model(run)), encoding="utf-8")
        print(f"wrote {args.output / 'eval-report.md'} and {args.output / 'eval-report.json'}", file=sys.stderr)
    sys.stdout.write(report.to_json(run) + "\n" if args.json else markdown)
    return 0
