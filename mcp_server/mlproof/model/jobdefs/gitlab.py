"""GitLab CI: .gitlab-ci.yml with its local includes, `extends:`, rules and scripts.

A job runs on push unless its rules say otherwise. Schedules live in the GitLab
UI, so a schedule trigger is only reported where the file shows it expects one
(`$CI_PIPELINE_SOURCE == "schedule"`, `only: [schedules]`, or workflow rules
that admit schedule pipelines for jobs without rules of their own).
"""

from __future__ import annotations

import re
from typing import Any

from mlproof.model.jobdefs.source import script_steps
from mlproof.model.jobs import Job, Trigger
from mlproof.model.repofiles import RepoFiles, join
from mlproof.model.yamldata import YMap, as_list, text_of

SYSTEM = "gitlab-ci"
ROOT = ".gitlab-ci.yml"
SCHEDULE_DETAIL = "GitLab pipeline schedule (cron set in the UI)"
MAX_INCLUDES = 50
MAX_INCLUDE_DEPTH = 6  # GitLab's own nesting limit is deeper; six is plenty for real repositories
MAX_EXTENDS_DEPTH = 10  # GitLab allows eleven levels
RESERVED = {"image", "services", "stages", "types", "before_script", "after_script", "variables", "cache",
            "include", "default", "workflow", "spec"}
_SOURCE_TEST = re.compile(r"\$CI_PIPELINE_SOURCE\s*(==|!=|=~|!~)\s*[\"'/]?(\w+)")
# What a pipeline source (or an `only:` keyword) means as a trigger.
SOURCE_KIND = {
    "schedule": "schedule", "schedules": "schedule",
    "merge_request_event": "pull_request", "merge_requests": "pull_request", "external_pull_request_event": "pull_request",
    "push": "push", "branches": "push",
    "web": "manual", "api": "manual", "chat": "manual",
    "trigger": "upstream", "triggers": "upstream", "pipeline": "upstream", "pipelines": "upstream", "parent_pipeline": "upstream",
    "tags": "tag",
}


def parse(source: RepoFiles) -> list[Job]:
    if not source.has(ROOT):
        return []
    return _Pipeline(source).jobs()


class _Pipeline:
    """The merged configuration of one repository's GitLab CI."""

    def __init__(self, source: RepoFiles):
        self.config, self.origin, self.key_lines = _merged_config(source, ROOT)
        default = self.config.get("default")
        self.defaults = default if isinstance(default, dict) else {}
        self.workflow_schedules = _workflow_admits_schedule(self.config.get("workflow"))

    def jobs(self) -> list[Job]:
        out = []
        resolved: dict[str, YMap] = {}  # templates shared by many jobs are merged once
        for name, job in self.config.items():
            if name in RESERVED or name.startswith(".") or not isinstance(job, dict):
                continue  # keywords and hidden (template) jobs never run by themselves
            if any(k in job for k in ("script", "trigger", "extends", "run")):
                out.append(self._job(name, _extended(self.config, self.origin, name, 0, {name}, resolved)))
        return out

    def _job(self, name: str, job: YMap) -> Job:
        rel = self.origin.get(name, ROOT)
        line = self.key_lines.get(name)
        result = Job(SYSTEM, name, rel, line)
        image = _image(job.get("image")) or _image(self.defaults.get("image")) or _image(self.config.get("image"))
        for key in ("before_script", "script", "after_script"):
            if key in job:
                value, path, value_line = job[key], job.key_files.get(key, rel), job.line_of(key)
            elif key != "script" and key in self.defaults:  # defaults run around every job without its own
                value, path, value_line = self.defaults[key], self.origin.get("default", ROOT), self.defaults.line_of(key)
            elif key != "script" and key in self.config:
                value, path, value_line = self.config[key], self.origin.get(key, ROOT), self.key_lines.get(key)
            else:
                continue
            result.steps.extend(script_steps(_dereference(self.config, value), path, value_line, name=name, image=image))
        trigger_file = job.key_files.get("rules") or job.key_files.get("only") or rel
        result.triggers, result.disabled = _triggers(job, trigger_file, line, self.workflow_schedules)
        return result


def _merged_config(source: RepoFiles, root: str) -> tuple[dict, dict[str, str], dict[str, int | None]]:
    """The root file with its local includes merged in (root keys win), and where each key came from."""
    merged: dict = {}
    origin: dict[str, str] = {}
    key_lines: dict[str, int | None] = {}
    seen: set[str] = set()
    queue = [(root, 0)]
    while queue and len(seen) < MAX_INCLUDES:
        rel, depth = queue.pop(0)
        if rel in seen:
            continue
        seen.add(rel)
        doc = source.mapping(rel)
        for key, value in doc.items():
            if key == "include":
                if depth < MAX_INCLUDE_DEPTH:
                    queue.extend((inc, depth + 1) for inc in _local_includes(source, value))
                continue
            if key not in merged:  # the including file is read first, so its definitions win
                merged[key] = value
                origin[key] = rel
                key_lines[key] = doc.line_of(key)
    return merged, origin, key_lines


def _local_includes(source: RepoFiles, value: Any) -> list[str]:
    out = []
    for item in as_list(value):
        local = text_of(item.get("local")) if isinstance(item, dict) else text_of(item)
        if not local or local.startswith(("http://", "https://")) or (isinstance(item, dict) and "local" not in item):
            continue  # remote, project and template includes live outside the repository
        target = join("", local)
        out.extend(source.glob(target) if "*" in target else [target])
    return out


