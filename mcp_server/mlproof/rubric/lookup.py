"""Drill-down lookups shared by the CLI and the MCP server: evidence for one check or term, the check index."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from mlproof.errors import MlproofError
from mlproof.evidence import Evidence


class EvidenceFound(BaseModel):
    """What find_evidence returns: the query, the evidence, and a plain statement when nothing matched."""

    path: str
    query: str
    found: bool
    summary: str
    evidence: list[Evidence]

    def to_markdown(self) -> str:
        lines = [f"# Evidence for {self.query!r}", "", self.summary, ""]
        for item in self.evidence:
            lines.append(f"- `{item.location()}` {item.snippet}" + (f" ({item.detector})" if item.detector else ""))
        return "\n".join(lines) + "\n"


class CheckEntry(BaseModel):
    id: str
    pillar: str
    title: str
    weight: int
    ml_test_score: list[str] = Field(default_factory=list)


class CheckIndex(BaseModel):
    """The audit catalog as an index; explain_check gives the full entry of one check."""

    pillars: dict[str, str] = Field(description="Pillar id -> name.")
    checks: list[CheckEntry]


def evidence_search(path: str | Path, query: str) -> EvidenceFound:
    """Evidence for a check id, a pillar or a keyword, with a sentence saying how much was found."""
    from mlproof.rubric.audit import find_evidence

    query = (query or "").strip()
    if not query:
        raise MlproofError("The query is empty; give a check id or a practice keyword.")
    root = Path(path).expanduser()
    hits = find_evidence(str(root), query)
    summary = (f"Found {len(hits)} piece(s) of evidence for {query!r} in {root}." if hits
               else f"No evidence for {query!r} was found in {root}.")
    return EvidenceFound(path=str(root), query=query, found=bool(hits), summary=summary, evidence=hits)


def check_index(pillar: str | None = None) -> CheckIndex:
    from mlproof.rubric.catalog import load_catalog

    catalog = load_catalog()
    if pillar is not None and pillar not in catalog.pillars:
        raise MlproofError(f"Unknown pillar {pillar[:40]!r}; choose one of {', '.join(catalog.pillars)}.")
    return CheckIndex(pillars=dict(catalog.pillars), checks=[
        CheckEntry(id=c.id, pillar=c.pillar, title=c.title, weight=c.weight, ml_test_score=list(c.ml_test_score))
        for c in catalog.checks if pillar is None or c.pillar == pillar
    ])
