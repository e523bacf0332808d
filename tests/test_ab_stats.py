"""mlproof.experiments: every number checked against scipy and statsmodels (or published tables)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.stats.proportion as smp
from scipy import stats
from scipy.special import betaln
from statsmodels.stats.power import TTestIndPower

from mlproof.experiments import ab_test, bayes, means, proportions, sequential

COUNTS = [  # (x_a, n_a, x_b, n_b)
    (1500, 15000, 1680, 15000),
    (300, 10000, 262, 9800),
    (12, 80, 25, 95),
    (48, 2000, 61, 4000),
]


@pytest.mark.parametrize("x_a,n_a,x_b,n_b", COUNTS)
def test_z_test_and_chi_square_match_statsmodels_and_scipy(x_a, n_a, x_b, n_b):
    z, p = proportions.z_test(x_a, n_a, x_b, n_b)
    ref_z, ref_p = smp.proportions_ztest([x_b, x_a], [n_b, n_a])
    assert z == pytest.approx(ref_z, rel=1e-12) and p == pytest.approx(ref_p, rel=1e-10)
    chi, chi_p = proportions.chi_square(x_a, n_a, x_b, n_b)
    ref_chi, ref_chi_p, dof, _ = stats.chi2_contingency([[x_a, n_a - x_a], [x_b, n_b - x_b]], correction=False)
    assert dof == 1 and chi == pytest.approx(ref_chi, rel=1e-10) and chi_p == pytest.approx(ref_chi_p, rel=1e-9)
    assert chi == pytest.approx(z * z, rel=1e-10)


@pytest.mark.parametrize("x_a,n_a,x_b,n_b", COUNTS)
@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_lift_intervals_match_statsmodels(x_a, n_a, x_b, n_b, alpha):
    low, high = proportions.newcombe_interval(x_a, n_a, x_b, n_b, alpha)
    ref = smp.confint_proportions_2indep(x_b, n_b, x_a, n_a, method="newcomb", compare="diff", alpha=alpha)
    assert (low, high) == pytest.approx(ref, abs=1e-12)
    r_low, r_high = proportions.relative_interval(x_a, n_a, x_b, n_b, alpha)
    ratio = smp.confint_proportions_2indep(x_b, n_b, x_a, n_a, method="log", compare="ratio", alpha=alpha)
    assert (r_low + 1, r_high + 1) == pytest.approx(ratio, rel=1e-12)


@pytest.mark.parametrize("p_a,diff,n_a,ratio", [(0.10, 0.01, 14000, 1.0), (0.03, -0.004, 20000, 0.98), (0.2, 0.05, 300, 2.0)])
def test_power_matches_statsmodels(p_a, diff, n_a, ratio):
    # statsmodels' first sample is the treatment: nobs1 = n_B, ratio = n_A / n_B, prop2 = p_A.
    ref = smp.power_proportions_2indep(diff, p_a, n_a * ratio, ratio=1 / ratio, alpha=0.05).power
    assert proportions.power(p_a, diff, n_a, ratio, 0.05) == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("p_a,diff,power,ratio", [(0.10, 0.01, 0.8, 1.0), (0.05, 0.005, 0.9, 1.0), (0.10, 0.02, 0.8, 2.0), (0.3, -0.03, 0.8, 0.5)])
def test_sample_size_matches_statsmodels(p_a, diff, power, ratio):
    n_a, n_b = proportions.sample_size(p_a, diff, 0.05, power, ratio)
    ref_n_b = smp.samplesize_proportions_2indep_onetail(diff, p_a, power, ratio=1 / ratio, alpha=0.05)
    assert n_b == math.ceil(ref_n_b) and n_a == math.ceil(ref_n_b / ratio - 1e-9)


@pytest.mark.parametrize("p_a,n_a,ratio", [(0.10, 15000, 1.0), (0.02, 50000, 1.5)])
def test_minimum_detectable_effect_inverts_the_statsmodels_sample_size(p_a, n_a, ratio):
    mde = proportions.minimum_detectable_effect(p_a, n_a, ratio, 0.05, 0.8)
    assert smp.samplesize_proportions_2indep_onetail(mde, p_a, 0.8, ratio=1 / ratio, alpha=0.05) == pytest.approx(n_a * ratio, rel=1e-7)
    assert proportions.minimum_detectable_effect(0.5, 3, 1.0, 0.05, 0.99) is None  # nothing detectable with 3 users


def test_sample_ratio_mismatch_matches_scipy():
    statistic, p = proportions.sample_ratio_mismatch(15310, 14690, 0.5)
    ref = stats.chisquare([15310, 14690], [15000, 15000])
    assert statistic == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    statistic, p = proportions.sample_ratio_mismatch(9000, 21000, 0.3)
    ref = stats.chisquare([9000, 21000], [9000, 21000])
    assert statistic == pytest.approx(ref.statistic, abs=1e-12) and p == pytest.approx(1.0)


# -- continuous -------------------------------------------------------------------

@pytest.mark.parametrize("m_a,s_a,n_a,m_b,s_b,n_b", [(10, 4, 500, 10.6, 5, 450), (52.0, 30.0, 40, 49.0, 12.0, 35), (1.0, 1.0, 3, 2.0, 3.0, 4)])
def test_welch_matches_scipy(m_a, s_a, n_a, m_b, s_b, n_b):
    t, df, p, se, _ = means.welch_test(m_a, s_a, n_a, m_b, s_b, n_b, 0.05)
    ref = stats.ttest_ind_from_stats(m_b, s_b, n_b, m_a, s_a, n_a, equal_var=False)
    assert t == pytest.approx(ref.statistic, rel=1e-12) and p == pytest.approx(ref.pvalue, rel=1e-10)


def test_welch_interval_and_data_file_match_scipy_on_raw_data(tmp_path):
    rng = np.random.default_rng(3)
    a, b = rng.normal(20, 6, 400), rng.normal(21.2, 9, 300)
    ref = stats.ttest_ind(b, a, equal_var=False)
    interval = ref.confidence_interval(0.95)
    _, _, _, _, (low, high) = means.welch_test(a.mean(), a.std(ddof=1), a.size, b.mean(), b.std(ddof=1), b.size, 0.05)
    assert (low, high) == pytest.approx((interval.low, interval.high), rel=1e-10)
    path = tmp_path / "revenue.csv"
    rows = [f"control,{float(v)!r}" for v in a] + [f"treatment,{float(v)!r}" for v in b]
    path.write_text("variant,revenue\n" + "\n".join(rows) + "\n")
    report = ab_test(data=str(path))
    assert report.kind == "continuous" and report.arms[0].label == "control"
    assert report.tests[0].statistic == pytest.approx(ref.statistic, rel=1e-9)
    assert report.tests[0].p_value == pytest.approx(ref.pvalue, rel=1e-8)
    assert (report.absolute_lift.ci_low, report.absolute_lift.ci_high) == pytest.approx((interval.low, interval.high), rel=1e-9)


def test_relative_interval_of_means_matches_statsmodels_delta_method():
    from statsmodels.stats._delta_method import NonlinearDeltaCov

    m_a, s_a, n_a, m_b, s_b, n_b = 20.0, 6.0, 400, 21.2, 9.0, 300
    delta = NonlinearDeltaCov(lambda p: np.array([p[1] / p[0] - 1]), np.array([m_a, m_b]),
                              np.diag([s_a**2 / n_a, s_b**2 / n_b]))
    ref_low, ref_high = delta.conf_int(alpha=0.05)[0]
    assert means.relative_interval(m_a, s_a, n_a, m_b, s_b, n_b, 0.05) == pytest.approx((ref_low, ref_high), rel=1e-6)


@pytest.mark.parametrize("n", [20, 200, 2000])
def test_welch_power_matches_statsmodels_for_equal_groups(n):
    assert means.power(1.0, 4.0, n, 4.0, n, 0.05) == pytest.approx(TTestIndPower().power(0.25, n, 0.05, ratio=1), rel=1e-9)


@pytest.mark.parametrize("effect,power", [(0.25, 0.8), (0.5, 0.9), (0.1, 0.8)])
def test_welch_sample_size_and_mde_match_statsmodels(effect, power):
    n_a, n_b = means.sample_size(effect * 3.0, 3.0, 3.0, 0.05, power, 1.0)
    assert n_a == n_b == math.ceil(TTestIndPower().solve_power(effect_size=effect, alpha=0.05, power=power, ratio=1))
    mde = means.minimum_detectable_effect(3.0, n_a, 3.0, n_a, 0.05, power)
    assert mde / 3.0 == pytest.approx(TTestIndPower().solve_power(nobs1=n_a, alpha=0.05, power=power, ratio=1), rel=1e-6)


def test_welch_sample_size_for_unequal_groups_is_the_smallest_that_reaches_the_power():
    n_a, n_b = means.sample_size(1.0, 4.0, 6.0, 0.05, 0.8, 2.0)
    assert n_b == math.ceil(2 * n_a)
    assert means.power(1.0, 4.0, n_a, 6.0, n_b, 0.05) >= 0.8 > means.power(1.0, 4.0, n_a - 1, 6.0, math.ceil(2 * (n_a - 1)), 0.05)


# -- sequential -------------------------------------------------------------------

def _inside_probability(fractions, bounds, drift=0.0):
    """P(|Z_k| < c_k for every k) from scipy's multivariate normal (corr(Z_i, Z_j) = sqrt(t_i / t_j))."""
    t = np.array(fractions)
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    mean = drift * np.sqrt(t)
    c = np.array(bounds)
    return stats.multivariate_normal(mean=mean, cov=cov).cdf(c, lower_limit=-c, rng=np.random.default_rng(0))


