"""`drift_report`: compare a reference and a current dataset column by column.

Exact path (default): each column is extracted from Arrow as float64 (zero-copy
when it can be), sorted once, and every numerical statistic, bin and chart is
read off the sorted arrays. Columns run on a small thread pool: numpy's sort
and Arrow's kernels release the GIL, so two cores are both used.

Streaming path: when either input has more rows than `exact_max_rows`, the
data is read in record batches against reference-fitted bins (see streaming.py).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import numpy as np

from mlproof.drift import binning, stats
from mlproof.drift.columns import Missing, category_counts, infer_column_type, numeric_values
from mlproof.drift.models import ColumnDrift, DatasetInfo, DriftReport
from mlproof.drift.plan import ColumnPlan, align, check_options
from mlproof.drift.policy import check_method_fits, default_method
from mlproof.drift.readers import ColumnReader, check_path, file_kind, parquet_row_count
from mlproof.drift.results import assemble, missing_counts, skipped, tested
from mlproof.errors import MlproofError

# Above this many rows in either input, switch to the bounded-memory streaming engine.
EXACT_MAX_ROWS = 20_000_000
# Above this many rows per input, columns are compared one at a time to bound memory.
PARALLEL_MAX_ROWS = 4_000_000

Progress = Callable[[int, int], None]


def drift_report(
    reference: Any,
    current: Any,
    *,
    columns: list[str] | None = None,
    column_types: dict[str, str] | None = None,
    methods: dict[str, str] | None = None,
    thresholds: dict[str, float] | None = None,
    threshold: float | None = None,
    drift_share: float = 0.5,
    progress: Progress | None = None,
    exact_max_rows: int = EXACT_MAX_ROWS,
    batch_rows: int = 262_144,
    engine: str = "local",
    spark_master: str | None = None,
) -> DriftReport:
    """Test every shared column for drift and give the dataset verdict.

    reference/current: a file path (csv, parquet, jsonl, arrow/feather), a pandas,
    polars or Arrow table, or a dict of lists. `methods`/`thresholds`/`column_types`
    override the defaults per column; `threshold` overrides every column's default.
    engine="spark" (automatic for Spark DataFrames) computes the report on Spark: Parquet files or
    folders, `table:NAME` catalog tables or DataFrames, on the active SparkSession or `spark_master`.
    """
    options = check_options(columns, column_types, methods, thresholds, threshold, drift_share)
    if engine not in ENGINES:
        raise MlproofError(f"Unknown drift engine {str(engine)[:40]!r}; choose local or spark.")
    if engine == "spark" or _is_spark_input(reference) or _is_spark_input(current):
        from mlproof.drift.spark_engine import spark_drift_report

        return spark_drift_report(reference, current, options, master=spark_master, progress=progress)
    if _needs_streaming(reference, exact_max_rows) or _needs_streaming(current, exact_max_rows):
        from mlproof.drift.streaming import streaming_drift_report

        with np.errstate(all="ignore"):  # overflowing columns are reported as untestable, not warned about
            return streaming_drift_report(reference, current, options, progress=progress, batch_rows=batch_rows)

    ref_data = ColumnReader(reference, "reference")
    cur_data = ColumnReader(current, "current")
    for data in (ref_data, cur_data):
        if data.num_rows == 0:
            raise MlproofError(f"The {data.role} dataset has no rows.")
    plans, schema_diff = align(ref_data.schema, cur_data.schema, options)

    done = 0

    def run(plan: ColumnPlan) -> ColumnDrift:
        nonlocal done
        with np.errstate(all="ignore"):  # overflowing columns are reported as untestable, not warned about
            result = analyse_column(plan, ref_data.column(plan.name), cur_data.column(plan.name))
        done += 1
        if progress is not None:
            progress(done, len(plans))
        return result

    # Each worker holds a few arrays of (reference + current) rows; past a few million rows one at a time.
    workers = min(len(plans), os.cpu_count() or 1, 4) if max(ref_data.num_rows, cur_data.num_rows) <= PARALLEL_MAX_ROWS else 1
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(run, plans))
    else:
        results = [run(plan) for plan in plans]
    return assemble(
        results,
        DatasetInfo(source=ref_data.label, rows=ref_data.num_rows, columns=ref_data.num_columns),
        DatasetInfo(source=cur_data.label, rows=cur_data.num_rows, columns=cur_data.num_columns),
        schema_diff,
        options.drift_share,
        engine="exact",
    )


ENGINES = ("local", "spark")


def _is_spark_input(data: Any) -> bool:
    """A pyspark DataFrame (checked without importing pyspark), or a `table:NAME` catalog table."""
    from mlproof.drift.spark_session import is_spark_dataframe

    return (isinstance(data, str) and data.startswith("table:")) or is_spark_dataframe(data)


def _needs_streaming(data: Any, exact_max_rows: int) -> bool:
    if isinstance(data, (str, os.PathLike)):
        path = check_path(data)
        return file_kind(path) == "parquet" and parquet_row_count(path) > exact_max_rows
    num_rows = getattr(data, "num_rows", None)
    return isinstance(num_rows, int) and num_rows > exact_max_rows


def column_type_for(plan: ColumnPlan, ref_column) -> tuple[str, str, str]:
    """(type, source, reason) from the override or Evidently's inference on the reference."""
    if plan.type_override is not None:
        return plan.type_override, "override", "set by the caller"
    kind, reason = infer_column_type(ref_column)
    return kind, "inferred", reason


