"""Makefiles read as data: rules, recipes, simple variables, includes.

`make [-C dir] [-f file] [VAR=x] [target...]` expands to the recipe lines of
the targets (the default goal when none is named), prerequisites first.
Variables set with `=`, `:=`, `?=`, `+=` are expanded; `$(shell ...)` and
other functions are left as written. Every cost is bounded: included files,
expansion depth and length, prerequisite depth, cycles.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from mlproof.model.repofiles import RepoFiles, join
from mlproof.model.runners.base import MAX_HOPS, Hop, enter

MAKEFILE_NAMES = ("GNUmakefile", "makefile", "Makefile")
MAX_INCLUDES = 20
MAX_INCLUDE_DEPTH = 4
MAX_EXPANSION_DEPTH = 8
MAX_EXPANDED = 8_000  # characters: a variable doubling itself stops here
MAX_REFERENCES = 2_000  # variable references replaced per expansion
VALUE_OPTIONS = {"-C", "--directory", "-f", "--file", "--makefile", "-I", "--include-dir", "-j", "--jobs", "-l", "-o", "-W"}
OPTIONAL_NUMBER_OPTIONS = {"-j", "--jobs", "-l"}
RELATION = "make target"

_ASSIGN = re.compile(r"^(?:override\s+|export\s+|private\s+)*([A-Za-z_.][\w.-]*)\s*(::?=|:::=|\?=|\+=|!=|=)\s*(.*)$")
_RULE = re.compile(r"^([^:=#\t][^:=#]*?)\s*(::?)(?!=)\s*(.*)$")
_TARGET_VARIABLE = re.compile(r"^[A-Za-z_][\w.-]*\s*(?:::?=|\?=|\+=|=)")
_INCLUDE = re.compile(r"^(?:-|s)?include\s+(.+)$")
_CONDITIONAL = re.compile(r"^(?:ifeq|ifneq|ifdef|ifndef|else|endif)\b")
_SUBSTITUTION = "\x01"  # stands for the `$` of a $(shell ...) turned into $(...) until expansion ends
# A reference whose arguments are plain text or already-expanded parts (${...}, a marked $(shell ...)).
_ARGUMENT = r"(?:[^()${}]|\x01\([^()]*\)|\$\{(?:[^{}]|\$\{[^{}]*\})*\})*"
_HERE = "\x02"  # stands for "this Makefile's directory": $(dir $(abspath $(lastword $(MAKEFILE_LIST)))) and kin
_REFERENCE = re.compile(rf"\$(?:\(({_ARGUMENT})\)|\{{({_ARGUMENT})\}}|([@<^*?%]))")


@dataclass
class Rule:
    path: str
    line: int
    prerequisites: list[str]
    recipe: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Makefile:
    path: str
    variables: dict[str, str] = field(default_factory=dict)
    rules: dict[str, list[Rule]] = field(default_factory=dict)
    default_goal: str = ""


def parse_makefile(repo: RepoFiles, path: str) -> Makefile:
    makefile = Makefile(path)
    _read(repo, path, makefile, 0, {path}, [0])
    makefile.default_goal = makefile.variables.get(".DEFAULT_GOAL", "").strip() or makefile.default_goal
    return makefile


def _read(repo: RepoFiles, path: str, makefile: Makefile, depth: int, seen: set[str], included: list[int]) -> None:
    text = repo.text(path)
    if text is None:
        return
    current: list[Rule] = []
    in_define = False
    for number, line in _logical_lines(text):
        if in_define:
            in_define = not line.strip().startswith("endef")
            continue
        if line.startswith("\t"):
            command = line[1:].strip()
            if current and command and not command.startswith("#"):
                for rule in current:
                    rule.recipe.append((number, command))
            continue
        stripped = _strip_comment(line).strip()
        if not stripped or _CONDITIONAL.match(stripped):
            continue
        if stripped.startswith("define "):
            in_define = True
            current = []
            continue
        include = _INCLUDE.match(stripped)
        if include:
            current = []
            for name in _expand(include.group(1), makefile.variables, {}).split():
                target = join(posixpath.dirname(path), name)
                if target not in seen and depth < MAX_INCLUDE_DEPTH and included[0] < MAX_INCLUDES and repo.has(target):
                    seen.add(target)
                    included[0] += 1
                    _read(repo, target, makefile, depth + 1, seen, included)
            continue
        assignment = _ASSIGN.match(stripped)
        if assignment:
            name, operator, value = assignment.groups()
            _assign(makefile.variables, name, operator, value)
            current = []
            continue
        rule = _RULE.match(stripped)
        if rule:
            targets_text, _, rest = rule.groups()
            inline = ""
            if ";" in rest:
                rest, inline = rest.split(";", 1)
            if _TARGET_VARIABLE.match(rest.strip()):
                current = []  # a target-specific variable, not a rule
                continue
            targets = _expand(targets_text, makefile.variables, {}).split()
            prerequisites = [p for p in _expand(rest, makefile.variables, {}).split() if p != "|"]
            current = []
            for target in targets:
                entry = Rule(path, number, prerequisites)
                if inline.strip():
                    entry.recipe.append((number, inline.strip()))
                makefile.rules.setdefault(target, []).append(entry)
                current.append(entry)
                if not makefile.default_goal and not target.startswith(".") and "%" not in target:
                    makefile.default_goal = target
            continue
        current = []


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) with backslash continuations joined."""
    out = []
    pending = ""
    start = 0
    for number, line in enumerate(text.split("\n"), 1):
        if not pending:
            start = number
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1] + " "
            continue
        out.append((start, pending + line))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


