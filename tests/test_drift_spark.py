"""The Spark drift engine against the local engine, on real pyspark in local mode.

One SparkSession serves the module (local[2], loopback, no UI, small shuffles); the CLI,
scripts/drift_monitor.py and the MCP tool run in-process on it. One check starts its own JVM on
purpose: the CLI in a subprocess, which must print the report on stdout and nothing on stderr.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import anyio
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlproof import cli
from mlproof.drift import drift_report
from mlproof.drift.plan import check_options
from mlproof.errors import MlproofError
from tests.helpers import require_tool
from tests.server_harness import REPO, assert_tool_error, mcp_session, structured

RNG = np.random.default_rng(21)
# Methods forced on some numerical columns, so every statistic meets the bound check.
METHODS = {"x": "ks", "js_num": "jensenshannon", "tv": "tvd", "he": "hellinger", "z": "wasserstein", "ij": "jensenshannon", "pq": "psi"}


def _require_pyspark():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("MLPROOF_REQUIRE_TOOLS"):
            pytest.fail("pyspark is not installed (make setup installs the spark extra)")
        pytest.skip("pyspark is not installed")


@pytest.fixture(scope="session")
def spark():
    _require_pyspark()
    require_tool("java")
    from mlproof.drift.spark_session import get_session

    session = get_session("local[2]")
    yield session
    session.stop()


def _tables(n_ref: int, n_cur: int):
    def numbers(n, shift):
        m = RNG.normal(size=n)
        m[RNG.random(n) < 0.02] = np.nan
        m[RNG.random(n) < 0.005] = np.inf
        missing = pa.array(m, mask=RNG.random(n) < 0.03)
        weights = 1.0 / np.arange(1, 301) ** 1.5
        weights = weights[::-1] if shift else weights  # `h` drifts: the rare categories become the common ones
        return {
            "x": RNG.normal(0.08 * shift, 1, n),
            "y": RNG.exponential(1 + 0.25 * shift, n),
            "z": RNG.normal(size=n),
            "m": missing,
            "c": RNG.choice(["a", "b", "d" if shift else "c"], n),
            "k": RNG.integers(0, 4, n),
            "f": RNG.integers(0, 5, n).astype(float),
            "t": RNG.integers(0, 1000 + 100 * shift, n),
            "h": RNG.choice([f"v{i:03d}" for i in range(300)], n, p=weights / weights.sum()),
            "note": [f"text {shift} {i}" for i in range(n)],
            "flag": RNG.random(n) < (0.5 + 0.1 * shift),
            "js_num": RNG.normal(0.3 * shift, 1, n),
            "tv": RNG.gamma(2 + shift, 1, n),
            "he": RNG.normal(size=n),
            "pq": RNG.normal(0.2 * shift, 1, n),
            "ij": RNG.integers(0, 200 + 20 * shift, n),  # integer-valued: Sturges edges fall on values
            "part": np.arange(n) % 3,
        }

    return pa.table(numbers(n_ref, 0)), pa.table(numbers(n_cur, 1))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Reference as one Parquet file; current as one file and as a folder partitioned by `part`."""
    folder = tmp_path_factory.mktemp("spark-drift")
    ref, cur = _tables(12_000, 11_000)  # above 10,000 values per side: the binned (cluster) path
    pq.write_table(ref, folder / "ref.parquet", row_group_size=5_000)
    pq.write_table(cur, folder / "cur.parquet")
    pq.write_to_dataset(cur, folder / "cur_partitioned", partition_cols=["part"])
    small_ref, small_cur = _tables(800, 700)
    pq.write_table(small_ref, folder / "small_ref.parquet")
    pq.write_table(small_cur, folder / "small_cur.parquet")
    return folder


