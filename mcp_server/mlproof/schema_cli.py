"""`mlproof schema audit|drift|gate|lint|...`: the JSON Schema of each JSON output, from its pydantic model.

CI consumers validate `--format json` output against these; the README says which fields are stable.
"""

from __future__ import annotations

import argparse
import json

# Output name -> (module, model class): imported only for the schema asked for.
OUTPUTS = {
    "audit": ("mlproof.rubric.models", "AuditReport", "mlproof audit --format json"),
    "drift": ("mlproof.drift.models", "DriftReport", "mlproof drift --format json"),
    "gate": ("mlproof.gate.models", "GateVerdict", "mlproof gate --format json"),
    "lint": ("mlproof.lint.models", "LintReport", "mlproof lint --format json"),
    "audit-summary": ("mlproof.rubric.summary", "AuditSummary", "mlproof audit --format summary"),
    "ab": ("mlproof.experiments.models", "ABReport", "mlproof ab --format json"),
    "performance": ("mlproof.performance.models", "PerformanceReport", "mlproof performance --format json"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("schema", help="Print the JSON Schema of a JSON output (audit, drift, gate, lint, ...).",
                                   description="Print the JSON Schema (draft 2020-12) that the command's --format json output follows.")
    parser.add_argument("output", choices=list(OUTPUTS), help="Which output.")
    parser.set_defaults(handler=run)


def json_schema(output: str) -> dict:
    import importlib

    module, name, command = OUTPUTS[output]
    model = getattr(importlib.import_module(module), name)
    schema = model.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$comment": f"The output of `{command}`.", **schema}


def run(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(args.output), indent=2))
    return 0
