"""Turn a repository file into text segments a detector can search.

A file is read once and classified by kind. Most files are one segment; a
notebook is one segment per cell (code cells are searched like Python,
markdown cells like docs) so evidence can point at the cell. The kind also
tells the detector how much a match is worth: code and config *do* a practice,
docs and comments only *mention* it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from mlproof.repo.walk import RepoFile

# Kinds a detector signal can ask for.
CODE, CONFIG, CI, DOCKER, DEPS, DOCS = "code", "config", "ci", "docker", "deps", "docs"

CODE_SUFFIXES = {"py", "pyi", "r", "scala", "java", "kt", "js", "ts", "go", "jl", "sql", "rs", "cs"}
CONFIG_SUFFIXES = {"yaml", "yml", "toml", "json", "ini", "cfg", "conf", "properties", "tf", "tfvars", "hcl", "bicep",
                   "sh", "bash", "ps1", "mk", "env", "jsonnet", "libsonnet", "tpl", "j2", "jinja", "xml", "dockerignore"}
DOC_SUFFIXES = {"md", "markdown", "rst", "txt", "adoc", "org", "html", "htm", "tex"}

CI_PATH = re.compile(
    r"(?:^|/)(?:\.github/workflows/[^/]+\.ya?ml|\.gitlab-ci\.ya?ml|\.gitlab/ci/.+\.ya?ml|azure-pipelines[^/]*\.ya?ml|"
    r"\.azure-pipelines/.+\.ya?ml|\.azuredevops/.+\.ya?ml|Jenkinsfile[^/]*|\.circleci/config\.ya?ml|bitbucket-pipelines\.yml|"
    r"\.travis\.yml|cloudbuild[^/]*\.ya?ml|buildspec[^/]*\.ya?ml|\.drone\.yml|\.buildkite/.+\.ya?ml|\.woodpecker\.ya?ml|"
    r"\.woodpecker/.+\.ya?ml|tekton/.+\.ya?ml|\.tekton/.+\.ya?ml|appveyor\.yml|codemagic\.yaml)$",
    re.I,
)
DEPS_PATH = re.compile(
    r"(?:^|/)(?:requirements[^/]*\.(?:txt|in)|[^/]*requirements\.txt|constraints[^/]*\.txt|Pipfile(?:\.lock)?|pyproject\.toml|setup\.py|"
    r"setup\.cfg|poetry\.lock|uv\.lock|pdm\.lock|conda-lock\.ya?ml|environment[^/]*\.ya?ml|conda[^/]*\.ya?ml|"
    r"renv\.lock|DESCRIPTION|package\.json|package-lock\.json|go\.mod|Cargo\.toml|pixi\.toml|pixi\.lock)$"
)
DOCKER_PATH = re.compile(r"(?:^|/)(?:[^/]*\.)?(?:Dockerfile|Containerfile)(?:\.[^/]*)?$|(?:^|/)(?:docker-)?compose[^/]*\.ya?ml$", re.I)
MAKE_PATH = re.compile(r"(?:^|/)(?:Makefile|makefile|GNUmakefile|justfile|Justfile|Taskfile\.ya?ml|noxfile\.py|tox\.ini|Procfile)$")

LINE_COMMENT = {"#": re.compile(r"^\s*#"), "//": re.compile(r"^\s*(?://|/?\*)"), "--": re.compile(r"^\s*--")}


@dataclass(frozen=True)
class Segment:
    """A searchable piece of a file: a whole file, or one notebook cell."""

    kind: str  # one of CODE, CONFIG, CI, DOCKER, DEPS, DOCS
    text: str
    cell: int | None = None  # 1-based notebook cell
    language: str = "python"  # for comment rules: python, hash, slash, sql, text


class UnreadableFile(Exception):
    """Raised with the skip reason when a file cannot be turned into text."""


def file_kind(item: RepoFile) -> str | None:
    """The kind of a file from its path alone (None: not something we read)."""
    rel, suffix, name = item.rel, item.suffix, item.name
    if CI_PATH.search(rel):
        return CI
    if DOCKER_PATH.search(rel):
        return DOCKER
    if DEPS_PATH.search(rel):
        return DEPS
    if suffix == "ipynb":
        return "notebook"
    if suffix in CODE_SUFFIXES:
        return CODE
    if suffix in CONFIG_SUFFIXES or MAKE_PATH.search(rel) or name in {"CODEOWNERS", ".gitattributes", "MLproject", "dvc.lock", ".dvcignore", "BUILD", "WORKSPACE"} or suffix == "dvc":
        return CONFIG
    if suffix in DOC_SUFFIXES or name.upper() in {"README", "LICENSE", "NOTICE", "CHANGELOG", "AUTHORS"}:
        return DOCS
    if suffix == "" and name in {"Makefile", "Jenkinsfile"}:
        return CONFIG
    return None


def _language(item: RepoFile, kind: str) -> str:
    suffix = item.suffix
    if suffix in {"py", "pyi", "ipynb"}:
        return "python"
    if suffix in {"js", "ts", "java", "kt", "scala", "go", "rs", "cs", "jsonnet", "libsonnet"} or item.name.startswith("Jenkinsfile"):
        return "slash"
    if suffix == "sql":
        return "sql"
    if kind == DOCS:
        return "text"
    return "hash"


def decode(raw: bytes, rel: str) -> str:
    """UTF-8 text, or UnreadableFile with the skip reason."""
    if b"\0" in raw[:8192]:
        raise UnreadableFile("binary file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableFile("not UTF-8 text") from None


def notebook_segments(text: str) -> list[Segment]:
    """One segment per notebook cell; outputs are ignored (they are results, not practices)."""
    try:
        notebook = json.loads(text)
    except ValueError:
        raise UnreadableFile("notebook that is not valid JSON") from None
    except RecursionError:
        raise UnreadableFile("notebook nested too deeply to parse") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if cells is None and isinstance(notebook, dict) and notebook.get("worksheets"):  # nbformat 3
        cells = [c for ws in notebook["worksheets"] for c in ws.get("cells", [])]
    if not isinstance(cells, list):
        raise UnreadableFile("notebook without cells")
    segments = []
    for index, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", cell.get("input", ""))
        source = "".join(source) if isinstance(source, list) else str(source)
        if not source.strip():
            continue
        if cell.get("cell_type") == "code":
            # magics and shell escapes (%pip, !dvc repro) stay searchable as code
            segments.append(Segment(CODE, source, index, "python"))
        else:
            segments.append(Segment(DOCS, source, index, "text"))
    return segments


def read_bytes(path: str, size_hint: int) -> bytes:
    """The whole file, read with plain os calls: a big scan opens tens of thousands of small
    files, and Python's buffered file objects cost more than the reading itself."""
    # O_NOFOLLOW: the walk resolved every link already, so a link here was put in since (not followed);
    # O_NONBLOCK: a file swapped for a FIFO after listing cannot hang the scan.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        chunks = []
        while chunk := os.read(fd, max(size_hint + 1, 1 << 16)):  # a file may have grown since it was listed
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


