"""What the audit understands about a repository, one general rule per row: a positive case and its near miss.

Each row builds a small repository (on top of tests.audit_support.BASE, a module that trains a model), audits
it and checks one status. The near miss differs from the positive case only in what the rule is about (a
comment instead of code, an unused import, a plan instead of a description, ...), so a rule that matches
text instead of meaning fails one of the two.
"""

from __future__ import annotations

import pytest

from mlproof.rubric.audit import run_audit
from tests.audit_support import assert_graded, build

# (id, files, check, expected status)
ROWS: list[tuple[str, dict[str, str], str, str]] = [
    # aliases and from-imports resolve to the qualified call
    ("alias call", {"src/t.py": "from google.cloud import aiplatform as vai\nvai.init(experiment='e')\nvai.start_run('r1')\nvai.log_metrics({'acc': 0.9})\n"},
     "dev.experiment_tracking", "pass"),
    ("alias call in a docstring", {"src/t.py": '"""Example:\n    vai.start_run("r1")\n    vai.log_metrics({"acc": 0.9})\n"""\n'},
     "dev.experiment_tracking", "fail"),
    ("from-import call", {"src/t.py": "from mlflow import log_metric, start_run\n\nwith start_run():\n    log_metric('auc', 0.9)\n"},
     "dev.experiment_tracking", "pass"),
    ("from-import call commented out", {"src/t.py": "# from mlflow import log_metric\n# log_metric('auc', 0.9)\n"},
     "dev.experiment_tracking", "fail"),
    # an import that is never used is a mention
    ("used import", {"src/s.py": "import optuna\n\nstudy = optuna.create_study()\nstudy.optimize(lambda t: 0.0, n_trials=5)\n"}, "dev.hpo", "pass"),
    ("unused import", {"src/s.py": "import optuna\n\nprint('tuning later')\n"}, "dev.hpo", "fail"),
    # a dependency declaration alone is a mention
    ("declared and used", {"requirements.txt": "shap==0.45\n", "src/e.py": "import shap\nexplainer = shap.TreeExplainer(model)\n"}, "gov.explainability", "pass"),
    ("declared only", {"requirements.txt": "shap==0.45\n"}, "gov.explainability", "fail"),
    # code under `if False:` does nothing
    ("live code", {"src/d.py": "from scipy.stats import ks_2samp\nstat = ks_2samp(reference, current)\n"}, "monitor.data_drift", "pass"),
    ("dead code", {"src/d.py": "from scipy.stats import ks_2samp\nif False:\n    stat = ks_2samp(reference, current)\n"}, "monitor.data_drift", "fail"),
    # route decorators split over lines are still routes
    ("multi-line route", {"src/api.py": "from fastapi import APIRouter\nrouter = APIRouter()\n\n\n@router.post(\n    '/predict',\n    response_model=dict,\n)\ndef predict(body: dict):\n    return model.predict(body)\n"},
     "deploy.serving", "pass"),
    ("route that serves no model", {"src/api.py": "from fastapi import APIRouter\nrouter = APIRouter()\n\n\n@router.get(\n    '/health',\n)\ndef health():\n    return {'ok': True}\n"},
     "deploy.serving", "partial"),
    ("route whose handler predicts", {"src/app.py": "import joblib\nfrom flask import Flask\n\napp = Flask(\n    __name__,\n)\nMODEL = joblib.load('model.joblib')\n\n\n@app.route('/api/<scenario>/<identifier>', methods=['POST'])\ndef score(scenario, identifier):\n    return {'y': MODEL.predict([[1.0]]).tolist()}\n"},
     "deploy.serving", "pass"),
]


