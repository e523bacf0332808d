"""`ab_test`: analyse or plan an A/B test, every number with its method.

    ab_test(control={"conversions": 1500, "users": 15000}, treatment={"conversions": 1680, "users": 15000})
    ab_test(control={"mean": 10.2, "sd": 4.1, "n": 5000}, treatment={...})          # continuous metric
    ab_test(data="results.csv", group_column="variant", value_column="revenue")     # one row per user
    ab_test(baseline=0.10, target_lift=0.01, looks=5)                               # plan a test

The statistics live in proportions.py, means.py, sequential.py and bayes.py;
this module checks the inputs, picks what applies and writes the verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from mlproof.errors import MlproofError
from mlproof.experiments import bayes, means, proportions, sequential
from mlproof.experiments.inputs import ContinuousArm, ConversionArm, arm, fractions, number, probability, shown, whole
from mlproof.experiments.models import (
    ABReport,
    Arm,
    BayesianResult,
    Estimate,
    PowerAnalysis,
    SampleRatioCheck,
    SampleSizePlan,
    SequentialDesign,
    SequentialLook,
    TestResult,
)

SRM_THRESHOLD = 0.001  # the usual bar: a split this unlikely under the plan means assignment is broken
SMALL_EXPECTED_COUNT = 5

PEEKING = (
    "A fixed-horizon p-value is valid for one analysis at a sample size fixed in advance. Looking repeatedly and "
    "stopping at the first p < alpha inflates false positives (with 20 looks, to roughly 3-5 times alpha). Either "
    "fix the sample size first and analyse once, or plan K looks and at look k compare |z| with that look's "
    "O'Brien-Fleming bound (looks=K, look=k), which keeps the overall false-positive rate at alpha. The Bayesian "
    "probability does not license peeking either: fix the stopping rule (e.g. expected loss below a threshold) "
    "before the test starts."
)

CONVERSION_TEST = "two-proportion z-test, pooled variance, two-sided"
CHI_SQUARE = "Pearson chi-square on the 2x2 table, no continuity correction (equals z squared)"
NEWCOMBE = "Newcombe hybrid score interval (Wilson intervals of each arm combined)"
KATZ = "delta method on log(p_treatment / p_control) (Katz log interval), minus 1"
CONVERSION_POWER = "normal approximation, pooled variance under H0 and unpooled under H1, two-sided"
WELCH = "Welch's t-test (unequal variances, Welch-Satterthwaite df), two-sided"
WELCH_CI = "t interval with Welch-Satterthwaite df"
DELTA_MEANS = "delta method (normal) on mean_treatment / mean_control, minus 1"
CONTINUOUS_POWER = "noncentral t with Welch-Satterthwaite df, two-sided"
SEQUENTIAL = ("group-sequential, Lan-DeMets alpha spending of O'Brien-Fleming type, two-sided symmetric efficacy "
              "bounds, no futility bound; crossing probabilities by recursive numerical integration")
BAYES = "Beta-Binomial conjugate posteriors; probability and expected loss by exact numerical integration"


def _percent(value: float, digits: int = 2) -> str:
    return f"{value * 100:.{digits}f}%"


def _points(value: float) -> str:
    return f"{value * 100:+.2f} pt"


def _settings(alpha, power, ratio, prior, expected_split):
    alpha = probability(alpha, "alpha", high=0.5)
    power = probability(power, "power")
    if power <= alpha:
        raise MlproofError(f"power ({power:g}) must be larger than alpha ({alpha:g}).")
    ratio = number(ratio, "ratio")
    if not 0.01 <= ratio <= 100:
        raise MlproofError(f"ratio (treatment users per control user) must be between 0.01 and 100, got {ratio:g}.")
    if not isinstance(prior, (list, tuple)) or len(prior) != 2:
        raise MlproofError(f"prior must be two numbers (a, b) of a Beta prior, got {shown(prior)}.")
    prior = tuple(number(p, "Each prior parameter") for p in prior)
    if min(prior) <= 0:
        raise MlproofError("Both Beta prior parameters must be positive.")
    expected_split = probability(expected_split, "expected_split (the planned share of control users)")
    return alpha, power, ratio, prior, expected_split


def ab_test(
    control: Mapping | None = None,
    treatment: Mapping | None = None,
    *,
    data: str | Path | None = None,
    group_column: str | None = None,
    value_column: str | None = None,
    control_group: str | None = None,
    baseline: float | Mapping | None = None,
    metric: Literal["conversion", "continuous"] | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    target_lift: float | None = None,
    lift_type: Literal["absolute", "relative"] = "absolute",
    ratio: float = 1.0,
    looks: int | None = None,
    look: int | None = None,
    information_fractions: list[float] | None = None,
    prior: tuple[float, float] = (1.0, 1.0),
    expected_split: float = 0.5,
) -> ABReport:
    """Analyse observed arms (or a data file), or plan a test from a baseline; see the module docstring."""
    alpha, power, ratio, prior, expected_split = _settings(alpha, power, ratio, prior, expected_split)
    if metric not in (None, "conversion", "continuous"):
        raise MlproofError(f"metric must be 'conversion' or 'continuous', got {shown(metric)}.")
    if lift_type not in ("absolute", "relative"):
        raise MlproofError(f"lift_type must be 'absolute' or 'relative', got {shown(lift_type)}.")
    if target_lift is not None:
        target_lift = number(target_lift, "target_lift")
        if target_lift == 0:
            raise MlproofError("target_lift must not be 0; give the smallest lift worth detecting.")
    design = _design(looks, look, information_fractions)
    notes: list[str] = []
    source = None
    labels = (None, None)

    given_arms = control is not None or treatment is not None
    if sum([data is not None, given_arms, baseline is not None]) != 1:
        raise MlproofError("Give exactly one of: the two arms (control and treatment), a data file, or a baseline to plan a test.")
    if baseline is not None:
        if design is not None and design[1] is not None:
            raise MlproofError("look applies to observed data; a plan takes looks alone.")
        return _plan(baseline, metric, alpha, power, target_lift, lift_type, ratio, design, notes)
    if data is not None:
        from mlproof.experiments.data import arms_from_file
        from mlproof.drift.readers import check_path

        path = check_path(data)
        read = arms_from_file(path, group_column, value_column, control_group, metric)
        arm_a, arm_b, source, labels = read.control, read.treatment, str(data), (read.control_label, read.treatment_label)
        notes.append(read.note)
    else:
        if control is None or treatment is None:
            raise MlproofError("Give both arms: control and treatment.")
        arm_a, arm_b = arm(control, "control"), arm(treatment, "treatment")
        if type(arm_a) is not type(arm_b):
            raise MlproofError("Both arms must use the same metric: conversions and users, or mean, sd and n.")
        kind = "conversion" if isinstance(arm_a, ConversionArm) else "continuous"
        if metric is not None and metric != kind:
            raise MlproofError(f"metric={metric} does not match the arms, which describe a {kind} metric.")
    if design is not None and design[1] is None:
        raise MlproofError(f"Say which of the {len(design[0])} looks this analysis is (look=1..{len(design[0])}).")
    if isinstance(arm_a, ConversionArm):
        report = _conversion(arm_a, arm_b, alpha, power, target_lift, lift_type, ratio, design, prior, notes)
    else:
        report = _continuous(arm_a, arm_b, alpha, power, target_lift, lift_type, ratio, design, notes)
    report.source = source
    for item, label in zip(report.arms, labels):
        item.label = label
    report.sample_ratio = _srm(report.arms[0].users, report.arms[1].users, expected_split)
    if report.sample_ratio.mismatch:
        report.verdict = (f"Sample ratio mismatch (p = {report.sample_ratio.p_value:.2g} < {SRM_THRESHOLD}): the split "
                          "is not the planned one, so assignment or logging is broken; do not trust the result below "
                          "until it is explained. " + report.verdict)
    return report


def _design(looks, look, given_fractions):
    if looks is None:
        if look is not None or given_fractions is not None:
            raise MlproofError("look and information_fractions need looks (the planned number of analyses).")
        return None
    looks = whole(looks, "looks", minimum=1)
    planned = fractions(looks, given_fractions)
    if look is not None:
        look = whole(look, "look", minimum=1)
        if look > looks:
            raise MlproofError(f"look {look} is past the {looks} planned looks.")
    return planned, look


def _sequential(planned: list[float], alpha: float, power: float, current: int | None, z: float | None) -> SequentialDesign:
    bounds = sequential.efficacy_bounds(planned, alpha)
    rows = []
    for k, (t, c) in enumerate(zip(planned, bounds), start=1):
        rows.append(SequentialLook(look=k, information_fraction=t, z_bound=c, nominal_p_value=2 * _norm_sf(c),
                                   cumulative_alpha=sequential.obrien_fleming_spending(t, alpha)))
    result = SequentialDesign(method=SEQUENTIAL, alpha=alpha, looks=rows,
                              inflation_factor=sequential.inflation_factor(planned, bounds, alpha, power))
    if current is not None and z is not None:
        bound = bounds[current - 1]
        result.current_look, result.z_observed, result.crossed = current, z, abs(z) >= bound
        direction = "better" if z > 0 else "worse"
        if result.crossed:
            result.decision = (f"Stop: |z| = {abs(z):.3f} reached the look-{current} bound {bound:.3f}; "
                               f"the treatment is {direction} than the control.")
        elif current < len(bounds):
            result.decision = (f"Continue to look {current + 1}: |z| = {abs(z):.3f} is below the look-{current} bound "
                               f"{bound:.3f}. Do not stop on the fixed-horizon p-value.")
        else:
            result.decision = (f"Final look: |z| = {abs(z):.3f} is below the bound {bound:.3f}; no significant "
                               "difference at the planned alpha.")
    return result


def _norm_sf(x: float) -> float:
    from scipy.stats import norm

    return float(norm.sf(x))


def _srm(n_a: int, n_b: int, expected_split: float) -> SampleRatioCheck:
    statistic, p_value = proportions.sample_ratio_mismatch(n_a, n_b, expected_split)
    return SampleRatioCheck(expected_share_control=expected_split, observed_share_control=n_a / (n_a + n_b),
                            statistic=statistic, p_value=p_value, threshold=SRM_THRESHOLD, mismatch=p_value < SRM_THRESHOLD,
                            method="chi-square goodness of fit of the arm sizes against the planned split, 1 df")


# -- conversion ----------------------------------------------------------------

def _conversion_lift(p_a: float, target_lift: float, lift_type: str) -> float:
    diff = target_lift * p_a if lift_type == "relative" else target_lift
    if not 0 < p_a + diff < 1:
        raise MlproofError(f"A lift of {diff:+g} from a rate of {p_a:g} leaves the range 0-1.")
    return diff


def _conversion_plan_rows(p_a, diff, alpha, power, ratio, seq: SequentialDesign | None) -> SampleSizePlan:
    n_a, n_b = proportions.sample_size(p_a, diff, alpha, power, ratio)
    plan = SampleSizePlan(baseline=p_a, target_lift_absolute=diff, target_lift_relative=diff / p_a, alpha=alpha,
                          power=power, ratio=ratio, users_control=n_a, users_treatment=n_b, users_total=n_a + n_b,
                          method=CONVERSION_POWER + "; users rounded up")
    return _with_sequential_maximum(plan, seq)


def _with_sequential_maximum(plan: SampleSizePlan, seq: SequentialDesign | None) -> SampleSizePlan:
    """The planned looks need more users at most: the fixed sample times the inflation factor."""
    if seq is not None and seq.inflation_factor is not None:
        plan.sequential_users_control = math.ceil(plan.users_control * seq.inflation_factor - 1e-9)
        plan.sequential_users_treatment = math.ceil(plan.users_treatment * seq.inflation_factor - 1e-9)
    return plan


def _conversion(a: ConversionArm, b: ConversionArm, alpha, power, target_lift, lift_type, ratio, design, prior, notes) -> ABReport:
    total = a.conversions + b.conversions
    if total == 0:
        raise MlproofError("No user converted in either arm, so the two rates cannot be compared yet.")
    if total == a.users + b.users:
        raise MlproofError("Every user converted in both arms, so the two rates cannot be compared.")
    z, p_value = proportions.z_test(a.conversions, a.users, b.conversions, b.users)
    chi, chi_p = proportions.chi_square(a.conversions, a.users, b.conversions, b.users)
    tests = [TestResult(name="z-test", statistic=z, p_value=p_value, method=CONVERSION_TEST),
             TestResult(name="chi-square", statistic=chi, p_value=chi_p, df=1, method=CHI_SQUARE)]
    expected_min = min(n * c / (a.users + b.users) for n in (a.users, b.users) for c in (total, a.users + b.users - total))
    if expected_min < SMALL_EXPECTED_COUNT:
        from scipy.stats import fisher_exact

        odds, fisher_p = fisher_exact([[b.conversions, b.users - b.conversions], [a.conversions, a.users - a.conversions]])
        tests.append(TestResult(name="Fisher exact", statistic=float(odds) if math.isfinite(odds) else None,
                                p_value=float(fisher_p), method="Fisher's exact test on the 2x2 table, two-sided; statistic = sample odds ratio"))
        notes.append(f"An expected cell count is below {SMALL_EXPECTED_COUNT}: the normal approximations are rough; "
                     "read Fisher's exact p-value.")
    confidence = 1 - alpha
    diff = b.rate - a.rate
    low, high = proportions.newcombe_interval(a.conversions, a.users, b.conversions, b.users, alpha)
    absolute = Estimate(value=diff, ci_low=low, ci_high=high, confidence=confidence, method=NEWCOMBE)
    relative = None
    if a.conversions > 0:
        interval = proportions.relative_interval(a.conversions, a.users, b.conversions, b.users, alpha)
        relative = Estimate(value=b.rate / a.rate - 1, ci_low=interval[0] if interval else None,
                            ci_high=interval[1] if interval else None, confidence=confidence, method=KATZ)
        if interval is None:
            notes.append("The treatment has no conversion, so the relative lift has no interval.")
    else:
        notes.append("The control has no conversion, so the relative lift is undefined.")
    observed_ratio = b.users / a.users
    if not 0 < a.rate < 1:
        raise MlproofError(f"The control rate is {a.rate:g}; power and MDE need a control rate strictly between 0 and 1.")
    analysis = PowerAnalysis(alpha=alpha, power=power, method=CONVERSION_POWER,
                             observed_power=proportions.power(a.rate, diff, a.users, observed_ratio, alpha) if 0 < b.rate < 1 else None)
    mde = proportions.minimum_detectable_effect(a.rate, a.users, observed_ratio, alpha, power)
    analysis.mde_absolute, analysis.mde_relative = mde, (mde / a.rate if mde is not None else None)
    plan = None
    seq = None
    if design is not None:
        seq = _sequential(design[0], alpha, power, design[1], z)
    if target_lift is not None:
        target = _conversion_lift(a.rate, target_lift, lift_type)
        analysis.target_lift = target
        analysis.power_at_target = proportions.power(a.rate, target, a.users, observed_ratio, alpha)
        plan = _conversion_plan_rows(a.rate, target, alpha, power, ratio, seq)
    post_a, post_b = bayes.posterior(prior, a.conversions, a.users), bayes.posterior(prior, b.conversions, b.users)
    loss_ship, loss_keep = bayes.expected_loss(post_a, post_b)
    posterior = BayesianResult(
        prior=prior, posterior_control=post_a, posterior_treatment=post_b,
        credible_control=bayes.credible_interval(post_a, confidence), credible_treatment=bayes.credible_interval(post_b, confidence),
        credible_level=confidence, probability_treatment_better=bayes.probability_b_beats_a(post_a, post_b),
        expected_loss_ship_treatment=loss_ship, expected_loss_keep_control=loss_keep, method=BAYES,
    )
    significant = _significant(p_value, alpha, seq, notes)
    verdict = _conversion_verdict(a, b, absolute, z, p_value, alpha, significant, analysis, posterior, seq)
    return ABReport(kind="conversion", metric="conversion", verdict=verdict, alpha=alpha,
                    arms=[Arm(name="control", users=a.users, conversions=a.conversions, rate=a.rate),
                          Arm(name="treatment", users=b.users, conversions=b.conversions, rate=b.rate)],
                    significant=significant, tests=tests, absolute_lift=absolute, relative_lift=relative, power=analysis,
                    sample_size=plan, sequential=seq, bayesian=posterior, peeking=PEEKING, notes=notes)


def _significant(p_value: float, alpha: float, seq: SequentialDesign | None, notes: list[str]) -> bool:
    """Fixed horizon: p < alpha. With looks: whether |z| reached the current look's bound."""
    if seq is None or seq.crossed is None:
        return p_value < alpha
    notes.append("With looks, significance is decided by the look's bound, not by p < alpha; the intervals shown are "
                 "fixed-horizon intervals, biased away from 0 after an early stop.")
    return seq.crossed


