"""What a task runner hands back to the resolver: the commands one invocation expands to."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from mlproof.model.repofiles import RepoFiles, join

MAX_RUNNER_DEPTH = 6  # prerequisites / references followed inside one runner's own file
MAX_HOPS = 200  # commands one invocation may expand to


@dataclass(frozen=True)
class Hop:
    """One command a runner entry runs, declared at path:line."""

    path: str
    line: int | None
    command: str  # a shell command line, resolved further ("" when `module` says what runs)
    relation: str  # the Link relation: "make target", "tox env", "task" ...
    cwd: str = ""
    module: str = ""  # a Python module run directly (the "pkg.mod" of a "pkg.mod:fn" reference)


def enter(name: str, done: set[str], depth: int, hops: list[Hop]) -> bool:
    """Whether to expand `name` now: not expanded yet, within the depth and hop budgets (then marked expanded)."""
    if name in done or depth > MAX_RUNNER_DEPTH or len(hops) >= MAX_HOPS:
        return False
    done.add(name)
    return True


def first_existing(repo: RepoFiles, cwd: str, names: tuple[str, ...]) -> str | None:
    """The first of `names` present in `cwd`, then in the repository root."""
    for base in dict.fromkeys((cwd, "")):
        for name in names:
            candidate = join(base, name)
            if repo.has(candidate):
                return candidate
    return None


def directory(path: str) -> str:
    return posixpath.dirname(path)
