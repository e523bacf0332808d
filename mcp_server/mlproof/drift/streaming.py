"""Bounded-memory drift for inputs too large to hold: two passes over record batches.

Pass 1 reads both datasets once: missing counts, min/max, sums for the
reference standard deviation, category counts, distinct values up to a small
cap, and a uniform random sample of each numerical column.

Between passes the bins are fitted: the quantiles of the reference sample
(and of the current sample, so a shifted current sample still gets fine bins),
plus the exact global min and max, the Sturges edges Evidently uses, and the
chart edges. Pass 2 counts every value into those bins.

From the two histograms the CDFs are *exact at every edge*, so:
- KS: D is at least the largest gap at an edge and at most the largest gap
  between one CDF at an edge and the other at the neighbouring edge.
- Wasserstein: inside one bin both CDFs stay between their edge values, which
  bounds the integral of |F - G| from below and above; the reported value
  assumes each CDF is linear inside a bin.
- PSI, Jensen-Shannon, TVD, Hellinger and chi-square use bins that are unions
  of the fine bins (or categories), so they are exact for those bins.
The bounds are reported with every approximate statistic.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from mlproof.drift import binning, stats
from mlproof.drift.binning import Bins
from mlproof.drift.columns import (
    INTEGER_CATEGORICAL_MAX_DISTINCT,
    TEXT_DISTINCT_SHARE,
    Missing,
    category_counts,
    numeric_values,
    type_family,
)
from mlproof.drift.models import Approximation, ColumnDrift, DatasetInfo, DriftReport
from mlproof.drift.plan import ColumnPlan, Options, align
from mlproof.drift.policy import Method, check_method_fits, default_method
from mlproof.drift.readers import check_path, file_kind, to_arrow
from mlproof.drift.results import assemble, missing_counts, skipped, tested
from mlproof.errors import MlproofError

SAMPLE_SIZE = 200_000  # per numerical column and dataset, for fitting the fine bins
FINE_QUANTILES = 4096  # fine bins fitted on each sample's quantiles
DISTINCT_TRACK_MAX = binning.EVIDENTLY_VALUE_BINS_MAX + 1  # beyond 20 distinct values, exact counts are not needed
CATEGORY_TRACK_MAX = 200_000  # more categories than this cannot be tracked in streaming mode


class BatchSource:
    """Record batches of one dataset: a Parquet file read lazily, or an in-memory table."""

    def __init__(self, data: Any, role: str, batch_rows: int):
        self.role = role
        self.batch_rows = batch_rows
        self.parquet = None
        if isinstance(data, (str, os.PathLike)) and file_kind(check_path(data)) == "parquet":
            import pyarrow.parquet as pq

            try:
                # pre_buffer=False + a read buffer: the default pre-buffering keeps column chunks cached
                # as batches are read, so memory grew with the file (3.5 GiB on 2 x 50M rows).
                self.parquet = pq.ParquetFile(Path(data), pre_buffer=False, buffer_size=1 << 20)
            except Exception as err:
                raise MlproofError(f"{data} is not a readable Parquet file ({str(err).splitlines()[0][:160]}).") from err
            self.schema = self.parquet.schema_arrow
            self.num_rows = self.parquet.metadata.num_rows
            self.label = str(data)
        else:
            self.table, source = to_arrow(data, role)
            self.schema, self.num_rows, self.label = self.table.schema, self.table.num_rows, source.label
        if self.num_rows == 0:
            raise MlproofError(f"The {role} dataset has no rows.")

    def batches(self, columns: list[str]) -> Iterator:
        if self.parquet is not None:
            yield from self.parquet.iter_batches(batch_size=self.batch_rows, columns=columns)
        else:
            yield from self.table.select(columns).to_batches(max_chunksize=self.batch_rows)


@dataclass
class NumericTally:
    """Pass-1 facts about one numerical column of one dataset."""

    missing: Missing = field(default_factory=Missing)
    count: int = 0
    low: float = math.inf
    high: float = -math.inf
    shift: float | None = None  # sums are taken around the first value, for a stable variance
    total: float = 0.0
    total_sq: float = 0.0
    distinct: dict = field(default_factory=dict)  # value -> count while at most DISTINCT_TRACK_MAX values
    distinct_overflow: bool = False
    sample: list = field(default_factory=list)

    def add(self, values: np.ndarray, missing: Missing, keep_share: float, rng: np.random.Generator) -> None:
        self.missing.add(missing)
        if values.size == 0:
            return
        self.count += values.size
        self.low = min(self.low, float(values.min()))
        self.high = max(self.high, float(values.max()))
        if self.shift is None:
            self.shift = float(values[0])
        centred = values - self.shift
        self.total += float(centred.sum())
        self.total_sq += float(np.dot(centred, centred))
        if not self.distinct_overflow:
            keys, counts = np.unique(values, return_counts=True) if values.size < 50_000 else _unique_counts(values)
            for key, count in zip(keys.tolist(), counts.tolist()):
                self.distinct[key] = self.distinct.get(key, 0) + count
            if len(self.distinct) > DISTINCT_TRACK_MAX:
                self.distinct_overflow = True
                self.distinct = {}
        self.sample.append(values[rng.random(values.size) < keep_share])

    def std(self) -> float:
        mean = self.total / self.count
        return math.sqrt(max(self.total_sq / self.count - mean * mean, 0.0))

    def sample_array(self) -> np.ndarray:
        return np.sort(np.concatenate(self.sample)) if self.sample else np.empty(0)


def _unique_counts(values: np.ndarray):
    """Distinct values with counts through Arrow's hash kernel (no sort); stops early when there are many."""
    import pyarrow as pa
    import pyarrow.compute as pc

    head = pc.unique(pa.array(values[:10_000]))
    if len(head) > DISTINCT_TRACK_MAX:
        return np.array(head.to_numpy()), np.ones(len(head), dtype=np.int64)
    counted = pc.value_counts(pa.array(values))
    return counted.field("values").to_numpy(), counted.field("counts").to_numpy()


