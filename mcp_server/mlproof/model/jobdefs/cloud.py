"""Cloud build services and cloud schedulers.

- Google Cloud Build: steps (image, entrypoint, args, script). Found by name (cloudbuild*.yaml)
  and by content: any YAML/JSON config whose top-level keys are all Cloud Build's and whose
  `steps` run builder images (gcr.io/cloud-builders/...) or declare entrypoint/args. Its trigger
  lives outside the repository unless Terraform declares it (google_cloudbuild_trigger) or a
  Cloud Scheduler job runs it.
- AWS CodeBuild (buildspec*.yml): phases.*.commands; the project is defined elsewhere.
- Schedules: CloudFormation/SAM (AWS::Events::Rule, AWS::Scheduler::Schedule, SAM Schedule
  events), Terraform (aws_cloudwatch_event_rule, aws_scheduler_schedule,
  google_cloud_scheduler_job) and `gcloud scheduler jobs create` commands. A schedule is
  attached to the job it runs when the target resolves to one here (a Cloud Build file, a SAM
  function's handler file); otherwise it is a Job with no steps whose detail names the target.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import Any

from mlproof.model.jobdefs.source import script_steps
from mlproof.model.jobs import Job, Step, Trigger
from mlproof.model.repofiles import RepoFiles, join
from mlproof.model.shell import logical_lines
from mlproof.model.yamldata import as_list, text_of

CLOUD_BUILD = re.compile(r"(?:^|/)cloudbuild[^/]*\.(?:ya?ml|json)$", re.I)
BUILDSPEC = re.compile(r"(?:^|/)buildspec[^/]*\.ya?ml$", re.I)
OUTSIDE_TRIGGER = "build trigger defined outside the repository"
CODEBUILD_TRIGGER = "CodeBuild project defined outside the repository (webhook, CodePipeline or schedule)"
CODEBUILD_PHASES = ("install", "pre_build", "build", "post_build")
SHELLS = {"bash", "sh", "/bin/bash", "/bin/sh", "/usr/bin/bash"}
CLOUD_SDK_IMAGE = re.compile(r"cloud-builders/([\w.-]+)|cloudsdktool/|google/cloud-sdk")
TEMPLATE_NEEDLES = ("ScheduleExpression", "Type: Schedule", '"Schedule"')
GCLOUD_SCHEDULER = "gcloud scheduler jobs create"
# Cloud Build configs under any name: the sniff is broad ("steps:"), the shape test below is strict.
CLOUD_BUILD_NEEDLES = ("steps:", '"steps"')
CLOUD_BUILD_KEYS = {"steps", "timeout", "queueTtl", "logsBucket", "options", "substitutions", "tags", "serviceAccount",
                    "secrets", "availableSecrets", "artifacts", "images", "maven", "pythonPackages", "npmPackages",
                    "goModules", "dynamicSubstitutions", "defaultLogsBucketBehavior"}
CLOUD_BUILD_STEP_KEYS = {"name", "args", "env", "dir", "id", "waitFor", "entrypoint", "secretEnv", "volumes", "timeout",
                         "script", "automapSubstitutions", "allowFailure", "allowExitCodes"}
_TOP_LEVEL_STEPS = re.compile(r'^steps:|^[ \t]*"steps"[ \t]*:', re.M)  # checked before parsing: other files are never parsed
SNIFF = (((".yml", ".yaml", ".json"), TEMPLATE_NEEDLES + CLOUD_BUILD_NEEDLES),
         ((".tf",), ("schedule_expression", "google_cloud_scheduler_job", "google_cloudbuild_trigger")),
         ((".sh", ".bash", ".yml", ".yaml"), (GCLOUD_SCHEDULER,)))
SCHEDULE_TEMPLATE_TYPES = {"AWS::Events::Rule", "AWS::Scheduler::Schedule"}
SAM_FUNCTION_TYPES = {"AWS::Serverless::Function", "AWS::Serverless::StateMachine"}
_TF_BLOCK = re.compile(r'^\s*resource\s+"([\w-]+)"\s+"([\w-]+)"\s*\{', re.M)
_TF_STRING_ATTR = r'^\s*{name}\s*=\s*"([^"\n]*)"'
_TF_REF = re.compile(r"\b((?:aws|google)_[\w]+)\.([\w-]+)")
_GCLOUD_SCHEDULER = re.compile(r"gcloud\s+(?:beta\s+)?scheduler\s+jobs\s+create\s+(\w+)\s+(\S+)")


def parse(source: RepoFiles) -> list[Job]:
    build_triggers = _terraform_build_triggers(source)
    by_name = source.matching(CLOUD_BUILD)
    by_content = [rel for rel in source.containing((".yml", ".yaml", ".json"), CLOUD_BUILD_NEEDLES)
                  if rel not in by_name and _TOP_LEVEL_STEPS.search(source.text(rel) or "")
                  and _looks_like_cloud_build(source.mapping(rel))]
    jobs = [_cloud_build(source, rel, build_triggers.get(rel)) for rel in sorted(by_name + by_content)]
    jobs = [job for job in jobs if job]
    jobs.extend(job for job in (_codebuild(source, rel) for rel in source.matching(BUILDSPEC)) if job)
    jobs.extend(_template_schedules(source))
    jobs.extend(_terraform_schedules(source, {job.path: job for job in jobs if job.system == "cloud-build"}))
    jobs.extend(_gcloud_scheduler_commands(source))
    return jobs


# --- Cloud Build ---------------------------------------------------------------------------------

def _cloud_build(source: RepoFiles, rel: str, triggers: list[Trigger] | None) -> Job | None:
    doc = source.mapping(rel)
    steps = doc.get("steps")
    if not isinstance(steps, list):
        return None
    job = Job("cloud-build", posixpath.basename(rel), rel, doc.line_of("steps"),
              triggers or [Trigger("other", rel, None, OUTSIDE_TRIGGER)])
    for index, step in enumerate(steps):
        if isinstance(step, dict):
            job.steps.extend(_cloud_build_step(rel, step, steps.item_lines[index]))
    return job


def _looks_like_cloud_build(doc: dict) -> bool:
    """A config in Cloud Build's shape: only its top-level keys, and steps that are all builder
    steps (an image `name` and only step keys), one of them a cloud builder or with entrypoint/args.
    GitHub/Azure/Drone/Argo files with `steps:` fail on their own keys (run, uses, task, image, commands)."""
    steps = doc.get("steps")
    if not isinstance(steps, list) or not steps or not set(doc) <= CLOUD_BUILD_KEYS:
        return False
    if not all(isinstance(step, dict) and text_of(step.get("name")) and set(step) <= CLOUD_BUILD_STEP_KEYS for step in steps):
        return False
    return any(CLOUD_SDK_IMAGE.search(text_of(step.get("name"))) or "args" in step or "entrypoint" in step for step in steps)


def _cloud_build_step(rel: str, step: dict, line: int | None) -> list[Step]:
    image = text_of(step.get("name"))
    name = text_of(step.get("id"))
    cwd = join("", text_of(step.get("dir"))) if text_of(step.get("dir")) and "$" not in text_of(step.get("dir")) else ""
    if "script" in step:
        return script_steps(step.get("script"), rel, step.line_of("script"), name=name, image=image, cwd=cwd)
    entrypoint = text_of(step.get("entrypoint"))
    args = step.get("args")
    if isinstance(args, str):
        args_list = [args]
        args_lines = [step.line_of("args")]
    else:
        args_list = [str(a) for a in as_list(args)]
        args_lines = list(getattr(args, "item_lines", [])) or [step.line_of("args")] * len(args_list)
    if entrypoint in SHELLS and len(args_list) >= 2 and args_list[0].startswith("-") and "c" in args_list[0]:
        script = args[1] if isinstance(args, list) else args_list[1]
        return script_steps(script, rel, args_lines[1] if len(args_lines) > 1 else line, name=name, image=image, cwd=cwd)
    program = entrypoint or _builder_program(image)
    words = ([program] if program else []) + args_list
    if not words:
        return []
    return [Step(shlex.join(words), rel, step.line_of("args") if args_list else line, name=name, image=image, cwd=cwd)]


def _builder_program(image: str) -> str:
    """The program a builder image runs without an entrypoint ("" when args[0] is the program)."""
    match = CLOUD_SDK_IMAGE.search(image)
    if not match:
        return ""
    return match.group(1) if match.group(1) else "gcloud"


def _codebuild(source: RepoFiles, rel: str) -> Job | None:
    doc = source.mapping(rel)
    phases = doc.get("phases")
    if not isinstance(phases, dict):
        return None
    job = Job("codebuild", posixpath.basename(rel), rel, doc.line_of("phases"), [Trigger("other", rel, None, CODEBUILD_TRIGGER)])
    for phase in CODEBUILD_PHASES:
        config = phases.get(phase)
        if isinstance(config, dict):
            for key in ("commands", "finally"):
                if key in config:
                    job.steps.extend(script_steps(config[key], rel, config.line_of(key), name=phase))
    return job


# --- CloudFormation / SAM ------------------------------------------------------------------------

def _template_schedules(source: RepoFiles) -> list[Job]:
    jobs = []
    for rel in source.containing((".yml", ".yaml", ".json"), TEMPLATE_NEEDLES):
        for doc in source.yaml(rel):
            resources = doc.get("Resources") if isinstance(doc, dict) else None
            if isinstance(resources, dict):
                jobs.extend(_resource_schedules(source, rel, resources))
    return jobs


def _resource_schedules(source: RepoFiles, rel: str, resources: dict) -> list[Job]:
    jobs = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict):
            continue
        kind = text_of(resource.get("Type"))
        props = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
        line = resources.line_of(logical_id)
        if kind in SCHEDULE_TEMPLATE_TYPES and text_of(props.get("ScheduleExpression")):
            expression = text_of(props.get("ScheduleExpression"))
            disabled = text_of(props.get("State")).upper() == "DISABLED"
            targets = [_logical_ref(t.get("Arn")) for t in as_list(props.get("Targets")) if isinstance(t, dict)]
            if isinstance(props.get("Target"), dict):
                targets.append(_logical_ref(props["Target"].get("Arn")))
            trigger = Trigger("schedule", rel, props.line_of("ScheduleExpression"), expression, disabled=disabled)
            for target in [t for t in targets if t] or [""]:
                jobs.append(_target_job(source, rel, logical_id, line, trigger, resources, target))
        elif kind in SAM_FUNCTION_TYPES:
            events = props.get("Events") if isinstance(props.get("Events"), dict) else {}
            for event in events.values():
                if not isinstance(event, dict) or not text_of(event.get("Type")).startswith("Schedule"):
                    continue
                event_props = event.get("Properties") if isinstance(event.get("Properties"), dict) else {}
                expression = text_of(event_props.get("Schedule") or event_props.get("ScheduleExpression"))
                if not expression:
                    continue
                disabled = event_props.get("Enabled") is False or text_of(event_props.get("State")).upper() == "DISABLED"
                key = "Schedule" if "Schedule" in event_props else "ScheduleExpression"
                trigger = Trigger("schedule", rel, event_props.line_of(key), expression, disabled=disabled)
                jobs.append(_target_job(source, rel, logical_id, line, trigger, resources, logical_id))
    return jobs


def _logical_ref(value: Any) -> str:
    """The logical id an Arn value points at: !GetAtt Fn.Arn, !Ref Fn, Fn::GetAtt [Fn, Arn], !Sub '${Fn.Arn}'."""
    if isinstance(value, dict):
        value = value.get("Fn::GetAtt") or value.get("Ref") or value.get("Fn::Sub") or ""
    if isinstance(value, list):
        value = value[0] if value else ""
    text = text_of(value)
    sub = re.search(r"\$\{([\w]+)", text)
    if sub:
        return sub.group(1)
    return text.split(".")[0] if re.fullmatch(r"[\w]+(?:\.[\w]+)?", text) else ""


def _target_job(source: RepoFiles, rel: str, name: str, line: int | None, trigger: Trigger, resources: dict, target: str) -> Job:
    job = Job("aws-eventbridge", name, rel, line, [trigger])
    resource = resources.get(target) if target else None
    kind = text_of(resource.get("Type")) if isinstance(resource, dict) else ""
    props = resource.get("Properties") if isinstance(resource, dict) and isinstance(resource.get("Properties"), dict) else {}
    handler_file = _sam_handler_file(source, rel, props) if kind == "AWS::Serverless::Function" else None
    if handler_file:
        job.steps.append(Step("", rel, props.line_of("Handler"), name=target, file=handler_file))
    job.detail = f"target: {target} ({kind})" if target and kind else f"target: {target}" if target else "target not declared here"
    return job


def _sam_handler_file(source: RepoFiles, rel: str, props: dict) -> str | None:
    """The Python file of a SAM function's handler ("app.handler" under CodeUri)."""
    handler = text_of(props.get("Handler"))
    code_uri = props.get("CodeUri")
    if "." not in handler or not isinstance(code_uri, str):
        return None
    module = handler.rsplit(".", 1)[0].replace(".", "/")
    candidate = join(join(posixpath.dirname(rel), code_uri), module + ".py")
    return candidate if source.has(candidate) else None