def test_obrien_fleming_bounds_match_published_tables():
    # Lan-DeMets O'Brien-Fleming-type, 5 equally spaced looks, two-sided 0.05 (gsDesign sfLDOF / rpact asOF / ldbounds).
    bounds = sequential.efficacy_bounds([0.2, 0.4, 0.6, 0.8, 1.0], 0.05)
    assert bounds == pytest.approx([4.8769, 3.3569, 2.6803, 2.2898, 2.0310], abs=2e-4)
    assert sequential.efficacy_bounds([0.5, 1.0], 0.05) == pytest.approx([2.9626, 1.9686], abs=2e-4)
    assert sequential.efficacy_bounds([1.0], 0.05) == pytest.approx([stats.norm.isf(0.025)])


@pytest.mark.parametrize("fractions", [[0.25, 0.5, 0.75, 1.0], [0.1, 0.3, 0.65, 1.0], [0.5, 1.0]])
def test_sequential_type_one_error_spent_as_planned_per_scipy(fractions):
    bounds = sequential.efficacy_bounds(fractions, 0.05)
    for k in range(1, len(fractions) + 1):
        crossed = 1 - _inside_probability(fractions[:k], bounds[:k])
        assert crossed == pytest.approx(sequential.obrien_fleming_spending(fractions[k - 1], 0.05), abs=2e-5)


