"""Fill an MLflow store with real, deterministic training runs.

Used by `mlproof demo`, the tests and the eval harness, so that every MLflow
query and registry check runs against facts a real training job produced:
scikit-learn classifiers trained on the example project's churn data (or on
the breast-cancer set bundled with scikit-learn: no download), with params, metric histories, dataset inputs,
signatures, input examples, a git commit tag, registered versions and the
`champion` / `challenger` aliases.

A second registered model, `legacy-scorer`, is deliberately logged the old
way (no signature, no dataset, no description, a deprecated stage instead of an
alias) so that registry hygiene has something true to report.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from mlproof.errors import MlproofError
from mlproof.tracking.connection import open_client, resolve_tracking_uri, shown, sqlite_path
from mlproof.tracking.models import ShownUri

DEMO_EXPERIMENT = "churn-demo"
LEGACY_EXPERIMENT = "legacy-notebooks"
DEMO_MODEL = "churn-classifier"
LEGACY_MODEL = "legacy-scorer"
SEED_TAG = "mlproof.seed"
PROJECT_ROOT = Path(__file__).resolve().parents[3]
# The bundled example project's training data (present in a source checkout).
CHURN_CSV = PROJECT_ROOT / "evals" / "fixtures" / "churn-model" / "data" / "reference.csv"
RANDOM_STATE = 42

# (run name, estimator factory name, params) — data, so the demo is easy to extend.
DEMO_RUNS: list[tuple[str, str, dict]] = [
    ("logreg-c1", "logistic_regression", {"C": 1.0, "max_iter": 500}),
    ("logreg-c0.05", "logistic_regression", {"C": 0.05, "max_iter": 500}),
    ("gbm-60", "gradient_boosting", {"n_estimators": 60, "max_depth": 2, "learning_rate": 0.1}),
]
# Registered versions, in order: run name -> alias it ends up with.
DEMO_VERSIONS: list[tuple[str, str | None]] = [
    ("logreg-c0.05", None),          # version 1: the previous champion, kept for rollback
    ("logreg-c1", "champion"),       # version 2
    ("gbm-60", "challenger"),        # version 3
]


class SeedSummary(BaseModel):
    tracking_uri: ShownUri
    experiment_id: str
    model: str
    run_ids: dict[str, str] = Field(description="run name -> run id")
    versions: dict[str, str] = Field(description="version -> run name")
    aliases: dict[str, str] = Field(description="alias -> version")
    legacy_model: str
    git_commit: str | None
    already_seeded: bool = False

    def to_markdown(self) -> str:
        lines = [
            f"Seeded `{self.tracking_uri}`" + (" (already seeded; nothing written)" if self.already_seeded else ""),
            f"- experiment {DEMO_EXPERIMENT} (id {self.experiment_id}), runs: "
            + ", ".join(f"{name}={rid}" for name, rid in self.run_ids.items()),
            f"- model `{self.model}` versions: " + ", ".join(f"v{v}<-{n}" for v, n in self.versions.items()),
            "- aliases: " + ", ".join(f"@{a}=v{v}" for a, v in self.aliases.items()),
            f"- `{self.legacy_model}`: logged without signature, dataset or alias (a hygiene counter-example)",
            f"- git commit tag: {self.git_commit or 'none (not a git checkout)'}",
        ]
        return "\n".join(lines)


def current_git_commit(repo: Path = PROJECT_ROOT) -> str | None:
    """HEAD of the given checkout, or None when it is not a git repository."""
    from mlproof.repo.git import run_git

    out = run_git(repo, "rev-parse", "HEAD", timeout=10)
    if out is None:
        return None
    commit = out.stdout.decode("ascii", "replace").strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def _make_estimator(kind: str, params: dict, categorical: list[str]):
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if kind == "logistic_regression":
        model = LogisticRegression(random_state=RANDOM_STATE, **params)
        numeric = StandardScaler()
    elif kind == "gradient_boosting":
        model = GradientBoostingClassifier(random_state=RANDOM_STATE, **params)
        numeric = "passthrough"
    else:
        raise ValueError(f"unknown estimator kind {kind}")
    encode = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), categorical), remainder=numeric)
    return make_pipeline(encode, model)


@dataclass
class TrainingData:
    name: str  # dataset name prefix in MLflow
    source: str  # where the rows came from (logged as the dataset source)
    train: object  # pandas.DataFrame with a `target` column
    valid: object
    categorical: list[str]

    @property
    def features(self) -> list[str]:
        return [c for c in self.train.columns if c != "target"]


def _split(frame, name: str, source: str, categorical: list[str]) -> TrainingData:
    from sklearn.model_selection import train_test_split

    train, valid = train_test_split(frame, test_size=0.25, random_state=RANDOM_STATE, stratify=frame["target"])
    return TrainingData(name, source, train.reset_index(drop=True), valid.reset_index(drop=True), categorical)


def _load_data(dataset: str) -> TrainingData:
    """`churn`: the bundled example project's reference data; `breast_cancer`: scikit-learn's bundled set."""
    import pandas as pd

    if dataset == "auto":
        dataset = "churn" if CHURN_CSV.is_file() else "breast_cancer"
    if dataset == "churn":
        if not CHURN_CSV.is_file():
            raise MlproofError(f"The churn example data {CHURN_CSV} is missing; seed with dataset='breast_cancer'.")
        frame = pd.read_csv(CHURN_CSV).drop(columns=["customer_id"]).rename(columns={"churned": "target"})
        categorical = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        return _split(frame, "churn", CHURN_CSV.relative_to(PROJECT_ROOT).as_posix(), categorical)
    if dataset == "breast_cancer":
        from sklearn.datasets import load_breast_cancer

        frame = load_breast_cancer(as_frame=True).frame.rename(columns=lambda c: c.replace(" ", "_"))
        return _split(frame, "breast-cancer", "sklearn.datasets.load_breast_cancer", [])
    raise MlproofError(f"Unknown demo dataset {dataset!r}; use 'auto', 'churn' or 'breast_cancer'.")


@contextlib.contextmanager
def _quiet_loggers(*names: str) -> Iterator[None]:
    """Hide MLflow's INFO/WARNING chatter (pickle advice, registration waits) while seeding."""
    import logging

    import mlflow  # noqa: F401 - importing mlflow configures its loggers; quiet them afterwards

    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


