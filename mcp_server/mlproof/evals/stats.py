"""Pass rates per condition and paired differences with a seeded bootstrap interval.

Episodes are paired by (scenario, epoch) across two conditions. Epochs of one
scenario are not independent (same prompt, same fixture), so the bootstrap
resamples scenarios, not episodes: each resample draws scenarios with
replacement and averages their per-scenario mean differences.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from pydantic import BaseModel

from mlproof.evals.models import EpisodeResult

DEFAULT_RESAMPLES = 10_000


class ConditionSummary(BaseModel):
    condition: str
    episodes: int
    passed: int
    pass_rate: float
    mean_score: float
    input_tokens: int
    output_tokens: int
    mean_duration_s: float
    total_duration_s: float
    tool_calls: int


class PairedDifference(BaseModel):
    """Condition `treatment` minus condition `control`."""

    control: str
    treatment: str
    metric: str
    pairs: int
    scenarios: int
    mean_difference: float
    ci_low: float
    ci_high: float
    resamples: int
    seed: int


def summarize(results: list[EpisodeResult], condition: str) -> ConditionSummary:
    mine = [r for r in results if r.condition == condition]
    n = len(mine)
    return ConditionSummary(
        condition=condition,
        episodes=n,
        passed=sum(r.passed for r in mine),
        pass_rate=(sum(r.passed for r in mine) / n) if n else 0.0,
        mean_score=(sum(r.score for r in mine) / n) if n else 0.0,
        input_tokens=sum(r.transcript.usage.input_tokens for r in mine),
        output_tokens=sum(r.transcript.usage.output_tokens for r in mine),
        mean_duration_s=(sum(r.transcript.duration_s for r in mine) / n) if n else 0.0,
        total_duration_s=sum(r.transcript.duration_s for r in mine),
        tool_calls=sum(len(r.transcript.tool_calls) for r in mine),
    )


def _metric(result: EpisodeResult, metric: str) -> float:
    return float(result.passed) if metric == "pass" else float(result.score)


def paired_difference(
    results: list[EpisodeResult],
    control: str,
    treatment: str,
    *,
    metric: str = "pass",
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> PairedDifference | None:
    """Mean paired difference (treatment - control) with a 95% percentile bootstrap interval; None without pairs."""
    by_key = {(r.scenario, r.epoch, r.condition): r for r in results}
    per_scenario: dict[str, list[float]] = defaultdict(list)
    for (scenario, epoch, condition), result in by_key.items():
        if condition != control:
            continue
        other = by_key.get((scenario, epoch, treatment))
        if other is not None:
            per_scenario[scenario].append(_metric(other, metric) - _metric(result, metric))
    if not per_scenario:
        return None
    scenario_means = np.array([np.mean(d) for _, d in sorted(per_scenario.items())])
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(scenario_means), size=(resamples, len(scenario_means)))
    boot = scenario_means[draws].mean(axis=1)
    low, high = np.percentile(boot, [2.5, 97.5])
    return PairedDifference(
        control=control,
        treatment=treatment,
        metric=metric,
        pairs=sum(len(d) for d in per_scenario.values()),
        scenarios=len(per_scenario),
        mean_difference=float(scenario_means.mean()),
        ci_low=float(low),
        ci_high=float(high),
        resamples=resamples,
        seed=seed,
    )


def comparisons(results: list[EpisodeResult], conditions: list[str], *, seed: int = 0, resamples: int = DEFAULT_RESAMPLES) -> list[PairedDifference]:
    """Every later condition against every earlier one, on pass and on score."""
    out = []
    for i, control in enumerate(conditions):
        for treatment in conditions[i + 1:]:
            for metric in ("pass", "score"):
                diff = paired_difference(results, control, treatment, metric=metric, seed=seed, resamples=resamples)
                if diff is not None:
                    out.append(diff)
    return out
