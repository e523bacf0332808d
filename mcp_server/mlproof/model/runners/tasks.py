"""Task runners and project script tables, read as data.

just (justfile), Task (Taskfile.yml), invoke (tasks.py via ast), npm/yarn/pnpm
(package.json scripts), and the pyproject tables: poe, pdm, hatch, pixi, rye,
plus console scripts ([project.scripts], [tool.poetry.scripts], setup.cfg,
setup.py). Each lookup returns the Hops a named task runs, or None when the
repository does not define it (the resolver then reports the tool itself).
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
from typing import Any, Callable

from mlproof.model.pyast import string_value
from mlproof.model.repofiles import RepoFiles, find_line, join
from mlproof.model.runners.base import MAX_HOPS, MAX_RUNNER_DEPTH, Hop, enter, first_existing

TASK = "task"
CONSOLE = "console script"
JUSTFILES = ("justfile", "Justfile", ".justfile")
TASKFILES = ("Taskfile.yml", "Taskfile.yaml", "taskfile.yml", "taskfile.yaml")
_JUST_RECIPE = re.compile(r"^@?([A-Za-z_][\w-]*)((?:\s+[^:=]*?)?)\s*:(?!=)\s*(.*)$")
_JUST_VARIABLE = re.compile(r"^(?:export\s+)?([A-Za-z_][\w-]*)\s*:=\s*(['\"])(.*)\2\s*$")


def _toml_line(repo: RepoFiles, path: str, section: str, key: str) -> int | None:
    """The line of `key = ...` after the `[section]` header (tomllib keeps no lines)."""
    text = repo.text(path) or ""
    header = find_line(text, rf"^\s*\[\s*{re.escape(section)}\s*\]") or 1
    return find_line(text, rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", header) or header


def _table(data: dict, dotted: str) -> Any:
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


# --- just ----------------------------------------------------------------------------------------

def _runner_args(args: list[str], cwd: str, file_options: tuple[str, ...], dir_options: tuple[str, ...]):
    """(working directory, explicit config file or None, task names) from a runner's arguments."""
    directory, config, names = cwd, None, []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in file_options + dir_options and index + 1 < len(args):
            if arg in file_options:
                config = join(cwd, args[index + 1])
            else:
                directory = join(cwd, args[index + 1])
            index += 1
        elif arg == "--":
            break
        elif not arg.startswith("-") and "=" not in arg:
            names.append(arg)
        index += 1
    return directory, config, names


def just_hops(repo: RepoFiles, cwd: str, args: list[str]) -> list[Hop] | None:
    directory, justfile, names = _runner_args(args, cwd, ("-f", "--justfile"), ("-d", "--working-directory"))
    path = justfile or first_existing(repo, directory, JUSTFILES)
    if not path or not repo.has(path):
        return None
    recipes, variables = _justfile(repo.text(path) or "")
    goals = [n for n in names if n in recipes][:1] or ([next(iter(recipes))] if recipes and not names else [])
    if names and not goals:
        return []
    hops: list[Hop] = []
    for goal in goals:
        _just_recipe(path, recipes, variables, goal, directory, 0, set(), hops)
    return hops


def _justfile(text: str) -> tuple[dict[str, tuple[int, list[str], list[tuple[int, str]]]], dict[str, str]]:
    """recipe -> (line, dependencies, body lines); and simple quoted variables."""
    recipes: dict[str, tuple[int, list[str], list[tuple[int, str]]]] = {}
    variables: dict[str, str] = {}
    current: list[tuple[int, str]] | None = None
    for number, line in enumerate(text.split("\n"), 1):
        if line[:1] in (" ", "\t"):
            if current is not None and line.strip() and not line.strip().startswith("#"):
                current.append((number, line.strip()))
            continue
        current = None
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "[", "set ", "import ", "mod ", "alias ")):
            continue
        variable = _JUST_VARIABLE.match(stripped)
        if variable:
            variables[variable.group(1)] = variable.group(3)
            continue
        recipe = _JUST_RECIPE.match(stripped)
        if recipe:
            dependencies = [d for d in re.findall(r"[A-Za-z_][\w-]*", recipe.group(3).split("&&")[0])]
            current = []
            recipes.setdefault(recipe.group(1), (number, dependencies, current))
    return recipes, variables


