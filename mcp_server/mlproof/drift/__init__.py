"""Data drift: exact two-sample statistics, Evidently-compatible defaults, bounded memory.

    from mlproof.drift import drift_report
    report = drift_report("reference.parquet", "current.parquet")
    report.dataset_drift, report.to_markdown(), report.to_html(), report.model_dump()

See references/drift-engine.md for the statistics, defaults and where they differ from Evidently.
"""

from mlproof.drift.engine import EXACT_MAX_ROWS, drift_report
from mlproof.drift.models import ColumnDrift, DriftReport

__all__ = ["drift_report", "DriftReport", "ColumnDrift", "EXACT_MAX_ROWS"]
