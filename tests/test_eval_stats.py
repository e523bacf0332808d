"""Pass rates, paired differences and the seeded scenario-level bootstrap."""

from __future__ import annotations

import numpy as np

from mlproof.evals.models import AssertionResult, EpisodeResult, Transcript, Usage
from mlproof.evals.stats import comparisons, paired_difference, summarize


def episode(scenario: str, condition: str, epoch: int, passed: bool, score: float | None = None,
            tokens: tuple[int, int] = (0, 0), seconds: float = 0.0) -> EpisodeResult:
    transcript = Transcript(scenario=scenario, condition=condition, answer="a",
                            usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1]), duration_s=seconds)
    return EpisodeResult(scenario=scenario, condition=condition, epoch=epoch, passed=passed,
                         score=score if score is not None else float(passed),
                         assertions=[AssertionResult(name="x", type="mentions", passed=passed, why="w")],
                         transcript=transcript)


def test_summary_counts_rates_tokens_and_time():
    results = [episode("a", "skill", 0, True, tokens=(100, 10), seconds=2.0),
               episode("b", "skill", 0, False, score=0.5, tokens=(300, 30), seconds=4.0),
               episode("a", "baseline", 0, False)]
    s = summarize(results, "skill")
    assert (s.episodes, s.passed, s.pass_rate, s.mean_score) == (2, 1, 0.5, 0.75)
    assert (s.input_tokens, s.output_tokens, s.mean_duration_s, s.total_duration_s) == (400, 40, 3.0, 6.0)
    assert summarize(results, "skill+tools").episodes == 0


def test_all_or_nothing_difference_has_a_degenerate_interval():
    results = [episode(s, c, 0, c == "skill") for s in "abcd" for c in ("baseline", "skill")]
    diff = paired_difference(results, "baseline", "skill", resamples=500)
    assert (diff.mean_difference, diff.ci_low, diff.ci_high, diff.pairs, diff.scenarios) == (1.0, 1.0, 1.0, 4, 4)


def test_bootstrap_resamples_scenarios_with_a_seed():
    # Scenario a improves on both epochs, b on one of two, c and d not at all: per-scenario means 1, .5, 0, 0.
    rows = {"a": (1, 1), "b": (1, 0), "c": (0, 0), "d": (0, 0)}
    results = []
    for scenario, treated in rows.items():
        for epoch, t in enumerate(treated):
            results += [episode(scenario, "baseline", epoch, False), episode(scenario, "skill", epoch, bool(t))]
    first = paired_difference(results, "baseline", "skill", seed=7, resamples=4000)
    again = paired_difference(results, "baseline", "skill", seed=7, resamples=4000)
    assert first == again  # seeded: reproducible
    assert first.mean_difference == 0.375 and first.pairs == 8 and first.scenarios == 4
    # The interval is over scenario means: the lowest possible resample is all c/d (0), the highest all a (1).
    assert 0.0 <= first.ci_low < 0.375 < first.ci_high <= 1.0
    # Same computation written out with numpy, to pin the method (percentiles of resampled scenario means).
    rng = np.random.default_rng(7)
    means = np.array([1.0, 0.5, 0.0, 0.0])
    boot = means[rng.integers(0, 4, size=(4000, 4))].mean(axis=1)
    assert np.isclose(first.ci_low, np.percentile(boot, 2.5)) and np.isclose(first.ci_high, np.percentile(boot, 97.5))


def test_pairs_only_matched_episodes_and_compares_every_ordered_pair():
    results = [episode("a", "baseline", 0, False), episode("a", "skill", 0, True),
               episode("b", "skill", 0, True),  # no baseline for b: not paired
               episode("a", "skill+tools", 0, True)]
    diff = paired_difference(results, "baseline", "skill", resamples=100)
    assert diff.pairs == 1 and diff.scenarios == 1
    assert paired_difference(results, "baseline", "nothing") is None
    found = {(c.treatment, c.control, c.metric) for c in comparisons(results, ["baseline", "skill", "skill+tools"], resamples=100)}
    assert ("skill", "baseline", "pass") in found and ("skill+tools", "skill", "score") in found
    assert all(t != c for t, c, _ in found)
