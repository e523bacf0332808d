"""Train a churn classifier, log it with its signature, register a version and point an alias at it.

    python train.py --model-name churn --C 1.0 --alias challenger

The tracking store comes from MLFLOW_TRACKING_URI (e.g. sqlite:///mlflow.db). Prints one JSON line:
run id, registered version, validation AUC.
"""

from __future__ import annotations

import argparse
import json

import mlflow
import sklearn
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from data import FEATURES, TARGET, churn_table


def build_pipeline(c: float) -> Pipeline:
    encode = ColumnTransformer([("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"])], remainder="passthrough")
    return Pipeline([("encode", encode), ("model", LogisticRegression(C=c, max_iter=1000))])


def train(model_name: str, c: float, alias: str, seed: int = 7) -> dict:
    frame = churn_table(seed=seed)
    train_x, valid_x, train_y, valid_y = train_test_split(
        frame[FEATURES], frame[TARGET], test_size=0.25, random_state=seed, stratify=frame[TARGET])
    mlflow.set_experiment(model_name)
    with mlflow.start_run() as run:
        mlflow.log_params({"C": c, "seed": seed})
        mlflow.log_input(mlflow.data.from_pandas(frame, name="churn-synthetic", targets=TARGET), context="training")
        pipeline = build_pipeline(c).fit(train_x, train_y)
        probabilities = pipeline.predict_proba(valid_x)
        auc = roc_auc_score(valid_y, probabilities[:, 1])
        mlflow.log_metric("val_auc", auc)
        info = mlflow.sklearn.log_model(
            sk_model=pipeline,
            name="model",
            signature=infer_signature(valid_x, probabilities),  # inputs by column name, outputs = probabilities
            input_example=valid_x.head(3),
            registered_model_name=model_name,
            pyfunc_predict_fn="predict_proba",  # the pyfunc (and `mlflow models serve`) returns probabilities
            pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
        )
    version = str(info.registered_model_version)
    MlflowClient().set_registered_model_alias(model_name, alias, version)
    return {"run_id": run.info.run_id, "version": version, "alias": alias, "val_auc": round(auc, 4)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-name", default="churn")
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--alias", default="challenger")
    args = parser.parse_args()
    print(json.dumps(train(args.model_name, args.C, args.alias)))
