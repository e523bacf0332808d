"""Every MLflow query and registry check, against a real `mlflow server` over HTTP
and against an embedded SQLite store, both seeded with real scikit-learn runs."""

from __future__ import annotations

import math

import pytest
from mlflow import MlflowClient

from mlproof.errors import MlproofError
from mlproof.tracking import (
    best_run,
    compare_runs,
    get_model,
    get_run,
    list_experiments,
    list_models,
    model_lineage,
    registry_hygiene,
    search_runs,
    set_alias,
)
from mlproof.tracking.seed import DEMO_EXPERIMENT, DEMO_MODEL, LEGACY_EXPERIMENT, LEGACY_MODEL
from tests.mlflow_support import TIE_EXPERIMENT, TIE_METRIC, make_git_repo, seed_store, shared_sqlite_store, start_mlflow_server


@pytest.fixture(scope="module", params=["http", "sqlite"])
def store(request, tmp_path_factory):
    if request.param == "sqlite":
        yield shared_sqlite_store(tmp_path_factory.mktemp("sqlite-store"))
        return
    root = tmp_path_factory.mktemp("mlflow-server")
    server = start_mlflow_server(root / "server")
    try:
        yield seed_store(server.url, make_git_repo(root / "training-repo"))
    finally:
        server.stop()


def _all_demo_runs(uri: str):
    """The demo runs read straight from MLflow, to check mlproof's answers independently."""
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(DEMO_EXPERIMENT)
    return client.search_runs([experiment.experiment_id], max_results=1000)


def test_experiments_are_listed_and_filtered(store):
    names = {e.name for e in list_experiments(store.tracking_uri).experiments}
    assert {DEMO_EXPERIMENT, LEGACY_EXPERIMENT, TIE_EXPERIMENT} <= names
    filtered = list_experiments(store.tracking_uri, filter_string="name LIKE 'legacy%'")
    assert [e.name for e in filtered.experiments] == [LEGACY_EXPERIMENT]


def test_search_runs_filters_orders_and_pages(store):
    page = search_runs(store.tracking_uri, experiments=[DEMO_EXPERIMENT], filter_string="params.estimator = 'logistic_regression'",
                       order_by=["metrics.val_roc_auc DESC"])
    assert {r.run_name for r in page.runs} == {"logreg-c1", "logreg-c0.05"}
    aucs = [r.metrics["val_roc_auc"] for r in page.runs]
    assert aucs == sorted(aucs, reverse=True)
    assert page.next_page_token is None

    seen, token = [], None
    for _ in range(10):
        page = search_runs(store.tracking_uri, experiments=[DEMO_EXPERIMENT], max_results=1, page_token=token)
        seen += [r.run_id for r in page.runs]
        token = page.next_page_token
        if token is None:
            break
    assert sorted(seen) == sorted(r.info.run_id for r in _all_demo_runs(store.tracking_uri))
    assert len(seen) == len(set(seen)) == 3


def test_bad_filter_and_unknown_experiment_are_one_sentence_errors(store):
    with pytest.raises(MlproofError, match="rejected"):
        search_runs(store.tracking_uri, filter_string="metrics.val_roc_auc >> 0.5")
    with pytest.raises(MlproofError, match="No experiment"):
        search_runs(store.tracking_uri, experiments=["no-such-experiment"])


def test_best_run_matches_an_independent_sort(store):
    runs = _all_demo_runs(store.tracking_uri)
    for metric, direction in (("val_roc_auc", "max"), ("val_log_loss", "min")):
        sign = -1 if direction == "max" else 1
        expected = sorted(runs, key=lambda r: (sign * r.data.metrics[metric], r.info.start_time, r.info.run_id))[0]
        best = best_run(store.tracking_uri, metric=metric, direction=direction, experiments=[DEMO_EXPERIMENT])
        assert best.run.run_id == expected.info.run_id
        assert best.value == pytest.approx(expected.data.metrics[metric])
        assert best.evidence[0].ids["run_id"] == expected.info.run_id


def test_best_run_without_a_direction_guesses_it_from_the_name_and_says_so(store):
    for metric, given in (("val_log_loss", "min"), ("val_roc_auc", "max")):
        guessed = best_run(store.tracking_uri, metric=metric, experiments=[DEMO_EXPERIMENT])
        explicit = best_run(store.tracking_uri, metric=metric, direction=given, experiments=[DEMO_EXPERIMENT])
        assert (guessed.direction, guessed.direction_guessed, explicit.direction_guessed) == (given, True, False)
        assert guessed.run.run_id == explicit.run.run_id
        assert "guessed" in guessed.to_markdown() and "guessed" not in explicit.to_markdown()


