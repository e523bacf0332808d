"""Run one reference code block in the refs environment (.venv-refs), with real inputs, and check its effect.

Usage (from tests/test_reference_blocks.py):
    .venv-refs/bin/python tests/envs/refs_runner.py SCENARIO CODE_FILE WORKDIR [--previous CODE_FILE]

A scenario prepares what the block needs (a real MLflow store with registered models, a Feast repository
with data, Parquet files), runs the block, then exercises what it built and asserts on the outcome. It
prints one JSON line of facts and exits 0, or prints the failure and exits 1. Every server it starts
listens on 127.0.0.1 and every wait is bounded.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

SCENARIOS = {}


def scenario(name):
    def register(function):
        SCENARIOS[name] = function
        return function
    return register


def exec_block(code: str, name: str, workdir: Path) -> dict:
    """Import a block as module `name` from a real file (libraries such as KFP read their source back)."""
    path = workdir / f"{name}.py"
    path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.__dict__


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- a real registry with two churn models

CHURN_FEATURES = ["tenure_months", "monthly_charges", "plan"]
SAMPLE_CUSTOMER = {"tenure_months": 3, "monthly_charges": 95.5, "plan": "basic"}


def churn_frame(rows: int = 600, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "tenure_months": rng.integers(0, 72, rows),
        "monthly_charges": rng.normal(70, 20, rows).clip(5).round(2),
        "plan": rng.choice(["basic", "standard", "premium"], rows),
    })
    risk = 1.5 - frame["tenure_months"] / 20 + (frame["monthly_charges"] - 70) / 25 + (frame["plan"] == "basic")
    frame["churned"] = (rng.random(rows) < 1 / (1 + np.exp(-risk))).astype(int)
    return frame


def register_churn_models(workdir: Path, name: str = "churn") -> dict:
    """Versions 1 and 2 of `name` (different models), champion -> 1. Returns each version's model."""
    import mlflow
    import sklearn
    from mlflow import MlflowClient
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    os.environ["MLFLOW_TRACKING_URI"] = uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("refs-churn")
    frame = churn_frame()
    models = {}
    for c in (1.0, 0.01):  # two visibly different models
        pipeline = Pipeline([
            ("encode", ColumnTransformer([("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"])],
                                         remainder="passthrough")),
            ("model", LogisticRegression(C=c, max_iter=1000)),
        ]).fit(frame[CHURN_FEATURES], frame["churned"])
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(
                sk_model=pipeline, name="model", input_example=frame[CHURN_FEATURES].head(3),
                registered_model_name=name, pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
            )
        models[str(info.registered_model_version)] = pipeline
    MlflowClient().set_registered_model_alias(name, "champion", "1")
    return models


def expected_probability(models: dict, version: str, customer: dict) -> float:
    import pandas as pd

    return float(models[version].predict_proba(pd.DataFrame([customer]))[0, 1])


def flip(name: str, version: str) -> None:
    from mlflow import MlflowClient

    MlflowClient().set_registered_model_alias(name, "champion", version)


# ---------------------------------------------------------------- serving

@scenario("fastapi-serving")
def fastapi_serving(code: str, workdir: Path, previous: str | None) -> dict:
    from fastapi.testclient import TestClient

    models = register_churn_models(workdir)
    namespace = exec_block(code, "churn_api", workdir)
    client, champion = TestClient(namespace["app"]), namespace["champion"]

    def ask() -> dict:
        response = client.post("/predict", json=SAMPLE_CUSTOMER)
        assert response.status_code == 200, response.text
        return response.json()

    first = ask()
    assert first["model_version"] == "1"
    assert 0.0 < first["churn_probability"] < 1.0, first
    assert abs(first["churn_probability"] - expected_probability(models, "1", SAMPLE_CUSTOMER)) < 1e-9
    # The alias is cached: right after a flip, the cached version still answers (no registry call per request).
    flip("churn", "2")
    assert ask()["model_version"] == "1"
    # After the TTL the flip reaches the running app: promotion without a restart...
    champion.ttl_seconds = 0.5
    time.sleep(0.6)
    promoted = ask()
    assert promoted["model_version"] == "2", promoted
    assert abs(promoted["churn_probability"] - expected_probability(models, "2", SAMPLE_CUSTOMER)) < 1e-9
    # ...and rollback by alias, also without a restart.
    flip("churn", "1")
    time.sleep(0.6)
    rolled_back = ask()
    assert rolled_back["model_version"] == "1" and rolled_back["churn_probability"] == first["churn_probability"]
    bad = client.post("/predict", json={**SAMPLE_CUSTOMER, "plan": "platinum"})
    assert bad.status_code == 422
    assert client.get("/health").json()["version"] == "1"
    return {"versions_served": [first["model_version"], promoted["model_version"], rolled_back["model_version"]],
            "probability_v1": first["churn_probability"], "probability_v2": promoted["churn_probability"]}


