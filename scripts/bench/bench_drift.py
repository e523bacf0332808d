#!/usr/bin/env python3
"""Drift benchmark: mlproof vs Evidently 0.7 DataDriftPreset on the same data, in the same run.

Cases
  1M rows x 20 columns (16 numerical, 4 categorical)
  356k rows x 200 columns (180 numerical, 20 categorical)
  50M rows (bounded-memory demo: mlproof's streaming engine, peak memory vs 1 GiB,
  and the approximation bounds checked against the exact value of one column)

For each case every tool runs in its own subprocess, so peak memory (ru_maxrss)
belongs to that tool alone. Evidently runs from `.bench-venv` (created here with
evidently 0.7.x and pandas < 3) with a bounded timeout; ">= timeout" is reported
when it runs out. Timings exclude interpreter start-up and imports; mlproof is
timed end to end from the Parquet files, Evidently from pandas DataFrames already
in memory (its read time is not counted, which favours Evidently).

The floor is numpy sorting every numerical column of both datasets once (what an
exact KS needs). Results: a table on stdout and bench-results/drift.json.

Usage: .venv/bin/python scripts/bench/bench_drift.py [--quick] [--skip-50m] [--evidently-timeout 600]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench-results"
DATA = RESULTS / "drift-data"
BENCH_VENV = ROOT / ".bench-venv"
EVIDENTLY_SPEC = ["evidently>=0.7,<0.8", "pandas<3", "pyarrow"]
GIB = 1024**3


# --- data -------------------------------------------------------------------------------------


def make_dataset(path: Path, rows: int, n_num: int, n_cat: int, seed: int, drifted: bool, chunk: int = 1_000_000) -> None:
    """Write a Parquet file chunk by chunk (bounded memory). In the current data, every 4th numerical
    column shifts by 0.3 std (or its shape changes) and every 3rd categorical column reverses its shares."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.exists():
        return
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp")
    writer = None
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        cols = {}
        for i in range(n_num):
            shift = 0.3 if drifted and i % 4 == 0 else 0.0
            if i % 3 == 0:
                values = rng.gamma(2.0 + 2 * shift, 2.0, n)
            else:
                values = rng.normal(10.0 + 3 * shift, 3.0, n)
            if i % 5 == 1:
                values[rng.random(n) < 0.01] = np.nan  # 1% missing in some columns
            cols[f"num_{i}"] = values
        for j in range(n_cat):
            k = 4 + 2 * (j % 5)
            shares = np.linspace(1.0, 2.0, k)
            if drifted and j % 3 == 0:
                shares = shares[::-1]
            labels = np.array([f"cat{j}_{v}" for v in range(k)])
            cols[f"cat_{j}"] = pa.array(labels[rng.choice(k, n, p=shares / shares.sum())])
        table = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table, row_group_size=min(chunk, 1_000_000))
    writer.close()
    tmp.rename(path)


# --- workers (each runs in its own process) -----------------------------------------------------


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_mlproof(ref: str, cur: str, exact_max_rows: str | None = None) -> dict:
    # Imports stay outside the timed region (the engine imports these lazily on first use).
    import pyarrow.compute  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    import scipy.special  # noqa: F401
    import scipy.stats  # noqa: F401

    from mlproof.drift import EXACT_MAX_ROWS, drift_report

    start = time.perf_counter()
    report = drift_report(ref, cur, exact_max_rows=int(exact_max_rows) if exact_max_rows else EXACT_MAX_ROWS)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mib": _peak_mib(),
        "engine": report.engine,
        "dataset_drift": report.dataset_drift,
        "columns": {
            c.column: {"method": c.method, "statistic": c.statistic, "p_value": c.p_value, "drifted": c.drifted,
                       "approximation": c.approximation.model_dump() if c.approximation else None}
            for c in report.columns
        },
    }