@dataclass
class CategoryTally:
    missing: Missing = field(default_factory=Missing)
    counts: dict = field(default_factory=dict)
    overflow: bool = False
    limit: int = CATEGORY_TRACK_MAX  # integer columns only need to know whether they exceed 10 values

    def add(self, counts: dict, missing: Missing) -> None:
        self.missing.add(missing)
        if self.overflow:
            return
        for key, count in counts.items():
            self.counts[key] = self.counts.get(key, 0) + count
        if len(self.counts) > self.limit:
            self.overflow = True
            self.counts = {}

    @property
    def size(self) -> int:
        return int(sum(self.counts.values()))


def _numeric_candidate(plan: ColumnPlan) -> bool:
    if plan.type_override is not None:
        return plan.type_override == "numerical"
    return type_family(plan.reference_type) in ("float", "integer")


def _category_limit(plan: ColumnPlan) -> int:
    if plan.type_override is None and type_family(plan.reference_type) == "integer":
        return INTEGER_CATEGORICAL_MAX_DISTINCT
    return CATEGORY_TRACK_MAX


def _category_candidate(plan: ColumnPlan) -> bool:
    if plan.type_override is not None:
        return plan.type_override == "categorical"
    return type_family(plan.reference_type) in ("integer", "boolean", "string")


