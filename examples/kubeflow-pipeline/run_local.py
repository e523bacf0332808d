"""Run the pipeline on this machine with KFP's local runner (no cluster), against a local MLflow store.

    python run_local.py WORKDIR [--min-auc 0.75]

Writes a synthetic churn CSV into WORKDIR, runs every component as a subprocess of the current Python
(`SubprocessRunner(use_venv=False)`: the packages each component pins must already be installed), and
prints one JSON line: the AUC, whether the register step ran, and the registered version.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from kfp import local

from pipeline import churn_training


def write_churn_csv(path: Path, rows: int = 800, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "tenure_months": rng.integers(0, 72, rows),
        "monthly_charges": rng.normal(70, 20, rows).clip(5).round(2),
        "plan": rng.choice(["basic", "standard", "premium"], rows),
    })
    logit = 1.2 - frame["tenure_months"] / 18 + (frame["monthly_charges"] - 70) / 20 + (frame["plan"] == "basic") * 0.8
    frame["churned"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    frame.to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir")
    parser.add_argument("--min-auc", type=float, default=0.75)
    parser.add_argument("--source-csv", default=None, help="use this CSV instead of generating one")
    args = parser.parse_args()
    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    source = Path(args.source_csv).resolve() if args.source_csv else workdir / "churn.csv"
    if not args.source_csv:
        write_churn_csv(source)
    tracking_uri = f"sqlite:///{workdir / 'mlflow.db'}"
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(workdir / "pipeline-root"),
               raise_on_error=True)
    churn_training(source_csv=str(source), tracking_uri=tracking_uri, min_auc=args.min_auc)

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    versions = client.search_model_versions("name='churn'") if client.search_registered_models() else []
    print(json.dumps({"registered_versions": sorted(v.version for v in versions),
                      "tracking_uri": tracking_uri}))


if __name__ == "__main__":
    main()
