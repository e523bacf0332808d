"""CI systems, schedulers and job definitions, parsed as data.

Every job definition the repository holds becomes a `Job`: how it starts
(`Trigger`s: push, pull request, schedule with its cron, manual, upstream
event, disabled), and the shell commands its steps run (`Step`). Commands are
followed to the code they reach by commands.py, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Literal, Mapping

TriggerKind = Literal["push", "pull_request", "schedule", "manual", "upstream", "tag", "other"]


@dataclass(frozen=True)
class Trigger:
    kind: TriggerKind
    path: str  # repository-relative file that declares it
    line: int | None  # an implied trigger (no trigger section) cites the line of the definition that implies it
    detail: str = ""  # cron expression, branch filter, upstream job name ...
    disabled: bool = False  # commented-out triggers are never parsed; this is for `enabled: false`, paused schedules ...


@dataclass(frozen=True)
class Step:
    command: str  # one shell command line (multi-line `run:` blocks are split into logical lines)
    path: str
    line: int | None
    name: str = ""
    image: str = ""  # container image the step runs in, when declared
    file: str | None = None  # a repository file the step executes directly (an Airflow/Prefect task's module,
    #                          a Databricks notebook task, a SageMaker/Vertex pipeline definition), when not a shell command
    cwd: str = ""  # repository-relative working directory of `command` ("" = the repository root);
    #               pass it on: CommandResolver.resolve_step(step) does


@dataclass
class Job:
    system: str  # github-actions | gitlab-ci | azure-pipelines | jenkins | circleci | cloud-build | codebuild | ...
    name: str
    path: str
    line: int | None
    triggers: list[Trigger] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    disabled: bool = False  # the whole definition is switched off
    detail: str = ""  # what the job runs when it has no steps here (e.g. "target: aws_lambda_function.drift")

    @property
    def scheduled(self) -> list[Trigger]:
        return [t for t in self.triggers if t.kind == "schedule" and not t.disabled] if not self.disabled else []


def parse_jobs(files: Mapping[str, str], skipped: dict[str, str] | None = None,
               sniffed: Iterable[str] | None = None) -> list[Job]:
    """Every job defined in `files` (repository-relative path -> text; may be a lazy mapping).

    Candidate files are chosen by path (and, for manifests and DAGs that can live anywhere, by a
    substring test: see `content_needles()`) before anything is parsed. A caller whose own
    multi-pattern prefilter already knows which files hold one of those needles passes them as
    `sniffed`, and no other file is read for content. A candidate that cannot be read as data
    (too large, not valid YAML/Python, over the alias budget) is left out and, when `skipped` is
    given, recorded there as path -> reason; so is a file only partly read (a job cut at its step cap).
    """
    from mlproof.model.jobdefs import parse_all  # the per-system parsers build on the classes above

    return parse_all(files, skipped, sniffed)


def content_needles() -> dict[str, tuple[str, ...]]:
    """File suffix -> the substrings that make a file of that kind a job-definition candidate."""
    from mlproof.model.jobdefs import SNIFF

    needles: dict[str, set[str]] = {}
    for suffixes, group in SNIFF:
        for suffix in suffixes:
            needles.setdefault(suffix, set()).update(group)
    return {suffix: tuple(sorted(group)) for suffix, group in needles.items()}
