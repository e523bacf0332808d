"""drift_report: typing, Evidently's default tests, missing values, schema alignment, inputs, streaming."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats as sps

from mlproof.drift import drift_report
from mlproof.errors import MlproofError

RNG = np.random.default_rng(7)


def _frames(n_ref=2_000, n_cur=2_000, shift=0.0):
    ref = pd.DataFrame(
        {
            "amount": RNG.normal(100, 15, n_ref),
            "plan": RNG.choice(["basic", "pro", "team"], n_ref),
            "seats": RNG.integers(1, 5, n_ref),  # integer with 4 values -> categorical
            "tenure": RNG.integers(0, 120, n_ref),  # integer with many values -> numerical
            "is_active": RNG.random(n_ref) < 0.7,
            "note": [f"free text {i}" for i in range(n_ref)],
        }
    )
    cur = pd.DataFrame(
        {
            "amount": RNG.normal(100 + shift, 15, n_cur),
            "plan": RNG.choice(["basic", "pro", "team"], n_cur),
            "seats": RNG.integers(1, 5, n_cur),
            "tenure": RNG.integers(0, 120, n_cur),
            "is_active": RNG.random(n_cur) < 0.7,
            "note": [f"other text {i}" for i in range(n_cur)],
        }
    )
    return ref, cur


def test_typing_follows_evidently_rules_and_large_reference_defaults():
    ref, cur = _frames()
    report = drift_report(ref, cur)
    kinds = {c.column: (c.column_type, c.method) for c in report.columns}
    assert kinds == {
        "amount": ("numerical", "wasserstein"),
        "plan": ("categorical", "jensenshannon"),
        "seats": ("categorical", "jensenshannon"),
        "tenure": ("numerical", "wasserstein"),
        "is_active": ("categorical", "jensenshannon"),
        "note": ("text", None),
    }
    note = report.column("note")
    assert note.status == "skipped" and "text" in note.message
    assert report.tested_columns == 5 and report.skipped_columns == 1


def test_small_reference_defaults_ks_chi_square_and_z():
    ref, cur = _frames(n_ref=800, n_cur=900)
    report = drift_report(ref, cur)
    assert report.column("amount").method == "ks"
    assert report.column("plan").method == "chisquare"
    assert report.column("is_active").method == "z"
    amount = report.column("amount")
    assert amount.p_value == pytest.approx(sps.ks_2samp(ref["amount"], cur["amount"]).pvalue, rel=1e-9)
    # numerical with 3..5 values -> chi-square, <= 2 -> z (distinct counted over both samples)
    few = drift_report({"x": [1.0, 2.0, 3.0] * 100}, {"x": [1.0, 2.0, 3.0] * 90})
    assert few.column("x").method == "chisquare"
    two = drift_report({"x": [0.5, 1.5] * 100}, {"x": [0.5, 1.5] * 90})
    assert two.column("x").method == "z"


def test_clear_shift_drifts_and_dataset_verdict_uses_drift_share():
    ref, cur = _frames(shift=20.0)
    report = drift_report(ref, cur, columns=["amount", "plan"])
    assert report.column("amount").drifted is True
    assert report.column("plan").drifted is False
    assert report.share_drifted == 0.5 and report.dataset_drift is True  # 1 of 2 >= 0.5
    stricter = drift_report(ref, cur, columns=["amount", "plan"], drift_share=0.75)
    assert stricter.dataset_drift is False
    evidence = report.column("amount").evidence[0]
    assert evidence.kind == "statistic" and "wasserstein" in evidence.snippet and "0.1" in evidence.snippet


def test_overrides_method_threshold_and_column_type():
    ref, cur = _frames(shift=3.0)
    report = drift_report(
        ref,
        cur,
        columns=["amount", "tenure", "seats"],
        methods={"amount": "psi", "seats": "chi2"},
        thresholds={"amount": 0.5},
        column_types={"tenure": "categorical"},
    )
    amount = report.column("amount")
    assert (amount.method, amount.threshold) == ("psi", 0.5)
    assert amount.distribution.kind == "histogram"
    tenure = report.column("tenure")
    assert (tenure.column_type, tenure.type_source, tenure.method) == ("categorical", "override", "jensenshannon")
    assert report.column("seats").method == "chisquare"
    everything = drift_report(ref, cur, columns=["amount"], threshold=10.0)
    assert everything.column("amount").threshold == 10.0 and everything.column("amount").drifted is False
    with pytest.raises(MlproofError, match="needs a numerical column"):
        drift_report(ref, cur, methods={"plan": "ks"})
    with pytest.raises(MlproofError, match="Unknown drift method"):
        drift_report(ref, cur, methods={"amount": "magic"})


def test_missing_and_infinite_values_are_counted_and_excluded():
    ref = pa.table({"x": pa.array([1.0, 2.0, None, float("nan"), float("inf"), 3.0, 4.0, 5.0, 6.0, 7.0])})
    cur = pa.table({"x": pa.array([1.0, 2.0, 3.0, -float("inf"), None, None, 4.0, 5.0, 6.0, 7.0])})
    col = drift_report(ref, cur).column("x")
    assert (col.reference_missing.null, col.reference_missing.nan, col.reference_missing.inf) == (1, 1, 1)
    assert (col.current_missing.null, col.current_missing.inf, col.current_missing.total) == (2, 1, 3)
    assert (col.reference_values, col.current_values) == (7, 7)
    assert col.p_value == pytest.approx(sps.ks_2samp([1, 2, 3, 4, 5, 6, 7.0], [1, 2, 3, 4, 5, 6, 7.0]).pvalue)


def test_empty_constant_and_all_null_columns_give_messages_not_crashes():
    ref = {"nulls": [None] * 50, "const": [3.0] * 50, "gone": list(np.arange(50.0)), "ok": list(np.arange(50.0))}
    cur = {"nulls": [None] * 40, "const": [3.0] * 40, "gone": [None] * 40, "ok": list(np.arange(40.0))}
    report = drift_report(ref, cur)
    assert report.column("nulls").status == "skipped" and "only nulls" in report.column("nulls").message
    const = report.column("const")
    assert const.status == "tested" and const.drifted is False and "constant" in const.message
    gone = report.column("gone")
    assert gone.status == "skipped" and "current column has no usable values" in gone.message
    assert report.tested_columns == 2


def test_schema_differences_are_reported_not_dropped():
    ref = {"a": [1.5, 2.5, 3.5] * 10, "b": ["x", "y", "z"] * 10, "only_ref": [1, 2, 3] * 10}
    cur = {"a": [1, 2, 3] * 10, "b": [1.0, 2.0, 3.0] * 10, "only_cur": [1, 2, 3] * 10}
    report = drift_report(ref, cur)
    assert report.schema_diff.missing_in_current == ["only_ref"]
    assert report.schema_diff.extra_in_current == ["only_cur"]
    assert any(m.startswith("b:") for m in report.schema_diff.dtype_mismatches)
    assert report.column("a").status == "tested"  # int vs float compares fine
    b = report.column("b")
    assert b.status == "skipped" and "current is double" in b.message
    assert "only_ref" in report.to_markdown()


def test_every_file_format_reads_the_same(tmp_path):
    ref, cur = _frames(n_ref=1_500, n_cur=1_200, shift=5.0)
    ref, cur = ref.drop(columns=["note"]), cur.drop(columns=["note"])
    for role, frame in (("ref", ref), ("cur", cur)):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, tmp_path / f"{role}.parquet")
        frame.to_csv(tmp_path / f"{role}.csv", index=False)
        frame.to_json(tmp_path / f"{role}.jsonl", orient="records", lines=True)
        with pa.OSFile(str(tmp_path / f"{role}.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    baseline = drift_report(ref, cur)
    for ext in ("parquet", "csv", "jsonl", "arrow"):
        report = drift_report(tmp_path / f"ref.{ext}", str(tmp_path / f"cur.{ext}"))
        for a, b in zip(baseline.columns, report.columns):
            assert (a.column, a.method, a.drifted) == (b.column, b.method, b.drifted), ext
            assert a.statistic == pytest.approx(b.statistic, rel=1e-9), (ext, a.column)


def test_bad_inputs_raise_one_sentence(tmp_path):
    (tmp_path / "bad.parquet").write_text("not parquet")
    (tmp_path / "empty.csv").write_text("a,b\n")
    (tmp_path / "ok.csv").write_text("a,b\n1,2\n3,4\n")
    cases = [
        (tmp_path / "missing.csv", tmp_path / "ok.csv", "does not exist"),
        (tmp_path / "bad.parquet", tmp_path / "ok.csv", "not a readable Parquet file"),
        (tmp_path / "empty.csv", tmp_path / "ok.csv", "no rows"),
        (tmp_path / "ok.csv", {"c": [1, 2]}, "share no column"),
        ({"a": [1, "x"]}, {"a": [1]}, "mixes value types"),
        ({"a": [1, 2], "b": [1]}, {"a": [1]}, "different lengths"),
        (tmp_path / "ok.csv", 42, "pass a file path"),
    ]
    for reference, current, expected in cases:
        with pytest.raises(MlproofError, match=expected) as info:
            drift_report(reference, current)
        assert "\n" not in str(info.value)
    with pytest.raises(MlproofError, match="not in both datasets"):
        drift_report(tmp_path / "ok.csv", tmp_path / "ok.csv", columns=["zzz"])
    with pytest.raises(MlproofError, match="drift_share"):
        drift_report(tmp_path / "ok.csv", tmp_path / "ok.csv", drift_share=0)


def test_report_serialises_to_json_markdown_and_html():
    ref, cur = _frames(shift=20.0)
    report = drift_report(ref, cur, columns=["amount", "plan", "note"])
    data = json.loads(report.to_json())
    assert data["dataset_drift"] is True and data["js_log_base"].startswith("e")
    amount = next(c for c in data["columns"] if c["column"] == "amount")
    assert amount["distribution"]["reference"] and sum(amount["distribution"]["current"]) == 2_000
    md = report.to_markdown()
    assert "| `amount` | numerical | wasserstein" in md and "**DRIFT**" in md
    page = report.to_html()
    assert page.count("<svg") == 2 and "card drifted" in page
    assert "<script" not in page and "<link" not in page and 'src="http' not in page  # self-contained, no network


def test_streaming_engine_bounds_hold_against_the_exact_values(tmp_path):
    n = 30_000
    ref = pa.table({
        "x": RNG.normal(size=n), "y": RNG.exponential(size=n), "c": RNG.choice(["a", "b", "c"], n),
        "k": RNG.integers(0, 4, n), "z": RNG.normal(size=n),
    })
    cur = pa.table({
        "x": RNG.normal(0.08, 1, size=n + 11), "y": RNG.exponential(1.2, size=n + 11), "c": RNG.choice(["a", "b", "d"], n + 11),
        "k": RNG.integers(0, 4, n + 11), "z": RNG.normal(size=n + 11),
    })
    pq.write_table(ref, tmp_path / "ref.parquet", row_group_size=5_000)
    pq.write_table(cur, tmp_path / "cur.parquet", row_group_size=5_000)
    methods = {"x": "ks", "y": "wasserstein", "z": "psi"}
    exact = drift_report(tmp_path / "ref.parquet", tmp_path / "cur.parquet", methods=methods)
    streamed = drift_report(tmp_path / "ref.parquet", tmp_path / "cur.parquet", methods=methods, exact_max_rows=1_000, batch_rows=4_000)
    assert exact.engine == "exact" and streamed.engine == "streaming"
    for name in ("x", "y"):
        e, s = exact.column(name), streamed.column(name)
        assert s.approximation is not None
        assert s.approximation.statistic_low - 1e-12 <= e.statistic <= s.approximation.statistic_high + 1e-12
        assert s.approximation.statistic_high - s.approximation.statistic_low < 0.01
    for name in ("c", "k"):  # categories are exact in streaming mode
        assert streamed.column(name).statistic == pytest.approx(exact.column(name).statistic, rel=1e-12)
    assert streamed.column("z").method == "psi" and abs(streamed.column("z").statistic - exact.column("z").statistic) < 0.01
    for e, s in zip(exact.columns, streamed.columns):
        assert (e.column_type, e.method, e.drifted, e.reference_values) == (s.column_type, s.method, s.drifted, s.reference_values)
    assert "approximate" in streamed.to_markdown()
