"""Repository, drift and gate tools over a real stdio MCP session (SDK ClientSession + subprocess).

Every tool is called with valid input and with bad input; bad input must come
back as a tool error with one plain sentence.
"""

from __future__ import annotations

import csv
import random

import anyio
import pytest

from tests.server_harness import CHURN_FIXTURE, REPO, assert_tool_error, mcp_session, structured

LOCAL_TOOLS = ("audit_repo", "explain_check", "find_evidence", "list_checks", "drift_report", "ab_test")
EXPECTED_TOOLS = {
    "audit_repo", "explain_check", "find_evidence", "list_checks", "drift_report",
    "list_experiments", "search_runs", "get_run", "compare_runs", "best_run",
    "list_models", "get_model", "model_lineage", "registry_hygiene",
    "gate_claim", "ab_test", "model_performance",
}


def write_csv(path, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    """A reference and a current CSV where `tenure` shifts a lot and `plan` does not."""
    folder = tmp_path_factory.mktemp("drift-data")
    rng = random.Random(7)
    # `plan` cycles through the same three values in both sets, so it cannot drift by chance.
    reference = [{"tenure": round(rng.gauss(20, 5), 3), "plan": "abc"[i % 3]} for i in range(600)]
    current = [{"tenure": round(rng.gauss(35, 5), 3), "plan": "abc"[i % 3]} for i in range(600)]
    return write_csv(folder / "reference.csv", reference), write_csv(folder / "current.csv", current)


def test_every_tool_is_listed_with_description_schemas_and_hints_and_explain_check_works():
    async def scenario():
        async with mcp_session(cwd=REPO) as session:
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            assert EXPECTED_TOOLS <= set(tools)
            for tool in tools.values():
                assert tool.description and len(tool.description) > 40, tool.name
                assert tool.input_schema["type"] == "object", tool.name
                assert tool.output_schema and tool.output_schema.get("type") == "object", tool.name
                for prop in tool.input_schema.get("properties", {}).values():
                    assert prop.get("description"), f"{tool.name}: every input is described"
                hints = tool.annotations
                assert hints.read_only_hint is True and hints.destructive_hint is False, tool.name
            for name in LOCAL_TOOLS:
                assert tools[name].annotations.open_world_hint is False, name
            await explain_check_returns_the_catalog_entry(session)

    anyio.run(scenario)


async def explain_check_returns_the_catalog_entry(session):
    from mlproof.rubric.catalog import load_catalog

    check = load_catalog().checks[0]
    explained = structured(await session.call_tool("explain_check", {"check_id": check.id}))
    assert explained["id"] == check.id and explained["why"] == check.why and explained["fix"] == check.fix
    assert_tool_error(await session.call_tool("explain_check", {"check_id": "no.such.check"}), "no.such.check")
    assert_tool_error(await session.call_tool("explain_check", {}), "check_id")
    assert_tool_error(await session.call_tool("explain_check", {"check_id": ["a", "b"]}), "check_id")


def test_drift_report_from_files_and_inline_columns_with_progress(datasets):
    reference, current = datasets

    async def scenario():
        progress = []

        async def on_progress(done, total, message):
            progress.append((done, total))

        async with mcp_session(cwd=REPO, allow=[reference.parent]) as session:
            result = await session.call_tool(
                "drift_report", {"reference": str(reference), "current": str(current)}, progress_callback=on_progress
            )
            report = structured(result)
            by_column = {c["column"]: c for c in report["columns"]}
            assert by_column["tenure"]["drifted"] is True
            assert by_column["plan"]["drifted"] is False
            for column in by_column.values():  # a verdict always names its method, statistic and threshold
                assert column["method"] and column["statistic"] is not None and column["threshold"] is not None
            assert progress and progress[-1][0] == progress[-1][1], "progress reaches total"

            inline = structured(await session.call_tool("drift_report", {
                "reference": {"x": [1.0, 2.0, 3.0, 4.0, 5.0] * 20},
                "current": {"x": [1.0, 2.0, 3.0, 4.0, 5.0] * 20},
            }))
            assert inline["dataset_drift"] is False

    anyio.run(scenario)


def test_drift_report_refuses_bad_datasets(datasets, tmp_path):
    reference, current = datasets
    empty = tmp_path / "empty.csv"
    empty.write_text("tenure,plan\n")
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"this is not parquet")

    async def scenario():
        async with mcp_session(cwd=tmp_path) as session:  # the datasets' folder is not allowed here
            assert_tool_error(await session.call_tool("drift_report", {"reference": str(reference), "current": str(current)}),
                              "outside the folders", str(tmp_path))
            assert_tool_error(await session.call_tool("drift_report", {"reference": "missing.csv", "current": "empty.csv"}),
                              "does not exist")
            assert_tool_error(await session.call_tool("drift_report", {"reference": "empty.csv", "current": "empty.csv"}))
            assert_tool_error(await session.call_tool("drift_report", {"reference": "garbage.parquet", "current": "empty.csv"}))
            assert_tool_error(await session.call_tool("drift_report", {"reference": {}, "current": {"x": [1]}}), "no columns")
            assert_tool_error(await session.call_tool("drift_report", {"reference": {"x": [1, 2]}, "current": {"y": [1, 2]}}))
            assert_tool_error(await session.call_tool("drift_report", {"reference": 5, "current": "empty.csv"}), "reference")
            assert_tool_error(await session.call_tool("drift_report", {"current": "empty.csv"}), "reference")
            result = await session.call_tool("drift_report", {"reference": "empty.csv", "current": "empty.csv", "drift_share": 3})
            assert_tool_error(result, "drift_share")

    anyio.run(scenario)


