"""A bare ML repository for the `mlproof add` tests: training that registers a model, a FastAPI service, data.

Nothing operational: no schedule, no canary, no prediction log, no rollback, no
champion gate. `mlproof add` has to write all of that.
"""

from __future__ import annotations

import runpy
from pathlib import Path

MODEL = "churn"

TRAIN = '''"""Train the churn model on data/reference.csv and register it in MLflow."""
import mlflow
import pandas as pd
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score


def main() -> None:
    frame = pd.read_csv("data/reference.csv")
    x, y = frame.drop(columns=["churned"]), frame["churned"]
    model = LogisticRegression(max_iter=500).fit(x, y)
    with mlflow.start_run():
        mlflow.log_metric("val_auc", roc_auc_score(y, model.predict_proba(x)[:, 1]))
        mlflow.sklearn.log_model(model, name="model", signature=infer_signature(x, model.predict(x)),
                                 registered_model_name="churn", pip_requirements=["scikit-learn"])


if __name__ == "__main__":
    main()
'''

API = '''"""Churn predictions over HTTP."""
from functools import lru_cache

import mlflow
import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel, Field

app = FastAPI(title="churn")


class Customer(BaseModel):
    tenure_months: int = Field(ge=0)
    monthly_charges: float = Field(ge=0)
    support_calls: int = Field(ge=0)


@lru_cache(maxsize=1)
def model():
    return mlflow.pyfunc.load_model("models:/churn@champion")


@app.post("/predict")
def predict(customer: Customer) -> dict:
    frame = pd.DataFrame([customer.model_dump()])
    return {"prediction": int(model().predict(frame)[0])}
'''

CI = '''name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: python -m pytest -q
'''


def _frame(rows: int, seed: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"tenure_months": rng.integers(0, 72, rows), "monthly_charges": rng.normal(70, 20, rows).round(2),
                          "support_calls": rng.integers(0, 8, rows)})
    frame["churned"] = ((frame["support_calls"] > 4) | (frame["tenure_months"] < 6)).astype(int)
    return frame


def write_bare_repo(root: Path) -> Path:
    files = {
        "requirements.txt": "mlflow>=3.4\nscikit-learn>=1.4\nfastapi>=0.110\npandas>=2\n",
        "README.md": "# churn\n\nTrain with `python train.py`; serve with `uvicorn service.api:app`.\n",
        "train.py": TRAIN,
        "service/__init__.py": "",
        "service/api.py": API,
        ".github/workflows/ci.yml": CI,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "data").mkdir(exist_ok=True)
    _frame(300, 1).to_csv(root / "data" / "reference.csv", index=False)
    current = _frame(200, 2).drop(columns=["churned"])
    current["monthly_charges"] = current["monthly_charges"] + 15  # prices went up: drift the job should see
    current.to_csv(root / "data" / "current.csv", index=False)
    return root


def train(repo: Path, tracking_uri: str, times: int = 2) -> None:
    """Run the repository's own train.py (in this process, with MLflow pointed at `tracking_uri`)."""
    import os

    from mlproof.tracking.seed import _fluent_uri

    cwd = os.getcwd()
    os.chdir(repo)
    try:
        with _fluent_uri(tracking_uri):
            for _ in range(times):
                runpy.run_path(str(repo / "train.py"), run_name="__main__")
    finally:
        os.chdir(cwd)
