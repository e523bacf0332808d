"""`mlproof add` and `mlproof init`: a bare repository taken to gate PASS with them alone, and the writing rules."""

from __future__ import annotations

import importlib
import json
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlproof.cli import main
from mlproof.gate import gate_claim
from mlproof.model.build import RepoModel
from tests.gate_fakes import copy_store
from tests.helpers import require_tool
from tests.mlflow_support import shared_sqlite_store
from tests.scaffold_support import MODEL, train, write_bare_repo

PIECES = ["retrain-schedule", "drift-monitor", "champion-gate", "rollback", "prediction-log"]
RECORD_FIELDS = {"request_id", "timestamp", "model_name", "model_version", "features", "prediction", "latency_ms"}


@pytest.fixture(autouse=True)
def _no_ambient_store(monkeypatch):
    # mlflow.set_tracking_uri in an earlier test leaves MLFLOW_TRACKING_URI set; the gate reads that variable by design
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else require_tool(name)


def _statuses(verdict) -> dict[str, str]:
    return {p.id: p.status for p in verdict.proofs}


def _drift_argv(repo: Path) -> tuple[list[str], dict[str, str]]:
    """The `mlproof drift ...` command the generated workflow runs, as the repository model reads it, and its env."""
    model = RepoModel.load(repo)
    job = next(j for j in model.jobs if j.path.endswith("mlproof-drift-monitor.yml"))
    argv = next(r.argv for r in model.reaches(job) if r.argv[:2] == ["mlproof", "drift"])
    env = yaml.safe_load((repo / job.path).read_text())["jobs"]["drift"]["env"]
    return argv, env


@pytest.fixture
def store(tmp_path_factory, tmp_path):
    seeded = shared_sqlite_store(tmp_path_factory.mktemp("seeded-store"))
    return copy_store(seeded.tracking_uri, tmp_path / "store")


