"""The pieces `mlproof add` writes, each fitted to the repository (detect.py) from the templates.

Every piece is what one gate proof asks for (claims.yaml names the command in its
`how`): drift-monitor -> drift_scheduled, retrain-schedule -> retraining_trigger,
champion-gate -> champion_gate, rollback -> rollback, prediction-log ->
prediction_logging, canary -> progressive_delivery.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import jinja2

from mlproof.errors import MlproofError
from mlproof.scaffold.detect import RepoFit, lower_is_better
from mlproof.scaffold.writer import FileChange

TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("mlproof.scaffold", "templates"), keep_trailing_newline=True,
                               undefined=jinja2.StrictUndefined, autoescape=False)
DRIFT_EXPERIMENT = "mlproof-drift"
DRIFT_SCHEDULE = "0 6 * * *"
RETRAIN_SCHEDULE = "0 3 * * 1"
GITHUB_WORKFLOWS = ".github/workflows"
GITLAB_FOLDER = "ci"
K8S_FOLDER = "deploy/mlproof"
OPS_FOLDER = "mlops"
SCHEMA_PATH = "schemas/prediction-log.schema.json"
LOG_PATH = "logs/predictions.jsonl"
HOOK_MARK = "# added by mlproof add prediction-log"


@dataclass
class Options:
    experiment: str = DRIFT_EXPERIMENT
    schedule: str | None = None
    canary_percent: int = 10
    namespace: str = "default"
    tracking_uri: str | None = None
    notes: list[str] = field(default_factory=list)


def render(template: str, **values) -> str:
    return TEMPLATES.get_template(template).render(**values)


def dns_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:50].strip("-")
    return name if name and name[0].isalpha() else f"m-{name}".strip("-") or "model"


def _gitlab_include(fit: RepoFit, rel: str) -> FileChange | None:
    """`- local: ci/x.gitlab-ci.yml` in the `include:` list of .gitlab-ci.yml (added; nothing in the file changes)."""
    path = fit.root / ".gitlab-ci.yml"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if re.search(rf"(?m)^\s*-?\s*(?:local:\s*)?['\"]?/?{re.escape(rel)}['\"]?\s*$", text):
        return None
    lines = text.rstrip("\n").split("\n") if text else []
    start = next((i for i, line in enumerate(lines) if re.match(r"^include\s*:", line)), None)
    if start is None:
        addition = ["", "include:", f"  - local: {rel}"]
        return FileChange(".gitlab-ci.yml", "\n".join(lines + addition).lstrip("\n") + "\n", additive=bool(text))
    if lines[start].split(":", 1)[1].strip():
        raise MlproofError(f".gitlab-ci.yml has a one-line include:; make it a list and add `- local: {rel}`, then run again.")
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith((" ", "\t", "-"))):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    item = next((re.match(r"^(\s*-\s*)", line).group(1) for line in lines[start + 1:end] if re.match(r"^\s*-", line)), "  - ")
    new = lines[:end] + [f"{item}local: {rel}"] + lines[end:]
    return FileChange(".gitlab-ci.yml", "\n".join(new) + "\n", additive=True)


# ----------------------------------------------------------------------------- drift-monitor

def drift_command(fit: RepoFit, options: Options) -> str:
    parts = ['mlproof drift "$REFERENCE_DATA" "$CURRENT_DATA"']
    for test in fit.columns:
        parts.append(f"--method {shlex.quote(f'{test.column}={test.method}')} --threshold {shlex.quote(f'{test.column}={test.threshold:g}')}")
    parts.append(f"--log-to-mlflow {shlex.quote(options.experiment)} --format md --output drift-report.md")
    return " \\\n  ".join(p for p in parts if p)


def drift_monitor(fit: RepoFit, options: Options) -> list[FileChange]:
    if not fit.reference:
        options.notes.append("no reference data found (data/reference.csv, data/train.parquet ...): set REFERENCE_DATA in the job")
    if not fit.current:
        options.notes.append("set CURRENT_DATA in the job to the production sample it should check")
    if fit.column_note:
        options.notes.append(fit.column_note)
    values = dict(schedule=options.schedule or DRIFT_SCHEDULE, experiment=options.experiment,
                  reference=fit.reference or "data/reference.csv", current=fit.current or "data/current.csv",
                  drift_command=drift_command(fit, options), name=dns_name(fit.model or fit.root.name))
    if fit.ci == "github":
        retrain = f"{GITHUB_WORKFLOWS}/mlproof-retrain.yml"
        values["retrain_workflow"] = "mlproof-retrain.yml" if (fit.root / retrain).is_file() else None
        if values["retrain_workflow"] is None:
            options.notes.append("run `mlproof add retrain-schedule` too, then again `mlproof add drift-monitor --force` "
                                 "so that drift starts retraining")
        return [FileChange(f"{GITHUB_WORKFLOWS}/mlproof-drift-monitor.yml", render("github/drift-monitor.yml.j2", **values))]
    if fit.ci == "gitlab":
        rel = f"{GITLAB_FOLDER}/mlproof-drift-monitor.gitlab-ci.yml"
        changes = [FileChange(rel, render("gitlab/drift-monitor.gitlab-ci.yml.j2", **values))]
        include = _gitlab_include(fit, rel)
        options.notes.append(f"create a pipeline schedule in GitLab (CI/CD > Schedules) with the cron {values['schedule']!r}")
        return changes + ([include] if include else [])
    return [FileChange(f"{K8S_FOLDER}/drift-monitor-cronjob.yaml", render("kubernetes/drift-monitor-cronjob.yaml.j2", **values))]


# ----------------------------------------------------------------------------- retrain-schedule

def retrain_schedule(fit: RepoFit, options: Options) -> list[FileChange]:
    if not fit.training_command:
        raise MlproofError("mlproof add retrain-schedule found no training script (a file with a main guard that fits a "
                           "model); pass --train-command 'COMMAND'.")
    options.notes.append(f"the job trains with `{fit.training_command}` ({fit.training_source})")
    values = dict(schedule=options.schedule or RETRAIN_SCHEDULE, install_command=fit.install_command,
                  training_command=fit.training_command, name=dns_name(fit.model or fit.root.name))
    if fit.ci == "github":
        return [FileChange(f"{GITHUB_WORKFLOWS}/mlproof-retrain.yml", render("github/retrain.yml.j2", **values))]
    if fit.ci == "gitlab":
        rel = f"{GITLAB_FOLDER}/mlproof-retrain.gitlab-ci.yml"
        include = _gitlab_include(fit, rel)
        return [FileChange(rel, render("gitlab/retrain.gitlab-ci.yml.j2", **values))] + ([include] if include else [])
    return [FileChange(f"{K8S_FOLDER}/retrain-cronjob.yaml", render("kubernetes/retrain-cronjob.yaml.j2", **values))]


# ----------------------------------------------------------------------------- champion-gate

def champion_gate(fit: RepoFit, options: Options) -> list[FileChange]:
    model = fit.require_model("champion-gate")
    if not fit.metric:
        raise MlproofError("mlproof add champion-gate found no metric the training logs (mlflow.log_metric); pass --metric NAME.")
    script = f"{OPS_FOLDER}/champion_gate.py"
    lower = lower_is_better(fit.metric)
    command = f"python {script} --model {shlex.quote(model)} --metric {shlex.quote(fit.metric)}" + \
        (" --lower-is-better" if lower else "") + " --promote"
    values = dict(model=model, alias=fit.alias, metric=fit.metric, lower_is_better=lower, script_path=script,
                  rollback_path=f"{OPS_FOLDER}/rollback.py", gate_command=command,
                  retrain_workflow=(fit.root / GITHUB_WORKFLOWS / "mlproof-retrain.yml").is_file())
    changes = [FileChange(script, render("python/champion_gate.py.j2", **values), executable=True), *_ops_package(fit)]
    if fit.ci == "gitlab":
        rel = f"{GITLAB_FOLDER}/mlproof-champion-gate.gitlab-ci.yml"
        include = _gitlab_include(fit, rel)
        return changes + [FileChange(rel, render("gitlab/champion-gate.gitlab-ci.yml.j2", **values))] + ([include] if include else [])
    if fit.ci != "github":
        options.notes.append("no CI system found: the champion gate is written as a GitHub Actions workflow")
    return changes + [FileChange(f"{GITHUB_WORKFLOWS}/mlproof-champion-gate.yml", render("github/champion-gate.yml.j2", **values))]


def _ops_package(fit: RepoFit) -> list[FileChange]:
    init = fit.root / OPS_FOLDER / "__init__.py"
    return [] if init.exists() else [FileChange(f"{OPS_FOLDER}/__init__.py", '"""Operational scripts written by mlproof add."""\n')]


# ----------------------------------------------------------------------------- rollback

def rollback(fit: RepoFit, options: Options) -> list[FileChange]:
    model = fit.require_model("rollback")
    script = f"{OPS_FOLDER}/rollback.py"
    values = dict(model=model, alias=fit.alias, script_path=script, module=f"{OPS_FOLDER}.rollback")
    tests = "tests" if (fit.root / "tests").is_dir() or not (fit.root / "test").is_dir() else "test"
    options.notes.append(f"rehearse it: python -m pytest {tests}/test_mlproof_rollback.py")
    return [FileChange(script, render("python/rollback.py.j2", **values), executable=True), *_ops_package(fit),
            FileChange(f"{tests}/test_mlproof_rollback.py", render("python/test_rollback.py.j2", **values))]


# ----------------------------------------------------------------------------- prediction-log

def prediction_log(fit: RepoFit, options: Options) -> list[FileChange]:
    from mlproof.performance.schema import PredictionRecord, schema_text

    model = fit.require_model("prediction-log")
    app = fit.app
    folder = str(PurePosixPath(app.rel).parent) if app else ""
    helper = f"{folder}/prediction_log.py" if folder and folder != "." else "prediction_log.py"
    values = dict(model=model, alias=fit.alias, schema_path=SCHEMA_PATH, log_path=LOG_PATH,
                  framework=app.framework if app else "other")
    changes = [FileChange(helper, render("python/prediction_log.py.j2", **values)),
               FileChange(SCHEMA_PATH, schema_text(PredictionRecord))]
    if app is None:
        options.notes.append("no served app found: call PredictionLog().write(features=..., prediction=..., latency_ms=...) "
                             f"where the service answers (from {helper})")
    elif app.framework in ("fastapi", "starlette"):
        changes.append(_hook(fit, app, helper))
    else:
        options.notes.append(f"{app.rel} is a {app.framework} app: call PredictionLog().write(...) in its request handler")
    return changes


def _hook(fit: RepoFit, app, helper: str) -> FileChange:
    """`install_prediction_log(app)` right below the app is built, and its import below the file's imports."""
    text = (fit.root / app.rel).read_text(encoding="utf-8")
    if "install_prediction_log(" in text:
        return FileChange(app.rel, text)
    lines = text.split("\n")
    module = PurePosixPath(helper).stem
    import_line = app.package_import.format(module) + f" install_prediction_log  {HOOK_MARK}"
    call = f"install_prediction_log({app.variable})  {HOOK_MARK}"
    lines.insert(app.insert_after, call)
    lines.insert(app.import_after, import_line)
    return FileChange(app.rel, "\n".join(lines), additive=True)


