"""Batch scoring: every Parquet file in a folder, scored with models:/NAME@champion, predictions written
next to the inputs' keys and logged in the prediction-log schema.

    python batch_score.py INPUT_DIR OUTPUT_DIR --model-name churn [--id-column customer_id]

The alias is resolved once per job, to a version number, and the job loads that exact version: every
row of one run is scored by one model, and the output and the log name it. Prints one JSON line.
Exit 2 on bad input (no Parquet files, missing columns).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import mlflow
import pandas as pd
import pyarrow.dataset as ds
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from prediction_log import PredictionLog, record


def resolve(model_name: str, alias: str) -> str:
    return str(MlflowClient().get_model_version_by_alias(model_name, alias).version)


def score_folder(input_dir: Path, output_dir: Path, model_name: str, alias: str = "champion",
                 id_column: str = "customer_id", batch_rows: int = 500) -> dict:
    files = sorted(input_dir.glob("*.parquet"))
    if not files:
        raise ValueError(f"no .parquet files in '{str(input_dir)[:80]}'.")
    version = resolve(model_name, alias)
    model = mlflow.pyfunc.load_model(f"models:/{model_name}/{version}")
    inputs = [column.name for column in model.metadata.get_input_schema().inputs]
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    missing = {id_column, *inputs} - set(dataset.schema.names)
    if missing:
        raise ValueError(f"the input files lack columns {sorted(missing)}.")
    output_dir.mkdir(parents=True, exist_ok=True)
    log = PredictionLog(output_dir / "predictions.jsonl")
    scored = []
    # Bounded memory: read and score in batches, whatever the folder's size.
    for batch in dataset.to_batches(columns=[id_column, *inputs], batch_size=batch_rows):
        frame = batch.to_pandas()
        started = time.perf_counter()
        probabilities = model.predict(frame[inputs])[:, 1]  # logged with pyfunc_predict_fn="predict_proba"
        per_row_ms = (time.perf_counter() - started) * 1000 / len(frame)
        features = frame[inputs].to_dict("records")
        log.write([record(f"batch-{key}", model_name, version, row, float(p), per_row_ms)
                   for key, row, p in zip(frame[id_column], features, probabilities)])
        scored.append(pd.DataFrame({id_column: frame[id_column], "churn_probability": probabilities,
                                    "model_name": model_name, "model_version": version}))
    result = pd.concat(scored, ignore_index=True)
    result.to_parquet(output_dir / "scores.parquet", index=False)
    return {"model_version": version, "rows": len(result), "files": len(files),
            "scores": str(output_dir / "scores.parquet"), "log": str(log.path)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input_dir", type=Path)
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--model-name", default="churn")
    parser.add_argument("--alias", default="champion")
    parser.add_argument("--id-column", default="customer_id")
    args = parser.parse_args()
    try:
        print(json.dumps(score_folder(args.input_dir, args.output_dir, args.model_name, args.alias, args.id_column)))
    except (ValueError, MlflowException) as exc:
        print(f"error: {str(exc).splitlines()[0][:200]}", file=sys.stderr)
        sys.exit(2)
