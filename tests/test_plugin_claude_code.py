"""The Claude Code plugin and the server, checked by real clients from npm.

- Claude Code (`@anthropic-ai/claude-code`, no account needed for these commands):
  `claude plugin validate`, marketplace add + plugin install, `claude mcp add` +
  `claude mcp list`, each with HOME pointed at a temporary folder.
- The MCP Inspector CLI (`@modelcontextprotocol/inspector --cli`).
The setup script installs both into .tools/node_modules (see scripts/setup-test-tools.sh).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import require_tool
from tests.server_harness import CHURN_FIXTURE, REPO, server_env

TOOLS_BIN = REPO / ".tools" / "node_modules" / ".bin"
VENV_BIN = Path(sys.executable).parent  # holds the `mlproof` console script
# What a fresh clone gives the plugin; a working copy also holds .venv and .tools, which
# Claude Code would copy into its plugin cache too.
PLUGIN_FILES = (".claude-plugin", ".mcp.json", "skills", "commands", "references", "README.md")


def tool(name: str) -> str:
    local = TOOLS_BIN / name
    return str(local) if local.exists() else require_tool(name)


def claude_env(home: Path) -> dict[str, str]:
    env = server_env({
        "HOME": str(home),
        "PATH": f"{VENV_BIN}{os.pathsep}{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    })
    for key in ("ANTHROPIC_API_KEY", "CLAUDE_CONFIG_DIR", "CLAUDECODE"):
        env.pop(key, None)
    return env


def run(args: list[str], *, env: dict[str, str], cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_claude_validates_the_plugin_and_marketplace_manifests(tmp_path):
    claude = tool("claude")
    for target in (".", ".claude-plugin/plugin.json"):
        out = run([claude, "plugin", "validate", "--strict", target], env=claude_env(tmp_path), cwd=REPO)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "Validation passed" in out.stdout, out.stdout
    plugin = json.loads((REPO / ".claude-plugin" / "plugin.json").read_text())
    assert plugin["commands"] == "./commands/" and plugin["skills"] == "./skills/"
    assert (REPO / plugin["mcpServers"]).is_file()


def test_plugin_installs_from_a_local_marketplace_and_its_server_connects(tmp_path):
    claude = tool("claude")
    clone = tmp_path / "mlproof-clone"
    clone.mkdir()
    for name in PLUGIN_FILES:
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, clone / name)
    home = tmp_path / "home"
    home.mkdir()
    env = claude_env(home)

    added = run([claude, "plugin", "marketplace", "add", str(clone)], env=env, cwd=tmp_path)
    assert added.returncode == 0, added.stdout + added.stderr
    installed = run([claude, "plugin", "install", "mlproof@mlproof"], env=env, cwd=tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    listed = run([claude, "mcp", "list"], env=env, cwd=tmp_path)
    line = next((l for l in listed.stdout.splitlines() if l.startswith("plugin:mlproof:mlproof")), "")
    assert "Connected" in line, listed.stdout + listed.stderr

    details = run([claude, "plugin", "details", "mlproof@mlproof"], env=env, cwd=tmp_path)
    inventory = next((l for l in details.stdout.splitlines() if l.strip().startswith("Skills (")), "")
    for name in [p.parent.name for p in (REPO / "skills").glob("*/SKILL.md")] + [p.stem for p in (REPO / "commands").glob("*.md")]:
        assert name in inventory, f"{name} is not loaded by Claude Code: {details.stdout}"
    assert "MCP servers (1)" in details.stdout, details.stdout

    cache = home / ".claude" / "plugins" / "cache" / "mlproof" / "mlproof"
    installed_skills = {p.parent.name for p in cache.glob("*/skills/*/SKILL.md")}
    assert installed_skills == {p.parent.name for p in (REPO / "skills").glob("*/SKILL.md")}
    assert {p.name for p in cache.glob("*/commands/*.md")} == {p.name for p in (REPO / "commands").glob("*.md")}


def test_claude_mcp_add_then_list_reports_the_server_connected(tmp_path):
    claude = tool("claude")
    env = claude_env(tmp_path)
    added = run([claude, "mcp", "add", "--scope", "user", "mlproof", "--", str(VENV_BIN / "mlproof"), "serve"], env=env, cwd=tmp_path)
    assert added.returncode == 0, added.stdout + added.stderr
    listed = run([claude, "mcp", "list"], env=env, cwd=tmp_path)
    line = next((l for l in listed.stdout.splitlines() if l.startswith("mlproof:")), "")
    assert "Connected" in line, listed.stdout + listed.stderr


def inspector(args: list[str], home: Path) -> subprocess.CompletedProcess:
    command = [tool("mcp-inspector"), "--cli", sys.executable, "-m", "mlproof", "serve", *args]
    return run(command, env=claude_env(home), cwd=REPO, timeout=180)


def test_inspector_cli_lists_tools_and_audits_the_fixture(tmp_path):
    listed = inspector(["--method", "tools/list"], tmp_path)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    names = {t["name"] for t in json.loads(listed.stdout)["tools"]}
    assert {"audit_repo", "explain_check", "drift_report", "gate_claim", "search_runs"} <= names

    audited = inspector(["--method", "tools/call", "--tool-name", "audit_repo", "--tool-arg", f"path={CHURN_FIXTURE}"], tmp_path)
    assert audited.returncode == 0, audited.stdout + audited.stderr
    result = json.loads(audited.stdout)
    assert not result.get("isError")
    summary = result["structuredContent"]  # the compact view is the default
    assert sum(summary["counts"].values()) == 34 and set(summary["counts"]) <= {"pass", "partial", "fail", "n/a"}
    assert summary["gaps"] and all(g["status"] in ("fail", "partial") for g in summary["gaps"])