# ----------------------------------------------------------------------------- canary

def canary(fit: RepoFit, options: Options) -> list[FileChange]:
    model = fit.require_model("canary")
    if not 0 < options.canary_percent < 100:
        raise MlproofError("--canary-percent must be between 1 and 99 (a canary takes part of the traffic, not all of it).")
    model_uri = f"models:/{model}@{fit.alias}"
    storage, version, note = _storage(model, fit.alias, options.tracking_uri)
    values = dict(name=dns_name(model), namespace=options.namespace, percent=options.canary_percent, model_uri=model_uri,
                  version=version, storage_uri=storage, storage_note=note)
    if note:
        options.notes.append(note.rstrip("."))
    return [FileChange(f"deploy/kserve/{dns_name(model)}-canary.yaml", render("deploy/kserve-canary.yaml.j2", **values))]


CLUSTER_SCHEMES = ("s3://", "gs://", "https://", "http://", "pvc://", "oci://", "hf://", "wasbs://", "abfss://")


def _storage(model: str, alias: str, tracking_uri: str | None) -> tuple[str, str | None, str]:
    """Where the cluster pulls the model from: the artifact location of the version the alias points at."""
    if not tracking_uri:
        return (f"s3://CHANGE-ME/{model}", None,
                "storageUri is a placeholder: run again with --tracking-uri to read the artifact location of the alias.")
    from mlproof.tracking.connection import open_client
    from mlproof.tracking.registry import resolve_version, version_model_facts

    with open_client(tracking_uri) as client:
        version, _ = resolve_version(client, model, None, alias)
        logged, problem = version_model_facts(client, tracking_uri, version)
    location = str(logged.artifact_location) if logged is not None and logged.artifact_location else (str(version.source or ""))
    if location.startswith(CLUSTER_SCHEMES):
        return location, version.version, ""
    return (location, version.version,
            f"the artifacts of version {version.version} live at a local path a cluster cannot pull; upload them to object storage and change storageUri.")


PIECES = {
    "drift-monitor": drift_monitor,
    "retrain-schedule": retrain_schedule,
    "champion-gate": champion_gate,
    "rollback": rollback,
    "prediction-log": prediction_log,
    "canary": canary,
}
