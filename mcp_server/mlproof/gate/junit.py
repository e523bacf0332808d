"""The gate's verdict as JUnit XML, so CI systems show each proof as a test result.

One <testsuite> per claim, one <testcase> per proof. A satisfied proof passes and lists its
evidence in <system-out>; a missing or unknown proof is a <failure> whose message says what
is missing and how to provide it (the proof's `how`). Built from the GateVerdict model only.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from mlproof.gate.models import GateVerdict, Proof
from mlproof.repo.redact import redact

MAX_EVIDENCE_LINES = 10
XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: object) -> str:
    """Text for the XML: credentials masked (the last step before it is written), and no control
    characters, which XML 1.0 cannot carry."""
    return XML_INVALID.sub("\ufffd", redact(str(value)))


def _details(proof: Proof) -> str:
    lines = []
    for part in proof.parts:
        lines.append(f"[{part.source}] {part.name}: {part.status}: {part.detail}")
        for ev in part.evidence[:MAX_EVIDENCE_LINES]:
            snippet = f" {ev.snippet[:200]}" if ev.snippet else ""
            lines.append(f"  {ev.location()}{snippet}")
    return "\n".join(lines)


def _testcase(verdict: GateVerdict, proof: Proof) -> ET.Element:
    case = ET.Element("testcase", {"classname": f"mlproof.gate.{verdict.claim}", "name": _text(f"{proof.id}: {proof.title}"),
                                   "time": "0"})
    details = _details(proof)
    if proof.status == "satisfied":
        ET.SubElement(case, "system-out").text = _text(details)
        return case
    missing = "; ".join(f"{p.name}: {p.detail}" for p in proof.parts if p.status != "satisfied")
    message = f"{proof.status}: {missing}. How to provide it: {proof.how}"
    failure = ET.SubElement(case, "failure", {"message": _text(message), "type": proof.status})
    failure.text = _text(f"{details}\n\nHow to provide it: {proof.how}")
    return case


def render_junit(verdict: GateVerdict) -> str:
    """The JUnit XML document (UTF-8, with declaration) for one gate verdict."""
    failures = sum(1 for p in verdict.proofs if p.status != "satisfied")
    counts = {"tests": str(len(verdict.proofs)), "failures": str(failures), "errors": "0", "skipped": "0", "time": "0"}
    suites = ET.Element("testsuites", {"name": "mlproof gate", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": _text(f"gate: {verdict.claim_title}"), **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("claim", verdict.claim), ("claim_text", verdict.claim_text), ("verdict", verdict.verdict),
                        ("repo", verdict.repo), ("tracking_uri", verdict.tracking_uri), ("model", verdict.model),
                        ("alias", verdict.alias)):
        if value is not None:
            ET.SubElement(properties, "property", {"name": name, "value": _text(value)})
    for proof in verdict.proofs:
        suite.append(_testcase(verdict, proof))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
