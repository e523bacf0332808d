"""The model performance report (JSON output of `mlproof performance` and the `model_performance` tool)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from mlproof.evidence import Evidence

SCHEMA_VERSION = "1.0"
Status = Literal["degraded", "ok", "insufficient_labels", "not_compared"]


class QualityRow(BaseModel):
    """Quality of one time window or one segment."""

    key: str = Field(description="Window start (ISO 8601, UTC) or segment value.")
    window_end: str | None = None
    predictions: int
    labelled: int
    coverage: float = Field(description="labelled / predictions.")
    metrics: dict[str, float | None] = Field(description="Every metric the task allows; None where it cannot be computed.")
    judged: bool = Field(description="Enough labels (min_labels) to test against the baseline.")
    p_value: float | None = Field(None, description="One-sided p-value of 'worse than the bound'.")
    degraded: bool | None = None


class Baseline(BaseModel):
    metric: str
    value: float
    source: str = Field(description="'given', or the MLflow run / model version it was read from.")
    evidence: Evidence | None = None
    tolerance: float = Field(description="Relative tolerance: the band is value x (1 - tolerance) for higher-is-better metrics, x (1 + tolerance) otherwise.")
    bound: float
    higher_is_better: bool


class LabelDelay(BaseModel):
    rows: int = Field(description="Joined rows with labelled_at.")
    median_hours: float
    p90_hours: float
    max_hours: float
    negative: int = Field(description="Labels timestamped before their prediction (clock or join problems).")


class Counts(BaseModel):
    predictions: int = Field(description="Distinct request ids in the prediction log.")
    duplicate_predictions: int = Field(description="Repeated request ids (the first one is kept).")
    labels: int = Field(description="Distinct request ids in the labels.")
    duplicate_labels: int = Field(description="Repeated label request ids (the latest labelled_at, else the last row, is kept).")
    joined: int
    orphan_labels: int = Field(description="Labels whose request id is not in the prediction log.")
    coverage: float = Field(description="joined / predictions.")


class PerformanceReport(BaseModel):
    schema_version: str = SCHEMA_VERSION
    tool: str = "mlproof"
    predictions_path: str
    labels_path: str
    task: Literal["classification", "regression"]
    task_reason: str
    positive_label: str | None = Field(None, description="The positive class for AUC and log-loss (binary classification).")
    metric: str = Field(description="The primary metric compared with the baseline.")
    status: Status
    verdict: str
    method: str = Field(description="How a window or segment is judged degraded.")
    alpha: float
    min_labels: int
    window: str
    counts: Counts
    label_delay: LabelDelay | None = None
    overall: QualityRow
    windows: list[QualityRow]
    windows_omitted: int = Field(0, description="Windows left out of this view (compact output keeps degraded and recent ones).")
    segment_by: str | None = None
    segments: list[QualityRow] = Field(default_factory=list)
    segments_omitted: int = 0
    baseline: Baseline | None = None
    degraded_windows: list[str] = Field(default_factory=list)
    degraded_segments: list[str] = Field(default_factory=list)
    model_versions: dict[str, int] = Field(default_factory=dict, description="Predictions per model_version.")
    schema_gaps: list[str] = Field(default_factory=list, description="Fields of the prediction-log schema this log lacks.")
    notes: list[str] = Field(default_factory=list)

    def compact(self, recent: int = 12, segments: int = 20) -> "PerformanceReport":
        """The same report with only the degraded windows and the most recent ones, and the largest segments."""
        keep = {row.key for row in self.windows[-recent:]} | set(self.degraded_windows)
        windows = [row for row in self.windows if row.key in keep]
        by_size = sorted(self.segments, key=lambda row: -row.predictions)
        kept_segments = {row.key for row in by_size[:segments]} | set(self.degraded_segments)
        shown = [row for row in self.segments if row.key in kept_segments]
        return self.model_copy(update={
            "windows": windows, "windows_omitted": self.windows_omitted + len(self.windows) - len(windows),
            "segments": shown, "segments_omitted": self.segments_omitted + len(self.segments) - len(shown),
        })

    def to_markdown(self) -> str:
        from mlproof.performance.render import markdown

        return markdown(self)
