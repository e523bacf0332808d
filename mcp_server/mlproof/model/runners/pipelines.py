"""ML pipeline runners and container services: DVC stages, MLproject entry points, compose services.

`dvc repro [targets]` / `dvc exp run` expand to the stages' `cmd` (named
targets with the stages upstream of them, or every stage); `mlflow run DIR
[-e entry]` to the entry point's command; `docker compose run|up svc` to the
service's `command`.
"""

from __future__ import annotations

import posixpath
import re

from mlproof.model.repofiles import RepoFiles, join
from mlproof.model.runners.base import MAX_HOPS, MAX_RUNNER_DEPTH, Hop, first_existing
from mlproof.model.yamldata import as_list, text_of

DVC = "dvc stage"
MLFLOW = "mlflow entry point"
COMPOSE = "compose service"
COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
DVC_VALUE_OPTIONS = {"-S", "--set-param", "-n", "--name", "-j", "--jobs", "-m", "--message", "-R"}
MLFLOW_VALUE_OPTIONS = {"-e", "--entry-point", "-P", "--param-list", "-v", "--version", "-A", "--docker-args",
                        "--experiment-name", "--experiment-id", "-b", "--backend", "-c", "--backend-config",
                        "--env-manager", "--storage-dir", "--run-id", "--run-name", "--build-image"}


# --- DVC -----------------------------------------------------------------------------------------

def dvc_hops(repo: RepoFiles, cwd: str, args: list[str]) -> list[Hop] | None:
    """Stages `dvc repro ARGS` (or `dvc exp run ARGS`) runs."""
    targets = _positional(args, DVC_VALUE_OPTIONS)
    by_file: dict[str, list[str]] = {}
    for target in targets or [""]:
        if ":" in target:  # path/to/dvc.yaml:stage
            file_part, stage = target.rsplit(":", 1)
        elif target.endswith(("dvc.yaml", "dvc.yml")):
            file_part, stage = target, ""
        elif target and repo.is_dir(join(cwd, target)):
            file_part, stage = join(target, "dvc.yaml"), ""
        else:
            file_part, stage = "", target
        dvc_file = join(cwd, file_part) if file_part else first_existing(repo, cwd, ("dvc.yaml",))
        if dvc_file and repo.has(dvc_file):
            by_file.setdefault(dvc_file, []).append(stage)
    if not by_file:
        return None
    hops: list[Hop] = []
    for dvc_file, stages in by_file.items():
        hops.extend(_dvc_stage_hops(repo, dvc_file, [s for s in stages if s]))
    return hops


