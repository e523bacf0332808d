"""The refs test environment (.venv-refs): where the references' and examples' libraries run.

`make test` builds it from tests/envs/refs-requirements.txt (`make refs-env`). Tests drive it by
subprocess; locally a missing environment skips them, in CI (MLPROOF_REQUIRE_TOOLS=1) it fails.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFS_VENV = Path(os.environ.get("MLPROOF_REFS_VENV", REPO / ".venv-refs"))
RUNNER = REPO / "tests" / "envs" / "refs_runner.py"


def refs_bin(name: str = "python") -> Path:
    """An executable of the refs environment; skip (locally) or fail (CI) when it is not built."""
    path = REFS_VENV / "bin" / name
    if (REFS_VENV / ".installed").exists() and path.exists():
        return path
    message = f"the refs environment is not built ({REFS_VENV}; run `make refs-env`)"
    if os.environ.get("MLPROOF_REQUIRE_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)


def refs_environment(**extra: str) -> dict:
    """Environment for a refs subprocess: mlproof importable from the source tree, no telemetry."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MLFLOW_", "VIRTUAL_ENV"))}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(REPO / "mcp_server"), str(REPO)]),
        "MLFLOW_ENABLE_TELEMETRY": "false",
        "DO_NOT_TRACK": "true",
        "BENTOML_DO_NOT_TRACK": "true",
        "FEAST_USAGE": "False",
        "PATH": f"{REFS_VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    })
    env.update(extra)
    return env


def run_refs(args: list[str], cwd: Path, timeout: int = 600, **extra_env: str) -> subprocess.CompletedProcess:
    """Run a command with the refs environment's python (args[0] == "python") or one of its tools."""
    executable = refs_bin(args[0])
    return subprocess.run([str(executable), *args[1:]], cwd=cwd, env=refs_environment(**extra_env),
                          capture_output=True, text=True, timeout=timeout)