@contextlib.contextmanager
def _fluent_uri(uri: str) -> Iterator[None]:
    """Point MLflow's fluent API at `uri` for the duration, then restore it exactly.

    mlflow.set_tracking_uri / set_registry_uri / set_experiment also write
    MLFLOW_TRACKING_URI, MLFLOW_REGISTRY_URI and MLFLOW_EXPERIMENT_ID into the
    environment; leaving them behind would silently
    redirect every later call in this process (the MCP server, the tests).
    """
    import os

    import mlflow
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    saved_tracking, saved_registry = tracking_utils._tracking_uri, registry_utils._registry_uri
    from mlflow.tracking import fluent

    saved_experiment = fluent._active_experiment_id
    saved_env = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME")}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run("FAILED")
        mlflow.set_tracking_uri(saved_tracking)
        registry_utils._registry_uri = saved_registry
        fluent._active_experiment_id = saved_experiment
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _log_training_run(name: str, kind: str, params: dict, data: TrainingData, git_commit: str | None) -> str:
    """Train one model and log everything a reviewer would ask for; return the run id."""
    import mlflow
    import mlflow.sklearn
    import numpy as np
    import sklearn
    from mlflow.models import infer_signature
    from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

    train, valid, features = data.train, data.valid, data.features
    model = _make_estimator(kind, params, data.categorical)
    model.fit(train[features], train["target"])
    proba = model.predict_proba(valid[features])[:, 1]
    predicted = (proba >= 0.5).astype(int)

    tags = {SEED_TAG: "demo", "mlflow.source.name": "mlproof/tracking/seed.py", "estimator": kind}
    if git_commit:
        tags["mlflow.source.git.commit"] = git_commit
    with mlflow.start_run(run_name=name, tags=tags) as run:
        mlflow.log_params({"estimator": kind, "random_state": RANDOM_STATE, **params})
        mlflow.log_input(mlflow.data.from_pandas(train, source=data.source, name=f"{data.name}-train", targets="target"), context="training")
        mlflow.log_input(mlflow.data.from_pandas(valid, source=data.source, name=f"{data.name}-valid", targets="target"), context="validation")
        # A real metric history: validation log loss after each boosting stage (or once for linear models).
        estimator = model[-1]
        if hasattr(estimator, "staged_predict_proba"):
            encoded = model[:-1].transform(valid[features])
            for step, staged in enumerate(estimator.staged_predict_proba(encoded)):
                mlflow.log_metric("val_log_loss", float(log_loss(valid["target"], staged[:, 1])), step=step)
        else:
            mlflow.log_metric("val_log_loss", float(log_loss(valid["target"], proba)), step=0)
        mlflow.log_metrics({
            "val_roc_auc": float(roc_auc_score(valid["target"], proba)),
            "val_accuracy": float(accuracy_score(valid["target"], predicted)),
            "val_f1": float(f1_score(valid["target"], predicted)),
        })
        example = train[features].head(3)
        signature = infer_signature(example, np.asarray(model.predict(example)))
        mlflow.sklearn.log_model(
            model,
            name="model",
            signature=signature,
            input_example=example,
            serialization_format="cloudpickle",
            pip_requirements=[f"scikit-learn=={sklearn.__version__}"],  # skips slow requirement inference
        )
        return run.info.run_id


