"""The anti-fake-pass gate on fixture repositories and a real seeded MLflow store."""

from __future__ import annotations

import json
import shutil

import pytest
from mlflow import MlflowClient

from mlproof.cli import main
from mlproof.errors import MlproofError
from mlproof.gate import gate_claim, load_claims, resolve_claim
from mlproof.tracking.seed import DEMO_MODEL
from tests.gate_fixtures import BREAKS, write_complete_repo
from tests.mlflow_support import free_port, shared_sqlite_store

SEVEN = ["registered_model", "serving_schema", "progressive_delivery", "drift_scheduled", "retraining_trigger", "prediction_logging", "rollback"]


@pytest.fixture(autouse=True)
def _no_ambient_store(monkeypatch):
    # mlflow.set_tracking_uri in an earlier test leaves MLFLOW_TRACKING_URI set; the gate reads that variable by design
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return shared_sqlite_store(tmp_path_factory.mktemp("gate-store"))


@pytest.fixture(scope="module")
def complete_repo(tmp_path_factory):
    return write_complete_repo(tmp_path_factory.mktemp("complete") / "service")


def _statuses(verdict) -> dict[str, str]:
    return {p.id: p.status for p in verdict.proofs}


def test_claims_are_data_and_free_text_resolves():
    claims = load_claims()["claims"]
    assert claims["deployment_done"]["proofs"] == SEVEN
    assert claims["model_promoted"]["proofs"] == ["registered_model", "serving_schema", "champion_gate", "rollback"]
    assert resolve_claim("The deployment is done.") == "deployment_done"
    assert resolve_claim("model_promoted") == "model_promoted"
    assert resolve_claim("we have monitoring in place") == "monitoring_in_place"
    with pytest.raises(MlproofError, match="not one the gate knows"):
        resolve_claim("the coffee is ready")


def test_a_complete_repo_and_registry_pass_with_evidence_for_every_proof(store, complete_repo):
    verdict = gate_claim("deployment done", repo=complete_repo, tracking_uri=store.tracking_uri, model=DEMO_MODEL)
    assert verdict.verdict == "PASS", verdict.to_markdown()
    assert [p.id for p in verdict.proofs] == SEVEN
    for proof in verdict.proofs:
        assert proof.status == "satisfied" and proof.evidence, proof.id
    registered = next(p for p in verdict.proofs if p.id == "registered_model")
    alias_ids = next(part for part in registered.parts if part.name == "alias").evidence[0].ids
    assert alias_ids == {"model": DEMO_MODEL, "alias": "champion", "version": "2", "run_id": store.summary.run_ids["logreg-c1"]}
    rollback = next(p for p in verdict.proofs if p.id == "rollback")
    assert next(part for part in rollback.parts if part.name == "previous_version").evidence[0].ids["version"] == "1"
    schema = next(p for p in verdict.proofs if p.id == "serving_schema")
    matched = next(part for part in schema.parts if part.name == "signature matches request")
    assert matched.evidence[0].path == "src/serve.py" and matched.evidence[0].line > 0
    served = next(part for part in registered.parts if part.name == "served model load")
    assert served.evidence[0].path == "src/serve.py" and served.evidence[0].chain[0].relation == "request handler"
    assert verdict.missing == []


@pytest.mark.parametrize("proof", SEVEN)
def test_removing_one_practice_blocks_exactly_that_proof(store, complete_repo, tmp_path, proof):
    repo = tmp_path / "service"
    shutil.copytree(complete_repo, repo)
    BREAKS[proof](repo)
    verdict = gate_claim("deployment done", repo=repo, tracking_uri=store.tracking_uri, model=DEMO_MODEL)
    assert verdict.verdict == "BLOCKED"
    assert {pid for pid, status in _statuses(verdict).items() if status != "satisfied"} == {proof}
    blocked = next(p for p in verdict.proofs if p.id == proof)
    assert blocked.status == "missing"
    assert len(verdict.missing) == 1 and blocked.title in verdict.missing[0] and blocked.how in verdict.missing[0]


def test_an_untested_rollback_is_not_a_rollback_path(store, complete_repo, tmp_path):
    repo = tmp_path / "service"
    shutil.copytree(complete_repo, repo)
    (repo / "tests" / "test_rollback.py").unlink()
    verdict = gate_claim("model promoted", repo=repo, tracking_uri=store.tracking_uri, model=DEMO_MODEL)
    rollback = next(p for p in verdict.proofs if p.id == "rollback")
    assert {part.name: part.status for part in rollback.parts} == {"rollback rehearsal": "missing", "previous_version": "satisfied"}
    assert verdict.verdict == "BLOCKED"


