"""Bins shared by the distribution tests and the charts.

Counting works on sorted samples: the number of values <= e is one
searchsorted, so any set of edges costs O(bins * log n), not O(n).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PSI_BINS = 10  # the classic PSI recipe: reference deciles
CHART_BINS = 30
CHART_TAIL = 0.005  # the chart's x range covers the 0.5%..99.5% quantiles; the tails land in the outer bins
EVIDENTLY_VALUE_BINS_MAX = 20  # Evidently bins a numerical column per value when it has at most 20 distinct values


@dataclass
class Bins:
    """Counts of two samples over the same bins, with labels for people."""

    kind: str  # "histogram" (numerical edges) or "categories"
    labels: list[str]
    reference: np.ndarray
    current: np.ndarray
    edges: list[float] | None = None  # histogram only: len(labels) + 1 edges
    open_ends: bool = False  # histogram only: first/last bin extend to -inf/+inf


def sorted_quantile(sorted_values: np.ndarray, q):
    """np.quantile(..., method="linear") for an already sorted array, without numpy's partition copy."""
    q = np.asarray(q, dtype=float)
    position = q * (sorted_values.size - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, sorted_values.size - 1)
    low, high = sorted_values[below], sorted_values[above]
    return low + (position - below) * (high - low)


def count_at_most(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """How many values are <= each edge (the unnormalised CDF at the edges)."""
    return np.searchsorted(sorted_values, edges, side="right")


def open_ended_counts(sorted_values: np.ndarray, inner_edges: np.ndarray) -> np.ndarray:
    """Counts in (-inf, e1], (e1, e2], ..., (ek, +inf)."""
    cumulative = np.concatenate(([0], count_at_most(sorted_values, inner_edges), [sorted_values.size]))
    return np.diff(cumulative)


def format_edge(value: float) -> str:
    return f"{value:.4g}"


def interval_labels(inner_edges: np.ndarray) -> list[str]:
    """Labels for open-ended bins over the given inner edges."""
    if inner_edges.size == 0:
        return ["all values"]
    labels = [f"<= {format_edge(inner_edges[0])}"]
    labels += [f"({format_edge(lo)}, {format_edge(hi)}]" for lo, hi in zip(inner_edges[:-1], inner_edges[1:])]
    labels.append(f"> {format_edge(inner_edges[-1])}")
    return labels


def reference_quantile_edges(ref_sorted: np.ndarray, n_bins: int = PSI_BINS) -> np.ndarray:
    """Inner edges at the reference quantiles 1/n .. (n-1)/n; ties collapse into fewer bins."""
    quantiles = sorted_quantile(ref_sorted, np.arange(1, n_bins) / n_bins)
    return np.unique(quantiles)


def psi_numeric_bins(ref_sorted: np.ndarray, cur_sorted: np.ndarray, n_bins: int = PSI_BINS) -> Bins:
    """The classic PSI bins: reference deciles, outer bins open-ended so every current value lands."""
    inner = reference_quantile_edges(ref_sorted, n_bins)
    return Bins(
        kind="histogram",
        labels=interval_labels(inner),
        reference=open_ended_counts(ref_sorted, inner),
        current=open_ended_counts(cur_sorted, inner),
        edges=[float(e) for e in inner],
        open_ends=True,
    )


def sturges_edges(low: float, high: float, n_values: int) -> np.ndarray:
    """numpy's histogram_bin_edges(bins="sturges") for data spanning [low, high] with n_values values."""
    span = high - low
    if span == 0:
        return np.array([low - 0.5, high + 0.5])
    width = span / (np.log2(n_values) + 1.0)
    n_bins = int(np.ceil(span / width))
    return np.linspace(low, high, n_bins + 1)


def closed_histogram_counts(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """np.histogram's counts: bins [e0, e1), ..., [e_{k-1}, e_k] (last bin closed)."""
    below = np.searchsorted(sorted_values, edges[:-1], side="left")
    upto_last = np.searchsorted(sorted_values, edges[-1], side="right")
    return np.diff(np.concatenate((below, [upto_last])))


def sturges_bins(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> Bins:
    """Evidently's bins for numerical Jensen-Shannon/PSI: Sturges edges over both samples together."""
    low = min(ref_sorted[0], cur_sorted[0])
    high = max(ref_sorted[-1], cur_sorted[-1])
    edges = sturges_edges(float(low), float(high), ref_sorted.size + cur_sorted.size)
    labels = [f"[{format_edge(lo)}, {format_edge(hi)})" for lo, hi in zip(edges[:-1], edges[1:])]
    return Bins(
        kind="histogram",
        labels=labels,
        reference=closed_histogram_counts(ref_sorted, edges),
        current=closed_histogram_counts(cur_sorted, edges),
        edges=[float(e) for e in edges],
    )


def value_bins_from_sorted(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> Bins:
    """One bin per distinct value of either sample (for numerical columns with few values)."""
    keys = np.union1d(np.unique(ref_sorted), np.unique(cur_sorted))
    ref_counts = np.diff(np.concatenate(([0], count_at_most(ref_sorted, keys))))
    cur_counts = np.diff(np.concatenate(([0], count_at_most(cur_sorted, keys))))
    return Bins(kind="categories", labels=[format_edge(k) for k in keys], reference=ref_counts, current=cur_counts)


def evidently_numeric_bins(ref_sorted: np.ndarray, cur_sorted: np.ndarray, ref_distinct: int) -> Bins:
    """Evidently's get_binned_data for a numerical column: per value up to 20 distinct, else Sturges."""
    if ref_distinct > EVIDENTLY_VALUE_BINS_MAX:
        return sturges_bins(ref_sorted, cur_sorted)
    return value_bins_from_sorted(ref_sorted, cur_sorted)


def chart_bins(ref_sorted: np.ndarray, cur_sorted: np.ndarray, n_bins: int = CHART_BINS) -> Bins:
    """Equal-width bins over the central 99% of both samples; outer bins hold the tails."""
    low = min(sorted_quantile(ref_sorted, CHART_TAIL), sorted_quantile(cur_sorted, CHART_TAIL))
    high = max(sorted_quantile(ref_sorted, 1 - CHART_TAIL), sorted_quantile(cur_sorted, 1 - CHART_TAIL))
    if high <= low:
        return value_bins_from_sorted(ref_sorted, cur_sorted)
    inner = np.linspace(low, high, n_bins + 1)[1:-1]
    return Bins(
        kind="histogram",
        labels=interval_labels(inner),
        reference=open_ended_counts(ref_sorted, inner),
        current=open_ended_counts(cur_sorted, inner),
        edges=[float(low)] + [float(e) for e in inner] + [float(high)],
        open_ends=True,
    )


def category_bins(ref_counts: dict, cur_counts: dict) -> Bins:
    """One bin per category of either sample; a category unseen in the reference gets its own bin."""
    keys = sorted(set(ref_counts) | set(cur_counts), key=lambda k: (str(type(k)), k))
    return Bins(
        kind="categories",
        labels=[str(k) for k in keys],
        reference=np.array([ref_counts.get(k, 0) for k in keys], dtype=np.int64),
        current=np.array([cur_counts.get(k, 0) for k in keys], dtype=np.int64),
    )