ROWS += [
    # a function's name is not its behaviour
    ("threshold that blocks", {"src/gate.py": "def gate(auc, min_auc):\n    if auc < min_auc:\n        raise SystemExit('below the bar')\n"},
     "cicd.model_validation_gate", "pass"),
    ("a function named like a gate", {"src/nodes.py": "def evaluate_model(model, x, y):\n    score = model.score(x, y)\n    print(score)\n    return score\n"},
     "cicd.model_validation_gate", "fail"),
    # a schedule that trains nothing is no retraining trigger
    ("schedule that trains", {".github/workflows/retrain.yml": "on:\n  schedule:\n    - cron: '0 3 * * 1'\njobs:\n  retrain:\n    runs-on: ubuntu-latest\n    steps:\n      - run: python src/model/train.py\n"},
     "cicd.retraining_trigger", "pass"),
    ("schedule that only lints", {".github/workflows/nightly.yml": "on:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ruff check .\n"},
     "cicd.retraining_trigger", "fail"),
    # ordinary words and capability lists in prose
    ("docs compare with the champion", {"README.md": "Each candidate is compared against the current champion before release.\n"}, "dev.baseline_comparison", "partial"),
    ("the word baseline in prose", {"README.md": "So now we have a baseline for how well the tree performed.\n"}, "dev.baseline_comparison", "fail"),
    ("docs describe tuning", {"README.md": "Hyperparameter tuning runs with Optuna before each release.\n"}, "dev.hpo", "partial"),
    ("feature list claims", {"README.md": "* Is configurable through one data structure, allowing for easy hyper-parameter tuning\n"}, "dev.hpo", "fail"),
    # a software changelog is not a record of model changes
    ("changelog heading", {"README.md": "## Changelog\n\n- v1.1 update to Python 3.11\n"}, "gov.audit_trail", "fail"),
    # DVC: `dvc add` outputs version an artifact; lineage needs a stage with deps
    ("dvc stage with deps", {"dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    deps:\n      - data/raw.csv\n    outs:\n      - model.pkl\n"}, "data.lineage", "pass"),
    ("dvc add outs only", {"model.pkl.dvc": "outs:\n- md5: 1234\n  path: model.pkl\n"}, "data.lineage", "fail"),
    # pydantic models that are not on a request path
    ("request model on a route", {"src/api.py": "from fastapi import FastAPI\nfrom pydantic import BaseModel\n\napp = FastAPI()\n\n\nclass Body(BaseModel):\n    text: str\n\n\n@app.post('/classify')\ndef classify(body: Body):\n    return {}\n"},
     "deploy.serving_schema", "pass"),
    ("typed query parameter on a route", {"src/app.py": "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/predict')\nasync def get_prediction(text: str):\n    return model.predict([text])\n"},
     "deploy.serving_schema", "partial"),
    ("untyped request on a route", {"src/app.py": "from fastapi import FastAPI, Request\n\napp = FastAPI()\n\n\n@app.post('/predict')\nasync def predict(request: Request):\n    return model.predict(await request.json())\n"},
     "deploy.serving_schema", "fail"),
    ("features selected before predict", {"src/inference.py": "FEATURES = ['a', 'b']\n\n\ndef predict_fn(frame, model):\n    X = frame[FEATURES]\n    return model.predict(X)\n"},
     "deploy.serving_schema", "partial"),
    ("features selected for training", {"src/prep.py": "FEATURES = ['a', 'b']\n\n\ndef split(frame):\n    X = frame[FEATURES]\n    return X\n"},
     "deploy.serving_schema", "fail"),
    ("output model of an LLM call", {"src/agent.py": "from pydantic import BaseModel\n\n\nclass IntentOutput(BaseModel):\n    intent: str\n\n\nresult = llm.with_structured_output(IntentOutput).invoke(prompt)\n"},
     "deploy.serving_schema", "fail"),
    # a latency log is a service metric only where predictions are served
    ("latency logged around predict", {"src/serve.py": "import time\n\n\ndef score(x):\n    start = time.time()\n    y = model.predict(x)\n    print(f'inference time {time.time() - start:.3f}s')\n    return y\n"},
     "monitor.service_metrics", "partial"),
    ("timing decorator on predict", {"src/infer.py": "import onnxruntime as ort\nfrom utils import timing\n\n\nclass Predictor:\n    def __init__(self):\n        self.session = ort.InferenceSession('m.onnx')\n\n    @timing\n    def predict(self, x):\n        return self.session.run(None, x)\n"},
     "monitor.service_metrics", "partial"),
    ("timing decorator on a download", {"src/fetch.py": "from utils import timing\n\n\n@timing\ndef download(url):\n    return requests.get(url).content\n"},
     "monitor.service_metrics", "fail"),
    ("download time logged", {"src/utils.py": "import logging\nlogger = logging.getLogger()\nlogger.info('Download took %0.2f seconds' % runtime)\n"}, "monitor.service_metrics", "fail"),
]