def test_raw_artifact_loading_in_served_code_is_not_a_registered_model(store, complete_repo, tmp_path):
    repo = tmp_path / "service"
    shutil.copytree(complete_repo, repo)
    (repo / "src" / "predict_api.py").write_text('import joblib\nmodel = joblib.load("artifacts/model.pkl")\n')
    unserved = gate_claim("model promoted", repo=repo, tracking_uri=store.tracking_uri, model=DEMO_MODEL)
    assert _statuses(unserved)["registered_model"] == "satisfied"  # a file nothing serves is not serving code

    serve = repo / "src" / "serve.py"
    serve.write_text(serve.read_text().replace("import mlflow\n", "import mlflow\nfrom src.predict_api import model as fallback\n"))
    verdict = gate_claim("model promoted", repo=repo, tracking_uri=store.tracking_uri, model=DEMO_MODEL)
    registered = next(p for p in verdict.proofs if p.id == "registered_model")
    raw = next(part for part in registered.parts if part.name == "served model load")
    assert raw.status == "missing"
    evidence = raw.evidence[0]
    assert (evidence.path, evidence.line, evidence.detector) == ("src/predict_api.py", 2, "gate:model_load:raw")
    assert [link.path for link in evidence.chain] == ["src/serve.py", "src/predict_api.py"]


def test_registry_gaps_block_promotion(store, complete_repo):
    verdict = gate_claim("model promoted", repo=complete_repo, tracking_uri=store.tracking_uri, model=DEMO_MODEL, alias="no-such-alias")
    assert verdict.verdict == "BLOCKED"
    assert _statuses(verdict) == {"registered_model": "missing", "serving_schema": "missing", "champion_gate": "missing", "rollback": "missing"}

    # A model with a single version has nothing to roll back to.
    client = MlflowClient(tracking_uri=store.tracking_uri, registry_uri=store.tracking_uri)
    source = client.get_model_version(DEMO_MODEL, "2")
    if "solo-model" not in {m.name for m in client.search_registered_models()}:
        # MLflow would resolve a models:/m-... source through the process-wide tracking URI,
        # which an earlier test may have set; the logged model's own location avoids that.
        model_id = source.model_id or source.source.removeprefix("models:/")
        location = client.get_logged_model(model_id).artifact_location
        client.create_registered_model("solo-model")
        client.create_model_version("solo-model", source=location, run_id=source.run_id, model_id=model_id)
        client.set_registered_model_alias("solo-model", "champion", "1")
    verdict = gate_claim("model promoted", repo=complete_repo, tracking_uri=store.tracking_uri, model="solo-model")
    rollback = next(p for p in verdict.proofs if p.id == "rollback")
    assert [part.status for part in rollback.parts if part.name == "previous_version"] == ["missing"]
    # the claim is about solo-model, but the served code loads churn-classifier
    registered = next(p for p in verdict.proofs if p.id == "registered_model")
    served = next(part for part in registered.parts if part.name == "served model load")
    assert served.status == "missing" and "solo-model" in served.detail