def assert_same_decisions_within_bounds(local, spark_report):
    """Every column: same type, method, decision and counts; each statistic equal or inside its reported bounds."""
    assert spark_report.engine == "spark"
    assert [c.column for c in local.columns] == [c.column for c in spark_report.columns]
    for exact, ours in zip(local.columns, spark_report.columns):
        facts = ("column_type", "status", "method", "drifted", "threshold", "reference_values", "current_values",
                 "reference_missing", "current_missing")
        assert [getattr(exact, f) for f in facts] == [getattr(ours, f) for f in facts], exact.column
        if exact.status != "tested":
            continue
        bounds = ours.approximation
        if bounds is None:
            assert ours.statistic == pytest.approx(exact.statistic, rel=1e-9, abs=1e-12), exact.column
            if exact.p_value is not None:
                assert ours.p_value == pytest.approx(exact.p_value, rel=1e-9, abs=1e-300), exact.column
        else:
            assert bounds.statistic_low - 1e-12 <= exact.statistic <= bounds.statistic_high + 1e-12, exact.column
            assert bounds.decision_certain, exact.column
            if bounds.p_value_low is not None:
                assert bounds.p_value_low <= exact.p_value * (1 + 1e-9) and exact.p_value <= bounds.p_value_high * (1 + 1e-9)
    assert spark_report.dataset_drift == local.dataset_drift and spark_report.verdict == local.verdict


def test_spark_matches_the_local_engine_on_partitioned_parquet(spark, files):
    from mlproof.drift.spark_engine import spark_drift_report

    local = drift_report(files / "ref.parquet", files / "cur.parquet", methods=METHODS)
    assert local.engine == "exact"
    # top_k=100 folds the 300-category column `h`: its distance comes with bounds instead of exactly.
    options = check_options(None, None, METHODS, None, None, 0.5)
    ours = spark_drift_report(str(files / "ref.parquet"), str(files / "cur_partitioned"), options, top_k=100)
    assert_same_decisions_within_bounds(local, ours)

    by_name = {c.column: c for c in ours.columns}
    assert by_name["x"].approximation.statistic_high - by_name["x"].approximation.statistic_low < 1e-3
    assert by_name["h"].approximation is not None and "folded" in by_name["h"].approximation.method
    assert by_name["h"].distribution.labels[-1].startswith("(other")
    assert by_name["c"].approximation is None and by_name["c"].drifted  # categories are exact
    assert by_name["m"].reference_missing.nan > 0 and by_name["m"].current_missing.inf > 0 and by_name["m"].current_missing.null > 0
    assert by_name["note"].column_type == "text" and by_name["note"].status == "skipped"
    assert {c.column for c in ours.columns if c.drifted} >= {"x", "y", "c", "h", "tv"}
    assert ours.reference.rows == 12_000 and ours.current.rows == 11_000
    assert "approximate" in ours.to_markdown() and ours.to_html().count("<svg") == ours.tested_columns
    assert json.loads(ours.to_json())["engine"] == "spark"


def test_small_data_is_exact_from_dataframes_and_catalog_tables(spark, files):
    methods = {"x": "psi", "k": "chisquare"}
    local = drift_report(files / "small_ref.parquet", files / "small_cur.parquet", methods=methods)
    assert {local.column("y").method, local.column("c").method, local.column("flag").method} == {"ks", "chisquare", "z"}
    spark.read.parquet(str(files / "small_ref.parquet")).createOrReplaceTempView("drift_reference")
    current = spark.read.parquet(str(files / "small_cur.parquet"))
    ours = drift_report("table:drift_reference", current, methods=methods)  # a DataFrame chooses the Spark engine
    assert ours.reference.source == "table:drift_reference" and ours.current.source == "current (Spark DataFrame)"
    assert_same_decisions_within_bounds(local, ours)
    for exact, mine in zip(local.columns, ours.columns):
        assert mine.approximation is None
        assert (mine.distribution and mine.distribution.model_dump()) == (exact.distribution and exact.distribution.model_dump()), exact.column


