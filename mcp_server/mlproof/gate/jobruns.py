"""What a job runs: its steps' commands followed to tools and to the code they execute.

A job step reaches files and tools (mlproof.model.commands); a Python file it
runs is a script (module code and main guard), a `python -c` snippet runs the
functions it calls. The execution closure of those (flow.py) is the code the
job runs; subprocess calls with literal words in that code are commands too.
"""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass, field

from mlproof.evidence import Link
from mlproof.gate.context import GateContext
from mlproof.gate.flow import Node
from mlproof.gate.values import matches

SUBPROCESS = ("subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen",
              "os.system", "os.popen", "sh.run")


@dataclass
class Command:
    argv: list[str]
    chain: list[Link]


@dataclass
class JobRun:
    job: object
    closure: dict[Node, list[Link]] = field(default_factory=dict)
    commands: list[Command] = field(default_factory=list)


def _links(reach) -> list[Link]:
    return [Link(path=link.path, line=link.line, snippet=link.snippet, relation=link.relation) for link in reach.chain]


def job_run(ctx: GateContext, job) -> JobRun:
    key = f"jobrun:{id(job)}"
    if key in ctx.cache:
        return ctx.cache[key]
    run = JobRun(job)
    roots: list[tuple[Node, list[Link]]] = []
    for reach in ctx.reaches(job):
        chain = _links(reach)
        argv = list(reach.argv or [])
        if reach.file and reach.file.endswith((".py", ".ipynb")):
            if "-c" in argv[1:3]:
                roots += _snippet_roots(ctx, reach.file, argv[argv.index("-c") + 1] if argv.index("-c") + 1 < len(argv) else "", chain)
            else:
                roots += ctx.flow.script_roots(reach.file, chain)
        elif argv:
            run.commands.append(Command(argv, chain))
    run.closure = ctx.flow.closure(roots)
    run.commands += code_commands(ctx, run.closure)
    ctx.cache[key] = run
    return run


def _snippet_roots(ctx: GateContext, rel: str, code: str, chain: list[Link]) -> list[tuple[Node, list[Link]]]:
    """`python -c "from churn.train import main; main()"`: the module's code and the functions the snippet calls."""
    roots = [((rel, None), chain)]
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return roots
    imported = {alias.asname or alias.name: alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    index = ctx.flow.index(rel)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in imported and index is not None:
            name = imported[node.func.id]
            if name in index.functions:
                roots.append(((rel, name), chain))
            elif name in index.classes:
                roots += [(n, chain) for n in ctx.flow._class_nodes(rel, index, name)]
    return roots


def code_commands(ctx: GateContext, closure: dict[Node, list[Link]]) -> list[Command]:
    """`subprocess.run(["helm", "rollback", ...])` and `os.system("...")` in code that runs."""
    found = []
    for node, chain in closure.items():
        for call in ctx.flow.live_calls(node):
            if not matches(call.name, SUBPROCESS) or not call.literals:
                continue
            words = [str(w) for w in call.literals if isinstance(w, str)]
            if len(words) == 1 and " " in words[0]:
                try:
                    words = shlex.split(words[0])
                except ValueError:
                    words = words[0].split()
            if words:
                found.append(Command(words, [*chain, ctx.flow.link(node[0], call.line, "runs")]))
    return found


def command_matches(argv: list[str], prefixes) -> bool:
    words = [w for w in argv if w]
    if words and re.match(r"^python(?:\d[\d.]*)?$", words[0]) and len(words) > 2 and words[1] == "-m":
        words = words[2:]  # python -m mlproof drift ...
    return any(words[: len(prefix)] == list(prefix) for prefix in prefixes)


def calls_in_closure(ctx: GateContext, closure: dict[Node, list[Link]], names) -> list[tuple[Node, object, list[Link]]]:
    """(node, call, chain) for each live call matching `names` in code that runs."""
    found = []
    for node, chain in closure.items():
        for call in ctx.flow.live_calls(node):
            if not call.decorator and matches(call.name, names):
                found.append((node, call, [*chain, ctx.flow.link(node[0], call.line, "calls")]))
    return found


def trigger_link(ctx: GateContext, trigger) -> Link:
    return Link(path=trigger.path, line=trigger.line, snippet=(ctx.flow.line(trigger.path, trigger.line) or trigger.detail)[:160],
                relation=f"{trigger.kind} trigger" + (f" ({trigger.detail})" if trigger.detail else ""))