def _extended(config: dict, origin: dict[str, str], name: str, depth: int, stack: set[str],
              resolved: dict[str, YMap]) -> YMap:
    """The job with its `extends:` parents merged in (deep merge, the job's own keys win).

    `key_files` on the result says which file each top-level key came from, so a script
    inherited from a template in an included file cites that file. `resolved` memoises each
    name's result: a diamond or a wide fan-out of templates is merged once per name, not per path."""
    if name in resolved:
        return resolved[name]
    job = config[name]
    merged = YMap(getattr(job, "line", None))
    merged.key_files = {}
    for parent_name in (str(p) for p in as_list(job.get("extends"))):
        if isinstance(config.get(parent_name), dict) and parent_name not in stack and depth < MAX_EXTENDS_DEPTH:
            merged = _deep_merge(merged, _extended(config, origin, parent_name, depth + 1, stack | {parent_name}, resolved))
    own = YMap(getattr(job, "line", None))
    own.update(job)
    own.key_lines = dict(getattr(job, "key_lines", {}))
    own.key_files = {key: origin.get(name, ROOT) for key in job}
    resolved[name] = _deep_merge(merged, own)
    return resolved[name]


def _deep_merge(base: YMap, over: YMap) -> YMap:
    out = YMap(over.line or base.line)
    out.key_lines = {**base.key_lines, **over.key_lines}
    out.key_files = {**getattr(base, "key_files", {}), **getattr(over, "key_files", {})}
    out.update(base)
    for key, value in over.items():
        if key == "extends":
            continue
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_values(out[key], value)
        else:
            out[key] = value
    return out


def _merge_values(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge_values(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _image(value: Any) -> str:
    return text_of(value.get("name")) if isinstance(value, dict) else text_of(value)


def _dereference(config: dict, value: Any) -> Any:
    """Resolve `!reference [.job, key]` items inside a script list."""
    if isinstance(value, list) and getattr(value, "tag", "") == "!reference":
        target: Any = config
        for part in value:
            target = target.get(str(part)) if isinstance(target, dict) else None
        return target if target is not None else []
    if isinstance(value, list):
        resolved = type(value)(getattr(value, "line", None)) if hasattr(value, "item_lines") else []
        for index, item in enumerate(value):
            resolved.append(_dereference(config, item))
            if hasattr(value, "item_lines"):
                resolved.item_lines.append(value.item_lines[index])
        return resolved
    return value


def _triggers(job: YMap, rel: str, job_line: int | None, workflow_schedules: bool) -> tuple[list[Trigger], bool]:
    """A job's triggers from rules/only/except/when, and whether it can never run."""
    when = text_of(job.get("when"))
    line = job.line_of("when") if "when" in job else job_line
    if when == "never":
        return [], True
    if "rules" in job:
        return _rule_triggers(job.get("rules"), rel)
    kinds: list[tuple[str, int | None, str]] = []
    only = job.get("only")
    if only is not None:
        refs = only.get("refs") if isinstance(only, dict) else only
        for index, ref in enumerate(as_list(refs)):
            ref_line = refs.item_lines[index] if hasattr(refs, "item_lines") else job.line_of("only")
            kind = SOURCE_KIND.get(str(ref), "push")  # anything else is a branch name or pattern
            kinds.append((kind, ref_line, SCHEDULE_DETAIL if kind == "schedule" else f"only: {ref}"))
    else:
        kinds.append(("push", job_line, ""))
        if workflow_schedules:
            kinds.append(("schedule", job_line, SCHEDULE_DETAIL))
    excluded = {SOURCE_KIND.get(str(ref), "") for ref in as_list(_refs(job.get("except")))}
    kinds = [k for k in kinds if k[0] not in excluded]
    if when == "manual":
        return [Trigger("manual", rel, line, "when: manual")], False
    return [Trigger(kind, rel, kline, detail) for kind, kline, detail in kinds], not kinds


def _refs(value: Any) -> Any:
    return value.get("refs") if isinstance(value, dict) else value


def _rule_triggers(rules: Any, rel: str) -> tuple[list[Trigger], bool]:
    triggers: list[Trigger] = []
    items = rules if isinstance(rules, list) else []
    for index, rule in enumerate(items):
        if not isinstance(rule, dict):
            continue
        rule_line = items.item_lines[index]
        when = text_of(rule.get("when")) or "on_success"
        if when == "never":
            continue
        condition = text_of(rule.get("if"))
        kinds = _condition_kinds(condition)
        if when == "manual":
            triggers.append(Trigger("manual", rel, rule_line, f"rules: {condition or 'always'} (when: manual)"))
            continue
        for kind in kinds:
            triggers.append(Trigger(kind, rel, rule_line, SCHEDULE_DETAIL if kind == "schedule" else condition))
    return triggers, not triggers


def _condition_kinds(condition: str) -> list[str]:
    """Trigger kinds a rule's `if:` admits; a rule about something else counts as push."""
    tests = _SOURCE_TEST.findall(condition)
    positive = [SOURCE_KIND.get(value, "other") for op, value in tests if op in ("==", "=~")]
    if positive:
        return list(dict.fromkeys(positive))
    if "$CI_COMMIT_TAG" in condition and "!" not in condition.split("$CI_COMMIT_TAG")[0][-2:]:
        return ["tag"]
    return ["push"]


def _workflow_admits_schedule(workflow: Any) -> bool:
    rules = workflow.get("rules") if isinstance(workflow, dict) else None
    for rule in rules if isinstance(rules, list) else []:
        if isinstance(rule, dict) and text_of(rule.get("when")) != "never" and "schedule" in _condition_kinds(text_of(rule.get("if"))):
            return True
    return False
