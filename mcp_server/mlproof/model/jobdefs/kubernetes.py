"""Kubernetes-native schedules and pipelines, found by content anywhere in the tree.

Kubernetes CronJob, Argo CronWorkflow (with WorkflowTemplate references),
Kubeflow ScheduledWorkflow and Tekton Tasks/PipelineRuns. Containers become
Steps: `command` + `args`, or the script of `sh -c`, with the image. Helm
templates are read with their `{{ ... }}` directives blanked out.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import replace
from typing import Any

from mlproof.model import yamldata
from mlproof.model.jobdefs.source import script_steps
from mlproof.model.jobs import Job, Step, Trigger
from mlproof.model.repofiles import RepoFiles
from mlproof.model.yamldata import as_list, text_of

NEEDLES = ("CronJob", "CronWorkflow", "ScheduledWorkflow", "WorkflowTemplate", "tekton.dev")
SNIFF = (((".yml", ".yaml"), NEEDLES),)
SHELLS = {"sh", "bash", "/bin/sh", "/bin/bash", "ash", "/bin/ash", "zsh"}
TEKTON_TRIGGER = "started by a Tekton trigger or by hand"
PAC_ON_EVENT = "pipelinesascode.tekton.dev/on-event"  # Pipelines-as-Code: the events a PipelineRun runs on
PAC_EVENT_KIND = {"push": "push", "pull_request": "pull_request", "incoming": "other"}
_TEMPLATE_LINE = re.compile(r"^\s*\{\{.*\}\}\s*$")
_TEMPLATE_INLINE = re.compile(r"\{\{.*?\}\}")
_UNQUOTED_TEMPLATE = re.compile(r"^[ \t]*(?:-[ \t]+)*(?:[\w.-]+:[ \t]+)?\{\{", re.M)  # a value or line that starts with {{
PLACEHOLDER = "TEMPLATED"
MAX_TEMPLATE_WALK = 5_000  # template references followed per workflow


def parse(source: RepoFiles) -> list[Job]:
    documents = []
    for rel in source.containing((".yml", ".yaml"), NEEDLES):
        documents.extend((rel, doc) for doc in _documents(source, rel) if isinstance(doc, dict))
    workflow_templates = {text_of(_get(doc, "metadata", "name")): (rel, doc) for rel, doc in documents
                          if text_of(doc.get("kind")) in ("WorkflowTemplate", "ClusterWorkflowTemplate")}
    jobs = []
    for rel, doc in documents:
        jobs.extend(_with_template_values(source, rel, _job(rel, doc, workflow_templates)))
    return jobs


def _job(rel: str, doc: dict, workflow_templates: dict) -> list[Job]:
    kind = text_of(doc.get("kind"))
    if kind == "CronJob":
        return [_cron_job(rel, doc)]
    if kind == "CronWorkflow":
        return [_cron_workflow(rel, doc, workflow_templates)]
    if kind == "ScheduledWorkflow":
        return [_scheduled_workflow(rel, doc)]
    if "tekton.dev" in text_of(doc.get("apiVersion")) and kind in ("Task", "ClusterTask", "PipelineRun", "TaskRun"):
        job = _tekton(rel, doc)
        return [job] if job.steps else []
    return []


def _with_template_values(source: RepoFiles, rel: str, jobs: list[Job]) -> list[Job]:
    """A schedule a Helm chart fills in reads as written ("{{ .Values.schedule }}"), not as the placeholder."""
    for job in jobs:
        for index, trigger in enumerate(job.triggers):
            if PLACEHOLDER in trigger.detail:
                written = source.line(rel, trigger.line).split(":", 1)[-1].strip()
                job.triggers[index] = replace(trigger, detail=written)
    return jobs


def _documents(source: RepoFiles, rel: str) -> list[Any]:
    docs = source.yaml(rel)
    text = source.text(rel) or ""
    if docs and not _UNQUOTED_TEMPLATE.search(text):
        return docs  # plain YAML, or templates only inside quoted strings (Argo's "{{inputs.parameters.x}}")
    if "{{" not in text:
        return docs
    # `schedule: {{ .Values.cron }}` is valid YAML (a nested flow mapping), yet means a templated string
    templated = yamldata.try_load_all(_detemplate(text)) or []
    if templated:
        source.skipped.pop(rel, None)  # readable once the Helm directives are blanked
    return templated or docs


def _detemplate(text: str) -> str:
    """Helm/Go template text made YAML: directive-only lines blanked, inline `{{ }}` as a placeholder."""
    lines = []
    for line in text.split("\n"):
        if _TEMPLATE_LINE.match(line):
            lines.append("")
        else:  # only up to the last `}}`: an opening `{{` with no close after it would make the search quadratic
            closed = line.rfind("}}") + 2
            lines.append(_TEMPLATE_INLINE.sub(PLACEHOLDER, line[:closed]) + line[closed:] if closed > 1 else line)
    return "\n".join(lines)


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _name(doc: dict, fallback: str) -> str:
    return text_of(_get(doc, "metadata", "name")) or fallback


def _cron_job(rel: str, doc: dict) -> Job:
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    suspended = spec.get("suspend") is True
    job = Job("kubernetes-cronjob", _name(doc, "cronjob"), rel, doc.line, disabled=suspended)
    schedule = text_of(spec.get("schedule"))
    if schedule:
        job.triggers.append(Trigger("schedule", rel, spec.line_of("schedule"), schedule, disabled=suspended))
    pod = _get(spec, "jobTemplate", "spec", "template", "spec")
    for key in ("initContainers", "containers"):
        for container in as_list(_get(pod, key)):
            job.steps.extend(container_steps(rel, container))
    return job


def container_steps(rel: str, container: Any) -> list[Step]:
    """The command a container runs: `sh -c SCRIPT` as script lines, else command + args as one line."""
    if not isinstance(container, dict):
        return []
    image = text_of(container.get("image"))
    name = text_of(container.get("name"))
    command = [str(c) for c in as_list(container.get("command"))]
    args = [str(a) for a in as_list(container.get("args"))]
    words = command + args
    raw = as_list(container.get("command")) + as_list(container.get("args"))
    if len(words) >= 3 and words[0] in SHELLS and words[1].startswith("-") and "c" in words[1]:
        return script_steps(raw[2], rel, yamldata.line_of(raw[2], container.line), name=name, image=image)
    if not words:
        return [Step("", rel, container.line, name=name, image=image)]  # the image's own entrypoint
    key = "command" if command else "args"
    return [Step(shlex.join(words), rel, container.line_of(key), name=name, image=image)]


def _cron_workflow(rel: str, doc: dict, workflow_templates: dict) -> Job:
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    suspended = spec.get("suspend") is True
    job = Job("argo-cronworkflow", _name(doc, "cronworkflow"), rel, doc.line, disabled=suspended)
    schedules = [(spec.line_of("schedule"), text_of(spec.get("schedule")))] if text_of(spec.get("schedule")) else []
    items = spec.get("schedules")
    schedules += [(items.item_lines[i], text_of(s)) for i, s in enumerate(items)] if isinstance(items, list) else []
    job.triggers = [Trigger("schedule", rel, line, cron, disabled=suspended) for line, cron in schedules if cron]
    workflow_spec = spec.get("workflowSpec") if isinstance(spec.get("workflowSpec"), dict) else {}
    job.steps = _argo_steps(rel, workflow_spec)
    reference = text_of(_get(workflow_spec, "workflowTemplateRef", "name"))
    if reference:
        template = workflow_templates.get(reference)
        if template:
            job.steps.extend(_argo_steps(template[0], template[1].get("spec") or {}))
        else:
            job.detail = f"runs WorkflowTemplate {reference} (not in the repository)"
    return job


def _argo_steps(rel: str, workflow_spec: dict) -> list[Step]:
    steps: list[Step] = []
    for template in as_list(workflow_spec.get("templates"))[:MAX_TEMPLATE_WALK]:
        if not isinstance(template, dict):
            continue
        if isinstance(template.get("container"), dict):
            steps.extend(container_steps(rel, template["container"]))
        script = template.get("script")
        if isinstance(script, dict) and isinstance(script.get("source"), str):
            interpreter = " ".join(str(c) for c in as_list(script.get("command"))) or "sh"
            image = text_of(script.get("image"))
            if interpreter.split("/")[-1].split()[0] in {"sh", "bash"}:
                steps.extend(script_steps(script["source"], rel, script.line_of("source"), image=image))
            else:  # inline code for another interpreter: one step, its text kept for signals
                command = f"{interpreter} -c {shlex.quote(script['source'][:2000])}"
                steps.append(Step(command, rel, script.line_of("source"), image=image))
    return steps


def _scheduled_workflow(rel: str, doc: dict) -> Job:
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    disabled = spec.get("enabled") is False
    job = Job("kubeflow", _name(doc, "scheduledworkflow"), rel, doc.line, disabled=disabled)
    trigger = spec.get("trigger") if isinstance(spec.get("trigger"), dict) else {}
    cron = text_of(_get(trigger, "cronSchedule", "cron"))
    interval = _get(trigger, "periodicSchedule", "intervalSecond")
    if cron:
        job.triggers.append(Trigger("schedule", rel, trigger.line_of("cronSchedule"), cron, disabled=disabled))
    elif interval:
        job.triggers.append(Trigger("schedule", rel, trigger.line_of("periodicSchedule"), f"every {interval}s", disabled=disabled))
    job.detail = "runs the pipeline in its workflow spec"
    return job


def _tekton(rel: str, doc: dict) -> Job:
    annotations = _get(doc, "metadata", "annotations")
    events = text_of(annotations.get(PAC_ON_EVENT)) if isinstance(annotations, dict) else ""
    line = annotations.line_of(PAC_ON_EVENT) if events else None
    triggers = [Trigger(PAC_EVENT_KIND.get(e, "other"), rel, line, "Pipelines as Code") for e in re.findall(r"\w+", events)]
    triggers = triggers or [Trigger("other", rel, None, TEKTON_TRIGGER)]
    job = Job("tekton", _name(doc, text_of(doc.get("kind"))), rel, doc.line, triggers)
    for value in yamldata.walk(doc.get("spec")):
        if isinstance(value, dict) and isinstance(value.get("steps"), list):
            for step in value["steps"]:
                if isinstance(step, dict) and isinstance(step.get("script"), str):
                    job.steps.extend(script_steps(step["script"], rel, step.line_of("script"), name=text_of(step.get("name")),
                                                  image=text_of(step.get("image"))))
                else:
                    job.steps.extend(s for s in container_steps(rel, step) if s.command)
    return job
