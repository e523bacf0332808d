"""What each MCP tool costs an agent: the typical output of every tool, in tokens (characters / 4), with a bound.

The brief: the audit over MCP is a compact summary within 4,000 tokens for an
ordinary repository (the three fixtures and a generated ~300-file repository);
everything else has a bound from its measured size with headroom, so a change
that bloats a tool's output fails here. Measured through the real SDK client,
on the text block an agent reads.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from tests.midsize_repo import make_midsize_repo
from tests.mlflow_support import shared_sqlite_store
from tests.performance_data import write_fixture

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "evals" / "fixtures"
AUDIT_BUDGET = 4000

# tool (and case) -> bound in tokens. Measured sizes (README "Tool output sizes") are 60-80% of these.
BOUNDS = {
    "explain_check": 800,
    "find_evidence": 600,
    "find_evidence midsize": 3200,
    "list_checks": 1500,
    "drift_report": 3500,
    "drift_report full": 6000,
    "audit_repo full": 16000,
    "list_experiments": 400,
    "search_runs": 1200,
    "get_run": 3000,  # the shared store logs a 30-feature signature
    "compare_runs": 600,
    "best_run": 500,
    "list_models": 400,
    "get_model": 700,
    "model_lineage": 3400,
    "registry_hygiene": 1600,
    "gate_claim": 3500,
    "ab_test": 1200,
    "ab_test sequential": 1700,
    "model_performance": 2400,
    "model_performance full": 3600,
    "lint_files": 800,
}

LEGACY_PIPELINE = """import mlflow
from mlflow import MlflowClient
from evidently.report import Report
from evidently.metric_preset import DataDriftPreset
from kfp import dsl

client = MlflowClient()
client.transition_model_version_stage("churn", "3", stage="Production")
model = mlflow.pyfunc.load_model("models:/churn/Production")
mlflow.sklearn.log_model(model, artifact_path="model")
train = dsl.ContainerOp(name="train", image="trainer:1")
"""


def text_tokens(result) -> int:
    assert not result.is_error, result.content[0].text
    return len("".join(block.text for block in result.content if block.type == "text")) // 4


@pytest.fixture(scope="module")
def sizes(tmp_path_factory):
    from mcp import Client

    from mlproof.server import create_server

    work = tmp_path_factory.mktemp("sizes")
    store = shared_sqlite_store(tmp_path_factory.mktemp("sizes-store"))
    seed = store.summary
    midsize = make_midsize_repo(work / "midsize")
    predictions, labels = write_fixture(work / "monitoring")
    legacy = work / "legacy_pipeline.py"  # seven deprecated API uses: a typical first lint of an old project
    legacy.write_text(LEGACY_PIPELINE, encoding="utf-8")
    uri = store.tracking_uri
    run_ids = list(seed.run_ids.values())
    churn = str(FIXTURES / "churn-model")
    reference, current = f"{churn}/data/reference.csv", f"{churn}/data/current.csv"
    calls = {
        "audit_repo churn-model": ("audit_repo", {"path": churn}),
        "audit_repo fraud-feast": ("audit_repo", {"path": str(FIXTURES / "fraud-feast")}),
        "audit_repo notebook-only": ("audit_repo", {"path": str(FIXTURES / "notebook-only")}),
        "audit_repo midsize": ("audit_repo", {"path": str(midsize)}),
        "audit_repo full": ("audit_repo", {"path": churn, "detail": "full"}),
        "explain_check": ("explain_check", {"check_id": "monitor.data_drift"}),
        "find_evidence": ("find_evidence", {"path": churn, "query": "dev.experiment_tracking"}),
        "find_evidence midsize": ("find_evidence", {"path": str(midsize), "query": "dev.experiment_tracking"}),
        "list_checks": ("list_checks", {}),
        "drift_report": ("drift_report", {"reference": reference, "current": current}),
        "drift_report full": ("drift_report", {"reference": reference, "current": current, "detail": "full"}),
        "list_experiments": ("list_experiments", {"tracking_uri": uri}),
        "search_runs": ("search_runs", {"tracking_uri": uri}),
        "get_run": ("get_run", {"tracking_uri": uri, "run_id": run_ids[0]}),
        "compare_runs": ("compare_runs", {"tracking_uri": uri, "run_ids": run_ids[:2]}),
        "best_run": ("best_run", {"tracking_uri": uri, "metric": "val_roc_auc"}),
        "list_models": ("list_models", {"tracking_uri": uri}),
        "get_model": ("get_model", {"tracking_uri": uri, "name": seed.model}),
        "model_lineage": ("model_lineage", {"tracking_uri": uri, "name": seed.model, "alias": "champion"}),
        "registry_hygiene": ("registry_hygiene", {"tracking_uri": uri, "model": seed.model}),
        "gate_claim": ("gate_claim", {"claim": "deployment done", "repo": churn, "tracking_uri": uri, "model": seed.model}),
        "ab_test": ("ab_test", {"control": {"conversions": 1500, "users": 15000}, "treatment": {"conversions": 1680, "users": 15000}}),
        "ab_test sequential": ("ab_test", {"control": {"conversions": 1500, "users": 15000}, "treatment": {"conversions": 1680, "users": 15000},
                                           "target_lift": 0.01, "looks": 5, "look": 3}),
        "model_performance": ("model_performance", {"predictions": str(predictions), "labels": str(labels), "baseline": 0.84}),
        "model_performance full": ("model_performance", {"predictions": str(predictions), "labels": str(labels),
                                                          "baseline": 0.84, "detail": "full"}),
        "lint_files": ("lint_files", {"paths": [str(legacy)]}),
    }

    async def measure():
        measured = {}
        roots = [REPO, work, Path(store.tracking_uri.removeprefix("sqlite:///")).parent]
        async with Client(create_server(allow=roots)) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            for case, (tool, arguments) in calls.items():
                measured[case] = text_tokens(await client.call_tool(tool, arguments))
        return tools, measured

    return anyio.run(measure)


def test_every_tool_is_measured(sizes):
    tools, measured = sizes
    covered = {case.split()[0] for case in measured}
    assert covered == tools, f"tools without a size measurement: {sorted(tools - covered)}"


@pytest.mark.parametrize("fixture", ["churn-model", "fraud-feast", "notebook-only", "midsize"])
def test_audit_summary_fits_the_budget(sizes, fixture):
    _, measured = sizes
    assert measured[f"audit_repo {fixture}"] <= AUDIT_BUDGET


@pytest.mark.parametrize("case", sorted(BOUNDS))
def test_tool_output_stays_within_its_bound(sizes, case):
    _, measured = sizes
    assert measured[case] <= BOUNDS[case], f"{case}: {measured[case]} tokens > bound {BOUNDS[case]}"


def test_summary_is_much_smaller_than_the_full_report(sizes):
    _, measured = sizes
    assert measured["audit_repo churn-model"] * 3 < measured["audit_repo full"]
    assert measured["drift_report"] < measured["drift_report full"]