# --- Terraform -----------------------------------------------------------------------------------

def _tf_blocks(text: str) -> list[tuple[str, str, int, str]]:
    """(type, name, line, body) of every resource block."""
    out = []
    for match in _TF_BLOCK.finditer(text):
        end = _hcl_block_end(text, match.end() - 1)
        out.append((match.group(1), match.group(2), text.count("\n", 0, match.start()) + 1, text[match.end():end]))
    return out


def _hcl_block_end(text: str, brace: int) -> int:
    depth, i, n = 0, brace, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"' and text[i] != "\n":
                i += 2 if text[i] == "\\" else 1
        elif ch == "#" or text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return n
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return n


def _tf_attr(body: str, name: str) -> str:
    match = re.search(_TF_STRING_ATTR.format(name=re.escape(name)), body, re.M)
    return match.group(1) if match else ""


def _terraform_build_triggers(source: RepoFiles) -> dict[str, list[Trigger]]:
    """Cloud Build file -> the triggers Terraform declares for it."""
    out: dict[str, list[Trigger]] = {}
    for rel in source.containing((".tf",), ("google_cloudbuild_trigger",)):
        text = source.text(rel) or ""
        for kind, name, line, body in _tf_blocks(text):
            filename = _tf_attr(body, "filename")
            if kind != "google_cloudbuild_trigger" or not filename:
                continue
            target = join("", filename)
            for block, trigger_kind in (("push", "push"), ("pull_request", "pull_request"), ("pubsub_config", "upstream"),
                                        ("source_to_build", "manual"), ("webhook_config", "other")):
                if re.search(rf"^\s*{block}\s*\{{", body, re.M):
                    disabled = bool(re.search(r"^\s*disabled\s*=\s*true", body, re.M))
                    trigger = Trigger(trigger_kind, rel, line, f"google_cloudbuild_trigger.{name}", disabled=disabled)
                    out.setdefault(target, []).append(trigger)
    return out