def _just_recipe(path: str, recipes: dict, variables: dict[str, str], name: str, cwd: str, depth: int,
                 done: set[str], hops: list[Hop]) -> None:
    if name not in recipes or not enter(name, done, depth, hops):
        return
    _, dependencies, body = recipes[name]
    for dependency in dependencies:
        _just_recipe(path, recipes, variables, dependency, cwd, depth + 1, done, hops)
    if body and body[0][1].startswith("#!"):
        return  # a shebang recipe runs as a script in another language; its lines are not shell commands
    for number, line in body:
        command = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: variables.get(m.group(1), m.group(0)), line).lstrip("@-")
        hops.append(Hop(path, number, command, TASK, cwd))


# --- Task (Taskfile.yml) -------------------------------------------------------------------------

def taskfile_hops(repo: RepoFiles, cwd: str, args: list[str]) -> list[Hop] | None:
    directory, taskfile, names = _runner_args(args, cwd, ("-t", "--taskfile"), ("-d", "--dir"))
    path = taskfile or first_existing(repo, directory, TASKFILES)
    if not path:
        return None
    tasks = repo.mapping(path).get("tasks")
    if not isinstance(tasks, dict):
        return []
    hops: list[Hop] = []
    for name in names or ["default"]:
        _task(path, tasks, name, posixpath.dirname(path), 0, set(), hops)
    return hops


def _task(path: str, tasks: dict, name: str, cwd: str, depth: int, done: set[str], hops: list[Hop]) -> None:
    task = tasks.get(name)
    if name in done or depth > MAX_RUNNER_DEPTH or len(hops) >= MAX_HOPS or task is None:
        return
    done.add(name)
    if isinstance(task, (str, list)):  # short forms: a command or a list of commands
        task = {"cmds": task}
    if not isinstance(task, dict):
        return
    task_dir = join(cwd, str(task["dir"])) if isinstance(task.get("dir"), str) and "{{" not in task["dir"] else cwd
    deps = task.get("deps")
    for dependency in deps if isinstance(deps, list) else []:
        dep = dependency.get("task") if isinstance(dependency, dict) else dependency
        if isinstance(dep, str):
            _task(path, tasks, dep, cwd, depth + 1, done, hops)
    commands = task.get("cmds")
    commands = [commands] if isinstance(commands, str) else commands if isinstance(commands, list) else []
    for index, command in enumerate(commands):
        line = commands.item_lines[index] if hasattr(commands, "item_lines") else getattr(task, "line", None)
        if isinstance(command, dict) and isinstance(command.get("task"), str):
            _task(path, tasks, command["task"], cwd, depth + 1, done, hops)
        elif isinstance(command, dict) and isinstance(command.get("cmd"), str):
            hops.append(Hop(path, line, command["cmd"], TASK, task_dir))
        elif isinstance(command, str):
            hops.append(Hop(path, line, command, TASK, task_dir))


# --- invoke (tasks.py) ---------------------------------------------------------------------------

def invoke_hops(repo: RepoFiles, cwd: str, args: list[str]) -> list[Hop] | None:
    path = first_existing(repo, cwd, ("tasks.py", "tasks/__init__.py"))
    tree = repo.python(path) if path else None
    if tree is None:
        return None
    tasks = _invoke_tasks(tree)
    names = [a.replace("_", "-") for a in args if not a.startswith("-")]
    hops: list[Hop] = []
    for name in names[:1]:
        _invoke_task(path, tasks, name, posixpath.dirname(path), 0, set(), hops)
    return hops


def _invoke_tasks(tree: ast.Module) -> dict[str, tuple[ast.FunctionDef, list[str]]]:
    """task name (dashed) -> (function, pre-task names)."""
    tasks = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if (isinstance(target, ast.Name) and target.id == "task") or (isinstance(target, ast.Attribute) and target.attr == "task"):
                pre = []
                if isinstance(decorator, ast.Call):
                    pre = [a.id for a in decorator.args if isinstance(a, ast.Name)]
                    for keyword in decorator.keywords:
                        if keyword.arg in ("pre", "post") and isinstance(keyword.value, (ast.List, ast.Tuple)):
                            pre += [e.id for e in keyword.value.elts if isinstance(e, ast.Name)] if keyword.arg == "pre" else []
                tasks[node.name.replace("_", "-")] = (node, [p.replace("_", "-") for p in pre])
    return tasks


