"""`mlproof demo`: the main job on embedded defaults.

Seeds a local MLflow store with real runs, audits the bundled example project,
checks its data for drift, asks MLflow for the best run and registry hygiene,
and runs the done-gate, so a new user sees every engine on real inputs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mlproof.errors import MlproofError, quoted

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PROJECT = PROJECT_ROOT / "evals" / "fixtures" / "churn-model"
DEFAULT_WORKDIR = Path(".mlproof-demo")
DEMO_MODEL = "churn-classifier"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="Run every engine on the bundled example project and a local MLflow store.")
    parser.add_argument("--project", type=Path, default=DEFAULT_PROJECT, help="Project to audit (default: the bundled example).")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="Where the MLflow store and reports go (default: .mlproof-demo).")
    parser.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    # rich.markdown is slow to import; only the demo needs it, so it loads here.
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.rule import Rule

    console = Console()
    project: Path = args.project
    workdir: Path = args.workdir
    if not project.is_dir():
        raise MlproofError(f"The example project {quoted(str(project))} does not exist; run the demo from a clone of mlproof.")
    if workdir.exists() and not workdir.is_dir():
        raise MlproofError(f"--workdir {quoted(str(workdir))} is a file; give a folder for the demo store and reports.")
    try:
        workdir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise MlproofError(f"--workdir {quoted(str(workdir))} cannot be created ({err.strerror or type(err).__name__}).") from None
    tracking_uri = f"sqlite:///{(workdir / 'mlflow.db').resolve()}"

    console.print(Rule("1. MLflow store: real scikit-learn runs, registered models, aliases"))
    from mlproof.tracking.seed import seed_demo_store

    seed_summary = seed_demo_store(tracking_uri)
    console.print(f"Store: {tracking_uri}")
    console.print(Markdown(seed_summary.to_markdown()))

    console.print(Rule(f"2. Audit of {project}"))
    from mlproof.rubric.audit import run_audit
    from mlproof.rubric.report import render_markdown

    report = run_audit(project)
    console.print(Markdown(render_markdown(report)))

    console.print(Rule("3. Drift: data/reference.csv vs data/current.csv"))
    from mlproof.drift import drift_report

    drift = drift_report(project / "data" / "reference.csv", project / "data" / "current.csv")
    html_path = workdir / "drift.html"
    from mlproof.outputs import redact_model

    html_path.write_text(redact_model(drift).to_html(), encoding="utf-8")
    console.print(Markdown(drift.to_markdown()))
    console.print(f"Drift chart: {html_path.resolve()}")

    console.print(Rule("4. MLflow: which run to promote, and registry hygiene"))
    from mlproof.tracking import best_run, registry_hygiene

    best = best_run(tracking_uri=tracking_uri, metric="val_roc_auc", direction="max")
    console.print(Markdown(best.to_markdown()))
    hygiene = registry_hygiene(tracking_uri=tracking_uri, model=DEMO_MODEL, repo=project)
    console.print(Markdown(hygiene.to_markdown()))

    console.print(Rule("5. Gate: is the deployment done?"))
    from mlproof.gate import gate_claim

    verdict = gate_claim("deployment done", repo=project, tracking_uri=tracking_uri, model=DEMO_MODEL)
    console.print(Markdown(verdict.to_markdown()))

    console.print(Rule("Next"))
    console.print(f"Drift charts: open {html_path.resolve()} in a browser.")
    console.print("Your own project: mlproof audit PATH · mlproof drift REF CUR · mlproof gate 'deployment done' --repo PATH")
    console.print("In Claude Code or another MCP client: mlproof serve (see the README).")
    return 0
