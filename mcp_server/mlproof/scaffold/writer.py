"""Writing into the user's repository: only inside it, never through a symlink that leaves it, all or nothing.

A piece is a list of `FileChange`s: a new file, or an addition to an existing one
(a `[tool.mlproof]` section, a hook line in the served app). `plan` compares each
with what is on disk: unchanged (already there: running again is a no-op),
create, add (the file grows, nothing in it is lost), or conflict (the file
exists and differs: only --force replaces it). `apply` checks every target first
and then writes each file atomically; on --dry-run nothing is written and the
unified diff is the output.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlproof.errors import MlproofError


@dataclass
class FileChange:
    rel: str  # repository-relative POSIX path
    text: str  # the whole content the file should have
    additive: bool = False  # the new text keeps the old one (an appended section, an inserted line)
    executable: bool = False


@dataclass
class Planned:
    change: FileChange
    old: str | None
    action: str  # create | add | replace | unchanged | conflict

    def diff(self) -> str:
        old = (self.old or "").splitlines(keepends=True)
        new = self.change.text.splitlines(keepends=True)
        source = f"a/{self.change.rel}" if self.old is not None else "/dev/null"
        return "".join(difflib.unified_diff(old, new, source, f"b/{self.change.rel}"))


def _shown(path: str) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in path)
    return text if len(text) <= 80 else text[:77] + "..."


def check_root(root: Path) -> Path:
    if not root.exists():
        raise MlproofError(f"The repository {_shown(str(root))} does not exist.")
    if not root.is_dir():
        raise MlproofError(f"The repository {_shown(str(root))} is not a directory.")
    return root.resolve()


def target(root: Path, rel: str) -> Path:
    """The path to write, refused when it (or a folder on the way) is a symlink that leaves the repository."""
    if rel.startswith("/") or ".." in rel.split("/"):
        raise MlproofError(f"Refusing to write {_shown(rel)}: the path leaves the repository.")
    current = root
    parts = rel.split("/")
    for index, part in enumerate(parts):
        current = current / part
        if index < len(parts) - 1 and current.exists() and not current.is_dir():
            raise MlproofError(f"Cannot write {_shown(rel)}: {_shown(str(current.relative_to(root)))} is a file, not a folder; nothing was written.")
        if current.is_symlink():
            resolved = current.resolve()
            if resolved != root and root not in resolved.parents:
                raise MlproofError(f"Refusing to write {_shown(rel)}: {_shown(str(current.relative_to(root)))} is a symlink that leaves the repository.")
    return root / rel


def plan(root: Path, changes: list[FileChange], *, force: bool) -> list[Planned]:
    planned = []
    for change in changes:
        path = target(root, change.rel)
        if path.exists() and not path.is_file():
            raise MlproofError(f"{_shown(change.rel)} exists and is not a file; nothing was written.")
        old = None
        if path.is_file():
            try:
                old = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                raise MlproofError(f"{_shown(change.rel)} exists and cannot be read as text; nothing was written.") from None
        if old is None:
            action = "create"
        elif old == change.text:
            action = "unchanged"
        elif change.additive:
            action = "add"
        else:
            action = "replace" if force else "conflict"
        planned.append(Planned(change, old, action))
    return planned


def _writable(root: Path, path: Path) -> bool:
    """The nearest existing folder above `path` is writable (new folders are made there)."""
    folder = path.parent
    while not folder.exists() and folder != root:
        folder = folder.parent
    return os.access(folder, os.W_OK | os.X_OK) and (not path.exists() or os.access(path, os.W_OK))


def apply(root: Path, planned: list[Planned]) -> None:
    conflicts = [p.change.rel for p in planned if p.action == "conflict"]
    if conflicts:
        raise MlproofError(f"{_shown(conflicts[0])} exists and differs from what mlproof would write; nothing was written "
                           "(see the difference with --dry-run, replace it with --force).")
    writes = [p for p in planned if p.action in ("create", "add", "replace")]
    for p in writes:
        path = target(root, p.change.rel)
        if not _writable(root, path):
            raise MlproofError(f"Cannot write {_shown(p.change.rel)}: permission denied; nothing was written.")
    for p in writes:
        path = target(root, p.change.rel)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            target(root, p.change.rel)  # the folders just made are real folders, but check again before writing
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".mlproof")
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(p.change.text)
            mode = 0o755 if p.change.executable else 0o644
            if path.exists():
                mode = path.stat().st_mode & 0o777 | (0o111 if p.change.executable else 0)
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except OSError as err:
            raise MlproofError(f"Cannot write {_shown(p.change.rel)} ({err.strerror or type(err).__name__}).") from None