@scenario("bentoml-service")
def bentoml_service(code: str, workdir: Path, previous: str | None) -> dict:
    import httpx

    models = register_churn_models(workdir)
    (workdir / "service.py").write_text(code, encoding="utf-8")
    port = free_port()
    env = {**os.environ, "CHAMPION_TTL_SECONDS": "1", "BENTOML_HOME": str(workdir / "bentoml"),
           "BENTOML_DO_NOT_TRACK": "true"}
    log = open(workdir / "bentoml.log", "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("bentoml")), "serve", "service:ChurnService",
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            time.sleep(0.5)
        else:
            raise AssertionError(f"bentoml serve never became ready:\n{(workdir / 'bentoml.log').read_text()[-3000:]}")

        def score() -> dict:
            response = httpx.post(f"{base}/score_one", json={"customer": SAMPLE_CUSTOMER}, timeout=30)
            assert response.status_code == 200, response.text
            return response.json()

        first = score()
        assert first["model_version"] == "1" and 0.0 < first["churn_probability"] < 1.0, first
        assert abs(first["churn_probability"] - expected_probability(models, "1", SAMPLE_CUSTOMER)) < 1e-9
        batch = httpx.post(f"{base}/predict", json={"customers": [SAMPLE_CUSTOMER, {**SAMPLE_CUSTOMER, "plan": "premium"}]},
                           timeout=30)
        assert batch.status_code == 200 and len(batch.json()) == 2, batch.text
        flip("churn", "2")
        time.sleep(1.2)
        promoted = score()
        assert promoted["model_version"] == "2", promoted
        flip("churn", "1")
        time.sleep(1.2)
        rolled_back = score()
        assert rolled_back["model_version"] == "1", rolled_back
        bad = httpx.post(f"{base}/score_one", json={"customer": {**SAMPLE_CUSTOMER, "plan": "platinum"}}, timeout=30)
        assert 400 <= bad.status_code < 500, bad.status_code
        return {"versions_served": ["1", promoted["model_version"], rolled_back["model_version"]],
                "batch": batch.json()}
    finally:
        if server.poll() is None:
            os.killpg(server.pid, 15)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)
                server.wait(timeout=10)
        log.close()


# ---------------------------------------------------------------- monitoring

@scenario("evidently-drift")
def evidently_drift(code: str, workdir: Path, previous: str | None) -> dict:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"tenure_months": rng.integers(1, 72, 800), "monthly_charges": rng.normal(65, 20, 800),
                              "plan": rng.choice(["basic", "premium"], 800)})
    current = pd.DataFrame({"tenure_months": rng.integers(30, 100, 800), "monthly_charges": rng.normal(85, 20, 800),
                            "plan": rng.choice(["basic", "premium"], 800)})
    reference.to_parquet(workdir / "reference.parquet")
    current.to_parquet(workdir / "current.parquet")
    os.chdir(workdir)
    namespace = exec_block(code, "evidently_block", workdir)
    # Two of three columns moved: the share of drifted columns (2/3) reaches drift_share=0.5.
    assert namespace["dataset_drift"] is True, namespace["dataset_drift"]
    assert abs(namespace["share"] - 2 / 3) < 1e-9, namespace["share"]
    assert (workdir / "drift.html").stat().st_size > 1000
    return {"dataset_drift": namespace["dataset_drift"], "share": namespace["share"]}


# ---------------------------------------------------------------- feature store

FEATURE_STORE_YAML = """project: churn_refs
provider: local
registry: data/registry.db
online_store:
  type: sqlite
  path: data/online_store.db
offline_store:
  type: file
entity_key_serialization_version: 3
"""


