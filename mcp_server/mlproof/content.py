"""Where the skill pack's text lives: skills/, references/ and commands/.

Two layouts are supported, so the MCP server serves the same files however
mlproof was installed:

- a source checkout (or an editable install): the folders sit at the top of
  the repository, two levels above this package;
- a built wheel: the build hook in setup.py copies them into
  `mlproof/_content/` so they travel with the package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mlproof.errors import MlproofError

KINDS = ("skills", "references", "commands")
BUNDLED_DIR = Path(__file__).resolve().parent / "_content"
SOURCE_DIR = Path(__file__).resolve().parents[2]

# A resource name is a file stem: letters, digits, dots, dashes, underscores.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Document:
    """One Markdown document of the pack (a skill, a reference or a command)."""

    kind: str
    name: str
    path: Path

    def read(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def summary(self) -> str:
        """The `description:` front-matter line, else the first heading, else the name."""
        text = self.read()
        match = re.search(r"^description:\s*(.+)$", text, re.MULTILINE)
        if match:
            return match.group(1).strip().strip("\"'")
        match = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
        return match.group(1).strip() if match else self.name


@lru_cache(maxsize=1)
def content_root() -> Path:
    """The folder holding skills/, references/ and commands/ for this install."""
    for candidate in (BUNDLED_DIR, SOURCE_DIR):
        if any((candidate / kind).is_dir() for kind in KINDS):
            return candidate
    raise MlproofError(
        f"mlproof cannot find its skills and references (looked in {BUNDLED_DIR} and {SOURCE_DIR}); reinstall the package."
    )


def documents(kind: str) -> list[Document]:
    """Every document of one kind, sorted by name; read fresh each call so new files show up."""
    if kind not in KINDS:
        raise MlproofError(f"Unknown content kind {kind!r}; expected one of {', '.join(KINDS)}.")
    folder = content_root() / kind
    if not folder.is_dir():
        return []
    if kind == "skills":  # Agent Skills layout: skills/<name>/SKILL.md
        found = [Document(kind, p.parent.name, p) for p in folder.glob("*/SKILL.md")]
    else:
        found = [Document(kind, p.stem, p) for p in folder.glob("*.md") if p.name.lower() != "readme.md"]
    return sorted(found, key=lambda doc: doc.name)


def get_document(kind: str, name: str) -> Document:
    """One document by name; a plain MlproofError listing what exists when it is unknown."""
    if not _NAME.match(name or ""):
        raise MlproofError(f"{name!r} is not a valid {kind[:-1]} name.")
    available = documents(kind)
    for doc in available:
        if doc.name == name:
            return doc
    names = ", ".join(doc.name for doc in available) or "none"
    raise MlproofError(f"There is no {kind[:-1]} named {name!r}; available: {names}.")