def streaming_drift_report(reference: Any, current: Any, options: Options, progress=None, batch_rows: int = 1_000_000) -> DriftReport:
    ref_source = BatchSource(reference, "reference", batch_rows)
    cur_source = BatchSource(current, "current", batch_rows)
    plans, schema_diff = align(ref_source.schema, cur_source.schema, options)
    live = [p for p in plans if p.mismatch is None and (_numeric_candidate(p) or _category_candidate(p))]
    names = [p.name for p in live]
    total_steps = 2 * (_batch_count(ref_source) + _batch_count(cur_source))
    step = 0

    def tick():
        nonlocal step
        step += 1
        if progress is not None:
            progress(min(step, total_steps), total_steps)

    # Pass 1: tallies for both datasets.
    rng = np.random.default_rng(0)
    tallies: dict[str, dict[str, Any]] = {}
    for source in (ref_source, cur_source):
        keep_share = min(1.0, SAMPLE_SIZE / max(source.num_rows, 1))
        numeric = {p.name: NumericTally() for p in live if _numeric_candidate(p)}
        categories = {p.name: CategoryTally(limit=_category_limit(p)) for p in live if _category_candidate(p)}
        for batch in source.batches(names):
            for name, tally in numeric.items():
                values, missing = numeric_values(batch.column(name), name)
                tally.add(values, missing, keep_share, rng)
            for name, tally in categories.items():
                counts, missing = category_counts(batch.column(name), name)
                tally.add(counts, missing)
            tick()
        tallies[source.role] = {"numeric": numeric, "categories": categories}

    # Decide each column's type, then fit the fine bins of the numerical ones.
    decided: dict[str, tuple[str, str, str]] = {}
    for plan in live:
        decided[plan.name] = _decide_type(plan, tallies)
    fine: dict[str, np.ndarray] = {}
    for plan in live:
        if decided[plan.name][0] == "numerical":
            ref_t = tallies["reference"]["numeric"][plan.name]
            cur_t = tallies["current"]["numeric"][plan.name]
            if ref_t.count and cur_t.count:
                fine[plan.name] = _fit_edges(ref_t, cur_t)

    # Pass 2: count every numerical value into its column's fine bins.
    histograms = {role: {name: np.zeros(edges.size + 1, dtype=np.int64) for name, edges in fine.items()} for role in ("reference", "current")}
    if fine:
        for source in (ref_source, cur_source):
            for batch in source.batches(list(fine)):
                for name, edges in fine.items():
                    values, _ = numeric_values(batch.column(name), name)
                    histograms[source.role][name] += np.bincount(np.searchsorted(edges, values, side="left"), minlength=edges.size + 1)
                tick()
    if progress is not None:
        progress(total_steps, total_steps)

    results = []
    for plan in plans:
        rows = {"reference_rows": ref_source.num_rows, "current_rows": cur_source.num_rows}
        if plan.name not in decided:
            results.append(untracked(plan, rows))
            continue
        kind, source, reason = decided[plan.name]
        if kind == "numerical":
            results.append(_numerical(plan, kind, source, reason, tallies, fine.get(plan.name), histograms, rows))
        elif kind == "categorical":
            results.append(_categorical(plan, source, reason, tallies, rows))
        else:
            results.append(skipped(plan, kind, source, reason, f"{kind} columns are not tested for drift ({reason})", **rows))
    return report_of(results, ref_source, cur_source, schema_diff, options, "streaming")


def report_of(results: list[ColumnDrift], ref, cur, schema_diff, options: Options, engine: str) -> DriftReport:
    """The DriftReport over per-column results; ref/cur have a label, num_rows and an Arrow schema."""
    return assemble(
        results,
        DatasetInfo(source=ref.label, rows=ref.num_rows, columns=len(ref.schema.names)),
        DatasetInfo(source=cur.label, rows=cur.num_rows, columns=len(cur.schema.names)),
        schema_diff,
        options.drift_share,
        engine=engine,
    )


def untracked(plan: ColumnPlan, rows: dict) -> ColumnDrift:
    """A column no tally followed (type mismatch, or a type no test applies to), reported as skipped."""
    kind = plan.type_override or ("text" if type_family(plan.reference_type) == "string" else "unknown")
    message = plan.mismatch or f"{type_family(plan.reference_type)} columns are not tested for drift"
    return skipped(plan, kind, "override" if plan.type_override else "inferred", str(plan.reference_type), message, **rows)


def _batch_count(source: BatchSource) -> int:
    return max(1, math.ceil(source.num_rows / source.batch_rows))


def _decide_type(plan: ColumnPlan, tallies) -> tuple[str, str, str]:
    ref_categories: CategoryTally | None = tallies["reference"]["categories"].get(plan.name)
    if ref_categories is None:
        return decide_type(plan, 0, 0, False)
    return decide_type(plan, len(ref_categories.counts), ref_categories.size, ref_categories.overflow)


