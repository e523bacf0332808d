"""GitHub Actions workflows: `on:` triggers, jobs, `run:` and `uses:` steps.

Only files directly in .github/workflows/ are workflows (GitHub ignores
subfolders). A job that calls a local reusable workflow, or a step that uses
a local composite action, gets the called steps inlined (each keeps its own
path:line), so a scheduled caller reaches what the callee runs.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from mlproof.model.jobdefs.source import script_steps
from mlproof.model.jobs import Job, Step, Trigger
from mlproof.model.repofiles import RepoFiles, join
from mlproof.model.yamldata import as_list, text_of

SYSTEM = "github-actions"
WORKFLOW_PATH = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
EVENT_KIND = {
    "push": "push",
    "pull_request": "pull_request",
    "pull_request_target": "pull_request",
    "merge_group": "pull_request",
    "schedule": "schedule",
    "workflow_dispatch": "manual",
    "repository_dispatch": "manual",
    "workflow_run": "upstream",
    "workflow_call": "upstream",
    "release": "tag",
}
MAX_INLINE_DEPTH = 4  # reusable workflows / composite actions calling each other
_FALSE_IF = re.compile(r"^\s*(?:\$\{\{\s*)?(?:false|0|'')\s*(?:\}\})?\s*$", re.I)
_EVENT_TEST = re.compile(r"github\.event_name\s*(==|!=)\s*['\"](\w+)['\"]")
_STEP_SCRIPT_INPUTS = ("run", "command")  # `with:` inputs of retry/timeout wrapper actions that hold a shell command


def parse(source: RepoFiles) -> list[Job]:
    jobs: list[Job] = []
    callers: dict[str, list[str]] = {}
    parsed = []
    for rel in source.matching(WORKFLOW_PATH):
        doc = source.mapping(rel)
        if doc:
            parsed.append((rel, doc))
            for job_name, job in _jobs(doc).items():
                callee = _local_workflow(job)
                if callee:
                    callers.setdefault(callee, []).append(f"{rel} job {job_name}")
    for rel, doc in parsed:
        triggers = _triggers(doc, rel, callers.get(rel, []))
        for job_name, job in _jobs(doc).items():
            jobs.append(_job(source, rel, doc, job_name, job, triggers))
    return jobs


def _jobs(doc: dict) -> dict:
    jobs = doc.get("jobs")
    return {k: v for k, v in jobs.items() if isinstance(v, dict)} if isinstance(jobs, dict) else {}


def _local_workflow(job: dict) -> str | None:
    uses = text_of(job.get("uses"))
    if uses.startswith("./"):
        return posixpath.normpath(uses.split("@")[0])
    return None


def _triggers(doc: dict, rel: str, callers: list[str]) -> list[tuple[str, Trigger]]:
    """(event name, trigger) pairs from `on:`, in any of its three forms."""
    on = doc.get("on")
    if isinstance(on, str):
        events = [(str(on), None, doc.line_of("on"))]
    elif isinstance(on, list):
        events = [(str(e), None, on.item_lines[i]) for i, e in enumerate(on) if isinstance(e, str)]
    elif isinstance(on, dict):
        events = [(str(e), config, on.line_of(e)) for e, config in on.items()]
    else:
        return []
    out: list[tuple[str, Trigger]] = []
    for event, config, event_line in events:
        if event == "schedule":
            entries = config if isinstance(config, list) else []
            for index, entry in enumerate(entries):
                cron = text_of(entry.get("cron")) if isinstance(entry, dict) else ""
                if cron:
                    out.append((event, Trigger("schedule", rel, entries.item_lines[index], cron)))
            continue
        if event == "push" and isinstance(config, dict) and "tags" in config and not _has_branch_filter(config):
            out.append((event, Trigger("tag", rel, event_line, _filters(config))))
            continue
        kind = EVENT_KIND.get(event, "other")
        detail = _filters(config) if isinstance(config, dict) else ""
        if event == "workflow_call":
            detail = "reusable workflow" + (f", called by {'; '.join(callers)}" if callers else "")
        elif event == "workflow_run" and isinstance(config, dict):
            detail = "after " + ", ".join(str(w) for w in as_list(config.get("workflows"))) + (f" ({detail})" if detail else "")
        elif kind == "other":
            detail = event
        out.append((event, Trigger(kind, rel, event_line, detail)))
    return out


def _has_branch_filter(config: dict) -> bool:
    return any(k in config for k in ("branches", "branches-ignore"))


def _filters(config: dict) -> str:
    parts = []
    for key in ("branches", "branches-ignore", "tags", "tags-ignore", "paths", "types"):
        values = [str(v) for v in as_list(config.get(key))]
        if values:
            parts.append(f"{key}: {', '.join(values)}")
    return "; ".join(parts)


def _job(source: RepoFiles, rel: str, doc: dict, name: str, job: dict, triggers: list[tuple[str, Trigger]]) -> Job:
    jobs_map = doc.get("jobs")
    condition = job.get("if")
    disabled = condition is False or (isinstance(condition, str) and bool(_FALSE_IF.match(condition)))
    own_triggers = _filter_by_event(triggers, condition if isinstance(condition, str) else "")
    result = Job(SYSTEM, str(job.get("name") or name), rel, jobs_map.line_of(name), own_triggers, disabled=disabled)
    callee = _local_workflow(job)
    if callee:
        result.steps = _workflow_steps(source, callee, 1, {rel})
    elif text_of(job.get("uses")):
        result.steps = [Step(f"uses: {text_of(job['uses'])}", rel, job.line_of("uses"), name=name)]
    else:
        image = _image(job.get("container"))
        cwd = _working_dir(job) or _working_dir(doc)
        result.steps = _steps(source, rel, job.get("steps"), image, cwd, 0, {rel})
    return result


def _filter_by_event(triggers: list[tuple[str, Trigger]], condition: str) -> list[Trigger]:
    """A job-level `if: github.event_name == 'schedule'` keeps only those events (`!=` drops them)."""
    tests = _EVENT_TEST.findall(condition)
    wanted = {event for op, event in tests if op == "=="}
    unwanted = {event for op, event in tests if op == "!="}
    kept = []
    for event, trigger in triggers:
        if wanted and not unwanted and event not in wanted:
            continue
        if unwanted and not wanted and event in unwanted:
            continue
        kept.append(trigger)
    return kept


def _image(container: Any) -> str:
    if isinstance(container, dict):
        return text_of(container.get("image"))
    return text_of(container)


def _working_dir(scope: dict) -> str:
    defaults = scope.get("defaults")
    run = defaults.get("run") if isinstance(defaults, dict) else None
    return _clean_dir(run.get("working-directory")) if isinstance(run, dict) else ""


def _clean_dir(value: Any) -> str:
    text = text_of(value)
    if not text or "${{" in text or "$" in text:
        return ""
    return join("", text)


def _steps(source: RepoFiles, rel: str, steps: Any, image: str, cwd: str, depth: int, inlined: set[str]) -> list[Step]:
    """A job's steps; local composite actions and reusable workflows are inlined once per job (`inlined`
    is shared by the whole job: cycles stop, and fan-out cannot multiply the same steps)."""
    out: list[Step] = []
    if not isinstance(steps, list):
        return out
    for step in steps:
        if not isinstance(step, dict):
            continue
        condition = step.get("if")
        if condition is False or (isinstance(condition, str) and _FALSE_IF.match(condition)):
            continue  # a step switched off never runs
        name = text_of(step.get("name")) or text_of(step.get("id"))
        step_cwd = _clean_dir(step.get("working-directory")) or cwd
        if "run" in step:
            out.extend(script_steps(step.get("run"), rel, step.line_of("run"), name=name, image=image, cwd=step_cwd))
        uses = text_of(step.get("uses"))
        if not uses:
            continue
        if uses.startswith("./") and depth < MAX_INLINE_DEPTH:
            composite = _composite_steps(source, posixpath.normpath(uses), depth + 1, inlined)
            if composite is not None:
                out.extend(composite)
                continue
        if uses.startswith("docker://"):
            out.append(_docker_step(step, rel, uses, name))
            continue
        out.append(Step(f"uses: {uses}", rel, step.line_of("uses"), name=name, image=image))
        inputs = step.get("with")
        if isinstance(inputs, dict):
            for key in _STEP_SCRIPT_INPUTS:
                if isinstance(inputs.get(key), str):
                    out.extend(script_steps(inputs[key], rel, inputs.line_of(key), name=name, image=image, cwd=step_cwd))
    return out


def _docker_step(step: dict, rel: str, uses: str, name: str) -> Step:
    inputs = step.get("with") if isinstance(step.get("with"), dict) else {}
    command = " ".join(filter(None, [text_of(inputs.get("entrypoint")), text_of(inputs.get("args"))]))
    return Step(command or f"uses: {uses}", rel, step.line_of("uses"), name=name, image=uses[len("docker://"):])


def _composite_steps(source: RepoFiles, action_dir: str, depth: int, inlined: set[str]) -> list[Step] | None:
    """Steps of a local composite action (None when it is not one we can read, or already inlined)."""
    for candidate in (join(action_dir, "action.yml"), join(action_dir, "action.yaml")):
        if source.has(candidate) and candidate not in inlined:
            runs = source.mapping(candidate).get("runs")
            if isinstance(runs, dict) and text_of(runs.get("using")) == "composite":
                inlined.add(candidate)
                return _steps(source, candidate, runs.get("steps"), "", "", depth, inlined)
    return None


def _workflow_steps(source: RepoFiles, callee: str, depth: int, inlined: set[str]) -> list[Step]:
    """Every step of every job of a local reusable workflow (bounded; each file inlined once)."""
    if callee in inlined or depth > MAX_INLINE_DEPTH or not source.has(callee):
        return []
    inlined.add(callee)
    doc = source.mapping(callee)
    steps: list[Step] = []
    for job in _jobs(doc).values():
        nested = _local_workflow(job)
        if nested:
            steps.extend(_workflow_steps(source, nested, depth + 1, inlined))
        else:
            steps.extend(_steps(source, callee, job.get("steps"), _image(job.get("container")),
                                _working_dir(job) or _working_dir(doc), depth, inlined))
    return steps