# Cloud ML SDKs, read through their qualified names
AML = "from azureml.core import Run, Model, Workspace\nfrom azureml.core.webservice import AciWebservice\n"
ROWS += [
    ("azure ml v1 run logging", {"src/train.py": AML + "run = Run.get_context()\nrun.log('accuracy', 0.91)\n"}, "dev.experiment_tracking", "pass"),
    ("azure ml v1 run fetched, nothing logged", {"src/train.py": AML + "run = Run.get_context()\nprint(run.id)\n"}, "dev.experiment_tracking", "fail"),
    ("azure ml v1 model registration", {"src/register.py": AML + "ws = Workspace.from_config()\nModel.register(workspace=ws, model_path='outputs/model.pkl', model_name='churn')\n"}, "dev.model_registry", "pass"),
    ("azure ml v1 web service config", {"src/deploy.py": AML + "config = AciWebservice.deploy_configuration(cpu_cores=1, memory_gb=1)\n"}, "deploy.serving", "pass"),
    ("azure ml v2 traffic split", {"src/deploy.py": "endpoint.traffic = {'blue': 90, 'green': 10}\nml_client.online_endpoints.begin_create_or_update(endpoint)\n"}, "deploy.progressive_delivery", "pass"),
    ("azure ml v2 all traffic to one", {"src/deploy.py": "endpoint.traffic = {'blue': 100}\nml_client.online_endpoints.begin_create_or_update(endpoint)\n"}, "deploy.progressive_delivery", "fail"),
    ("sagemaker data capture", {"src/deploy.py": "from sagemaker.model_monitor import DataCaptureConfig\ncapture = DataCaptureConfig(enable_capture=True, sampling_percentage=100, destination_s3_uri=uri)\n"}, "monitor.prediction_logging", "pass"),
    ("databricks unity catalog registry", {"src/register.py": "import mlflow\nmlflow.set_registry_uri('databricks-uc')\n"}, "dev.model_registry", "pass"),
    ("databricks lakehouse monitor", {"src/monitor.py": "from databricks.sdk import WorkspaceClient\nw = WorkspaceClient()\nw.quality_monitors.create(table_name=t, inference_log=cfg, output_schema_name=s)\n"}, "monitor.data_drift", "pass"),
    ("zenml pipeline", {"src/pipe.py": "from zenml import pipeline, step\n\n\n@step\ndef train_step():\n    pass\n\n\n@pipeline\ndef training():\n    train_step()\n"}, "cicd.training_pipeline", "pass"),
    ("metaflow schedule that trains", {"src/flow.py": "from metaflow import FlowSpec, schedule, step\n\n\n@schedule(weekly=True)\nclass TrainFlow(FlowSpec):\n    @step\n    def start(self):\n        self.model = LogisticRegression().fit(self.x, self.y)\n        self.next(self.end)\n"}, "cicd.retraining_trigger", "pass"),
    ("vertex hyperparameter tuning", {"src/hpt.py": "from google.cloud import aiplatform as vertex_ai\njob = vertex_ai.HyperparameterTuningJob(display_name='hpt', custom_job=custom_job, metric_spec={'acc': 'maximize'}, parameter_spec=spec)\n"}, "dev.hpo", "pass"),
    ("huggingface hub with revisions", {"src/push.py": "trainer.push_to_hub(revision='dpo-beta-0.01')\n"}, "dev.model_registry", "pass"),
    ("huggingface hub without revisions", {"src/push.py": "trainer.push_to_hub()\n"}, "dev.model_registry", "partial"),
]


