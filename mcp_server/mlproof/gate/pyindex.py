"""What the gate needs from one Python file beyond its CodeFacts: scopes as syntax trees.

CodeFacts (mlproof.model.code) says which calls a function makes; the gate also
asks what a value *is* (the string behind `MODEL_URI`, the keys of the dict a
log call writes, whether a value comes from the request). For that it keeps,
per file, the functions and classes by their dotted names (the same names
CodeFacts uses: "Service.predict", "outer.inner"), the names each scope reads,
and the assignments each scope makes. Code under `if False:` is left out, as
everywhere in the model. Nothing is imported or run.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from mlproof.model.code import live

MAX_DEPTH = 100  # deeper nesting is generated code: the walk stops there
MAIN = "<main>"  # the scope of a script's main guard: it runs when the file is run, not when it is imported


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    sides = [test.left, *test.comparators]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and \
        any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)


def is_false(test: ast.AST) -> bool:
    return isinstance(test, ast.Constant) and not test.value and not isinstance(test.value, str)


@dataclass
class Scope:
    """A module, a class body or a function: what it reads and what it assigns."""

    name: str | None  # dotted name, None for the module
    node: ast.AST
    refs: list[tuple[str, int]] = field(default_factory=list)  # (name read, line); `self.x` reads as "Class.x"
    assigns: dict[str, list[ast.expr]] = field(default_factory=dict)  # local name -> values assigned to it
    item_assigns: dict[str, list[tuple[ast.expr, ast.expr]]] = field(default_factory=dict)  # name -> (key, value) of name[key] = value


class PyIndex:
    """Scopes of one parsed file, by dotted name."""

    def __init__(self, tree: ast.Module):
        self.tree = tree
        self.module = Scope(None, tree)
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.scopes: dict[str | None, Scope] = {None: self.module}
        self.parent: dict[str, str | None] = {}  # dotted function/class -> enclosing dotted scope (None = module)
        self.main_lines: tuple[int, int] | None = None  # the `if __name__ == "__main__":` block, a scope of its own
        body = []
        for statement in tree.body:
            if _is_main_guard(statement):
                self.main_lines = (statement.lineno, statement.end_lineno or statement.lineno)
                self.scopes[MAIN] = Scope(MAIN, statement)
                self._walk_main(statement)
            else:
                body.append(statement)
        self._walk(body, [], None, 0)

    @classmethod
    def parse(cls, text: str) -> "PyIndex | None":
        try:
            return cls(ast.parse(text))
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return None

    # -- building

    def _walk_main(self, guard: ast.If) -> None:
        scope = self.scopes[MAIN]
        for statement in guard.body:
            self._statement(statement, [], None, scope, 1)

    def _walk(self, body: list[ast.stmt], names: list[str], cls: str | None, depth: int) -> None:
        scope = self.scopes[".".join(names) or None]
        for statement in live(body):
            self._statement(statement, names, cls, scope, depth)

    def _statement(self, node: ast.stmt, names: list[str], cls: str | None, scope: Scope, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            dotted = ".".join([*names, node.name])
            self.parent[dotted] = ".".join(names) or None
            for decorator in node.decorator_list:
                self._expression(decorator, scope, cls)
            if isinstance(node, ast.ClassDef):
                self.classes[dotted] = node
                for base in node.bases:
                    self._expression(base, scope, cls)
                self.scopes[dotted] = Scope(dotted, node)
                self._walk(node.body, [*names, node.name], dotted, depth + 1)
                return
            self.functions[dotted] = node
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                if default is not None:
                    self._expression(default, scope, cls)
            self.scopes[dotted] = Scope(dotted, node)
            self._walk(node.body, [*names, node.name], cls, depth + 1)
            return
        if isinstance(node, (ast.If, ast.While)) and is_false(node.test):
            self._walk_in(node.orelse, names, cls, scope, depth)
            return
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if value is not None:
                for target in targets:
                    self._assign(target, value, scope)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self._assign(item.optional_vars, item.context_expr, scope)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._assign(node.target, node.iter, scope)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                self._statement(child, names, cls, scope, depth + 1)
            elif isinstance(child, ast.expr):
                self._expression(child, scope, cls)
            elif isinstance(child, ast.ExceptHandler):
                if child.type is not None:
                    self._expression(child.type, scope, cls)
                self._walk_in(child.body, names, cls, scope, depth)
            elif hasattr(ast, "match_case") and isinstance(child, ast.match_case):
                self._walk_in(child.body, names, cls, scope, depth)

    def _walk_in(self, body: list[ast.stmt], names, cls, scope, depth) -> None:
        for statement in live(body):
            self._statement(statement, names, cls, scope, depth + 1)

    def _assign(self, target: ast.AST, value: ast.expr, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            scope.assigns.setdefault(target.id, []).append(value)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            scope.item_assigns.setdefault(target.value.id, []).append((target.slice, value))
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            scope.assigns.setdefault(f"{target.value.id}.{target.attr}", []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._assign(element, value, scope)

    def _expression(self, node: ast.AST, scope: Scope, cls: str | None) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, ast.Name) and isinstance(current.ctx, ast.Load):
                scope.refs.append((current.id, current.lineno))
            elif isinstance(current, ast.Attribute) and isinstance(current.value, ast.Name) and current.value.id == "self" and cls:
                scope.refs.append((f"{cls}.{current.attr}", current.lineno))
            elif isinstance(current, ast.Lambda):
                stack.append(current.body)
                continue
            elif isinstance(current, ast.NamedExpr):
                self._assign(current.target, current.value, scope)
            stack.extend(ast.iter_child_nodes(current))

    # -- questions

    def scope_of(self, dotted: str | None) -> Scope | None:
        return self.scopes.get(dotted)

    def enclosing(self, dotted: str | None) -> list[Scope]:
        """The scope and the scopes around it, innermost first, ending with the module."""
        chain = []
        current = dotted
        while current is not None:
            scope = self.scopes.get(current)
            if scope is not None and not isinstance(scope.node, ast.ClassDef):
                chain.append(scope)
            current = self.parent.get(current)
        chain.append(self.module)
        return chain

    def calls_in(self, dotted: str | None) -> list[ast.Call]:
        """The call expressions a scope's own code makes (not those of nested functions), live code only."""
        node = self.scopes[dotted].node if dotted in self.scopes else None
        if node is None:
            return []
        body = node.body if hasattr(node, "body") else []
        found: list[ast.Call] = []
        stack: list[ast.AST] = list(live(body))
        while stack:
            current = stack.pop()
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            if isinstance(current, (ast.If, ast.While)) and is_false(current.test):
                stack.extend(live(current.orelse))
                continue
            if isinstance(current, ast.Call):
                found.append(current)
            for _, value in ast.iter_fields(current):
                if isinstance(value, list):
                    stack.extend(item for item in live(value) if isinstance(item, ast.AST))
                elif isinstance(value, ast.AST):
                    stack.append(value)
        return sorted(found, key=lambda c: (c.lineno, c.col_offset))
