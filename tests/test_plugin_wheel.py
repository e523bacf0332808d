"""A built wheel (not the editable install) still serves the skills, references and commands.

The test builds a wheel from a copy of the sources (so the working tree gets no
build/ folder), installs it with pip into a fresh target folder, and talks to
the installed server over MCP from outside the repository.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import anyio
import pytest

from mlproof import content
from tests.server_harness import REPO, mcp_session, server_env

SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "mcp_server", "skills", "references", "commands")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A folder holding mlproof installed from its wheel (dependencies come from the test venv)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=IGNORE)
        else:
            shutil.copy2(path, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    # The test extras carry setuptools and wheel, so the build needs no network.
    built = subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next((work / "dist").glob("mlproof-*.whl"))

    names = set(zipfile.ZipFile(wheel).namelist())
    for kind in content.KINDS:
        for doc in content.documents(kind):
            bundled = f"mlproof/_content/{doc.path.relative_to(content.SOURCE_DIR).as_posix()}"
            assert bundled in names, f"{bundled} is missing from the wheel"
    for schema in ("prediction-log.schema.json", "label.schema.json"):  # the prediction-log contract ships too
        assert f"mlproof/performance/schemas/{schema}" in names, f"{schema} is missing from the wheel"

    target = work / "site"
    done = subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return target


def test_installed_package_finds_its_bundled_content(installed, tmp_path):
    probe = "import mlproof, mlproof.content as c; print(mlproof.__file__); print(c.content_root())"
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=server_env({"PYTHONPATH": str(installed)}),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    package_file, root = out.stdout.split()
    assert Path(package_file).is_relative_to(installed), "the wheel's copy is imported, not the source tree"
    assert Path(root) == installed / "mlproof" / "_content"


def test_installed_server_serves_every_document(installed, tmp_path):
    async def scenario():
        async with mcp_session(cwd=tmp_path, env={"PYTHONPATH": str(installed)}) as session:
            listed = {str(r.uri) for r in (await session.list_resources()).resources}
            for kind in content.KINDS:
                docs = content.documents(kind)  # what the source tree holds
                assert docs, f"the repository ships {kind}"
                for doc in docs:
                    uri = f"mlproof://{kind}/{doc.name}"
                    assert uri in listed
                    assert (await session.read_resource(uri)).contents[0].text == doc.read()
            prompt = await session.get_prompt("audit", {"path": "."})
            assert "audit_repo" in prompt.messages[0].content.text

    anyio.run(scenario)
