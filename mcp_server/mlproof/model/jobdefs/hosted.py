"""Smaller hosted CI systems: Bitbucket Pipelines, Drone, Travis CI.

Their schedules are set in the service's settings, so a schedule trigger is
reported only where the file routes work to scheduled builds (Bitbucket
custom pipelines, a Drone `cron` event, a Travis `type = cron` condition).
"""

from __future__ import annotations

import re
from typing import Any

from mlproof.model.jobdefs.source import script_steps
from mlproof.model.jobs import Job, Trigger
from mlproof.model.repofiles import RepoFiles
from mlproof.model.yamldata import as_list, text_of

BITBUCKET = re.compile(r"^bitbucket-pipelines\.ya?ml$")
DRONE = re.compile(r"^\.drone\.ya?ml$")
TRAVIS = re.compile(r"^\.travis\.ya?ml$")
BITBUCKET_SECTIONS = {"default": "push", "branches": "push", "bookmarks": "push", "tags": "tag",
                      "pull-requests": "pull_request", "custom": "manual"}
BITBUCKET_CUSTOM = "custom pipeline (run by hand, or by a schedule set in the repository settings)"
DRONE_EVENTS = {"push": "push", "pull_request": "pull_request", "tag": "tag", "promote": "manual", "rollback": "manual",
                "custom": "manual", "cron": "schedule"}
DRONE_CRON = "Drone cron job (schedule set on the server)"
TRAVIS_PHASES = ("before_install", "install", "before_script", "script", "after_success", "before_deploy", "after_deploy")
TRAVIS_CRON = "Travis cron job (schedule set in the repository settings)"
_TRAVIS_IF_CRON = re.compile(r"\btype\s*(?:=|==|IN\s*\([^)]*)\s*cron\b", re.I)


def parse(source: RepoFiles) -> list[Job]:
    jobs: list[Job] = []
    for rel in source.matching(BITBUCKET):
        jobs.extend(_bitbucket(rel, source.mapping(rel)))
    for rel in source.matching(DRONE):
        for doc in source.yaml(rel):
            if isinstance(doc, dict) and text_of(doc.get("kind")) in ("pipeline", ""):
                jobs.append(_drone(rel, doc))
    for rel in source.matching(TRAVIS):
        jobs.extend(_travis(rel, source.mapping(rel)))
    return jobs


def _bitbucket(rel: str, doc: dict) -> list[Job]:
    pipelines = doc.get("pipelines")
    if not isinstance(pipelines, dict):
        return []
    default_image = _image(doc.get("image"))
    jobs = []
    for section, kind in BITBUCKET_SECTIONS.items():
        value = pipelines.get(section)
        groups = {"": value} if section == "default" else value if isinstance(value, dict) else {}
        for pattern, items in groups.items():
            detail = BITBUCKET_CUSTOM if section == "custom" else f"{section}: {pattern}" if pattern else ""
            trigger = Trigger(kind, rel, pipelines.line_of(section), detail)
            for number, step in enumerate(_bitbucket_steps(items), 1):
                name = text_of(step.get("name")) or f"{section}{'/' + pattern if pattern else ''}#{number}"
                own = [trigger]
                if text_of(step.get("trigger")) == "manual":
                    own = [Trigger("manual", rel, step.line_of("trigger"), "trigger: manual")]
                job = Job("bitbucket-pipelines", name, rel, step.line, own)
                image = _image(step.get("image")) or default_image
                for key in ("script", "after-script"):
                    if key in step:
                        job.steps.extend(script_steps(step[key], rel, step.line_of(key), name=name, image=image))
                jobs.append(job)
    return jobs


def _bitbucket_steps(items: Any, depth: int = 0) -> list[dict]:
    """Every `step:` mapping in a pipeline's list, through `parallel:` and `stage:` groups."""
    out = []
    for item in as_list(items):
        if not isinstance(item, dict) or depth > 4:
            continue
        if isinstance(item.get("step"), dict):
            out.append(item["step"])
        for group in ("parallel", "stage"):
            nested = item.get(group)
            if isinstance(nested, dict):
                nested = nested.get("steps")
            out.extend(_bitbucket_steps(nested, depth + 1))
    return out


def _image(value: Any) -> str:
    return text_of(value.get("name")) if isinstance(value, dict) else text_of(value)


def _drone(rel: str, doc: dict) -> Job:
    trigger = doc.get("trigger") if isinstance(doc.get("trigger"), dict) else {}
    events = [text_of(e) for e in as_list(trigger.get("event"))]
    if isinstance(trigger.get("event"), dict):
        events = [text_of(e) for e in as_list(trigger["event"].get("include"))]
    line = doc.line_of("trigger") if trigger else None
    triggers = [Trigger(DRONE_EVENTS.get(e, "other"), rel, line, DRONE_CRON if e == "cron" else e) for e in events]
    if not triggers:
        triggers = [Trigger("push", rel, None, "all events (no trigger section)"), Trigger("pull_request", rel, None, "")]
    job = Job("drone", text_of(doc.get("name")) or "default", rel, doc.line, triggers)
    for step in as_list(doc.get("steps")):
        if isinstance(step, dict) and "commands" in step:
            job.steps.extend(script_steps(step["commands"], rel, step.line_of("commands"), name=text_of(step.get("name")),
                                          image=text_of(step.get("image"))))
    return job


def _travis(rel: str, doc: dict) -> list[Job]:
    base_triggers = _travis_triggers(rel, doc)
    jobs = []
    main = Job("travis", "build", rel, doc.line, base_triggers)
    for phase in TRAVIS_PHASES:
        if phase in doc:
            main.steps.extend(script_steps(doc[phase], rel, doc.line_of(phase), name=phase))
    if main.steps:
        jobs.append(main)
    matrix = doc.get("jobs") if isinstance(doc.get("jobs"), dict) else doc.get("matrix") if isinstance(doc.get("matrix"), dict) else {}
    includes = matrix.get("include")
    for index, entry in enumerate(includes if isinstance(includes, list) else []):
        if not isinstance(entry, dict):
            continue
        name = text_of(entry.get("name")) or text_of(entry.get("stage")) or f"job{index + 1}"
        job = Job("travis", name, rel, includes.item_lines[index], _travis_triggers(rel, entry, base_triggers))
        for phase in TRAVIS_PHASES:
            if phase in entry:
                job.steps.extend(script_steps(entry[phase], rel, entry.line_of(phase), name=name))
        jobs.append(job)
    return jobs


def _travis_triggers(rel: str, scope: dict, inherited: list[Trigger] | None = None) -> list[Trigger]:
    condition = text_of(scope.get("if"))
    if condition and _TRAVIS_IF_CRON.search(condition) and "NOT" not in condition.upper() and "!=" not in condition:
        return [Trigger("schedule", rel, scope.line_of("if"), TRAVIS_CRON)]
    if inherited is not None:
        return list(inherited)
    return [Trigger("push", rel, None, ""), Trigger("pull_request", rel, None, "")]