def decide_type(plan: ColumnPlan, distinct: int, present: int, overflow: bool) -> tuple[str, str, str]:
    """(type, source, reason) from the reference's distinct and non-missing counts (Evidently's rules)."""
    if plan.type_override is not None:
        return plan.type_override, "override", "set by the caller"
    family = type_family(plan.reference_type)
    if family == "float":
        return "numerical", "inferred", "float column"
    if family == "integer":
        if not overflow and distinct <= INTEGER_CATEGORICAL_MAX_DISTINCT:
            return "categorical", "inferred", f"integer column with {distinct} distinct values (<= {INTEGER_CATEGORICAL_MAX_DISTINCT})"
        return "numerical", "inferred", "integer column with more than 10 distinct values"
    if family == "boolean":
        return "categorical", "inferred", "boolean column"
    if overflow:
        return "text", "inferred", f"string column with more than {CATEGORY_TRACK_MAX} distinct values"
    if distinct > TEXT_DISTINCT_SHARE * present:
        return "text", "inferred", f"string column with {distinct} distinct values in {present} (more than half): free text"
    return "categorical", "inferred", f"string column with {distinct} distinct values in {present}"


def _fit_edges(ref_t: NumericTally, cur_t: NumericTally) -> np.ndarray:
    """Sorted unique edges: sample quantiles of both datasets, global extremes, Sturges and chart edges."""
    low, high = min(ref_t.low, cur_t.low), max(ref_t.high, cur_t.high)
    grid = np.linspace(0.0, 1.0, FINE_QUANTILES + 1)
    parts = [np.array([low, high])]
    ref_sample, cur_sample = ref_t.sample_array(), cur_t.sample_array()
    for sample in (ref_sample, cur_sample):
        if sample.size:
            parts.append(np.quantile(sample, grid))
    sturges = binning.sturges_edges(low, high, ref_t.count + cur_t.count)
    # Sturges bins are [a, b): the float just below each inner edge makes "values < b" a fine-bin count.
    parts += [sturges, np.nextafter(sturges[1:-1], -np.inf)]
    parts.append(_chart_edges(ref_sample, cur_sample, low, high))
    edges = np.unique(np.concatenate(parts))
    return edges[(edges >= low) & (edges <= high)]


def _chart_edges(ref_sample: np.ndarray, cur_sample: np.ndarray, low: float, high: float) -> np.ndarray:
    tail = binning.CHART_TAIL
    samples = [s for s in (ref_sample, cur_sample) if s.size]
    lo = min(np.quantile(s, tail) for s in samples) if samples else low
    hi = max(np.quantile(s, 1 - tail) for s in samples) if samples else high
    if hi <= lo:
        return np.array([low, high])
    return np.linspace(lo, hi, binning.CHART_BINS + 1)


def _cdf(histogram: np.ndarray) -> np.ndarray:
    """CDF at each fine edge (F(e_k) = share of values <= e_k); the histogram's last slot is always empty."""
    return np.cumsum(histogram[:-1]) / histogram.sum()


def _counts(rows: dict, reference_values: int, current_values: int, ref_t, cur_t) -> dict:
    """Row, value and missing counts of one column, as ColumnDrift takes them."""
    return dict(rows, reference_values=reference_values, current_values=current_values,
                reference_missing=missing_counts(ref_t.missing), current_missing=missing_counts(cur_t.missing))


