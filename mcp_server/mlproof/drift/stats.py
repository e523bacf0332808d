"""Statistical tests and distances: each a pure function of two samples.

Numerical tests take *sorted* float64 arrays without NaN/inf (the engine sorts
each column once and shares the result between tests, charts and bins).
Distribution tests take two count vectors over the same bins.

Every function returns a `TestValue`; none of them decides drift — that is
the policy's job (`policy.py`), as in Evidently's split of test and policy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# scipy's ks_2samp computes an exact p-value when both samples have at most
# this many values ("auto" mode) and the asymptotic one above it.
KS_EXACT_MAX_N = 10_000

# PSI replaces an empty bin's share by this, so log(p/q) stays finite.
# Same value as Evidently's fallback; documented in references/drift-engine.md.
PSI_EMPTY_BIN_SHARE = 1e-4

# Evidently's floor for the reference standard deviation when norming Wasserstein.
WASSERSTEIN_MIN_STD = 0.001


@dataclass(frozen=True)
class TestValue:
    """What a test computed: the statistic and, for hypothesis tests, a p-value."""

    statistic: float
    p_value: float | None = None
    note: str | None = None


# --- numerical samples -------------------------------------------------------------


def merged_cdf_gap(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge two sorted samples; return (merged values, F_ref - F_cur at each merged value).

    One searchsorted places the current values among the reference values, so the
    merge needs no second full sort. The CDF gap is right-continuous: inside a run
    of ties only the last position is meaningful. Temporaries are reused in place
    to keep the peak near 2 float64 arrays of n + m values.
    """
    n, m = ref_sorted.size, cur_sorted.size
    total = n + m
    index_type = np.int32 if total < 2**31 else np.int64
    cur_positions = np.searchsorted(ref_sorted, cur_sorted, side="right").astype(index_type, copy=False)
    cur_positions += np.arange(m, dtype=index_type)
    from_cur = np.zeros(total, dtype=bool)
    from_cur[cur_positions] = True
    merged = np.empty(total)
    merged[cur_positions] = cur_sorted
    del cur_positions
    merged[~from_cur] = ref_sorted
    # gap_k = ref_seen/n - cur_seen/m with ref_seen = (k + 1) - cur_seen
    gap = np.cumsum(from_cur, dtype=np.float64)
    del from_cur
    gap *= -(1.0 / n + 1.0 / m)
    ramp = np.arange(1, total + 1, dtype=np.float64)
    ramp *= 1.0 / n
    gap += ramp
    del ramp
    return merged, gap


BLOCK = 1 << 20  # reductions over merged arrays run block by block to bound temporaries


