"""One parser per CI system or scheduler; each picks its own candidate files.

`parse_all` runs them in turn over one shared `RepoFiles` (so a file is read and
parsed at most once, and content sniffing is one pass) and returns the jobs
ordered by path and line.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping

from mlproof.model.jobdefs import azure, batch, circleci, cloud, github, gitlab, hosted, jenkins, kubernetes, platforms, python
from mlproof.model.jobs import Job
from mlproof.model.repofiles import RepoFiles

MAX_STEPS = 2_000  # steps kept per job: real jobs have tens; a generated or hostile file is cut here, and says so
PARSERS = (github, gitlab, azure, jenkins, circleci, hosted, cloud, kubernetes, platforms, python, batch)


SNIFF = tuple(group for parser in PARSERS for group in getattr(parser, "SNIFF", ()))  # (suffixes, needles) read for content


def parse_all(files: Mapping[str, str], skipped: dict[str, str] | None = None, sniffed: Iterable[str] | None = None) -> list[Job]:
    source = RepoFiles(files, sniff=SNIFF, sniffed=sniffed)
    jobs: list[Job] = []
    for parser in PARSERS:
        jobs.extend(parser.parse(source))
    for job in jobs:
        if len(job.steps) > MAX_STEPS:
            del job.steps[MAX_STEPS:]
            source.skipped.setdefault(job.path, f"partly read: only the first {MAX_STEPS:,} steps of a job kept")
        # an implied trigger (no trigger section: push by default, defined outside the repository ...) cites the definition
        job.triggers = [replace(t, line=job.line) if t.line is None and t.path == job.path else t for t in job.triggers]
        job.steps = [replace(s, line=job.line) if s.line is None and s.path == job.path else s for s in job.steps]
    if skipped is not None:
        skipped.update(source.skipped)
    return sorted(jobs, key=lambda job: (job.path, job.line or 0, job.name))
