"""Compact views of engine reports for agents: the same models, with the bulk only charts or humans need left out.

Each view keeps its model's schema (the dropped fields are optional), so a
client validating against the tool's output schema sees no difference.
"""

from __future__ import annotations


def compact_drift(report):
    """A DriftReport without the binned distributions (chart data) and the per-column copies of the evidence;
    the report-level evidence keeps one sentence per column with method, statistic and threshold."""
    columns = [column.model_copy(update={"distribution": None, "evidence": []}) for column in report.columns]
    return report.model_copy(update={"columns": columns})