def _conversion_verdict(a, b, absolute, z, p_value, alpha, significant, analysis, posterior, seq) -> str:
    rates = f"{_percent(a.rate)} control vs {_percent(b.rate)} treatment"
    lift = (f"{_points(absolute.value)} ({int(round(absolute.confidence * 100))}% CI {_points(absolute.ci_low)} to "
            f"{_points(absolute.ci_high)}, Newcombe)")
    if seq is not None and seq.decision:
        return (f"Sequential look {seq.current_look} of {len(seq.looks)}: {seq.decision} {rates}, {lift}, "
                f"fixed-horizon p = {p_value:.3g} (not the decision rule here). Bayesian: P(treatment better) = "
                f"{posterior.probability_treatment_better:.4f}.")
    if significant:
        direction = "better" if absolute.value > 0 else "worse"
        head = f"The treatment converts {direction}: {rates}, {lift}; z = {z:.2f}, p = {p_value:.3g} < alpha = {alpha:g}."
    else:
        mde = (f" These sample sizes detect an absolute lift of {_points(analysis.mde_absolute)} or more with "
               f"{analysis.power:.0%} power." if analysis.mde_absolute is not None else "")
        head = f"No significant difference: {rates}, {lift}; z = {z:.2f}, p = {p_value:.3g} >= alpha = {alpha:g}.{mde}"
    bayes_text = (f" Bayesian (Beta{posterior.prior} prior): P(treatment better) = {posterior.probability_treatment_better:.4f}, "
                  f"expected loss if shipped = {posterior.expected_loss_ship_treatment:.2g}.")
    return head + bayes_text


