"""Which code actually runs: the execution closure of an entry point, over the repository model.

A proof such as "serving loads a registered model" or "the schedule computes
drift" holds only for code that runs. Starting from entry points (a script run
by a job step, a served app's route handlers, a test function), the closure
follows, within the repository:
- calls to the file's own functions and methods, and to functions of the
  local modules it imports (resolved through its imports, aliases included);
- functions named without being called (callbacks: `python_callable=train`,
  `app.add_api_route("/p", predict)`), and functions nested in one that runs;
- the module-level code of every module that runs (it runs on import), but a
  main guard only for a file run as a script;
- for a class that is used, the methods a framework calls (signals.yaml:
  `protocol_methods`).
Code under `if False:` and functions nothing reaches stay out. Each node keeps
the chain of links that led to it, which becomes the proof's evidence.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass

from mlproof.evidence import Link
from mlproof.gate.pyindex import MAIN, PyIndex
from mlproof.model.code import Call, CodeFacts, Import

MAX_NODES = 4000  # a closure larger than this is cut (every loop is bounded)
MAX_SNIPPET = 160

Node = tuple[str, str | None]  # (repository-relative file, dotted function name | None = module level | MAIN)


def is_test_path(rel: str) -> bool:
    parts = rel.split("/")
    name = parts[-1]
    return any(p in ("tests", "test", "testing") for p in parts[:-1]) or name.startswith("test_") \
        or name.endswith("_test.py") or name == "conftest.py"


@dataclass
class Reached:
    node: Node
    chain: list[Link]  # from the entry point to this node


class Flow:
    """Execution closures over one RepoModel (files are parsed once, lazily)."""

    def __init__(self, model, protocol_methods: tuple[str, ...] = ()):
        self.model = model
        self.protocol_methods = protocol_methods
        self._indexes: dict[str, PyIndex | None] = {}
        self._class_depth = 0  # local base classes followed (a cycle of bases must not recurse forever)

    # -- per-file facts

    def facts(self, rel: str) -> CodeFacts | None:
        return self.model.code(rel) if rel.endswith((".py", ".ipynb")) else None

    def index(self, rel: str) -> PyIndex | None:
        """The file's scopes; a notebook is its code cells run top to bottom (markdown cells are not code)."""
        if rel not in self._indexes:
            text = self.model.texts.get(rel) if rel.endswith((".py", ".ipynb")) else None
            if text is not None and rel.endswith(".ipynb"):
                text = self.model._notebook_source(text)
            self._indexes[rel] = PyIndex.parse(text) if text is not None else None
        return self._indexes[rel]

    def line(self, rel: str, number: int | None) -> str:
        from mlproof.repo.redact import redact

        text = self.model.texts.get(rel)
        if text is not None and rel.endswith(".ipynb"):
            text = self.model._notebook_source(text)  # line numbers count the joined code cells
        if text is None or not number:
            return ""
        lines = text.split("\n")
        return redact(lines[number - 1].strip())[:MAX_SNIPPET] if 0 < number <= len(lines) else ""

    def link(self, rel: str, number: int | None, relation: str) -> Link:
        return Link(path=rel, line=number, snippet=self.line(rel, number), relation=relation)

    # -- ownership: which node a call belongs to

    def owner(self, rel: str, scope: str | None, line: int) -> str | None:
        """The function node a call at `line` inside CodeFacts scope `scope` belongs to (class bodies run with
        their enclosing function or module; main-guard lines belong to MAIN)."""
        index = self.index(rel)
        if index is None:
            return scope
        current = scope
        while current is not None and current not in index.functions:
            current = index.parent.get(current)
        if current is None and index.main_lines and index.main_lines[0] <= line <= index.main_lines[1]:
            return MAIN
        return current

    def live_calls(self, node: Node) -> list[Call]:
        """The CodeFacts calls made by the node's own code (dead code excluded)."""
        rel, function = node
        facts = self.facts(rel)
        if facts is None:
            return []
        return [c for c in facts.calls if not c.dead and self._owned(rel, c, function)]

    def call_name(self, rel: str, node) -> str | None:
        """The qualified name CodeFacts gives an `ast.Call` (with local bindings: `log = PredictionLog()` makes
        `log.write(...)` the call PredictionLog.write), found by its lines and its last name."""
        facts = self.facts(rel)
        func = node.func
        last = func.attr if hasattr(func, "attr") else getattr(func, "id", None)
        if facts is None or last is None:
            return None
        for call in facts.calls:
            if call.line == node.lineno and call.end_line == (node.end_lineno or node.lineno) and call.name.rsplit(".", 1)[-1] == last:
                return call.name
        return None

    def _owned(self, rel: str, call: Call, function: str | None) -> bool:
        return self.owner(rel, call.function, call.line) == function

    # -- resolution of a name used in `rel` to nodes of the repository

    @functools.lru_cache(maxsize=20_000)
    def locate(self, rel: str, name: str, scope: str | None = None) -> tuple[str, str] | None:
        """(file, dotted symbol) a name used in `rel` refers to, for the repository's own code; symbol "" = a module."""
        facts, index = self.facts(rel), self.index(rel)
        if facts is None or index is None or not name or name == "?":
            return None
        current = scope
        candidates = []
        while current is not None:
            candidates.append(f"{current}.{name}")
            current = index.parent.get(current)
        candidates.append(name)
        for candidate in candidates:
            if candidate in index.functions or candidate in index.classes:
                return rel, candidate
        for imported in facts.imports:
            bound = self._bound(imported)
            if bound and (name == bound or name.startswith(bound + ".")):
                target = self._import_target(rel, imported)
                if target is not None:
                    rest = name[len(bound) + 1:]
                    return target[0], ".".join(p for p in (target[1], rest) if p)
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):  # `import pkg.mod` then `pkg.mod.f()`
            target = self.model.modules.get(".".join(parts[:cut]))
            if target and target != rel:
                return target, ".".join(parts[cut:])
        return None

    def resolve(self, rel: str, name: str, scope: str | None = None) -> tuple[Node, ...]:
        """The nodes that run when `name` is called (or used) in `rel`: a function, a class's methods, a module."""
        found = self.locate(rel, name, scope)
        return self._symbol(*found) if found is not None else ()

    def locate_class(self, rel: str, name: str, scope: str | None = None) -> tuple[str, str] | None:
        """(file, dotted class name) for a class name used in `rel`, following imports."""
        found = self.locate(rel, name, scope)
        if found is None:
            return None
        index = self.index(found[0])
        return found if index is not None and found[1] in index.classes else None

    @staticmethod
    def _bound(imported: Import) -> str:
        """The qualified text CodeFacts writes for names bound by this import."""
        if imported.name == "*":
            return ""
        if imported.name:
            return f"{imported.module}.{imported.name}" if imported.module else imported.name
        return imported.module

    def _import_target(self, rel: str, imported: Import) -> tuple[str, str] | None:
        """(file, symbol inside it) an import binds, for local modules; symbol "" = the module itself."""
        modules = self.model.modules
        if imported.level:
            package = rel.rsplit("/", 1)[0].split("/") if "/" in rel else []
            base = package[: len(package) - (imported.level - 1)] if imported.level > 1 else package
            for prefix in _source_prefixes(base):
                module = ".".join(p for p in (prefix, imported.module) if p)
                found = self._module_symbol(modules, module, imported.name)
                if found:
                    return found
            return None
        return self._module_symbol(modules, imported.module, imported.name)

    @staticmethod
    def _module_symbol(modules, module: str, name: str | None) -> tuple[str, str] | None:
        if name and f"{module}.{name}" in modules:
            return modules[f"{module}.{name}"], ""
        if module in modules:
            return modules[module], name or ""
        return None

    def _symbol(self, rel: str, symbol: str) -> tuple[Node, ...]:
        index = self.index(rel)
        if index is None:
            return ()
        if not symbol:
            return ((rel, None),)
        if symbol in index.functions:
            return ((rel, symbol),)
        parts = symbol.split(".")
        for cut in range(len(parts), 0, -1):
            head = ".".join(parts[:cut])
            if head in index.classes:
                method = ".".join(parts[: cut + 1])
                if cut < len(parts) and method in index.functions:
                    return ((rel, method),)
                return self._class_nodes(rel, index, head)
            if head in index.functions:
                return ((rel, head),)
        return ((rel, None),)  # a module attribute (an object built at import): the module's code runs

    def _class_nodes(self, rel: str, index: PyIndex, cls: str) -> tuple[Node, ...]:
        """A class that is used: the methods a caller or a framework runs (its own and its local bases')."""
        nodes = []
        for name in self.protocol_methods:
            if f"{cls}.{name}" in index.functions:
                nodes.append((rel, f"{cls}.{name}"))
        facts = self.facts(rel)
        bases = next((c.bases for c in (facts.classes if facts else []) if c.name == cls.rsplit(".", 1)[-1]), ())
        if self._class_depth < 5:
            self._class_depth += 1
            try:
                for base in bases:
                    for node in self.resolve(rel, base):
                        if node not in nodes and node[1] != cls:
                            nodes.append(node)
            finally:
                self._class_depth -= 1
        return tuple(nodes) or ((rel, None),)

    # -- edges and closures

    def edges(self, node: Node) -> list[tuple[Node, int | None, str]]:
        rel, function = node
        facts, index = self.facts(rel), self.index(rel)
        if facts is None or index is None:
            return []
        found: list[tuple[Node, int | None, str]] = []
        for call in self.live_calls(node):
            for target in self.resolve(rel, call.name, call.function):
                found.append((target, call.line, "calls"))
        scopes = [index.scopes.get(function)] if function in index.scopes else []
        if function is None:  # class bodies run at import
            scopes += [s for name, s in index.scopes.items() if name in index.classes and self.owner(rel, name, 0) is None]
        for scope in scopes:
            if scope is None:
                continue
            for name, line in scope.refs:
                for target in self.resolve(rel, name, function if function != MAIN else None):
                    found.append((target, line, "uses"))
        for child, parent in index.parent.items():
            if parent == function and child in index.functions and function is not None:
                found.append(((rel, child), index.functions[child].lineno, "defines"))
        if function is None:
            for target in self.model.local_imports(rel):
                if target.endswith(".py"):
                    found.append(((target, None), None, "imports"))
        elif function != MAIN:
            found.append(((rel, None), None, "module of"))
        return found

    def closure(self, roots: list[tuple[Node, list[Link]]]) -> dict[Node, list[Link]]:
        """Every node that runs from `roots`, with the chain of links from its root."""
        reached: dict[Node, list[Link]] = {}
        queue: deque[tuple[Node, list[Link]]] = deque()
        for node, chain in roots:
            if node not in reached:
                reached[node] = chain
                queue.append((node, chain))
        while queue and len(reached) < MAX_NODES:
            node, chain = queue.popleft()
            for target, line, relation in self.edges(node):
                if target in reached:
                    continue
                hop = chain if relation in ("module of", "imports") and line is None else \
                    [*chain, self.link(node[0], line, relation)]
                reached[target] = hop
                queue.append((target, hop))
        return reached

    # -- entry points

    def script_roots(self, rel: str, chain: list[Link]) -> list[tuple[Node, list[Link]]]:
        """A file run as a script (`python file.py`, `python -m mod`): its module code and its main guard."""
        return [((rel, None), chain), ((rel, MAIN), chain)]


def _source_prefixes(base: list[str]) -> list[str]:
    """The dotted package of a folder, with and without a leading source root (src/, lib/ ...)."""
    from mlproof.model.build import SOURCE_ROOTS

    dotted = ".".join(base)
    prefixes = [dotted]
    for root in SOURCE_ROOTS:
        root = root.rstrip("/")
        if base and base[0] == root:
            prefixes.append(".".join(base[1:]))
    return prefixes
