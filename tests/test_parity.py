"""CLI and MCP parity: every tool has a command that can say the same, every agent-facing command has a tool.

Both sides are listed for real: argparse's subcommands from `build_parser()`
and `tools/list` from the server through the SDK's in-process client; the
mapping between them is data in mlproof/parity.py.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import anyio
import pytest

from mlproof.cli import build_parser
from mlproof.parity import ARGUMENT_NAMES, CLI_ONLY, TOOL_COMMANDS, TOOL_ONLY_ARGUMENTS

REPO = Path(__file__).resolve().parents[1]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse has no public accessor for subparsers
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_commands(parser: argparse.ArgumentParser | None = None, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Leaf commands: 'audit', 'runs search', 'models set-alias' ..."""
    found = {}
    for name, sub in _subparsers(parser or build_parser()).items():
        full = f"{prefix} {name}".strip()
        nested = cli_commands(sub, full) if _subparsers(sub) else {}
        found.update(nested or {full: sub})
    return found


@pytest.fixture(scope="module")
def tools():
    from mcp import Client

    from mlproof.server import create_server

    async def listing():
        async with Client(create_server(allow=[REPO])) as client:
            return {tool.name: tool for tool in (await client.list_tools()).tools}

    return anyio.run(listing)


def test_every_tool_has_a_command(tools):
    commands = cli_commands()
    missing = sorted(name for name in tools if TOOL_COMMANDS.get(name) not in commands)
    assert not missing, f"MCP tools without a CLI command (add one, then map it in parity.py): {missing}"
    stale = sorted(set(TOOL_COMMANDS) - set(tools))
    assert not stale, f"parity.py maps tools the server does not have: {stale}"


def test_every_command_has_a_tool_or_a_reason(tools):
    commands = cli_commands()
    answered = set(TOOL_COMMANDS.values())
    unexplained = sorted(c for c in commands if c not in answered and c not in CLI_ONLY)
    assert not unexplained, f"CLI commands with neither a tool nor a CLI_ONLY reason: {unexplained}"
    assert set(CLI_ONLY) <= set(commands), f"CLI_ONLY names commands that do not exist: {set(CLI_ONLY) - set(commands)}"
    assert all(len(reason) > 20 for reason in CLI_ONLY.values())


def test_every_tool_argument_has_a_cli_option(tools):
    commands = cli_commands()
    gaps = []
    for name, tool in tools.items():
        dests = {action.dest for action in commands[TOOL_COMMANDS[name]]._actions}
        for argument in tool.input_schema.get("properties", {}):
            if (name, argument) in TOOL_ONLY_ARGUMENTS:
                continue
            dest = ARGUMENT_NAMES.get((name, argument), argument)
            if dest not in dests:
                gaps.append(f"{name}.{argument} -> `mlproof {TOOL_COMMANDS[name]}` has no {dest!r}")
    assert not gaps, "\n".join(gaps)
    unused = [key for key in ARGUMENT_NAMES if key[0] not in tools or key[1] not in tools[key[0]].input_schema["properties"]]
    assert not unused, f"ARGUMENT_NAMES entries for arguments that do not exist: {unused}"


def test_the_mapping_can_fail():
    """The listing is real: a command missing from the parser shows up as a gap."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    sub.add_parser("audit")
    runs = sub.add_parser("runs").add_subparsers()
    runs.add_parser("search")
    listed = cli_commands(parser)
    assert set(listed) == {"audit", "runs search"}
    assert [tool for tool, command in TOOL_COMMANDS.items() if command not in listed]


def test_readme_parity_table_matches_the_mapping():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| `mlproof ([a-z -]+?)(?: [A-Z][^`]*)?` \|", text, flags=re.MULTILINE))
    assert rows == TOOL_COMMANDS, "README's parity table differs from mlproof/parity.py"
