"""The fake-pass suite: a genuine service passes; every copy with one proof faked is BLOCKED on that proof alone."""

from __future__ import annotations

import shutil
import time

import pytest
from mlflow import MlflowClient

from mlproof.gate import gate_claim
from tests.gate_fakes import DRIFT_EXPERIMENT, FAKES, MODEL, build_store, log_drift_run, write_service
from tests.mlflow_support import shared_sqlite_store

DAY_MS = 24 * 3600 * 1000


@pytest.fixture(autouse=True)
def _no_ambient_store(monkeypatch):
    # mlflow.set_tracking_uri in an earlier test leaves MLFLOW_TRACKING_URI set; the gate reads that variable by design
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    seeded = shared_sqlite_store(tmp_path_factory.mktemp("seeded-store"))  # shared by the session: its copy skips MLflow's migrations
    return build_store(tmp_path_factory.mktemp("service-store"), template_uri=seeded.tracking_uri)


@pytest.fixture(scope="module")
def genuine(tmp_path_factory):
    return write_service(tmp_path_factory.mktemp("genuine") / "churn")


def _not_satisfied(verdict) -> set[str]:
    return {p.id for p in verdict.proofs if p.status != "satisfied"}


def _copy(genuine, tmp_path):
    repo = tmp_path / "churn"
    shutil.copytree(genuine, repo)
    return repo


def test_the_genuine_service_passes_every_claim_with_evidence(store, genuine):
    for claim in ("deployment done", "model promoted", "monitoring in place"):
        verdict = gate_claim(claim, repo=genuine, tracking_uri=store.tracking_uri)
        assert verdict.verdict == "PASS", verdict.to_markdown()
        assert all(p.status == "satisfied" and p.evidence for p in verdict.proofs)
    verdict = gate_claim("deployment done", repo=genuine, tracking_uri=store.tracking_uri)
    assert (verdict.model, verdict.alias) == (MODEL, "champion")  # named by the served code, not by the caller
    parts = {part.name: part for proof in verdict.proofs for part in proof.parts}
    assert parts["alias"].evidence[0].ids == {"model": MODEL, "alias": "champion", "version": "2", "run_id": store.versions["2"]}
    assert parts["previous_version"].evidence[0].ids["version"] == "1"
    assert parts["drift ran recently"].detail.startswith("ran recently: last drift run 3.0 hours ago")
    assert parts["drift ran recently"].evidence[0].ids["run_id"] == store.drift_run_id
    # every repository fact is a chain from where the code starts to where it does the thing
    load = parts["served model load"].evidence[0]
    assert [link.path for link in load.chain] == ["src/churn_service/app.py", "src/churn_service/app.py", "src/churn_service/registry.py"]
    drift = parts["scheduled drift job"].evidence[0]
    assert drift.chain[0].path == ".github/workflows/drift.yml" and drift.chain[0].relation.startswith("schedule trigger")
    record = parts["prediction record"].evidence[0]
    assert (record.path, record.chain[-1].path) == ("src/churn_service/prediction_log.py", "src/churn_service/prediction_log.py")


@pytest.mark.parametrize("name", sorted(FAKES))
def test_each_fake_is_blocked_on_the_faked_proof_only(store, genuine, tmp_path, name):
    proof, edit = FAKES[name]
    repo = _copy(genuine, tmp_path)
    edit(repo)
    verdict = gate_claim("deployment done", repo=repo, tracking_uri=store.tracking_uri)
    assert verdict.verdict == "BLOCKED"
    assert _not_satisfied(verdict) == {proof}, verdict.to_markdown()
    blocked = next(p for p in verdict.proofs if p.id == proof)
    assert blocked.status == "missing"
    assert "mlproof " in blocked.how  # the way out names an mlproof command
    assert len(verdict.missing) == 1 and blocked.title in verdict.missing[0]


def test_the_suite_covers_every_class_the_issue_names():
    proofs = {proof for proof, _ in FAKES.values()}
    assert proofs == {"registered_model", "serving_schema", "progressive_delivery", "drift_scheduled",
                      "retraining_trigger", "prediction_logging", "rollback"}
    assert len(FAKES) >= 16


def test_missing_parts_name_what_is_missing(store, genuine, tmp_path):
    repo = _copy(genuine, tmp_path)
    FAKES["request_type_mismatch"][1](repo)
    FAKES["log_without_features_or_version"][1](repo)
    verdict = gate_claim("deployment done", repo=repo, tracking_uri=store.tracking_uri)
    parts = {part.name: part for proof in verdict.proofs for part in proof.parts}
    assert "monthly_charges is str in CustomerFeatures, double in the signature" in parts["signature matches request"].detail
    record = parts["prediction record"].detail
    assert "features" in record and "model version" in record and "latency" not in record.split("lacks", 1)[1].split("(")[0]