def test_bad_spark_inputs_raise_one_sentence(spark, files, tmp_path):
    (tmp_path / "data.csv").write_text("a\n1\n")
    frame = spark.createDataFrame([(1.0, "x", [1]), (2.0, "y", [2])], "a double, s string, tags array<int>")
    cases = [
        (("table:no_such_table", files / "ref.parquet"), {}, "not in the Spark catalog"),
        ((tmp_path / "missing.parquet", files / "ref.parquet"), {}, "does not exist"),
        ((tmp_path / "data.csv", files / "ref.parquet"), {}, "is not Parquet"),
        ((files / "ref.parquet", files / "cur.parquet"), {"columns": ["x", "absent"]}, "not in both datasets"),
        ((frame, frame.drop("a")), {"columns": ["a"]}, "not in both datasets"),
        ((frame, frame), {"column_types": {"tags": "numerical"}}, "cannot be compared as numerical"),
        ((frame, frame), {"column_types": {"s": "numerical"}}, "cannot be read as numbers"),
    ]
    for (reference, current), options, expected in cases:
        with pytest.raises(MlproofError, match=expected) as info:
            drift_report(reference if not isinstance(reference, Path) else str(reference), current, engine="spark", **options)
        message = str(info.value)
        assert "\n" not in message and "Traceback" not in message and "py4j" not in message.lower(), message
    skipped = drift_report(frame, frame)  # an array column is reported, not tested
    assert skipped.column("tags").status == "skipped"


def test_cli_and_drift_monitor_run_on_the_active_session(spark, files, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["mlproof.drift.cli"])
    args = ["drift", str(files / "small_ref.parquet"), str(files / "small_cur.parquet"), "--engine", "spark", "--format", "json",
            "--columns", "y,c,k", "--method", "y=wasserstein", "--threshold", "c=0.9", "--column-type", "k=numerical"]
    code = cli.main(args)
    report = json.loads(capsys.readouterr().out)
    assert report["engine"] == "spark" and [c["column"] for c in report["columns"]] == ["y", "c", "k"]
    y, c, k = report["columns"]
    assert (y["method"], c["threshold"], k["column_type"], k["type_source"]) == ("wasserstein", 0.9, "numerical", "override")
    assert code == (1 if report["dataset_drift"] else 0)
    assert cli.main(["drift", "a.parquet", "b.parquet", "--spark-master", "local[1]"]) == 2
    assert "--spark-master needs --engine spark" in capsys.readouterr().err

    import importlib.util

    spec = importlib.util.spec_from_file_location("drift_monitor", REPO / "scripts" / "drift_monitor.py")
    monitor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(monitor)
    out = tmp_path / "reports"
    code = monitor.main(["--reference", str(files / "ref.parquet"), "--current", str(files / "cur_partitioned"), "--engine", "spark",
                         "--method", "x=ks", "--threshold", "y=5", "--column-type", "k=numerical", "--drift-share", "0.9",
                         "--report-dir", str(out), "--format", "json"])
    written = json.loads(next(out.glob("drift-*.json")).read_text())
    assert written["engine"] == "spark" and code == (1 if written["dataset_drift"] else 0)
    assert written["drift_share"] == 0.9 and {c["column"]: c["method"] for c in written["columns"]}["x"] == "ks"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _mlproof(*args, env=None, cwd=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "mlproof", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def test_cli_in_a_fresh_process_prints_only_the_report(files):
    _require_pyspark()
    require_tool("java")
    done = _mlproof("drift", str(files / "small_ref.parquet"), str(files / "small_cur.parquet"), "--engine", "spark",
                    "--spark-master", "local[1]", "--format", "json", "--columns", "x", "c")
    assert done.returncode in (0, 1), done.stderr
    assert done.stderr == ""  # no JVM banner, log4j line, progress bar or Python warning
    assert json.loads(done.stdout)["engine"] == "spark"


def test_missing_java_pyspark_or_master_are_one_sentence(files, tmp_path):
    args = ["drift", str(files / "small_ref.parquet"), str(files / "small_cur.parquet"), "--engine", "spark"]
    no_java = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    no_java["PATH"] = str(Path(sys.executable).parent)
    unreachable = f"spark://127.0.0.1:{_closed_port()}"
    blocker = tmp_path / "no-pyspark"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class NoPyspark:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pyspark' or name.startswith('pyspark.'):\n"
        "            raise ImportError('pyspark is not installed')\n"
        "sys.meta_path.insert(0, NoPyspark())\n"
    )
    no_pyspark = dict(os.environ, PYTHONPATH=str(blocker))
    for extra, env, expected in [
        ([], no_java, "needs Java 17 or newer"),
        (["--spark-master", unreachable], None, f"The Spark master {unreachable} does not answer"),
        (["--spark-master", "mesos://old"], None, "is not one of local"),
        ([], no_pyspark, "The Spark engine needs `pip install mlproof[spark]`"),
    ]:
        done = _mlproof(*args, *extra, env=env, timeout=120)
        assert done.returncode == 2, done.stderr
        assert expected in done.stderr and done.stderr.count("\n") == 1 and done.stdout == "", done.stderr


