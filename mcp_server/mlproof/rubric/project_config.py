"""Per-project audit configuration, like ruff's: `[tool.mlproof]` in pyproject.toml or `.mlproof.toml`.

    [tool.mlproof]                      # in .mlproof.toml the table is the top level
    kind = "library"                    # when the detected repository kind is wrong
    exclude = ["legacy/**", "docs/notebooks/*.ipynb"]
    [tool.mlproof.waive]
    "deploy.progressive_delivery" = "batch scoring only: there is no live traffic to split"

A waived check is shown as waived, with its reason, and left out of the score.
`.mlproof.toml` wins over pyproject.toml. A bad key or value is one sentence
naming it (exit 2): a configuration that silently does nothing is worse than none.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from mlproof.errors import MlproofError
from mlproof.repo.redact import redact
from mlproof.rubric.catalog import load_catalog

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    tomllib = None  # type: ignore[assignment]

KINDS = ("project", "template", "tutorial", "library", "serving-only")
KEYS = ("kind", "exclude", "waive")
MAX_CONFIG_BYTES = 256 * 1024
MAX_REASON = 300


@dataclass
class ProjectConfig:
    source: str | None = None  # the file it came from, relative to the root
    kind: str | None = None
    exclude: list[str] = field(default_factory=list)
    waive: dict[str, str] = field(default_factory=dict)

    def excluded(self, rel: str) -> bool:
        """A pattern excludes a path when it matches the path or one of its folders (`legacy/`, `*.ipynb`)."""
        if not self.exclude:
            return False
        parts = rel.split("/")
        prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
        return any(fnmatch.fnmatchcase(prefix, pattern.rstrip("/")) for pattern in self.exclude for prefix in prefixes)


def _shown(value: object) -> str:
    """A user value quoted for an error message: printable, short, redacted."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value))
    text = redact(text)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _read(path: Path) -> dict | None:
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise MlproofError(f"{path.name} is larger than {MAX_CONFIG_BYTES // 1024} KiB; it cannot be a configuration file.")
    if tomllib is None:
        raise MlproofError(f"Reading {path.name} needs Python 3.11 or newer (tomllib).")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise MlproofError(f"{path.name} is not valid TOML ({str(err).splitlines()[0][:80]}).") from None


def load_project_config(root: Path) -> ProjectConfig:
    """The repository's mlproof settings, or defaults when it has none."""
    dedicated = _read(root / ".mlproof.toml")
    if dedicated is not None:
        return _validated(dedicated, ".mlproof.toml")
    pyproject = _read(root / "pyproject.toml") if (root / "pyproject.toml").is_file() else None
    table = (pyproject or {}).get("tool", {}).get("mlproof") if isinstance((pyproject or {}).get("tool"), dict) else None
    if table is None:
        return ProjectConfig()
    if not isinstance(table, dict):
        raise MlproofError("[tool.mlproof] in pyproject.toml must be a table.")
    return _validated(table, "pyproject.toml [tool.mlproof]")


def _validated(table: dict, source: str) -> ProjectConfig:
    unknown = [key for key in table if key not in KEYS]
    if unknown:
        raise MlproofError(f"{source}: unknown key {_shown(unknown[0])}; the keys are {', '.join(KEYS)}.")
    config = ProjectConfig(source=source)
    kind = table.get("kind")
    if kind is not None:
        if kind not in KINDS:
            raise MlproofError(f"{source}: kind {_shown(kind)} is not one of {', '.join(KINDS)}.")
        config.kind = kind
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(p, str) and p.strip() for p in exclude):
        raise MlproofError(f"{source}: exclude must be a list of path patterns (strings).")
    config.exclude = [p.strip().lstrip("./") for p in exclude]
    waive = table.get("waive", {})
    if not isinstance(waive, dict):
        raise MlproofError(f"{source}: waive must be a table of check id = \"reason\".")
    known = load_catalog().by_id()
    for check_id, reason in waive.items():
        if check_id not in known:
            raise MlproofError(f"{source}: waive names the unknown check {_shown(check_id)} (see `mlproof checks`).")
        if not isinstance(reason, str) or not reason.strip():
            raise MlproofError(f"{source}: waiving {check_id} needs a reason (a non-empty string).")
        config.waive[check_id] = re.sub(r"\s+", " ", reason.strip())[:MAX_REASON]
    return config