# Jobs: triggers, and commands followed through Make, scripts and python -m to the code they reach
TRAIN = {"src/pkg/__init__.py": "", "src/pkg/train.py": "from sklearn.linear_model import LogisticRegression\n\n\ndef main():\n    return LogisticRegression().fit(X, y)\n\n\nif __name__ == '__main__':\n    main()\n"}


def gha(on: str, *commands: str, condition: str = "") -> str:
    steps = "".join(f"      - run: {c}\n" for c in commands)
    return f"on:\n{on}jobs:\n  job:\n{condition}    runs-on: ubuntu-latest\n    steps:\n{steps}"


WEEKLY = "  schedule:\n    - cron: '0 3 * * 1'\n"
ROWS += [
    ("schedule -> make -> script -> python -m training", {**TRAIN, ".github/workflows/retrain.yml": gha(WEEKLY, "make retrain"),
      "Makefile": "retrain:\n\tbash scripts/retrain.sh\n", "scripts/retrain.sh": "#!/bin/sh\npython -m pkg.train --config params.yaml\n"},
     "cicd.retraining_trigger", "pass"),
    ("schedule -> make -> echo", {**TRAIN, ".github/workflows/retrain.yml": gha(WEEKLY, "make retrain"), "Makefile": "retrain:\n\techo retrain the model\n"},
     "cicd.retraining_trigger", "fail"),
    ("schedule commented out", {**TRAIN, ".github/workflows/retrain.yml": "on:\n  workflow_dispatch:\n#  schedule:\n#    - cron: '0 3 * * 1'\njobs:\n  job:\n    runs-on: ubuntu-latest\n    steps:\n      - run: python -m pkg.train\n"},
     "cicd.retraining_trigger", "fail"),
    ("scheduled job switched off", {**TRAIN, ".github/workflows/retrain.yml": gha(WEEKLY, "python -m pkg.train", condition="    if: false\n")},
     "cicd.retraining_trigger", "fail"),
    ("schedule runs tests that train", {**TRAIN, "tests/test_train.py": "from pkg.train import main\n\n\ndef test_main():\n    assert main() is not None\n",
      ".github/workflows/nightly.yml": gha(WEEKLY, "pytest tests/")},
     "cicd.retraining_trigger", "fail"),
    ("push retrains", {**TRAIN, ".github/workflows/ci.yml": gha("  push:\n    branches: [main]\n", "python -m pkg.train")}, "cicd.retraining_trigger", "partial"),
    ("kubernetes cronjob runs training", {**TRAIN, "k8s/retrain.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: retrain\nspec:\n  schedule: '0 4 * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: train\n            image: churn:1\n            command: [python, -m, pkg.train]\n"},
     "cicd.retraining_trigger", "pass"),
    ("suspended cronjob", {**TRAIN, "k8s/retrain.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: retrain\nspec:\n  suspend: true\n  schedule: '0 4 * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: train\n            image: churn:1\n            command: [python, -m, pkg.train]\n"},
     "cicd.retraining_trigger", "fail"),
    ("CI -> make test -> pytest", {"tests/test_x.py": "def test_x():\n    assert 1 + 1 == 2\n", ".github/workflows/ci.yml": gha("  pull_request:\n", "make test"), "Makefile": "test:\n\tpython -m pytest -q\n"},
     "cicd.automated_tests", "pass"),
    ("CI -> make test -> echo", {"tests/test_x.py": "def test_x():\n    assert 1 + 1 == 2\n", ".github/workflows/ci.yml": gha("  pull_request:\n", "make test"), "Makefile": "test:\n\techo no tests yet\n"},
     "cicd.automated_tests", "partial"),
    ("build config run by hand", {"build/ci.yaml": "steps:\n- name: gcr.io/cloud-builders/docker\n  args: [build, -t, img, .]\n- name: python:3.11\n  entrypoint: pytest\n  args: [tests/]\n"},
     "cicd.ci_pipeline", "partial"),
    ("push deploys", {".github/workflows/cd.yml": gha("  push:\n    branches: [main]\n", "helm upgrade --install churn chart/")}, "cicd.continuous_deployment", "pass"),
    ("deploy by hand", {".github/workflows/cd.yml": gha("  workflow_dispatch:\n", "helm upgrade --install churn chart/")}, "cicd.continuous_deployment", "partial"),
]