def _terraform_schedules(source: RepoFiles, cloud_builds: dict[str, Job]) -> list[Job]:
    jobs = []
    for rel in source.containing((".tf",), ("schedule_expression", "google_cloud_scheduler_job")):
        text = source.text(rel) or ""
        blocks = _tf_blocks(text)
        build_files = {name: join("", _tf_attr(body, "filename")) for kind, name, _, body in blocks
                       if kind == "google_cloudbuild_trigger" and _tf_attr(body, "filename")}
        targets = _event_targets(blocks)
        for kind, name, line, body in blocks:
            expression = _tf_attr(body, "schedule_expression") if kind != "google_cloud_scheduler_job" else _tf_attr(body, "schedule")
            if not expression:
                continue
            disabled = bool(re.search(r'^\s*(?:is_enabled\s*=\s*false|state\s*=\s*"DISABLED"|paused\s*=\s*true)', body, re.M))
            expression_line = line + body[: body.find(expression)].count("\n")
            trigger = Trigger("schedule", rel, expression_line, expression, disabled=disabled)
            refs = [f"{m.group(1)}.{m.group(2)}" for m in _TF_REF.finditer(body)] + targets.get(f"{kind}.{name}", [])
            built = [build_files[r.split(".", 1)[1]] for r in refs if r.startswith("google_cloudbuild_trigger.")
                     and r.split(".", 1)[1] in build_files]
            attached = False
            for build_file in built:
                if build_file in cloud_builds:
                    cloud_builds[build_file].triggers.append(trigger)
                    attached = True
            if not attached:
                uri = _tf_attr(body, "uri") or _tf_attr(body, "topic_name")
                target = ", ".join(dict.fromkeys(r for r in refs if not r.startswith(("aws_iam", "google_service_account")))) or uri
                jobs.append(Job("terraform", f"{kind}.{name}", rel, line, [trigger],
                                detail=f"target: {target}" if target else "target not declared here"))
    return jobs


