"""The A/B test report as pydantic models (the JSON output of `mlproof ab` and the `ab_test` tool result)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = "1.0"


class Arm(BaseModel):
    """One arm's data: counts for a conversion metric, summary statistics for a continuous one."""

    name: Literal["control", "treatment"]
    label: str | None = Field(None, description="The group's name in the data file, when read from one.")
    users: int = Field(description="Users (units of randomization) in the arm.")
    conversions: int | None = None
    rate: float | None = Field(None, description="conversions / users.")
    mean: float | None = None
    sd: float | None = Field(None, description="Sample standard deviation (n - 1 denominator).")


class Estimate(BaseModel):
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    confidence: float = Field(description="Confidence level of the interval, 1 - alpha.")
    method: str


class TestResult(BaseModel):
    name: str
    statistic: float | None = Field(description="The test statistic (None for an infinite odds ratio).")
    p_value: float
    df: float | None = Field(None, description="Degrees of freedom, for chi-square and t statistics.")
    method: str


class PowerAnalysis(BaseModel):
    alpha: float
    power: float = Field(description="The power the minimum detectable effect is computed for.")
    observed_power: float | None = Field(None, description="Power against the observed lift (restates the p-value; read the MDE instead).")
    target_lift: float | None = Field(None, description="Absolute lift the caller cares about, if given.")
    power_at_target: float | None = Field(None, description="Power of these sample sizes against target_lift.")
    mde_absolute: float | None = Field(None, description="Smallest upward lift detectable with these sample sizes and the power.")
    mde_relative: float | None = None
    method: str


class SampleSizePlan(BaseModel):
    baseline: float = Field(description="Control conversion rate, or control mean for a continuous metric.")
    sd_control: float | None = None
    sd_treatment: float | None = None
    target_lift_absolute: float
    target_lift_relative: float | None
    alpha: float
    power: float
    ratio: float = Field(description="Treatment users per control user.")
    users_control: int
    users_treatment: int
    users_total: int
    method: str
    sequential_users_control: int | None = Field(None, description="Maximum per arm for the sequential design (fixed size x inflation factor).")
    sequential_users_treatment: int | None = None


class SequentialLook(BaseModel):
    look: int
    information_fraction: float
    z_bound: float = Field(description="Stop for efficacy when |z| >= this bound at this look.")
    nominal_p_value: float = Field(description="Two-sided p-value threshold equivalent to the bound.")
    cumulative_alpha: float = Field(description="Type I error spent up to this look.")


class SequentialDesign(BaseModel):
    method: str
    alpha: float
    looks: list[SequentialLook]
    inflation_factor: float | None = Field(None, description="Maximum sample over the fixed-horizon sample at the same power.")
    current_look: int | None = None
    z_observed: float | None = None
    crossed: bool | None = Field(None, description="Whether |z| reached the bound of the current look.")
    decision: str | None = None


class BayesianResult(BaseModel):
    prior: tuple[float, float] = Field(description="Beta(a, b) prior on each arm's conversion rate.")
    posterior_control: tuple[float, float]
    posterior_treatment: tuple[float, float]
    credible_control: tuple[float, float]
    credible_treatment: tuple[float, float]
    credible_level: float
    probability_treatment_better: float
    expected_loss_ship_treatment: float = Field(description="E[max(p_control - p_treatment, 0)]: absolute rate lost if treatment is shipped and is worse.")
    expected_loss_keep_control: float = Field(description="E[max(p_treatment - p_control, 0)]: absolute rate forgone if control is kept and is worse.")
    method: str


class SampleRatioCheck(BaseModel):
    expected_share_control: float
    observed_share_control: float
    statistic: float
    p_value: float
    threshold: float = Field(description="A p-value below this flags a sample ratio mismatch.")
    mismatch: bool
    method: str


class ABReport(BaseModel):
    schema_version: str = SCHEMA_VERSION
    tool: str = "mlproof"
    kind: Literal["conversion", "continuous", "plan"]
    metric: Literal["conversion", "continuous"]
    verdict: str
    alpha: float
    source: str | None = Field(None, description="The data file the arms were computed from, if any.")
    arms: list[Arm] = Field(default_factory=list)
    significant: bool | None = Field(None, description="Equality rejected: p < alpha, or with looks |z| at or past the "
                                                       "current look's bound (None for a plan).")
    tests: list[TestResult] = Field(default_factory=list)
    absolute_lift: Estimate | None = None
    relative_lift: Estimate | None = None
    power: PowerAnalysis | None = None
    sample_size: SampleSizePlan | None = None
    sequential: SequentialDesign | None = None
    bayesian: BayesianResult | None = None
    sample_ratio: SampleRatioCheck | None = None
    peeking: str
    notes: list[str] = Field(default_factory=list)

    def to_markdown(self) -> str:
        from mlproof.experiments.render import markdown

        return markdown(self)
