"""The repository's files as one parse reads them: cached, bounded YAML, TOML and Python parsing.

Job parsers and the command resolver share this view: they pick candidate
paths from the key list, read only those, and note files they gave up on.
Nothing outside the given mapping is ever read.
"""

from __future__ import annotations

import ast
import fnmatch
import posixpath
import re
from typing import Any, Iterable, Mapping

from mlproof.model import yamldata

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    tomllib = None  # type: ignore[assignment]

MAX_TEXT = 2_000_000  # larger files are data, not job definitions
MAX_PYTHON = 1_000_000
MAX_SNIFF = 1_000_000  # content-sniffed candidates (manifests anywhere in the tree)
DEFINITION_SUFFIXES = (".yml", ".yaml", ".json")  # with Jenkinsfiles, the only paths job parsers match by name


class RepoFiles:
    def __init__(self, files: Mapping[str, str], sniff: Iterable[tuple[tuple[str, ...], tuple[str, ...]]] = (),
                 sniffed: Iterable[str] | None = None):
        """`sniff`: (suffixes, needles) groups parsers will ask `containing` about (one sniffing pass serves all);
        `sniffed`: when the caller's own prefilter already knows which files hold a needle, only those are read."""
        self.files = files
        self.paths = sorted(files.keys())
        self._path_set = set(self.paths)
        self.skipped: dict[str, str] = {}
        self._yaml: dict[str, list[Any]] = {}
        self._python: dict[str, ast.Module | None] = {}
        self._sniff = tuple(sniff)
        self._sniff_only = set(sniffed) if sniffed is not None else None
        self._sniffed: dict[str, frozenset[str]] | None = None
        self._toml: dict[str, dict] = {}
        self._lines: dict[str, list[str]] = {}
        self._dirs: set[str] | None = None
        self._definition_paths: list[str] | None = None

    def has(self, rel: str) -> bool:
        return rel in self._path_set

    def is_dir(self, rel: str) -> bool:
        if self._dirs is None:
            self._dirs = {""}
            for path in self.paths:
                parts = path.split("/")[:-1]
                for depth in range(1, len(parts) + 1):
                    self._dirs.add("/".join(parts[:depth]))
        return rel in self._dirs

    def line(self, rel: str, line: int | None) -> str:
        """The text of one line (1-based) of a file, "" when out of range."""
        if line is None:
            return ""
        if rel not in self._lines:
            text = self.text(rel)
            self._lines[rel] = text.split("\n") if text is not None else []
        lines = self._lines[rel]
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def text(self, rel: str, limit: int = MAX_TEXT) -> str | None:
        if rel not in self._path_set:
            return None
        try:
            text = self.files[rel]
        except (KeyError, OSError, UnicodeError):
            return None
        if text is None or len(text) > limit:
            self.skipped.setdefault(rel, "too large to parse")
            return None
        return text

    def matching(self, pattern: re.Pattern[str]) -> list[str]:
        """Definition-like paths (YAML/JSON files, Jenkinsfiles) the pattern matches."""
        if self._definition_paths is None:  # one cheap pass instead of every pattern over every path
            self._definition_paths = [p for p in self.paths if p.lower().endswith(DEFINITION_SUFFIXES) or "jenkinsfile" in p.lower()]
        return [p for p in self._definition_paths if pattern.search(p)]

    def glob(self, pattern: str) -> list[str]:
        return [p for p in self.paths if fnmatch.fnmatchcase(p, pattern)]

    def containing(self, suffixes: tuple[str, ...], needles: Iterable[str]) -> list[str]:
        """Paths with one of the suffixes whose text holds one of the needles (a cheap prefilter)."""
        if self._sniffed is None:
            self._sniffed = {}
            by_suffix: dict[str, set[str]] = {}
            for group_suffixes, group in self._sniff:
                for suffix in group_suffixes:
                    by_suffix.setdefault(suffix, set()).update(group)
            for rel in self.paths if self._sniff_only is None else sorted(self._sniff_only & self._path_set):
                wanted = by_suffix.get(posixpath.splitext(rel)[1].lower())
                text = self.text(rel, MAX_SNIFF) if wanted else None
                found = frozenset(n for n in wanted if n in text) if text else frozenset()
                if found:
                    self._sniffed[rel] = found
        wanted = set(needles)
        registered = {n for group_suffixes, group in self._sniff for n in group if set(suffixes) <= set(group_suffixes)}
        if not wanted <= registered:
            raise ValueError(f"needles not registered for {suffixes}: {sorted(wanted - registered)}")
        return [rel for rel, found in self._sniffed.items() if rel.lower().endswith(suffixes) and found & wanted]

    def yaml(self, rel: str) -> list[Any]:
        """The documents of a YAML (or JSON) file as located data; [] when unreadable (noted)."""
        if rel not in self._yaml:
            text = self.text(rel)
            docs = None if text is None else yamldata.try_load_all(_detab(text))
            if docs is None and text is not None:
                self.skipped.setdefault(rel, "not readable as YAML within the size and alias budget")
            self._yaml[rel] = docs or []
        return self._yaml[rel]

    def mapping(self, rel: str) -> yamldata.YMap:
        """The first document of a YAML file when it is a mapping, else an empty one."""
        docs = self.yaml(rel)
        return docs[0] if docs and isinstance(docs[0], yamldata.YMap) else yamldata.YMap(None)

    def toml(self, rel: str) -> dict:
        """A TOML file as data ({} when unreadable or on Python 3.10, which has no tomllib)."""
        if rel not in self._toml:
            text = self.text(rel)
            data: dict = {}
            if text is not None and tomllib is not None:
                try:
                    data = tomllib.loads(text)
                except (tomllib.TOMLDecodeError, ValueError, RecursionError):
                    self.skipped.setdefault(rel, "not parseable as TOML")
            self._toml[rel] = data
        return self._toml[rel]

    def python(self, rel: str) -> ast.Module | None:
        if rel not in self._python:
            text = self.text(rel, MAX_PYTHON)
            tree = None
            if text is not None:
                try:
                    tree = ast.parse(text)
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    self.skipped.setdefault(rel, "not parseable as Python")
            self._python[rel] = tree
        return self._python[rel]


def _detab(text: str) -> str:
    # JSON job files are YAML too; tabs in indentation are the one JSON habit YAML rejects
    return text.replace("\t", "  ") if text.lstrip().startswith(("{", "[")) else text


def join(base_dir: str, rel: str) -> str:
    """A repository-relative path for `rel` written in a file under `base_dir` ('/x' = repository root)."""
    rel = rel.strip()
    if rel.startswith("/"):
        return posixpath.normpath(rel.lstrip("/"))
    joined = posixpath.normpath(posixpath.join(base_dir, rel))
    return "" if joined == "." else joined


def find_line(text: str, pattern: str, start: int = 1) -> int | None:
    """The first line (1-based, from `start`) matching a regular expression: TOML and INI parsers give no lines."""
    regex = re.compile(pattern)
    for number, line in enumerate(text.split("\n")[start - 1 :], start):
        if regex.search(line):
            return number
    return None
