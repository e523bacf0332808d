"""Test-environment runners: tox (tox.ini, setup.cfg, tox.toml, pyproject) and nox (noxfile.py via ast).

`tox [-e envs]` expands to each selected environment's `commands` (the env
list when none is named); `nox [-s sessions]` to the `session.run(...)` calls
of each selected session, following `session.notify(...)`.
"""

from __future__ import annotations

import ast
import itertools
import posixpath
import re
import shlex

from mlproof.model.repofiles import RepoFiles, find_line, join
from mlproof.model.runners.base import MAX_HOPS, MAX_RUNNER_DEPTH, Hop, enter, first_existing
from mlproof.model.pyast import string_value
from mlproof.model.runners.tasks import _table, _toml_line

TOX = "tox env"
NOX = "nox session"
MAX_ENVS = 50
TOX_FILES = ("tox.ini", "tox.toml", "setup.cfg", "pyproject.toml")  # tox's own lookup order
_FACTOR_PREFIX = re.compile(r"^!?[\w.{},!-]+:\s+")
_SUBSTITUTION = re.compile(r"\{([^{}]*)\}")
_SECTION_REF = re.compile(r"^\{\[([^\]]+)\]([\w.-]+)\}$")

IniSections = dict[str, dict[str, list[tuple[int, str]]]]


def read_ini(text: str, first_line: int = 1) -> IniSections:
    """section -> key -> [(line, text)] of its value lines (INI continuation lines are indented)."""
    sections: IniSections = {}
    current: dict[str, list[tuple[int, str]]] | None = None
    key = None
    for number, line in enumerate(text.split("\n"), first_line):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        header = re.match(r"^\[([^\]]+)\]\s*$", line)
        if header:
            current = sections.setdefault(header.group(1).strip(), {})
            key = None
            continue
        if line[0].isspace() and key is not None and current is not None:
            current[key].append((number, stripped))
            continue
        assignment = re.match(r"^([\w.-]+)\s*[=:]\s*(.*)$", stripped)
        if assignment and current is not None:
            key = assignment.group(1)
            current[key] = [(number, assignment.group(2))] if assignment.group(2) else []
    return sections


# --- tox -----------------------------------------------------------------------------------------

def tox_hops(repo: RepoFiles, cwd: str, args: list[str]) -> list[Hop] | None:
    names = _tox_env_args(args)
    for candidate in TOX_FILES:
        path = first_existing(repo, cwd, (candidate,))
        config = _tox_config(repo, path) if path else None
        if config:
            break
    else:
        return None
    kind, sections = config
    if kind == "toml":
        return _toml_tox_hops(repo, path, sections, names)
    return _ini_tox_hops(path, sections, names)


def _tox_env_args(args: list[str]) -> list[str]:
    names: list[str] = []
    for index, arg in enumerate(args):
        if arg in ("-e", "--env") and index + 1 < len(args):
            names.extend(args[index + 1].split(","))
        elif arg.startswith("-e") and len(arg) > 2 and not arg.startswith("--"):
            names.extend(arg[2:].lstrip("=").split(","))
        elif arg.startswith("--env="):
            names.extend(arg.split("=", 1)[1].split(","))
    return [n.strip() for n in names if n.strip() and n.strip().upper() != "ALL"]


def _tox_config(repo: RepoFiles, path: str):
    """("ini", sections) or ("toml", data) for a file that configures tox, else None."""
    text = repo.text(path) or ""
    base = posixpath.basename(path)
    if base == "tox.ini":
        return "ini", read_ini(text)
    if base == "setup.cfg":
        sections = read_ini(text)
        if "tox:tox" in sections or any(s.startswith("testenv") for s in sections):
            return "ini", {("tox" if k == "tox:tox" else k): v for k, v in sections.items()}
        return None
    data = repo.toml(path)
    tox = data if base == "tox.toml" else _table(data, "tool.tox")
    if not isinstance(tox, dict):
        return None
    if isinstance(tox.get("legacy_tox_ini"), str):
        start = find_line(text, r"^\s*legacy_tox_ini\s*=") or 1
        return "ini", read_ini(tox["legacy_tox_ini"], start + 1)
    return "toml", tox


