#!/usr/bin/env python3
"""Drift on Spark: mlproof's Spark engine (local mode, 1 and 2 cores) vs its local streaming engine, same data, same run.

Cases: 5M and 50M rows x 20 columns (16 numerical, 4 categorical; every 4th numerical and every 3rd
categorical column drifts), the Parquet files of bench_drift.py's generator, cached in
bench-results/drift-data/. Each run is its own subprocess. The streaming engine is forced
(exact_max_rows=1) and runs on one core; Spark runs with local[1] and local[2]. Times exclude
interpreter start-up and, for Spark, the JVM start (reported apart). Throughput is rows of both
datasets per second per core (wall clock) and per CPU-second (this process and the JVM, from /proc:
the build machine is shared, and CPU time depends much less on what else runs; the load average
before and after each run is recorded). Decisions of the two engines are compared column by column,
with the largest difference of a statistic; Spark's wall-clock and CPU time are printed as ratios to the
streaming engine's (the peer in the same run).
The full run (both sizes, three engines) takes one to two hours on 2 cores.

Writes bench-results/drift-spark.json and bench-results/drift-spark.svg (time against rows and cores).

Usage: .venv/bin/python scripts/bench/bench_drift_spark.py [--rows 5000000,50000000] [--cores 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_drift import DATA, RESULTS, make_dataset  # noqa: E402  (the same generator as the local benchmark)

N_NUM, N_CAT = 16, 4


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its descendants (the JVM), from /proc.

    The build machine is shared: wall-clock time depends on what else runs, CPU time much less,
    so throughput per core is reported both ways.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    cpu: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)  # fields[1] is the parent pid
        cpu[pid] = int(fields[11]) + int(fields[12])  # utime, stime
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0)
        todo += children.get(pid, [])
    return total / ticks


def worker_streaming(ref: str, cur: str) -> dict:
    import pyarrow.parquet  # noqa: F401  (imports outside the timed region)
    import scipy.stats  # noqa: F401

    from mlproof.drift import drift_report

    start, cpu = time.perf_counter(), cpu_seconds()
    report = drift_report(ref, cur, exact_max_rows=1)
    return _summary(report, time.perf_counter() - start, cpu_seconds() - cpu)


def worker_spark(ref: str, cur: str, cores: str) -> dict:
    from mlproof.drift import drift_report
    from mlproof.drift.spark_session import get_session

    start = time.perf_counter()
    session = get_session(f"local[{cores}]")
    session.range(1).count()  # the JVM and the first job's class loading, timed apart
    startup = time.perf_counter() - start
    start, cpu = time.perf_counter(), cpu_seconds()
    report = drift_report(ref, cur, engine="spark")
    result = _summary(report, time.perf_counter() - start, cpu_seconds() - cpu)
    result["jvm_start_seconds"] = startup
    return result


def _summary(report, seconds: float, cpu: float) -> dict:
    import resource

    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "engine": report.engine,
        "peak_mib_python": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "columns": {c.column: {"method": c.method, "statistic": c.statistic, "drifted": c.drifted,
                               "bounds": [c.approximation.statistic_low, c.approximation.statistic_high] if c.approximation else None}
                    for c in report.columns},
    }


WORKERS = {"streaming": worker_streaming, "spark": worker_spark}


def run_worker(kind: str, *args: str, timeout: float) -> dict:
    """One engine run in its own process, with the machine's load before and after (the run shares the machine)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, *args]
    load = {"load_before": os.getloadavg()[0]}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=dict(os.environ, PYTHONWARNINGS="ignore"))
    except subprocess.TimeoutExpired:
        return {"timeout": timeout, **load}
    load["load_after"] = os.getloadavg()[0]
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1], **load}
    return {**json.loads(done.stdout.strip().splitlines()[-1]), **load}


def ratios_to_streaming(run: dict, base: dict) -> dict:
    """The peer comparison: Spark's wall-clock and CPU time as multiples of the streaming engine's, same data, same run."""
    if "seconds" not in run or "seconds" not in base:
        return {}
    return {"time_vs_streaming": run["seconds"] / base["seconds"], "cpu_vs_streaming": run["cpu_seconds"] / base["cpu_seconds"],
            "per_core_throughput_vs_streaming": run["rows_per_s_per_core"] / base["rows_per_s_per_core"]}


