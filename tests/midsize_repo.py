"""A generated mid-size ML repository (about 300 files) for output-size tests.

It mixes what real projects have: a package of feature, training and serving
modules, tests, CI, a Dockerfile, configs, docs and notebooks, so that most
audit checks find something (pass or partial) and the rest fail.
"""

from __future__ import annotations

import json
from pathlib import Path

TRAIN = '''import mlflow
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier

from {pkg}.features.f{i:02d} import build_features


def train(path: str, seed: int = 7) -> str:
    frame = build_features(pd.read_parquet(path))
    mlflow.set_experiment("{pkg}-{i}")
    with mlflow.start_run() as run:
        model = GradientBoostingClassifier(random_state=seed).fit(frame.drop(columns="y"), frame["y"])
        mlflow.log_params({{"seed": seed, "n_estimators": model.n_estimators}})
        mlflow.log_metric("val_auc", 0.8)
        mlflow.sklearn.log_model(model, name="model", registered_model_name="{pkg}-{i}")
    return run.info.run_id
'''

FEATURE = '''import pandas as pd


def build_features(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["ratio_{i}"] = frame["a"] / (frame["b"] + 1)
    frame["log_{i}"] = (frame["c"] + 1).apply(lambda v: v ** 0.5)
    return frame
'''

TEST = '''from {pkg}.features.f{i:02d} import build_features
import pandas as pd


def test_build_features_{i}():
    frame = pd.DataFrame({{"a": [1, 2], "b": [1, 1], "c": [0, 3]}})
    out = build_features(frame)
    assert "ratio_{i}" in out and len(out) == 2
'''

SERVE = '''from fastapi import FastAPI
from pydantic import BaseModel
import mlflow

app = FastAPI()
model = mlflow.pyfunc.load_model("models:/{pkg}-0@champion")


class Request(BaseModel):
    a: float
    b: float
    c: float


@app.post("/predict")
def predict(request: Request) -> dict:
    return {{"score": float(model.predict([request.model_dump()])[0])}}
'''

CI = '''name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {python-version: "3.11"}
      - run: pip install -r requirements.txt
      - run: pytest -q
'''


def make_midsize_repo(root: Path, pkg: str = "ranker", modules: int = 60) -> Path:
    src = root / "src" / pkg
    (src / "features").mkdir(parents=True)
    (src / "training").mkdir()
    (root / "tests").mkdir()
    (root / "docs").mkdir()
    (root / "configs").mkdir()
    (root / "notebooks").mkdir()
    (root / ".github" / "workflows").mkdir(parents=True)
    for folder in (src, src / "features", src / "training"):
        (folder / "__init__.py").write_text("")
    for i in range(modules):
        (src / "features" / f"f{i:02d}.py").write_text(FEATURE.format(i=i))
        (src / "training" / f"train_{i:02d}.py").write_text(TRAIN.format(pkg=pkg, i=i))
        (root / "tests" / f"test_f{i:02d}.py").write_text(TEST.format(pkg=pkg, i=i))
        (root / "configs" / f"model_{i:02d}.yaml").write_text(f"model:\n  n_estimators: {100 + i}\n  max_depth: 3\nseed: 7\n")
        (root / "docs" / f"model_{i:02d}.md").write_text(f"# Model {i}\n\nTrained weekly; metrics tracked in MLflow.\n")
    (src / "serve.py").write_text(SERVE.format(pkg=pkg))
    for i in range(3):
        cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                  "source": ["import pandas as pd\n", f"frame = pd.read_csv('data/sample_{i}.csv')\n", "frame.describe()\n"]}]
        (root / "notebooks" / f"explore_{i}.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    (root / ".github" / "workflows" / "ci.yml").write_text(CI)
    (root / "Dockerfile").write_text("FROM python:3.11-slim\nCOPY . /app\nRUN pip install -r /app/requirements.txt\n"
                                     "CMD [\"uvicorn\", \"ranker.serve:app\"]\n")
    (root / "requirements.txt").write_text("mlflow==3.1.1\npandas==2.2.2\nscikit-learn==1.5.0\nfastapi==0.111.0\n")
    (root / "README.md").write_text(f"# {pkg}\n\nSixty ranking models trained from `src/{pkg}/training`.\n")
    return root