def _expand_envlist(values: list[tuple[int, str]]) -> list[str]:
    names: list[str] = []
    for _, text in values:
        for item in re.split(r",(?![^{]*\})|\s+", text):
            item = item.strip()
            if not item:
                continue
            groups = re.findall(r"\{([^}]*)\}", item)
            pattern = re.sub(r"\{[^}]*\}", "{}", item)
            for combo in itertools.islice(itertools.product(*[g.split(",") for g in groups]), MAX_ENVS):
                names.append(pattern.format(*[c.strip() for c in combo]))
    return names[:MAX_ENVS]


def _ini_tox_hops(path: str, sections: IniSections, names: list[str]) -> list[Hop]:
    tox = sections.get("tox", {})
    envs = names or _expand_envlist(tox.get("envlist", []) or tox.get("env_list", [])) or ["py"]
    base = sections.get("testenv", {})
    root = posixpath.dirname(path)
    hops: list[Hop] = []
    for env in envs[:MAX_ENVS]:
        section = sections.get(f"testenv:{env}", {})
        commands = section.get("commands", base.get("commands", []))
        changedir = (section.get("changedir") or base.get("changedir") or [(0, "")])[0][1]
        changedir = changedir.replace("{toxinidir}", ".")
        cwd = join(root, changedir) if changedir and "{" not in changedir else root
        for line, command in _ini_commands(sections, commands, env, 0):
            if len(hops) < MAX_HOPS:
                hops.append(Hop(path, line, command, TOX, cwd))
    return hops


