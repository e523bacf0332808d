"""Helpers for the CI-integration tests: a committed snapshot of this project, and offline pip installs.

The GitHub Action, the GitLab template and the pre-commit hooks install mlproof from the project's
own folder with pip. The tests run those install steps for real but offline: the snapshot is what
pip builds, and the dependencies come from this test environment (exposed to the new interpreter
without mlproof itself), so nothing is downloaded and the step must really install mlproof.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, timeout=120,
                            env={**os.environ, **GIT_ENV})
    assert result.returncode == 0, result.stderr
    return result.stdout


def snapshot_repo(dest: Path) -> Path:
    """The project's files as git sees them (tracked and new, not ignored), committed in a new repository."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-co", "--exclude-standard", "-z"],
                            capture_output=True, check=True, timeout=120).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return dest


def dependencies_without_mlproof(dest: Path) -> Path:
    """A folder of links to this environment's installed packages, mlproof's own entries left out."""
    site = Path(sysconfig.get_paths()["purelib"])
    dest.mkdir(parents=True, exist_ok=True)
    for entry in site.iterdir():
        if "mlproof" in entry.name.lower() or entry.name.endswith(".pth"):
            continue
        (dest / entry.name).symlink_to(entry)
    return dest


def offline_pip_env(env: dict[str, str]) -> dict[str, str]:
    """pip with no index and no config: it can only use what is installed (PIP_NO_BUILD_ISOLATION=0 means
    "do not isolate", pip's inverted spelling), so a step that tried to download would fail."""
    env = {k: v for k, v in env.items() if not k.startswith("PIP_")}
    env.update(PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull, PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def fresh_python(dest: Path, dependencies: Path) -> Path:
    """A new virtual environment that sees the dependencies but not mlproof; returns its bin folder."""
    base = getattr(sys, "_base_executable", sys.executable)
    # No pip or setuptools of its own: both come from the dependencies (this environment's versions).
    subprocess.run([base, "-m", "venv", "--without-pip", str(dest)], check=True, timeout=300)
    python = dest / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    (Path(purelib) / "mlproof-test-dependencies.pth").write_text(f"{dependencies}\n")
    return dest / "bin"