def _numerical(plan, kind, source, reason, tallies, edges, histograms, rows) -> ColumnDrift:
    ref_t: NumericTally = tallies["reference"]["numeric"][plan.name]
    cur_t: NumericTally = tallies["current"]["numeric"][plan.name]
    counts = _counts(rows, ref_t.count, cur_t.count, ref_t, cur_t)
    if not ref_t.count or not cur_t.count:
        from mlproof.drift.engine import empty_message

        return skipped(plan, kind, source, reason, empty_message(ref_t.count, cur_t.count, ref_t.missing, cur_t.missing), **counts)
    few_values = not ref_t.distinct_overflow and not cur_t.distinct_overflow
    both_distinct = len(set(ref_t.distinct) | set(cur_t.distinct)) if few_values else DISTINCT_TRACK_MAX
    if plan.method is not None:
        check_method_fits(plan.method, plan.name, kind)
    method, method_reason = plan.chosen_method("numerical")
    if method is None:
        method, method_reason = default_method("numerical", ref_t.count, both_distinct)

    ref_hist, cur_hist = histograms["reference"][plan.name], histograms["current"][plan.name]
    F, G = _cdf(ref_hist), _cdf(cur_hist)
    approximation = None
    value_bins = binning.category_bins(ref_t.distinct, cur_t.distinct) if few_values else None
    if value_bins is not None:
        value_bins.labels = [binning.format_edge(float(x)) for x in sorted(set(ref_t.distinct) | set(cur_t.distinct))]
    test_bins: Bins | None = None
    if method.name == "ks":
        value, approximation = _ks_bounds(F, G, ref_t.count, cur_t.count, method, plan)
    elif method.name == "wasserstein":
        value, approximation = _wasserstein_bounds(edges, F, G, ref_t.std(), method, plan)
    elif method.name == "psi":
        test_bins = _decile_bins(edges, ref_hist, cur_hist, F)
        value = stats.psi(test_bins.reference, test_bins.current)
    elif method.name in ("chisquare", "z") or (value_bins is not None and len(ref_t.distinct) <= binning.EVIDENTLY_VALUE_BINS_MAX):
        if value_bins is None:
            raise MlproofError(f"Method {method.name} on {plan.name!r} needs few distinct values; the column has more than 20.")
        test_bins = value_bins
        from mlproof.drift.engine import _category_test, _distance

        value = _category_test(method.name, test_bins) if method.name in ("chisquare", "z") else _distance(method.name, test_bins)
    else:
        from mlproof.drift.engine import _distance

        test_bins = _sturges_bins(edges, ref_hist, cur_hist, ref_t, cur_t)
        value = _distance(method.name, test_bins)
    chart = value_bins if value_bins is not None else _chart_bins(edges, ref_hist, cur_hist, ref_t, cur_t)
    result = tested(plan, "numerical", source, reason, method, method_reason, value, chart, **counts)
    if result.status != "tested":
        return result
    result.approximation = approximation
    if approximation is not None and not approximation.decision_certain:
        result.notes.append("the threshold lies inside the approximation bounds; rerun with the exact engine to settle it")
    return result


def _ks_bounds(F, G, n, m, method: Method, plan) -> tuple[stats.TestValue, Approximation]:
    gap_at_edges = np.abs(F - G)
    low = float(gap_at_edges.max())
    prev_F, prev_G = np.concatenate(([0.0], F[:-1])), np.concatenate(([0.0], G[:-1]))
    high = float(max(low, np.max(F - prev_G), np.max(G - prev_F)))
    p_at_low = stats.ks_asymptotic_p_value(low, n, m)
    p_at_high = stats.ks_asymptotic_p_value(high, n, m)
    threshold = plan.threshold if plan.threshold is not None else method.default_threshold
    approx = Approximation(
        method="fine histogram: CDFs exact at every bin edge",
        bins=int(F.size),
        statistic_low=low,
        statistic_high=high,
        p_value_low=p_at_high,
        p_value_high=p_at_low,
        decision_certain=method.drifted(low, p_at_low, threshold) == method.drifted(high, p_at_high, threshold),
    )
    return stats.TestValue(low, p_at_low, note="approximate: KS statistic at the fine bin edges"), approx


