"""Validate a table against the churn data contract; the step a pipeline and a CI job both run.

    python validate.py data/sample.csv [--report validation-report.json]

Exit 0 when the table meets the contract, 1 when it does not (every failure is listed: pandera runs
lazily, so one run shows all of them), 2 when the file cannot be read. The JSON report says which
column and check failed, on which rows, with which values.
"""

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
import pandera.errors

from schema import ChurnTrainingData

MAX_LISTED_FAILURES = 50


def read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path)


def validate(frame: pd.DataFrame) -> dict:
    """The contract's verdict on one table, with the failure cases as evidence."""
    try:
        ChurnTrainingData.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        failures = [
            {"column": None if pd.isna(row.column) else str(row.column), "check": str(row.check),
             "row": None if pd.isna(row.index) else int(row.index),
             "value": None if pd.isna(row.failure_case) else str(row.failure_case)}
            for row in cases.head(MAX_LISTED_FAILURES).itertuples()
        ]
        return {"valid": False, "rows": len(frame), "failure_count": len(cases),
                "failed_checks": sorted({f"{f['column']}: {f['check']}" for f in failures}), "failures": failures}
    return {"valid": True, "rows": len(frame), "contract": ChurnTrainingData.__name__,
            "columns": list(ChurnTrainingData.to_schema().columns)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args()
    try:
        frame = read_table(args.data)
    except (OSError, ValueError) as exc:
        print(f"error: {str(args.data)[:80]} could not be read ({type(exc).__name__}).", file=sys.stderr)
        return 2
    result = validate(frame)
    text = json.dumps(result, indent=2)
    if args.report:
        args.report.write_text(text + "\n", encoding="utf-8")
    print(text)
    if not result["valid"]:
        print(f"INVALID: {result['failure_count']} failure(s): {'; '.join(result['failed_checks'])}", file=sys.stderr)
    return 0 if result["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