def test_best_run_tie_break_is_earliest_start_then_run_id(store):
    best = best_run(store.tracking_uri, metric=TIE_METRIC, direction="max", experiments=[TIE_EXPERIMENT])
    early = sorted([store.ties["early_a"], store.ties["early_b"]])
    assert best.run.run_id == early[0]
    assert best.ties == [early[1], store.ties["later"]]
    with pytest.raises(MlproofError, match="no-such-metric"):
        best_run(store.tracking_uri, metric="no-such-metric", direction="max")
    with pytest.raises(MlproofError, match="Direction"):
        best_run(store.tracking_uri, metric=TIE_METRIC, direction="up")


def test_run_details_carry_history_datasets_commit_and_signature(store):
    gbm = store.summary.run_ids["gbm-60"]
    facts = get_run(gbm, store.tracking_uri)
    assert facts.params["n_estimators"] == "60"
    assert facts.git_commit == store.git_commit
    loss = facts.metric("val_log_loss")
    assert loss.history_length == 60 and loss.direction == "min"
    history = MlflowClient(tracking_uri=store.tracking_uri).get_metric_history(gbm, "val_log_loss")
    assert loss.best == pytest.approx(min(m.value for m in history))
    assert loss.final == pytest.approx(max(history, key=lambda m: m.step).value)
    assert {(d.name, d.context) for d in facts.datasets} == {("breast-cancer-train", "training"), ("breast-cancer-valid", "validation")}
    assert all(d.digest for d in facts.datasets)
    [logged] = facts.logged_models
    assert {"sklearn", "python_function"} <= set(logged.flavors)
    assert "mean_radius" in [c["name"] for c in logged.signature.inputs]
    assert logged.has_input_example
    with pytest.raises(MlproofError, match="Not found"):
        get_run("0" * 32, store.tracking_uri)


def test_compare_runs_shows_differences_and_leaders(store):
    ids = store.summary.run_ids
    comparison = compare_runs([ids["logreg-c1"], ids["logreg-c0.05"]], store.tracking_uri)
    assert comparison.param_differences["C"] == {ids["logreg-c1"]: "1.0", ids["logreg-c0.05"]: "0.05"}
    assert comparison.same_params["max_iter"] == "500"
    aucs = comparison.metrics["val_roc_auc"]
    if not math.isclose(aucs[ids["logreg-c1"]], aucs[ids["logreg-c0.05"]]):
        assert comparison.metric_leader["val_roc_auc"] == max(aucs, key=aucs.get)
    with pytest.raises(MlproofError, match="two"):
        compare_runs([ids["logreg-c1"]], store.tracking_uri)


def test_registry_lists_models_versions_aliases_and_stages(store):
    models = {m.name: m for m in list_models(store.tracking_uri).models}
    assert models[DEMO_MODEL].aliases == {"champion": "2", "challenger": "3"}
    assert models[DEMO_MODEL].latest_version == "3"
    details = get_model(DEMO_MODEL, store.tracking_uri)
    assert [v.version for v in details.versions] == ["1", "2", "3"]
    assert details.versions[1].aliases == ["champion"]
    assert details.model.description
    legacy = get_model(LEGACY_MODEL, store.tracking_uri)
    assert legacy.versions[0].uses_stage() and legacy.versions[0].current_stage == "Production"
    with pytest.raises(MlproofError, match="No registered model"):
        get_model("no-such-model", store.tracking_uri)


def test_lineage_links_version_run_datasets_and_commit(store):
    lineage = model_lineage(DEMO_MODEL, tracking_uri=store.tracking_uri)
    assert lineage.alias == "champion" and lineage.version == "2"
    assert lineage.run.run_id == store.summary.run_ids["logreg-c1"]
    assert lineage.run.git_commit == store.git_commit
    assert len(lineage.run.datasets) == 2 and lineage.gaps == []
    assert lineage.logged_model.signature is not None
    by_version = model_lineage(DEMO_MODEL, version="1", tracking_uri=store.tracking_uri)
    assert by_version.run.run_id == store.summary.run_ids["logreg-c0.05"] and by_version.alias is None
    legacy = model_lineage(LEGACY_MODEL, tracking_uri=store.tracking_uri)
    assert any("dataset" in gap for gap in legacy.gaps) and any("git.commit" in gap for gap in legacy.gaps)
    with pytest.raises(MlproofError, match="no alias @nope"):
        model_lineage(DEMO_MODEL, alias="nope", tracking_uri=store.tracking_uri)


