"""Best run among 10,000: mlproof.best_run vs mlflow.search_runs into pandas + sort.

Same SQLite store, same metric, same tie-break, measured in the same run. Each
measurement runs in a fresh subprocess (so peak memory is that approach's own)
and the store is opened once before the timer starts (both pay the same start-up).

The 10,000 runs are written once, in bulk, through MLflow's own SQLAlchemy
models (creating them one API call at a time would take minutes), and the
store is cached under bench-results/mlflow-10k/.

    .venv/bin/python scripts/bench/bench_mlflow.py [--runs 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench-results"
EXPERIMENT = "bench-10k"
METRIC = "val_auc"

# Child programs: print one JSON line {seconds, peak_alloc_mb, max_rss_mb, run_id, value}.
CHILD_PRELUDE = r"""
import json, os, resource, sys, time, tracemalloc, logging
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
logging.getLogger("mlflow").setLevel(logging.ERROR)
uri, experiment_id, metric = sys.argv[1], sys.argv[2], sys.argv[3]
import mlflow, pandas
from mlflow import MlflowClient
MlflowClient(tracking_uri=uri).search_experiments(max_results=1)  # open the store before timing
"""
MLPROOF_CHILD = CHILD_PRELUDE + r"""
from mlproof.tracking import best_run
best_run(uri, metric=metric, direction="max", experiments=[experiment_id])  # warm the cached client
tracemalloc.start(); start = time.perf_counter()
best = best_run(uri, metric=metric, direction="max", experiments=[experiment_id])
seconds = time.perf_counter() - start; peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"seconds": seconds, "peak_alloc_mb": peak / 2**20, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "run_id": best.run.run_id, "value": best.value}))
"""
PANDAS_CHILD = CHILD_PRELUDE + r"""
mlflow.set_tracking_uri(uri)
tracemalloc.start(); start = time.perf_counter()
frame = mlflow.search_runs(experiment_ids=[experiment_id], max_results=100_000)
column = f"metrics.{metric}"
frame = frame[frame[column].notna()].sort_values([column, "start_time", "run_id"], ascending=[False, True, True])
top = frame.iloc[0]
seconds = time.perf_counter() - start; peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"seconds": seconds, "peak_alloc_mb": peak / 2**20, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "run_id": top["run_id"], "value": float(top[column]), "rows_loaded": len(frame)}))
"""


def build_store(db: Path, n_runs: int) -> str:
    """Write n_runs finished runs with params and metrics straight into an MLflow SQLite store."""
    import logging

    import numpy as np
    from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlParam, SqlRun, SqlTag
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    db.parent.mkdir(parents=True, exist_ok=True)
    store = SqlAlchemyStore(f"sqlite:///{db}", (db.parent / "artifacts").as_uri())
    experiment_id = store.create_experiment(EXPERIMENT)
    rng = np.random.default_rng(0)
    auc = np.round(rng.uniform(0.6, 0.99, n_runs), 4)  # rounded: real ties happen, so the tie-break matters
    loss = rng.uniform(0.05, 0.7, n_runs)
    base_time = 1_700_000_000_000
    batch: list = []
    with store.ManagedSessionMaker() as session:
        for i in range(n_runs):
            run_id = f"{i:032x}"
            start = base_time + (i % 997) * 1000  # shuffled start times
            batch.append(SqlRun(run_uuid=run_id, name=f"trial-{i}", source_type="LOCAL", source_name="bench", entry_point_name="",
                                user_id="bench", status="FINISHED", start_time=start, end_time=start + 5000, source_version="",
                                lifecycle_stage="active", artifact_uri=f"{(db.parent / 'artifacts').as_uri()}/{run_id}", experiment_id=int(experiment_id)))
            for key, value in ((METRIC, float(auc[i])), ("val_loss", float(loss[i]))):
                batch.append(SqlMetric(key=key, value=value, timestamp=start, step=0, is_nan=False, run_uuid=run_id))
                batch.append(SqlLatestMetric(key=key, value=value, timestamp=start, step=0, is_nan=False, run_uuid=run_id))
            batch += [SqlParam(key="learning_rate", value=f"{rng.uniform(1e-4, 1e-1):.5f}", run_uuid=run_id),
                      SqlParam(key="max_depth", value=str(int(rng.integers(2, 12))), run_uuid=run_id),
                      SqlTag(key="mlflow.runName", value=f"trial-{i}", run_uuid=run_id)]
            if len(batch) >= 20_000:
                session.add_all(batch)
                session.flush()
                batch = []
        session.add_all(batch)
    return experiment_id


def ensure_store(n_runs: int) -> tuple[str, str]:
    db = RESULTS / f"mlflow-{n_runs // 1000}k" / "mlflow.db"
    marker = db.parent / "experiment.json"
    if db.exists() and marker.exists():
        return f"sqlite:///{db}", json.loads(marker.read_text())["experiment_id"]
    if db.exists():
        db.unlink()
    started = time.perf_counter()
    print(f"building {n_runs} runs in {db} ...", file=sys.stderr)
    experiment_id = build_store(db, n_runs)
    marker.write_text(json.dumps({"experiment_id": experiment_id, "runs": n_runs}))
    print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return f"sqlite:///{db}", experiment_id


def measure(program: str, uri: str, experiment_id: str) -> dict:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONPATH": str(ROOT / "mcp_server")}
    out = subprocess.run([sys.executable, "-c", program, uri, experiment_id, METRIC], capture_output=True, text=True, env=env, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    uri, experiment_id = ensure_store(args.runs)
    results: dict[str, list[dict]] = {"mlproof best_run": [], "mlflow.search_runs + pandas sort": []}
    for _ in range(args.repeat):
        results["mlproof best_run"].append(measure(MLPROOF_CHILD, uri, experiment_id))
        results["mlflow.search_runs + pandas sort"].append(measure(PANDAS_CHILD, uri, experiment_id))
    winners = {r["run_id"] for rs in results.values() for r in rs}
    if len(winners) != 1:
        raise SystemExit(f"the two approaches disagree on the best run: {winners}")
    summary = {}
    for name, runs in results.items():
        summary[name] = {"median_s": statistics.median(r["seconds"] for r in runs), "peak_alloc_mb": max(r["peak_alloc_mb"] for r in runs),
                         "max_rss_mb": max(r["max_rss_mb"] for r in runs)}
    ours, peer = summary["mlproof best_run"], summary["mlflow.search_runs + pandas sort"]
    print(f"Best run by {METRIC} among {args.runs} runs ({uri}), median of {args.repeat}; same winner {winners.pop()}")
    print(f"{'approach':36} {'median s':>10} {'peak alloc MB':>14} {'max RSS MB':>11}")
    for name, row in summary.items():
        print(f"{name:36} {row['median_s']:10.3f} {row['peak_alloc_mb']:14.1f} {row['max_rss_mb']:11.0f}")
    print(f"ratio (peer / mlproof): time x{peer['median_s'] / ours['median_s']:.1f}, peak Python allocations x{peer['peak_alloc_mb'] / max(ours['peak_alloc_mb'], 1e-6):.1f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_mlflow.json").write_text(json.dumps({"runs": args.runs, "summary": summary, "raw": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
