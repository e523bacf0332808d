"""Churn training as a Kubeflow Pipelines (KFP v2) pipeline: validate data -> train -> evaluate ->
register only if the model clears the bar (dsl.If).

    python pipeline.py churn-pipeline.yaml      # compile to the IR YAML that KFP (or Vertex AI) runs

Each step is a lightweight Python component: KFP ships the function's source to a container built
from `base_image` and installs `packages_to_install` there, so imports live inside the functions.
Artifacts (Dataset, Model, Metrics) flow between steps as files the platform stores and versions;
small values (the AUC) flow as parameters.
"""

import sys

# No `from __future__ import annotations` here: KFP reads the type hints at run time to build the
# component interfaces, and string annotations would hide them.
from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output

BASE_IMAGE = "python:3.11-slim"
# Pinned like the training environment, so the pipeline's containers run what the tests ran.
DATA_PACKAGES = ["pandas==2.3.3", "pyarrow==25.0.1", "pandera==0.35.0"]
TRAIN_PACKAGES = ["pandas==2.3.3", "pyarrow==25.0.1", "scikit-learn==1.9.1", "skops==0.16.0"]
REGISTER_PACKAGES = [*TRAIN_PACKAGES, "mlflow==3.17.2"]


@dsl.component(base_image=BASE_IMAGE, packages_to_install=DATA_PACKAGES)
def validate_data(source_csv: str, validated: Output[Dataset]) -> int:
    """Fail the run on a schema violation; otherwise write the validated rows as Parquet."""
    import pandas as pd
    import pandera.pandas as pa

    schema = pa.DataFrameSchema(
        {
            "tenure_months": pa.Column(int, pa.Check.in_range(0, 600)),
            "monthly_charges": pa.Column(float, pa.Check.ge(0)),
            "plan": pa.Column(str, pa.Check.isin(["basic", "standard", "premium"])),
            "churned": pa.Column(int, pa.Check.isin([0, 1])),
        },
        strict=True,
    )
    frame = schema.validate(pd.read_csv(source_csv), lazy=True)  # lazy: report every failure at once
    frame.to_parquet(validated.path)
    return len(frame)


@dsl.component(base_image=BASE_IMAGE, packages_to_install=TRAIN_PACKAGES)
def train(validated: Input[Dataset], model: Output[Model], regularisation: float = 1.0, seed: int = 7) -> None:
    import pandas as pd
    import skops.io
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = pd.read_parquet(validated.path)
    train_rows, _ = train_test_split(frame, test_size=0.25, random_state=seed, stratify=frame["churned"])
    pipeline = Pipeline([
        ("encode", ColumnTransformer([("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"])], remainder="passthrough")),
        ("model", LogisticRegression(C=regularisation, max_iter=1000)),
    ]).fit(train_rows.drop(columns="churned"), train_rows["churned"])
    skops.io.dump(pipeline, model.path)  # skops, not pickle: loading it cannot run arbitrary code
    model.metadata.update({"framework": "scikit-learn", "regularisation": regularisation, "seed": seed})


@dsl.component(base_image=BASE_IMAGE, packages_to_install=TRAIN_PACKAGES)
def evaluate(validated: Input[Dataset], model: Input[Model], metrics: Output[Metrics], seed: int = 7) -> float:
    """Validation AUC on the rows `train` held out (same split, same seed)."""
    import pandas as pd
    import skops.io
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    frame = pd.read_parquet(validated.path)
    _, valid_rows = train_test_split(frame, test_size=0.25, random_state=seed, stratify=frame["churned"])
    pipeline = skops.io.load(model.path, trusted=skops.io.get_untrusted_types(file=model.path))
    auc = float(roc_auc_score(valid_rows["churned"], pipeline.predict_proba(valid_rows.drop(columns="churned"))[:, 1]))
    metrics.log_metric("val_auc", auc)
    return auc


@dsl.component(base_image=BASE_IMAGE, packages_to_install=REGISTER_PACKAGES)
def register(model: Input[Model], validated: Input[Dataset], val_auc: float, tracking_uri: str, model_name: str) -> str:
    """Log the model to MLflow with a signature, register a version and point @challenger at it."""
    import mlflow
    import pandas as pd
    import skops.io
    from mlflow import MlflowClient
    from mlflow.models import infer_signature

    pipeline = skops.io.load(model.path, trusted=skops.io.get_untrusted_types(file=model.path))
    sample = pd.read_parquet(validated.path).drop(columns="churned").head(50)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(model_name)
    with mlflow.start_run():
        mlflow.log_metric("val_auc", val_auc)
        mlflow.set_tag("orchestrator", "kubeflow-pipelines")
        info = mlflow.sklearn.log_model(
            sk_model=pipeline, name="model", signature=infer_signature(sample, pipeline.predict_proba(sample)),
            registered_model_name=model_name, pyfunc_predict_fn="predict_proba",
            pip_requirements=["scikit-learn==1.9.1"],
        )
    version = str(info.registered_model_version)
    MlflowClient(tracking_uri).set_registered_model_alias(model_name, "challenger", version)
    return version


@dsl.pipeline(name="churn-training", description="validate -> train -> evaluate -> register if good enough")
def churn_training(source_csv: str, tracking_uri: str, model_name: str = "churn", min_auc: float = 0.75,
                   regularisation: float = 1.0):
    checked = validate_data(source_csv=source_csv)
    trained = train(validated=checked.outputs["validated"], regularisation=regularisation)
    scored = evaluate(validated=checked.outputs["validated"], model=trained.outputs["model"])
    with dsl.If(scored.outputs["Output"] >= min_auc, name="good-enough"):
        register(model=trained.outputs["model"], validated=checked.outputs["validated"],
                 val_auc=scored.outputs["Output"], tracking_uri=tracking_uri, model_name=model_name)


if __name__ == "__main__":
    compiler.Compiler().compile(churn_training, sys.argv[1] if len(sys.argv) > 1 else "churn-pipeline.yaml")
