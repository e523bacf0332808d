"""The pre-commit hooks (.pre-commit-hooks.yaml) with the real `pre-commit`, through `pre-commit try-repo`.

The hook repository is a committed snapshot of this project. Both hooks are `language: python`, so
pre-commit builds its own virtual environment and pip-installs mlproof from that repository, as it
would for a user. The test keeps it offline: pip gets no index (PIP_NO_INDEX) and finds mlproof's
dependencies through PYTHONPATH (this environment's packages, mlproof itself left out), so the only
thing pre-commit can install is mlproof from the hook repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.ci_support import dependencies_without_mlproof, git, offline_pip_env, snapshot_repo

REPO = Path(__file__).resolve().parents[1]
CHURN = REPO / "evals" / "fixtures" / "churn-model"
HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("pre-commit")
    hook_repo = snapshot_repo(root / "hook-repo")
    deps = dependencies_without_mlproof(root / "deps")
    env = offline_pip_env({**os.environ, "PRE_COMMIT_HOME": str(root / "cache"), "PYTHONPATH": str(deps),
                           "HOME": str(root), "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull,
                           "VIRTUALENV_NO_PERIODIC_UPDATE": "1"})  # virtualenv seeds from its bundled wheels only
    env.pop("VIRTUAL_ENV", None)
    # No `mlproof` on PATH: the hooks can only run the one pre-commit installs from the hook repository.
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p and not (Path(p) / "mlproof").exists())
    return {"repo": hook_repo, "env": env}


def user_repo(path: Path, files: dict[str, str], base: Path | None = None) -> Path:
    if base is not None:
        shutil.copytree(base, path)
    path.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    git(path, "init", "-q")
    git(path, "add", "-A")
    return path


def try_repo(hook_env, project: Path, *args: str) -> subprocess.CompletedProcess:
    pre_commit = Path(sys.executable).with_name("pre-commit")
    return subprocess.run([str(pre_commit), "try-repo", str(hook_env["repo"]), *args], cwd=project, env=hook_env["env"],
                          capture_output=True, text=True, timeout=900)


def test_the_manifest_declares_both_hooks_as_python():
    by_id = {hook["id"]: hook for hook in HOOKS}
    assert set(by_id) == {"mlproof-lint", "mlproof-audit"}
    assert all(hook["language"] == "python" for hook in HOOKS)
    assert by_id["mlproof-audit"]["pass_filenames"] is False and "--fail-under" in by_id["mlproof-audit"]["args"]


def test_lint_hook_fails_on_a_deprecated_api_and_audit_hook_passes_a_good_repository(hook_env, tmp_path):
    project = user_repo(tmp_path / "good-repo", {"src/churn/old_serving.py":
                        "import mlflow\nMODEL = mlflow.pyfunc.load_model('models:/churn/Production')\n"}, base=CHURN)
    result = try_repo(hook_env, project, "--all-files")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "mlproof lint (deprecated MLOps APIs)" in output and "mlproof audit" in output
    lines = output.splitlines()
    assert any(line.startswith("mlproof audit.") and line.endswith("Passed") for line in lines), output[-3000:]
    assert any(line.startswith("mlproof lint (deprecated MLOps APIs).") and line.endswith("Failed") for line in lines)
    assert "src/churn/old_serving.py:2:35: mlflow.stage_uri `models:/churn/Production` -> models:/<name>@<alias>" in output
    assert "Executable `mlproof` not found" not in output  # it ran pre-commit's own install
    assert "No deprecated MLOps API" not in output  # batches of clean files stay quiet (--quiet)


def test_audit_hook_fails_under_its_threshold_and_lint_passes_clean_files(hook_env, tmp_path):
    project = user_repo(tmp_path / "thin-repo", {"train.py": "from sklearn.linear_model import LogisticRegression\n"
                                                             "model = LogisticRegression().fit(X, y)\n"})
    result = try_repo(hook_env, project, "--all-files")
    output = result.stdout + result.stderr
    assert result.returncode == 1
    lines = output.splitlines()
    assert any(line.startswith("mlproof audit.") and line.endswith("Failed") for line in lines), output[-3000:]
    assert any(line.startswith("mlproof lint (deprecated MLOps APIs).") and line.endswith("Passed") for line in lines)
    assert "is below --fail-under 5.0" in output and "fail    w3 monitor.data_drift:" in output