def agreement(a: dict, b: dict) -> str:
    same = sum(1 for name, col in a["columns"].items() if b["columns"].get(name, {}).get("drifted") == col["drifted"])
    return f"{same}/{len(a['columns'])}"


def largest_difference(a: dict, b: dict) -> dict:
    """The column whose statistic differs most between the two engines, with both values (same method only)."""
    worst = {"column": None, "difference": 0.0}
    for name, col in a["columns"].items():
        other = b["columns"].get(name, {})
        if col["statistic"] is None or other.get("statistic") is None or other.get("method") != col["method"]:
            continue
        difference = abs(col["statistic"] - other["statistic"])
        if difference >= worst["difference"]:
            worst = {"column": name, "method": col["method"], "difference": difference,
                     "streaming": col["statistic"], "spark": other["statistic"], "spark_bounds": other["bounds"]}
    return worst


def write_chart(cases: list[dict], path: Path) -> None:
    """Grouped bars: seconds per engine/cores for each row count (an SVG with no scripts)."""
    series = [("streaming, 1 core", "#888888"), ("spark local[1]", "#4c78a8"), ("spark local[2]", "#f58518")]
    width, height, left, bottom, top = 640, 360, 70, 50, 40
    seconds = [r["seconds"] for c in cases for r in c["runs"].values() if "seconds" in r]
    if not seconds:
        return
    scale = (height - bottom - top) / max(seconds)
    group = (width - left - 20) / max(1, len(cases))
    bar = group / (len(series) + 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
             f'<text x="{left}" y="20" font-size="14">mlproof drift, 20 columns: seconds (lower is better)</text>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#333"/>']
    for gi, case in enumerate(cases):
        x0 = left + gi * group
        parts.append(f'<text x="{x0 + group / 2 - 30}" y="{height - bottom + 20}">{case["rows"] / 1e6:g}M rows</text>')
        for si, (name, color) in enumerate(series):
            run = case["runs"].get(name, {})
            if "seconds" not in run:
                continue
            h = run["seconds"] * scale
            x = x0 + (si + 0.5) * bar
            parts.append(f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{bar * 0.9:.1f}" height="{h:.1f}" fill="{color}"/>')
            parts.append(f'<text x="{x:.1f}" y="{height - bottom - h - 4:.1f}" font-size="10">{run["seconds"]:.0f}s</text>')
    for si, (name, color) in enumerate(series):
        parts.append(f'<rect x="{left + si * 170}" y="{height - 18}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{left + si * 170 + 14}" y="{height - 9}">{name}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts))


def save(out: Path, cases_by_rows: dict) -> None:
    """The results without the per-column details (those only serve the agreement count)."""
    cases = []
    for rows in sorted(cases_by_rows):
        case = dict(cases_by_rows[rows])
        case["runs"] = {k: {f: v for f, v in run.items() if f != "columns"} for k, run in case["runs"].items()}
        cases.append(case)
    out.write_text(json.dumps({"machine": {"cpus": os.cpu_count()}, "cases": cases}, indent=2))


def _ratio(run: dict, key: str) -> str:
    return f"{run[key]:.2f}x" if key in run else "-"


def print_scaling(cases: list[dict]) -> None:
    """Time against rows (down) and against cores (across), and Spark's speed-up from 1 to 2 cores."""
    keys = ["streaming, 1 core", "spark local[1]", "spark local[2]"]
    print(f"\n{'rows':>6} " + " ".join(f"{k:>18}" for k in keys) + f" {'spark 2/1 cores':>16}")
    for case in cases:
        runs = case["runs"]
        cells = [f"{runs[k]['seconds']:.0f} s" if "seconds" in runs.get(k, {}) else "-" for k in keys]
        one, two = runs.get("spark local[1]", {}).get("seconds"), runs.get("spark local[2]", {}).get("seconds")
        speedup = f"{one / two:.2f}x" if one and two else "-"
        print(f"{case['rows'] / 1e6:>5g}M " + " ".join(f"{c:>18}" for c in cells) + f" {speedup:>16}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--rows", default=os.environ.get("MLPROOF_BENCH_SPARK_ROWS", "5000000,50000000"))
    parser.add_argument("--cores", default="2,1")
    parser.add_argument("--skip-streaming", action="store_true")
    parser.add_argument("--timeout", type=float, default=7200, help="Seconds one engine run may take (default 7200).")
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        print(json.dumps(WORKERS[kind](*rest), default=float))
        return 0

    DATA.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "drift-spark.json"
    previous = {c["rows"]: c for c in json.loads(out.read_text()).get("cases", [])} if out.exists() else {}
    for rows in [int(r) for r in args.rows.split(",")]:
        name = f"spark-{rows // 1_000_000}M"
        ref, cur = DATA / f"{name}-reference.parquet", DATA / f"{name}-current.parquet"
        print(f"[{name}] data: {rows:,} rows x {N_NUM + N_CAT} columns per file (cached in {DATA}) ...", file=sys.stderr)
        make_dataset(ref, rows, N_NUM, N_CAT, seed=5, drifted=False)
        make_dataset(cur, rows, N_NUM, N_CAT, seed=6, drifted=True)
        case = previous.get(rows, {"case": name, "rows": rows, "runs": {}})
        previous[rows] = case
        runs = [] if args.skip_streaming else [("streaming, 1 core", "streaming", 1)]
        runs += [(f"spark local[{c}]", "spark", int(c)) for c in args.cores.split(",")]
        for key, kind, cores in runs:
            print(f"[{name}] {key} ...", file=sys.stderr)
            extra = (str(cores),) if kind == "spark" else ()
            run = dict(run_worker(kind, str(ref), str(cur), *extra, timeout=args.timeout), cores=cores)
            if "seconds" in run:
                run["rows_per_s_per_core"] = 2 * rows / run["seconds"] / cores
                run["rows_per_cpu_s"] = 2 * rows / run["cpu_seconds"]
            case["runs"][key] = run
            base = case["runs"].get("streaming, 1 core", {})
            for other_key, other in case["runs"].items():
                if other_key.startswith("spark") and "columns" in other and "columns" in base:
                    other["decisions_agree_with_streaming"] = agreement(base, other)
                    other["largest_statistic_difference"] = largest_difference(base, other)
                if other_key.startswith("spark"):
                    other.update(ratios_to_streaming(other, base))
            save(out, previous)  # after every run: a long benchmark that is stopped keeps what it measured
    cases = [previous[r] for r in sorted(previous)]
    print(f"\n{'case':<12} {'engine':<20} {'seconds':>8} {'CPU s':>7} {'JVM s':>6} {'rows/s/core':>12} {'rows/CPU-s':>11} {'load':>9} {'agree':>6} {'time/str':>8} {'CPU/str':>8}")
    for case in cases:
        for key, run in case["runs"].items():
            seconds = f"{run['seconds']:.1f}" if "seconds" in run else str(run.get("error", "timeout"))[:20]
            cpu = f"{run['cpu_seconds']:.0f}" if "cpu_seconds" in run else "-"
            per_core = f"{run['rows_per_s_per_core'] / 1e6:.3f}M" if "rows_per_s_per_core" in run else "-"
            per_cpu = f"{run['rows_per_cpu_s'] / 1e6:.3f}M" if "rows_per_cpu_s" in run else "-"
            jvm = f"{run['jvm_start_seconds']:.0f}" if "jvm_start_seconds" in run else "-"
            load = f"{run.get('load_before', 0):.1f}-{run.get('load_after', 0):.1f}" if "load_before" in run else "-"
            print(f"{case['case']:<12} {key:<20} {seconds:>8} {cpu:>7} {jvm:>6} {per_core:>12} {per_cpu:>11} {load:>9} "
                  f"{run.get('decisions_agree_with_streaming', '-'):>6} {_ratio(run, 'time_vs_streaming'):>8} {_ratio(run, 'cpu_vs_streaming'):>8}")
    print_scaling(cases)
    save(out, previous)
    write_chart(cases, RESULTS / "drift-spark.svg")
    print(f"\nwrote {out} and {RESULTS / 'drift-spark.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