# -- continuous ----------------------------------------------------------------

def _continuous_lift(mean_a: float, target_lift: float, lift_type: str) -> float:
    if lift_type == "relative":
        if mean_a == 0:
            raise MlproofError("A relative lift needs a control mean other than 0.")
        return target_lift * abs(mean_a)
    return target_lift


def _continuous(a: ContinuousArm, b: ContinuousArm, alpha, power, target_lift, lift_type, ratio, design, notes) -> ABReport:
    statistic, df, p_value, se, (low, high) = means.welch_test(a.mean, a.sd, a.n, b.mean, b.sd, b.n, alpha)
    confidence = 1 - alpha
    diff = b.mean - a.mean
    absolute = Estimate(value=diff, ci_low=low, ci_high=high, confidence=confidence, method=WELCH_CI)
    relative = None
    if a.mean != 0:
        r_low, r_high = means.relative_interval(a.mean, a.sd, a.n, b.mean, b.sd, b.n, alpha)
        relative = Estimate(value=b.mean / a.mean - 1, ci_low=r_low, ci_high=r_high, confidence=confidence, method=DELTA_MEANS)
    else:
        notes.append("The control mean is 0, so the relative lift is undefined.")
    analysis = PowerAnalysis(alpha=alpha, power=power, method=CONTINUOUS_POWER,
                             observed_power=means.power(diff, a.sd, a.n, b.sd, b.n, alpha))
    mde = means.minimum_detectable_effect(a.sd, a.n, b.sd, b.n, alpha, power)
    analysis.mde_absolute = mde
    analysis.mde_relative = mde / abs(a.mean) if a.mean != 0 else None
    seq = None
    if design is not None:
        seq = _sequential(design[0], alpha, power, design[1], statistic)
        notes.append("The sequential bounds are on the z scale; the Welch t statistic is compared with them as a z "
                     f"(fine with {df:.0f} degrees of freedom; rough below about 30).")
    plan = None
    if target_lift is not None:
        target = _continuous_lift(a.mean, target_lift, lift_type)
        analysis.target_lift = target
        analysis.power_at_target = means.power(target, a.sd, a.n, b.sd, b.n, alpha)
        plan = _continuous_plan_rows(a.mean, a.sd, b.sd, target, alpha, power, ratio, seq)
    notes.append("No Bayesian view for a continuous metric; the probability to beat control is computed for conversions.")
    significant = _significant(p_value, alpha, seq, notes)
    interval = f"{diff:+.4g} ({int(round(confidence * 100))}% CI {low:+.4g} to {high:+.4g})"
    means_text = f"mean {a.mean:.4g} control vs {b.mean:.4g} treatment"
    if seq is not None and seq.decision:
        verdict = (f"Sequential look {seq.current_look} of {len(seq.looks)}: {seq.decision} {means_text}, difference "
                   f"{interval}, fixed-horizon p = {p_value:.3g} (not the decision rule here).")
    elif significant:
        direction = "higher" if diff > 0 else "lower"
        verdict = (f"The treatment's mean is {direction}: {means_text}, difference {interval}; Welch t = {statistic:.2f}, "
                   f"df = {df:.1f}, p = {p_value:.3g} < alpha = {alpha:g}.")
    else:
        verdict = (f"No significant difference: {means_text}, difference {interval}; Welch t = {statistic:.2f}, "
                   f"df = {df:.1f}, p = {p_value:.3g} >= alpha = {alpha:g}. These sample sizes detect a difference of "
                   f"{mde:.4g} or more with {power:.0%} power.")
    return ABReport(kind="continuous", metric="continuous", verdict=verdict, alpha=alpha,
                    arms=[Arm(name="control", users=a.n, mean=a.mean, sd=a.sd), Arm(name="treatment", users=b.n, mean=b.mean, sd=b.sd)],
                    significant=significant,
                    tests=[TestResult(name="Welch t-test", statistic=statistic, p_value=p_value, df=df, method=WELCH)],
                    absolute_lift=absolute, relative_lift=relative, power=analysis, sample_size=plan, sequential=seq,
                    peeking=PEEKING, notes=notes)