def _invoke_task(path: str, tasks: dict, name: str, cwd: str, depth: int, done: set[str], hops: list[Hop]) -> None:
    if name not in tasks or not enter(name, done, depth, hops):
        return
    function, pre = tasks[name]
    for dependency in pre:
        _invoke_task(path, tasks, dependency, cwd, depth + 1, done, hops)
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("run", "sudo") and node.args:
            command = string_value(node.args[0])
            if command:
                hops.append(Hop(path, node.lineno, command, TASK, cwd))


# --- npm / yarn / pnpm ---------------------------------------------------------------------------

def npm_hops(repo: RepoFiles, cwd: str, script: str) -> list[Hop] | None:
    path = first_existing(repo, cwd, ("package.json",))
    if not path:
        return None
    try:
        scripts = json.loads(repo.text(path) or "{}").get("scripts")
    except (ValueError, AttributeError, RecursionError):
        return None
    if not isinstance(scripts, dict) or script not in scripts:
        return None
    text = repo.text(path) or ""
    hops = []
    for name in (f"pre{script}", script, f"post{script}"):
        if isinstance(scripts.get(name), str):
            line = find_line(text, rf"\"{re.escape(name)}\"\s*:")
            hops.append(Hop(path, line, scripts[name], "npm script", posixpath.dirname(path)))
    return hops


# --- pyproject task tables -----------------------------------------------------------------------

def _pyprojects(repo: RepoFiles, cwd: str) -> list[str]:
    """pyproject.toml in cwd, its parents, and the repository root."""
    out, directory = [], cwd
    while True:
        candidate = join(directory, "pyproject.toml")
        if repo.has(candidate) and candidate not in out:
            out.append(candidate)
        if not directory:
            return out
        directory = posixpath.dirname(directory)


def _defining_table(repo: RepoFiles, places: list[tuple[str, str]], name: str) -> tuple[str, str, dict] | None:
    """The first (file, dotted table) of `places` whose table defines `name`, with the table."""
    for path, table in places:
        entries = _table(repo.toml(path), table) if repo.has(path) else None
        if isinstance(entries, dict) and name in entries:
            return path, table, entries
    return None


def _table_hops(repo: RepoFiles, places: list[tuple[str, str]], name: str, walk: Callable[..., None]) -> list[Hop] | None:
    """Hops of task `name` from the first table of `places` defining it: walk(path, table, entries, hops)."""
    found = _defining_table(repo, places, name)
    if not found:
        return None
    hops: list[Hop] = []
    walk(*found, hops)
    return hops


def poe_hops(repo: RepoFiles, cwd: str, args: list[str]) -> list[Hop] | None:
    names = [a for a in args if not a.startswith("-")]
    if not names:
        return None
    return _table_hops(repo, [(p, "tool.poe.tasks") for p in _pyprojects(repo, cwd)], names[0],
                       lambda path, _, tasks, hops: _poe_task(repo, path, tasks, names[0], " ".join(names[1:]), 0, set(), hops))


def _poe_task(repo: RepoFiles, path: str, tasks: dict, name: str, extra: str, depth: int, done: set[str], hops: list[Hop]) -> None:
    if name not in tasks or not enter(name, done, depth, hops):
        return
    task = tasks[name]
    line = _toml_line(repo, path, "tool.poe.tasks", name)
    cwd = posixpath.dirname(path)
    if isinstance(task, list):  # an array is a sequence of references
        task = {"sequence": task}
    if isinstance(task, str):
        task = {"cmd": task}
    if not isinstance(task, dict):
        return
    if isinstance(task.get("cwd"), str):
        cwd = join(cwd, task["cwd"])
    for key in ("cmd", "shell"):
        value = task.get(key)
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        if isinstance(value, str):
            for command in _poe_commands(value, key):
                hops.append(Hop(path, line, f"{command} {extra}".strip(), TASK, cwd))
    if isinstance(task.get("script"), str):
        hops.append(Hop(path, line, "", TASK, cwd, module=task["script"].split(":")[0]))
    if isinstance(task.get("ref"), str):
        ref = task["ref"].split()
        if ref:
            _poe_task(repo, path, tasks, ref[0], " ".join(ref[1:]), depth + 1, done, hops)
    sequence = task.get("sequence")
    for item in sequence if isinstance(sequence, list) else []:
        if isinstance(item, str):
            if task.get("default_item_type") == "cmd":
                hops.append(Hop(path, line, item, TASK, cwd))
            else:
                ref = item.split()
                if ref:
                    _poe_task(repo, path, tasks, ref[0], " ".join(ref[1:]), depth + 1, done, hops)
        elif isinstance(item, dict):
            _poe_task(repo, path, {f"{name}[]": item}, f"{name}[]", "", depth + 1, set(), hops)


