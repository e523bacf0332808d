"""Frequentist statistics for a continuous metric (revenue per user, session length ...), from summary statistics.

Welch's t-test (unequal variances), its confidence interval, the delta-method
interval for the relative lift, and power / minimum detectable effect / sample
size from the noncentral t distribution with the Welch-Satterthwaite degrees of
freedom. Arm A is the control, arm B the treatment; every test is two-sided.
"""

from __future__ import annotations

import math

from scipy.optimize import brentq
from scipy.stats import nct, norm, t

MAX_SAMPLE_SEARCH = 10_000  # steps above the normal-approximation start; the t correction needs a handful


def welch_df(s_a: float, n_a: float, s_b: float, n_b: float) -> float:
    v_a, v_b = s_a * s_a / n_a, s_b * s_b / n_b
    return (v_a + v_b) ** 2 / (v_a * v_a / (n_a - 1) + v_b * v_b / (n_b - 1))


def welch_test(m_a: float, s_a: float, n_a: int, m_b: float, s_b: float, n_b: int, alpha: float):
    """(t, df, two-sided p-value, standard error, (ci_low, ci_high) for m_B - m_A)."""
    se = math.sqrt(s_a * s_a / n_a + s_b * s_b / n_b)
    df = welch_df(s_a, n_a, s_b, n_b)
    diff = m_b - m_a
    statistic = diff / se
    half = t.isf(alpha / 2, df) * se
    return statistic, df, 2 * t.sf(abs(statistic), df), se, (diff - half, diff + half)


def relative_interval(m_a: float, s_a: float, n_a: int, m_b: float, s_b: float, n_b: int, alpha: float) -> tuple[float, float]:
    """Delta-method (normal) interval for m_B / m_A - 1; the caller makes sure m_A is not 0."""
    ratio = m_b / m_a
    var_a, var_b = s_a * s_a / n_a, s_b * s_b / n_b
    se = math.sqrt(var_b / (m_a * m_a) + ratio * ratio * var_a / (m_a * m_a))
    z = norm.isf(alpha / 2)
    return ratio - 1 - z * se, ratio - 1 + z * se


def power(diff: float, s_a: float, n_a: float, s_b: float, n_b: float, alpha: float) -> float:
    """Power of the two-sided Welch test against a true difference `diff` (noncentral t, both tails)."""
    se = math.sqrt(s_a * s_a / n_a + s_b * s_b / n_b)
    df = welch_df(s_a, n_a, s_b, n_b)
    crit = t.isf(alpha / 2, df)
    shift = diff / se
    return nct.sf(crit, df, shift) + nct.cdf(-crit, df, shift)


def sample_size(diff: float, s_a: float, s_b: float, alpha: float, target_power: float, ratio: float) -> tuple[int, int]:
    """Smallest (n_A, n_B = ceil(ratio * n_A)) whose Welch test reaches the power against `diff`."""
    z = norm.isf(alpha / 2) + norm.isf(1 - target_power)
    start = max(2, math.floor(z * z * (s_a * s_a + s_b * s_b / ratio) / (diff * diff)))
    for n_a in range(start, start + MAX_SAMPLE_SEARCH):
        n_b = max(2, math.ceil(ratio * n_a - 1e-9))
        if power(diff, s_a, n_a, s_b, n_b, alpha) >= target_power:
            return n_a, n_b
    raise ArithmeticError("the sample size search did not converge")  # unreachable: t tends to z quickly


def minimum_detectable_effect(s_a: float, n_a: int, s_b: float, n_b: int, alpha: float, target_power: float) -> float:
    """The smallest positive difference m_B - m_A the Welch test detects with the power."""
    se = math.sqrt(s_a * s_a / n_a + s_b * s_b / n_b)
    # Power at z_alpha + z_beta + 4 standard errors is essentially 1 (further out nct loses precision).
    upper = (norm.isf(alpha / 2) + norm.isf(1 - target_power) + 4) * se
    return brentq(lambda d: power(d, s_a, n_a, s_b, n_b, alpha) - target_power, 1e-9 * se, upper, xtol=1e-12 * se)