def _log_legacy_run(data: TrainingData) -> str:
    """A model logged the pre-MLflow-2.9 way: no signature, no dataset, no commit."""
    import mlflow
    import mlflow.sklearn
    import sklearn
    from sklearn.metrics import roc_auc_score

    model = _make_estimator("logistic_regression", {"C": 0.5, "max_iter": 500}, data.categorical)
    model.fit(data.train[data.features], data.train["target"])
    with mlflow.start_run(run_name="legacy-notebook-run", tags={SEED_TAG: "legacy"}) as run:
        mlflow.log_metric("val_roc_auc", float(roc_auc_score(data.valid["target"], model.predict_proba(data.valid[data.features])[:, 1])))
        mlflow.sklearn.log_model(model, name="model", serialization_format="cloudpickle", pip_requirements=[f"scikit-learn=={sklearn.__version__}"])
        return run.info.run_id


def _existing_summary(client, uri: str, experiment) -> SeedSummary | None:
    runs = client.search_runs([experiment.experiment_id], filter_string=f"tags.`{SEED_TAG}` = 'demo'", max_results=50)
    if not runs:
        return None
    try:
        registered = client.get_registered_model(DEMO_MODEL)
    except Exception:
        return None
    versions = client.search_model_versions(f"name = '{DEMO_MODEL}'")
    name_by_run = {r.info.run_id: r.info.run_name for r in runs}
    return SeedSummary(
        tracking_uri=uri,
        experiment_id=experiment.experiment_id,
        model=DEMO_MODEL,
        run_ids={r.info.run_name: r.info.run_id for r in runs},
        versions={str(v.version): name_by_run.get(v.run_id, v.run_id or "?") for v in sorted(versions, key=lambda v: int(v.version))},
        aliases={a: str(v) for a, v in registered.aliases.items()},
        legacy_model=LEGACY_MODEL,
        git_commit=runs[0].data.tags.get("mlflow.source.git.commit"),
        already_seeded=True,
    )