def worker_floor(ref: str, cur: str) -> dict:
    """numpy sort of every numerical column of both datasets, once; plus the Arrow size of the inputs."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow_bytes = 0
    seconds = 0.0
    for path in (ref, cur):
        table = pq.ParquetFile(path).read()
        arrow_bytes += table.nbytes
        for name in table.column_names:
            if pa.types.is_floating(table.schema.field(name).type):
                values = table.column(name).to_numpy()
                start = time.perf_counter()
                np.sort(values)
                seconds += time.perf_counter() - start
        del table
    return {"seconds": seconds, "arrow_mib": arrow_bytes / 2**20}


EVIDENTLY_P_VALUE_METHODS = {"K-S p_value": "<=", "chi-square p_value": "<", "Z-test p_value": "<"}


def worker_evidently(ref: str, cur: str) -> dict:
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    ref_df = pd.read_parquet(ref)
    cur_df = pd.read_parquet(cur)
    start = time.perf_counter()
    snapshot = Report([DataDriftPreset()]).run(cur_df, ref_df)
    seconds = time.perf_counter() - start
    columns = {}
    dataset = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift"):
            method, threshold, value = config["method"], config["threshold"], metric["value"]
            rule = EVIDENTLY_P_VALUE_METHODS.get(method)
            if rule == "<=":
                drifted = value <= threshold
            elif rule == "<":
                drifted = value < threshold
            else:
                drifted = value >= threshold
            columns[config["column"]] = {"method": method, "value": value, "threshold": threshold, "drifted": bool(drifted)}
        elif config.get("type", "").endswith("DriftedColumnsCount"):
            dataset = metric["value"]
    return {"seconds": seconds, "peak_mib": _peak_mib(), "columns": columns, "drifted_share": dataset.get("share"),
            "dataset_drift": dataset.get("share", 0) >= 0.5}


def worker_exact_column(ref: str, cur: str, column: str) -> dict:
    """Exact KS and normed Wasserstein of one column of the 50M-row files (to check the streamed bounds)."""
    import numpy as np
    import pyarrow.parquet as pq

    from mlproof.drift import stats

    def load(path):
        values = pq.ParquetFile(path).read(columns=[column]).column(column).to_numpy()
        return np.sort(values[np.isfinite(values)])

    ref_sorted, cur_sorted = load(ref), load(cur)
    return {
        "ks": stats.ks_two_sample(ref_sorted, cur_sorted).statistic,
        "wasserstein": stats.wasserstein_normed(ref_sorted, cur_sorted).statistic,
        "peak_mib": _peak_mib(),
    }


WORKERS = {"mlproof": worker_mlproof, "floor": worker_floor, "evidently": worker_evidently, "exact-column": worker_exact_column}


# --- orchestration ----------------------------------------------------------------------------------


def ensure_bench_venv() -> Path:
    python = BENCH_VENV / "bin" / "python"
    probe = [str(python), "-c", "import evidently, pandas; assert evidently.__version__.startswith('0.7'); assert int(pandas.__version__.split('.')[0]) < 3"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"creating {BENCH_VENV} with {' '.join(EVIDENTLY_SPEC)} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *EVIDENTLY_SPEC], check=True)
    return python


def run_worker(python: str, kind: str, *args: str, timeout: float | None = None) -> dict:
    command = [python, str(Path(__file__).resolve()), "--worker", kind, *args]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def explain_disagreements(ours: dict, theirs: dict) -> list[dict]:
    out = []
    for name, mine in ours["columns"].items():
        other = theirs["columns"].get(name)
        if other is None or mine["drifted"] == other["drifted"]:
            continue
        if mine["statistic"] is not None and other["method"].lower().startswith(("wasserstein", "jensen")):
            close = abs(mine["statistic"] - other["value"]) <= 1e-6 * max(1.0, abs(other["value"]))
            why = ("same statistic, opposite side of the threshold only through rounding" if close else
                   f"different values: mlproof {mine['method']}={mine['statistic']:.6g}, Evidently {other['method']}={other['value']:.6g}")
        else:
            why = f"different tests: mlproof {mine['method']}, Evidently {other['method']}"
        out.append({"column": name, "mlproof": mine["drifted"], "evidently": other["drifted"], "why": why})
    return out


def bench_case(name: str, rows: int, n_num: int, n_cat: int, venv_python: str | None, timeout: float) -> dict:
    ref, cur = DATA / f"{name}-reference.parquet", DATA / f"{name}-current.parquet"
    print(f"[{name}] generating {rows:,} rows x {n_num + n_cat} columns (cached in {DATA}) ...", file=sys.stderr)
    make_dataset(ref, rows, n_num, n_cat, seed=1, drifted=False)
    make_dataset(cur, rows, n_num, n_cat, seed=2, drifted=True)
    print(f"[{name}] numpy sort floor ...", file=sys.stderr)
    floor = run_worker(sys.executable, "floor", str(ref), str(cur))
    print(f"[{name}] mlproof ...", file=sys.stderr)
    ours = run_worker(sys.executable, "mlproof", str(ref), str(cur))
    case = {"case": name, "rows": rows, "columns": n_num + n_cat, "numerical": n_num, "categorical": n_cat,
            "floor": floor, "mlproof": {k: v for k, v in ours.items() if k != "columns"}}
    if "error" in ours:
        return case
    case["mlproof"]["drifted_columns"] = sum(1 for c in ours["columns"].values() if c["drifted"])
    case["mlproof_vs_floor"] = ours["seconds"] / floor["seconds"]
    case["mlproof_peak_vs_arrow"] = ours["peak_mib"] / floor["arrow_mib"]
    if venv_python:
        print(f"[{name}] Evidently DataDriftPreset (timeout {timeout:.0f} s) ...", file=sys.stderr)
        theirs = run_worker(venv_python, "evidently", str(ref), str(cur), timeout=timeout + 120)
        if "timeout" not in theirs and "error" not in theirs and theirs["seconds"] > timeout:
            theirs = {"timeout": timeout}
        elif "timeout" in theirs:
            theirs = {"timeout": timeout}  # killed at timeout + grace; report the timeout we allowed
        case["evidently"] = {k: v for k, v in theirs.items() if k != "columns"}
        if "seconds" in theirs:
            case["speedup_vs_evidently"] = theirs["seconds"] / ours["seconds"]
            agree = sum(1 for n, c in ours["columns"].items() if n in theirs["columns"] and theirs["columns"][n]["drifted"] == c["drifted"])
            case["decisions_agree"] = f"{agree}/{len(ours['columns'])}"
            case["disagreements"] = explain_disagreements(ours, theirs)
            case["evidently"]["drifted_columns"] = sum(1 for c in theirs["columns"].values() if c["drifted"])
        elif "timeout" in theirs:
            case["speedup_vs_evidently"] = f">= {theirs['timeout'] / ours['seconds']:.0f}"
    return case


def bench_bounded_memory(rows: int) -> dict:
    name = f"{rows // 1_000_000}M"
    ref, cur = DATA / f"stream-{name}-reference.parquet", DATA / f"stream-{name}-current.parquet"
    print(f"[{name}] generating {rows:,}-row Parquet files (once; cached) ...", file=sys.stderr)
    make_dataset(ref, rows, 4, 1, seed=3, drifted=False)
    make_dataset(cur, rows, 4, 1, seed=4, drifted=True)
    print(f"[{name}] mlproof streaming engine ...", file=sys.stderr)
    # The default exact limit is 20M rows; a smaller demo (--quick) lowers it so the streaming engine still runs.
    ours = run_worker(sys.executable, "mlproof", str(ref), str(cur), str(min(20_000_000, rows // 2)))
    result = {"case": f"bounded-memory {name}", "rows": rows, "file_mib": (ref.stat().st_size + cur.stat().st_size) / 2**20,
              "mlproof": {k: v for k, v in ours.items() if k != "columns"}}
    if "error" in ours:
        return result
    result["peak_under_1gib"] = ours["peak_mib"] * 2**20 < GIB
    print(f"[{name}] exact statistics of num_0 for the bound check ...", file=sys.stderr)
    exact = run_worker(sys.executable, "exact-column", str(ref), str(cur), "num_0")
    streamed = ours["columns"]["num_0"]
    approx = streamed["approximation"]
    result["bound_check"] = {"column": "num_0", "method": streamed["method"], "streamed": streamed["statistic"],
                             "bounds": [approx["statistic_low"], approx["statistic_high"]] if approx else None,
                             "exact": exact.get(streamed["method"] if streamed["method"] in ("ks", "wasserstein") else "wasserstein"),
                             "exact_peak_mib": exact.get("peak_mib")}
    b = result["bound_check"]
    result["bound_holds"] = bool(b["bounds"] and b["exact"] is not None and b["bounds"][0] - 1e-12 <= b["exact"] <= b["bounds"][1] + 1e-12)
    return result


def print_table(cases: list[dict]) -> None:
    print()
    print(f"{'case':<22} {'mlproof s':>10} {'floor s':>8} {'x floor':>8} {'Evidently s':>12} {'speedup':>9} {'peak MiB':>9} {'Arrow MiB':>10} {'peak/Arrow':>10} {'agree':>7}")
    for c in cases:
        if c["case"].startswith("bounded"):
            continue
        ev = c.get("evidently", {})
        ev_s = f"{ev['seconds']:.1f}" if "seconds" in ev else (f">= {ev['timeout']:.0f}" if "timeout" in ev else ev.get("error", "-")[:12])
        speed = c.get("speedup_vs_evidently", "-")
        speed = f"{speed:.0f}x" if isinstance(speed, float) else str(speed)
        print(f"{c['case']:<22} {c['mlproof'].get('seconds', float('nan')):>10.2f} {c['floor']['seconds']:>8.2f} {c.get('mlproof_vs_floor', float('nan')):>8.2f} "
              f"{ev_s:>12} {speed:>9} {c['mlproof'].get('peak_mib', float('nan')):>9.0f} {c['floor']['arrow_mib']:>10.0f} "
              f"{c.get('mlproof_peak_vs_arrow', float('nan')):>10.2f} {c.get('decisions_agree', '-'):>7}")
        for d in c.get("disagreements", []):
            print(f"    disagree on {d['column']}: mlproof drifted={d['mlproof']}, Evidently drifted={d['evidently']} ({d['why']})")
    for c in cases:
        if c["case"].startswith("bounded"):
            m = c["mlproof"]
            print(f"{c['case']}: {c['rows']:,} rows per file ({c['file_mib']:.0f} MiB of Parquet), engine {m.get('engine')}, "
                  f"{m.get('seconds', float('nan')):.1f} s, peak {m.get('peak_mib', float('nan')):.0f} MiB (under 1 GiB: {c.get('peak_under_1gib')})")
            if c.get("bound_check", {}).get("bounds"):
                b = c["bound_check"]
                print(f"    {b['column']} {b['method']}: streamed {b['streamed']:.6g}, bounds [{b['bounds'][0]:.6g}, {b['bounds'][1]:.6g}], "
                      f"exact {b['exact']:.6g} -> bound holds: {c['bound_holds']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="Smaller cases (100k x 20, 35.6k x 200, 5M streaming) for a smoke run.")
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--skip-50m", action="store_true", help="Skip the bounded-memory demo.")
    parser.add_argument("--cases", default="x20,x200,stream",
                        help="Comma-separated subset of x20, x200, stream; results replace those cases in drift.json.")
    parser.add_argument("--evidently-timeout", type=float, default=float(os.environ.get("MLPROOF_BENCH_EVIDENTLY_TIMEOUT", 600)))
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        print(json.dumps(WORKERS[kind](*rest), default=float))
        return 0

    DATA.mkdir(parents=True, exist_ok=True)
    venv_python = None if args.skip_evidently else str(ensure_bench_venv())
    scale = 10 if args.quick else 1
    wanted = set(args.cases.split(","))
    cases = []
    if "x20" in wanted:
        cases.append(bench_case(f"{1_000 // scale}k-x20" if scale > 1 else "1M-x20", 1_000_000 // scale, 16, 4, venv_python, args.evidently_timeout))
    if "x200" in wanted:
        cases.append(bench_case(f"{356 // scale}k-x200", 356_000 // scale, 180, 20, venv_python, args.evidently_timeout))
    if "stream" in wanted and not args.skip_50m:
        cases.append(bench_bounded_memory(50_000_000 // scale))
    out = RESULTS / "drift.json"
    if out.exists() and wanted != {"x20", "x200", "stream"}:
        # Keep earlier results of the cases not rerun.
        previous = json.loads(out.read_text()).get("cases", [])
        names = {c["case"] for c in cases}
        cases = [c for c in previous if c["case"] not in names] + cases
    print_table(cases)
    out.write_text(json.dumps({"machine": {"cpus": os.cpu_count()}, "cases": cases}, indent=2, default=float))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