def _status(report, check):
    return next(f for f in report.findings if f.check == check)


def test_hygiene_of_a_well_kept_model_and_repo_pinning(store, tmp_path):
    repo = tmp_path / "svc"
    (repo / "serving").mkdir(parents=True)
    (repo / "serving" / "app.py").write_text('import mlflow\nMODEL = mlflow.pyfunc.load_model("models:/churn-classifier@champion")\n')
    report = registry_hygiene(store.tracking_uri, model=DEMO_MODEL, repo=repo, primary_metric="val_roc_auc")
    assert report.version == "2"
    for check in ("alias_set", "no_deprecated_stages", "description", "signature_present", "input_example", "source_run", "dataset_logged", "git_commit", "serving_pinned"):
        assert _status(report, check).status == "ok", (check, _status(report, check).message)
    pinned = _status(report, "serving_pinned").evidence[0]
    assert (pinned.path, pinned.line) == ("serving/app.py", 2)
    duel = _status(report, "champion_vs_challenger")
    assert duel.evidence[0].ids["challenger_version"] == "3"
    assert "val_roc_auc" in duel.evidence[0].snippet

    (repo / "serving" / "batch.py").write_text('uri = f"models:/churn-classifier/latest"\nold = "models:/churn-classifier/Production"\n')
    report = registry_hygiene(store.tracking_uri, model=DEMO_MODEL, repo=repo)
    unpinned = _status(report, "serving_pinned")
    assert unpinned.status == "fail"
    assert {(e.path, e.line, e.detector) for e in unpinned.evidence} == {("serving/batch.py", 1, "model_uri_latest"), ("serving/batch.py", 2, "model_uri_stage")}


def test_hygiene_flags_the_legacy_model(store):
    report = registry_hygiene(store.tracking_uri, model=LEGACY_MODEL)
    expected = {"alias_set": "fail", "no_deprecated_stages": "warn", "description": "warn", "signature_present": "fail",
                "input_example": "warn", "source_run": "ok", "dataset_logged": "fail", "git_commit": "fail", "serving_pinned": "info"}
    assert {f.check: f.status for f in report.findings if f.check in expected} == expected
    stage = _status(report, "no_deprecated_stages")
    assert stage.evidence[0].ids == {"model": LEGACY_MODEL, "version": "1"}
    assert report.failed


def test_set_alias_needs_confirmation_and_reports_the_previous_version(store):
    with pytest.raises(MlproofError, match="--yes"):
        set_alias(DEMO_MODEL, "champion", "3", store.tracking_uri)
    with pytest.raises(MlproofError, match="no version 99"):
        set_alias(DEMO_MODEL, "rollback-test", "99", store.tracking_uri, confirm=True)
    change = set_alias(DEMO_MODEL, "rollback-test", "1", store.tracking_uri, confirm=True)
    assert change.previous_version is None
    change = set_alias(DEMO_MODEL, "rollback-test", "2", store.tracking_uri, confirm=True)
    assert change.previous_version == "1"
    client = MlflowClient(tracking_uri=store.tracking_uri, registry_uri=store.tracking_uri)
    assert str(client.get_model_version_by_alias(DEMO_MODEL, "rollback-test").version) == "2"
    client.delete_registered_model_alias(DEMO_MODEL, "rollback-test")


def test_best_run_handles_values_the_filter_parser_finds_awkward(store):
    # 2.5e20 is written `2.5e+20` by Python, which MLflow's filter grammar rejects; NaN must never win.
    from mlflow.entities import Metric

    client = MlflowClient(tracking_uri=store.tracking_uri)
    name = "awkward-values"
    experiment = client.get_experiment_by_name(name)
    experiment_id = experiment.experiment_id if experiment else client.create_experiment(name)
    ids = {}
    for label, value in (("nan", float("nan")), ("big", 2.5e20), ("small", 1.5e20)):
        run = client.create_run(experiment_id, run_name=label)
        client.log_batch(run.info.run_id, metrics=[Metric("loss_scale", value, 0, 0)])
        ids[label] = run.info.run_id
    assert best_run(store.tracking_uri, metric="loss_scale", direction="max", experiments=[name]).run.run_id == ids["big"]
    assert best_run(store.tracking_uri, metric="loss_scale", direction="min", experiments=[name]).run.run_id == ids["small"]