def analyse_column(plan: ColumnPlan, ref_column, cur_column) -> ColumnDrift:
    kind, source, reason = column_type_for(plan, ref_column)
    rows = {"reference_rows": len(ref_column), "current_rows": len(cur_column)}
    if plan.mismatch:
        return skipped(plan, kind, source, reason, plan.mismatch, **rows)
    if kind not in ("numerical", "categorical"):
        return skipped(plan, kind, source, reason, f"{kind} columns are not tested for drift ({reason})", **rows)
    if plan.method is not None:
        check_method_fits(plan.method, plan.name, kind)
    if kind == "numerical":
        ref_values, ref_missing = numeric_values(ref_column, plan.name)
        cur_values, cur_missing = numeric_values(cur_column, plan.name)
    else:
        ref_values, ref_missing = category_counts(ref_column, plan.name)
        cur_values, cur_missing = category_counts(cur_column, plan.name)
    counts = dict(
        rows,
        reference_values=_size(ref_values),
        current_values=_size(cur_values),
        reference_missing=missing_counts(ref_missing),
        current_missing=missing_counts(cur_missing),
    )
    empty = empty_message(counts["reference_values"], counts["current_values"], ref_missing, cur_missing)
    if empty:
        return skipped(plan, kind, source, reason, empty, **counts)
    if kind == "numerical":
        return _numerical(plan, source, reason, np.sort(ref_values), np.sort(cur_values), counts)
    return _categorical(plan, source, reason, ref_values, cur_values, counts)


def _size(values) -> int:
    return int(sum(values.values())) if isinstance(values, dict) else int(values.size)


def empty_message(ref_n: int, cur_n: int, ref_missing: Missing, cur_missing: Missing) -> str | None:
    parts = []
    for role, n, missing in (("reference", ref_n, ref_missing), ("current", cur_n, cur_missing)):
        if n == 0:
            parts.append(f"the {role} column has no usable values ({missing.total} missing or infinite)")
    return "; ".join(parts) if parts else None


def distinct_sorted(sorted_values: np.ndarray) -> int:
    return int(np.count_nonzero(sorted_values[1:] != sorted_values[:-1])) + 1


def _numerical(plan, source, reason, ref_sorted, cur_sorted, counts) -> ColumnDrift:
    ref_distinct = distinct_sorted(ref_sorted)
    # Evidently counts distinct values over both samples; past 20 the exact union size changes nothing.
    both_distinct = ref_distinct if ref_distinct > binning.EVIDENTLY_VALUE_BINS_MAX else int(
        np.union1d(np.unique(ref_sorted), np.unique(cur_sorted)).size
    )
    method, method_reason = plan.chosen_method("numerical")
    if method is None:
        method, method_reason = default_method("numerical", ref_sorted.size, both_distinct)
    test_bins = None
    if method.name == "ks":
        value = stats.ks_two_sample(ref_sorted, cur_sorted)
    elif method.name == "wasserstein":
        value = stats.wasserstein_normed(ref_sorted, cur_sorted)
    elif method.name == "psi":
        test_bins = binning.psi_numeric_bins(ref_sorted, cur_sorted)
        value = stats.psi(test_bins.reference, test_bins.current)
    elif method.name in ("chisquare", "z"):
        test_bins = binning.value_bins_from_sorted(ref_sorted, cur_sorted)
        value = _category_test(method.name, test_bins)
    else:  # jensenshannon, tvd, hellinger: Evidently's bins (per value up to 20 distinct, else Sturges)
        test_bins = binning.evidently_numeric_bins(ref_sorted, cur_sorted, ref_distinct)
        value = _distance(method.name, test_bins)
    chart = test_bins if test_bins is not None and test_bins.kind == "categories" else None
    if chart is None:
        chart = binning.value_bins_from_sorted(ref_sorted, cur_sorted) if both_distinct <= 20 else binning.chart_bins(ref_sorted, cur_sorted)
    result = tested(plan, "numerical", source, reason, method, method_reason, value, chart, **counts)
    if ref_distinct == 1:
        result.message = f"The reference column is constant ({ref_sorted[0]:g})."
    return result


def _categorical(plan, source, reason, ref_counts: dict, cur_counts: dict, counts) -> ColumnDrift:
    bins = binning.category_bins(ref_counts, cur_counts)
    method, method_reason = plan.chosen_method("categorical")
    if method is None:
        method, method_reason = default_method("categorical", counts["reference_values"], len(bins.labels))
    if method.name in ("chisquare", "z"):
        value = _category_test(method.name, bins)
    elif method.name == "psi":
        value = stats.psi(bins.reference, bins.current)
    else:
        value = _distance(method.name, bins)
    result = tested(plan, "categorical", source, reason, method, method_reason, value, bins, **counts)
    unseen = [label for label, r in zip(bins.labels, bins.reference) if r == 0]
    if unseen:
        shown = ", ".join(unseen[:5]) + (" ..." if len(unseen) > 5 else "")
        result.notes.append(f"{len(unseen)} categor{'y' if len(unseen) == 1 else 'ies'} not in the reference: {shown}")
    if len(ref_counts) == 1:
        result.message = f"The reference column is constant ({next(iter(ref_counts))})."
    return result


def _category_test(name: str, bins: binning.Bins) -> stats.TestValue:
    if name == "chisquare":
        return stats.chi_square(bins.reference, bins.current)
    # z-test on the share of the first category in sorted order (Evidently's choice; two-sided, so symmetric for 2 values).
    return stats.two_proportion_z(int(bins.reference[0]), int(bins.reference.sum()), int(bins.current[0]), int(bins.current.sum()))


def _distance(name: str, bins: binning.Bins) -> stats.TestValue:
    function = {"jensenshannon": stats.jensen_shannon, "tvd": stats.total_variation, "hellinger": stats.hellinger, "psi": stats.psi}[name]
    return function(bins.reference, bins.current)
