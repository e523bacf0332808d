"""Data drift: exact two-sample statistics, Evidently-compatible defaults, bounded memory.

    from mlproof.drift import drift_report
    report = drift_report("reference.parquet", "current.parquet")
    report.dataset_drift, report.to_markdown(), report.to_html(), report.model_dump()

See references/drift-engine.md for the statistics, defaults and where they differ from Evidently.
"""

import importlib

# The engine pulls in numpy and pyarrow; the names load on first use so that
# `mlproof --help` and the MCP server's start-up never pay for them.
_EXPORTS = {
    "drift_report": "mlproof.drift.engine",
    "EXACT_MAX_ROWS": "mlproof.drift.engine",
    "DriftReport": "mlproof.drift.models",
    "ColumnDrift": "mlproof.drift.models",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'mlproof.drift' has no attribute {name!r}")