@pytest.mark.parametrize("files, check_id, expected", [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_rule(tmp_path, files, check_id, expected):
    result = run_audit(build(tmp_path, files)).check(check_id)
    assert result.status == expected, result.why
    if expected in ("pass", "partial"):
        assert any(e.path in files and e.statement in (None, "affirm") for e in result.evidence), result.evidence


def test_a_template_with_an_example_project_is_graded_like_one(tmp_path):
    from mlproof.rubric.audit import run_audit as audit

    starter = "starter/{{cookiecutter.repo_name}}/src/{{cookiecutter.pkg}}"
    with_model = audit(_write(tmp_path / "a", {f"{starter}/nodes.py": "from sklearn.linear_model import LinearRegression\n\n\ndef train(x, y):\n    return LinearRegression().fit(x, y)\n"}))
    assert with_model.scan.repo_kind == "template"
    assert with_model.check("data.validation").status == "fail"  # graded, not n/a
    generator = audit(_write(tmp_path / "b", {f"{starter}/__init__.py": "", "README.md": "# A project template\n"}))
    assert generator.scan.repo_kind == "template"
    assert generator.check("data.validation").status == "n/a"  # no model code at all: model checks cannot apply


def test_a_serving_only_service_has_training_checks_not_applicable(tmp_path):
    from mlproof.rubric.audit import run_audit as audit

    service = {"app/main.py": "import joblib\nfrom fastapi import FastAPI\n\napp = FastAPI()\nmodel = joblib.load('model/model.joblib')\n\n\n@app.post('/predict')\ndef predict(x: dict):\n    return {'y': model.predict([list(x.values())]).tolist()}\n"}
    report = audit(_write(tmp_path / "a", service))
    assert report.scan.repo_kind == "serving-only", report.scan.repo_kind_reason
    assert report.check("dev.hpo").status == "n/a" and report.check("dev.model_registry").status == "fail"
    trained = audit(_write(tmp_path / "b", {**service, "train.ipynb": _notebook("model = LogisticRegression().fit(x, y)")}))
    assert trained.scan.repo_kind == "project"  # training in a notebook is training
    assert trained.check("dev.hpo").status == "fail"


def _write(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _notebook(*cells: str) -> str:
    import json

    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None} for c in cells]})


def test_text_patterns_stay_in_the_syntax_ripgrep_shares():
    # the audit benchmark hands every `re` and `path` pattern to ripgrep: no look-around, no back-references
    from mlproof.rubric.catalog import load_catalog

    catalog = load_catalog()
    patterns = [s.pattern for c in catalog.checks for s in c.signals if s.key in ("re", "path")]
    patterns += [f.pattern for f in catalog.facts]
    offending = [p for p in patterns if any(token in p for token in ("(?=", "(?!", "(?<=", "(?<!", "\\1", "\\2"))]
    assert offending == []


