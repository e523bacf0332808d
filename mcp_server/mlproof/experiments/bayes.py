"""Bayesian view of a conversion test: Beta-Binomial posteriors, P(treatment beats control), expected loss.

With a Beta(a, b) prior, an arm with x conversions in n users has the
posterior Beta(a + x, b + n - x). Everything here is exact one-dimensional
integration (no sampling, so no seed): P(p_B > p_A) = integral of
f_B(x) * F_A(x) dx, and the expected loss of shipping B,
E[max(p_A - p_B, 0)], uses E[X * 1(X > Y)] = E[X] * P(X' > Y) with
X' ~ Beta(a + 1, b) (the size-biased Beta).
"""

from __future__ import annotations

from scipy.integrate import quad
from scipy.stats import beta

TAIL = 1e-12  # integrate where the densities live: between these quantiles of every Beta involved


def _prob_greater(x: tuple[float, float], y: tuple[float, float]) -> float:
    """P(X > Y) for independent X ~ Beta(*x), Y ~ Beta(*y)."""
    dist_x, dist_y = beta(*x), beta(*y)
    low = min(dist_x.ppf(TAIL), dist_y.ppf(TAIL))
    high = max(dist_x.isf(TAIL), dist_y.isf(TAIL))
    value, _ = quad(lambda p: dist_x.pdf(p) * dist_y.cdf(p), low, high, limit=200, epsabs=1e-13, epsrel=1e-10)
    return min(1.0, max(0.0, value))


def posterior(prior: tuple[float, float], conversions: int, users: int) -> tuple[float, float]:
    return prior[0] + conversions, prior[1] + users - conversions


def probability_b_beats_a(post_a: tuple[float, float], post_b: tuple[float, float]) -> float:
    return _prob_greater(post_b, post_a)


def expected_loss(post_a: tuple[float, float], post_b: tuple[float, float]) -> tuple[float, float]:
    """(E[max(p_A - p_B, 0)], E[max(p_B - p_A, 0)]): what shipping B, or keeping A, costs when it is the wrong call."""
    mean_a = post_a[0] / (post_a[0] + post_a[1])
    mean_b = post_b[0] / (post_b[0] + post_b[1])
    biased_a, biased_b = (post_a[0] + 1, post_a[1]), (post_b[0] + 1, post_b[1])
    # E[(p_A - p_B)+] = E[p_A 1(p_A > p_B)] - E[p_B 1(p_A > p_B)]
    loss_ship_b = mean_a * _prob_greater(biased_a, post_b) - mean_b * (1 - _prob_greater(biased_b, post_a))
    loss_keep_a = mean_b * _prob_greater(biased_b, post_a) - mean_a * (1 - _prob_greater(biased_a, post_b))
    return max(loss_ship_b, 0.0), max(loss_keep_a, 0.0)


def credible_interval(post: tuple[float, float], level: float) -> tuple[float, float]:
    dist = beta(*post)
    return float(dist.ppf((1 - level) / 2)), float(dist.isf((1 - level) / 2))
