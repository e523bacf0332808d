"""Frequentist statistics for a conversion metric (two independent proportions).

Pure functions of counts; the engine validates the counts first. Conventions:
arm A is the control, arm B the treatment, the lift is p_B - p_A, every test is
two-sided, and `ratio` is n_B / n_A.
"""

from __future__ import annotations

import math

from scipy.optimize import brentq
from scipy.stats import chi2, norm


def z_test(x_a: int, n_a: int, x_b: int, n_b: int) -> tuple[float, float]:
    """Two-proportion z-test with the pooled variance: (z, two-sided p-value)."""
    pooled = (x_a + x_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (x_b / n_b - x_a / n_a) / se
    return z, 2 * norm.sf(abs(z))


def chi_square(x_a: int, n_a: int, x_b: int, n_b: int) -> tuple[float, float]:
    """Pearson's chi-square on the 2x2 table, without Yates' correction (equals z² of the pooled z-test)."""
    observed = [[x_a, n_a - x_a], [x_b, n_b - x_b]]
    total = n_a + n_b
    columns = [x_a + x_b, total - x_a - x_b]
    statistic = 0.0
    for row, n in zip(observed, (n_a, n_b)):
        for cell, column in zip(row, columns):
            expected = n * column / total
            statistic += (cell - expected) ** 2 / expected
    return statistic, chi2.sf(statistic, 1)


def wilson(x: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval for one proportion."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def newcombe_interval(x_a: int, n_a: int, x_b: int, n_b: int, alpha: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval (1998, method 10) for p_B - p_A, from the two Wilson intervals."""
    z = norm.isf(alpha / 2)
    p_a, p_b = x_a / n_a, x_b / n_b
    low_a, high_a = wilson(x_a, n_a, z)
    low_b, high_b = wilson(x_b, n_b, z)
    diff = p_b - p_a
    return (diff - math.sqrt((p_b - low_b) ** 2 + (high_a - p_a) ** 2),
            diff + math.sqrt((high_b - p_b) ** 2 + (p_a - low_a) ** 2))


def relative_interval(x_a: int, n_a: int, x_b: int, n_b: int, alpha: float) -> tuple[float, float] | None:
    """Interval for p_B / p_A - 1: the delta method on log(p_B / p_A) (Katz log interval); None with a zero count."""
    if x_a == 0 or x_b == 0:
        return None
    z = norm.isf(alpha / 2)
    log_ratio = math.log((x_b / n_b) / (x_a / n_a))
    se = math.sqrt(1 / x_b - 1 / n_b + 1 / x_a - 1 / n_a)
    return math.exp(log_ratio - z * se) - 1, math.exp(log_ratio + z * se) - 1


def _std_null_alt(p_a: float, diff: float, ratio: float) -> tuple[float, float]:
    """Standard deviations of p_B - p_A per sqrt(n_A): pooled under H0, unpooled under the alternative."""
    p_b = p_a + diff
    pooled = (p_a + ratio * p_b) / (1 + ratio)
    std_null = math.sqrt(pooled * (1 - pooled) * (1 + 1 / ratio))
    std_alt = math.sqrt(p_a * (1 - p_a) + p_b * (1 - p_b) / ratio)
    return std_null, std_alt


def power(p_a: float, diff: float, n_a: float, ratio: float, alpha: float) -> float:
    """Power of the two-sided pooled z-test to detect p_A -> p_A + diff with n_A and n_B = ratio * n_A (both tails)."""
    if diff == 0:
        return alpha
    std_null, std_alt = _std_null_alt(p_a, diff, ratio)
    crit = norm.isf(alpha / 2)
    shift = abs(diff) * math.sqrt(n_a) / std_alt
    scale = std_null / std_alt
    return norm.sf(crit * scale - shift) + norm.cdf(-crit * scale - shift)


def sample_size(p_a: float, diff: float, alpha: float, target_power: float, ratio: float) -> tuple[int, int]:
    """Users per arm (n_A, n_B) for the two-sided test to reach the power (the far tail ignored, as usual)."""
    std_null, std_alt = _std_null_alt(p_a, diff, ratio)
    n_a = ((norm.isf(alpha / 2) * std_null + norm.isf(1 - target_power) * std_alt) / diff) ** 2
    return math.ceil(n_a - 1e-9), math.ceil(ratio * n_a - 1e-9)


def minimum_detectable_effect(p_a: float, n_a: int, ratio: float, alpha: float, target_power: float) -> float | None:
    """The smallest upward lift p_B - p_A that the test detects with the power; None when none up to p_B = 1 is."""
    z_alpha, z_beta = norm.isf(alpha / 2), norm.isf(1 - target_power)

    def gap(diff: float) -> float:
        std_null, std_alt = _std_null_alt(p_a, diff, ratio)
        return diff * math.sqrt(n_a) - z_alpha * std_null - z_beta * std_alt

    top = (1 - p_a) * (1 - 1e-9)
    if gap(top) < 0:
        return None
    return brentq(gap, 1e-12, top, xtol=1e-12)


def sample_ratio_mismatch(n_a: int, n_b: int, expected_share_a: float) -> tuple[float, float]:
    """Chi-square goodness of fit of the arm sizes against the planned split: (statistic, p-value)."""
    total = n_a + n_b
    expected = (total * expected_share_a, total * (1 - expected_share_a))
    statistic = sum((observed - e) ** 2 / e for observed, e in zip((n_a, n_b), expected))
    return statistic, chi2.sf(statistic, 1)