CDK_SCHEDULE = (
    "from aws_cdk import Duration, aws_events as events, aws_events_targets as targets\n\n\n"
    "def schedule(stack, pipeline, retraining_days):\n"
    "    rule = events.Rule(stack, 'retrain', schedule=events.Schedule.rate(Duration.days(retraining_days)))\n"
    "    rule.add_target(targets.CodePipeline(pipeline))\n"
)


@pytest.mark.parametrize("files, expected", [
    ({"infra/stack.py": CDK_SCHEDULE}, "pass"),
    # near miss: the same cloud schedule for a report pipeline names no training at all
    ({"infra/stack.py": CDK_SCHEDULE.replace("retraining_days", "report_days").replace("'retrain'", "'report'")}, "fail"),
])
def test_cloud_schedule_whose_target_cannot_be_followed_reads_its_own_file(tmp_path, files, expected):
    assert_graded(tmp_path, "cicd.retraining_trigger", files, expected)


@pytest.mark.parametrize("files, expected", [
    ({"src/tracking.py": "import os\n\nRUN_LABEL = os.getenv('GO_PIPELINE_LABEL', '0')\n"}, "partial"),
    ({"deploy.sh": "#!/bin/sh\nIMAGE_VERSION=${BUILD_NUMBER:-latest}\ndocker build -t app:$IMAGE_VERSION .\n"}, "partial"),
    # near miss: a variable that only looks like one (no CI server sets MY_BUILD_NUMBERS)
    ({"src/tracking.py": "import os\n\nRUN_LABEL = os.getenv('MY_BUILD_NUMBERS', '0')\n"}, "fail"),
])
def test_an_external_ci_server_seen_through_its_build_variables_is_partial(tmp_path, files, expected):
    assert_graded(tmp_path, "cicd.ci_pipeline", files, expected)


HELPER_LOGGING = (
    "from src.sink import emit_record\n\n\n"
    "def predict(model, body):\n"
    "    prediction = model.predict([body['x']])[0]\n"
    "    emit_record('prediction', {**body, 'prediction': prediction})\n"
    "    return prediction\n"
)


@pytest.mark.parametrize("files, expected", [
    ({"src/app.py": HELPER_LOGGING}, "partial"),
    # near misses: the helper logs something else, or the function that logs never predicts
    ({"src/app.py": HELPER_LOGGING.replace("emit_record('prediction', {**body, 'prediction': prediction})", "emit_record('startup', {'ok': 1})")}, "fail"),
    ({"src/app.py": HELPER_LOGGING.replace("prediction = model.predict([body['x']])[0]", "prediction = body['x']")}, "fail"),
])
def test_prediction_logged_through_the_projects_own_helper(tmp_path, files, expected):
    assert_graded(tmp_path, "monitor.prediction_logging", files, expected)


PYDANTIC_OUTPUT = (
    "import os\nfrom pydantic import BaseModel\n\n\n"
    "class IntentOutput(BaseModel):\n    intent: str\n\n\n"
    "MODEL = os.environ.get('LLM_MODEL', 'small')\n"
)


@pytest.mark.parametrize("files, expected", [
    ({"src/api.py": PYDANTIC_OUTPUT + "from fastapi import FastAPI\napp = FastAPI()\n"}, "partial"),
    # near miss: a pydantic model that parses an LLM's output, in a module with no routes (dict.get is no GET route)
    ({"src/agent.py": PYDANTIC_OUTPUT}, "fail"),
])
def test_a_pydantic_model_counts_as_a_request_schema_only_beside_routes(tmp_path, files, expected):
    assert_graded(tmp_path, "deploy.serving_schema", files, expected)


LANGFUSE_NODE = (
    "from langfuse.langchain import CallbackHandler\n\n\n"
    "def detect_intent(agent, question, tracer: CallbackHandler):\n"
    "    return agent.invoke({'question': question}, config={'callbacks': [tracer]})\n"
)