def read_segments(item: RepoFile, kind: str) -> list[Segment]:
    """Read a file once and split it into segments; UnreadableFile says why not."""
    try:
        raw = read_bytes(item.path, item.size)
    except OSError:
        raise UnreadableFile("unreadable file") from None
    text = decode(raw, item.rel)
    if kind == "notebook":
        try:
            return notebook_segments(text)
        except UnreadableFile:
            raise
        except (RecursionError, MemoryError, TypeError, ValueError, AttributeError) as err:  # one odd file never stops a scan
            raise UnreadableFile(f"notebook that could not be parsed ({type(err).__name__})") from None
    return [Segment(kind, text, None, _language(item, kind))]


_TRIPLE_QUOTED = re.compile(r'("""|\'\'\')[\s\S]*?\1')


def python_docstring_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of triple-quoted strings (docstrings and prose, not code)."""
    return [m.span() for m in _TRIPLE_QUOTED.finditer(text)]


def is_comment(line: str, column: int, language: str) -> bool:
    """True when the match at `column` of `line` sits in a comment."""
    if language == "text":
        return False
    marker = {"python": "#", "hash": "#", "slash": "//", "sql": "--"}[language]
    if LINE_COMMENT[marker].match(line):
        return True
    before = line[:column]
    # quotes before each marker are counted once, left to right: linear even on a 2 MB line of markers
    double = single = counted = 0
    position = before.find(marker)
    while position != -1:
        double += before.count('"', counted, position)
        single += before.count("'", counted, position)
        counted = position
        if double % 2 == 0 and single % 2 == 0:
            if marker != "#" or position == 0 or before[position - 1] in " \t":
                return True
        position = before.find(marker, position + 1)
    return False
