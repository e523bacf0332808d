"""A two-step training pipeline with the data contract as its first step.

    python pipeline.py data/sample.csv WORKDIR

Step 1 validates the raw table and writes the validated copy (WORKDIR/validated.parquet); step 2 trains
only from that copy, so nothing downstream can read data that skipped the check. On a contract failure
the pipeline stops with exit 1 and the failure report in WORKDIR/validation-report.json, and no model
is written.
"""

import json
import sys
from pathlib import Path

import pandas as pd
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from validate import read_table, validate

FEATURES = ["tenure_months", "monthly_charges", "plan"]


def validate_step(source: Path, workdir: Path) -> Path | None:
    frame = read_table(source)
    result = validate(frame)
    (workdir / "validation-report.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if not result["valid"]:
        return None
    validated = workdir / "validated.parquet"
    frame.to_parquet(validated, index=False)
    return validated


def train_step(validated: Path, workdir: Path) -> Path:
    frame = pd.read_parquet(validated)
    encode = ColumnTransformer([("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"])], remainder="passthrough")
    model = Pipeline([("encode", encode), ("model", LogisticRegression(max_iter=1000))])
    model.fit(frame[FEATURES], frame["churned"])
    path = workdir / "model.skops"
    skops.io.dump(model, path)
    return path


def main() -> int:
    source, workdir = Path(sys.argv[1]), Path(sys.argv[2])
    workdir.mkdir(parents=True, exist_ok=True)
    validated = validate_step(source, workdir)
    if validated is None:
        print("pipeline stopped: the data does not meet the contract (see validation-report.json)", file=sys.stderr)
        return 1
    print(json.dumps({"validated": str(validated), "model": str(train_step(validated, workdir))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