@pytest.mark.parametrize("files, expected", [
    ({"src/nodes.py": LANGFUSE_NODE}, "pass"),
    ({"conf/base/catalog.yml": "tracer:\n  type: kedro_datasets_experimental.langfuse.LangfuseTraceDataset\n  mode: langchain\n"}, "pass"),
    # near misses: the tracer only imported, or only in a commented-out catalog entry
    ({"src/nodes.py": "from langfuse.langchain import CallbackHandler\n\n\ndef detect_intent(agent, q):\n    return agent.invoke(q)\n"}, "fail"),
    ({"conf/base/catalog.yml": "# tracer:\n#  type: kedro_datasets_experimental.opik.OpikTraceDataset\n"}, "fail"),
])
def test_llm_tracing_counts_as_prediction_logging(tmp_path, files, expected):
    assert_graded(tmp_path, "monitor.prediction_logging", files, expected)


COMPOSE_STACK = ("services:\n  api:\n    build: .\n    ports: ['8000:8000']\n    depends_on: [db]\n"
                 "  db:\n    image: postgres:16\n")


@pytest.mark.parametrize("files, expected", [
    ({"docker-compose.yml": COMPOSE_STACK}, "partial"),
    # near miss: one service that builds the app is a local run, not infrastructure
    ({"docker-compose.yml": "version: '3'\nservices:\n  prediction_api:\n    build: .\n    ports: ['8000:8000']\n"}, "fail"),
])
def test_a_compose_file_is_infrastructure_only_as_a_stack_of_services(tmp_path, files, expected):
    assert_graded(tmp_path, "deploy.infrastructure_as_code", files, expected)


@pytest.mark.parametrize("files, expected", [
    ({"dvcfiles/trained_model.dvc": "outs:\n- md5: 3f2a1b\n  path: ../models/model.onnx\n"}, "partial"),
    # near miss: DVC-tracked data is data versioning, not a model store
    ({"data/raw.csv.dvc": "outs:\n- md5: 3f2a1b\n  path: raw.csv\n"}, "fail"),
])
def test_a_model_versioned_in_dvc_is_a_partial_registry(tmp_path, files, expected):
    assert_graded(tmp_path, "dev.model_registry", files, expected)


@pytest.mark.parametrize("files, expected", [
    ({"src/app.py": HELPER_LOGGING}, "partial"),
    # near miss: the same logging call after the function has returned never runs
    ({"src/app.py": HELPER_LOGGING.replace("    emit_record(", "    return prediction\n    emit_record(")}, "fail"),
])
def test_code_after_a_return_never_runs(tmp_path, files, expected):
    assert_graded(tmp_path, "monitor.prediction_logging", files, expected)


TRAIN_EXAMPLE = ("import mlflow\nfrom sklearn.linear_model import LogisticRegression\n\n\n"
                 "def main(X, y):\n    model = LogisticRegression().fit(X, y)\n"
                 "    mlflow.sklearn.log_model(model, name='m', registered_model_name='churn')\n")
PACKAGE = {"pyproject.toml": "[project]\nname = 'fastfeatures'\nversion = '1.0'\n",
           "src/fastfeatures/__init__.py": "def join(left, right):\n    return left.merge(right)\n"}


@pytest.mark.parametrize("files, kind, expected", [
    # a package whose only training is its example: a library, and the example is not its registry
    ({**PACKAGE, "examples/churn/train.py": TRAIN_EXAMPLE}, "library", "n/a"),
    # near misses: the same training in the package itself, or in an unpackaged repository, counts
    ({**PACKAGE, "src/fastfeatures/train.py": TRAIN_EXAMPLE}, "project", "pass"),
    ({"examples/churn/train.py": TRAIN_EXAMPLE}, "project", "pass"),
])
def test_a_librarys_examples_are_not_its_practice(tmp_path, files, kind, expected):
    for rel, text in files.items():  # no BASE: its training module would make any repository a project
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    report = run_audit(tmp_path)
    assert report.scan.repo_kind == kind, report.scan.repo_kind_reason
    assert report.check("dev.model_registry").status == expected
