"""Shared test helpers (import with `from tests.helpers import ...`)."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(name: str) -> str:
    """Path of an external tool the test drives for real.

    Locally a missing tool skips the test with a reason; in CI
    (MLPROOF_REQUIRE_TOOLS=1) it fails, so a missing install step cannot hide.
    """
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (run `make test-tools`)"
    if os.environ.get("MLPROOF_REQUIRE_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)


def load_script(path) -> object:
    """Import a standalone script (scripts/*.py) as a module, so tests can call its main() in process."""
    import importlib.util
    import sys
    from pathlib import Path

    name = Path(path).stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module
