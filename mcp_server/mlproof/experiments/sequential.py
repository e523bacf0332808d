"""Group-sequential design: O'Brien-Fleming-type efficacy bounds from the Lan-DeMets alpha spending function.

With K planned looks at information fractions t_1 < ... < t_K = 1, each side
of the two-sided test spends alpha_s(t) = 2 - 2 * Phi(z_{1 - alpha_s/2} / sqrt(t))
of its share alpha_s = alpha / 2 by look k (the convention of gsDesign's sfLDOF,
rpact's asOF and ldbounds, so the bounds match their tables). Bound c_k is the
value for which P(|Z_j| < c_j for j < k and |Z_k| >= c_k) is what look k may
spend under H0. The crossing probabilities come from the recursive numerical
integration of Armitage, McPherson and Rowe (1969) on the score scale
S_k = Z_k * sqrt(t_k), whose increments are independent normals. Only efficacy
bounds (no futility bound); symmetric, two-sided.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

MAX_LOOKS = 20
MIN_STEP = 0.01  # smallest information increment between two looks
POINTS_PER_SD = 6  # grid spacing against the sd of the next increment; bounds are stable to 1e-5 from 4 up


def obrien_fleming_spending(t: float, alpha: float) -> float:
    """Cumulative two-sided alpha spent by information fraction t (Lan-DeMets, O'Brien-Fleming type, per side)."""
    per_side = alpha / 2
    return 2 * (2 * norm.sf(norm.isf(per_side / 2) / math.sqrt(t)))


def _grid(bound_s: float, next_step: float | None, this_step: float) -> np.ndarray:
    """An odd number of points on [-bound_s, bound_s], dense enough for the increments on either side."""
    sd = math.sqrt(min(this_step, next_step or this_step))
    points = math.ceil(2 * bound_s * POINTS_PER_SD / sd)
    points = min(3001, max(101, points + (points % 2 == 0)))
    return np.linspace(-bound_s, bound_s, points)


def _simpson(grid: np.ndarray) -> np.ndarray:
    weights = np.ones(len(grid))
    weights[1:-1:2], weights[2:-1:2] = 4, 2
    return weights * (grid[-1] - grid[0]) / (3 * (len(grid) - 1))


class _Looks:
    """Information fractions with the crossing arithmetic on their continuation regions."""

    def __init__(self, fractions: list[float], drift: float):
        self.t = fractions
        self.drift = drift  # E[Z_k] = drift * sqrt(t_k); 0 under H0
        self.grid: np.ndarray | None = None
        self.mass: np.ndarray | None = None  # continuation density times Simpson weights

    def step(self, k: int) -> float:
        return self.t[k] - (self.t[k - 1] if k else 0.0)

    def next_step(self, k: int) -> float | None:
        return self.step(k + 1) if k + 1 < len(self.t) else None

    def crossing(self, k: int, bound_z: float) -> float:
        """P(no stop before look k, |Z_k| >= bound_z)."""
        bound_s, sd = bound_z * math.sqrt(self.t[k]), math.sqrt(self.step(k))
        if k == 0:
            mean = self.drift * self.t[0]
            return float(norm.sf((bound_s - mean) / sd) + norm.cdf((-bound_s - mean) / sd))
        mean = self.grid + self.drift * self.step(k)
        return float(np.dot(self.mass, norm.sf((bound_s - mean) / sd) + norm.cdf((-bound_s - mean) / sd)))

    def advance(self, k: int, bound_z: float) -> None:
        """Move the continuation density to look k, cut at its bound."""
        bound_s, sd = bound_z * math.sqrt(self.t[k]), math.sqrt(self.step(k))
        grid = _grid(bound_s, self.next_step(k), self.step(k))
        if k == 0:
            density = norm.pdf(grid, loc=self.drift * self.t[0], scale=sd)
        else:
            kernel = norm.pdf(grid[:, None], loc=self.grid[None, :] + self.drift * self.step(k), scale=sd)
            density = kernel @ self.mass
        self.grid, self.mass = grid, density * _simpson(grid)


def efficacy_bounds(fractions: list[float], alpha: float) -> list[float]:
    """Two-sided z bounds c_1..c_K for the looks at `fractions` (increasing, the last one 1)."""
    looks = _Looks(fractions, 0.0)
    spent_before, bounds = 0.0, []
    for k, t in enumerate(fractions):
        spent = obrien_fleming_spending(t, alpha)
        target = spent - spent_before
        if k == 0:
            bound = norm.isf(target / 2)
        else:
            bound = brentq(lambda c: looks.crossing(k, c) - target, 0.1, 40.0, xtol=1e-10)
        bounds.append(bound)
        looks.advance(k, bound)
        spent_before = spent
    return bounds


def stopping_probabilities(fractions: list[float], bounds: list[float], drift: float) -> list[float]:
    """P(stop at look k) for each k when E[Z_k] = drift * sqrt(t_k)."""
    looks = _Looks(fractions, drift)
    probabilities = []
    for k, bound in enumerate(bounds):
        probabilities.append(looks.crossing(k, bound))
        if k + 1 < len(bounds):
            looks.advance(k, bound)
    return probabilities


def inflation_factor(fractions: list[float], bounds: list[float], alpha: float, target_power: float) -> float:
    """Maximum sample size of the sequential design over the fixed-horizon sample size, at equal power."""
    fixed_drift = norm.isf(alpha / 2) + norm.isf(1 - target_power)
    drift = brentq(lambda d: sum(stopping_probabilities(fractions, bounds, d)) - target_power,
                   fixed_drift * 0.9, fixed_drift * 1.6, xtol=1e-9)
    return (drift / fixed_drift) ** 2
