"""Each drift statistic, on its own, against scipy on random data (agreement to 1e-9)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from scipy.spatial import distance

from mlproof.drift import binning, stats

RNG = np.random.default_rng(20261130)


def _pair(n, m, shift=0.1, scale=1.0):
    return np.sort(RNG.normal(size=n)), np.sort(RNG.normal(shift, scale, size=m))


@pytest.mark.parametrize("n,m", [(40, 55), (900, 1000), (9_000, 10_000), (30_000, 12_345), (20_001, 20_001)])
def test_ks_matches_scipy_exact_and_asymptotic(n, m):
    ref, cur = _pair(n, m)
    ours = stats.ks_two_sample(ref, cur)
    theirs = sps.ks_2samp(ref, cur)
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-12)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-12)


def test_ks_with_ties_matches_scipy():
    ref = np.sort(RNG.integers(0, 30, size=25_000).astype(float))
    cur = np.sort(RNG.integers(1, 31, size=18_000).astype(float))
    ours = stats.ks_two_sample(ref, cur)
    theirs = sps.ks_2samp(ref, cur)
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-12)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("n,m", [(50, 50), (1_000, 777), (30_000, 25_000), (5, 3)])
def test_wasserstein_matches_scipy(n, m):
    ref, cur = _pair(n, m, shift=0.3, scale=1.7)
    assert stats.wasserstein_1d(ref, cur) == pytest.approx(sps.wasserstein_distance(ref, cur), rel=1e-9)
    normed = stats.wasserstein_normed(ref, cur).statistic
    assert normed == pytest.approx(sps.wasserstein_distance(ref, cur) / np.std(ref), rel=1e-9)


def test_wasserstein_of_constant_reference_uses_the_floor():
    ref = np.zeros(100)
    cur = np.full(100, 0.5)
    value = stats.wasserstein_normed(ref, cur)
    assert value.statistic == pytest.approx(0.5 / 0.001)
    assert value.note


def _counts(k, n, shift=0.0):
    p = np.linspace(1, 2 + shift, k)
    return RNG.multinomial(n, p / p.sum())


def test_jensen_shannon_matches_scipy_in_base_e_and_base_2():
    ref, cur = _counts(12, 5_000), _counts(12, 4_000, shift=1.0)
    assert stats.jensen_shannon(ref, cur).statistic == pytest.approx(distance.jensenshannon(ref, cur), rel=1e-9)
    assert stats.jensen_shannon(ref, cur, base=2).statistic == pytest.approx(distance.jensenshannon(ref, cur, base=2), rel=1e-9)
    # An empty bin on one side is allowed (no epsilon), as in scipy.
    ref[3] = 0
    assert stats.jensen_shannon(ref, cur).statistic == pytest.approx(distance.jensenshannon(ref, cur), rel=1e-9)


def test_chi_square_matches_scipy():
    ref, cur = _counts(7, 3_000), _counts(7, 2_500, shift=0.4)
    expected = ref * cur.sum() / ref.sum()
    theirs = sps.chisquare(cur, expected)
    ours = stats.chi_square(ref, cur)
    assert ours.statistic == pytest.approx(theirs.statistic, rel=1e-9)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9)


def test_chi_square_with_a_category_unseen_in_reference_is_certain_drift():
    value = stats.chi_square([10, 20, 0], [10, 20, 5])
    assert math.isinf(value.statistic) and value.p_value == 0.0
    assert "absent from the reference" in value.note


def test_two_proportion_z_against_the_textbook_formula():
    value = stats.two_proportion_z(300, 1000, 360, 1000)
    pooled = 660 / 2000
    z = (0.3 - 0.36) / math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    assert value.statistic == pytest.approx(z, rel=1e-12)
    assert value.p_value == pytest.approx(2 * sps.norm.sf(abs(z)), rel=1e-12)
    assert stats.two_proportion_z(50, 50, 70, 70).p_value == 1.0


def test_psi_tvd_and_hellinger_by_hand():
    ref, cur = np.array([50, 30, 20, 0]), np.array([40, 30, 20, 10])
    p, q = ref / 100, cur / 100
    p_eps = np.where(p == 0, 1e-4, p)
    assert stats.psi(ref, cur).statistic == pytest.approx(np.sum((p_eps - q) * np.log(p_eps / q)), rel=1e-12)
    assert stats.total_variation(ref, cur).statistic == pytest.approx(0.1)
    assert stats.hellinger(ref, cur).statistic == pytest.approx(math.sqrt(1 - np.sum(np.sqrt(p * q))), rel=1e-12)
    assert stats.psi(ref, ref).statistic == 0.0


def test_psi_bins_are_reference_deciles_with_open_outer_bins():
    ref = np.sort(RNG.normal(size=10_000))
    cur = np.sort(RNG.normal(5.0, 1.0, size=5_000))  # far outside the reference range
    bins = binning.psi_numeric_bins(ref, cur)
    assert len(bins.labels) == 10
    assert bins.reference.sum() == ref.size and bins.current.sum() == cur.size
    assert np.all(np.abs(bins.reference - 1_000) <= 1)  # deciles hold a tenth each
    assert bins.current[-1] > 0.9 * cur.size  # the open last bin catches values beyond the reference
    assert stats.psi(bins.reference, bins.current).statistic > 1.0


def test_sturges_bins_match_numpy_histogram():
    ref, cur = _pair(3_000, 2_000, shift=0.5)
    bins = binning.sturges_bins(ref, cur)
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
    assert np.allclose(bins.edges, edges, rtol=0, atol=1e-12)
    assert list(bins.reference) == list(np.histogram(ref, edges)[0])
    assert list(bins.current) == list(np.histogram(cur, edges)[0])
