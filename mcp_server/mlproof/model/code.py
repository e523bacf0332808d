"""Python code as facts: what a module imports, calls, defines and tests.

One `ast` parse per file (or notebook cell) gives:
- imports with their aliases, so `import mlflow as mf; mf.log_metric(...)` and
  `from mlflow import log_metric` both become the call `mlflow.log_metric`;
- call sites with their qualified names, keyword names and literal arguments,
  decorators included, however many lines they span;
- light local typing: `client = MlflowClient()` makes `client.get_run` the call
  `mlflow.MlflowClient.get_run` (names bound from calls, `with ... as`, and
  annotated parameters);
- class definitions with bases and annotated fields (request models);
- functions with their decorators, and for tests: whether they assert and
  whether they are skipped;
- entry points (`if __name__ == "__main__":`), local imports to follow, string
  constants (URIs, routes, cron strings), and the lines that are docstrings.

Comments and docstrings are never code. Code under `if False:` (or `if 0:`)
is marked dead. A file that does not parse is reported by the caller and read
as text instead.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

MAX_DEPTH = 200  # deeper nesting than this is generated code; the walk stops there instead of overflowing
MAX_STRING = 300  # longer string constants are data, not URIs or routes
# Lines inside a notebook cell that are not Python: magics and shell escapes keep their line, as `pass`.
NOTEBOOK_ESCAPE = re.compile(r"^(\s*)[%!?]")

Literal = str | int | float | bool | None
# Statements with nested blocks that `_Reader.simple` walks branch by branch.
COMPOUND = tuple(getattr(ast, name) for name in ("For", "AsyncFor", "While", "Try", "TryStar", "Match") if hasattr(ast, name))


@dataclass(frozen=True)
class Call:
    """One call site (a decorator counts as a call of its expression)."""

    name: str  # qualified as far as imports and local bindings tell: "mlflow.sklearn.log_model", "fastapi.FastAPI.post"
    line: int
    end_line: int
    keywords: tuple[str, ...] = ()
    literals: tuple[Literal, ...] = ()  # literal values of positional and keyword arguments, in order
    keyword_literals: tuple[tuple[str, Literal], ...] = ()
    function: str | None = None  # enclosing function, dotted ("Service.predict")
    decorator: bool = False
    dead: bool = False
    decorates: str | None = None  # for a decorator: the dotted name of the function or class it decorates

    def literal(self, keyword: str) -> Literal | type[...]:
        """The literal value passed as `keyword`, or Ellipsis when not given as a literal."""
        for name, value in self.keyword_literals:
            if name == keyword:
                return value
        return ...


@dataclass(frozen=True)
class Import:
    module: str  # "mlflow.sklearn" for `import mlflow.sklearn`; "mlflow" for `from mlflow import log_metric`
    name: str | None  # the imported member for `from` imports
    alias: str  # the local name bound
    line: int
    level: int = 0  # relative import depth (`from . import x` = 1)

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}" if self.name else self.module


@dataclass(frozen=True)
class Field:
    name: str
    annotation: str  # source text of the annotation ("float", "Optional[int]", "list[str]")
    line: int
    has_default: bool


@dataclass(frozen=True)
class ClassDef:
    name: str
    line: int
    end_line: int
    bases: tuple[str, ...]  # qualified
    fields: tuple[Field, ...]
    decorators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Function:
    name: str  # dotted with its class: "Service.predict"
    line: int
    end_line: int
    decorators: tuple[str, ...]  # qualified decorator names
    asserts: int  # assert statements that test something, plus assert-like calls (self.assertEqual, pytest.raises, np.testing.assert_*)
    trivial_asserts: int  # `assert True`, `assert 1`, `assert "x"`: they cannot fail
    skipped: bool  # skip decorators, or an unconditional skip call at the top of the body
    dead: bool = False
    params: tuple[tuple[str, str], ...] = ()  # (name, annotation source text or "") of each parameter


@dataclass(frozen=True)
class Comparison:
    """A threshold test: `if auc < min_auc: raise ...`, `assert rmse <= baseline_rmse`."""

    line: int
    names: tuple[str, ...]  # identifiers, attribute names and string keys on both sides, lower-cased
    has_number: bool  # a numeric literal on one side
    blocks: bool  # an assert, or an `if` whose branch raises, exits or returns
    function: str | None = None
    dead: bool = False


@dataclass
class CodeFacts:
    """Everything one module (or notebook cell) tells about itself."""

    imports: list[Import] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    classes: list[ClassDef] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    strings: list[tuple[int, str]] = field(default_factory=list)  # (line, value) of non-docstring constants
    docstring_lines: set[int] = field(default_factory=set)
    names_used: set[str] = field(default_factory=set)  # every Name id and attribute name read: the call graph's cheap half
    import_lines: dict[int, list[str]] = field(default_factory=dict)  # line -> local names its import binds
    main_guard: int | None = None  # line of `if __name__ == "__main__":`
    code_lines: set[int] = field(default_factory=set)  # lines covered by statements (docstrings excluded)
    dead_lines: set[int] = field(default_factory=set)

    def imported_modules(self) -> set[str]:
        return {imp.qualified for imp in self.imports} | {imp.module for imp in self.imports}

    def function_at(self, line: int) -> str | None:
        """The innermost function whose body holds `line` (None at module level)."""
        inside = [f for f in self.functions if f.line <= line <= f.end_line]
        return max(inside, key=lambda f: f.line).name if inside else None

    def calls_in(self, function: str | None) -> set[str]:
        """Qualified names of the live calls a function makes, including those of the module's own
        functions it calls (one hop: a route handler that calls a local `score()` helper which predicts).
        None: the whole module."""
        cache = self.__dict__.setdefault("_calls_in", {})
        if function in cache:
            return cache[function]
        live = [c for c in self.calls if not c.dead]
        if function is None:
            names = {c.name for c in live}
        else:
            own = [c for c in live if c.function == function or (c.function or "").startswith(function + ".")]
            names = {c.name for c in own}
            local = {f.name for f in self.functions}
            for callee in {c.name for c in own} & local:
                names |= {c.name for c in live if c.function == callee}
        cache[function] = names
        return names

    def unused_import(self, line: int) -> bool:
        """An import on `line` whose names nothing reads: the module is named, not used."""
        names = self.import_lines.get(line)
        return bool(names) and "*" not in names and not any(name in self.names_used for name in names)


class ParseFailure(Exception):
    """The text is not Python this interpreter can parse (Python 2, templates, syntax errors)."""


def notebook_cell_source(source: str) -> str:
    """A code cell with its magics and shell escapes blanked out, line numbers kept."""
    if "%" not in source and "!" not in source and "?" not in source:
        return source
    lines = []
    for line in source.split("\n"):
        match = NOTEBOOK_ESCAPE.match(line)
        lines.append(f"{match.group(1)}pass" if match else line)
    return "\n".join(lines)


def parse_code(text: str) -> CodeFacts:
    """The facts of one Python source text; ParseFailure when it does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as err:
        raise ParseFailure(type(err).__name__) from None
    reader = _Reader()
    try:
        reader.module(tree)
    except RecursionError:
        raise ParseFailure("nested too deeply") from None
    return reader.facts