def _poe_commands(value: str, kind: str) -> list[str]:
    """A cmd task is one command (whitespace, even newlines, separates words); a shell task is a script."""
    if kind == "cmd":
        lines = [l for l in value.split("\n") if not l.strip().startswith("#")]
        return [" ".join(" ".join(lines).split())]
    return [l.strip() for l in value.split("\n") if l.strip() and not l.strip().startswith("#")]


def pdm_hops(repo: RepoFiles, cwd: str, name: str, extra: list[str]) -> list[Hop] | None:
    return _script_table(repo, cwd, "tool.pdm.scripts", name, extra)


def rye_hops(repo: RepoFiles, cwd: str, name: str, extra: list[str]) -> list[Hop] | None:
    return _script_table(repo, cwd, "tool.rye.scripts", name, extra)


def _script_table(repo: RepoFiles, cwd: str, table: str, name: str, extra: list[str]) -> list[Hop] | None:
    """pdm and rye scripts: a command string, {cmd}, {shell}, {call = "mod:fn"}, {composite|chain = [...]}."""
    return _table_hops(repo, [(p, table) for p in _pyprojects(repo, cwd)], name,
                       lambda path, _, scripts, hops: _script(repo, path, table, scripts, name, extra, 0, set(), hops))


def _script(repo: RepoFiles, path: str, table: str, scripts: dict, name: str, extra: list[str], depth: int,
            done: set[str], hops: list[Hop]) -> None:
    if name not in scripts or not enter(name, done, depth, hops):
        return
    script = scripts[name]
    line = _toml_line(repo, path, table, name)
    cwd = posixpath.dirname(path)
    if isinstance(script, str):
        script = {"cmd": script}
    if not isinstance(script, dict):
        return
    for pre in (f"pre_{name}",):
        if pre in scripts:
            _script(repo, path, table, scripts, pre, [], depth + 1, done, hops)
    command = script.get("cmd") or script.get("shell")
    if isinstance(command, list):
        command = " ".join(str(c) for c in command)
    if isinstance(command, str):
        hops.append(Hop(path, line, " ".join([command, *extra]).strip(), TASK, cwd))
    if isinstance(script.get("call"), str):
        hops.append(Hop(path, line, "", TASK, cwd, module=script["call"].split(":")[0]))
    composite = script.get("composite") or script.get("chain")
    for item in composite if isinstance(composite, list) else []:
        if isinstance(item, str) and item.split():
            words = item.split()
            if words[0] in scripts:
                _script(repo, path, table, scripts, words[0], words[1:], depth + 1, done, hops)
            else:
                hops.append(Hop(path, line, item, TASK, cwd))


def hatch_hops(repo: RepoFiles, cwd: str, target: str, extra: list[str]) -> list[Hop] | None:
    """`hatch run [env:]script`: [tool.hatch.envs.<env>.scripts] in pyproject.toml or hatch.toml."""
    env, _, name = target.rpartition(":")
    table = f"envs.{env or 'default'}.scripts"
    places = [(join(cwd, "hatch.toml"), table), (join("", "hatch.toml"), table)]
    return _table_hops(repo, places + [(p, f"tool.hatch.{table}") for p in _pyprojects(repo, cwd)], name,
                       lambda path, table, scripts, hops: _hatch_script(repo, path, table, scripts, name, extra, 0, set(), hops))


def _hatch_script(repo: RepoFiles, path: str, table: str, scripts: dict, name: str, extra: list[str], depth: int,
                  done: set[str], hops: list[Hop]) -> None:
    if not enter(name, done, depth, hops):
        return
    value = scripts[name]
    line = _toml_line(repo, path, table, name)
    for command in value if isinstance(value, list) else [value]:
        if not isinstance(command, str) or not command.split():
            continue
        first = command.split()[0]
        if first in scripts:  # hatch expands a command naming another script of the environment
            _hatch_script(repo, path, table, scripts, first, command.split()[1:], depth + 1, done, hops)
        else:
            hops.append(Hop(path, line, " ".join([command.replace("{args}", ""), *extra]).strip(), TASK, posixpath.dirname(path)))