def _strip_comment(line: str) -> str:
    index = line.find("#")
    return line if index < 0 else line[:index]


def _assign(variables: dict[str, str], name: str, operator: str, value: str) -> None:
    value = value.strip()
    if operator == "!=":
        variables[name] = f"$(shell {value})"  # a shell assignment: its value is not known here
    elif operator == "?=":
        variables.setdefault(name, value)
    elif operator == "+=":
        variables[name] = f"{variables.get(name, '')} {value}".strip()
    elif operator in (":=", "::=", ":::="):  # expanded once, here; `$$` keeps the result from expanding again
        variables[name] = _expand(value, variables, {}).replace("$", "$$")
    else:
        variables[name] = value


def _expand(text: str, variables: dict[str, str], automatic: dict[str, str]) -> str:
    """Make's variable expansion for plain references; functions and unknown names stay as written."""
    expanded = _expand_bounded(text.replace("$$", "\0"), variables, automatic, 0, [MAX_REFERENCES])
    return expanded.replace("\0", "$").replace(_SUBSTITUTION, "$").replace(_HERE, ".")


def _expand_bounded(text: str, variables: dict[str, str], automatic: dict[str, str], depth: int, budget: list[int]) -> str:
    if "$" not in text:
        return text
    if depth > MAX_EXPANSION_DEPTH:
        return ""  # nested past the budget: dropped, never left as text a shell would run

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or ""
        auto = match.group(3)
        budget[0] -= 1
        if budget[0] < 0:
            return ""
        if auto:
            return automatic.get(auto, match.group(0))
        if name in ("MAKE", "MAKE_COMMAND"):
            return "make"
        if name in ("CURDIR", "MAKEFILE_LIST") or _HERE in name:
            # recipes run in the Makefile's directory, so every path to it is "." ($(dir ...) ends in "/")
            return _HERE + ("/" if name.startswith("dir ") else "")
        if name.startswith("shell "):
            return f"{_SUBSTITUTION}({name[6:]})"  # make runs it in a shell: the same as a command substitution
        if " " in name or "," in name or name not in variables:
            # another function ($(wildcard ...)) or a variable the environment sets: kept as text the
            # shell reads as a parameter, never as a command
            return "${" + name + "}"
        return _expand_bounded(variables[name].replace("$$", "\0"), variables, automatic, depth + 1, budget)

    expanded = text
    for _ in range(MAX_EXPANSION_DEPTH):  # innermost references first: $(strip $(shell ...)) takes two passes
        replaced = _REFERENCE.sub(replace, expanded)[:MAX_EXPANDED]
        if replaced == expanded:
            break
        expanded = replaced
    return expanded


def make_hops(repo: RepoFiles, cwd: str, args: list[str], parsed: dict[str, Makefile]) -> list[Hop] | None:
    """The recipe lines `make ARGS` runs from `cwd`; None when there is no Makefile to read."""
    directory, makefile_name, targets, overrides = cwd, "", [], {}
    index = 0
    while index < len(args):
        arg = args[index]
        value = None
        if arg in VALUE_OPTIONS and index + 1 < len(args):
            if arg in OPTIONAL_NUMBER_OPTIONS and not args[index + 1].isdigit():
                index += 1  # `make -j test`: -j takes no value here
                continue
            value = args[index + 1]
            index += 1
        elif arg.startswith("-C") and len(arg) > 2:
            arg, value = "-C", arg[2:]
        elif arg.startswith("--directory=") or arg.startswith("--file=") or arg.startswith("--makefile="):
            arg, value = arg.split("=", 1)
        if arg in ("-C", "--directory") and value is not None:
            directory = join(directory, value)
        elif arg in ("-f", "--file", "--makefile") and value is not None:
            makefile_name = value
        elif "=" in arg and not arg.startswith("-"):
            name, _, val = arg.partition("=")
            overrides[name] = val
        elif not arg.startswith("-") and value is None:
            targets.append(arg)
        index += 1
    path = join(directory, makefile_name) if makefile_name else next(
        (join(directory, n) for n in MAKEFILE_NAMES if repo.has(join(directory, n))), None)
    if not path or not repo.has(path):
        return None
    if path not in parsed:
        parsed[path] = parse_makefile(repo, path)
    makefile = parsed[path]
    variables = {**makefile.variables, **overrides}
    goals = targets or ([makefile.default_goal] if makefile.default_goal else [])
    hops: list[Hop] = []
    for goal in goals:
        _target_hops(makefile, variables, goal, directory, 0, set(), hops)
    return hops


def _target_hops(makefile: Makefile, variables: dict[str, str], target: str, cwd: str, depth: int,
                 done: set[str], hops: list[Hop]) -> None:
    """Prerequisites first, then the recipe, as make runs them; each target once."""
    if not enter(target, done, depth, hops):
        return
    for rule in makefile.rules.get(target, []):
        for prerequisite in rule.prerequisites:
            if prerequisite in makefile.rules:
                _target_hops(makefile, variables, prerequisite, cwd, depth + 1, done, hops)
        automatic = {"@": target, "<": rule.prerequisites[0] if rule.prerequisites else "", "^": " ".join(rule.prerequisites)}
        for number, command in rule.recipe:
            if len(hops) >= MAX_HOPS:
                return
            text = _expand(command, variables, automatic).lstrip("@-+ \t")
            if text:
                hops.append(Hop(rule.path, number, text, RELATION, cwd))


def has_target(makefile: Makefile, target: str) -> bool:
    return target in makefile.rules
