"""`mlproof gate --format junit`: one test case per proof; a proof that is not satisfied is a failure
whose message says how to provide it. Parsed back with junitparser, as CI test reporters do."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from junitparser import Failure, JUnitXml

from mlproof.evidence import Evidence
from mlproof.gate.junit import render_junit
from mlproof.gate.models import GateVerdict, Proof, ProofPart

REPO = Path(__file__).resolve().parents[1]
CHURN = REPO / "evals" / "fixtures" / "churn-model"
SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def verdict_with(proofs: list[Proof]) -> GateVerdict:
    blocked = [p for p in proofs if p.status != "satisfied"]
    return GateVerdict(claim="model_promoted", claim_text="model promoted", claim_title="The model is promoted",
                       verdict="BLOCKED" if blocked else "PASS", repo="/repo", model="churn", proofs=proofs,
                       missing=[f"{p.title} ({p.status}): {p.how}" for p in blocked])


def parse(text: str, tmp_path: Path) -> JUnitXml:
    path = tmp_path / "gate.xml"
    path.write_text(text, encoding="utf-8")
    return JUnitXml.fromfile(str(path))


def test_each_proof_is_a_test_case_and_failures_say_how_to_provide_the_proof(tmp_path):
    satisfied = Proof(id="registered_model", title="Model registered", status="satisfied", how="Register it.",
                      parts=[ProofPart(source="mlflow", name="alias", status="satisfied", detail="champion -> v3",
                                       evidence=[Evidence(kind="mlflow", ids={"model": "churn", "version": "3"})])])
    missing = Proof(id="rollback", title="A tested rollback path", status="missing",
                    how="Keep the previous version registered and exercise the alias flip in a test.",
                    parts=[ProofPart(source="repo", name="deploy.rollback", status="missing", detail="no evidence in the repository")])
    unknown = Proof(id="serving_schema", title="Serving schema", status="unknown", how="Pass --model NAME.",
                    parts=[ProofPart(source="mlflow", name="signature", status="unknown", detail="no model name given")])
    xml = parse(render_junit(verdict_with([satisfied, missing, unknown])), tmp_path)
    suites = list(xml)
    assert len(suites) == 1
    suite = suites[0]
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (3, 2, 0, 0)
    cases = {case.name: case for case in suite}
    assert set(cases) == {"registered_model: Model registered", "rollback: A tested rollback path", "serving_schema: Serving schema"}
    assert cases["registered_model: Model registered"].is_passed
    assert "model=churn, version=3" in cases["registered_model: Model registered"].system_out
    failure = cases["rollback: A tested rollback path"].result[0]
    assert isinstance(failure, Failure) and failure.type == "missing"
    assert "How to provide it: Keep the previous version registered" in failure.message
    assert "deploy.rollback: no evidence in the repository" in failure.message
    assert cases["serving_schema: Serving schema"].result[0].type == "unknown"
    assert all(case.classname == "mlproof.gate.model_promoted" for case in suite)
    properties = {p.name: p.value for p in suite.properties()}
    assert properties["verdict"] == "BLOCKED" and properties["model"] == "churn"


def test_secrets_and_control_characters_never_break_or_leak_into_the_xml(tmp_path):
    proof = Proof(id="prediction_logging", title="Prediction logs", status="satisfied", how="Log predictions.",
                  parts=[ProofPart(source="repo", name="monitor.prediction_logging", status="satisfied", detail="found",
                                   evidence=[Evidence(path="serve.py", line=3, snippet=f'token = "{SECRET}"\x01 <b>&')])])
    text = render_junit(verdict_with([proof]))
    assert SECRET not in text
    ET.fromstring(text.encode("utf-8"))  # well-formed despite the control character and markup
    case = next(iter(next(iter(parse(text, tmp_path)))))
    assert "serve.py:3" in case.system_out and "<b>&" in case.system_out


def test_cli_junit_for_a_real_repository_is_blocked_with_exit_1(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mlproof", "gate", "monitoring in place", "--repo", str(CHURN),
                             "--format", "junit"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    suite = next(iter(parse(result.stdout, tmp_path)))
    assert suite.tests == 3 and suite.failures == 3  # drift, retraining and prediction logging are missing in the fixture
    for case in suite:
        assert "How to provide it:" in case.result[0].message