def _positional(args: list[str], value_options: set[str]) -> list[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in value_options:
            skip = True
        elif not arg.startswith("-"):
            out.append(arg)
    return out


def _dvc_stage_hops(repo: RepoFiles, dvc_file: str, wanted: list[str]) -> list[Hop]:
    stages = repo.mapping(dvc_file).get("stages")
    if not isinstance(stages, dict):
        return []
    names = list(stages)
    if wanted:
        names = _with_upstream(stages, [w for w in wanted if w in stages or w.split("@")[0] in stages])
    base = posixpath.dirname(dvc_file)
    hops: list[Hop] = []
    for name in names:
        stage = stages.get(name.split("@")[0])
        if not isinstance(stage, dict):
            continue
        body = stage.get("do") if isinstance(stage.get("do"), dict) else stage  # foreach/do stages
        cwd = join(base, text_of(body.get("wdir"))) if text_of(body.get("wdir")) else base
        commands = body.get("cmd")
        for index, command in enumerate(as_list(commands)):
            line = commands.item_lines[index] if hasattr(commands, "item_lines") else body.line_of("cmd")
            if isinstance(command, str) and len(hops) < MAX_HOPS:
                for number, text in enumerate(command.split("\n")):
                    if text.strip():
                        start = line + (1 if getattr(command, "style", None) else 0) + number if line else None
                        hops.append(Hop(dvc_file, start, text.strip(), DVC, cwd))
    return hops


def _with_upstream(stages: dict, wanted: list[str]) -> list[str]:
    """The wanted stages and every stage whose outputs they depend on, upstream first."""
    producers: dict[str, str] = {}
    for name, stage in stages.items():
        for out in as_list(stage.get("outs") if isinstance(stage, dict) else None):
            path = out if isinstance(out, str) else next(iter(out), "") if isinstance(out, dict) else ""
            producers[str(path).rstrip("/")] = name
    ordered: list[str] = []

    def visit(name: str, depth: int) -> None:
        if name in ordered or depth > MAX_RUNNER_DEPTH or name.split("@")[0] not in stages:
            return
        stage = stages[name.split("@")[0]]
        for dep in as_list(stage.get("deps") if isinstance(stage, dict) else None):
            dep_path = dep if isinstance(dep, str) else next(iter(dep), "") if isinstance(dep, dict) else ""
            producer = producers.get(str(dep_path).rstrip("/"))
            if producer and producer != name:
                visit(producer, depth + 1)
        ordered.append(name)

    for name in wanted:
        visit(name, 0)
    return ordered


# --- MLproject -----------------------------------------------------------------------------------

def mlflow_run_hops(repo: RepoFiles, cwd: str, args: list[str]) -> list[Hop] | None:
    positional = _positional(args, MLFLOW_VALUE_OPTIONS)
    uri = positional[0] if positional else "."
    if "://" in uri or uri.startswith("git@"):
        return None  # a remote project
    entry = "main"
    params: dict[str, str] = {}
    for index, arg in enumerate(args[:-1]):
        if arg in ("-e", "--entry-point"):
            entry = args[index + 1]
        elif arg in ("-P", "--param-list") and "=" in args[index + 1]:
            key, _, value = args[index + 1].partition("=")
            params[key] = value
    project = join(cwd, uri)
    path = next((join(project, n) for n in ("MLproject", "MLproject.yaml", "MLproject.yml") if repo.has(join(project, n))), None)
    if not path:
        return None
    entry_points = repo.mapping(path).get("entry_points")
    point = entry_points.get(entry) if isinstance(entry_points, dict) else None
    if not isinstance(point, dict):
        if entry.endswith((".py", ".sh")):  # MLflow runs a file named as the entry point directly
            runner = "python" if entry.endswith(".py") else "bash"
            return [Hop(path, None, f"{runner} {entry}", MLFLOW, project)]
        return []
    command = text_of(point.get("command"))
    defaults = {k: str(v.get("default")) if isinstance(v, dict) and v.get("default") is not None else "" for k, v in
                (point.get("parameters") or {}).items()} if isinstance(point.get("parameters"), dict) else {}
    command = re.sub(r"\{(\w+)\}", lambda m: params.get(m.group(1)) or defaults.get(m.group(1)) or m.group(0), command)
    line = point.line_of("command")
    if getattr(point.get("command"), "style", None):
        line = line + 1 if line else line
    return [Hop(path, line, " ".join(command.split()), MLFLOW, project)] if command else []


# --- docker compose ------------------------------------------------------------------------------

def compose_service_hops(repo: RepoFiles, cwd: str, compose_file: str, services: list[str]) -> list[Hop] | None:
    """The `command:` of the named compose services (every service when none is named)."""
    path = join(cwd, compose_file) if compose_file else first_existing(repo, cwd, COMPOSE_FILES)
    defined = repo.mapping(path).get("services") if path else None
    if not isinstance(defined, dict):
        return None
    hops = []
    for name in services or list(defined):
        service = defined.get(name)
        if not isinstance(service, dict):
            continue
        command = service.get("command")
        if isinstance(command, list):
            command_text = " ".join(str(c) for c in command)
        else:
            command_text = text_of(command)
        build = service.get("build")
        context = text_of(build.get("context")) if isinstance(build, dict) else text_of(build)
        service_cwd = join(posixpath.dirname(path), context) if context and "://" not in context else posixpath.dirname(path)
        if command_text:
            hops.append(Hop(path, service.line_of("command"), command_text, COMPOSE, service_cwd))
    return hops
