"""Per-project configuration: `[tool.mlproof]` in pyproject.toml or `.mlproof.toml` (waive, kind, exclude)."""

from __future__ import annotations

import pytest

from mlproof.cli import main
from mlproof.errors import MlproofError
from mlproof.rubric.audit import run_audit
from mlproof.rubric.scoring import weighted_score
from tests.audit_support import build

CANARY = {"k8s/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nspec:\n  predictor:\n    canaryTrafficPercent: 10\n"}


def test_a_waived_check_shows_its_reason_and_leaves_the_score(tmp_path):
    plain = run_audit(build(tmp_path / "plain", {}))
    waived = run_audit(build(tmp_path / "waived", {
        ".mlproof.toml": '[waive]\n"deploy.progressive_delivery" = "batch scoring only: no live traffic to split"\n'}))
    check = waived.check("deploy.progressive_delivery")
    assert check.status == "waived" and check.graded_status == "fail"
    assert check.waived == "batch scoring only: no live traffic to split" and "batch scoring only" in check.why
    assert waived.scan.config == ".mlproof.toml"
    # the waived check left the score: it equals the score of the other checks, and differs from the plain one's
    graded = [c for c in plain.checks if c.id != "deploy.progressive_delivery"]
    assert waived.score == weighted_score(graded) and weighted_score(plain.checks) == plain.score
    deploy = next(p for p in waived.pillars if p.pillar == "deploy")
    assert deploy.counts["waived"] == 1


def test_pyproject_table_is_read_and_dedicated_file_wins(tmp_path):
    root = build(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n[tool.mlproof]\nkind = "library"\n'})
    assert run_audit(root).scan.repo_kind == "library"
    (root / ".mlproof.toml").write_text('kind = "tutorial"\n')
    report = run_audit(root)
    assert report.scan.repo_kind == "tutorial" and "set in .mlproof.toml" in report.scan.repo_kind_reason


def test_excluded_paths_are_not_read(tmp_path):
    root = build(tmp_path, {**CANARY, ".mlproof.toml": 'exclude = ["k8s/"]\n'})
    report = run_audit(root)
    assert report.check("deploy.progressive_delivery").status == "fail"
    assert report.scan.skipped["excluded by the project configuration"] == 1
    (root / ".mlproof.toml").write_text('exclude = ["docs/*.md"]\n')  # a near miss: other paths only
    assert run_audit(root).check("deploy.progressive_delivery").status == "pass"


@pytest.mark.parametrize("text, words", [
    ('waive = {"monitor.nope" = "x"}\n', "unknown check"),
    ('[waive]\n"monitor.alerting" = ""\n', "needs a reason"),
    ('kind = "notebook"\n', "kind 'notebook' is not one of"),
    ('colour = "blue"\n', "unknown key 'colour'"),
    ('exclude = "docs"\n', "exclude must be a list"),
    ('kind = \n', "not valid TOML"),
])
def test_a_bad_key_or_value_is_one_sentence_naming_it(tmp_path, capsys, text, words):
    root = build(tmp_path, {".mlproof.toml": text})
    with pytest.raises(MlproofError, match=words):
        run_audit(root)
    assert main(["audit", str(root), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: .mlproof.toml") and "\n" not in err and "Traceback" not in err


def test_error_messages_do_not_echo_long_input(tmp_path):
    root = build(tmp_path, {".mlproof.toml": f'kind = "{"x" * 5000}"\n'})
    with pytest.raises(MlproofError) as err:
        run_audit(root)
    assert len(str(err.value)) < 200
