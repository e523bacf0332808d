"""The audit report as pydantic models (the JSON output and the MCP tool result)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from mlproof.evidence import Evidence

SCHEMA_VERSION = "2.0"
Status = Literal["pass", "partial", "fail", "n/a", "waived"]
STATUS_VALUE = {"pass": 1.0, "partial": 0.5, "fail": 0.0}


class CheckResult(BaseModel):
    id: str
    pillar: str
    title: str
    status: Status
    why: str = Field(description="One sentence: why this status.")
    fix: str
    weight: int
    ml_test_score: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    waived: str | None = Field(None, description="Why the project's configuration waives this check (status `waived`).")
    graded_status: Status | None = Field(None, description="For a waived check: the status it would have had.")


class PillarScore(BaseModel):
    pillar: str
    name: str
    score: float | None = Field(description="0-10 (pass 1, partial 0.5, weighted); None when every check is n/a.")
    counts: dict[str, int]


class MaturityCriterion(BaseModel):
    check: str
    required: Literal["pass", "partial"]
    status: Status
    met: bool


class MaturityLevel(BaseModel):
    level: int
    name: str
    met: bool
    criteria: list[MaturityCriterion]


class Maturity(BaseModel):
    level: int = Field(ge=0, le=3)
    name: str
    summary: str
    levels: list[MaturityLevel]
    next_steps: list[str] = Field(default_factory=list, description="Unmet criteria of the next level.")


class MLTestItem(BaseModel):
    test: str  # e.g. "Infra 1"
    title: str
    points: float
    checks: list[str]
    note: str


class MLTestSection(BaseModel):
    section: str
    score: float
    items: list[MLTestItem]


class MLTestScore(BaseModel):
    sections: list[MLTestSection]
    final: float = Field(description="Minimum of the four section scores (Breck et al. 2017).")
    interpretation: str


class Risk(BaseModel):
    check: str
    title: str
    probability: Literal["low", "medium", "high"]
    impact: Literal["low", "medium", "high"]
    description: str
    mitigation: str


class RoadmapItem(BaseModel):
    check: str
    title: str
    status: Status
    weight: int
    action: str


class Roadmap(BaseModel):
    quick_wins: list[RoadmapItem] = Field(default_factory=list)
    medium_term: list[RoadmapItem] = Field(default_factory=list)
    long_term: list[RoadmapItem] = Field(default_factory=list)


class ScanSummary(BaseModel):
    root: str
    file_source: Literal["git", "walk"]
    files_listed: int
    files_read: int
    bytes_read: int
    skipped: dict[str, int]
    skipped_examples: dict[str, list[str]] = Field(default_factory=dict)
    repo_kind: Literal["project", "template", "tutorial", "library", "serving-only"]
    repo_kind_reason: str
    repo_kind_evidence: list[str] = Field(default_factory=list, description="path[:line] facts that decided the kind.")
    files_parsed: int = Field(0, description="Python files and notebooks parsed into code facts.")
    parse_failures: dict[str, int] = Field(default_factory=dict, description="Python files read as text because they did not parse, by reason.")
    parse_failure_examples: list[str] = Field(default_factory=list)
    jobs: int = Field(0, description="CI and job definitions parsed (workflows, pipelines, schedules).")
    config: str | None = Field(None, description="The project configuration file read (.mlproof.toml or pyproject.toml [tool.mlproof]).")


class AuditReport(BaseModel):
    schema_version: str = SCHEMA_VERSION
    tool: str = "mlproof"
    root: str
    only: str | None = None
    score: float | None = Field(description="Overall 0-10, weighted over all graded checks.")
    checks: list[CheckResult]
    pillars: list[PillarScore]
    maturity: Maturity
    ml_test_score: MLTestScore
    risks: list[Risk]
    roadmap: Roadmap
    scan: ScanSummary

    def check(self, check_id: str) -> CheckResult:
        return next(c for c in self.checks if c.id == check_id)

    def critical_issues(self, limit: int = 5) -> list[CheckResult]:
        """Failing checks of the highest weight first (what to read before anything else)."""
        failing = [c for c in self.checks if c.status == "fail"]
        return sorted(failing, key=lambda c: -c.weight)[:limit]