def test_inflation_factor_keeps_the_power_per_scipy():
    fractions = [0.2, 0.4, 0.6, 0.8, 1.0]
    bounds = sequential.efficacy_bounds(fractions, 0.05)
    factor = sequential.inflation_factor(fractions, bounds, 0.05, 0.8)
    drift = (stats.norm.isf(0.025) + stats.norm.isf(0.2)) * math.sqrt(factor)
    assert 1 - _inside_probability(fractions, bounds, drift) == pytest.approx(0.8, abs=2e-4)
    assert 1.0 < factor < 1.05


# -- Bayesian ---------------------------------------------------------------------

@pytest.mark.parametrize("x_a,n_a,x_b,n_b", [(1500, 15000, 1680, 15000), (30, 1000, 33, 1000), (3, 40, 1, 38)])
def test_probability_to_beat_matches_the_closed_form_and_monte_carlo(x_a, n_a, x_b, n_b):
    post_a, post_b = bayes.posterior((1, 1), x_a, n_a), bayes.posterior((1, 1), x_b, n_b)
    prob = bayes.probability_b_beats_a(post_a, post_b)
    (a_a, b_a), (a_b, b_b) = post_a, post_b
    i = np.arange(int(a_b))  # Evan Miller's sum, exact for integer parameters
    closed = np.exp(betaln(a_a + i, b_a + b_b) - np.log(b_b + i) - betaln(1 + i, b_b) - betaln(a_a, b_a)).sum()
    assert prob == pytest.approx(closed, abs=1e-9)
    rng = np.random.default_rng(11)
    draws = 400_000
    sample_a = stats.beta(*post_a).rvs(draws, random_state=rng)
    sample_b = stats.beta(*post_b).rvs(draws, random_state=rng)
    loss_ship, loss_keep = bayes.expected_loss(post_a, post_b)
    for value, sample in ((loss_ship, np.maximum(sample_a - sample_b, 0)), (loss_keep, np.maximum(sample_b - sample_a, 0))):
        assert abs(value - sample.mean()) < 5 * sample.std() / math.sqrt(draws) + 1e-12
    assert abs(prob - (sample_b > sample_a).mean()) < 5 * math.sqrt(prob * (1 - prob) / draws) + 1e-6


def test_credible_intervals_are_beta_quantiles():
    post = bayes.posterior((0.5, 0.5), 40, 400)
    assert bayes.credible_interval(post, 0.95) == pytest.approx(stats.beta(*post).interval(0.95))