def test_placeholder_versions_are_named(store, genuine, tmp_path):
    repo = _copy(genuine, tmp_path)
    FAKES["placeholder_model_version"][1](repo)
    verdict = gate_claim("monitoring in place", repo=repo)
    record = next(part for proof in verdict.proofs for part in proof.parts if part.name == "prediction record")
    assert "model_version is the placeholder '?'" in record.detail


def test_a_stale_drift_run_blocks_and_says_how_old(store, genuine, tmp_path):
    client = MlflowClient(tracking_uri=store.tracking_uri)
    now = int(time.time() * 1000)
    log_drift_run(client, "churn-drift-stale", str(tmp_path / "drift-artifacts"), now - 5 * DAY_MS, drifted=True)
    repo = _copy(genuine, tmp_path)
    workflow = repo / ".github/workflows/drift.yml"
    workflow.write_text(workflow.read_text().replace(f"--log-to-mlflow {DRIFT_EXPERIMENT}", "--log-to-mlflow churn-drift-stale"))
    verdict = gate_claim("monitoring in place", repo=repo, tracking_uri=store.tracking_uri)
    recency = next(part for proof in verdict.proofs for part in proof.parts if part.name == "drift ran recently")
    assert verdict.verdict == "BLOCKED" and recency.status == "missing"
    assert recency.detail.startswith("last drift run 5 days ago, more than two periods of the schedule (2 × 1.0 days)")

    # the same run is recent enough for a weekly schedule (two periods = 14 days)
    workflow.write_text(workflow.read_text().replace('cron: "0 6 * * *"', 'cron: "0 6 * * 1"'))
    weekly = gate_claim("monitoring in place", repo=repo, tracking_uri=store.tracking_uri)
    assert weekly.verdict == "PASS", weekly.to_markdown()


def test_a_drift_job_that_logs_nowhere_it_has_run_is_missing(store, genuine, tmp_path):
    repo = _copy(genuine, tmp_path)
    workflow = repo / ".github/workflows/drift.yml"
    workflow.write_text(workflow.read_text().replace(f"--log-to-mlflow {DRIFT_EXPERIMENT}", "--log-to-mlflow never-ran"))
    verdict = gate_claim("monitoring in place", repo=repo, tracking_uri=store.tracking_uri)
    recency = next(part for proof in verdict.proofs for part in proof.parts if part.name == "drift ran recently")
    assert recency.status == "missing" and "has not run" in recency.detail
    # without a store the schedule alone decides (recency needs MLflow)
    assert gate_claim("monitoring in place", repo=repo).verdict == "PASS"


def test_waivers_in_the_project_configuration_never_satisfy_a_proof(store, genuine, tmp_path):
    repo = _copy(genuine, tmp_path)
    FAKES["canary_only_in_docs"][1](repo)
    (repo / "pyproject.toml").write_text('[tool.mlproof]\n[tool.mlproof.waive]\n"deploy.progressive_delivery" = "batch scoring only"\n')
    verdict = gate_claim("deployment done", repo=repo, tracking_uri=store.tracking_uri)
    assert _not_satisfied(verdict) == {"progressive_delivery"}


def test_a_pinned_version_is_checked_in_the_registry(store, genuine, tmp_path):
    repo = _copy(genuine, tmp_path)
    registry = repo / "src/churn_service/registry.py"
    registry.write_text(registry.read_text().replace('f"models:/{MODEL_NAME}@{ALIAS}"', '"models:/churn/1"'))
    verdict = gate_claim("model promoted", repo=repo, tracking_uri=store.tracking_uri)
    parts = {part.name: part for proof in verdict.proofs for part in proof.parts}
    assert parts["version"].status == "satisfied" and parts["version"].evidence[0].ids["version"] == "1"
    # version 1 is the oldest: nothing older to roll back to
    assert parts["previous_version"].status == "missing"
    registry.write_text(registry.read_text().replace('"models:/churn/1"', '"models:/churn/9"'))
    verdict = gate_claim("model promoted", repo=repo, tracking_uri=store.tracking_uri)
    assert next(part for proof in verdict.proofs for part in proof.parts if part.name == "version").status == "missing"


@pytest.mark.parametrize("config_file, text", [
    ("pyproject.toml", '[tool.pytest.ini_options]\npython_files = ["test_*.py", "*_check.py"]\n'),
    ("pytest.ini", "[pytest]\npython_files = test_*.py *_check.py\n"),
])
def test_a_rollback_test_the_repository_configures_pytest_to_collect_counts(store, genuine, tmp_path, config_file, text):
    """Near miss of rollback_test_pytest_never_collects: the same file, collected by the repository's python_files."""
    repo = _copy(genuine, tmp_path)
    FAKES["rollback_test_pytest_never_collects"][1](repo)
    (repo / config_file).write_text(text, encoding="utf-8")
    verdict = gate_claim("deployment done", repo=repo, tracking_uri=store.tracking_uri)
    assert verdict.verdict == "PASS", verdict.to_markdown()
