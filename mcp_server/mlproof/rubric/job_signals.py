"""Catalog signals about jobs: what a CI system, scheduler or job definition runs, and what starts it.

    {command: '^(?:pytest|tox)\\b', trigger: [any]}                 a command a job reaches
    {reaches: '_facts:training', trigger: [schedule]}              a job reaches code that trains
    {reaches: 'monitor.data_drift', trigger: [schedule]}           ... or that computes drift

Every hit carries the chain of hops (workflow step -> Makefile target -> script line -> module, and the
local imports after it), so "a schedule runs training" cites each link. A chain that passes through a test
runner is a test: it never counts as training, deployment or drift detection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlproof.model.commands import Link, Reach
from mlproof.repo.walk import RepoFile
from mlproof.rubric.engine import FACTS, TEST_PATH, Hit, ScanResult, SignalTable, Target, scan_one

TEST_RUNNERS = re.compile(r"^(?:pytest|py\.test|unittest|tox|nox|behave|green|ward|coverage|hatch test|nose2?)\b")
MAX_REACHED_FILES = 400  # reached files scanned per audit (each once): bounds the cost on huge monorepos
REACH_HOPS = 5  # local imports followed from a file a job runs (a dispatcher script, a package, the module that trains)


@dataclass(frozen=True)
class _JobSignal:
    target: Target
    command: re.Pattern[str] | None
    reaches: tuple[str, str | None] | None  # (check or "_facts", role or None)
    triggers: frozenset[str]


def _compile(table: SignalTable) -> list[_JobSignal]:
    signals = []
    for signal, target in table.job_signals:
        reaches = None
        if signal.reaches:
            check, _, role = signal.reaches.partition(":")
            reaches = (check, role or None)
        signals.append(_JobSignal(target, re.compile(signal.command) if signal.command else None, reaches,
                                  frozenset(signal.trigger)))
    return signals


def _trigger_kinds(job) -> set[str]:
    if job.disabled:
        return set()
    return {t.kind for t in job.triggers if not t.disabled}


def _through_tests(reach: Reach) -> bool:
    return bool(reach.tool and TEST_RUNNERS.match(reach.tool))


class _FileShows:
    """What a reached file (and the local modules it imports) shows, scanned once each without saturation."""

    def __init__(self, model, table: SignalTable):
        self.model, self.table = model, table
        self._shown: dict[str, set[tuple[str, str]]] = {}
        self._lines: dict[tuple[str, str, str], Hit] = {}
        self.budget = MAX_REACHED_FILES

    def shown(self, rel: str) -> set[tuple[str, str]]:
        if rel not in self._shown:
            found: set[tuple[str, str]] = set()
            item = self.model.texts.item(rel)
            if item is not None and self.budget > 0 and not TEST_PATH.search(rel):
                self.budget -= 1
                result = scan_one(item, self.table)
                for check, hits in result.hits.items():
                    for hit in hits:
                        if hit.level in ("pass", "partial") and hit.context in ("code", "config", "ci"):
                            found.add((check, hit.role))
                            self._lines.setdefault((rel, check, hit.role), hit)
            self._shown[rel] = found
        return self._shown[rel]

    def find(self, start: str, check: str, role: str | None) -> list[Link] | None:
        """The import path from `start` to a file showing (check, role), as links; None when none does."""
        for rel, path in self.model.reachable_files(start, hops=REACH_HOPS):
            for shown_check, shown_role in self.shown(rel):
                if shown_check == check and (role is None or shown_role == role):
                    links = [Link(step, None, f"imports {step}", "imports") for step in path[1:]]
                    hit = self._lines.get((rel, shown_check, shown_role))
                    if hit is not None:
                        links.append(Link(rel, hit.line, hit.snippet, "does"))
                    return links
        return None


def add_job_hits(model, result: ScanResult, table: SignalTable) -> None:
    """Record, as hits with chains, what every job of the model reaches."""
    signals = _compile(table)
    if not signals or not model.jobs:
        return
    shows = _FileShows(model, table)
    for job in model.jobs:
        kinds = _trigger_kinds(job)
        if not kinds and not job.disabled:
            kinds = {"other"}
        for step in job.steps:
            for reach in model.resolver.resolve_step(step):
                tested = _through_tests(reach)
                for signal in signals:
                    if "any" not in signal.triggers and not (signal.triggers & kinds):
                        continue
                    if job.disabled:
                        continue
                    chain = _matches(signal, reach, tested, shows)
                    if chain is None:
                        continue
                    first = chain[0]
                    target = signal.target
                    result.add(Hit(target.check, target.role, target.level, "job", first.path, first.line, None,
                                   first.snippet, _what(reach, job), "", tuple(chain)))


def _matches(signal: _JobSignal, reach: Reach, tested: bool, shows: _FileShows) -> list[Link] | None:
    if signal.command is not None:
        said = [part.strip() for part in (reach.tool, reach.text, " ".join(reach.argv)) if part]
        return list(reach.chain) if any(signal.command.search(part) for part in said) else None
    check, role = signal.reaches
    if tested or not reach.file:
        return None  # a test that happens to train is a test
    found = shows.find(reach.file, check, role)
    return None if found is None else list(reach.chain) + found


def _what(reach: Reach, job) -> str:
    trigger = ", ".join(sorted({t.kind for t in job.triggers if not t.disabled})) or "no trigger"
    return f"{job.system} job '{job.name[:40]}' ({trigger}) -> {(reach.tool or reach.file or reach.text)[:40]}"
