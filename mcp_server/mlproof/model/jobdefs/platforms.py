"""Job definitions of ML platforms: Databricks, Anyscale, Prefect deployments, Azure ML schedules.

Their tasks usually name a file to run (a notebook, a Python file, a flow's
entrypoint) rather than a shell command, so Steps carry `file` when the path
resolves to a repository file. A job without a schedule is started by hand
or by an API call: a `manual` trigger.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from mlproof.model.jobdefs.source import script_steps
from mlproof.model.jobs import Job, Step, Trigger
from mlproof.model.repofiles import RepoFiles, join
from mlproof.model.yamldata import as_list, text_of, walk

SNIFF = (((".json", ".yml", ".yaml"), ("quartz_cron_expression",)), ((".yml", ".yaml"), ("entrypoint:", "create_job")))
BUNDLE = re.compile(r"(?:^|/)databricks\.ya?ml$")
PREFECT = re.compile(r"(?:^|/)prefect\.ya?ml$")
NOTEBOOK_SUFFIXES = ("", ".py", ".ipynb", ".sql", ".scala", ".r")
ANYSCALE_KEYS = {"compute_config", "image_uri", "cloud", "working_dir", "requirements", "containerfile", "max_retries",
                 "job_queue_config", "py_modules", "excludes"}
MAX_AML_DEPTH = 3


def parse(source: RepoFiles) -> list[Job]:
    jobs: list[Job] = []
    bundle_files: set[str] = set()
    for bundle in source.matching(BUNDLE):
        files = [bundle] + _bundle_includes(source, bundle)
        bundle_files.update(files)
        for rel in files:
            jobs.extend(_bundle_jobs(source, rel))
    for rel in source.containing((".json", ".yml", ".yaml"), ("quartz_cron_expression",)):
        if rel not in bundle_files:
            jobs.extend(_databricks_job_files(source, rel))
    for rel in source.containing((".yml", ".yaml"), ("entrypoint:",)):
        if not PREFECT.search(rel):
            jobs.extend(_anyscale(source, rel))
    for rel in source.matching(PREFECT):
        jobs.extend(_prefect_yaml(source, rel))
    for rel in source.containing((".yml", ".yaml"), ("create_job",)):
        jobs.extend(_azureml_schedule(source, rel))
    return jobs


# --- Databricks ----------------------------------------------------------------------------------

def _bundle_includes(source: RepoFiles, bundle: str) -> list[str]:
    root = posixpath.dirname(bundle)
    out = []
    for pattern in as_list(source.mapping(bundle).get("include")):
        if isinstance(pattern, str):
            out.extend(p for p in source.glob(join(root, pattern)) if p != bundle)
    return out[:200]


def _bundle_jobs(source: RepoFiles, rel: str) -> list[Job]:
    doc = source.mapping(rel)
    scopes = [doc.get("resources")]
    targets = doc.get("targets")
    scopes += [t.get("resources") for t in targets.values() if isinstance(t, dict)] if isinstance(targets, dict) else []
    jobs = []
    for scope in scopes:
        defined = scope.get("jobs") if isinstance(scope, dict) else None
        for key, job in defined.items() if isinstance(defined, dict) else []:
            if isinstance(job, dict) and ("tasks" in job or "schedule" in job or "trigger" in job):
                jobs.append(_databricks_job(source, rel, key, defined.line_of(key), job))
    return jobs


def _databricks_job_files(source: RepoFiles, rel: str) -> list[Job]:
    """Jobs API JSON/YAML and dbx deployment files: any mapping with a quartz schedule or a task list."""
    jobs = []
    for doc in source.yaml(rel):
        for value in walk(doc):
            if isinstance(value, dict) and (isinstance(_get(value, "schedule", "quartz_cron_expression"), str)
                                            or (isinstance(value.get("tasks"), list) and "name" in value)):
                jobs.append(_databricks_job(source, rel, text_of(value.get("name")) or "job", value.line, value))
    return jobs


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _databricks_job(source: RepoFiles, rel: str, key: str, line: int | None, job: dict) -> Job:
    result = Job("databricks", text_of(job.get("name")) or key, rel, line, _databricks_triggers(rel, job))
    base = posixpath.dirname(rel)
    for task in _tasks(job.get("tasks")):
        result.steps.extend(_databricks_task(source, rel, base, task))
    return result


def _tasks(tasks: Any, depth: int = 0) -> list[dict]:
    out = []
    for task in as_list(tasks):
        if isinstance(task, dict):
            out.append(task)
            nested = _get(task, "for_each_task", "task")
            if isinstance(nested, dict) and depth < 3:
                out.extend(_tasks([nested], depth + 1))
    return out


def _databricks_triggers(rel: str, job: dict) -> list[Trigger]:
    schedule = job.get("schedule")
    if isinstance(schedule, dict) and text_of(schedule.get("quartz_cron_expression")):
        detail = text_of(schedule.get("quartz_cron_expression"))
        if text_of(schedule.get("timezone_id")):
            detail += f" ({text_of(schedule.get('timezone_id'))})"
        paused = text_of(schedule.get("pause_status")).upper() == "PAUSED"
        return [Trigger("schedule", rel, schedule.line_of("quartz_cron_expression"), detail, disabled=paused)]
    trigger = job.get("trigger")
    if isinstance(trigger, dict):
        paused = text_of(trigger.get("pause_status")).upper() == "PAUSED"
        periodic = trigger.get("periodic")
        if isinstance(periodic, dict):
            detail = f"every {periodic.get('interval')} {text_of(periodic.get('unit')).lower()}"
            return [Trigger("schedule", rel, job.line_of("trigger"), detail, disabled=paused)]
        for key in ("file_arrival", "table_update", "table"):
            if key in trigger:
                return [Trigger("upstream", rel, job.line_of("trigger"), key.replace("_", " "), disabled=paused)]
    if isinstance(job.get("continuous"), dict):
        paused = text_of(job["continuous"].get("pause_status")).upper() == "PAUSED"
        return [Trigger("other", rel, job.line_of("continuous"), "continuous", disabled=paused)]
    return [Trigger("manual", rel, None, "run on demand or by the Jobs API")]


def _databricks_task(source: RepoFiles, rel: str, base: str, task: dict) -> list[Step]:
    name = text_of(task.get("task_key"))
    notebook = _get(task, "notebook_task", "notebook_path")
    python_file = _get(task, "spark_python_task", "python_file")
    file_tasks = ((notebook, task.get("notebook_task"), "notebook"), (python_file, task.get("spark_python_task"), "python"))
    for value, holder, kind in file_tasks:
        if isinstance(value, str):
            key = "notebook_path" if kind == "notebook" else "python_file"
            found = _repository_file(source, base, value, NOTEBOOK_SUFFIXES if kind == "notebook" else ("",))
            command = "" if found else f"databricks {kind} {value}"
            return [Step(command, rel, holder.line_of(key), name=name, file=found)]
    wheel = task.get("python_wheel_task")
    if isinstance(wheel, dict) and text_of(wheel.get("entry_point")):
        parameters = " ".join(str(p) for p in as_list(wheel.get("parameters")))
        return [Step(f"{text_of(wheel['entry_point'])} {parameters}".strip(), rel, wheel.line_of("entry_point"), name=name)]
    dbt = _get(task, "dbt_task", "commands")
    if isinstance(dbt, list):
        return script_steps(dbt, rel, task.line_of("dbt_task"), name=name)
    sql_file = _get(task, "sql_task", "file", "path")
    if isinstance(sql_file, str):
        return [Step("", rel, task.line_of("sql_task"), name=name, file=_repository_file(source, base, sql_file, ("",)))]
    submit = _get(task, "spark_submit_task", "parameters")
    if isinstance(submit, list):
        return [Step("spark-submit " + " ".join(str(p) for p in submit), rel, task.line_of("spark_submit_task"), name=name)]
    return []


def _repository_file(source: RepoFiles, base: str, value: str, suffixes: tuple[str, ...]) -> str | None:
    if value.startswith(("/Workspace", "/Repos", "/Users", "dbfs:", "s3:", "abfss:", "gs:")) or "${" in value:
        return None  # a workspace path: not a repository file we can see
    for root in (base, ""):
        for suffix in suffixes:
            candidate = join(root, value + suffix)
            if source.has(candidate):
                return candidate
    return None


# --- Anyscale ------------------------------------------------------------------------------------

def _anyscale(source: RepoFiles, rel: str) -> list[Job]:
    jobs = []
    for doc in source.yaml(rel):
        if not isinstance(doc, dict):
            continue
        config = doc.get("job_config") if isinstance(doc.get("job_config"), dict) else doc
        entrypoint = config.get("entrypoint")
        is_schedule = "cron_expression" in doc
        if not isinstance(entrypoint, str) or not (is_schedule or ANYSCALE_KEYS & set(config)):
            continue
        if is_schedule:
            trigger = Trigger("schedule", rel, doc.line_of("cron_expression"), text_of(doc.get("cron_expression")))
        else:
            trigger = Trigger("manual", rel, None, "submitted with `anyscale job submit`")
        working_dir = text_of(config.get("working_dir"))
        cwd = join(posixpath.dirname(rel), working_dir) if working_dir and "://" not in working_dir else ""
        job = Job("anyscale", text_of(doc.get("name")) or posixpath.basename(rel), rel, doc.line, [trigger])
        job.steps = script_steps(entrypoint, rel, config.line_of("entrypoint"), cwd=cwd)
        jobs.append(job)
    return jobs


# --- Prefect deployments (prefect.yaml) ----------------------------------------------------------

def _prefect_yaml(source: RepoFiles, rel: str) -> list[Job]:
    doc = source.mapping(rel)
    jobs = []
    deployments = doc.get("deployments")
    for index, deployment in enumerate(deployments if isinstance(deployments, list) else []):
        if not isinstance(deployment, dict):
            continue
        line = deployments.item_lines[index]
        job = Job("prefect", text_of(deployment.get("name")) or "deployment", rel, line, _prefect_triggers(rel, deployment))
        entrypoint = text_of(deployment.get("entrypoint"))
        if entrypoint:
            path, _, function = entrypoint.partition(":")
            found = join(posixpath.dirname(rel), path)
            job.steps.append(Step("", rel, deployment.line_of("entrypoint"), name=function,
                                  file=found if source.has(found) else None))
        jobs.append(job)
    return jobs


def _prefect_triggers(rel: str, deployment: dict) -> list[Trigger]:
    paused = deployment.get("paused") is True
    entries = []
    if isinstance(deployment.get("schedule"), dict):
        entries.append((deployment["schedule"], deployment.line_of("schedule")))
    schedules = deployment.get("schedules")
    if isinstance(schedules, list):
        entries.extend((s, schedules.item_lines[i]) for i, s in enumerate(schedules) if isinstance(s, dict))
    triggers = []
    for schedule, line in entries:
        detail = next((f"{k}: {schedule[k]}" for k in ("cron", "interval", "rrule") if schedule.get(k) is not None), "")
        if detail:
            inactive = paused or schedule.get("active") is False
            triggers.append(Trigger("schedule", rel, line, detail, disabled=inactive))
    for index, trigger in enumerate(as_list(deployment.get("triggers"))):
        if isinstance(trigger, dict) and trigger.get("enabled") is not False:
            triggers.append(Trigger("upstream", rel, deployment.line_of("triggers"), "event trigger"))
    return triggers or [Trigger("manual", rel, None, "run on demand (`prefect deployment run`)")]


# --- Azure ML schedule YAML ----------------------------------------------------------------------

def _azureml_schedule(source: RepoFiles, rel: str) -> list[Job]:
    doc = source.mapping(rel)
    trigger = doc.get("trigger")
    if not isinstance(trigger, dict) or "create_job" not in doc:
        return []
    kind = text_of(trigger.get("type")).lower()
    if kind == "cron":
        detail = text_of(trigger.get("expression"))
    elif kind == "recurrence":
        detail = f"every {trigger.get('interval', 1)} {text_of(trigger.get('frequency'))}"
    else:
        return []
    job = Job("azure-ml", text_of(doc.get("name")) or posixpath.basename(rel), rel, doc.line,
              [Trigger("schedule", rel, doc.line_of("trigger"), detail)])
    create_job = doc.get("create_job")
    if isinstance(create_job, str):
        job_file = join(posixpath.dirname(rel), create_job.removeprefix("file:"))
        if source.has(job_file):
            job.steps = aml_job_steps(source, job_file, source.mapping(job_file), 0)
        else:
            job.detail = f"target: {create_job}"
    elif isinstance(create_job, dict):
        job.steps = aml_job_steps(source, rel, create_job, 0)
    return [job]


def aml_job_steps(source: RepoFiles, rel: str, job: dict, depth: int) -> list[Step]:
    """Commands of an Azure ML command/pipeline job or component, each run in its `code:` folder."""
    if depth > MAX_AML_DEPTH or not isinstance(job, dict):
        return []
    steps: list[Step] = []
    base = posixpath.dirname(rel)
    if isinstance(job.get("command"), str):
        code = text_of(job.get("code"))
        cwd = join(base, code) if code and ":" not in code else base
        steps.extend(script_steps(job["command"], rel, job.line_of("command"), cwd=cwd))
    component = text_of(job.get("component"))
    if component and not component.startswith("azureml:"):
        target = join(base, component.removeprefix("file:"))
        if source.has(target):
            steps.extend(aml_job_steps(source, target, source.mapping(target), depth + 1))
    children = job.get("jobs")
    for child in children.values() if isinstance(children, dict) else []:
        steps.extend(aml_job_steps(source, rel, child, depth + 1))
    return steps
