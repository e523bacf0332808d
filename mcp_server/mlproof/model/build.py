"""The repository model of one repository: its files, their code facts, its jobs and where they lead.

    model = RepoModel.load(path)          # or RepoModel(inventory) from an existing file listing
    model.code("src/serve.py")            # CodeFacts, parsed once, None for unparseable or non-Python files
    model.jobs                            # every CI/job definition, parsed as data
    model.reaches(job)                    # what each step of a job runs, followed through Make, scripts, python -m

Text is read lazily and bounded (the inventory already skipped binaries, oversized files and paths that
leave the root); nothing is ever executed and nothing is written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from mlproof.model.code import CodeFacts, ParseFailure, notebook_cell_source, parse_code
from mlproof.repo import readers
from mlproof.repo.readers import UnreadableFile
from mlproof.repo.walk import DEFAULT_MAX_BYTES, Inventory, RepoFile, list_files

SOURCE_ROOTS = ("src/", "lib/", "python/", "app/")  # folders whose children are importable top-level packages
MAX_IMPORT_HOPS = 3  # how far local imports are followed when asking what a file reaches


class RepoTexts(Mapping):
    """Repository-relative path -> text of the readable text files, read on first use and cached."""

    def __init__(self, inventory: Inventory):
        self._items = {item.rel: item for item in inventory.files}
        self._cache: dict[str, str | None] = {}

    def _read(self, rel: str) -> str | None:
        if rel not in self._cache:
            item = self._items.get(rel)
            text = None
            if item is not None:
                try:
                    text = readers.decode(readers.read_bytes(item.path, item.size), rel)
                except (OSError, UnreadableFile):
                    text = None
            self._cache[rel] = text
        return self._cache[rel]

    def __getitem__(self, rel: str) -> str:
        text = self._read(rel)
        if text is None:
            raise KeyError(rel)
        return text

    def __contains__(self, rel: object) -> bool:
        return isinstance(rel, str) and rel in self._items and self._read(rel) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def item(self, rel: str) -> RepoFile | None:
        return self._items.get(rel)


def module_names(paths: list[str]) -> dict[str, str]:
    """Dotted module name -> path of its .py file (or package __init__.py), with and without a src/ prefix."""
    modules: dict[str, str] = {}
    for rel in paths:
        if not rel.endswith(".py"):
            continue
        stem = rel[:-3]
        if stem.endswith("/__init__"):
            stem = stem[: -len("/__init__")]
        if not stem or not re.fullmatch(r"[\w/.-]+", stem):
            continue
        names = [stem]
        for prefix in SOURCE_ROOTS:
            if stem.startswith(prefix):
                names.append(stem[len(prefix):])
        for name in names:
            dotted = name.replace("/", ".")
            if dotted and all(part.isidentifier() for part in dotted.split(".")):
                modules.setdefault(dotted, rel)
    return modules


@dataclass
class RepoModel:
    inventory: Inventory
    texts: RepoTexts = field(init=False)
    parse_failures: dict[str, str] = field(default_factory=dict)  # rel -> reason

    def __post_init__(self) -> None:
        self.texts = RepoTexts(self.inventory)
        self._code: dict[str, CodeFacts | None] = {}

    @classmethod
    def load(cls, path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> "RepoModel":
        return cls(list_files(path, max_bytes=max_bytes))

    @property
    def root(self):
        return self.inventory.root

    @functools.cached_property
    def modules(self) -> dict[str, str]:
        return module_names([item.rel for item in self.inventory.files])

    # -- code

    def code(self, rel: str) -> CodeFacts | None:
        """The parsed facts of a Python file (all code cells joined, for a notebook); None when not Python or unparseable."""
        if rel in self._code:
            return self._code[rel]
        facts = None
        text = self.texts._read(rel)
        if text is not None and (rel.endswith(".py") or rel.endswith(".ipynb")):
            source = text if rel.endswith(".py") else self._notebook_source(text)
            try:
                facts = parse_code(source) if source is not None else None
            except ParseFailure as err:
                self.parse_failures[rel] = str(err)
        self._code[rel] = facts
        return facts

    @staticmethod
    def _notebook_source(text: str) -> str | None:
        """Every code cell of a notebook, in order, as one module (cells run top to bottom in one namespace)."""
        try:
            segments = readers.notebook_segments(text)
        except UnreadableFile:
            return None
        return "\n\n".join(notebook_cell_source(s.text) for s in segments if s.kind == readers.CODE)

    def local_imports(self, rel: str) -> list[str]:
        """Repository files that `rel` imports (absolute imports by module name, relative ones by position)."""
        facts = self.code(rel)
        if facts is None:
            return []
        package = rel.rsplit("/", 1)[0] if "/" in rel else ""
        found: list[str] = []
        for imported in facts.imports:
            candidates = []
            if imported.level:
                base = package.split("/") if package else []
                base = base[: len(base) - (imported.level - 1)] if imported.level > 1 else base
                prefix = ".".join(base)
                module = ".".join(p for p in (prefix, imported.module) if p)
                candidates = [f"{module}.{imported.name}" if imported.name else module, module]
            else:
                candidates = [imported.qualified, imported.module]
            for name in candidates:
                target = self.modules.get(name)
                if target and target != rel:
                    found.append(target)
                    break
        return list(dict.fromkeys(found))

    def reachable_files(self, rel: str, hops: int = MAX_IMPORT_HOPS) -> list[tuple[str, list[str]]]:
        """`rel` and the local modules it imports, transitively up to `hops`: (file, import path from rel)."""
        seen = {rel: [rel]}
        frontier = [rel]
        for _ in range(hops):
            following = []
            for current in frontier:
                for target in self.local_imports(current):
                    if target not in seen:
                        seen[target] = seen[current] + [target]
                        following.append(target)
            frontier = following
        return list(seen.items())

    # -- jobs

    @functools.cached_property
    def jobs(self):
        from mlproof.model.jobs import parse_jobs

        return parse_jobs(self.texts)

    @functools.cached_property
    def resolver(self):
        from mlproof.model.commands import CommandResolver

        return CommandResolver(self.texts, self.modules)

    def reaches(self, job) -> list:
        """Everything the steps of `job` reach (commands followed to files and tools), each with its chain."""
        found = []
        for step in job.steps:
            if step.command:
                found.extend(self.resolver.resolve(step.command, step.path, step.line))
            elif step.file:
                from mlproof.model.commands import Link, Reach

                found.append(Reach(chain=[Link(step.path, step.line, step.name or step.file, "runs")], file=step.file))
        return found
