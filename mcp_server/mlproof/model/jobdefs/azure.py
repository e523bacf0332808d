"""Azure Pipelines: trigger/pr/schedules, stages -> jobs -> steps, templates.

A YAML pipeline without `trigger:` runs on every push (Azure's default);
`trigger: none` / `pr: none` switch that kind off. A file that another file
pulls in with `template:` is a template, not a pipeline: its steps are inlined
into the caller (each step keeps its own path:line).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from mlproof.model.jobdefs.source import script_steps
from mlproof.model.jobs import Job, Step, Trigger
from mlproof.model.repofiles import RepoFiles, join
from mlproof.model.yamldata import as_list, text_of

SYSTEM = "azure-pipelines"
PIPELINE_PATH = re.compile(r"(?:^|/)azure-pipelines[^/]*\.ya?ml$|^\.azure-pipelines/.+\.ya?ml$|^\.azuredevops/.+\.ya?ml$", re.I)
MAX_TEMPLATE_DEPTH = 6
MAX_TEMPLATE_USES = 200  # template inclusions per pipeline: reuse is normal, a fan-out of self-references is not
SCRIPT_KEYS = ("script", "bash", "pwsh", "powershell")
# Task inputs that hold an inline script, and those that name a script file (with the interpreter that runs it).
INLINE_INPUTS = ("inlineScript", "script", "inline")
FILE_INPUTS = {"scriptPath": "bash", "filePath": "bash"}
TASK_INTERPRETER = {"pythonscript": "python", "powershell": "pwsh", "azurepowershell": "pwsh"}
_REASON_TEST = re.compile(r"(eq|ne)\(\s*variables\[?['.]?Build\.Reason['\]]*\s*,\s*'(\w+)'\s*\)", re.I)
REASON_KIND = {"schedule": "schedule", "pullrequest": "pull_request", "individualci": "push", "batchedci": "push",
               "manual": "manual", "resourcetrigger": "upstream"}


def parse(source: RepoFiles) -> list[Job]:
    candidates = source.matching(PIPELINE_PATH)
    templates = {ref for rel in candidates for ref in _template_refs(source, rel)}
    jobs: list[Job] = []
    for rel in candidates:
        doc = source.mapping(rel)
        if not doc or rel in templates or not _looks_like_pipeline(doc):
            continue
        triggers = _triggers(doc, rel)
        jobs.extend(_Pipeline(source, rel, triggers).jobs(doc))
    return jobs


def _looks_like_pipeline(doc: dict) -> bool:
    return any(k in doc for k in ("trigger", "pr", "schedules", "stages", "jobs", "steps", "extends", "pool"))


def _template_refs(source: RepoFiles, rel: str) -> set[str]:
    refs = set()
    stack = [source.mapping(rel)]
    seen = 0
    while stack and seen < 10_000:
        value = stack.pop()
        seen += 1
        if isinstance(value, dict):
            ref = _template_path(rel, value.get("template"))
            if ref:
                refs.add(ref)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return refs


def _template_path(rel: str, value: Any) -> str | None:
    text = text_of(value)
    if not text or "@" in text or "${{" in text:
        return None  # templates from other repositories, or chosen by expression
    return join(posixpath.dirname(rel), text)


def _triggers(doc: dict, rel: str) -> list[Trigger]:
    triggers: list[Trigger] = []
    for key, kind in (("trigger", "push"), ("pr", "pull_request")):
        value = doc.get(key)
        line = doc.line_of(key)
        if key not in doc:
            if key == "trigger":
                triggers.append(Trigger("push", rel, None, "default CI trigger (all branches)"))
            continue
        if value == "none" or value is False:
            triggers.append(Trigger(kind, rel, line, "none", disabled=True))
        elif isinstance(value, dict) and value.get("enabled") is False:
            triggers.append(Trigger(kind, rel, line, "enabled: false", disabled=True))
        else:
            triggers.append(Trigger(kind, rel, line, _branches(value)))
    schedules = doc.get("schedules")
    for index, entry in enumerate(schedules if isinstance(schedules, list) else []):
        if isinstance(entry, dict) and text_of(entry.get("cron")):
            detail = text_of(entry.get("cron"))
            if entry.get("displayName"):
                detail += f" ({text_of(entry.get('displayName'))})"
            triggers.append(Trigger("schedule", rel, schedules.item_lines[index], detail))
    resources = doc.get("resources")
    pipelines = resources.get("pipelines") if isinstance(resources, dict) else None
    for index, entry in enumerate(pipelines if isinstance(pipelines, list) else []):
        if isinstance(entry, dict) and entry.get("trigger") not in (None, False, "none"):
            triggers.append(Trigger("upstream", rel, pipelines.item_lines[index], f"after pipeline {text_of(entry.get('source'))}"))
    return triggers


def _branches(value: Any) -> str:
    if isinstance(value, list):
        return "branches: " + ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        branches = value.get("branches")
        include = branches.get("include") if isinstance(branches, dict) else branches
        tags = value.get("tags")
        parts = []
        if include:
            parts.append("branches: " + ", ".join(str(v) for v in as_list(include)))
        if tags:
            parts.append("tags")
        return "; ".join(parts)
    return ""


def _restrict(triggers: list[Trigger], condition: Any) -> list[Trigger] | None:
    """A `condition:` on Build.Reason keeps (eq) or drops (ne) trigger kinds; None when always false."""
    text = text_of(condition)
    if condition is False or text.lower() == "false":
        return None
    tests = _REASON_TEST.findall(text)
    wanted = {REASON_KIND.get(v.lower(), "other") for op, v in tests if op.lower() == "eq"}
    unwanted = {REASON_KIND.get(v.lower(), "other") for op, v in tests if op.lower() == "ne"}
    if wanted and not unwanted:
        return [t for t in triggers if t.kind in wanted]
    if unwanted and not wanted:
        return [t for t in triggers if t.kind not in unwanted]
    return triggers


class _Pipeline:
    def __init__(self, source: RepoFiles, rel: str, triggers: list[Trigger]):
        self.source = source
        self.rel = rel
        self.triggers = triggers
        self.template_uses = MAX_TEMPLATE_USES

    def include(self, template: str | None, depth: int) -> bool:
        """Whether a template reference may be expanded here (it exists, depth and use budgets hold)."""
        if not template or not self.source.has(template) or depth >= MAX_TEMPLATE_DEPTH or self.template_uses <= 0:
            return False
        self.template_uses -= 1
        return True

    def jobs(self, doc: dict) -> list[Job]:
        extends = doc.get("extends")
        if isinstance(extends, dict):
            target = _template_path(self.rel, extends.get("template"))
            if target and self.source.has(target):
                return self._from_scope(target, self.source.mapping(target), "", self.triggers, 1)
        return self._from_scope(self.rel, doc, "", self.triggers, 0)

    def _from_scope(self, rel: str, scope: dict, prefix: str, triggers: list[Trigger], depth: int) -> list[Job]:
        """Jobs of a pipeline or template document: stages, jobs, or bare steps."""
        if depth > MAX_TEMPLATE_DEPTH:
            return []
        if isinstance(scope.get("stages"), list):
            return self._stages(rel, scope["stages"], triggers, depth)
        if isinstance(scope.get("jobs"), list):
            return self._jobs(rel, scope["jobs"], prefix, triggers, depth)
        if isinstance(scope.get("steps"), list):
            job = Job(SYSTEM, prefix.rstrip("/") or posixpath.basename(rel), rel, scope.line_of("steps"), list(triggers))
            job.steps = self._steps(rel, scope["steps"], "", depth)
            return [job]
        return []

    def _stages(self, rel: str, stages: list, triggers: list[Trigger], depth: int) -> list[Job]:
        out = []
        for stage in stages:
            if not isinstance(stage, dict):
                continue
            template = _template_path(rel, stage.get("template"))
            if template:
                out.extend(self._included(template, "", triggers, depth))
                continue
            kept = _restrict(triggers, stage.get("condition"))
            if kept is None:
                continue
            name = text_of(stage.get("stage")) or "stage"
            out.extend(self._jobs(rel, as_list(stage.get("jobs")), f"{name}/", kept, depth))
        return out

    def _included(self, template: str, prefix: str, triggers: list[Trigger], depth: int) -> list[Job]:
        if not self.include(template, depth):
            return []
        return self._from_scope(template, self.source.mapping(template), prefix, triggers, depth + 1)

    def _jobs(self, rel: str, jobs: list, prefix: str, triggers: list[Trigger], depth: int) -> list[Job]:
        out = []
        for index, job in enumerate(jobs):
            if not isinstance(job, dict):
                continue
            template = _template_path(rel, job.get("template"))
            if template:
                out.extend(self._included(template, prefix, triggers, depth))
                continue
            kept = _restrict(triggers, job.get("condition"))
            name = text_of(job.get("job")) or text_of(job.get("deployment")) or f"job{index + 1}"
            line = job.line_of("job") if "job" in job else job.line_of("deployment") if "deployment" in job else job.line
            result = Job(SYSTEM, prefix + name, rel, line, kept or [], disabled=kept is None)
            steps = job.get("steps")
            if steps is None:  # deployment jobs keep their steps under strategy.<kind>.<hook>.steps
                steps = [s for hook in _deployment_hooks(job.get("strategy")) for s in as_list(hook.get("steps"))]
            result.steps = self._steps(rel, steps, _image(job.get("container")), depth)
            out.append(result)
        return out

    def _steps(self, rel: str, steps: Any, image: str, depth: int) -> list[Step]:
        out: list[Step] = []
        for step in steps if isinstance(steps, list) else []:
            if not isinstance(step, dict) or step.get("enabled") is False or _restrict([], step.get("condition")) is None:
                continue
            name = text_of(step.get("displayName")) or text_of(step.get("name"))
            cwd = _dir(step.get("workingDirectory"))
            template = _template_path(rel, step.get("template"))
            if self.include(template, depth):
                out.extend(self._steps(template, self.source.mapping(template).get("steps"), image, depth + 1))
                continue
            for key in SCRIPT_KEYS:
                if key in step:
                    out.extend(script_steps(step[key], rel, step.line_of(key), name=name, image=image, cwd=cwd))
            if "task" in step:
                out.extend(self._task(rel, step, name, image))
        return out

    def _task(self, rel: str, step: dict, name: str, image: str) -> list[Step]:
        task = text_of(step.get("task"))
        inputs = step.get("inputs") if isinstance(step.get("inputs"), dict) else {}
        cwd = _dir(inputs.get("workingDirectory") or inputs.get("cwd"))
        out = [Step(f"task: {task}", rel, step.line_of("task"), name=name, image=image)]
        for key in INLINE_INPUTS:
            if isinstance(inputs.get(key), str) and text_of(inputs.get("targetType") or "inline").lower() != "filepath":
                out.extend(script_steps(inputs[key], rel, inputs.line_of(key), name=name, image=image, cwd=cwd))
        for key, default in FILE_INPUTS.items():
            path = text_of(inputs.get(key))
            if path and "$(" not in path:
                interpreter = TASK_INTERPRETER.get(task.split("@")[0].lower(), default)
                arguments = text_of(inputs.get("arguments") or inputs.get("scriptArguments"))
                command = f"{interpreter} {path} {arguments}".strip()
                out.append(Step(command, rel, inputs.line_of(key), name=name, image=image, cwd=cwd))
        return out


def _deployment_hooks(strategy: Any) -> list[dict]:
    hooks = []
    for kind in strategy.values() if isinstance(strategy, dict) else []:
        for hook_name, hook in kind.items() if isinstance(kind, dict) else []:
            if isinstance(hook, dict):
                hooks.append(hook)
                if hook_name == "on":
                    hooks.extend(v for v in hook.values() if isinstance(v, dict))
    return hooks


def _image(container: Any) -> str:
    return text_of(container.get("image")) if isinstance(container, dict) else text_of(container)


def _dir(value: Any) -> str:
    text = text_of(value)
    return "" if not text or "$(" in text or "${{" in text else join("", text)