def _wasserstein_bounds(edges, F, G, ref_std: float, method: Method, plan) -> tuple[stats.TestValue, Approximation]:
    widths = np.diff(edges)
    F0, F1, G0, G1 = F[:-1], F[1:], G[:-1], G[1:]
    lower = np.maximum(0.0, np.maximum(F0 - G1, G0 - F1))
    upper = np.maximum(F1 - G0, G1 - F0)
    a = F0 - G0
    b = (F1 - G1) - a
    # Integral over one bin of |a + b t|, t in [0, 1] (CDFs linear inside the bin).
    crosses = (a * (a + b) < 0) & (b != 0)
    safe_b = np.where(b == 0, 1.0, np.abs(b))
    estimate = np.where(crosses, (a * a + (a + b) ** 2) / (2 * safe_b), np.abs(a + b / 2))
    norm = max(ref_std, stats.WASSERSTEIN_MIN_STD)
    value = float(np.dot(widths, estimate)) / norm
    low = float(np.dot(widths, lower)) / norm
    high = float(np.dot(widths, upper)) / norm
    threshold = plan.threshold if plan.threshold is not None else method.default_threshold
    approx = Approximation(
        method="fine histogram: integral of |F - G| bounded bin by bin",
        bins=int(widths.size),
        statistic_low=low,
        statistic_high=high,
        decision_certain=method.drifted(low, None, threshold) == method.drifted(high, None, threshold),
    )
    return stats.TestValue(value, note="approximate: CDFs taken as linear inside each fine bin"), approx


def _merge_to(edges: np.ndarray, histogram: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Counts in (-inf, t1], (t1, t2], ..., (tk, +inf) for targets that are fine edges."""
    cumulative = np.cumsum(histogram)
    idx = np.searchsorted(edges, targets)
    at = cumulative[idx]
    return np.diff(np.concatenate(([0], at, [cumulative[-1]])))


def _merged_bins(edges, ref_hist, cur_hist, inner, labels: list[str], shown_edges, open_ends: bool) -> Bins:
    """The fine streaming histograms merged onto the `inner` edges of coarser bins."""
    return Bins(kind="histogram", labels=labels, reference=_merge_to(edges, ref_hist, inner),
                current=_merge_to(edges, cur_hist, inner), edges=[float(e) for e in shown_edges], open_ends=open_ends)


def _decile_bins(edges, ref_hist, cur_hist, F) -> Bins:
    """PSI's reference deciles, snapped to the fine edge where the reference CDF reaches each tenth."""
    idx = np.unique(np.minimum(np.searchsorted(F, np.arange(1, binning.PSI_BINS) / binning.PSI_BINS), edges.size - 1))
    inner = edges[idx]
    return _merged_bins(edges, ref_hist, cur_hist, inner, binning.interval_labels(inner), inner, open_ends=True)


def _sturges_bins(edges, ref_hist, cur_hist, ref_t: NumericTally, cur_t: NumericTally) -> Bins:
    low, high = min(ref_t.low, cur_t.low), max(ref_t.high, cur_t.high)
    sturges = binning.sturges_edges(low, high, ref_t.count + cur_t.count)
    labels = [f"[{binning.format_edge(lo)}, {binning.format_edge(hi)})" for lo, hi in zip(sturges[:-1], sturges[1:])]
    return _merged_bins(edges, ref_hist, cur_hist, np.nextafter(sturges[1:-1], -np.inf), labels, sturges, open_ends=False)


def _chart_bins(edges, ref_hist, cur_hist, ref_t, cur_t) -> Bins:
    chart = _chart_edges(ref_t.sample_array(), cur_t.sample_array(), min(ref_t.low, cur_t.low), max(ref_t.high, cur_t.high))
    inner = chart[1:-1]
    return _merged_bins(edges, ref_hist, cur_hist, inner, binning.interval_labels(inner), chart, open_ends=True)


def _categorical(plan, source, reason, tallies, rows) -> ColumnDrift:
    from mlproof.drift.engine import _categorical as exact_categorical, empty_message

    ref_t: CategoryTally = tallies["reference"]["categories"][plan.name]
    cur_t: CategoryTally = tallies["current"]["categories"][plan.name]
    counts = _counts(rows, ref_t.size, cur_t.size, ref_t, cur_t)
    if ref_t.overflow or cur_t.overflow:
        return skipped(plan, "categorical", source, reason, f"more than {CATEGORY_TRACK_MAX} categories; too many to track in streaming mode", **counts)
    empty = empty_message(ref_t.size, cur_t.size, ref_t.missing, cur_t.missing)
    if empty:
        return skipped(plan, "categorical", source, reason, empty, **counts)
    if plan.method is not None:
        check_method_fits(plan.method, plan.name, "categorical")
    return exact_categorical(plan, source, reason, ref_t.counts, cur_t.counts, counts)
