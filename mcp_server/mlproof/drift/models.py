"""The drift report: per-column results and the dataset verdict (pydantic, JSON via model_dump)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from mlproof.evidence import Evidence

SCHEMA_VERSION = "1"


class MissingCounts(BaseModel):
    """Values excluded from the test, by cause."""

    null: int = 0
    nan: int = 0
    inf: int = 0
    total: int = 0


class Distribution(BaseModel):
    """Binned reference and current counts over the same bins, ready for a chart."""

    kind: Literal["histogram", "categories"]
    labels: list[str]
    reference: list[int]
    current: list[int]
    edges: list[float] | None = Field(None, description="Histogram edges (len(labels)+1 when closed, len(labels)-1 when open_ends).")
    open_ends: bool = Field(False, description="First and last bins reach -inf/+inf.")
    other_categories: int = Field(0, description="Categories folded into the last '(other)' bin to keep the chart readable.")


class Approximation(BaseModel):
    """Bounds of a statistic computed from a fine histogram instead of the raw samples."""

    method: str
    bins: int
    statistic_low: float
    statistic_high: float
    p_value_low: float | None = None
    p_value_high: float | None = None
    decision_certain: bool = Field(description="False when the threshold falls inside the bounds.")


class ColumnDrift(BaseModel):
    """One column's drift result (or why it was not tested)."""

    column: str
    column_type: Literal["numerical", "categorical", "text", "datetime", "unknown"]
    type_source: Literal["inferred", "override"] = "inferred"
    type_reason: str = ""
    status: Literal["tested", "skipped"]
    method: str | None = None
    method_label: str | None = None
    method_reason: str | None = None
    statistic_name: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    threshold: float | None = None
    drift_rule: str | None = None
    drifted: bool | None = None
    reference_rows: int = 0
    current_rows: int = 0
    reference_values: int = Field(0, description="Rows used after excluding missing values.")
    current_values: int = 0
    reference_missing: MissingCounts = Field(default_factory=MissingCounts)
    current_missing: MissingCounts = Field(default_factory=MissingCounts)
    distribution: Distribution | None = None
    approximation: Approximation | None = None
    notes: list[str] = Field(default_factory=list)
    message: str | None = Field(None, description="Why the column was skipped, or a caveat about its result.")
    evidence: list[Evidence] = Field(default_factory=list)


class DatasetInfo(BaseModel):
    source: str
    rows: int
    columns: int


class SchemaDiff(BaseModel):
    missing_in_current: list[str] = Field(default_factory=list)
    extra_in_current: list[str] = Field(default_factory=list)
    dtype_mismatches: list[str] = Field(default_factory=list, description="'column: reference type vs current type'.")


class DriftReport(BaseModel):
    """Per-column drift results and the dataset verdict."""

    schema_version: str = SCHEMA_VERSION
    reference: DatasetInfo
    current: DatasetInfo
    schema_diff: SchemaDiff = Field(default_factory=SchemaDiff)
    columns: list[ColumnDrift]
    drift_share: float = Field(description="Dataset drift when at least this share of tested columns drift.")
    drifted_columns: int
    tested_columns: int
    skipped_columns: int
    share_drifted: float
    dataset_drift: bool
    engine: Literal["exact", "streaming", "spark"] = "exact"
    js_log_base: str = "e (natural log), as scipy.spatial.distance.jensenshannon's default"
    psi_empty_bin_share: float
    verdict: str
    evidence: list[Evidence] = Field(default_factory=list)

    def column(self, name: str) -> ColumnDrift:
        for result in self.columns:
            if result.column == name:
                return result
        raise KeyError(name)

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)

    def to_markdown(self) -> str:
        from mlproof.drift.render import render_markdown

        return render_markdown(self)

    def to_html(self) -> str:
        from mlproof.drift.render import render_html

        return render_html(self)