def customer_activity(path: Path):
    """Two daily snapshots per customer, so a point-in-time join has something to get wrong."""
    import pandas as pd

    rows = []
    for customer_id, base in ((1001, 3), (1002, 10)):
        for day, bump in ((datetime(2026, 2, 28, 12, tzinfo=timezone.utc), 0), (datetime(2026, 3, 2, 12, tzinfo=timezone.utc), 5)):
            rows.append({"customer_id": customer_id, "event_timestamp": day, "created": day,
                         "sessions_7d": base + bump, "avg_order_value_30d": float(40 + base + bump),
                         "support_tickets_30d": bump // 5})
    frame = pd.DataFrame(rows)
    frame["avg_order_value_30d"] = frame["avg_order_value_30d"].astype("float32")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path)
    return frame


def feast_repo(definitions: str, workdir: Path) -> Path:
    """A Feast repository with the block's definitions, applied and materialised for real."""
    repo = workdir / "feature_repo"
    (repo / "data").mkdir(parents=True, exist_ok=True)
    (repo / "feature_store.yaml").write_text(FEATURE_STORE_YAML, encoding="utf-8")
    (repo / "definitions.py").write_text(definitions, encoding="utf-8")
    customer_activity(repo / "data" / "customer_activity.parquet")
    feast = str(Path(sys.executable).with_name("feast"))
    for command in (["apply"], ["materialize", "2026-02-27T00:00:00", "2026-03-03T00:00:00"]):
        result = subprocess.run([feast, *command], cwd=repo, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"feast {' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return repo


@scenario("feast-definitions")
def feast_definitions(code: str, workdir: Path, previous: str | None) -> dict:
    from feast import FeatureStore

    repo = feast_repo(code, workdir)
    store = FeatureStore(repo_path=str(repo))
    views = {view.name: sorted(feature.name for feature in view.features) for view in store.list_feature_views()}
    assert views == {"customer_activity": ["avg_order_value_30d", "sessions_7d", "support_tickets_30d"]}, views
    services = [service.name for service in store.list_feature_services()]
    assert services == ["churn_model_v1"], services
    return {"feature_views": views, "feature_services": services}


@scenario("feast-retrieval")
def feast_retrieval(code: str, workdir: Path, previous: str | None) -> dict:
    assert previous and "FeatureView(" in previous, "the retrieval block runs on the definitions block above it"
    repo = feast_repo(previous, workdir)
    os.chdir(workdir)  # the block opens FeatureStore(repo_path="feature_repo")
    namespace = exec_block(code, "feast_retrieval_block", workdir)
    training = namespace["training"].sort_values("customer_id").reset_index(drop=True)
    # Point in time: on 2026-03-01 customer 1001 has only the 02-28 snapshot (3), not the later 03-02 one (8);
    # on 2026-03-02 00:00 customer 1002 likewise sees 10, not 15.
    assert training["sessions_7d"].tolist() == [3, 10], training.to_dict("list")
    assert training["churned"].tolist() == [0, 1]
    online = namespace["online"]
    # Online: the latest materialised values.
    assert online["sessions_7d"] == [8] and online["customer_id"] == [1001], online
    return {"training_sessions_7d": training["sessions_7d"].tolist(), "online": online, "repo": str(repo)}


# ---------------------------------------------------------------- pipelines

@scenario("airflow-dag")
def airflow_dag(code: str, workdir: Path, previous: str | None) -> dict:
    from airflow.sdk.definitions.dag import DAG

    namespace = exec_block(code, "churn_dag", workdir)
    dags = [value for value in namespace.values() if isinstance(value, DAG)]
    if not dags:  # the block calls the @dag function without keeping the result: call it again
        dags = [namespace["churn_retraining"]()]
    dag = dags[0]
    upstream = {task.task_id: sorted(task.upstream_task_ids) for task in dag.tasks}
    assert upstream == {"validate": [], "train": ["validate"], "gate": ["train"]}, upstream
    assert str(dag.schedule) == "0 3 * * 1", dag.schedule
    assert dag.catchup is False
    return {"dag_id": dag.dag_id, "upstream": upstream, "schedule": str(dag.schedule)}


@scenario("kfp-compile")
def kfp_compile(code: str, workdir: Path, previous: str | None) -> dict:
    import yaml
    from kfp import compiler

    namespace = exec_block(code, "churn_kfp", workdir)
    package = workdir / "pipeline.yaml"
    compiler.Compiler().compile(namespace["churn_training"], str(package))
    spec = yaml.safe_load(package.read_text())
    tasks = spec["root"]["dag"]["tasks"]
    assert {"validate-data", "train", "evaluate"} <= set(tasks), sorted(tasks)
    conditions = [task for task in tasks.values() if "triggerPolicy" in task]
    assert conditions and "condition" in conditions[0]["triggerPolicy"], "no dsl.If condition in the compiled DAG"
    return {"tasks": sorted(tasks), "condition": conditions[0]["triggerPolicy"]["condition"]}


# ---------------------------------------------------------------- feature flags

@scenario("openfeature-flag")
def openfeature_flag(code: str, workdir: Path, previous: str | None) -> dict:
    models = register_churn_models(workdir)
    from mlflow import MlflowClient

    MlflowClient().set_registered_model_alias("churn", "challenger", "2")
    namespace = exec_block(code, "flag_block", workdir)
    choose = namespace["alias_for"]
    aliases = {user: choose(user) for user in ("user-1", "user-2", "user-3", "beta-tester")}
    assert set(aliases.values()) <= {"champion", "challenger"}
    assert aliases["beta-tester"] == "challenger", aliases
    assert all(choose(user) == alias for user, alias in aliases.items()), "flag evaluation is not sticky"
    versions = namespace["served_versions"]
    assert versions == {"champion": "1", "challenger": "2"}, versions
    assert set(models) == {"1", "2"}
    return {"aliases": aliases, "versions": versions}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("code_file")
    parser.add_argument("workdir")
    parser.add_argument("--previous", default=None, help="the refs block above this one in the same file")
    args = parser.parse_args()
    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    code = Path(args.code_file).read_text(encoding="utf-8")
    previous = Path(args.previous).read_text(encoding="utf-8") if args.previous else None
    facts = SCENARIOS[args.scenario](code, workdir, previous)
    print(json.dumps({"scenario": args.scenario, "facts": facts}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
