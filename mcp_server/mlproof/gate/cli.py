"""`mlproof gate CLAIM --repo PATH [--tracking-uri URI] [--model NAME]`: exit 1 when BLOCKED."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gate",
        help="Check a 'done' claim (deployment done, model promoted, monitoring in place) against real evidence; exit 1 when BLOCKED.",
    )
    parser.add_argument("claim", help="e.g. 'deployment done', 'model promoted', 'monitoring in place'.")
    parser.add_argument("--repo", default=None, help="Repository whose code must show the practices.")
    parser.add_argument("--tracking-uri", default=None, help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI; without one the registry proofs are unknown).")
    parser.add_argument("--model", default=None, help="Registered model name the claim is about (default: the one the served code loads).")
    parser.add_argument("--alias", default=None, help="Alias that serves the model (default: the one the served code loads, else champion).")
    parser.add_argument("--format", choices=["md", "json", "junit"], default="md",
                        help="md (default), json (the GateVerdict), or junit (one test case per proof, for CI test reports).")
    parser.set_defaults(handler=_gate)


def _gate(args) -> int:
    import logging
    import os

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow  # noqa: F401 - mlflow sets its loggers up on import; lower them afterwards

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from mlproof.gate import gate_claim

    from mlproof.outputs import redact_data, redact_model

    verdict = gate_claim(args.claim, repo=args.repo, tracking_uri=args.tracking_uri, model=args.model, alias=args.alias)
    if args.format == "json":
        print(json.dumps(redact_data(verdict.model_dump(mode="json")), indent=2))
    elif args.format == "junit":
        from mlproof.gate.junit import render_junit

        print(render_junit(redact_model(verdict)), end="")
    else:
        print(redact_model(verdict).to_markdown())
    return 0 if verdict.verdict == "PASS" else 1
