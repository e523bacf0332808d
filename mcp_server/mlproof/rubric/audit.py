"""The audit API every face of mlproof calls (CLI, MCP server, gate, evals).

    run_audit(path, only=None, progress=None) -> AuditReport
    find_evidence(path, query) -> list[Evidence]

Read-only: the scanned folder is listed and read, never written.
"""

from __future__ import annotations

import re
from typing import Callable

from mlproof.errors import MlproofError
from mlproof.evidence import Evidence
from mlproof.repo.readers import UnreadableFile, file_kind, read_segments
from mlproof.repo.redact import snippet
from mlproof.repo.walk import DEFAULT_MAX_BYTES, list_files
from mlproof.rubric import scoring
from mlproof.rubric.catalog import load_catalog
from mlproof.rubric.detectors import grade, repo_facts, to_evidence
from mlproof.rubric.engine import ScanResult, scan
from mlproof.rubric.models import AuditReport, CheckResult, ScanSummary
from mlproof.rubric.project_config import ProjectConfig, load_project_config

Progress = Callable[[int, int], None]


def _scan(path, progress: Progress | None, max_bytes: int) -> tuple[ScanResult, ProjectConfig]:
    inventory = list_files(path, max_bytes=max_bytes)
    config = load_project_config(inventory.root)
    if config.exclude:
        for bucket in (inventory.files, inventory.path_only):
            kept = []
            for item in bucket:
                if config.excluded(item.rel):
                    inventory.skip("excluded by the project configuration", item.rel)
                else:
                    kept.append(item)
            bucket[:] = kept
    result = scan(inventory, progress=progress)
    _add_jobs(result)
    return result, config


def _add_jobs(result: ScanResult) -> None:
    """Parse the repository's CI and job definitions and record what they reach (with chains)."""
    from mlproof.model.build import RepoModel
    from mlproof.model.jobs import parse_jobs
    from mlproof.rubric.engine import signal_table
    from mlproof.rubric.job_signals import add_job_hits

    model = RepoModel(result.inventory)
    skipped: dict[str, str] = {}
    model.__dict__["jobs"] = parse_jobs(model.texts, skipped, sniffed=result.sniffed)
    for rel, reason in skipped.items():
        result.inventory.skip(f"job definition not read: {reason}", rel)
    result.jobs = model.jobs
    add_job_hits(model, result, signal_table())


def _grade_all(result: ScanResult, config: ProjectConfig) -> tuple[list[CheckResult], object]:
    catalog = load_catalog()
    facts = repo_facts(result)
    if config.kind is not None and config.kind != facts.kind:
        facts.kind, facts.reason, facts.kind_evidence = config.kind, f"set in {config.source}", [config.source]
    checks = catalog.by_id()
    serving = grade(checks["deploy.serving"], result, facts, None)
    graded = []
    for check in catalog.checks:
        result_ = serving if check.id == "deploy.serving" else grade(check, result, facts, serving.status)
        reason = config.waive.get(check.id)
        if reason is not None:
            result_.graded_status, result_.status, result_.waived = result_.status, "waived", reason
            result_.why = f"Waived in {config.source}: {reason} (graded {result_.graded_status}: {result_.why})"
        graded.append(result_)
    return graded, facts


def run_audit(path, only: str | None = None, progress: Progress | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> AuditReport:
    """Scan the repository at `path` and grade every catalog check (or one pillar with `only`)."""
    catalog = load_catalog()
    if only is not None and only not in catalog.pillars:
        raise MlproofError(f"Unknown pillar {only!r}; choose one of {', '.join(catalog.pillars)}.")
    result, config = _scan(path, progress, max_bytes)
    graded, facts = _grade_all(result, config)
    shown = [r for r in graded if only is None or r.pillar == only]
    inventory = result.inventory
    summary = ScanSummary(
        root=str(inventory.root), file_source=inventory.source,
        files_listed=len(inventory.files) + len(inventory.path_only), files_read=result.files_read,
        bytes_read=result.bytes_read, skipped=dict(inventory.skipped), skipped_examples=inventory.skipped_examples,
        repo_kind=facts.kind, repo_kind_reason=facts.reason, repo_kind_evidence=facts.kind_evidence,
        files_parsed=result.files_parsed, parse_failures=dict(result.parse_failures),
        parse_failure_examples=result.parse_failure_examples, config=config.source, jobs=len(result.jobs),
    )
    return AuditReport(
        root=str(inventory.root), only=only, score=scoring.weighted_score(shown), checks=shown,
        pillars=scoring.pillar_scores(shown, catalog),
        maturity=scoring.maturity(graded),  # maturity and ML Test Score always use every check
        ml_test_score=scoring.ml_test_score(graded),
        risks=scoring.risks(shown, catalog), roadmap=scoring.roadmap(shown, catalog), scan=summary,
    )


def _matching_checks(query: str) -> list[str]:
    catalog = load_catalog()
    key = query.strip().lower()
    ids = catalog.by_id()
    if key in ids:
        return [key]
    if key in catalog.pillars:
        return [c.id for c in catalog.checks if c.pillar == key]
    words = [w for w in re.split(r"[\s,/]+", key) if len(w) > 2]
    found = []
    for check in catalog.checks:
        text = f"{check.id} {check.title} {check.detection}".lower()
        if words and all(w in text for w in words):
            found.append(check.id)
    return found


def _keyword_search(result: ScanResult, query: str, limit: int) -> list[Evidence]:
    needle = re.compile(re.escape(query.strip()), re.I)
    found: list[Evidence] = []
    for item in result.inventory.files:
        kind = file_kind(item)
        if kind is None:
            continue
        try:
            segments = read_segments(item, kind)
        except UnreadableFile:
            continue
        for segment in segments:
            for number, line in enumerate(segment.text.splitlines(), start=1):
                if needle.search(line):
                    found.append(Evidence(kind="file", path=item.rel, line=number, cell=segment.cell,
                                          snippet=snippet(line), detector=f"keyword: {query.strip()[:80]}"))
                    if len(found) >= limit:
                        return found
    return found


def find_evidence(path, query: str, *, limit: int = 50) -> list[Evidence]:
    """Evidence in the repository for a check id, a pillar, or a practice keyword ("mlflow", "canary").

    For checks, the graded evidence comes first, then every other hit the scan kept.
    A keyword that names no check is searched literally (case-insensitive).
    """
    if not query or not query.strip():
        raise MlproofError("The evidence query is empty; pass a check id (e.g. dev.experiment_tracking) or a keyword.")
    result, config = _scan(path, None, DEFAULT_MAX_BYTES)
    check_ids = _matching_checks(query)
    if not check_ids:
        return _keyword_search(result, query, limit)
    graded, _ = _grade_all(result, config)
    evidence: list[Evidence] = []
    seen: set[tuple] = set()
    for check in (r for r in graded if r.id in check_ids):
        extra = [to_evidence(h) for h in result.hits.get(check.id, []) if h.role != "trains"]
        for item in check.evidence + extra:
            key = (item.path, item.line, item.cell, check.id)
            if key not in seen:
                seen.add(key)
                evidence.append(item)
    return evidence[:limit]
