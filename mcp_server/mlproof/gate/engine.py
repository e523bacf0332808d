"""The anti-fake-pass gate: a "done" claim passes only when every proof has evidence.

Which proofs a claim needs, and which parts make each proof, lives in
claims.yaml. Every repository part is decided from the repository model (parsed
code, jobs with their triggers and command chains: see context.py), never from
a line that only mentions the practice; registry parts come from the MLflow store
the caller named. A part with no way to know (no repository, no store, no model
name) is "unknown", which blocks just like "missing": the gate never guesses.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from mlproof.errors import MlproofError
from mlproof.gate.models import GateVerdict, Proof, ProofPart, ProofStatus

CLAIMS_FILE = Path(__file__).with_name("claims.yaml")
REGISTRY_PARTS = {"registry_version", "registry_signature", "registry_previous"}
NO_REPO = "no repository given (pass --repo PATH)"


@functools.lru_cache(maxsize=1)
def load_claims() -> dict:
    with CLAIMS_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    for claim_id, claim in data["claims"].items():
        unknown = [p for p in claim["proofs"] if p not in data["proofs"]]
        if unknown:
            raise RuntimeError(f"claims.yaml: claim {claim_id} needs undefined proofs {unknown}")
    for proof_id, proof in data["proofs"].items():
        unknown = [p for p in proof["parts"] if p not in _Gate.PARTS]
        if unknown:
            raise RuntimeError(f"claims.yaml: proof {proof_id} is made of undefined parts {unknown}")
    return data


def _normalise(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower()).strip(" .!\"'")


def resolve_claim(claim: str) -> str:
    """The claim id for free text ("the deployment is done") or an id ("deployment_done")."""
    if not claim or not claim.strip():
        raise MlproofError("A claim is required, e.g. 'deployment done', 'model promoted' or 'monitoring in place'.")
    claims = load_claims()["claims"]
    text = _normalise(claim)
    for claim_id, spec in claims.items():
        if text == _normalise(claim_id) or text in (_normalise(p) for p in spec["phrases"]):
            return claim_id
    # Longest phrase contained in the text wins ("the model was promoted" -> model_promoted).
    matches = [(len(_normalise(p)), cid) for cid, spec in claims.items() for p in spec["phrases"]
               if re.search(rf"\b{re.escape(_normalise(p))}\b", text)]
    if matches:
        return max(matches)[1]
    known = "; ".join(f"{cid} ({', '.join(spec['phrases'][:3])})" for cid, spec in claims.items())
    shown = "".join(ch if ch.isprintable() else "?" for ch in claim.strip())[:80]
    raise MlproofError(f"The claim {shown!r} is not one the gate knows; use one of: {known}.")


def _combine(parts: list[ProofPart]) -> ProofStatus:
    if any(p.status == "missing" for p in parts):
        return "missing"
    if parts and all(p.status == "satisfied" for p in parts) and any(p.evidence for p in parts):
        return "satisfied"
    return "unknown"


class _Gate:
    """One gate call: the repository context and the registry facts, each part computed at most once."""

    PARTS = ("served_model_load", "registry_version", "request_schema", "registry_signature", "signature_match",
             "traffic_split", "drift_schedule", "drift_recency", "retraining_trigger", "prediction_record",
             "rollback_rehearsal", "registry_previous", "champion_comparison")

    def __init__(self, repo: Path | None, tracking_uri: str | None, model: str | None, alias: str | None, needs_registry: bool):
        from mlproof.gate.registry import given_tracking_uri

        self.ctx = None
        if repo is not None:
            from mlproof.gate.context import GateContext

            self.ctx = GateContext.load(repo)
        self.uri = given_tracking_uri(tracking_uri)
        self.model, self.alias = model, alias
        self._parts: dict[str, list[ProofPart]] = {}
        self._served = None
        self.served_load = None
        if self.ctx is not None:
            from mlproof.gate.repo_proofs import served_model_part

            self._served, self.served_load = served_model_part(self.ctx)
        self.registry = None
        self.registry_note = None
        self.registry_missing = False
        if needs_registry:
            self._open_registry()

    # -- the registry

    def _open_registry(self) -> None:
        from mlproof.gate.registry import NO_URI, RegistryFacts

        load = self.served_load
        name = self.model or (load.name if load is not None else None)
        if name is None and self.ctx is not None:
            from mlproof.gate.repo_proofs import registered_name_hint

            name = registered_name_hint(self.ctx)
        if self.model and load is not None and load.name and load.name != self.model:
            self._served = self._served.model_copy(update={
                "status": "missing",
                "detail": f"the served code loads models:/{load.name}…, not the model the claim is about ({self.model})"})
        version = load.version if load is not None and load.kind == "pinned" and self.alias is None and name == load.name else None
        if self.alias is None:
            self.alias = load.alias if load is not None and load.kind == "alias" and name == load.name else ("champion" if version is None else None)
        self.version = version
        if self.uri is None:
            self.registry_note = NO_URI
            return
        if name is None:
            self.registry_note = "no model name: pass --model NAME (the served code loads no models:/ URI)"
            return
        self.model = name
        try:
            self.registry = RegistryFacts(self.uri, name, self.alias, version)
        except MlproofError as err:
            if "No registered model named" not in str(err):
                raise
            self.registry_missing = True
            self.registry_note = f"the MLflow store has no registered model {name!r}"

    def _registry_part(self, name: str, build) -> ProofPart:
        from mlproof.gate.registry import unknown_part

        if self.registry is not None:
            return build(self.registry)
        status = "missing" if self.registry_missing else "unknown"
        return ProofPart(source="mlflow", name=name, status=status, detail=self.registry_note or "MLflow not consulted") \
            if status == "missing" else unknown_part(name, self.registry_note or "MLflow not consulted")

    # -- parts

    def parts(self, part_id: str) -> list[ProofPart]:
        if part_id not in self._parts:
            self._parts[part_id] = self._compute(part_id)
        return self._parts[part_id]

    def _compute(self, part_id: str) -> list[ProofPart]:
        from mlproof.gate import registry as reg

        if part_id in REGISTRY_PARTS:
            builders = {"registry_version": ("alias", reg.served_version_part), "registry_signature": ("signature", reg.signature_part),
                        "registry_previous": ("previous_version", reg.previous_version_part)}
            name, build = builders[part_id]
            return [self._registry_part(name, build)]
        if self.ctx is None:
            return [] if part_id in ("drift_recency", "signature_match") else \
                [ProofPart(source="repo", name=part_id.replace("_", " "), status="unknown", detail=NO_REPO)]
        from mlproof.gate import job_proofs, repo_proofs

        ctx = self.ctx
        if part_id == "served_model_load":
            return [self._served]
        if part_id == "request_schema":
            part, self._models = repo_proofs.request_schema_part(ctx)
            return [part]
        if part_id == "signature_match":
            self.parts("request_schema")
            signature = self.registry.signature if self.registry is not None else None
            part = repo_proofs.signature_match_part(ctx, getattr(self, "_models", []), signature)
            if self.registry is None and part.status == "unknown":
                part = part.model_copy(update={"detail": f"{part.detail}; {self.registry_note or 'MLflow not consulted'}"})
            return [part]
        if part_id == "traffic_split":
            return [repo_proofs.traffic_part(ctx)]
        if part_id == "drift_schedule":
            part, self._drift_jobs = job_proofs.drift_scheduled(ctx)
            return [part]
        if part_id == "drift_recency":
            self.parts("drift_schedule")
            experiments = sorted({f.experiment for f in getattr(self, "_drift_jobs", None) or [] if f.experiment})
            if not experiments or self.uri is None:
                return []  # recency is checked where the scheduled job logs its drift runs (`--log-to-mlflow EXPERIMENT`)
            from mlproof.gate.cron import schedule_period

            periods = [p for f in self._drift_jobs if (p := schedule_period(f.trigger.detail)) is not None]
            part = reg.drift_recency_part(self.uri, experiments, periods)
            return [part] if part is not None else []
        if part_id == "retraining_trigger":
            return [job_proofs.retraining_trigger(ctx)]
        if part_id == "prediction_record":
            return [repo_proofs.prediction_log_part(ctx)]
        if part_id == "rollback_rehearsal":
            return [job_proofs.rollback_rehearsal(ctx)]
        if part_id == "champion_comparison":
            return [job_proofs.champion_gate(ctx)]
        raise RuntimeError(f"claims.yaml names an unknown part {part_id!r}")


def gate_claim(claim: str, repo: str | Path | None = None, tracking_uri: str | None = None, model: str | None = None,
               alias: str | None = None) -> GateVerdict:
    """PASS only when every proof the claim needs is satisfied with evidence; otherwise BLOCKED."""
    data = load_claims()
    claim_id = resolve_claim(claim)
    spec = data["claims"][claim_id]
    wanted = [data["proofs"][pid] | {"id": pid} for pid in spec["proofs"]]
    root = None
    if repo is not None:
        root = Path(repo)
        if not root.is_dir():
            raise MlproofError(f"The repository {str(root)[:80]} does not exist or is not a directory.")
    needs_registry = any(part in REGISTRY_PARTS for p in wanted for part in p["parts"])
    gate = _Gate(root, tracking_uri, model, alias, needs_registry)
    proofs = []
    for p in wanted:
        parts = [part for part_id in p["parts"] for part in gate.parts(part_id)]
        proofs.append(Proof(id=p["id"], title=p["title"], status=_combine(parts), parts=parts, how=" ".join(p["how"].split())))
    missing = [f"{proof.title} ({proof.status}): {proof.how}" for proof in proofs if proof.status != "satisfied"]
    return GateVerdict(claim=claim_id, claim_text=claim, claim_title=spec["title"], verdict="BLOCKED" if missing else "PASS",
                       repo=str(repo) if repo is not None else None, tracking_uri=gate.uri,
                       model=gate.model, alias=gate.alias or "champion", proofs=proofs, missing=missing,
                       registry_note=gate.registry_note)