def _event_targets(blocks: list[tuple[str, str, int, str]]) -> dict[str, list[str]]:
    """aws_cloudwatch_event_rule.X -> the resources its aws_cloudwatch_event_target blocks point at."""
    out: dict[str, list[str]] = {}
    for kind, _, _, body in blocks:
        if kind != "aws_cloudwatch_event_target":
            continue
        rule = re.search(r"^\s*rule\s*=\s*(aws_cloudwatch_event_rule\.[\w-]+)", body, re.M)
        arn = re.search(r"^\s*arn\s*=\s*((?:aws|google)_\w+\.[\w-]+)", body, re.M)
        if rule and arn:
            out.setdefault(rule.group(1), []).append(arn.group(1))
    return out


# --- gcloud scheduler commands -------------------------------------------------------------------

def _gcloud_scheduler_commands(source: RepoFiles) -> list[Job]:
    jobs = []
    for rel in source.containing((".sh", ".bash", ".yml", ".yaml"), (GCLOUD_SCHEDULER,)):
        text = source.text(rel) or ""
        for line, command in logical_lines(text):
            match = _GCLOUD_SCHEDULER.search(command)
            if not match:
                continue
            schedule = re.search(r"--schedule[= ]+(\"[^\"]*\"|'[^']*'|\S+)", command)
            target = re.search(r"--(?:uri|topic)[= ]+(\"[^\"]*\"|'[^']*'|\S+)", command)
            if not schedule:
                continue
            expression = schedule.group(1).strip("\"'")
            jobs.append(Job("cloud-scheduler", match.group(2), rel, line, [Trigger("schedule", rel, line, expression)],
                            detail=f"target: {target.group(1).strip(chr(34) + chr(39))}" if target else "target not declared here"))
    return jobs