def _ini_commands(sections: IniSections, values: list[tuple[int, str]], env: str, depth: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    pending, pending_line = "", 0
    for line, text in values:
        reference = _SECTION_REF.match(text.strip())
        if reference and depth < MAX_RUNNER_DEPTH:  # {[testenv]commands}: another section's value inlined
            out.extend(_ini_commands(sections, sections.get(reference.group(1), {}).get(reference.group(2), []), env, depth + 1))
            continue
        if not pending:
            pending_line = line
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        command = _tox_command(pending + text, env)
        pending = ""
        if command:
            out.append((pending_line, command))
    return out


def _tox_command(text: str, env: str) -> str:
    factor = _FACTOR_PREFIX.match(text)
    if factor:  # "py311,lint: cmd" runs only in those factors, "!lint: cmd" in all others
        prefix = factor.group(0).rstrip(": \t")
        negated = prefix.startswith("!")
        factors = {f.lstrip("!") for f in re.split(r"[,\s]", prefix) if f}
        if bool(factors & (set(env.split("-")) | {env})) == negated:
            return ""
        text = text[factor.end():]
    text = text.strip().lstrip("-!").strip().replace("{envbindir}/", "")

    def substitute(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner.startswith("posargs"):
            return inner.split(":", 1)[1] if ":" in inner else ""
        return {"toxinidir": ".", "envpython": "python", "envsitepackagesdir": "site-packages"}.get(inner, match.group(0))

    return _SUBSTITUTION.sub(substitute, text).strip()


def _toml_tox_hops(repo: RepoFiles, path: str, tox: dict, names: list[str]) -> list[Hop]:
    envs = names or [str(e) for e in tox.get("env_list", [])] or ["py"]
    base = tox.get("env_run_base") if isinstance(tox.get("env_run_base"), dict) else {}
    prefix = "" if path.endswith("tox.toml") else "tool.tox."
    hops: list[Hop] = []
    for env in envs[:MAX_ENVS]:
        own = _table(tox, f"env.{env}") if isinstance(tox.get("env"), dict) else None
        section, commands = (f"{prefix}env.{env}", own.get("commands")) if isinstance(own, dict) and "commands" in own else (
            f"{prefix}env_run_base", base.get("commands"))
        line = _toml_line(repo, path, section, "commands")
        for command in commands if isinstance(commands, list) else []:
            words = [_toml_word(w) for w in command] if isinstance(command, list) else [str(command)]
            words = [w for w in words if w]
            if words and len(hops) < MAX_HOPS:
                hops.append(Hop(path, line, shlex.join(words), TOX, posixpath.dirname(path)))
    return hops


def _toml_word(word: object) -> str:
    if isinstance(word, str):
        return word
    if isinstance(word, dict) and word.get("replace") == "posargs":
        default = word.get("default")
        return " ".join(str(d) for d in default) if isinstance(default, list) else ""
    return ""


# --- nox -----------------------------------------------------------------------------------------

def nox_hops(repo: RepoFiles, cwd: str, args: list[str]) -> list[Hop] | None:
    names, noxfile = _nox_args(args)
    path = join(cwd, noxfile) if noxfile else first_existing(repo, cwd, ("noxfile.py",))
    tree = repo.python(path) if path else None
    if tree is None:
        return None
    sessions, defaults = _nox_sessions(tree)
    selected = [_nox_name(n, sessions) for n in names] or defaults or list(sessions)
    hops: list[Hop] = []
    for name in selected:
        _nox_session(path, sessions, name, posixpath.dirname(path), 0, set(), hops)
    return hops


def _nox_args(args: list[str]) -> tuple[list[str], str]:
    names: list[str] = []
    noxfile = ""
    collecting = False
    for index, arg in enumerate(args):
        if arg in ("-s", "-e", "--session", "--sessions"):
            collecting = True
        elif arg in ("-f", "--noxfile") and index + 1 < len(args):
            noxfile = args[index + 1]
            collecting = False
        elif arg.startswith("-"):
            collecting = False
        elif collecting:
            names.append(arg)
    return names, noxfile


def _nox_name(name: str, sessions: dict) -> str:
    if name in sessions:
        return name
    base = re.split(r"[-(]", name, maxsplit=1)[0]  # "tests-3.11", "tests(django='4')"
    return base


def _nox_sessions(tree: ast.Module) -> tuple[dict[str, ast.FunctionDef], list[str]]:
    sessions: dict[str, ast.FunctionDef] = {}
    defaults: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                is_session = (isinstance(target, ast.Attribute) and target.attr == "session") or (
                    isinstance(target, ast.Name) and target.id == "session")
                if is_session:
                    name = node.name
                    for keyword in decorator.keywords if isinstance(decorator, ast.Call) else []:
                        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                            name = keyword.value.value
                    sessions[name] = node
        elif isinstance(node, ast.Assign):
            target = node.targets[0]
            if isinstance(target, ast.Attribute) and target.attr == "sessions" and isinstance(node.value, (ast.List, ast.Tuple)):
                defaults = [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return sessions, defaults


def _nox_session(path: str, sessions: dict, name: str, cwd: str, depth: int, done: set[str], hops: list[Hop]) -> None:
    if name not in sessions or not enter(name, done, depth, hops):
        return
    function = sessions[name]
    param = function.args.args[0].arg if function.args.args else "session"
    calls = sorted((n for n in ast.walk(function) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset))
    for call in calls:
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == param):
            continue
        if func.attr in ("run", "run_always", "run_install"):
            words = [string_value(a) for a in call.args if not isinstance(a, ast.Starred)]
            words = [w for w in words if w]
            if words:
                hops.append(Hop(path, call.lineno, shlex.join(words), NOX, cwd))
        elif func.attr == "chdir" and call.args and string_value(call.args[0]):
            cwd = join(cwd, string_value(call.args[0]))
        elif func.attr == "notify" and call.args and string_value(call.args[0]):
            _nox_session(path, sessions, _nox_name(string_value(call.args[0]), sessions), cwd, depth + 1, done, hops)
