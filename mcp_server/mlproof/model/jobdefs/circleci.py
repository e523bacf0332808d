"""CircleCI: workflows (with scheduled triggers), jobs, run steps, reusable commands and orbs.

Each job a workflow lists becomes a Job named "workflow/job" with the
workflow's triggers. Orb steps and orb jobs (`python/test`) are kept as
`orb: name` steps, like `uses:` in GitHub Actions.
"""

from __future__ import annotations

import re
from typing import Any

from mlproof.model.jobdefs.source import script_steps
from mlproof.model.jobs import Job, Step, Trigger
from mlproof.model.repofiles import RepoFiles, join
from mlproof.model.yamldata import as_list, text_of

SYSTEM = "circleci"
CONFIG = re.compile(r"^\.circleci/config\.ya?ml$")
BUILT_IN_STEPS = {"checkout", "setup_remote_docker", "save_cache", "restore_cache", "store_artifacts",
                  "store_test_results", "persist_to_workspace", "attach_workspace", "add_ssh_keys", "when", "unless"}
SCHEDULED_PIPELINE = "CircleCI scheduled pipeline (schedule set in the project settings)"
MAX_COMMAND_DEPTH = 5
_SCHEDULED_SOURCE = re.compile(r"scheduled_pipeline|trigger_source", re.I)


def parse(source: RepoFiles) -> list[Job]:
    jobs: list[Job] = []
    for rel in source.matching(CONFIG):
        doc = source.mapping(rel)
        if doc:
            jobs.extend(_Config(rel, doc).jobs())
    return jobs


class _Config:
    def __init__(self, rel: str, doc: dict):
        self.rel = rel
        self.doc = doc
        self.job_defs = doc.get("jobs") if isinstance(doc.get("jobs"), dict) else {}
        self.commands = doc.get("commands") if isinstance(doc.get("commands"), dict) else {}

    def jobs(self) -> list[Job]:
        workflows = self.doc.get("workflows")
        if not isinstance(workflows, dict):  # 2.0 configs without workflows run the `build` job on push
            build = self.job_defs.get("build")
            if not isinstance(build, dict):
                return []
            push = Trigger("push", self.rel, self.doc.line_of("jobs"), "")
            return [self._job("build", "build", build, [push], self.job_defs.line_of("build"))]
        out = []
        for wf_name, workflow in workflows.items():
            if not isinstance(workflow, dict):
                continue
            triggers, disabled = self._triggers(workflow, workflows.line_of(wf_name))
            entries = workflow.get("jobs")
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                if not isinstance(entry, (str, dict)):
                    continue
                name, config = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()), ("", {}))
                if not name:
                    continue
                config = config if isinstance(config, dict) else {}
                line = entries.item_lines[index]
                own = [Trigger("manual", self.rel, line, "approval")] if text_of(config.get("type")) == "approval" else triggers
                job = self._job(f"{wf_name}/{config.get('name') or name}", str(name), self.job_defs.get(str(name)), own, line)
                job.disabled = disabled
                out.append(job)
        return out

    def _triggers(self, workflow: dict, line: int | None) -> tuple[list[Trigger], bool]:
        when = workflow.get("when")
        if when is False or workflow.get("unless") is True:
            return [], True
        triggers = []
        for index, trigger in enumerate(as_list(workflow.get("triggers"))):
            schedule = trigger.get("schedule") if isinstance(trigger, dict) else None
            if isinstance(schedule, dict) and text_of(schedule.get("cron")):
                item_line = workflow["triggers"].item_lines[index] if hasattr(workflow["triggers"], "item_lines") else line
                triggers.append(Trigger("schedule", self.rel, item_line, text_of(schedule.get("cron"))))
        if triggers:
            return triggers, False  # a workflow with scheduled triggers runs only on them
        if when is not None and _SCHEDULED_SOURCE.search(repr(when)):
            negated = isinstance(when, dict) and "not" in when
            if not negated:
                return [Trigger("schedule", self.rel, workflow.line_of("when"), SCHEDULED_PIPELINE)], False
        return [Trigger("push", self.rel, line, "")], False

    def _job(self, name: str, job_name: str, job: Any, triggers: list[Trigger], line: int | None) -> Job:
        result = Job(SYSTEM, name, self.rel, line, list(triggers))
        if not isinstance(job, dict):  # an orb job (`orb/job`) or a job defined elsewhere
            result.steps = [Step(f"orb: {job_name}", self.rel, line, name=job_name)] if "/" in job_name else []
            return result
        image = _image(job.get("docker"))
        cwd = _dir(job.get("working_directory"))
        result.steps = self._steps(job.get("steps"), image, cwd, 0, set())
        return result

    def _steps(self, steps: Any, image: str, cwd: str, depth: int, expanded: set[str]) -> list[Step]:
        """A job's steps; each reusable command is expanded once per job (`expanded` is shared by the
        whole job), so cycles stop and commands calling commands cannot multiply the same steps."""
        out: list[Step] = []
        items = steps if isinstance(steps, list) else []
        for index, step in enumerate(items):
            line = items.item_lines[index]
            name, config = _step_entry(step)
            if name == "run":
                if isinstance(config, dict):
                    step_cwd = _dir(config.get("working_directory")) or cwd
                    out.extend(script_steps(config.get("command"), self.rel, config.line_of("command"),
                                            name=text_of(config.get("name")), image=image, cwd=step_cwd))
                else:
                    out.extend(script_steps(config, self.rel, line, image=image, cwd=cwd))
            elif name in ("when", "unless") and isinstance(config, dict):
                switched_off = config.get("condition") is (False if name == "when" else True)
                if not switched_off:
                    out.extend(self._steps(config.get("steps"), image, cwd, depth + 1, expanded))
            elif name in self.commands and name not in expanded and depth < MAX_COMMAND_DEPTH:
                expanded.add(name)
                command = self.commands[name]
                nested = command.get("steps") if isinstance(command, dict) else None
                out.extend(self._steps(nested, image, cwd, depth + 1, expanded))
            elif name and name not in BUILT_IN_STEPS and "/" in name:
                out.append(Step(f"orb: {name}", self.rel, line, name=name, image=image))
        return out


def _step_entry(step: Any) -> tuple[str, Any]:
    """A step is a bare name (`checkout`, `orb/command`) or a one-key mapping (`run: ...`)."""
    if isinstance(step, str):
        return step, None
    if isinstance(step, dict) and step:
        name, config = next(iter(step.items()))
        return str(name), config
    return "", None


def _image(docker: Any) -> str:
    first = docker[0] if isinstance(docker, list) and docker else None
    return text_of(first.get("image")) if isinstance(first, dict) else ""


def _dir(value: Any) -> str:
    """A working_directory as a repository path: ~/project is where CircleCI checks the code out."""
    text = text_of(value)
    for checkout in ("~/project/", "/root/project/", "~/repo/"):
        if text.startswith(checkout):
            return join("", text[len(checkout):])
    if not text or text.startswith(("~", "/")) or "<<" in text or "$" in text:
        return ""  # other container paths are not repository paths
    return join("", text)