def ks_two_sample(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> TestValue:
    """Two-sample Kolmogorov-Smirnov, two-sided; p-value as scipy's ks_2samp(method="auto").

    Small samples go to scipy itself (exact p-value). Large samples use the merged
    CDF gap and the same asymptotic distribution scipy uses (kstwo with
    n = round(n1*n2/(n1+n2))), so results match scipy without its extra sorts.
    """
    from scipy import stats

    n, m = ref_sorted.size, cur_sorted.size
    if max(n, m) <= KS_EXACT_MAX_N:
        result = stats.ks_2samp(ref_sorted, cur_sorted, method="auto")
        return TestValue(float(result.statistic), float(result.pvalue))
    merged, gap = merged_cdf_gap(ref_sorted, cur_sorted)
    d = abs(float(gap[-1]))
    for start in range(0, merged.size - 1, BLOCK):
        stop = min(start + BLOCK, merged.size - 1)
        run_ends = merged[start + 1 : stop + 1] != merged[start:stop]  # last index of each run of ties
        block = np.abs(gap[start:stop][run_ends])
        if block.size:
            d = max(d, float(block.max()))
    return TestValue(d, ks_asymptotic_p_value(d, n, m), note="asymptotic p-value")


def ks_asymptotic_p_value(d: float, n: int, m: int) -> float:
    """scipy's two-sided asymptotic p-value for a KS statistic d from samples of n and m."""
    from scipy import stats

    big, small = max(n, m), min(n, m)
    effective_n = big * small / (big + small)
    return float(np.clip(stats.kstwo.sf(d, np.round(effective_n)), 0.0, 1.0))


def wasserstein_1d(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> float:
    """Earth mover's distance between two samples: the integral of |F_ref - F_cur|."""
    if ref_sorted.size == cur_sorted.size:
        # Equal sizes: the optimal transport pairs the i-th smallest values.
        return float(np.abs(ref_sorted - cur_sorted).mean())
    merged, gap = merged_cdf_gap(ref_sorted, cur_sorted)
    total = 0.0
    for start in range(0, merged.size - 1, BLOCK):
        stop = min(start + BLOCK, merged.size - 1)
        total += float(np.dot(np.abs(gap[start:stop]), merged[start + 1 : stop + 1] - merged[start:stop]))
    return total


def wasserstein_normed(ref_sorted: np.ndarray, cur_sorted: np.ndarray, ref_std: float | None = None) -> TestValue:
    """Wasserstein distance divided by the reference standard deviation (floor 0.001, as Evidently)."""
    std = float(np.std(ref_sorted)) if ref_std is None else ref_std
    norm = max(std, WASSERSTEIN_MIN_STD)
    note = "reference is constant; normed by 0.001" if std < WASSERSTEIN_MIN_STD else None
    return TestValue(wasserstein_1d(ref_sorted, cur_sorted) / norm, note=note)


# --- binned distributions ------------------------------------------------------------


def _shares(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    if total <= 0:
        raise ValueError("a distribution needs at least one value")
    return counts / total


def psi(ref_counts, cur_counts, empty_share: float = PSI_EMPTY_BIN_SHARE) -> TestValue:
    """Population Stability Index: sum((p - q) * ln(p / q)); empty bins count as `empty_share`."""
    p = _shares(ref_counts)
    q = _shares(cur_counts)
    p = np.where(p == 0, empty_share, p)
    q = np.where(q == 0, empty_share, q)
    return TestValue(float(np.sum((p - q) * np.log(p / q))))


def jensen_shannon(ref_counts, cur_counts, base: float | None = None) -> TestValue:
    """Jensen-Shannon *distance* (square root of the divergence); natural log unless `base` is given.

    Same definition as scipy.spatial.distance.jensenshannon, which Evidently calls
    with base=None (natural log), so the value lies in [0, sqrt(ln 2)] ~ [0, 0.833].
    """
    from scipy.special import rel_entr

    p = _shares(ref_counts)
    q = _shares(cur_counts)
    mid = (p + q) / 2.0
    divergence = (rel_entr(p, mid).sum() + rel_entr(q, mid).sum()) / 2.0
    if base is not None:
        divergence /= math.log(base)
    return TestValue(float(math.sqrt(max(divergence, 0.0))))


def total_variation(ref_counts, cur_counts) -> TestValue:
    """Total variation distance: half the L1 distance between the two share vectors, in [0, 1]."""
    return TestValue(float(0.5 * np.abs(_shares(ref_counts) - _shares(cur_counts)).sum()))


def hellinger(ref_counts, cur_counts) -> TestValue:
    """Hellinger distance sqrt(1 - sum(sqrt(p q))), in [0, 1]."""
    overlap = np.sqrt(_shares(ref_counts) * _shares(cur_counts)).sum()
    return TestValue(float(math.sqrt(max(1.0 - overlap, 0.0))))


def chi_square(ref_counts, cur_counts) -> TestValue:
    """Pearson chi-square goodness of fit of the current counts to the reference shares.

    Expected counts are the reference counts scaled to the current total (as
    Evidently does before calling scipy.stats.chisquare). A category the reference
    never saw has an expected count of 0: the statistic is infinite and p = 0.
    """
    from scipy import stats

    ref = np.asarray(ref_counts, dtype=float)
    observed = np.asarray(cur_counts, dtype=float)
    if ref.sum() <= 0 or observed.sum() <= 0:
        raise ValueError("chi-square needs values in both samples")
    expected = ref * (observed.sum() / ref.sum())
    unseen = (expected == 0) & (observed > 0)
    if unseen.any():
        return TestValue(math.inf, 0.0, note=f"{int(unseen.sum())} categor{'y' if unseen.sum() == 1 else 'ies'} absent from the reference")
    keep = expected > 0
    statistic = float(np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep]))
    dof = int(keep.sum()) - 1
    if dof < 1:
        return TestValue(statistic, 1.0, note="a single category in both samples")
    return TestValue(statistic, float(stats.chi2.sf(statistic, dof)))


def two_proportion_z(ref_hits: int, ref_total: int, cur_hits: int, cur_total: int) -> TestValue:
    """Two-sided z-test that one category has the same share in both samples (pooled variance)."""
    from scipy import stats

    if ref_total <= 0 or cur_total <= 0:
        raise ValueError("the z-test needs values in both samples")
    p_ref = ref_hits / ref_total
    p_cur = cur_hits / cur_total
    pooled = (ref_hits + cur_hits) / (ref_total + cur_total)
    variance = pooled * (1.0 - pooled) * (1.0 / ref_total + 1.0 / cur_total)
    if variance == 0:
        # Both samples hold only this category, or both never hold it: no difference.
        return TestValue(0.0, 1.0, note="both samples hold a single identical value")
    z = (p_ref - p_cur) / math.sqrt(variance)
    return TestValue(float(z), float(2.0 * stats.norm.sf(abs(z))))
