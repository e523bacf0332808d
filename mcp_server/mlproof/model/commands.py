"""Follow a command to what it reaches.

`make test` -> the Makefile's `test:` recipe -> `pytest tests/`; `bash
scripts/train.sh` -> `python -m churn.train` -> src/churn/train.py. Each hop is
a `Link` with its own path:line, so a fact such as "a schedule runs training"
carries the whole chain as evidence.

Nothing is executed: commands are read as words (shell.py), wrappers are
peeled off (command_rules.py), and task runners are read as data (runners/).
Every walk is bounded: hop depth, total work, reaches, and cycles.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Callable, Mapping

from mlproof.model import command_rules as rules
from mlproof.model.repofiles import RepoFiles, join
from mlproof.model.runners import make, pipelines, tasks, testenvs
from mlproof.model.runners.base import Hop
from mlproof.model.shell import is_assignment, logical_lines, runnable_lines, split_commands, substitutions, words

if TYPE_CHECKING:
    from mlproof.model.jobs import Step

MAX_DEPTH = 8  # hops from the job step: make target -> script -> python -m ... (cycles stop earlier)
MAX_WORK = 3_000  # simple commands examined per resolve
MAX_REACHES = 300
MAX_NESTING = 4  # command substitutions inside substitutions
MAX_WORDS = 1_000  # words of one simple command that are read (real ones have tens)
MAX_SCRIPT_BYTES = 512_000
MAX_SNIPPET = 200

# Project tools with a script table: `pdm run X` runs script X when the project defines one.
SCRIPT_RUNNERS = {"pdm": tasks.pdm_hops, "rye": tasks.rye_hops, "pixi": tasks.pixi_hops, "hatch": tasks.hatch_hops}

RUNS = "runs"
SCRIPT_LINE = "script line"
PYTHON_MODULE = "python module"
PYTHON_FILE = "python file"
NOTEBOOK = "notebook"
CONSOLE_SCRIPT = "console script"
KEDRO_PIPELINE = "kedro pipeline"


@dataclass(frozen=True)
class Link:
    path: str
    line: int | None
    snippet: str
    relation: str  # "runs" (a job step), "make target", "script line", "task", "python module", "python file", "dvc stage" ...


@dataclass
class Reach:
    """One thing a command reaches: a repository file it executes, or a tool it invokes."""

    chain: list[Link]  # from the job step to the last hop, in order
    file: str | None = None  # repository-relative path of an executed file (Python module/script, notebook)
    tool: str | None = None  # an external tool invoked, normalised: "pytest", "dvc repro", "mlflow run", "kubectl apply" ...
    argv: list[str] = field(default_factory=list)  # the final command's words (shell words, after wrappers such as
    #                                                `poetry run` or `python -m` are peeled off), for signal matching
    text: str = ""  # the final command line as written (for regex signals over commands)


class CommandResolver:
    """Resolves commands against one repository (its files, Makefiles, scripts, task-runner configs)."""

    def __init__(self, files: Mapping[str, str], modules: Mapping[str, str]):
        """`files`: rel path -> text of the readable text files (a lazy mapping: use `get` and `in`);
        `modules`: dotted module name -> rel path of its .py file (or package __init__.py)."""
        self.repo = RepoFiles(files)
        self.modules = modules
        self.console_scripts = tasks.ConsoleScripts(self.repo)
        self.makefiles: dict[str, make.Makefile] = {}  # parsed once per resolver
        self._kedro_registry: list[str] | None = None

    def resolve(self, command: str, path: str, line: int | None, relation: str = RUNS, cwd: str = "") -> list[Reach]:
        """Everything `command` (declared at path:line, run in `cwd`) reaches, each with its chain of links."""
        walk = _Walk(self)
        first = Link(path, line, self.snippet(path, line, command), relation)
        state = _ShellState(cwd=cwd)
        for _, logical in logical_lines(command, line):
            walk.line(logical, state, [first], 0, frozenset())
        return walk.reaches

    def resolve_step(self, step: Step) -> list[Reach]:
        """What a job step reaches: the file it executes directly, and what its command runs."""
        reaches = []
        if step.file:
            first = Link(step.path, step.line, self.snippet(step.path, step.line, step.name or step.file), RUNS)
            relation = NOTEBOOK if step.file.endswith(".ipynb") else PYTHON_FILE
            reaches.append(Reach([first, Link(step.file, None, step.file, relation)], file=step.file, text=step.command))
        if step.command.strip():
            reaches.extend(self.resolve(step.command, step.path, step.line, cwd=step.cwd))
        return reaches

    def snippet(self, path: str, line: int | None, fallback: str) -> str:
        text = self.repo.line(path, line).strip() or fallback.strip()
        return text if len(text) <= MAX_SNIPPET else text[: MAX_SNIPPET - 3] + "..."

    def module_file(self, module: str, cwd: str = "") -> str | None:
        """The file `python -m module` runs: the module, or a package's __main__.py."""
        found = self.modules.get(module)
        if found:
            if found.endswith("__init__.py"):
                main = posixpath.join(posixpath.dirname(found), "__main__.py")
                return main if self.repo.has(main) else found
            return found
        relative = module.replace(".", "/")
        for base in dict.fromkeys((cwd, "", "src")):
            for candidate in (f"{relative}.py", f"{relative}/__main__.py", f"{relative}/__init__.py"):
                path = join(base, candidate)
                if self.repo.has(path):
                    return path
        return None

    def kedro_registry(self) -> list[str]:
        if self._kedro_registry is None:
            self._kedro_registry = [p for p in self.repo.paths if p.endswith("/pipeline_registry.py")]
        return self._kedro_registry