def test_a_master_that_never_registers_the_application_is_named():
    """Spark stops the context after its registration retries; the log, not the py4j error, says why."""
    from mlproof.drift.spark_session import start_failure

    py4j_error = "An error occurred while calling None.org.apache.spark.sql.classic.SparkSession.\n\tat java.base/..."
    log = "26/12/01 13:36:53 ERROR StandaloneSchedulerBackend: Application has been killed. Reason: All masters are unresponsive! Giving up.\n"
    silent = start_failure("spark://10.0.0.9:7077", py4j_error, log)
    assert silent.startswith("The Spark master spark://10.0.0.9:7077 accepted the connection but never registered")
    other = start_failure("local[2]", py4j_error, "")
    assert other.startswith("Spark could not start on local[2] (An error occurred") and "\n" not in other


def test_spark_error_text_is_one_short_line_without_the_input():
    from mlproof.drift.spark_session import short_error

    path = "/data/" + "deep/" * 30 + "features.parquet"
    err = f"[PATH_NOT_FOUND] Path does not exist: file:{path}. SQLSTATE: 42K03\n\tat org.apache.spark.sql.errors..."
    text = short_error(err, hide=path)
    assert text == "Path does not exist: it"
    long = short_error("[X] " + "y" * 300)
    assert len(long) == 80 and long.endswith("...")


def test_mcp_drift_report_takes_the_spark_engine(spark, files, tmp_path):
    """In process on the module's session (the tool runs in a worker thread); over stdio without pyspark."""
    from mcp import Client

    from mlproof.server import create_server

    async def scenario():
        async with Client(create_server(allow=[files])) as client:
            result = structured(await client.call_tool("drift_report", {
                "reference": str(files / "ref.parquet"), "current": str(files / "cur_partitioned"),
                "engine": "spark", "columns": ["x", "y"]}))
            assert result["engine"] == "spark" and result["current"]["rows"] == 11_000
            assert_tool_error(await client.call_tool("drift_report", {
                "reference": "table:nowhere", "current": str(files / "small_cur.parquet"), "engine": "spark"}), "Spark catalog")
        blocker = tmp_path / "no-pyspark"
        blocker.mkdir()
        (blocker / "sitecustomize.py").write_text(
            "import sys\nclass B:\n    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'pyspark':\n            raise ImportError(name)\nsys.meta_path.insert(0, B())\n")
        async with mcp_session(cwd=REPO, allow=[files], env={"PYTHONPATH": str(blocker)}) as session:
            assert_tool_error(await session.call_tool("drift_report", {
                "reference": str(files / "small_ref.parquet"), "current": str(files / "small_cur.parquet"), "engine": "spark"}),
                "pip install mlproof[spark]")

    anyio.run(scenario)


def test_pyspark_is_never_imported_by_help_server_start_or_a_local_run(files):
    script = f"""
import contextlib, io, json, sys, anyio
from mcp import Client
from mlproof import cli
from mlproof.server import create_server
with contextlib.redirect_stdout(io.StringIO()):
    try:
        cli.main(["--help"])
    except SystemExit:
        pass
    cli.main(["drift", "--help"]) if False else None
async def main():
    async with Client(create_server()) as client:
        await client.list_tools()
anyio.run(main)
after_start = [m for m in sys.modules if m.split(".")[0] in ("pyspark", "py4j")]
from mlproof.drift import drift_report
drift_report({str(files / "small_ref.parquet")!r}, {str(files / "small_cur.parquet")!r})
print(json.dumps([after_start, [m for m in sys.modules if m.split(".")[0] in ("pyspark", "py4j")]]))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=180)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [[], []]
