"""The audit as SARIF 2.1.0, for code scanning (GitHub upload-sarif, IDE viewers, sarif-tools).

One rule per catalog check, with the catalog's title, why, detection and fix as help and a
link to the check's section in docs/checks.md. Each failing or partial check becomes one
result, located at its first piece of evidence (the rest are related locations). A failing
check with no evidence at all points at the file where the practice belongs (the CI
definition for CI/CD checks, otherwise the README), and its message says that nothing was
found. The level follows the status and the check's weight (LEVELS below).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import quote

from mlproof import __version__
from mlproof.evidence import Evidence
from mlproof.repo.redact import redact
from mlproof.rubric.catalog import Check, load_catalog
from mlproof.rubric.checkdocs import check_help_uri, homepage_url
from mlproof.rubric.models import AuditReport, CheckResult

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "SRCROOT"
# status -> weight -> SARIF level. A failed weight-3 practice is an error; partial is one step milder.
LEVELS = {
    "fail": {3: "error", 2: "warning", 1: "warning"},
    "partial": {3: "warning", 2: "note", 1: "note"},
}
# The same scale in CodeQL's words (GitHub shows it as the alert's severity).
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
MAX_RELATED = 10
# Where a practice with no evidence belongs: the first of these that exists in the repository.
HOME_FILES = {
    "cicd": [".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", "azure-pipelines.yml", "Jenkinsfile"],
}
DEFAULT_HOME_FILES = ["README.md", "README.rst", "README.txt", "README", "pyproject.toml", "setup.py", "requirements.txt"]
FINGERPRINT_KEY = "mlproofFinding/v1"


def level(status: str, weight: int) -> str:
    return LEVELS[status][weight]


def _rule_name(title: str) -> str:
    """A readable identifier from the title: 'Data and model versioning' -> DataAndModelVersioning."""
    return "".join(word[:1].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title))


def _rule(check: Check, pillar_name: str) -> dict:
    tests = ", ".join(check.ml_test_score) or "none"
    text = (f"{check.why}\n\nHow mlproof detects it: {check.detection}\n\nHow to fix it: {check.fix}\n\n"
            f"Pillar: {pillar_name}. Weight {check.weight}. ML Test Score: {tests}.")
    markdown = (f"**Why it matters.** {check.why}\n\n**How mlproof detects it.** {check.detection}\n\n"
                f"**How to fix it.** {check.fix}\n\n"
                f"Pillar: {pillar_name} · weight {check.weight} · ML Test Score: {tests} · "
                f"[check reference]({check_help_uri(check.id)})")
    fail_level = level("fail", check.weight)
    return {
        "id": check.id,
        "name": _rule_name(check.title),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.why},
        "help": {"text": text, "markdown": markdown},
        "helpUri": check_help_uri(check.id),
        "defaultConfiguration": {"level": fail_level},
        "properties": {
            "pillar": check.pillar,
            "pillar_name": pillar_name,
            "weight": check.weight,
            "ml_test_score": list(check.ml_test_score),
            "effort": check.effort,
            "impact": check.impact,
            "problem.severity": PROBLEM_SEVERITY[fail_level],
            "tags": ["mlops", f"pillar/{check.pillar}", *(f"ml-test-score/{t}" for t in check.ml_test_score)],
        },
    }


def _uri(path: str) -> str:
    return quote(path, safe="/")


def _where(ev: Evidence) -> str:
    """Where inside the file, in words (notebook cells have no line in the .ipynb JSON)."""
    if ev.cell is not None:
        return f"notebook cell {ev.cell}" + (f", line {ev.line}" if ev.line is not None else "")
    return f"line {ev.line}" if ev.line is not None else "the file"


def _location(ev: Evidence, message: str | None = None) -> dict:
    physical: dict = {"artifactLocation": {"uri": _uri(ev.path), "uriBaseId": SRCROOT}}
    if ev.cell is None and ev.line is not None:
        region: dict = {"startLine": ev.line}
        if ev.snippet:
            region["snippet"] = {"text": ev.snippet}
        physical["region"] = region
    location: dict = {"physicalLocation": physical}
    if message or ev.cell is not None:
        where = f"{_where(ev)}: {ev.snippet}" if ev.snippet else _where(ev)
        location["message"] = {"text": message or where}
    return location


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def _home_file(root: Path, pillar: str) -> str | None:
    """The repository file a practice with no evidence belongs to, when one exists."""
    for pattern in HOME_FILES.get(pillar, []) + DEFAULT_HOME_FILES:
        matches = sorted(p for p in root.glob(pattern) if p.is_file()) if root.is_dir() else []
        if matches:
            return matches[0].relative_to(root).as_posix()
    return None


def _result(result: CheckResult, rule_index: int, root: Path, files_read: int) -> dict:
    lvl = level(result.status, result.weight)
    located = [ev for ev in result.evidence if ev.path]
    base = {"ruleId": result.id, "ruleIndex": rule_index, "level": lvl, "kind": "fail",
            "properties": {"status": result.status, "pillar": result.pillar, "weight": result.weight}}
    if located:
        first = located[0]
        quoted = f" `{first.snippet}`" if first.snippet else ""
        message = (f"{result.title}: {result.status}. {result.why} Evidence: {first.path} ({_where(first)}){quoted}. "
                   f"Fix: {result.fix}")
        base["message"] = {"text": message}
        base["locations"] = [_location(first)]
        related = [dict(_location(ev, f"{_where(ev)}: {ev.snippet}" if ev.snippet else _where(ev)), id=i)
                   for i, ev in enumerate(located[1:1 + MAX_RELATED], start=1)]
        if related:
            base["relatedLocations"] = related
        snippet = " ".join(first.snippet.split())
        base["partialFingerprints"] = {FINGERPRINT_KEY: _fingerprint(result.id, result.status, first.path, snippet)}
        return base
    home = _home_file(root, result.pillar)
    target = home or "the repository root"
    message = (f"{result.title}: {result.status}. No evidence of this practice was found in the {files_read} files "
               f"mlproof read, so this result points at {target}: the practice belongs to the repository as a whole, "
               f"not to one line. {result.why} Fix: {result.fix}")
    base["message"] = {"text": message}
    base["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": _uri(home) if home else ".", "uriBaseId": SRCROOT}},
                          "message": {"text": f"no evidence found anywhere; {target} is where the practice belongs"}}]
    base["partialFingerprints"] = {FINGERPRINT_KEY: _fingerprint(result.id, result.status, "<no evidence>")}
    return base


def _redacted(value):
    """Every string of the log with credentials masked: the last step before the log is written."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    return value


def sarif_log(report: AuditReport) -> dict:
    """The SARIF log of an audit report (a dict ready for json.dumps)."""
    catalog = load_catalog()
    rules = [_rule(check, catalog.pillars[check.pillar]) for check in catalog.checks]
    index = {check.id: i for i, check in enumerate(catalog.checks)}
    root = Path(report.root)
    results = [_result(r, index[r.id], root, report.scan.files_read) for r in report.checks if r.status in ("fail", "partial")]
    run = {
        "tool": {"driver": {
            "name": "mlproof",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": homepage_url(),
            "rules": rules,
        }},
        "originalUriBaseIds": {SRCROOT: {"uri": root.resolve().as_uri() + "/",
                                         "description": {"text": "The audited repository."}}},
        "columnKind": "utf16CodeUnits",
        "invocations": [{"executionSuccessful": True}],
        "results": results,
        "properties": {
            "score": report.score,
            "maturity_level": report.maturity.level,
            "maturity": report.maturity.name,
            "repo_kind": report.scan.repo_kind,
            "files_read": report.scan.files_read,
            "only": report.only,
        },
    }
    return _redacted({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]})


def render_sarif(report: AuditReport) -> str:
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
