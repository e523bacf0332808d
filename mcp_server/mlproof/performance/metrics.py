"""Model quality on labelled rows, and the one-sided test that says whether a window fell below the band.

Every metric is a pure function of numpy arrays. The degradation tests ask,
for one window: is the metric significantly worse than `bound` (the champion's
offline value moved by the tolerance)? One-sided, at level alpha:
- accuracy: exact binomial test of the correct count against `bound`;
- AUC: normal test with the Hanley-McNeil (1982) standard error;
- log-loss, MAE: one-sample t-test that the mean per-row loss exceeds `bound`;
- RMSE: the same t-test on squared errors against `bound` squared.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import binomtest, norm, rankdata, ttest_1samp

HIGHER_IS_BETTER = {"accuracy": True, "auc": True, "log_loss": False, "rmse": False, "mae": False}
CLASSIFICATION = ("accuracy", "auc", "log_loss")
REGRESSION = ("rmse", "mae")
EPS = 1e-15  # log-loss clips probabilities to [EPS, 1 - EPS], as scikit-learn does

TEST_METHODS = {
    "accuracy": "exact one-sided binomial test of the correct count",
    "auc": "one-sided normal test with the Hanley-McNeil standard error",
    "log_loss": "one-sided one-sample t-test on per-row log-loss",
    "mae": "one-sided one-sample t-test on per-row absolute error",
    "rmse": "one-sided one-sample t-test on per-row squared error against the squared bound",
}


def accuracy(correct: np.ndarray) -> float:
    return float(correct.mean())


def auc(positive: np.ndarray, score: np.ndarray) -> float | None:
    """ROC AUC by the Mann-Whitney rank sum (ties count half); None unless both classes are present."""
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def log_loss_rows(positive: np.ndarray, probability: np.ndarray) -> np.ndarray:
    p = np.clip(probability, EPS, 1 - EPS)
    return -(positive * np.log(p) + (~positive) * np.log(1 - p))


def hanley_mcneil_se(value: float, n_pos: int, n_neg: int) -> float:
    q1 = value / (2 - value)
    q2 = 2 * value * value / (1 + value)
    variance = (value * (1 - value) + (n_pos - 1) * (q1 - value * value) + (n_neg - 1) * (q2 - value * value)) / (n_pos * n_neg)
    return math.sqrt(max(variance, 0.0))


def worse_than(metric: str, bound: float, *, correct=None, positive=None, score=None, losses=None) -> float | None:
    """One-sided p-value for "the true metric is worse than bound"; None when the test cannot run."""
    if metric == "accuracy":
        n = int(correct.size)
        if not 0 < bound < 1:
            return 1.0 if bound <= 0 else 0.0
        return float(binomtest(int(correct.sum()), n, bound, alternative="less").pvalue)
    if metric == "auc":
        value = auc(positive, score)
        if value is None:
            return None
        n_pos = int(positive.sum())
        se = hanley_mcneil_se(value, n_pos, positive.size - n_pos)
        if se == 0:
            return 0.0 if value < bound else 1.0
        return float(norm.cdf((value - bound) / se))
    target = bound * bound if metric == "rmse" else bound
    if losses.size < 2 or np.all(losses == losses[0]):
        return 0.0 if losses.mean() > target else 1.0
    return float(ttest_1samp(losses, target, alternative="greater").pvalue)
