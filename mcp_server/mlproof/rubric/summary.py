"""The compact audit: what an agent needs to answer, within a token budget; the full report stays one call away.

`audit_summary(report)` keeps the maturity, the pillar scores, every failing or
partial check with its strongest piece of evidence (one location and a short
snippet), the risks and the roadmap (as check ids; each gap carries its fix).
If the result is still over the budget, the least important detail goes first
(fix texts of low-weight checks, then risk descriptions, then snippets) and
`omitted` says what went, so the agent knows to call find_evidence or
explain_check. AuditReport fields are read defensively: the report model
grows, and this view should keep working when it does.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

TOKEN_BUDGET = 4000  # tokens, counted as characters / 4
SNIPPET_CHARS = 100
STATUS_ORDER = {"fail": 0, "partial": 1}

DRILL_DOWN = (
    "find_evidence(path, check_id) lists every hit for a check (CLI: mlproof evidence PATH CHECK); "
    "explain_check(check_id) gives why it matters and the full fix; audit_repo(path, detail='full') returns everything."
)


class EvidenceBrief(BaseModel):
    location: str = Field(description="path:line (or MLflow ids).")
    snippet: str = ""


class GapLine(BaseModel):
    id: str
    title: str
    status: Literal["fail", "partial"]
    weight: int | None = None
    why: str = Field(description="One sentence: why this status.")
    evidence: EvidenceBrief | None = Field(None, description="The strongest piece of evidence, if any.")
    evidence_count: int = 0
    fix: str | None = Field(None, description="How to fix it (None when the budget left it out: see explain_check).")


class PillarLine(BaseModel):
    pillar: str
    name: str
    score: float | None
    counts: dict[str, int] = Field(default_factory=dict)


class RiskLine(BaseModel):
    check: str
    probability: str
    impact: str
    description: str | None = None


class AuditSummary(BaseModel):
    schema_version: str = "1.0"
    tool: str = "mlproof"
    detail: Literal["summary", "full"] = "summary"
    root: str
    only: str | None = None
    score: float | None = Field(None, description="Overall 0-10.")
    repo_kind: str | None = None
    repo_kind_reason: str | None = None
    maturity_level: int | None = None
    maturity_name: str | None = None
    maturity_summary: str | None = None
    next_steps: list[str] = Field(default_factory=list, description="Unmet criteria of the next maturity level.")
    ml_test_score: float | None = None
    pillars: list[PillarLine] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict, description="Checks per status.")
    passing: list[str] = Field(default_factory=list, description="Ids of the checks that pass.")
    gaps: list[GapLine] = Field(default_factory=list, description="Failing checks first, then partial, heaviest first.")
    risks: list[RiskLine] = Field(default_factory=list)
    roadmap: dict[str, list[str]] = Field(default_factory=dict, description="Check ids per horizon; each gap line has the action.")
    omitted: list[str] = Field(default_factory=list, description="What the token budget left out of this view.")
    more: str = DRILL_DOWN
    report: Any = Field(None, description="The complete AuditReport, only with detail='full'.")


def tokens(model: BaseModel) -> int:
    """Size as an agent pays for it: characters of the compact JSON / 4."""
    return len(json.dumps(model.model_dump(mode="json"), separators=(",", ":"))) // 4


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    """The first attribute (or key) present among `names`, so new and old report shapes both work."""
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _location(item: Any) -> str:
    if hasattr(item, "location"):
        return item.location()
    return str(_get(item, "path", default="?"))


def strongest(evidence: list) -> Any | None:
    """The first item that points at a line of a file (graders list the deciding evidence first), else the first."""
    for item in evidence:
        if _get(item, "path") and _get(item, "line") is not None:
            return item
    return evidence[0] if evidence else None


def _gap(check: Any) -> GapLine:
    evidence = list(_get(check, "evidence", default=[]) or [])
    best = strongest(evidence)
    brief = EvidenceBrief(location=_location(best), snippet=_short(_get(best, "snippet", default=""), SNIPPET_CHARS)) if best else None
    return GapLine(id=check.id, title=_get(check, "title", default=check.id), status=check.status,
                   weight=_get(check, "weight"), why=_short(_get(check, "why", default=""), 240), evidence=brief,
                   evidence_count=len(evidence), fix=_get(check, "fix"))


def _roadmap(report: Any) -> dict[str, list[str]]:
    plan = _get(report, "roadmap")
    if plan is None:
        return {}
    horizons = ("quick_wins", "medium_term", "long_term")
    return {h: [_get(item, "check", "id") for item in (_get(plan, h, default=[]) or [])] for h in horizons}


def _full_view(report: Any) -> AuditSummary:
    checks = list(_get(report, "checks", default=[]) or [])
    scan = _get(report, "scan")
    maturity = _get(report, "maturity")
    mltest = _get(report, "ml_test_score")
    kind = _get(report, "repo_kind", "kind", "repository_kind")
    if kind is None and scan is not None:
        kind = _get(scan, "repo_kind")
    reason = _get(report, "repo_kind_reason")
    if reason is None and scan is not None:
        reason = _get(scan, "repo_kind_reason")
    if kind is not None and not isinstance(kind, str):  # a richer kind object: its name and reason
        reason = reason or _get(kind, "reason", "why")
        kind = _get(kind, "kind", "name", "value", default=str(kind))
    counts: dict[str, int] = {}
    for check in checks:
        counts[check.status] = counts.get(check.status, 0) + 1
    gaps = sorted((c for c in checks if c.status in STATUS_ORDER),
                  key=lambda c: (STATUS_ORDER[c.status], -(_get(c, "weight", default=0) or 0), c.id))
    return AuditSummary(
        root=str(_get(report, "root", default="")), only=_get(report, "only"), score=_get(report, "score"),
        repo_kind=kind, repo_kind_reason=_short(reason, 160) if reason else None,
        maturity_level=_get(maturity, "level") if maturity else None, maturity_name=_get(maturity, "name") if maturity else None,
        maturity_summary=_get(maturity, "summary") if maturity else None,
        next_steps=list(_get(maturity, "next_steps", default=[]) or []) if maturity else [],
        ml_test_score=_get(mltest, "final") if mltest else None,
        pillars=[PillarLine(pillar=p.pillar, name=_get(p, "name", default=p.pillar), score=_get(p, "score"),
                            counts={k: v for k, v in (_get(p, "counts", default={}) or {}).items() if v})
                 for p in (_get(report, "pillars", default=[]) or [])],
        counts=counts, passing=[c.id for c in checks if c.status == "pass"], gaps=[_gap(c) for c in gaps],
        risks=[RiskLine(check=_get(r, "check", default="?"), probability=str(_get(r, "probability", default="")),
                        impact=str(_get(r, "impact", default="")), description=_get(r, "description"))
               for r in (_get(report, "risks", default=[]) or [])],
        roadmap=_roadmap(report),
    )


def audit_summary(report: Any, budget: int = TOKEN_BUDGET) -> AuditSummary:
    """The compact view of an AuditReport, trimmed (and saying so) until it fits `budget` tokens."""
    summary = _full_view(report)
    # Trimming steps, least useful first; each says what it removed.
    steps = [
        ("fix texts of weight-1 gaps", lambda s: [setattr(g, "fix", None) for g in s.gaps if (g.weight or 0) <= 1]),
        ("risk descriptions", lambda s: [setattr(r, "description", None) for r in s.risks]),
        ("fix texts of weight-2 gaps", lambda s: [setattr(g, "fix", None) for g in s.gaps if (g.weight or 0) <= 2]),
        ("evidence snippets", lambda s: [setattr(g.evidence, "snippet", "") for g in s.gaps if g.evidence]),
        ("all fix texts", lambda s: [setattr(g, "fix", None) for g in s.gaps]),
        ("next-step sentences", lambda s: setattr(s, "next_steps", s.next_steps[:3])),
    ]
    for label, trim in steps:
        if tokens(summary) <= budget:
            break
        trim(summary)
        summary.omitted.append(label)
    return summary


def audit_full(report: Any) -> AuditSummary:
    """detail='full': the summary's fields plus the complete report."""
    summary = _full_view(report)
    summary.detail = "full"
    summary.report = report.model_dump(mode="json") if hasattr(report, "model_dump") else report
    return summary