def test_a_bare_repository_reaches_pass_with_mlproof_add_alone(tmp_path, store, monkeypatch, capsys):
    repo = write_bare_repo(tmp_path / "churn")

    # The registry: the repository's own training, run twice, and @champion on the first version.
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=store, registry_uri=store)
    # artifacts beside the SQLite file: mlproof reads a model's MLmodel only inside the store's folder or the cwd
    client.create_experiment("churn-training", artifact_location=(Path(store.removeprefix("sqlite:///")).parent / "artifacts").as_uri())
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "churn-training")
    train(repo, store)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME")
    assert main(["models", "set-alias", MODEL, "champion", "1", "--yes", "--tracking-uri", store]) == 0
    before = gate_claim("deployment done", repo=repo, tracking_uri=store)
    assert before.verdict == "BLOCKED"  # the repository registers and serves a model, and nothing else
    assert {pid for pid, status in _statuses(before).items() if status != "satisfied"} == {
        "progressive_delivery", "drift_scheduled", "retraining_trigger", "prediction_logging", "rollback"}

    for piece in PIECES:
        assert main(["add", piece, "--repo", str(repo)]) == 0, piece
    assert main(["add", "canary", "--repo", str(repo), "--tracking-uri", store]) == 0
    assert main(["init", "--repo", str(repo)]) == 0
    capsys.readouterr()

    # What the pieces do, run for real against the store.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    # 1. the champion gate compares version 2 with @champion (version 1) and promotes it
    gate_script = repo / "mlops" / "champion_gate.py"
    monkeypatch.setattr(sys, "argv", [str(gate_script), "--promote"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(gate_script), run_name="__main__")
    assert exited.value.code == 0
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == "2"
    assert client.get_model_version(MODEL, "2").tags["mlproof.previous_champion"] == "1"
    # 2. the scheduled drift command, exactly as the workflow writes it, logs a drift run (the data drifted: exit 1)
    argv, env = _drift_argv(repo)
    argv = [str(repo / env["REFERENCE_DATA"]) if w == "$REFERENCE_DATA" else str(repo / env["CURRENT_DATA"]) if w == "$CURRENT_DATA" else w
            for w in argv]
    monkeypatch.chdir(tmp_path)  # --log-to-mlflow writes only to a local store inside the working directory
    assert main([*argv[1:], "--tracking-uri", store]) == 1
    assert "monthly_charges" in (tmp_path / "drift-report.md").read_text()
    # 3. the rollback rehearsal the piece wrote passes against its own throw-away store
    rehearsal = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_mlproof_rollback.py"],
                               cwd=repo, capture_output=True, text=True, timeout=300)
    assert rehearsal.returncode == 0 and "2 passed" in rehearsal.stdout, rehearsal.stdout[-2000:]
    # 4. the served app writes one schema-valid record per prediction, with exactly the seven fields
    log_path = tmp_path / "predictions.jsonl"
    monkeypatch.setenv("PREDICTION_LOG_PATH", str(log_path))
    monkeypatch.syspath_prepend(str(repo))
    try:
        from fastapi.testclient import TestClient

        api = importlib.import_module("service.api")
        answer = TestClient(api.app).post("/predict", json={"tenure_months": 3, "monthly_charges": 80.5, "support_calls": 6})
    finally:
        for name in [m for m in sys.modules if m == "service" or m.startswith("service.")]:
            del sys.modules[name]
    assert answer.status_code == 200
    record = json.loads(log_path.read_text().splitlines()[0])
    assert set(record) == RECORD_FIELDS
    assert record["model_version"] == "2" and record["features"]["monthly_charges"] == 80.5 and record["latency_ms"] >= 0
    import jsonschema

    jsonschema.validate(record, json.loads((repo / "schemas" / "prediction-log.schema.json").read_text()),
                        format_checker=jsonschema.FormatChecker())
    monkeypatch.delenv("MLFLOW_TRACKING_URI")

    # The gate, on the repository and the store.
    for claim in ("deployment done", "model promoted", "monitoring in place"):
        verdict = gate_claim(claim, repo=repo, tracking_uri=store)
        assert verdict.verdict == "PASS", verdict.to_markdown()
    final = gate_claim("deployment done", repo=repo, tracking_uri=store)
    if os.environ.get("MLPROOF_SHOW_GATE"):  # the note quotes this output
        with capsys.disabled():
            print("\nGATE-OUTPUT-BEGIN\n" + final.to_markdown() + "\nGATE-OUTPUT-END")
    parts = {part.name: part for proof in final.proofs for part in proof.parts}
    assert parts["drift ran recently"].detail.startswith("ran recently")
    assert parts["alias"].evidence[0].ids["version"] == "2" and parts["previous_version"].evidence[0].ids["version"] == "1"

    # Running every piece again changes nothing.
    snapshot = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    for piece in PIECES:
        assert main(["add", piece, "--repo", str(repo)]) == 0
    assert main(["init", "--repo", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "unchanged" in out and "create" not in out and " add " not in out
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and "__pycache__" not in p.parts and ".pytest_cache" not in p.parts} \
        == {p: b for p, b in snapshot.items() if "__pycache__" not in p.parts}


def test_generated_workflows_pass_actionlint_and_the_hooks_config_passes_pre_commit(tmp_path):
    repo = write_bare_repo(tmp_path / "churn")
    for piece in PIECES:
        assert main(["add", piece, "--repo", str(repo), "--model", MODEL]) == 0
    assert main(["add", "canary", "--repo", str(repo)]) == 0
    assert main(["init", "--repo", str(repo)]) == 0
    workflows = sorted(str(p) for p in (repo / ".github" / "workflows").glob("mlproof-*.yml"))
    assert len(workflows) == 3
    lint = subprocess.run([tool("actionlint"), "-shellcheck=", *workflows], capture_output=True, text=True, timeout=120)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    config = subprocess.run([tool("pre-commit"), "validate-config", ".pre-commit-config.yaml"], cwd=repo,
                            capture_output=True, text=True, timeout=120)
    assert config.returncode == 0, config.stdout + config.stderr
    hooks = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert [h["id"] for h in hooks] == ["mlproof-lint", "mlproof-audit"]
    shipped = yaml.safe_load((Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} <= {h["id"] for h in shipped}  # the ids are this repository's own hooks
    manifest = yaml.safe_load((repo / "deploy" / "kserve" / "churn-canary.yaml").read_text())
    assert manifest["spec"]["predictor"]["canaryTrafficPercent"] == 10


def test_init_extends_existing_configuration_without_losing_anything(tmp_path):
    from mlproof.rubric.project_config import load_project_config

    repo = write_bare_repo(tmp_path / "churn")
    (repo / "pyproject.toml").write_text('[project]\nname = "churn"\nversion = "1.0"\n\n[tool.ruff]\nline-length = 100\n')
    (repo / ".pre-commit-config.yaml").write_text("repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n  rev: v0.6.0\n  hooks:\n  - id: ruff\n")
    assert main(["init", "--repo", str(repo)]) == 0
    pyproject = (repo / "pyproject.toml").read_text()
    assert pyproject.startswith('[project]\nname = "churn"') and "line-length = 100" in pyproject
    config = load_project_config(repo)
    assert (config.source, config.kind, config.exclude, config.waive) == ("pyproject.toml [tool.mlproof]", "project", [], {})
    repos = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"]
    assert [r["repo"] for r in repos] == ["https://github.com/astral-sh/ruff-pre-commit", "https://github.com/mlproof/mlproof"]
    assert [h["id"] for h in repos[1]["hooks"]] == ["mlproof-lint", "mlproof-audit"]
    text = (repo / ".pre-commit-config.yaml").read_text()
    assert main(["init", "--repo", str(repo)]) == 0  # idempotent
    assert (repo / ".pre-commit-config.yaml").read_text() == text and (repo / "pyproject.toml").read_text() == pyproject


def test_dry_run_prints_the_diff_and_writes_nothing(tmp_path, capsys):
    repo = write_bare_repo(tmp_path / "churn")
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    assert main(["add", "prediction-log", "--repo", str(repo), "--model", MODEL, "--dry-run"]) == 0
    diff = capsys.readouterr().out
    assert "+++ b/service/prediction_log.py" in diff and "--- /dev/null" in diff
    assert "--- a/service/api.py" in diff and "+install_prediction_log(app)  # added by mlproof add prediction-log" in diff
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before


def test_nothing_is_overwritten_without_force(tmp_path, capsys):
    repo = write_bare_repo(tmp_path / "churn")
    assert main(["add", "rollback", "--repo", str(repo), "--model", MODEL]) == 0
    capsys.readouterr()
    script = repo / "mlops" / "rollback.py"
    script.write_text("# my own rollback\n")
    assert main(["add", "rollback", "--repo", str(repo), "--model", MODEL]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "mlops/rollback.py exists and differs" in err and "--force" in err
    assert script.read_text() == "# my own rollback\n"
    assert main(["add", "rollback", "--repo", str(repo), "--model", MODEL, "--dry-run"]) == 0
    assert "-# my own rollback" in capsys.readouterr().out and script.read_text() == "# my own rollback\n"
    assert main(["add", "rollback", "--repo", str(repo), "--model", MODEL, "--force"]) == 0
    assert "def rollback(" in script.read_text()


def test_pieces_fit_gitlab_and_kubernetes_repositories(tmp_path):
    gitlab = write_bare_repo(tmp_path / "gitlab")
    (gitlab / ".github" / "workflows" / "ci.yml").unlink()
    (gitlab / ".github" / "workflows").rmdir()
    (gitlab / ".gitlab-ci.yml").write_text("test:\n  script:\n    - python -m pytest\n")
    for piece in ("drift-monitor", "retrain-schedule"):
        assert main(["add", piece, "--repo", str(gitlab)]) == 0
    root = (gitlab / ".gitlab-ci.yml").read_text()
    assert root.startswith("test:\n  script:") and "- local: ci/mlproof-drift-monitor.gitlab-ci.yml" in root \
        and "- local: ci/mlproof-retrain.gitlab-ci.yml" in root
    yaml.safe_load(root)
    parts = {part.name: part for proof in gate_claim("monitoring in place", repo=gitlab).proofs for part in proof.parts}
    assert parts["scheduled drift job"].status == "satisfied" and parts["retraining trigger"].status == "satisfied"
    assert parts["scheduled drift job"].evidence[0].chain[0].path == "ci/mlproof-drift-monitor.gitlab-ci.yml"

    bare = write_bare_repo(tmp_path / "k8s")
    (bare / ".github" / "workflows" / "ci.yml").unlink()
    (bare / ".github" / "workflows").rmdir()
    for piece in ("drift-monitor", "retrain-schedule"):
        assert main(["add", piece, "--repo", str(bare)]) == 0
    cronjob = yaml.safe_load((bare / "deploy" / "mlproof" / "drift-monitor-cronjob.yaml").read_text())
    assert cronjob["kind"] == "CronJob" and cronjob["spec"]["schedule"] == "0 6 * * *"
    parts = {part.name: part for proof in gate_claim("monitoring in place", repo=bare).proofs for part in proof.parts}
    assert parts["scheduled drift job"].status == "satisfied" and parts["retraining trigger"].status == "satisfied"


def test_bad_input_is_one_sentence_and_writes_nothing(tmp_path, capsys):
    repo = write_bare_repo(tmp_path / "churn")
    outside = tmp_path / "outside"
    outside.mkdir()
    cases = [
        (["add", "drift-dashboard", "--repo", str(repo)], "Unknown piece 'drift-dashboard'"),
        (["add", "canary", "--repo", str(tmp_path / "missing")], "does not exist"),
        (["add", "canary", "--repo", str(repo / "README.md")], "is not a directory"),
        (["add", "drift-monitor", "--repo", str(repo), "--schedule", "every day"], "is not a cron expression"),
        (["add", "drift-monitor", "--repo", str(repo), "--reference", "../secret.csv"], "must be a path inside the repository"),
        (["add", "canary", "--repo", str(repo), "--model", MODEL, "--canary-percent", "100"], "between 1 and 99"),
        (["add", "champion-gate", "--repo", str(write_bare_repo(tmp_path / "nometric")), "--model", MODEL, "--metric", ""],
         "no metric"),
    ]
    (tmp_path / "nometric" / "train.py").write_text("print('no metrics here')\n")
    for argv, message in cases:
        before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and message in err, (argv, err)
        assert len(err) < 400
        assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before

    # a symlink that leaves the repository is refused, and nothing lands outside
    (repo / "mlops").symlink_to(outside, target_is_directory=True)
    assert main(["add", "rollback", "--repo", str(repo), "--model", MODEL]) == 2
    assert "symlink that leaves the repository" in capsys.readouterr().err
    assert list(outside.iterdir()) == [] and not (repo / "tests" / "test_mlproof_rollback.py").exists()
    # a file where a folder must go
    (repo / "deploy").write_text("not a folder\n")
    assert main(["add", "canary", "--repo", str(repo), "--model", MODEL]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission bits")
def test_an_unwritable_repository_is_one_sentence(tmp_path, capsys):
    repo = write_bare_repo(tmp_path / "churn")
    os.chmod(repo, 0o555)
    try:
        assert main(["add", "canary", "--repo", str(repo), "--model", MODEL]) == 2
        assert "permission denied" in capsys.readouterr().err
    finally:
        os.chmod(repo, 0o755)


def _copy_notes(page: Path) -> str:
    """The sentences of a page that tell the user to copy a script from the mlproof repository."""
    text = page.read_text(encoding="utf-8").replace("\n", " ")
    return " ".join(s for s in re.split(r"(?<=[.;])\s", text) if re.search(r"cop(?:y|ied)\b.*\bfrom the mlproof repository", s))


def test_the_pack_points_at_mlproof_add_not_at_files_inside_mlproof():
    """Skills, commands and references tell the user to add a piece to their repository; mlproof's own scripts/ are not there."""
    root = Path(__file__).resolve().parents[1]
    shipped = sorted(p.name for p in (root / "scripts").glob("*.py"))
    assert shipped  # the names to look for come from mlproof's own scripts/ folder
    pages = [p for folder in ("skills", "commands", "references") for p in sorted((root / folder).rglob("*.md"))]
    # A standalone script a user may copy is named only where the page says so ("copy ... from the mlproof repository").
    named = [(str(page.relative_to(root)), name) for page in pages for name in shipped
             if name in page.read_text(encoding="utf-8") and name not in _copy_notes(page)]
    assert named == []
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    for piece in ("drift-monitor", "retrain-schedule", "champion-gate", "rollback", "prediction-log", "canary"):
        assert f"mlproof add {piece}" in text, piece
