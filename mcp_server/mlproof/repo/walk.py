"""List the files of a repository the way its owner sees them.

Git-aware first (`git ls-files` = tracked plus untracked-but-not-ignored), a
plain walk that honours `.gitignore` otherwise. Vendored and generated folders,
symlinks that leave the root or loop, and oversized files are skipped and
counted, so the report can say what it did not look at and why.
"""

from __future__ import annotations

import errno
import os
import re
from stat import S_ISLNK, S_ISREG
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mlproof.errors import MlproofError, quoted
from mlproof.paths import PATH_MAX, check_path_text, os_error_sentence
from mlproof.repo.git import run_git

DEFAULT_MAX_BYTES = 2 * 1024 * 1024

# Folders that hold someone else's code or build output, never the project's practices.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "node_modules", "__pycache__", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", "dist", "site-packages",
    ".eggs", ".terraform", ".idea", ".cache", "mlruns", "mlartifacts", "wandb", "htmlcov", ".next",
    "bower_components", "vendor", "third_party", ".gradle", "target",
})
# Folders whose name alone says nothing (a tracked `build/` often holds CI configs, `.dvc/` holds the DVC
# config): only their generated parts are skipped.
GENERATED_SUBDIRS = re.compile(r"(?:^|/)(?:build/(?:lib|bdist|temp|scripts)[^/]*|\.dvc/(?:cache|tmp|plots|experiments))/")
SKIP_DIR_SUFFIXES = (".egg-info", ".dist-info")

# Extensions whose content is never text we can grade (their *paths* still count as evidence).
BINARY_EXTENSIONS = frozenset("""
png jpg jpeg gif bmp ico svgz webp tif tiff psd pdf zip gz tgz bz2 xz 7z rar tar jar war whl egg so dll dylib exe bin
o a class pyc pyo pkl pickle joblib pt pth ckpt h5 hdf5 onnx pb tflite safetensors npy npz parquet feather arrow avro orc
db sqlite sqlite3 mp3 mp4 wav avi mov mkv woff woff2 ttf otf eot xlsx xls docx pptx model bst
""".split())


class RepoFile:
    """One file of the scanned repository (plain strings: a big repository has tens of thousands)."""

    __slots__ = ("rel", "path", "size", "name", "suffix")

    def __init__(self, rel: str, path: str, size: int) -> None:
        self.rel = rel  # POSIX path relative to the scanned root
        self.path = path  # absolute path as a string
        self.size = size
        self.name = rel.rsplit("/", 1)[-1]
        self.suffix = self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""

    @property
    def abs(self) -> Path:
        return Path(self.path)

    def __repr__(self) -> str:
        return f"RepoFile({self.rel!r}, size={self.size})"


@dataclass
class Inventory:
    """The files to read, plus what was skipped and why."""

    root: Path
    source: str  # "git" or "walk"
    files: list[RepoFile] = field(default_factory=list)
    path_only: list[RepoFile] = field(default_factory=list)  # binaries / too large: path is evidence, content is not read
    skipped: Counter = field(default_factory=Counter)
    skipped_examples: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, rel: str) -> None:
        self.skipped[reason] += 1
        examples = self.skipped_examples.setdefault(reason, [])
        if len(examples) < 5:
            examples.append(rel)

    @property
    def all_paths(self) -> list[RepoFile]:
        return self.files + self.path_only


def resolve_root(path: str | os.PathLike[str]) -> Path:
    """The scanned folder as an absolute path, or one clear sentence why it cannot be scanned."""
    if path is None or str(path).strip() == "":
        raise MlproofError("No repository path was given; pass the folder to audit.")
    text = os.fspath(path)
    check_path_text(text)
    root = Path(text).expanduser()
    try:
        real = Path(os.path.realpath(root, strict=True))
        is_dir = real.is_dir()
    except OSError as err:
        sentence = os_error_sentence(err, text) or f"The path {quoted(text)} does not exist; pass an existing repository folder."
        raise MlproofError(sentence) from None
    if not is_dir:
        raise MlproofError(f"The path {quoted(text)} is a file, not a folder; pass the repository folder that contains it.")
    if not os.access(real, os.R_OK | os.X_OK):
        raise MlproofError(f"The folder {quoted(text)} cannot be read (permission denied).")
    return real


def _skipped_dir(name: str) -> bool:
    return name in SKIP_DIRS or name.endswith(SKIP_DIR_SUFFIXES)


def _git_files(root: Path) -> list[str] | None:
    """Paths from git (relative to root), or None when root is not in a work tree or git fails.

    Git runs with every program the repository could configure switched off (see repo/git.py)."""
    inside = run_git(root, "rev-parse", "--is-inside-work-tree", timeout=20)
    if inside is None or inside.returncode != 0 or inside.stdout.strip() != b"true":
        return None
    listed = run_git(root, "ls-files", "-co", "--exclude-standard", "-z", timeout=120)
    if listed is None or listed.returncode != 0:
        return None
    paths = [p for p in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if p]
    return sorted(set(paths))  # -co lists a deleted-but-tracked file once per flag; dedupe


