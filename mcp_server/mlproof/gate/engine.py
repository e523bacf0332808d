"""The anti-fake-pass gate: a "done" claim passes only when every proof has evidence.

Which proofs a claim needs, and what each proof is made of, lives in
claims.yaml. Repository facts come from the audit engine (`run_audit`), registry
facts from mlproof.tracking. A part with no way to know (no repository, no
model name, no store) is "unknown", which blocks just like "missing": the gate
never guesses.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import yaml

from mlproof.errors import MlproofError
from mlproof.evidence import Evidence
from mlproof.gate.models import GateVerdict, Proof, ProofPart, ProofStatus

CLAIMS_FILE = Path(__file__).with_name("claims.yaml")
# Files that look like they serve predictions: where a raw artifact load matters.
SERVING_PATH = re.compile(r"(?i)serv|api|app\.py|predict|infer|scor|endpoint|handler|main\.py")
RAW_LOAD = re.compile(r"""runs:/|joblib\.load\(|pickle\.load\(|torch\.load\(|cloudpickle\.load\(|load_model\(\s*["'][^"']+\.(?:pkl|pickle|joblib|pt|pth|h5|onnx)["']""")


@functools.lru_cache(maxsize=1)
def load_claims() -> dict:
    with CLAIMS_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    for claim_id, claim in data["claims"].items():
        unknown = [p for p in claim["proofs"] if p not in data["proofs"]]
        if unknown:
            raise RuntimeError(f"claims.yaml: claim {claim_id} needs undefined proofs {unknown}")
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
    raise MlproofError(f"The claim {claim!r} is not one the gate knows; use one of: {known}.")


# ----------------------------------------------------------------------------- repository parts

class RepoFacts:
    """The audit of one repository, run once and shared by every proof."""

    def __init__(self, repo: Path):
        from mlproof.rubric.audit import run_audit

        self.root = repo
        self.report = run_audit(str(repo))
        self.checks = {c.id: c for c in self.report.checks}
        self._files = None

    def files(self):
        if self._files is None:
            from mlproof.repo.walk import list_files

            self._files = list_files(self.root).files
            self._paths = {item.rel: item.path for item in self._files}
        return self._files

    def text(self, rel: str) -> str:
        """A listed file's text; a path the walk did not keep (outside the root, behind a link) reads as empty."""
        from mlproof.repo.readers import read_bytes

        self.files()
        path = self._paths.get(rel)
        if path is None:
            return ""
        try:
            return read_bytes(path, 0).decode("utf-8", errors="replace")
        except OSError:
            return ""


def _check_part(facts: RepoFacts, check_id: str) -> ProofPart:
    check = facts.checks.get(check_id)
    if check is None:
        return ProofPart(source="repo", name=check_id, status="unknown", detail="the audit engine has no such check")
    status: ProofStatus = {"pass": "satisfied", "partial": "missing", "fail": "missing"}.get(check.status, "unknown")
    detail = {
        "pass": f"{check.title}: found",
        "partial": f"{check.title}: only partial evidence ({check.why})",
        "fail": f"{check.title}: no evidence in the repository",
    }.get(check.status, f"{check.title}: does not apply to this repository ({check.why})")
    return ProofPart(source="repo", name=check_id, status=status, detail=detail, evidence=list(check.evidence))


def _terms_parts(facts: RepoFacts, base: ProofPart, terms: dict[str, str]) -> list[ProofPart]:
    """Each required term must appear in a file behind the check's evidence."""
    paths = list(dict.fromkeys(e.path for e in base.evidence if e.path))
    parts = []
    for name, pattern in terms.items():
        regex = re.compile(pattern)
        hit = None
        for rel in paths:
            for number, line in enumerate(facts.text(rel).splitlines(), start=1):
                if regex.search(line):
                    hit = Evidence(kind="file", path=rel, line=number, snippet=_redact(line.strip())[:200], detector=f"gate_term:{name}")
                    break
            if hit:
                break
        if base.status != "satisfied":
            parts.append(ProofPart(source="repo", name=name, status="unknown", detail=f"not looked for: {base.name} has no passing evidence"))
        elif hit:
            parts.append(ProofPart(source="repo", name=name, status="satisfied", detail=f"{name} recorded", evidence=[hit]))
        else:
            parts.append(ProofPart(source="repo", name=name, status="missing",
                                   detail=f"{name} not found in {', '.join(paths[:3])}"))
    return parts


def _scan_part(facts: RepoFacts, scan: dict) -> ProofPart:
    """A line matching `pattern` in a file that also matches `same_file`."""
    pattern, same_file = re.compile(scan["pattern"]), re.compile(scan["same_file"])
    path_filter = re.compile(scan["path"]) if scan.get("path") else None
    for item in facts.files():
        if path_filter is not None and not path_filter.search(item.rel):
            continue
        text = facts.text(item.rel)
        if not same_file.search(text):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if pattern.search(line):
                ev = Evidence(kind="file", path=item.rel, line=number, snippet=_redact(line.strip())[:200], detector=f"gate_scan:{scan['name']}")
                return ProofPart(source="repo", name=scan["name"], status="satisfied", detail=f"{scan['name']} found", evidence=[ev])
    where = scan.get("where") or (f"files whose path matches {scan['path']!r}" if path_filter is not None
                                  else f"any file that matches {scan['same_file']!r}")
    return ProofPart(source="repo", name=scan["name"], status="missing", detail=f"no {scan['name']} in {where}")


def _raw_artifact_part(facts: RepoFacts, model: str | None) -> ProofPart:
    from mlproof.tracking.model_uris import find_model_uris

    bad: list[Evidence] = []
    for use in find_model_uris(facts.root):
        if use.pinning in ("latest", "stage", "unpinned") and (model is None or use.model in (model,) or use.model.startswith("{")):
            bad.append(Evidence(kind="file", path=use.path, line=use.line, snippet=use.snippet, detector=f"model_uri_{use.pinning}"))
    for item in facts.files():
        if not SERVING_PATH.search(item.rel) or "test" in item.rel.lower():
            continue
        for number, line in enumerate(facts.text(item.rel).splitlines(), start=1):
            if RAW_LOAD.search(line):
                bad.append(Evidence(kind="file", path=item.rel, line=number, snippet=_redact(line.strip())[:200], detector="raw_artifact_load"))
    if bad:
        return ProofPart(source="repo", name="pinned_registry_load", status="missing", evidence=bad[:10],
                         detail="serving loads a raw artifact or an unpinned models:/ URI instead of a registered version or alias")
    return ProofPart(source="repo", name="pinned_registry_load", status="satisfied",
                     detail="no raw artifact load and no models:/…/latest or stage URI in serving code",
                     evidence=[Evidence(kind="note", snippet="scanned serving files for runs:/, pickle/joblib/torch loads and unpinned models:/ URIs", detector="raw_artifact_scan")])


def _redact(text: str) -> str:
    from mlproof.repo.redact import redact

    return redact(text)


# ----------------------------------------------------------------------------- MLflow parts

class RegistryFacts:
    """What the registry says about model@alias, read once for every proof."""

    def __init__(self, tracking_uri: str, model: str, alias: str):
        from mlproof.tracking.connection import open_client
        from mlproof.tracking.registry import _all_versions, _registered_model, version_model_facts

        self.model, self.alias = model, alias
        with open_client(tracking_uri) as client:
            rm = _registered_model(client, model)
            self.aliases = {a: str(v) for a, v in (rm.aliases or {}).items()}
            self.versions = _all_versions(client, model)
            self.current = next((v for v in self.versions if v.version == self.aliases.get(alias)), None)
            self.logged, self.problem = version_model_facts(client, tracking_uri, self.current) if self.current else (None, None)
            self.run_exists = False
            if self.current is not None and self.current.run_id:
                try:
                    client.get_run(self.current.run_id)
                    self.run_exists = True
                except Exception:
                    self.run_exists = False

    def ids(self, **extra: str) -> dict[str, str]:
        ids = {"model": self.model, "alias": self.alias}
        if self.current is not None:
            ids["version"] = self.current.version
        return {**ids, **extra}


def _mlflow_part(facts: RegistryFacts, fact: str) -> ProofPart:
    current, alias, model = facts.current, facts.alias, facts.model
    if fact == "alias":
        if current is None:
            known = ", ".join(f"@{a}=v{v}" for a, v in facts.aliases.items()) or "none"
            return ProofPart(source="mlflow", name="alias", status="missing", detail=f"{model} has no @{alias} alias (aliases: {known})",
                             evidence=[Evidence(kind="mlflow", detector="registered_model_alias", snippet=f"aliases: {known}", ids={"model": model})])
        ok = current.status == "READY" and facts.run_exists
        why = "READY, source run exists" if ok else f"status {current.status}, source run {'exists' if facts.run_exists else 'missing'}"
        return ProofPart(source="mlflow", name="alias", status="satisfied" if ok else "missing", detail=f"@{alias} -> version {current.version} ({why})",
                         evidence=[Evidence(kind="mlflow", detector="registered_model_alias", snippet=_redact(f"source {current.source}"), ids=facts.ids(run_id=current.run_id or ""))])
    if fact == "signature":
        if current is None:
            return ProofPart(source="mlflow", name="signature", status="missing", detail=f"no @{alias} version to read a signature from")
        signature = facts.logged.signature if facts.logged else None
        if signature and signature.inputs:
            names = [str(c.get("name", c.get("type"))) for c in signature.inputs]
            return ProofPart(source="mlflow", name="signature", status="satisfied", detail=f"training signature with {len(names)} inputs",
                             evidence=[Evidence(kind="mlflow", detector="mlmodel_signature", snippet=", ".join(names[:8]), ids=facts.ids(model_id=(facts.logged.model_id or "")))])
        return ProofPart(source="mlflow", name="signature", status="missing",
                         detail=f"version {current.version} has no input signature" + (f" ({facts.problem})" if facts.problem else ""),
                         evidence=[Evidence(kind="mlflow", detector="mlmodel_signature", snippet="signature: none", ids=facts.ids())])
    if fact == "previous_version":
        if current is None:
            return ProofPart(source="mlflow", name="previous_version", status="missing", detail=f"no @{alias} version, so nothing to roll back from")
        older = [v for v in facts.versions if int(v.version) < int(current.version) and v.status == "READY"]
        if not older:
            return ProofPart(source="mlflow", name="previous_version", status="missing", detail=f"version {current.version} is the only READY version; there is nothing to restore",
                             evidence=[Evidence(kind="mlflow", detector="model_versions", snippet=f"{len(facts.versions)} version(s)", ids=facts.ids())])
        previous = older[-1]
        return ProofPart(source="mlflow", name="previous_version", status="satisfied", detail=f"version {previous.version} is READY to restore",
                         evidence=[Evidence(kind="mlflow", detector="model_versions", snippet=f"rollback target v{previous.version} (run {previous.run_id})",
                                            ids={"model": model, "version": previous.version, "current_version": current.version})])
    raise RuntimeError(f"claims.yaml names an unknown MLflow fact {fact!r}")


def _signature_match_part(repo_facts: RepoFacts | None, base: ProofPart | None, registry: RegistryFacts | None) -> ProofPart:
    """Every training-signature input must be named in the serving code that validates requests."""
    name = "signature_matches_serving"
    signature = registry.logged.signature if registry is not None and registry.logged is not None else None
    if repo_facts is None or base is None or base.status != "satisfied" or not (signature and signature.inputs):
        return ProofPart(source="repo", name=name, status="unknown", detail="needs both serving-schema evidence in the repository and the model's training signature")
    columns = [str(c["name"]) for c in signature.inputs if c.get("name")]
    if not columns:
        return ProofPart(source="repo", name=name, status="unknown", detail="the signature has unnamed (tensor) inputs; compare shapes by hand")
    paths = [p for p in dict.fromkeys(e.path for e in base.evidence if e.path) if not p.lower().endswith((".md", ".rst", ".txt"))]
    found: dict[str, Evidence] = {}
    for rel in paths:
        for number, line in enumerate(repo_facts.text(rel).splitlines(), start=1):
            for column in columns:
                if column not in found and re.search(rf"\b{re.escape(column)}\b", line):
                    found[column] = Evidence(kind="file", path=rel, line=number, snippet=_redact(line.strip())[:200], detector=f"signature_input:{column}")
    absent = [c for c in columns if c not in found]
    if absent:
        return ProofPart(source="repo", name=name, status="missing", evidence=list(found.values())[:5],
                         detail=f"{len(absent)} of {len(columns)} signature inputs are not named in the serving code ({', '.join(paths[:3])}): {', '.join(absent[:8])}")
    return ProofPart(source="repo", name=name, status="satisfied", evidence=list(found.values())[:10],
                     detail=f"all {len(columns)} signature inputs of version {registry.current.version} are named in the serving schema")


# ----------------------------------------------------------------------------- the verdict

def _combine(parts: list[ProofPart]) -> ProofStatus:
    if any(p.status == "missing" for p in parts):
        return "missing"
    if all(p.status == "satisfied" for p in parts) and any(p.evidence for p in parts):
        return "satisfied"
    return "unknown"


def gate_claim(claim: str, repo: str | Path | None = None, tracking_uri: str | None = None, model: str | None = None,
               alias: str = "champion") -> GateVerdict:
    """PASS only when every proof the claim needs is satisfied with evidence; otherwise BLOCKED."""
    data = load_claims()
    claim_id = resolve_claim(claim)
    spec = data["claims"][claim_id]
    wanted = [data["proofs"][pid] | {"id": pid} for pid in spec["proofs"]]

    repo_facts = None
    if repo is not None:
        root = Path(repo)
        if not root.is_dir():
            raise MlproofError(f"The repository {root} does not exist or is not a directory.")
        repo_facts = RepoFacts(root)

    registry, registry_note, uri = None, None, None
    if any(p.get("mlflow") for p in wanted):
        from mlproof.tracking.connection import resolve_tracking_uri

        explicit = tracking_uri is not None or bool(os.environ.get("MLFLOW_TRACKING_URI"))
        uri = resolve_tracking_uri(tracking_uri)
        if model is None:
            registry_note = "no model name given (pass --model NAME)"
        else:
            try:
                registry = RegistryFacts(uri, model, alias)
            except MlproofError as err:
                if explicit:
                    raise
                registry_note = f"no MLflow store to ask ({err}); pass --tracking-uri"

    proofs = []
    for p in wanted:
        parts: list[ProofPart] = []
        if repo_facts is None:
            if p.get("repo_checks"):
                parts.append(ProofPart(source="repo", name=", ".join(p["repo_checks"]), status="unknown", detail="no repository given (pass --repo PATH)"))
        else:
            base = None
            for check_id in p.get("repo_checks", []):
                base = _check_part(repo_facts, check_id)
                parts.append(base)
                if p.get("repo_terms"):
                    parts += _terms_parts(repo_facts, base, p["repo_terms"])
            if p.get("repo_scan"):
                parts.append(_scan_part(repo_facts, p["repo_scan"]))
            if p.get("raw_artifact"):
                parts.append(_raw_artifact_part(repo_facts, model))
        for fact in p.get("mlflow", []):
            parts.append(_mlflow_part(registry, fact) if registry else ProofPart(source="mlflow", name=fact, status="unknown", detail=registry_note or "MLflow not consulted"))
        if p.get("match_signature"):
            parts.append(_signature_match_part(repo_facts, base if repo_facts is not None else None, registry))
        proofs.append(Proof(id=p["id"], title=p["title"], status=_combine(parts), parts=parts, how=p["how"].strip()))

    missing = [f"{proof.title} ({proof.status}): {proof.how}" for proof in proofs if proof.status != "satisfied"]
    return GateVerdict(claim=claim_id, claim_text=claim, claim_title=spec["title"], verdict="BLOCKED" if missing else "PASS",
                       repo=str(repo) if repo is not None else None, tracking_uri=uri if registry is not None or registry_note else None,
                       model=model, alias=alias, proofs=proofs, missing=missing)