def test_audit_repo_grades_the_fixture_with_evidence_and_progress():
    async def scenario():
        progress = []

        async def on_progress(done, total, message):
            progress.append((done, total))

        async with mcp_session(cwd=REPO) as session:
            summary = structured(await session.call_tool("audit_repo", {"path": str(CHURN_FIXTURE)}, progress_callback=on_progress))
            assert summary["detail"] == "summary" and summary["report"] is None
            assert set(summary["counts"]) <= {"pass", "partial", "fail", "n/a"} and sum(summary["counts"].values()) == 34
            assert summary["counts"].get("fail"), "the bundled example project has gaps to find"
            assert len(summary["gaps"]) == summary["counts"].get("fail", 0) + summary["counts"].get("partial", 0)
            for gap in summary["gaps"]:
                if gap["status"] == "partial":
                    assert gap["evidence"] and gap["evidence"]["location"], f"{gap['id']} is partial without evidence"
            assert summary["maturity_level"] is not None and len(summary["pillars"]) == 6
            assert progress and progress[-1][0] == progress[-1][1], "progress reaches total"

            full = structured(await session.call_tool("audit_repo", {"path": str(CHURN_FIXTURE), "detail": "full"}))
            report = full["report"]
            assert full["detail"] == "full" and len(report["checks"]) == 34
            for check in report["checks"]:
                if check["status"] in ("pass", "partial"):
                    assert check["evidence"], f"{check['id']} is {check['status']} without evidence"
            assert {c["id"] for c in report["checks"] if c["status"] in ("fail", "partial")} == {g["id"] for g in summary["gaps"]}

            pillar = report["checks"][0]["pillar"]
            narrowed = structured(await session.call_tool("audit_repo", {"path": "evals/fixtures/churn-model", "only": pillar, "detail": "full"}))
            assert narrowed["report"]["checks"] and {check["pillar"] for check in narrowed["report"]["checks"]} == {pillar}
            assert_tool_error(await session.call_tool("audit_repo", {"path": str(CHURN_FIXTURE), "only": "nonsense"}), "nonsense")
            assert_tool_error(await session.call_tool("audit_repo", {"path": str(CHURN_FIXTURE), "detail": "everything"}), "detail")

    anyio.run(scenario)


def test_find_evidence_reports_hits_and_says_when_there_are_none(tmp_path):
    (tmp_path / "train.py").write_text("import mlflow\nmlflow.log_metric('auc', 0.9)\n")

    async def scenario():
        async with mcp_session(cwd=REPO, allow=[tmp_path]) as session:
            found = structured(await session.call_tool("find_evidence", {"path": str(CHURN_FIXTURE), "query": "experiment tracking"}))
            assert found["found"] is True and found["evidence"]
            for hit in found["evidence"]:
                assert hit["snippet"]
                if hit["kind"] == "file":
                    assert hit["path"] and (CHURN_FIXTURE / hit["path"]).exists()
            nothing = structured(await session.call_tool("find_evidence", {"path": str(tmp_path), "query": "feature store"}))
            assert nothing["found"] is False and nothing["evidence"] == [] and "No evidence" in nothing["summary"]

    anyio.run(scenario)


def test_repository_tools_refuse_bad_paths(tmp_path):
    (tmp_path / "file.txt").write_text("not a repository\n")

    async def scenario():
        async with mcp_session(cwd=tmp_path) as session:
            for tool, extra in (("audit_repo", {}), ("find_evidence", {"query": "tests"})):
                assert_tool_error(await session.call_tool(tool, {"path": "missing-folder", **extra}), "does not exist")
                assert_tool_error(await session.call_tool(tool, {"path": str(REPO), **extra}), "outside the folders")
                assert_tool_error(await session.call_tool(tool, {"path": "", **extra}), "empty")
                assert_tool_error(await session.call_tool(tool, {**extra}), "path")
            assert_tool_error(await session.call_tool("audit_repo", {"path": "file.txt"}))
            assert_tool_error(await session.call_tool("find_evidence", {"path": ".", "query": "  "}), "query")

    anyio.run(scenario)