@dataclass
class _ShellState:
    """What one shell carries from line to line: the working directory and simple variables."""

    cwd: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    script_dir: str | None = None  # set while reading a script: its own directory


_VARIABLE = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)")
_PROGRAM_VARIABLE = re.compile(r"^\$[({]?(\w+)[)}]?$")
_DIRNAME_OF_SCRIPT = re.compile(r"dirname\s+[\"']?\$(?:0|\{?BASH_SOURCE)")
_STDIN_SCRIPT = re.compile(r"<\s*([\w./-]+)")  # bsub < job.lsf
_APP_REFERENCE = re.compile(r"^([A-Za-z_][\w.]*):[\w.()]+$")


class _Walk:
    """One bounded walk from a command; `reaches` collects what it finds."""

    def __init__(self, resolver: CommandResolver):
        self.r = resolver
        self.repo = resolver.repo
        self.reaches: list[Reach] = []
        self.work = MAX_WORK
        self.nesting = 0  # $( $( ... ) ) levels being read
        task_runners = {
            "make": lambda repo, cwd, args: make.make_hops(repo, cwd, args, resolver.makefiles),
            "just": tasks.just_hops, "task": tasks.taskfile_hops, "invoke": tasks.invoke_hops, "poe": tasks.poe_hops,
            "tox": testenvs.tox_hops, "nox": testenvs.nox_hops,
        }
        self.handlers: dict[str, Callable] = {name: partial(self.task_runner, name, lookup) for name, lookup in task_runners.items()}
        self.handlers |= {name: partial(self.script_runner, name, lookup) for name, lookup in SCRIPT_RUNNERS.items()}
        self.handlers |= {
            "npm": self.npm, "yarn": self.npm, "pnpm": self.npm, "bun": self.npm, "pytest": self.pytest,
            "coverage": self.coverage, "dvc": self.dvc, "mlflow": self.mlflow, "kedro": self.kedro,
            "jupyter": self.jupyter, "papermill": self.papermill, "docker": self.docker, "podman": self.docker,
            "docker compose": self.compose, "unittest": self.unittest,
        }

    # --- walking -----------------------------------------------------------------------------

    def line(self, text: str, state: _ShellState, chain: list[Link], depth: int, stack: frozenset) -> None:
        for command in split_commands(text):
            if self.work <= 0 or len(self.reaches) >= MAX_REACHES:
                return
            self.work -= 1
            self.simple(command, state, chain, depth, stack)

    def simple(self, text: str, state: _ShellState, chain: list[Link], depth: int, stack: frozenset) -> None:
        if self.nesting < MAX_NESTING:
            self.nesting += 1
            for inner in substitutions(text):  # X=$(python fit.py), `cmd`: the substituted command runs too
                if self.work <= 0:
                    break
                self.line(inner, replace(state), chain, depth, stack)
            self.nesting -= 1
        argv = [self.expand(w, state) for w in words(text)[:MAX_WORDS]]
        while argv and is_assignment(argv[0]):
            if len(argv) == 1:  # a bare assignment: remember it for later lines
                self.assign(argv[0], state)
            argv = argv[1:]
        if not argv:
            return
        if argv[0] in ("export", "local", "declare", "readonly"):
            for word in argv[1:]:
                if is_assignment(word):
                    self.assign(word, state)
            return
        if argv[0] in ("cd", "pushd"):
            state.cwd = self.change_dir(argv[1] if len(argv) > 1 else "", state)
            return
        argv, cwd = self.unwrap(argv, state.cwd)
        if not argv:
            return
        local = replace(state, cwd=cwd) if cwd != state.cwd else state
        self.dispatch(argv, text, local, chain, depth, stack)

    def dispatch(self, argv: list[str], text: str, state: _ShellState, chain: list[Link], depth: int, stack: frozenset) -> None:
        if argv[0] in rules.STEP_REFERENCES and len(argv) > 1:  # `uses: owner/action@v2` steps from job parsers
            return self.tool(chain, argv, text, name=f"{argv[0].rstrip(':')} {argv[1].split('@')[0]}")
        if "/" in argv[0] or argv[0].startswith("."):  # a repository file run by path: ./train.sh, bin/fit
            found = self.find(argv[0], state)
            if found:
                return self.executable(found, argv, text, state, chain, depth, stack)
        program = self.program(argv)
        if program == "docker compose":
            argv = ["docker", "compose"] + argv[2 if argv[0] in ("docker", "podman") else 1:]
        elif program != argv[0]:
            argv = [program] + argv[1:]
        if program in rules.SHELL_NOISE:
            return
        if rules.PYTHON_PROGRAM.match(program):
            return self.python(argv, text, state, chain, depth, stack)
        if program in rules.SHELL_PROGRAMS or program in rules.SOURCE_PROGRAMS:
            return self.shell(argv, text, state, chain, depth, stack)
        if program in rules.BATCH_SUBMITTERS:
            return self.batch_submit(argv, text, state, chain, depth, stack)
        launcher = self.match_prefix(argv, rules.PYTHON_LAUNCHERS)
        if launcher:
            return self.launch(argv, launcher, text, state, chain, depth, stack)
        handler = self.handlers.get(program)
        if handler:
            return handler(argv, text, state, chain, depth, stack)
        if program in rules.APP_SERVERS:
            return self.app_server(argv, text, state, chain)
        server = self.match_prefix(argv, {k: " ".join(k) for k in rules.FILE_SERVERS})
        if server:
            return self.file_server(argv, server, text, state, chain)
        script = self.r.console_scripts.get(program)
        if script and depth < MAX_DEPTH:
            return self.console_script(argv, script, text, chain)
        self.tool(chain, argv, text)

    # --- small helpers -----------------------------------------------------------------------

    def program(self, argv: list[str]) -> str:
        word = argv[0]
        variable = _PROGRAM_VARIABLE.match(word)
        if variable:  # $(PYTHON) / ${PYTEST} left unexpanded: the name says what it is
            name = variable.group(1).lower()
            return next((known for known in rules.PROGRAM_VARIABLE_HINTS if known in name), "python" if name == "py" else word)
        if "/" in word:
            word = posixpath.basename(word)  # .venv/bin/pytest, /usr/bin/python3
        if word in ("docker", "podman") and len(argv) > 1 and argv[1] == "compose":
            return "docker compose"
        return rules.PROGRAM_ALIASES.get(word, word)

    @staticmethod
    def match_prefix(argv: list[str], table: Mapping[tuple[str, ...], str]) -> tuple[tuple[str, ...], str] | None:
        """(the matched leading words, the table's value) for the longest prefix of argv in `table`."""
        for size in range(min(len(argv), 3), 0, -1):
            key = tuple(argv[:size])
            if key in table:
                return key, table[key]
        return None

    def unwrap(self, argv: list[str], cwd: str) -> tuple[list[str], str]:
        """Peel wrappers off (sudo, timeout 5, poetry run, conda run -n x ...), following a changed working dir."""
        for _ in range(8):
            match = None
            for size in range(min(rules.MAX_WRAPPER_WORDS, len(argv)), 0, -1):
                key = tuple(self.program([argv[0]]) if i == 0 else w for i, w in enumerate(argv[:size]))
                if key in rules.WRAPPERS and not self.defined_script(key, argv[size:], cwd):
                    match = (size, rules.WRAPPERS[key])
                    break
            if not match:
                return argv, cwd
            size, wrapper = match
            rest = argv[size:]
            positional = wrapper.positional
            while rest:
                word = rest[0]
                if word == "--":
                    rest = rest[1:]
                    break
                if word.startswith("-"):
                    option, _, inline = word.partition("=")
                    takes_value = option in wrapper.value_options and not inline
                    value = rest[1] if takes_value and len(rest) > 1 else inline
                    if option in wrapper.cwd_options and value:
                        cwd = join(cwd, value)
                    rest = rest[2:] if takes_value else rest[1:]
                elif is_assignment(word):
                    rest = rest[1:]  # env VAR=1 cmd
                elif positional:
                    positional -= 1
                    rest = rest[1:]
                else:
                    break
            argv = rest
            if not argv:
                return argv, cwd
        return argv, cwd

    def defined_script(self, key: tuple[str, ...], rest: list[str], cwd: str) -> bool:
        """`pdm run X` / `hatch run X` / `pixi run X` / `rye run X` name a project script when one is defined."""
        if len(key) != 2 or key[1] != "run" or key[0] not in SCRIPT_RUNNERS:
            return False
        names = [w for w in rest if not w.startswith("-")]
        return bool(names) and SCRIPT_RUNNERS[key[0]](self.repo, cwd, names[0], []) is not None

    def expand(self, word: str, state: _ShellState) -> str:
        if "$" not in word or not state.variables:
            return word

        def value(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(3)
            if name in state.variables:
                return state.variables[name]
            return match.group(2) if match.group(2) is not None else match.group(0)

        return _VARIABLE.sub(value, word)

    def assign(self, word: str, state: _ShellState) -> None:
        name, _, value = word.partition("=")
        name = name.rstrip("+")
        if _DIRNAME_OF_SCRIPT.search(value) and state.script_dir is not None:
            tail = value.split(")")[-1] if ")" in value else ""
            state.variables[name] = join(state.script_dir, tail.strip("/\"'")) or "."
        elif "$(" not in value and "`" not in value and len(value) < 500:
            state.variables[name] = value

    def change_dir(self, target: str, state: _ShellState) -> str:
        if _DIRNAME_OF_SCRIPT.search(target) and state.script_dir is not None:  # cd "$(dirname "$0")/.."
            tail = target.split(")")[-1] if ")" in target else ""
            return join(state.script_dir, tail.strip("/\"'"))
        if rules.ROOT_VARIABLES.match(target):  # cd $GITHUB_WORKSPACE/svc
            return join("", rules.ROOT_VARIABLES.sub("", target, count=1).lstrip("/"))
        if not target or target.startswith(("/", "~")):
            return ""  # home or an absolute container path: the checkout root is the best guess
        if target == "-" or "$" in target:
            return state.cwd  # not knowable here
        moved = join(state.cwd, target)
        return "" if moved.startswith("..") else moved

    def find(self, word: str, state: _ShellState, allow_dir: bool = False) -> str | None:
        """The repository path a path argument names, tried against cwd, the script's dir and the root."""
        word = rules.ROOT_VARIABLES.sub("", word, count=1).lstrip("/") if rules.ROOT_VARIABLES.match(word) else word
        word = word.split("::")[0]
        if "$" in word:  # an unknown $DIR/ prefix: try what follows it
            word = re.split(r"\$\{?\w+\}?/", word)[-1]
            if "$" in word:
                return None
        bases = [state.cwd] + ([state.script_dir] if state.script_dir is not None else []) + [""]
        candidates = [join(base, word) for base in dict.fromkeys(bases)] if not word.startswith("/") else []
        if word.startswith("/"):  # a container path such as /app/src/train.py: try its repository-relative tails
            parts = word.strip("/").split("/")
            candidates = ["/".join(parts[i:]) for i in range(min(len(parts), 4))]
        for candidate in candidates:
            if not candidate or candidate.startswith(".."):
                continue
            if self.repo.has(candidate) or (allow_dir and self.repo.is_dir(candidate)):
                return candidate
        return None

    # --- reaches -----------------------------------------------------------------------------

    def tool(self, chain: list[Link], argv: list[str], text: str, name: str | None = None, file: str | None = None) -> None:
        if len(self.reaches) < MAX_REACHES:
            self.reaches.append(Reach(list(chain), file=file, tool=name or tool_name(argv), argv=list(argv), text=text.strip()))

    def file_reach(self, chain: list[Link], path: str, snippet: str, relation: str, argv: list[str], text: str,
                   tool: str | None = None) -> None:
        if len(self.reaches) < MAX_REACHES:
            link = Link(path, None, snippet, relation)
            self.reaches.append(Reach(list(chain) + [link], file=path, tool=tool, argv=list(argv), text=text.strip()))

    def follow(self, hops: list[Hop], state: _ShellState, chain: list[Link], depth: int, stack: frozenset) -> None:
        """Resolve the commands a runner expanded to, each from its own path:line."""
        for hop in hops:
            link = Link(hop.path, hop.line, self.r.snippet(hop.path, hop.line, hop.command), hop.relation)
            if hop.module:
                found = self.r.module_file(hop.module, hop.cwd)
                if found:
                    self.file_reach(chain + [link], found, hop.module, PYTHON_MODULE, [], hop.module)
                else:
                    self.tool(chain + [link], [hop.module], hop.module, name=hop.module)
                continue
            hop_state = _ShellState(cwd=hop.cwd)
            self.line(hop.command, hop_state, chain + [link], depth + 1, stack)

    def runner(self, key: tuple, hops: list[Hop] | None, argv: list[str], text: str, state: _ShellState,
               chain: list[Link], depth: int, stack: frozenset, name: str) -> None:
        """Follow a runner's hops, or report the tool itself when the repository does not define the task."""
        if key in stack:
            return  # a cycle: everything on it has been reported on the first pass
        if hops is None or not hops or depth >= MAX_DEPTH:
            return self.tool(chain, argv, text, name=name)
        self.follow(hops, state, chain, depth, stack | {key})

    # --- handlers ----------------------------------------------------------------------------

    def python(self, argv, text, state, chain, depth, stack):
        index = 1
        while index < len(argv):
            word = argv[index]
            if word == "-m" or (word.startswith("-m") and len(word) > 2 and not word.startswith("--")):
                module = argv[index + 1] if word == "-m" and index + 1 < len(argv) else word[2:]
                rest = argv[index + 2:] if word == "-m" else argv[index + 1:]
                return self.python_module(module, rest, argv, text, state, chain, depth, stack)
            if word == "-c":
                return self.python_code(argv[index + 1] if index + 1 < len(argv) else "", argv, text, state, chain)
            if word in ("-W", "-X", "-Q"):
                index += 2
                continue
            if word.startswith("-"):
                index += 1
                continue
            return self.python_file(word, argv, text, state, chain)
        self.tool(chain, argv, text, name="python")

    def python_module(self, module, rest, argv, text, state, chain, depth, stack):
        module = rules.PYTHON_MODULE_ALIASES.get(module, module)
        found = self.r.module_file(module, state.cwd) if module not in self.handlers else None
        if found:
            return self.file_reach(chain, found, module, PYTHON_MODULE, argv, text)
        self.dispatch([module] + rest, text, state, chain, depth, stack)  # python -m pytest, -m dvc, -m pip ...

    def python_file(self, word, argv, text, state, chain):
        found = self.find(word, state)
        if found:
            relation = NOTEBOOK if found.endswith(".ipynb") else PYTHON_FILE
            return self.file_reach(chain, found, word, relation, argv, text)
        self.tool(chain, argv, text, name="python")

    def python_code(self, code, argv, text, state, chain):
        """`python -c "from pkg.train import main; main()"` reaches the modules it imports from the repository."""
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = None
        found = False
        for node in ast.walk(tree) if tree else []:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module] if isinstance(
                node, ast.ImportFrom) and node.module and not node.level else []
            for name in names:
                path = self.r.module_file(name, state.cwd)
                if path:
                    self.file_reach(chain, path, name, PYTHON_MODULE, argv, text)
                    found = True
        if not found:
            self.tool(chain, argv, text, name="python -c")

    def shell(self, argv, text, state, chain, depth, stack):
        args = argv[1:]
        while args and args[0][:1] in "-+" and args[0] != "-c":  # bash -e -x -o pipefail script.sh
            args = args[2:] if args[0] in ("-o", "+o", "-O", "+O") else args[1:]
        if args and args[0] == "-c":
            if len(args) > 1:
                self.line(args[1], replace(state), chain, depth, stack)
            return
        if not args:
            return self.tool(chain, argv, text)
        found = self.find(args[0], state)
        if not found:
            return self.tool(chain, argv, text)
        shared = state if argv[0] in rules.SOURCE_PROGRAMS else None
        self.script(found, args[1:], argv, text, state, chain, depth, stack, shared)

    def batch_submit(self, argv, text, state, chain, depth, stack):
        """sbatch/qsub/bsub: the script among the options (the first word naming a repository file,
        since option values are never files here), a --wrap'ed command, or bsub's `< script`."""
        for index, word in enumerate(argv[1:], 1):
            option, _, inline = word.partition("=")
            if option in rules.BATCH_WRAP_OPTIONS:
                wrapped = inline or (argv[index + 1] if index + 1 < len(argv) else "")
                return self.line(wrapped, replace(state), chain, depth, stack)
            found = self.find(word, state) if not word.startswith("-") else None
            if found:
                return self.script(found, argv[index + 1:], argv, text, state, chain, depth, stack)
        stdin = _STDIN_SCRIPT.search(text)
        found = self.find(stdin.group(1), state) if stdin else None
        if found:
            return self.script(found, [], argv, text, state, chain, depth, stack)
        self.tool(chain, argv, text)

    def script(self, path, args, argv, text, state, chain, depth, stack, shared=None):
        """Follow a shell script's lines (comments and heredoc bodies skipped)."""
        key = ("script", path)
        if key in stack:
            return
        body = self.repo.text(path, MAX_SCRIPT_BYTES)
        if body is None or depth >= MAX_DEPTH:
            return self.tool(chain, argv, text)
        script_state = shared or _ShellState(cwd=state.cwd)
        previous_dir = script_state.script_dir
        script_state.script_dir = posixpath.dirname(path)
        script_state.variables.update({str(i): a for i, a in enumerate(args, 1) if "$" not in a})
        before = len(self.reaches)
        for number, logical in runnable_lines(body, 1):
            if self.work <= 0:
                break
            link = Link(path, number, self.r.snippet(path, number, logical), SCRIPT_LINE)
            self.line(logical, script_state, chain + [link], depth + 1, stack | {key})
        script_state.script_dir = previous_dir
        if len(self.reaches) == before:  # a script that runs nothing we can name still shows it ran
            self.tool(chain, argv, text)

    def executable(self, path, argv, text, state, chain, depth, stack):
        first_line = self.repo.line(path, 1)
        if path.endswith(".py") or (first_line.startswith("#!") and "python" in first_line):
            return self.file_reach(chain, path, argv[0], PYTHON_FILE, argv, text)
        if path.endswith((".sh", ".bash")) or (first_line.startswith("#!") and re.search(r"\b(?:ba|z|da|k)?sh\b", first_line)):
            return self.script(path, argv[1:], argv, text, state, chain, depth, stack)
        self.tool(chain, argv, text, name=posixpath.basename(path))

    def launch(self, argv, launcher, text, state, chain, depth, stack):
        key, name = launcher
        rest = argv[len(key):]
        for index, word in enumerate(rest):
            if word in ("-m", "--module") and index + 1 < len(rest):
                module = rest[index + 1]
                found = self.r.module_file(module, state.cwd)
                if found:
                    return self.file_reach(chain, found, module, PYTHON_MODULE, argv, text, tool=name)
                break
            if word.endswith(".py") and not word.startswith("-"):
                return self.script_argument(word, argv, text, state, chain, name)
        self.tool(chain, argv, text, name=name)

    def script_argument(self, word, argv, text, state, chain, tool):
        """A launcher or server given a Python file: reach it, or report the tool when it is not in the repository."""
        found = self.find(word, state)
        if found:
            return self.file_reach(chain, found, word, PYTHON_FILE, argv, text, tool=tool)
        self.tool(chain, argv, text, name=tool)

    def console_script(self, argv, script, text, chain):
        path, line, reference = script
        module = reference.split(":")[0].strip()
        link = Link(path, line, self.r.snippet(path, line, reference), CONSOLE_SCRIPT)
        found = self.r.module_file(module)
        if found:
            return self.file_reach(chain + [link], found, module, PYTHON_MODULE, argv, text)
        self.tool(chain + [link], argv, text)

    def app_server(self, argv, text, state, chain):
        for word in _positional(argv[1:], rules.APP_SERVER_VALUE_OPTIONS):
            match = _APP_REFERENCE.match(word)
            if match:
                found = self.r.module_file(match.group(1), state.cwd)
                if found:
                    return self.file_reach(chain, found, word, PYTHON_MODULE, argv, text, tool=argv[0])
                break
        self.tool(chain, argv, text, name=argv[0])

    def file_server(self, argv, server, text, state, chain):
        key, name = server
        word = next((w for w in argv[len(key):] if w.endswith(".py") and not w.startswith("-")), None)
        if word:
            return self.script_argument(word, argv, text, state, chain, name)
        self.tool(chain, argv, text, name=name)

    def pytest(self, argv, text, state, chain, depth, stack):
        found = [self.find(w, state, allow_dir=True) for w in _positional(argv[1:], rules.PYTEST_VALUE_OPTIONS)]
        paths = [f for f in dict.fromkeys(found) if f]
        for path in paths:
            self.tool(chain, argv, text, name="pytest", file=path)
        if not paths:
            self.tool(chain, argv, text, name="pytest")

    def unittest(self, argv, text, state, chain, depth, stack):
        found = [self.r.module_file(w, state.cwd) for w in argv[1:] if re.fullmatch(r"[A-Za-z_][\w.]*", w) and w != "discover"]
        paths = [f for f in found if f]
        for path in paths:
            self.tool(chain, argv, text, name="unittest", file=path)
        if not paths:
            self.tool(chain, argv, text, name="unittest")

    def coverage(self, argv, text, state, chain, depth, stack):
        if len(argv) > 1 and argv[1] == "run":  # coverage run [opts] -m mod | file: runs Python
            rest = [w for w in argv[2:] if not (w.startswith("--") and "=" in w)]
            while rest and rest[0].startswith("-") and rest[0] != "-m":
                rest = rest[2:] if rest[0] in rules.COVERAGE_VALUE_OPTIONS else rest[1:]
            return self.python(["python"] + rest, text, state, chain, depth, stack)
        self.tool(chain, argv, text)

    def task_runner(self, name, lookup, argv, text, state, chain, depth, stack):
        """make, just, task, invoke, tox, nox, poe: the runner reads its own file for the named targets."""
        hops = lookup(self.repo, state.cwd, argv[1:])
        self.runner((name, state.cwd, tuple(argv[1:])), hops, argv, text, state, chain, depth, stack, name)

    def npm(self, argv, text, state, chain, depth, stack):
        args = [w for w in argv[1:] if not w.startswith("-")]
        if not args:
            return self.tool(chain, argv, text)
        verb = args[0]
        if verb in ("run", "run-script") and len(args) > 1:
            script = args[1]
        elif verb in ("test", "t", "tst", "start", "stop", "restart") or argv[0] in ("yarn", "pnpm", "bun"):
            script = {"t": "test", "tst": "test"}.get(verb, verb)
        else:
            return self.tool(chain, argv, text)
        hops = tasks.npm_hops(self.repo, state.cwd, script)
        if hops is None and verb not in ("run", "run-script") and argv[0] != "npm":
            return self.tool(chain, argv, text)  # yarn install, pnpm add ...
        self.runner(("npm", state.cwd, script), hops, argv, text, state, chain, depth, stack, f"{argv[0]} run")

    def script_runner(self, name, lookup, argv, text, state, chain, depth, stack):
        """pdm, rye, pixi, hatch: `NAME run SCRIPT` (a command that is no script was unwrapped before)."""
        if tuple(argv[:2]) in rules.PYTEST_SUBCOMMANDS:
            return self.tool(chain, argv, text, name="pytest")
        args = argv[2:] if len(argv) > 1 and argv[1] == "run" else argv[1:]
        names = [w for w in args if not w.startswith("-")]
        hops = lookup(self.repo, state.cwd, names[0], args[args.index(names[0]) + 1:]) if names else None
        if hops is None:
            return self.tool(chain, argv, text)
        self.runner((name, names[0]), hops, argv, text, state, chain, depth, stack, f"{name} run")

    def dvc(self, argv, text, state, chain, depth, stack):
        if len(argv) > 1 and argv[1] == "repro":
            args, name = argv[2:], "dvc repro"
        elif len(argv) > 2 and argv[1:3] == ["exp", "run"]:
            args, name = argv[3:], "dvc exp run"
        else:
            return self.tool(chain, argv, text)
        hops = pipelines.dvc_hops(self.repo, state.cwd, args)
        self.runner(("dvc", state.cwd, tuple(args)), hops, argv, text, state, chain, depth, stack, name)

    def mlflow(self, argv, text, state, chain, depth, stack):
        if len(argv) < 2 or argv[1] != "run":
            return self.tool(chain, argv, text)
        hops = pipelines.mlflow_run_hops(self.repo, state.cwd, argv[2:])
        self.runner(("mlflow", state.cwd, tuple(argv[2:])), hops, argv, text, state, chain, depth, stack, "mlflow run")

    def kedro(self, argv, text, state, chain, depth, stack):
        if len(argv) < 2 or argv[1] != "run":
            return self.tool(chain, argv, text)
        pipeline = next((argv[i + 1] for i, w in enumerate(argv[:-1]) if w in ("--pipeline", "-p")), None)
        registries = self.r.kedro_registry()
        if pipeline:
            for registry in registries:
                candidate = join(posixpath.dirname(registry), f"pipelines/{pipeline}/pipeline.py")
                if self.repo.has(candidate):
                    return self.file_reach(chain, candidate, pipeline, KEDRO_PIPELINE, argv, text, tool="kedro run")
        if registries:
            return self.file_reach(chain, registries[0], "register_pipelines", KEDRO_PIPELINE, argv, text, tool="kedro run")
        self.tool(chain, argv, text, name="kedro run")

    def jupyter(self, argv, text, state, chain, depth, stack):
        verb = argv[1] if len(argv) > 1 else ""
        runs = verb == "execute" or (verb == "nbconvert" and any(w == "--execute" or w.startswith("--execute") for w in argv))
        notebooks = [self.find(w, state) for w in argv[2:] if w.endswith(".ipynb")]
        if runs and any(notebooks):
            for notebook in filter(None, notebooks):
                self.file_reach(chain, notebook, notebook, NOTEBOOK, argv, text, tool=f"jupyter {verb}")
            return
        self.tool(chain, argv, text, name=f"jupyter {verb}".strip())

    def papermill(self, argv, text, state, chain, depth, stack):
        notebook = next((w for w in argv[1:] if w.endswith(".ipynb")), None)
        found = self.find(notebook, state) if notebook else None
        if found:
            return self.file_reach(chain, found, notebook, NOTEBOOK, argv, text, tool="papermill")
        self.tool(chain, argv, text, name="papermill")

    def docker(self, argv, text, state, chain, depth, stack):
        if len(argv) > 1 and argv[1] in ("run", "exec"):
            positional = _positional(argv[2:], rules.DOCKER_RUN_VALUE_OPTIONS, keep_after_first=True)
            entrypoint = next((argv[i + 1] for i, w in enumerate(argv[:-1]) if w == "--entrypoint"), None)
            command = ([entrypoint] if entrypoint else []) + positional[1:]  # positional[0] is the image/container
            if command:
                return self.dispatch(command, text, state, chain, depth, stack)
        self.tool(chain, argv, text)

    def compose(self, argv, text, state, chain, depth, stack):
        args = argv[2:]
        compose_file = ""
        while args and args[0].startswith("-"):
            if args[0] in ("-f", "--file") and len(args) > 1:
                compose_file = args[1]
            args = args[2:] if args[0] in rules.COMPOSE_GLOBAL_VALUE_OPTIONS else args[1:]
        if not args or args[0] not in ("run", "up", "exec"):
            return self.tool(chain, argv, text)
        positional = _positional(args[1:], rules.COMPOSE_VALUE_OPTIONS, keep_after_first=args[0] != "up")
        if args[0] != "up" and len(positional) > 1:
            return self.dispatch(positional[1:], text, state, chain, depth, stack)
        services = positional[:1] if args[0] != "up" else positional
        hops = pipelines.compose_service_hops(self.repo, state.cwd, compose_file, services)
        self.runner(("compose", state.cwd, tuple(services)), hops, argv, text, state, chain, depth, stack, "docker compose")


