"""The skills point at things that exist: real MCP tools, real CLI subcommands, served as resources."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import anyio
import pytest

REPO = Path(__file__).resolve().parents[1]
PACK_FILES = sorted((REPO / "skills").glob("*/SKILL.md")) + sorted((REPO / "commands").glob("*.md")) \
    + sorted((REPO / "references").glob("*.md"))
# The MCP tools the issue names; any of them a skill mentions must be served by the real server.
KNOWN_TOOLS = ["audit_repo", "explain_check", "find_evidence", "list_checks", "drift_report", "list_experiments",
               "search_runs", "get_run", "compare_runs", "best_run", "list_models", "get_model", "model_lineage",
               "registry_hygiene", "gate_claim", "ab_test", "model_performance"]
CLI_MENTION = re.compile(r"`mlproof ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?")


def server_listing() -> tuple[set[str], set[str]]:
    """Tool names and resource URIs of the real server, through a real in-process MCP client."""
    from mcp import Client

    from mlproof.server import create_server

    async def listing():
        async with Client(create_server(allow=[REPO])) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            resources = {str(resource.uri) for resource in (await client.list_resources()).resources}
            return tools, resources

    return anyio.run(listing)


@pytest.fixture(scope="module")
def served():
    return server_listing()


def mentioned_tools() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in PACK_FILES:
        text = path.read_text(encoding="utf-8")
        for tool in KNOWN_TOOLS:
            if re.search(rf"`{tool}\b", text):
                found.setdefault(tool, set()).add(str(path.relative_to(REPO)))
    return found


def test_every_mentioned_tool_is_served(served):
    tools, _ = served
    mentioned = mentioned_tools()
    assert {"audit_repo", "gate_claim", "drift_report"} <= set(mentioned)
    missing = {tool: files for tool, files in mentioned.items() if tool not in tools}
    assert not missing, f"skills name tools the server does not provide: {missing}"


def test_skills_references_and_commands_are_served_as_resources(served):
    _, resources = served
    for path in (REPO / "skills").glob("*/SKILL.md"):
        assert f"mlproof://skills/{path.parent.name}" in resources
    for path in (REPO / "references").glob("*.md"):
        assert f"mlproof://references/{path.stem}" in resources
    for path in (REPO / "commands").glob("*.md"):
        assert f"mlproof://commands/{path.stem}" in resources


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse has no public accessor for subparsers
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_mentioned_cli_command_exists():
    from mlproof.cli import build_parser

    top = subcommands(build_parser())
    problems = []
    for path in PACK_FILES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for command, sub in CLI_MENTION.findall(line):
                where = f"{path.relative_to(REPO)}:{number}"
                if command not in top:
                    problems.append(f"{where}: `mlproof {command}` is not a command")
                    continue
                nested = subcommands(top[command])
                if nested and sub and sub not in nested:
                    problems.append(f"{where}: `mlproof {command} {sub}` is not a subcommand")
    assert not problems, "\n".join(problems)


def test_every_check_id_mentioned_is_in_the_catalog():
    """Check ids in skills, references and commands ([dev.model_registry], `deploy.rollback`) are real."""
    from mlproof.rubric.catalog import load_catalog

    known = set(load_catalog().by_id())
    pattern = re.compile(r"(?<![\w./-])((?:data|dev|deploy|monitor|cicd|gov)\.[a-z_]+)\b")
    unknown, seen = [], set()
    for path in PACK_FILES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for check_id in pattern.findall(line):
                seen.add(check_id)
                if check_id not in known:
                    unknown.append(f"{path.relative_to(REPO)}:{number}: {check_id}")
    assert not unknown, "\n".join(unknown)
    assert seen == known, f"the pack never mentions {sorted(known - seen)}"