def test_without_a_store_the_registry_proofs_are_unknown_even_next_to_the_demo_store(store, complete_repo, tmp_path, monkeypatch):
    # a demo store in the working directory (where `make demo` puts it) is never read for a user's repository
    (tmp_path / ".mlproof-demo").mkdir()
    shutil.copy(store.tracking_uri.removeprefix("sqlite:///"), tmp_path / ".mlproof-demo" / "mlflow.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    verdict = gate_claim("deployment done", repo=complete_repo, model=DEMO_MODEL)
    assert verdict.verdict == "BLOCKED"
    unknown = {p.id for p in verdict.proofs if p.status == "unknown"}
    assert unknown == {"registered_model", "serving_schema", "rollback"}
    assert verdict.tracking_uri is None and "mlproof-demo" not in verdict.to_markdown()
    assert all("--tracking-uri" in part.detail for p in verdict.proofs for part in p.parts if part.source == "mlflow")
    no_model = gate_claim("model promoted", repo=complete_repo)
    assert no_model.model is None or no_model.model == DEMO_MODEL  # the served code names it; the store is still not read
    assert {part.status for p in no_model.proofs for part in p.parts if part.source == "mlflow"} == {"unknown"}


def test_without_a_repository_nothing_passes(store):
    verdict = gate_claim("monitoring in place", tracking_uri=store.tracking_uri, model=DEMO_MODEL)
    assert verdict.verdict == "BLOCKED"
    assert set(_statuses(verdict).values()) == {"unknown"}
    assert all("--repo" in part.detail for p in verdict.proofs for part in p.parts)


def test_monitoring_claim_needs_only_the_repository(complete_repo):
    verdict = gate_claim("monitoring in place", repo=complete_repo)
    assert verdict.verdict == "PASS"
    assert [p.id for p in verdict.proofs] == ["drift_scheduled", "retraining_trigger", "prediction_logging"]
    drift = next(p for p in verdict.proofs if p.id == "drift_scheduled")
    schedule = next(part for part in drift.parts if part.name == "scheduled drift job")
    chain = schedule.evidence[0].chain
    assert (chain[0].path, chain[0].relation) == (".github/workflows/drift.yml", "schedule trigger (0 6 * * *)")
    assert (schedule.evidence[0].path, schedule.evidence[0].detector) == ("monitoring/drift.py", "gate:drift_schedule")


def test_bad_inputs_are_one_sentence_errors(tmp_path, complete_repo):
    with pytest.raises(MlproofError, match="does not exist"):
        gate_claim("deployment done", repo=tmp_path / "missing")
    with pytest.raises(MlproofError, match="unreachable"):
        gate_claim("model promoted", repo=complete_repo, tracking_uri=f"http://127.0.0.1:{free_port()}", model=DEMO_MODEL)


def test_cli_exit_codes_and_json(store, complete_repo, tmp_path, capsys):
    args = ["gate", "deployment done", "--repo", str(complete_repo), "--tracking-uri", store.tracking_uri, "--model", DEMO_MODEL, "--format", "json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "PASS"
    broken = tmp_path / "service"
    shutil.copytree(complete_repo, broken)
    BREAKS["rollback"](broken)
    assert main(["gate", "deployment done", "--repo", str(broken), "--tracking-uri", store.tracking_uri, "--model", DEMO_MODEL]) == 1
    out = capsys.readouterr().out
    assert "BLOCKED" in out and "Blocked until" in out
    assert main(["gate", "deployment done", "--repo", str(tmp_path / "nope")]) == 2
    assert "error:" in capsys.readouterr().err


def test_the_model_name_hint_is_the_registered_name_not_the_artifact_name(tmp_path):
    from mlproof.gate.context import GateContext
    from mlproof.gate.repo_proofs import registered_name_hint

    (tmp_path / "train.py").write_text(
        "import mlflow\n\n\ndef main(model, data):\n"
        "    mlflow.data.from_pandas(data, name='reference')\n"
        "    mlflow.sklearn.log_model(model, name='model', registered_model_name='churn')\n")
    assert registered_name_hint(GateContext.load(tmp_path)) == "churn"
    # a name the code reads from configuration is not known: no guess from other keywords
    (tmp_path / "train.py").write_text(
        "import mlflow\n\n\ndef main(model, params):\n"
        "    mlflow.sklearn.log_model(model, name='model', registered_model_name=params['name'])\n")
    assert registered_name_hint(GateContext.load(tmp_path)) is None
    (tmp_path / "promote.py").write_text(
        "from mlflow import MlflowClient\n\n\ndef main():\n    MlflowClient().set_registered_model_alias('fraud', 'champion', 3)\n")
    assert registered_name_hint(GateContext.load(tmp_path)) == "fraud"


def test_drift_run_ages_read_as_words():
    from datetime import timedelta

    from mlproof.gate.registry import _age

    assert [_age(timedelta(seconds=s)) for s in (20, 60, 30 * 60, 3 * 3600, 36 * 3600, 9 * 86400)] == [
        "0 minutes", "1 minute", "30 minutes", "3.0 hours", "1.5 days", "9 days"]


def test_a_signature_the_gate_may_not_read_is_unknown_not_missing():
    from mlproof.gate.registry import signature_part
    from mlproof.tracking.models import LoggedModelFacts

    class Facts:
        current = type("V", (), {"version": "3"})()
        target = "churn@champion"
        signature = None
        problem = None
        logged = LoggedModelFacts(model_id="m-1", name="model", artifact_location="/elsewhere",
                                  metadata_error="not read: it lies outside the folders mlproof may read (/work)")

        def ids(self, **extra):
            return {"model": "churn", **extra}

    part = signature_part(Facts())
    assert part.status == "unknown" and "outside the folders" in part.detail
    Facts.logged = LoggedModelFacts(model_id="m-1", name="model", artifact_location="/store/a")  # read, and no signature
    assert signature_part(Facts()).status == "missing"
