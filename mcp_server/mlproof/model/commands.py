"""Follow a command to what it reaches.

`make test` -> the Makefile's `test:` recipe -> `pytest tests/`; `bash
scripts/train.sh` -> `python -m churn.train` -> src/churn/train.py. Each hop is
a `Link` with its own path:line, so a fact such as "a schedule runs training"
carries the whole chain as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class Link:
    path: str
    line: int | None
    snippet: str
    relation: str  # "runs" (a job step), "make target", "script line", "task", "python module", "python file", "dvc stage" ...


@dataclass
class Reach:
    """One thing a command reaches: a repository file it executes, or a tool it invokes."""

    chain: list[Link]  # from the job step to the last hop, in order
    file: str | None = None  # repository-relative path of an executed file (Python module/script, notebook)
    tool: str | None = None  # an external tool invoked, normalised: "pytest", "dvc repro", "mlflow run", "kubectl apply" ...
    argv: list[str] = field(default_factory=list)  # the final command's words (shlex), for signal matching
    text: str = ""  # the final command line as written (for regex signals over commands)


class CommandResolver:
    """Resolves commands against one repository (its files, Makefiles, scripts, task-runner configs)."""

    def __init__(self, files: Mapping[str, str], modules: Mapping[str, str]):
        """`files`: rel path -> text of the readable text files (a lazy mapping: use `get` and `in`);
        `modules`: dotted module name -> rel path of its .py file (or package __init__.py)."""
        raise NotImplementedError

    def resolve(self, command: str, path: str, line: int | None, relation: str = "runs") -> list[Reach]:
        """Everything `command` (declared at path:line) reaches, each with its chain of links."""
        raise NotImplementedError