class GitIgnore:
    """A small `.gitignore` matcher for folders git cannot list (no git, or not a repository).

    Supports the common forms: `*.ext`, `name`, `dir/`, `/anchored`, `a/**/b` and `!negation`.
    """

    def __init__(self) -> None:
        self.rules: list[tuple[str, re.Pattern[str], bool, bool]] = []  # (base, regex, negate, dir_only)

    def add_file(self, base: str, ignore_file: Path) -> None:
        try:
            lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return
        for raw in lines:
            line = raw.rstrip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.strip("/") if dir_only else line
            anchored = line.startswith("/") or "/" in line
            line = line.lstrip("/")
            regex = self._translate(line)
            if not anchored:
                regex = r"(?:.*/)?" + regex
            self.rules.append((base, re.compile(regex + r"$"), negate, dir_only))

    @staticmethod
    def _translate(pattern: str) -> str:
        out = []
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                out.append(r"(?:.*/)?")
                i += 3
            elif pattern.startswith("**", i):
                out.append(r".*")
                i += 2
            else:
                char = pattern[i]
                out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
                i += 1
        return "".join(out)

    def ignored(self, rel: str, is_dir: bool) -> bool:
        result = False
        for base, regex, negate, dir_only in self.rules:
            if dir_only and not is_dir:
                continue
            if base:
                if not rel.startswith(base + "/"):
                    continue
                sub = rel[len(base) + 1:]
            else:
                sub = rel
            if regex.match(sub):
                result = not negate
        return result


def _walk_files(root: Path, inventory: Inventory) -> list[str]:
    """Plain walk honouring `.gitignore` files; never follows folder symlinks (no loops, no escapes)."""
    ignore = GitIgnore()
    paths: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=lambda err: inventory.skip("unreadable folder", _shown(str(err.filename)))):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        if ".gitignore" in filenames:
            ignore.add_file(rel_dir, Path(dirpath) / ".gitignore")
        kept = []
        for name in sorted(dirnames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            full = Path(dirpath) / name
            if _skipped_dir(name):
                inventory.skip("vendored or generated folder", rel + "/")
            elif len(os.fsencode(str(full))) >= PATH_MAX:
                inventory.skip(f"path longer than {PATH_MAX} bytes", _shown(rel + "/"))
            elif os.path.islink(full):
                inventory.skip("symlinked folder (not followed)", rel + "/")
            elif ignore.ignored(rel, True):
                inventory.skip("ignored by .gitignore", rel + "/")
            else:
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if ignore.ignored(rel, False):
                inventory.skip("ignored by .gitignore", rel)
            else:
                paths.append(rel)
    return paths


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _malformed(rel: str) -> str | None:
    """Why a listed path cannot be one of the repository's files (git's index is data too)."""
    if "\0" in rel:
        return "path with a NUL byte"
    if rel.startswith("/") or any(part in ("", ".", "..") for part in rel.split("/")):
        return "path that leaves the scanned folder"
    return None


class _Folders:
    """Whether each listed folder is really where its path says: no component may be a symlink.

    `pkg/x.py` from the git index, with `pkg/` since replaced by a symlink, would otherwise be read
    from wherever the link points; the walk never follows folder links, and neither does this."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.verdicts: dict[str, str | None] = {"": None}

    def problem(self, folder: str) -> str | None:
        if folder not in self.verdicts:
            literal = f"{self.root}/{folder}"
            real = os.path.realpath(literal)
            if real == literal:
                verdict = None
            elif real == self.root or real.startswith(self.root + "/"):
                verdict = "inside a symlinked folder (not followed)"
            else:
                verdict = "inside a symlinked folder that leaves the scanned folder (not followed)"
            self.verdicts[folder] = verdict
        return self.verdicts[folder]


def _shown(rel: str) -> str:
    """A listed path as it may appear in a report: printable and bounded."""
    return rel if rel.isprintable() and len(rel) <= 200 else quoted(rel, 200)


def list_files(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Inventory:
    """Every file worth reading under `path`, with skips counted by reason.

    Every file kept lies inside the scanned folder once symlinks are resolved; its `path`
    is that resolved location, so reading it cannot land anywhere else."""
    root = resolve_root(path)
    git_paths = _git_files(root)
    inventory = Inventory(root=root, source="git" if git_paths is not None else "walk")
    rel_paths = git_paths if git_paths is not None else _walk_files(root, inventory)
    root_text = str(root)
    folders = _Folders(root_text)
    for rel in rel_paths:
        parts = rel.split("/")
        if any(_skipped_dir(part) for part in parts[:-1]) or GENERATED_SUBDIRS.search(rel):
            inventory.skip("vendored or generated folder", _shown(rel))
            continue
        problem = _malformed(rel) or folders.problem(rel.rpartition("/")[0])
        full = f"{root_text}/{rel}"
        if problem is None and len(os.fsencode(full)) > PATH_MAX:
            problem = f"path longer than {PATH_MAX} bytes"
        if problem is not None:
            inventory.skip(problem, _shown(rel))
            continue
        try:
            stat = os.lstat(full)  # one system call tells symlink, regular file and size
            if S_ISLNK(stat.st_mode):
                try:
                    target = Path(os.path.realpath(full, strict=True))
                except (RuntimeError, OSError):
                    inventory.skip("broken or looping symlink", _shown(rel))
                    continue
                if not _inside(target, root):
                    inventory.skip("symlink pointing outside the scanned folder (not followed)", _shown(rel))
                    continue
                if target.is_dir():
                    inventory.skip("symlinked folder (not followed)", _shown(rel))
                    continue
                stat = target.stat()
                full = str(target)
        except OSError as err:
            inventory.skip("name longer than the system allows" if err.errno == errno.ENAMETOOLONG else "unreadable file", _shown(rel))
            continue
        if not S_ISREG(stat.st_mode):
            continue  # a deleted tracked file, a socket, a submodule folder
        item = RepoFile(rel, full, stat.st_size)
        suffix = item.suffix
        if suffix in BINARY_EXTENSIONS:
            inventory.skip("binary file", _shown(rel))
            inventory.path_only.append(item)
        elif stat.st_size > max_bytes:
            inventory.skip(f"larger than {max_bytes // (1024 * 1024) or max_bytes} {'MiB' if max_bytes >= 1024 * 1024 else 'bytes'}", _shown(rel))
            inventory.path_only.append(item)
        else:
            inventory.files.append(item)
    return inventory