def pixi_hops(repo: RepoFiles, cwd: str, name: str, extra: list[str]) -> list[Hop] | None:
    places = [(join(cwd, "pixi.toml"), "tasks"), (join("", "pixi.toml"), "tasks")]
    return _table_hops(repo, places + [(p, "tool.pixi.tasks") for p in _pyprojects(repo, cwd)], name,
                       lambda path, table, tasks, hops: _pixi_task(repo, path, table, tasks, name, extra, 0, set(), hops))


def _pixi_task(repo: RepoFiles, path: str, table: str, tasks: dict, name: str, extra: list[str], depth: int,
               done: set[str], hops: list[Hop]) -> None:
    if name not in tasks or not enter(name, done, depth, hops):
        return
    task = tasks[name]
    task = {"cmd": task} if isinstance(task, (str, list)) else task
    if not isinstance(task, dict):
        return
    depends = task.get("depends-on") or task.get("depends_on")
    for dependency in depends if isinstance(depends, list) else []:
        dep = dependency.get("task") if isinstance(dependency, dict) else dependency
        if isinstance(dep, str):
            _pixi_task(repo, path, table, tasks, dep, [], depth + 1, done, hops)
    command = task.get("cmd")
    if isinstance(command, list):
        command = " ".join(str(c) for c in command)
    if isinstance(command, str):
        cwd = join(posixpath.dirname(path), task["cwd"]) if isinstance(task.get("cwd"), str) else posixpath.dirname(path)
        hops.append(Hop(path, _toml_line(repo, path, table, name), " ".join([command, *extra]).strip(), TASK, cwd))


# --- console scripts -----------------------------------------------------------------------------

class ConsoleScripts:
    """Console-script name -> (declaring file, line, "pkg.mod:fn"), from every packaging file in the repository."""

    def __init__(self, repo: RepoFiles):
        self.repo = repo
        self._scripts: dict[str, tuple[str, int | None, str]] | None = None

    def get(self, name: str) -> tuple[str, int | None, str] | None:
        if self._scripts is None:
            self._scripts = {}
            for path in self.repo.paths:
                base = posixpath.basename(path)
                if base == "pyproject.toml":
                    self._from_pyproject(path)
                elif base == "setup.cfg":
                    self._from_setup_cfg(path)
                elif base == "setup.py":
                    self._from_setup_py(path)
        return self._scripts.get(name)

    def _add(self, name: str, path: str, line: int | None, reference: str) -> None:
        self._scripts.setdefault(name, (path, line, reference))

    def _from_pyproject(self, path: str) -> None:
        data = self.repo.toml(path)
        for table in ("project.scripts", "project.gui-scripts", "tool.poetry.scripts"):
            scripts = _table(data, table)
            for name, value in scripts.items() if isinstance(scripts, dict) else []:
                if isinstance(value, dict):  # Poetry's long form: {callable = "pkg.mod:fn"}
                    value = value.get("callable") or value.get("reference")
                reference = value
                if isinstance(reference, str):
                    self._add(name, path, _toml_line(self.repo, path, table, name), reference)

    def _from_setup_cfg(self, path: str) -> None:
        text = self.repo.text(path) or ""
        section = find_line(text, r"^\s*console_scripts\s*=")
        if section is None:
            return
        for number, line in enumerate(text.split("\n")[section:], section + 1):
            if line and not line[0].isspace():
                break
            match = re.match(r"^\s+([\w.-]+)\s*=\s*([\w.]+:[\w.]+)", line)
            if match:
                self._add(match.group(1), path, number, match.group(2))

    def _from_setup_py(self, path: str) -> None:
        tree = self.repo.python(path)
        for node in ast.walk(tree) if tree else []:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = re.match(r"^\s*([\w.-]+)\s*=\s*([\w.]+:[\w.]+)\s*$", node.value)
                if match and "." in match.group(2).split(":")[0] + ".":
                    self._add(match.group(1), path, node.lineno, match.group(2))