def seed_demo_store(
    tracking_uri: str | None = None,
    *,
    git_commit: str | None = None,
    dataset: str = "auto",
    progress: Callable[[int, int], None] | None = None,
) -> SeedSummary:
    """Train and log the demo runs, register versions and set aliases.

    Idempotent: a store that already holds the demo experiment is left as is.
    `git_commit` defaults to HEAD of the mlproof checkout (omitted when there is none).
    `dataset`: "churn" (the bundled example project's data/reference.csv, so the
    signature matches its serving code), "breast_cancer" (scikit-learn's bundled
    set) or "auto" (churn when the example project is present).
    """
    import warnings

    uri = resolve_tracking_uri(tracking_uri)
    db = sqlite_path(uri)
    with _quiet_loggers("mlflow", "alembic"), open_client(uri, create=True) as client:
        experiment = client.get_experiment_by_name(DEMO_EXPERIMENT)
        if experiment is not None:
            existing = _existing_summary(client, uri, experiment)
            if existing is not None:
                return existing
            raise MlproofError(f"The store {shown(uri)} has a {DEMO_EXPERIMENT} experiment that mlproof did not seed; use an empty store.")
        # Keep a SQLite store's artifacts next to its database instead of ./mlruns in the cwd.
        artifact_location = (db.resolve().parent / "artifacts").as_uri() if db is not None else None
        experiment_id = client.create_experiment(DEMO_EXPERIMENT, artifact_location=artifact_location, tags={SEED_TAG: "demo"})
        legacy_experiment = client.get_experiment_by_name(LEGACY_EXPERIMENT)
        legacy_experiment_id = legacy_experiment.experiment_id if legacy_experiment else client.create_experiment(
            LEGACY_EXPERIMENT, artifact_location=artifact_location, tags={SEED_TAG: "legacy"})

    commit = git_commit or current_git_commit()
    total = len(DEMO_RUNS) + len(DEMO_VERSIONS) + 1
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    data = _load_data(dataset)
    run_ids: dict[str, str] = {}
    with _fluent_uri(uri), warnings.catch_warnings(), _quiet_loggers("mlflow", "alembic"):
        warnings.simplefilter("ignore")  # MLflow's deprecation chatter about stages is expected here
        import mlflow

        mlflow.set_experiment(experiment_id=experiment_id)
        for name, kind, params in DEMO_RUNS:
            run_ids[name] = _log_training_run(name, kind, params, data, commit)
            step()
        mlflow.set_experiment(experiment_id=legacy_experiment_id)
        legacy_run = _log_legacy_run(data)
        step()

        with open_client(uri, write=True) as client:
            client.create_registered_model(
                DEMO_MODEL,
                description=f"Binary classifier trained on {data.source} (mlproof demo). Promoted through aliases: @champion serves, @challenger waits.",
                tags={"owner": "ml-platform", "task": "binary-classification"},
            )
            versions: dict[str, str] = {}
            aliases: dict[str, str] = {}
            for run_name, alias in DEMO_VERSIONS:
                version = _register(client, DEMO_MODEL, run_ids[run_name])
                client.update_model_version(DEMO_MODEL, version, description=f"Trained by run {run_name}.")
                versions[version] = run_name
                if alias:
                    client.set_registered_model_alias(DEMO_MODEL, alias, version)
                    aliases[alias] = version
                step()
            client.create_registered_model(LEGACY_MODEL)
            legacy_version = _register(client, LEGACY_MODEL, legacy_run)
            client.transition_model_version_stage(LEGACY_MODEL, legacy_version, "Production")

    return SeedSummary(
        tracking_uri=uri,
        experiment_id=experiment_id,
        model=DEMO_MODEL,
        run_ids=run_ids,
        versions=versions,
        aliases=aliases,
        legacy_model=LEGACY_MODEL,
        git_commit=commit,
    )


def _register(client, name: str, run_id: str) -> str:
    """Register the run's logged model (MLflow 3: `models:/<model_id>`) as a new version."""
    run = client.get_run(run_id)
    outputs = run.outputs.model_outputs if run.outputs else []
    if not outputs:
        raise MlproofError(f"Run {run_id} has no logged model to register.")
    model_id = outputs[0].model_id
    version = client.create_model_version(name, source=f"models:/{model_id}", run_id=run_id, model_id=model_id)
    return str(version.version)