def _continuous_plan_rows(mean_a, sd_a, sd_b, diff, alpha, power, ratio, seq) -> SampleSizePlan:
    n_a, n_b = means.sample_size(diff, sd_a, sd_b, alpha, power, ratio)
    plan = SampleSizePlan(baseline=mean_a, sd_control=sd_a, sd_treatment=sd_b, target_lift_absolute=diff,
                          target_lift_relative=diff / abs(mean_a) if mean_a else None, alpha=alpha, power=power,
                          ratio=ratio, users_control=n_a, users_treatment=n_b, users_total=n_a + n_b,
                          method=CONTINUOUS_POWER + "; smallest n reaching the power")
    return _with_sequential_maximum(plan, seq)


# -- plan --------------------------------------------------------------------------

def _plan(baseline, metric, alpha, power, target_lift, lift_type, ratio, design, notes) -> ABReport:
    if target_lift is None:
        raise MlproofError("A plan needs target_lift: the smallest lift worth detecting.")
    seq = _sequential(design[0], alpha, power, None, None) if design is not None else None
    if isinstance(baseline, Mapping):
        if set(baseline) != {"mean", "sd"}:
            raise MlproofError(f"A continuous baseline is {{mean, sd}}, got the keys {shown(sorted(baseline), 60)}.")
        if metric == "conversion":
            raise MlproofError("metric=conversion takes a baseline rate, not a mean and sd.")
        mean = number(baseline["mean"], "The baseline mean")
        sd = number(baseline["sd"], "The baseline sd")
        if sd <= 0:
            raise MlproofError(f"The baseline sd must be positive, got {sd:g}.")
        diff = _continuous_lift(mean, target_lift, lift_type)
        plan = _continuous_plan_rows(mean, sd, sd, diff, alpha, power, ratio, seq)
        what = f"a difference of {diff:+.4g} in the mean (baseline {mean:.4g}, sd {sd:.4g})"
        kind = "continuous"
    else:
        if metric == "continuous":
            raise MlproofError("metric=continuous takes a baseline {mean, sd}, not a rate.")
        rate = probability(baseline, "The baseline conversion rate")
        diff = _conversion_lift(rate, target_lift, lift_type)
        plan = _conversion_plan_rows(rate, diff, alpha, power, ratio, seq)
        what = f"{_percent(rate)} -> {_percent(rate + diff)} ({_points(diff)}, {diff / rate:+.1%} relative)"
        kind = "conversion"
    verdict = (f"To detect {what} with {power:.0%} power at alpha = {alpha:g} (two-sided), plan {plan.users_control:,} "
               f"control and {plan.users_treatment:,} treatment users ({plan.users_total:,} in total), then analyse once.")
    if seq is not None:
        verdict += (f" With {len(seq.looks)} planned looks (O'Brien-Fleming bounds below), plan up to "
                    f"{plan.sequential_users_control:,} and {plan.sequential_users_treatment:,} users "
                    f"(x{seq.inflation_factor:.3f}) and stop early only when |z| reaches a look's bound.")
    return ABReport(kind="plan", metric=kind, verdict=verdict, alpha=alpha, sample_size=plan, sequential=seq,
                    peeking=PEEKING, notes=notes)