def _positional(args: list[str], value_options: set[str] | frozenset[str], keep_after_first: bool = False) -> list[str]:
    """Arguments that are not options or option values; with keep_after_first, everything after the first
    positional (a container's command keeps its own options)."""
    out: list[str] = []
    skip = False
    for index, word in enumerate(args):
        if skip:
            skip = False
            continue
        if keep_after_first and out:
            return out + args[index:]
        if word == "--":
            return out + args[index + 1:]
        if word.startswith("-"):
            skip = word in value_options
            continue
        out.append(word)
    return out


def tool_name(argv: list[str]) -> str:
    """A normalised tool name: the program, or program + sub-command for multi-verb CLIs."""
    if not argv:
        return ""
    program = posixpath.basename(argv[0]) if "/" in argv[0] else argv[0]
    program = rules.PROGRAM_ALIASES.get(program, program)
    if program == "docker compose" or (program in ("docker", "podman") and len(argv) > 1 and argv[1] == "compose"):
        return "docker compose"
    if rules.PYTHON_PROGRAM.match(program):
        return "python"
    if program not in rules.MULTI_VERB:
        return program
    skip = False
    for word in argv[1:]:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in rules.GLOBAL_VALUE_OPTIONS
        else:
            return f"{program} {word}" if rules.SUBCOMMAND.match(word) else program
    return program
