"""The gate's verdict: one entry per proof, each with its evidence or what is missing."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from mlproof.evidence import Evidence
from mlproof.tracking.models import ShownUri

ProofStatus = Literal["satisfied", "missing", "unknown"]


class ProofPart(BaseModel):
    """One piece of a proof: a repository check, a scan, or a registry fact."""

    source: Literal["repo", "mlflow"]
    name: str = Field(description="Audit check id, scan name, or MLflow fact (alias, signature, previous_version).")
    status: ProofStatus
    detail: str
    evidence: list[Evidence] = Field(default_factory=list)


class Proof(BaseModel):
    id: str
    title: str
    status: ProofStatus
    parts: list[ProofPart]
    how: str = Field(description="How to provide the proof when it is missing or unknown.")

    @property
    def evidence(self) -> list[Evidence]:
        return [e for part in self.parts for e in part.evidence]


class GateVerdict(BaseModel):
    claim: str = Field(description="Normalised claim id, e.g. deployment_done.")
    claim_text: str
    claim_title: str
    verdict: Literal["PASS", "BLOCKED"]
    repo: str | None = None
    tracking_uri: ShownUri | None = None
    model: str | None = None
    alias: str = "champion"
    proofs: list[Proof]
    missing: list[str] = Field(default_factory=list, description="One line per proof that is not satisfied: what and how to provide it.")
    registry_note: str | None = Field(None, description="Why the registry was not consulted (no tracking URI, no model name, model not registered).")

    def to_markdown(self) -> str:
        icon = {"satisfied": "✅", "missing": "❌", "unknown": "❔"}
        lines = [f"## Gate: \"{self.claim_text}\" ({self.claim_title}) → **{self.verdict}**", ""]
        lines.append(f"Repository: {self.repo or 'not given'} · MLflow: {self.tracking_uri or 'not given'} · model: {self.model or 'not given'} (@{self.alias})")
        lines.append("")
        for proof in self.proofs:
            lines.append(f"### {icon[proof.status]} {proof.title} — {proof.status}")
            for part in proof.parts:
                lines.append(f"- {icon[part.status]} [{part.source}] {part.name}: {part.detail}")
                for ev in part.evidence[:3]:
                    snippet = f" `{ev.snippet[:120]}`" if ev.snippet else ""
                    lines.append(f"  - {ev.location()}{snippet}")
                    hops = [link.location() for link in ev.chain]
                    if len(hops) > 1:
                        lines.append(f"    - chain: {' → '.join(dict.fromkeys(hops[:8]))}")
            if proof.status != "satisfied":
                lines.append(f"- How to provide it: {proof.how}")
            lines.append("")
        if self.missing:
            lines.append("**Blocked until:**")
            lines += [f"{i}. {item}" for i, item in enumerate(self.missing, start=1)]
        return "\n".join(lines).rstrip() + "\n"
