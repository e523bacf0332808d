"""The CLI and the MCP server offer the same read-only jobs; this table says which command answers which tool.

tests/test_parity.py lists both sides (argparse subcommands and the server's
tools/list) and fails on a tool without a command, a command without a tool
that is not listed in CLI_ONLY, or a tool argument the command cannot express.
The README's parity table is checked against TOOL_COMMANDS too.
"""

from __future__ import annotations

# MCP tool -> CLI command (subcommands separated by a space).
TOOL_COMMANDS: dict[str, str] = {
    "audit_repo": "audit",
    "explain_check": "explain",
    "find_evidence": "evidence",
    "list_checks": "checks",
    "drift_report": "drift",
    "list_experiments": "experiments",
    "search_runs": "runs search",
    "get_run": "runs show",
    "compare_runs": "runs compare",
    "best_run": "runs best",
    "list_models": "models list",
    "get_model": "models show",
    "model_lineage": "models lineage",
    "registry_hygiene": "models hygiene",
    "gate_claim": "gate",
    "ab_test": "ab",
    "model_performance": "performance",
    "lint_files": "lint",
}

# Commands with no tool, and why an agent does not need one over MCP.
CLI_ONLY: dict[str, str] = {
    "models set-alias": "writes to the registry; every MCP tool is read-only",
    "serve": "starts the MCP server itself",
    "eval": "runs paid model providers over many scenarios; a developer harness, not a lookup",
    "demo": "seeds a store and writes reports into a work folder",
    "add": "writes operational pieces into the user's repository; every MCP tool is read-only",
    "init": "writes mlproof's configuration and pre-commit hooks into the user's repository",
    "schema": "prints the JSON Schemas of the outputs; an MCP client already gets each tool's output schema",
}

# Tool argument -> the argparse dest of its command, where the two names differ.
ARGUMENT_NAMES: dict[tuple[str, str], str] = {
    ("audit_repo", "detail"): "format",  # --format summary | json
    ("drift_report", "column_types"): "column_type",
    ("drift_report", "methods"): "method",
    ("drift_report", "thresholds"): "threshold",  # --threshold COL=X
    ("drift_report", "detail"): "format",  # --format json is the full report
    ("list_experiments", "filter_string"): "filter",
    ("search_runs", "experiments"): "experiment",
    ("search_runs", "filter_string"): "filter",
    ("get_run", "history"): "no_history",
    ("best_run", "experiments"): "experiment",
    ("best_run", "filter_string"): "filter",
    ("list_models", "filter_string"): "filter",
    ("registry_hygiene", "model"): "name",
    ("registry_hygiene", "challenger_alias"): "challenger",
    ("registry_hygiene", "primary_metric"): "metric",
    ("ab_test", "lift_type"): "relative",  # --relative
    ("model_performance", "detail"): "format",  # --format json is the full report
}

# Tool arguments the command does without, with the reason (none today; add one only with a reason).
TOOL_ONLY_ARGUMENTS: dict[tuple[str, str], str] = {}
