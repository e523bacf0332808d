"""MLflow tools over a real stdio MCP session, against a real SQLite store seeded with scikit-learn runs."""

from __future__ import annotations

import socket

import anyio
import pytest

from tests.server_harness import REPO, assert_tool_error, mcp_session, structured

MLFLOW_TOOLS = ("search_runs", "compare_runs", "best_run", "get_model", "model_lineage", "registry_hygiene")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A seeded store in a temporary folder, plus the seed summary (run ids, versions, aliases)."""
    from mlproof.tracking.seed import seed_demo_store

    folder = tmp_path_factory.mktemp("mlflow-store")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    return folder, uri, seed_demo_store(uri)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_mlflow_tools_answer_from_the_seeded_store(store):
    folder, uri, seed = store

    async def scenario():
        async with mcp_session(cwd=REPO, allow=[folder]) as session:
            tools = {t.name: t for t in (await session.list_tools()).tools}
            for name in MLFLOW_TOOLS:
                hints = tools[name].annotations
                assert hints.read_only_hint is True and hints.open_world_hint is True, name

            page = structured(await session.call_tool("search_runs", {"tracking_uri": uri, "experiments": ["churn-demo"], "max_results": 50}))
            assert {run["run_id"] for run in page["runs"]} == set(seed.run_ids.values())

            ids = list(seed.run_ids.values())[:2]
            comparison = structured(await session.call_tool("compare_runs", {"tracking_uri": uri, "run_ids": ids}))
            assert sorted(comparison["run_ids"]) == sorted(ids)
            assert comparison["metrics"], "a comparison must show the runs' metrics"

            metric = next(iter(comparison["metrics"]))
            best = structured(await session.call_tool("best_run", {"tracking_uri": uri, "metric": metric, "experiments": ["churn-demo"]}))
            values = [v for v in comparison["metrics"][metric].values() if v is not None]
            assert best["run"]["run_id"] in seed.run_ids.values()
            assert best["value"] >= max(values)  # the best of all runs is at least the best of two
            assert best["evidence"][0]["ids"]["run_id"] == best["run"]["run_id"]

            model = structured(await session.call_tool("get_model", {"tracking_uri": uri, "name": seed.model}))
            assert sorted(v["version"] for v in model["versions"]) == sorted(seed.versions)

            lineage = structured(await session.call_tool("model_lineage", {"tracking_uri": uri, "name": seed.model, "alias": "champion"}))
            assert lineage["version"] == seed.aliases["champion"]
            assert lineage["run"]["run_id"] == seed.run_ids[seed.versions[seed.aliases["champion"]]]

            hygiene = structured(await session.call_tool("registry_hygiene", {"tracking_uri": uri, "model": seed.model}))
            assert hygiene["findings"], "hygiene must report each check it made"
            verdicts = [f for f in hygiene["findings"] if f["status"] in ("ok", "warn", "fail")]
            assert verdicts and all(f["evidence"] for f in verdicts), "every hygiene verdict carries evidence"

    anyio.run(scenario)


def test_mlflow_tools_refuse_bad_input_in_one_sentence(store, tmp_path):
    folder, uri, seed = store
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    async def scenario():
        # The store's folder is NOT allowed here: the server runs in an empty folder.
        async with mcp_session(cwd=tmp_path) as session:
            assert_tool_error(await session.call_tool("search_runs", {"tracking_uri": uri}), "outside the folders")
            minimal = {"search_runs": {}, "compare_runs": {"run_ids": ["a", "b"]}, "best_run": {"metric": "auc"},
                       "get_model": {"name": "x"}, "model_lineage": {"name": "x"}, "registry_hygiene": {"model": "x"}}
            for name, arguments in minimal.items():  # an unreachable server is named, within seconds
                assert_tool_error(await session.call_tool(name, {**arguments, "tracking_uri": dead}), dead)
            assert_tool_error(await session.call_tool("compare_runs", {"run_ids": ["only-one"]}), "run_ids")
            assert_tool_error(await session.call_tool("best_run", {"metric": "auc", "direction": "up"}), "direction")
            assert_tool_error(await session.call_tool("registry_hygiene", {}), "model")
            missing_db = f"sqlite:///{tmp_path / 'nope.db'}"
            assert_tool_error(await session.call_tool("get_model", {"tracking_uri": missing_db, "name": "x"}))
        async with mcp_session(cwd=REPO, allow=[folder]) as session:
            assert_tool_error(await session.call_tool("get_model", {"tracking_uri": uri, "name": "no-such-model"}), "no-such-model")
            assert_tool_error(await session.call_tool("model_lineage", {"tracking_uri": uri, "name": seed.model, "alias": "nope"}), "@nope")

    anyio.run(scenario)


def test_gate_claim_blocks_or_passes_with_evidence(store, tmp_path):
    folder, uri, seed = store
    dead = f"http://127.0.0.1:{free_port()}"

    async def scenario():
        async with mcp_session(cwd=REPO, allow=[folder]) as session:
            tools = {t.name: t for t in (await session.list_tools()).tools}
            assert tools["gate_claim"].annotations.read_only_hint is True
            verdict = structured(await session.call_tool("gate_claim", {
                "claim": "the model was promoted", "repo": "evals/fixtures", "tracking_uri": uri, "model": seed.model,
            }))
            assert verdict["claim"] == "model_promoted" and verdict["model"] == seed.model
            assert verdict["verdict"] in ("PASS", "BLOCKED")
            for proof in verdict["proofs"]:
                for part in proof["parts"]:
                    if part["status"] == "satisfied":
                        assert part["evidence"], f"{proof['id']}/{part['name']} satisfied without evidence"
            unsatisfied = [p for p in verdict["proofs"] if p["status"] != "satisfied"]
            assert (verdict["verdict"] == "PASS") == (not unsatisfied)
            assert len(verdict["missing"]) == len(unsatisfied)

            assert_tool_error(await session.call_tool("gate_claim", {"claim": "the moon is made of cheese"}), "not one the gate knows")
            assert_tool_error(await session.call_tool("gate_claim", {"claim": "deployment done", "repo": "/etc"}), "outside the folders")
            assert_tool_error(await session.call_tool("gate_claim", {"claim": ""}), "claim")
            blocked = await session.call_tool("gate_claim", {"claim": "model promoted", "tracking_uri": dead, "model": seed.model})
            # An unreachable store is either refused outright or leaves every MLflow proof unknown, never satisfied.
            if not blocked.is_error:
                result = structured(blocked)
                assert result["verdict"] == "BLOCKED"
                assert all(part["status"] != "satisfied" for p in result["proofs"] for part in p["parts"] if part["source"] == "mlflow")

    anyio.run(scenario)
