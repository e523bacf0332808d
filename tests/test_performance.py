"""mlproof performance / model_performance: joins, metrics (checked against scikit-learn), degradation, schema."""

from __future__ import annotations

import json
import math
from pathlib import Path

import anyio
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, mean_squared_error, roc_auc_score

from mlproof.cli import main
from mlproof.errors import MlproofError
from mlproof.performance import model_performance
from mlproof.performance.schema import SCHEMA_DIR, SCHEMAS, schema_text
from tests.performance_data import START, generate, write_csv, write_jsonl

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def drifted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("perf")
    predictions, labels = generate()
    return predictions, labels, write_jsonl(folder / "predictions.jsonl", predictions), write_csv(folder / "labels.csv", labels)


def test_schema_files_are_generated_from_the_models_and_validate_records():
    from jsonschema import Draft202012Validator

    for name, model in SCHEMAS.items():
        on_disk = (SCHEMA_DIR / name).read_text(encoding="utf-8")
        assert on_disk == schema_text(model), f"{name} is stale: run python -m mlproof.performance.schema"
        Draft202012Validator.check_schema(json.loads(on_disk))
    predictions, labels = generate(days=1, per_day=5)
    validator = Draft202012Validator(json.loads((SCHEMA_DIR / "prediction-log.schema.json").read_text()),
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    for record in predictions:
        validator.validate(record)
    bad = dict(predictions[0], latency_ms=-1, probability=1.5)
    bad.pop("model_version")
    problems = {error.json_path for error in validator.iter_errors(bad)}
    assert problems == {"$", "$.latency_ms", "$.probability"}
    label_validator = Draft202012Validator(json.loads((SCHEMA_DIR / "label.schema.json").read_text()))
    for record in labels:
        label_validator.validate(record)
    from mlproof.performance.schema import PredictionRecord

    with pytest.raises(ValueError):  # the pydantic model refuses a timestamp without an offset
        PredictionRecord.model_validate(dict(predictions[0], timestamp="2025-03-01T10:00:00"))


def _reference_windows(predictions, labels):
    """Per-day accuracy, AUC and log-loss computed independently with plain Python and scikit-learn."""
    by_id = {}
    for label in labels:
        by_id[label["request_id"]] = label["label"]
    days: dict[str, list] = {}
    for record in predictions:
        if record["request_id"] in by_id:
            days.setdefault(record["timestamp"][:10], []).append((by_id[record["request_id"]], record["prediction"], record["probability"]))
    return days


def test_window_metrics_match_scikit_learn(drifted):
    predictions, labels, predictions_path, labels_path = drifted
    report = model_performance(predictions_path, labels_path, baseline=0.84, min_labels=50)
    reference = _reference_windows(predictions, labels)
    assert report.task == "classification" and report.metric == "auc" and report.positive_label == "1"
    for window in report.windows:
        rows = reference.get(window.key[:10], [])
        assert window.labelled == len(rows)
        if len({r[0] for r in rows}) < 2:
            continue
        truth, predicted, probability = zip(*rows)
        assert window.metrics["accuracy"] == pytest.approx(accuracy_score(truth, predicted), abs=1e-12)
        assert window.metrics["auc"] == pytest.approx(roc_auc_score(truth, probability), abs=1e-12)
        assert window.metrics["log_loss"] == pytest.approx(log_loss(truth, probability, labels=[0, 1]), rel=1e-9)


def test_concept_drift_is_flagged_from_the_drift_day_and_not_before(drifted):
    _, _, predictions_path, labels_path = drifted
    report = model_performance(predictions_path, labels_path, baseline=0.84)
    assert report.status == "degraded"
    judged = [w for w in report.windows if w.judged]
    drift_start = "2025-03-16"
    assert all(w.degraded for w in judged if w.key >= drift_start)
    assert not any(w.degraded for w in judged if w.key < drift_start)
    assert not report.windows[-1].judged, "the newest day has too few labels to judge"
    assert report.baseline.bound == pytest.approx(0.84 * 0.95) and "Hanley-McNeil" in report.method
    for window in judged:  # the verdict's p-value is "worse than the bound", consistent with the point estimate
        assert (window.p_value < 0.5) == (window.metrics["auc"] < report.baseline.bound)


def test_stable_model_is_not_flagged(tmp_path):
    predictions, labels = generate(drift_day=None, seed=3)
    report = model_performance(write_jsonl(tmp_path / "p.jsonl", predictions), write_csv(tmp_path / "l.csv", labels), baseline=0.84)
    assert report.status == "ok" and not report.degraded_windows and "No degradation" in report.verdict


def test_accuracy_degradation_uses_the_exact_binomial_test(drifted):
    from scipy.stats import binomtest

    _, _, predictions_path, labels_path = drifted
    report = model_performance(predictions_path, labels_path, metric="accuracy", baseline=0.82, tolerance=0.02)
    bound = 0.82 * 0.98
    for window in (w for w in report.windows if w.judged):
        correct = round(window.metrics["accuracy"] * window.labelled)
        assert window.p_value == pytest.approx(binomtest(correct, window.labelled, bound, alternative="less").pvalue)
        assert window.degraded == (window.p_value < 0.05)


def test_hanley_mcneil_standard_error_is_close_to_the_bootstrap():
    from mlproof.performance.metrics import auc, hanley_mcneil_se

    rng = np.random.default_rng(5)
    positive = rng.random(600) < 0.3
    score = rng.normal(positive * 1.0, 1.0)
    value = auc(positive, score)
    boot = []
    for _ in range(400):
        pick = rng.integers(0, positive.size, positive.size)
        boot.append(auc(positive[pick], score[pick]))
    se = hanley_mcneil_se(value, int(positive.sum()), int((~positive).sum()))
    assert value == pytest.approx(roc_auc_score(positive, score))
    assert se == pytest.approx(np.std(boot), rel=0.2)


def test_label_coverage_delay_duplicates_and_orphans(tmp_path):
    predictions, labels = generate(days=3, per_day=200)
    predictions.append(dict(predictions[0]))  # a repeated request id
    labels.append(dict(labels[0], labelled_at="2025-03-20T00:00:00Z"))  # a later, corrected label
    labels.append({"request_id": "not-logged", "label": 1, "labelled_at": "2025-03-02T00:00:00Z"})
    report = model_performance(write_jsonl(tmp_path / "p.jsonl", predictions), write_csv(tmp_path / "l.csv", labels))
    assert report.counts.duplicate_predictions == 1 and report.counts.duplicate_labels == 1
    assert report.counts.orphan_labels == 1 and report.counts.predictions == 600
    assert report.counts.joined == len({l["request_id"] for l in labels} - {"not-logged"})
    assert report.counts.coverage == pytest.approx(report.counts.joined / 600)
    assert report.status == "not_compared" and "No baseline" in report.verdict
    hours = []
    times = {p["request_id"]: p["timestamp"] for p in predictions}
    latest = {}
    for label in labels:
        if label["request_id"] in times:
            latest[label["request_id"]] = label["labelled_at"]
    from datetime import datetime

    for request_id, labelled_at in latest.items():
        delta = datetime.fromisoformat(labelled_at.replace("Z", "+00:00")) - datetime.fromisoformat(times[request_id].replace("Z", "+00:00"))
        hours.append(delta.total_seconds() / 3600)
    assert report.label_delay.median_hours == pytest.approx(float(np.median(hours)))
    assert report.label_delay.max_hours == pytest.approx(max(hours))


def test_csv_and_parquet_logs_read_like_json_lines(tmp_path, drifted):
    import pyarrow as pa
    import pyarrow.parquet as pq

    predictions, labels, predictions_path, labels_path = drifted
    from_jsonl = model_performance(predictions_path, labels_path, baseline=0.84, segment_by="features.plan")
    csv_path = write_csv(tmp_path / "p.csv", predictions)
    from_csv = model_performance(csv_path, labels_path, baseline=0.84, segment_by="features.plan")
    parquet_path = tmp_path / "p.parquet"
    pq.write_table(pa.Table.from_pylist(predictions), parquet_path)
    from_parquet = model_performance(parquet_path, labels_path, baseline=0.84, segment_by="features.plan")
    for other in (from_csv, from_parquet):
        assert [w.model_dump() for w in other.windows] == [w.model_dump() for w in from_jsonl.windows]
        assert [s.model_dump() for s in other.segments] == [s.model_dump() for s in from_jsonl.segments]
    by_segment = model_performance(predictions_path, labels_path, baseline=0.84)  # the logged segment column
    assert [s.key for s in by_segment.segments] == ["basic", "premium", "standard"] == [s.key for s in from_jsonl.segments]


def test_regression_metrics_match_scikit_learn(tmp_path):
    rng = np.random.default_rng(2)
    predictions, labels = [], []
    for i in range(900):
        truth = float(rng.normal(100, 15))
        predicted = truth + float(rng.normal(0, 5 if i < 600 else 12))
        moment = START.replace(hour=0) if i < 450 else START.replace(day=2)
        predictions.append({"request_id": f"r{i}", "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "model_name": "price",
                            "model_version": "2", "features": {"x": i}, "prediction": predicted, "latency_ms": 3.0})
        labels.append({"request_id": f"r{i}", "label": truth})
    report = model_performance(write_jsonl(tmp_path / "p.jsonl", predictions), write_jsonl(tmp_path / "l.jsonl", labels),
                               baseline=5.0, tolerance=0.1, window="1d")
    assert report.task == "regression" and report.metric == "rmse" and "distinct" in report.task_reason
    truth = np.array([l["label"] for l in labels])
    predicted = np.array([p["prediction"] for p in predictions])
    first, second = report.windows
    assert first.metrics["rmse"] == pytest.approx(math.sqrt(mean_squared_error(truth[:450], predicted[:450])))
    assert second.metrics["mae"] == pytest.approx(mean_absolute_error(truth[450:], predicted[450:]))
    assert first.degraded is False and second.degraded is True


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from tests.mlflow_support import shared_sqlite_store

    return shared_sqlite_store(tmp_path_factory.mktemp("perf-store"))


def test_baseline_is_read_from_the_champion_in_a_real_mlflow_store(store, drifted, monkeypatch):
    from mlflow import MlflowClient

    _, _, predictions_path, labels_path = drifted
    seed = store.summary
    version = seed.aliases["champion"]
    run_id = seed.run_ids[seed.versions[version]]
    expected = MlflowClient(tracking_uri=store.tracking_uri).get_run(run_id).data.metrics["val_roc_auc"]
    report = model_performance(predictions_path, labels_path, baseline_model=f"{seed.model}@champion",
                               baseline_metric="val_roc_auc", tracking_uri=store.tracking_uri)
    assert report.baseline.value == pytest.approx(expected) and report.baseline.source.startswith("MLflow")
    assert report.baseline.evidence.ids == {"model": seed.model, "version": version, "alias": "champion",
                                            "run_id": run_id, "metric": "val_roc_auc"}
    by_version = model_performance(predictions_path, labels_path, baseline_model=f"models:/{seed.model}/{version}",
                                   baseline_metric="val_roc_auc", tracking_uri=store.tracking_uri)
    by_run = model_performance(predictions_path, labels_path, baseline_run=run_id, baseline_metric="val_roc_auc",
                               tracking_uri=store.tracking_uri)
    assert by_version.baseline.value == by_run.baseline.value == report.baseline.value
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(MlproofError, match="needs a tracking URI"):
        model_performance(predictions_path, labels_path, baseline_run=run_id, baseline_metric="val_roc_auc")
    with pytest.raises(MlproofError, match="logged no metric"):
        model_performance(predictions_path, labels_path, baseline_run=run_id, baseline_metric="nope", tracking_uri=store.tracking_uri)
    with pytest.raises(MlproofError, match="no alias @gone"):
        model_performance(predictions_path, labels_path, baseline_model=f"{seed.model}@gone",
                          baseline_metric="val_roc_auc", tracking_uri=store.tracking_uri)
    with pytest.raises(MlproofError, match="name@alias or name/version"):
        model_performance(predictions_path, labels_path, baseline_model="a@b@c", baseline_metric="x", tracking_uri=store.tracking_uri)


BAD_LOGS = [
    ("predictions", "request_id,prediction\n1,0\n", "no 'timestamp' column"),
    ("predictions", "request_id,timestamp,prediction\n,2025-03-01T00:00:00Z,1\n", "have no 'request_id'"),
    ("predictions", "request_id,timestamp,prediction,probability\n1,2025-03-01T00:00:00Z,1,1.4\n", "between 0 and 1"),
    ("predictions", "request_id,timestamp,prediction\n1,yesterday,1\n", "not ISO 8601"),
    ("labels", "request_id,outcome\n1,1\n", "no 'label' column"),
    ("labels", "request_id,label\n", "no rows"),
]


@pytest.mark.parametrize("which,content,fragment", BAD_LOGS, ids=[b[2] for b in BAD_LOGS])
def test_bad_logs_are_refused_in_one_sentence(tmp_path, which, content, fragment):
    good_predictions = "request_id,timestamp,prediction\n1,2025-03-01T00:00:00Z,1\n"
    good_labels = "request_id,label\n1,1\n"
    predictions = tmp_path / "p.csv"
    labels = tmp_path / "l.csv"
    predictions.write_text(content if which == "predictions" else good_predictions)
    labels.write_text(content if which == "labels" else good_labels)
    with pytest.raises(MlproofError) as caught:
        model_performance(predictions, labels)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("kwargs,fragment", [
    ({"window": "fortnight"}, "window must look like"),
    ({"window": "1m"}, "choose a longer window"),
    ({"tolerance": 1.5}, "tolerance"),
    ({"alpha": float("nan")}, "finite"),
    ({"min_labels": 0}, "at least 1"),
    ({"metric": "rmse"}, "cannot be computed"),
    ({"baseline": 0.9, "baseline_run": "abc"}, "one baseline"),
    ({"baseline": 1.7}, "between 0 and 1"),
    ({"baseline_metric": "auc"}, "needs baseline_run"),
    ({"segment_by": "features.nope"}, "no field"),
    ({"model_version": "99"}, "No prediction"),
    ({"positive_label": "yes"}, "not among the classes"),
])
def test_bad_options_are_refused(drifted, kwargs, fragment):
    _, _, predictions_path, labels_path = drifted
    with pytest.raises(MlproofError, match=fragment):
        model_performance(predictions_path, labels_path, **kwargs)


def test_cli_exit_codes_and_formats(drifted, tmp_path, capsys):
    _, _, predictions_path, labels_path = drifted
    assert main(["performance", str(predictions_path), str(labels_path), "--baseline", "0.84"]) == 1
    assert capsys.readouterr().out.startswith("# Model performance (classification, auc)")
    assert main(["performance", str(predictions_path), str(labels_path), "--baseline", "0.5", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "ok"
    assert main(["performance", str(predictions_path), str(tmp_path / "missing.csv")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "does not exist" in captured.err


def test_model_performance_tool_is_compact_by_default(drifted):
    from mcp import Client

    from mlproof.server import create_server

    _, _, predictions_path, labels_path = drifted
    arguments = {"predictions": str(predictions_path), "labels": str(labels_path), "baseline": 0.84, "window": "1d"}

    async def scenario():
        async with Client(create_server(allow=[predictions_path.parent])) as client:
            summary = (await client.call_tool("model_performance", arguments)).structured_content
            full = (await client.call_tool("model_performance", {**arguments, "detail": "full"})).structured_content
            assert summary["status"] == full["status"] == "degraded"
            assert len(full["windows"]) == 28 and summary["windows_omitted"] == 28 - len(summary["windows"])
            assert set(full["degraded_windows"]) <= {w["key"] for w in summary["windows"]}
            refused = await client.call_tool("model_performance", {"predictions": "/etc/hosts", "labels": str(labels_path)})
            assert refused.is_error and "outside the folders" in refused.content[0].text

    anyio.run(scenario)


def test_the_eval_fixture_is_the_seeded_generation(tmp_path):
    from tests.performance_data import write_fixture

    committed = REPO / "evals" / "fixtures" / "churn-monitoring"
    for fresh in write_fixture(tmp_path):
        assert (committed / fresh.name).read_bytes() == fresh.read_bytes(), f"regenerate {fresh.name} with python -m tests.performance_data"