# ----------------------------------------------------------------------------- the walk

_SKIP_DECORATORS = re.compile(r"(?:^|\.)(?:skip|skipIf|skipUnless|skipif|xfail)$")
_SKIP_CALLS = re.compile(r"(?:^|\.)(?:pytest\.skip|skipTest)$")
_ASSERT_CALL = re.compile(r"(?:^|\.)(?:assert\w*|raises|warns|fail)$")


def _literal(node: ast.AST) -> Literal | type[...]:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool, type(None))):
        value = node.value
        if isinstance(value, str) and len(value) > MAX_STRING:
            return ...
        return value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and isinstance(node.operand.value, (int, float)):
        return -node.operand.value
    return ...


def _literals(node: ast.AST) -> list[Literal]:
    """The literal values an argument holds: a constant, or the constants of a short list/tuple/set."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and len(node.elts) <= 20:
        return [v for v in (_literal(e) for e in node.elts) if v is not ...]
    value = _literal(node)
    return [] if value is ... else [value]


def _is_false(test: ast.AST) -> bool:
    """`if False:`, `if 0:`, `if None:`: a block that never runs."""
    return isinstance(test, ast.Constant) and not test.value and not isinstance(test.value, str)


def _stops(body: list[ast.stmt]) -> bool:
    """A branch that raises, exits or returns: the comparison above it decides whether work goes on."""
    for statement in body:
        if isinstance(statement, (ast.Raise, ast.Return)):
            return True
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            callee = _dotted(statement.value.func) or ""
            if callee.rsplit(".", 1)[-1] in {"exit", "_exit", "quit", "abort", "fail"}:
                return True
    return False


def live(body: list) -> list:
    """The statements of a block that can run: none after a return, raise, break or continue."""
    for index, statement in enumerate(body):
        if isinstance(statement, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
            return body[:index + 1]
    return body


def _docstring_node(body: list[ast.stmt]) -> ast.Expr | None:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        return body[0]
    return None


def _dotted(node: ast.AST) -> str | None:
    """`a.b.c` as text, for names and attribute chains only."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class _Reader:
    def __init__(self) -> None:
        self.facts = CodeFacts()
        self.bindings: dict[str, str] = {}  # local name (or dotted "self.x") -> qualified name
        self.scope: list[str] = []  # enclosing class/function names
        self.dead = 0  # > 0 inside `if False:` blocks
        self.counters: list[list[int]] = []  # per enclosing function: [asserts that can fail, trivial asserts]

    # -- names

    def qualify(self, node: ast.AST) -> str:
        """The qualified name of an expression used as a callee or a receiver."""
        if isinstance(node, ast.Call):
            return self.qualify(node.func)
        if isinstance(node, ast.Subscript):
            return self.qualify(node.value) + "[]"
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted is not None:
                return self._resolve_dotted(dotted)
            return f"{self.qualify(node.value)}.{node.attr}"
        if isinstance(node, ast.Name):
            self.facts.names_used.add(node.id)
            return self.bindings.get(node.id, node.id)
        return "?"

    def _resolve_dotted(self, dotted: str) -> str:
        """Replace the longest bound prefix: `self.client.get_run` with self.client bound -> its type's method."""
        parts = dotted.split(".")
        self.facts.names_used.add(parts[0])
        for cut in range(len(parts), 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix in self.bindings:
                rest = parts[cut:]
                return ".".join([self.bindings[prefix], *rest])
        return dotted

    def bind(self, target: ast.AST, qualified: str) -> None:
        name = _dotted(target)
        if name is not None and qualified and qualified != "?":
            self.bindings[name] = qualified

    # -- statements

    def module(self, tree: ast.Module) -> None:
        doc = _docstring_node(tree.body)
        if doc is not None:
            self._docstring(doc)
        self.block(tree.body)

    def _docstring(self, node: ast.Expr) -> None:
        self.facts.docstring_lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))

    def block(self, body: list[ast.stmt], depth: int = 0) -> None:
        reachable = live(body)
        for statement in reachable:
            self.statement(statement, depth)
        self.dead += 1  # the rest, after a return, raise, break or continue, is read but never runs
        for statement in body[len(reachable):]:
            self.statement(statement, depth)
        self.dead -= 1

    def statement(self, node: ast.stmt, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        end = node.end_lineno or node.lineno
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            self._docstring(node)  # a bare string statement is prose wherever it stands
            return
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.facts.code_lines.update(range(node.lineno, end + 1))
        if self.dead:
            self.facts.dead_lines.update(range(node.lineno, end + 1))
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self.imports(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.function(node, depth)
        elif isinstance(node, ast.ClassDef):
            self.class_def(node, depth)
        elif isinstance(node, ast.If):
            self.if_statement(node, depth)
        elif isinstance(node, (ast.While,)) and _is_false(node.test):
            self.dead += 1
            self.block(node.body, depth + 1)
            self.dead -= 1
            self.block(node.orelse, depth + 1)
        else:
            self.simple(node, depth)

    def imports(self, node: ast.Import | ast.ImportFrom) -> None:
        bound = self.facts.import_lines.setdefault(node.lineno, [])
        bound.extend(alias.asname or alias.name.split(".")[0] for alias in node.names)
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                self.facts.imports.append(Import(alias.name, None, local, node.lineno))
                self.bindings[local] = alias.name if alias.asname else local
            return
        module = node.module or ""
        for alias in node.names:
            if alias.name == "*":
                self.facts.imports.append(Import(module, "*", "*", node.lineno, node.level))
                continue
            local = alias.asname or alias.name
            self.facts.imports.append(Import(module, alias.name, local, node.lineno, node.level))
            self.bindings[local] = f"{module}.{alias.name}" if module else alias.name

    def if_statement(self, node: ast.If, depth: int) -> None:
        test = node.test
        if (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
                and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)):
            self.facts.main_guard = node.lineno
        self.expression(test, depth)
        self.comparison(node)
        if _is_false(test):
            self.dead += 1
            self.block(node.body, depth + 1)
            self.dead -= 1
        else:
            self.block(node.body, depth + 1)
        self.block(node.orelse, depth + 1)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, depth: int) -> None:
        self._header_lines(node)
        decorators = []
        skipped = False
        decorated = ".".join([*self.scope, node.name])
        for decorator in node.decorator_list:
            name = self.qualify(decorator)
            decorators.append(name)
            self.call_site(decorator, depth, decorator=True, decorates=decorated)
            if _SKIP_DECORATORS.search(name) and not self._skip_is_conditional(decorator):
                skipped = True
        for argument in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            if argument.annotation is not None:
                self.bind(ast.Name(id=argument.arg), self.qualify(argument.annotation))
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.expression(default, depth)
        self.scope.append(node.name)
        where = ".".join(self.scope)
        first_call = len(self.facts.calls)
        self.counters.append([0, 0])
        self.block(node.body, depth + 1)
        asserts, trivial = self.counters.pop()
        body_calls = [c for c in self.facts.calls[first_call:] if c.function == where]
        asserts += sum(1 for c in body_calls if _ASSERT_CALL.search(c.name))
        if self._starts_with_skip(node, body_calls):
            skipped = True
        params = tuple((a.arg, ast.unparse(a.annotation)[:80] if a.annotation is not None else "")
                       for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs])
        self.facts.functions.append(Function(where, node.lineno, node.end_lineno or node.lineno, tuple(decorators),
                                             asserts, trivial, skipped, bool(self.dead), params))
        self.scope.pop()

    def _header_lines(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        """Decorators and the `def`/`class` line are code; the body's docstring is not."""
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        body_start = node.body[0].lineno if node.body else node.lineno
        self.facts.code_lines.update(range(first, max(body_start, node.lineno + 1)))

    @staticmethod
    def _starts_with_skip(node: ast.FunctionDef | ast.AsyncFunctionDef, body_calls: list[Call]) -> bool:
        """`pytest.skip(...)` or `self.skipTest(...)` as the first statement: the test never runs."""
        body = node.body[1:] if _docstring_node(node.body) else node.body
        if not body or not isinstance(body[0], ast.Expr) or not isinstance(body[0].value, ast.Call):
            return False
        first = body[0].lineno
        return any(c.line == first and _SKIP_CALLS.search(c.name) for c in body_calls)

    @staticmethod
    def _skip_is_conditional(decorator: ast.AST) -> bool:
        """`@pytest.mark.skipif(sys.platform == "win32", ...)` skips sometimes; `skipif(True)` always."""
        if isinstance(decorator, ast.Call) and decorator.args:
            condition = decorator.args[0]
            return not (isinstance(condition, ast.Constant) and bool(condition.value))
        return False

    def class_def(self, node: ast.ClassDef, depth: int) -> None:
        self._header_lines(node)
        bases = tuple(self.qualify(base) for base in node.bases)
        for base in node.bases:
            self.expression(base, depth)
        decorators = []
        for decorator in node.decorator_list:
            decorators.append(self.qualify(decorator))
            self.call_site(decorator, depth, decorator=True, decorates=".".join([*self.scope, node.name]))
        fields = []
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                fields.append(Field(statement.target.id, ast.unparse(statement.annotation)[:120], statement.lineno,
                                    statement.value is not None))
        doc = _docstring_node(node.body)
        if doc is not None:
            self._docstring(doc)
        self.facts.classes.append(ClassDef(node.name, node.lineno, node.end_lineno or node.lineno, bases, tuple(fields),
                                           tuple(decorators)))
        self.scope.append(node.name)
        self.bindings["self"] = node.name
        self.block(node.body, depth + 1)
        self.scope.pop()

    def simple(self, node: ast.stmt, depth: int) -> None:
        if isinstance(node, ast.Assert) and self.counters:
            test = node.test
            trivial = isinstance(test, ast.Constant) or (isinstance(test, ast.Tuple) and bool(test.elts))
            self.counters[-1][1 if trivial else 0] += 1  # `assert True`, `assert (x, "msg")` cannot fail
        if isinstance(node, (ast.If, ast.Assert)):
            self.comparison(node)
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.expression(item.context_expr, depth)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, self.qualify(item.context_expr))
            self.block(node.body, depth + 1)
            return
        if isinstance(node, COMPOUND):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expression(child, depth)
                elif isinstance(child, ast.ExceptHandler):
                    if child.type is not None:
                        self.expression(child.type, depth)
                    self.block(child.body, depth + 1)
                elif isinstance(child, ast.match_case):
                    self.block(child.body, depth + 1)
            for name in ("body", "orelse", "finalbody"):
                self.block(getattr(node, name, []) or [], depth + 1)
            return
        if isinstance(node, ast.Assign):
            self.expression(node.value, depth)
            value = node.value
            if isinstance(value, (ast.Call, ast.Name, ast.Attribute)):
                qualified = self.qualify(value)
                for target in node.targets:
                    self.bind(target, qualified)
            for target in node.targets:
                self.expression(target, depth)
            return
        if isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.expression(node.value, depth)
            annotation = self.qualify(node.annotation)
            if isinstance(node.value, ast.Call):
                annotation = self.qualify(node.value)
            self.bind(node.target, annotation)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expression(child, depth)
            elif isinstance(child, ast.stmt):
                self.statement(child, depth + 1)

    def comparison(self, node: ast.If | ast.Assert) -> None:
        test = node.test
        compares = [n for n in ast.walk(test) if isinstance(n, ast.Compare)
                    and any(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in n.ops)]
        if not compares:
            return
        names: list[str] = []
        has_number = False
        for compare in compares:
            for part in ast.walk(compare):
                if isinstance(part, ast.Name):
                    names.append(part.id.lower())
                elif isinstance(part, ast.Attribute):
                    names.append(part.attr.lower())
                elif isinstance(part, ast.Constant):
                    if isinstance(part.value, str) and len(part.value) < 60:
                        names.append(part.value.lower())
                    elif isinstance(part.value, (int, float)) and not isinstance(part.value, bool):
                        has_number = True
        blocks = isinstance(node, ast.Assert) or any(_stops(branch) for branch in (node.body, node.orelse))
        self.facts.comparisons.append(Comparison(node.lineno, tuple(dict.fromkeys(names)), has_number, blocks,
                                                 self._where(), bool(self.dead)))

    # -- expressions

    def expression(self, node: ast.AST, depth: int) -> None:
        """Record every call and string constant inside `node` (iteratively: expressions can nest deeply)."""
        stack = [(node, depth)]
        while stack:
            current, level = stack.pop()
            if level > MAX_DEPTH:
                continue
            if isinstance(current, ast.Call):
                self.call_site(current, level, recurse=False)
            elif isinstance(current, ast.Name):
                self.facts.names_used.add(current.id)
            elif isinstance(current, ast.Attribute):
                self.facts.names_used.add(current.attr)
            elif isinstance(current, ast.Constant) and isinstance(current.value, str) and len(current.value) <= MAX_STRING:
                self.facts.strings.append((current.lineno, current.value))
            elif isinstance(current, ast.Lambda):
                stack.append((current.body, level + 1))
                continue
            for child in ast.iter_child_nodes(current):
                stack.append((child, level + 1))

    def call_site(self, node: ast.AST, depth: int, decorator: bool = False, recurse: bool = True,
                  decorates: str | None = None) -> None:
        if not isinstance(node, ast.Call):  # a bare decorator `@app.task`: a call of the name
            name = self.qualify(node)
            self.facts.calls.append(Call(name, node.lineno, node.end_lineno or node.lineno, function=self._where(),
                                         decorator=decorator, dead=bool(self.dead), decorates=decorates))
            return
        literals = []
        for argument in node.args:
            literals.extend(_literals(argument))
        keyword_literals = []
        for keyword in node.keywords:
            if keyword.arg is None:
                continue
            values = _literals(keyword.value)
            literals.extend(values)
            if len(values) == 1 and not isinstance(keyword.value, (ast.List, ast.Tuple, ast.Set)):
                keyword_literals.append((keyword.arg, values[0]))
        self.facts.calls.append(Call(
            self.qualify(node.func), node.lineno, node.end_lineno or node.lineno,
            tuple(k.arg for k in node.keywords if k.arg), tuple(literals), tuple(keyword_literals),
            self._where(), decorator, bool(self.dead), decorates,
        ))
        if recurse:
            for child in ast.iter_child_nodes(node):
                self.expression(child, depth + 1)

    def _where(self) -> str | None:
        return ".".join(self.scope) or None
