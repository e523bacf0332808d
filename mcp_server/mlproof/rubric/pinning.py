"""Read dependency declarations and tell exact pins from open ranges.

Requirement files, pyproject.toml (PEP 621 and Poetry), setup.py
install_requires, Pipfile and conda environment files are read; lock files
are recognised by their paths in the catalog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    tomllib = None  # type: ignore[assignment]

NOT_PACKAGES = {"python", "pip", "setuptools", "wheel"}
_EXACT = re.compile(r"===?\s*[\w.!+\-]+\s*(?:;.*)?$")
_VCS_COMMIT = re.compile(r"@[0-9a-f]{7,40}\b")
_CONDA_EXACT = re.compile(r"^[\w.\-]+\s*==?\s*\d[\w.]*(?:=[\w.]+)?$")


@dataclass
class DependencyFile:
    """The declared dependencies of one file: (line, text) pairs, pinned or not."""

    path: str
    pinned: list[tuple[int, str]] = field(default_factory=list)
    unpinned: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.pinned) + len(self.unpinned)


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _is_exact(spec: str) -> bool:
    return bool(_EXACT.search(spec.split("#")[0].strip())) and "*" not in spec or bool(_VCS_COMMIT.search(spec))


def _name(spec: str) -> str:
    return re.split(r"[\s<>=!~;\[@(]", spec.strip(), maxsplit=1)[0].lower()


def _requirements(path: str, text: str) -> DependencyFile:
    result = DependencyFile(path)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #")[0].strip()
        if not line or line.startswith(("#", "-r", "-c", "--", "-i", "-f")):
            continue
        if line.startswith("-e ") or line.startswith("--editable"):
            continue  # the project itself
        if line.endswith("\\"):
            line = line[:-1].strip()
        if _name(line) in NOT_PACKAGES:
            continue
        (result.pinned if _is_exact(line) or "--hash=" in raw else result.unpinned).append((number, raw.strip()))
    return result


def _add_specs(result: DependencyFile, text: str, specs: list[str]) -> None:
    for spec in specs:
        if not isinstance(spec, str) or _name(spec) in NOT_PACKAGES:
            continue
        (result.pinned if _is_exact(spec) else result.unpinned).append((_line_of(text, spec), spec))


def _toml(text: str) -> dict | None:
    """The parsed TOML document, or None (no parser on Python 3.10, or not valid TOML)."""
    if tomllib is None:
        return None
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return None


def _pyproject(path: str, text: str) -> DependencyFile | None:
    data = _toml(text)
    if data is None:
        return None
    result = DependencyFile(path)
    project = data.get("project", {})
    _add_specs(result, text, list(project.get("dependencies", []) or []))
    poetry = data.get("tool", {}).get("poetry", {})
    for name, version in (poetry.get("dependencies", {}) or {}).items():
        if name.lower() in NOT_PACKAGES:
            continue
        version = version.get("version", "") if isinstance(version, dict) else str(version)
        exact = bool(re.fullmatch(r"=?=?\s*\d[\w.]*", version.strip()))
        (result.pinned if exact else result.unpinned).append((_line_of(text, f"{name} ="), f"{name} = {version!r}"))
    return result


def _setup_py(path: str, text: str) -> DependencyFile | None:
    start = text.find("install_requires")
    if start < 0:
        return None
    end = text.find("]", start)
    block = text[start:end if end > 0 else len(text)]
    specs = re.findall(r"[\"']([A-Za-z0-9][^\"']*)[\"']", block)
    result = DependencyFile(path)
    _add_specs(result, text, specs)
    return result


def _pipfile(path: str, text: str) -> DependencyFile | None:
    data = _toml(text)
    if data is None:
        return None
    result = DependencyFile(path)
    for name, version in (data.get("packages", {}) or {}).items():
        version = version.get("version", "*") if isinstance(version, dict) else str(version)
        exact = version.startswith("==")
        (result.pinned if exact else result.unpinned).append((_line_of(text, name), f"{name} = {version!r}"))
    return result


def _conda(path: str, text: str) -> DependencyFile | None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        return None
    result = DependencyFile(path)
    for dep in data["dependencies"]:
        if isinstance(dep, dict):
            _add_specs(result, text, [d for d in dep.get("pip", []) if isinstance(d, str)])
        elif isinstance(dep, str) and _name(dep.split("::")[-1]) not in NOT_PACKAGES:
            spec = dep.split("::")[-1]
            exact = bool(_CONDA_EXACT.match(spec.replace(" ", "")))
            (result.pinned if exact else result.unpinned).append((_line_of(text, dep), dep))
    return result


def inspect_dependencies(path: str, text: str) -> DependencyFile | None:
    """Pinned and unpinned declarations of a dependency file, or None when it declares nothing we read."""
    name = path.rsplit("/", 1)[-1]
    if name.endswith((".lock", "-lock.json")) or name in {"package.json", "go.mod", "Cargo.toml", "DESCRIPTION", "pixi.toml"}:
        return None
    if name == "pyproject.toml":
        found = _pyproject(path, text)
    elif name == "setup.py":
        found = _setup_py(path, text)
    elif name == "setup.cfg":
        start = text.find("install_requires")
        found = _requirements(path, text[start:].split("\n[", 1)[0].split("=", 1)[-1]) if start >= 0 else None
    elif name == "Pipfile":
        found = _pipfile(path, text)
    elif name.endswith((".yml", ".yaml")):
        found = _conda(path, text)
    else:
        found = _requirements(path, text)
    return found if found is not None and found.total else None
