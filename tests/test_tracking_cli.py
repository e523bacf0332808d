"""`mlproof experiments|runs|models` end to end through the real CLI entry point."""

from __future__ import annotations

import json

import pytest
from mlflow import MlflowClient

from mlproof.cli import main
from mlproof.tracking.seed import DEMO_MODEL, LEGACY_MODEL
from tests.mlflow_support import shared_sqlite_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return shared_sqlite_store(tmp_path_factory.mktemp("cli-store"))


def _json(capsys, args: list[str]) -> dict:
    assert main([*args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_runs_best_show_and_compare_as_json(store, capsys):
    uri = ["--tracking-uri", store.tracking_uri]
    best = _json(capsys, ["runs", "best", "--metric", "val_log_loss", "--direction", "min", "-e", "churn-demo", *uri])
    client = MlflowClient(tracking_uri=store.tracking_uri)
    losses = {rid: client.get_run(rid).data.metrics["val_log_loss"] for rid in store.summary.run_ids.values()}
    assert best["run"]["run_id"] == min(losses, key=losses.get)
    shown = _json(capsys, ["runs", "show", best["run"]["run_id"], *uri])
    assert shown["git_commit"] == store.git_commit and shown["datasets"]
    ids = list(store.summary.run_ids.values())
    compared = _json(capsys, ["runs", "compare", *ids, *uri])
    assert "estimator" in compared["param_differences"]


def test_runs_search_pages_with_a_token(store, capsys):
    uri = ["--tracking-uri", store.tracking_uri]
    first = _json(capsys, ["runs", "search", "-e", "churn-demo", "--max-results", "2", "--order-by", "attributes.start_time ASC", *uri])
    assert len(first["runs"]) == 2 and first["next_page_token"]
    second = _json(capsys, ["runs", "search", "-e", "churn-demo", "--max-results", "2", "--order-by", "attributes.start_time ASC",
                            "--page-token", first["next_page_token"], *uri])
    assert len(second["runs"]) == 1 and second["next_page_token"] is None
    assert {r["run_id"] for r in first["runs"] + second["runs"]} == set(store.summary.run_ids.values())


def test_models_commands_and_hygiene_exit_codes(store, capsys):
    uri = ["--tracking-uri", store.tracking_uri]
    listed = _json(capsys, ["models", "list", *uri])
    assert {m["name"] for m in listed["models"]} >= {DEMO_MODEL, LEGACY_MODEL}
    lineage = _json(capsys, ["models", "lineage", DEMO_MODEL, "--alias", "challenger", *uri])
    assert lineage["version"] == "3" and lineage["run"]["run_id"] == store.summary.run_ids["gbm-60"]
    assert main(["models", "hygiene", DEMO_MODEL, *uri]) == 0
    assert "alias_set" in capsys.readouterr().out
    assert main(["models", "hygiene", LEGACY_MODEL, *uri]) == 1
    assert "signature_present" in capsys.readouterr().out


def test_set_alias_is_refused_without_yes(store, capsys):
    assert main(["models", "set-alias", DEMO_MODEL, "champion", "3", "--tracking-uri", store.tracking_uri]) == 2
    assert "--yes" in capsys.readouterr().err
    client = MlflowClient(tracking_uri=store.tracking_uri, registry_uri=store.tracking_uri)
    assert str(client.get_model_version_by_alias(DEMO_MODEL, "champion").version) == "2"


def test_errors_are_one_line(store, capsys, tmp_path):
    assert main(["runs", "show", "f" * 32, "--tracking-uri", store.tracking_uri]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1
    assert main(["experiments", "--tracking-uri", f"sqlite:///{tmp_path / 'absent.db'}"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "absent.db").exists()
