"""What a value in the code is: a string it holds, where it comes from, which fields a record carries.

Three questions the gate's proofs ask of an expression, answered from the syntax
tree of the scope it sits in (and of the module around it), never by running it:
- `strings`: the string values it can hold (`MODEL_URI = os.environ.get("MODEL_URI",
  "models:/churn@champion")` holds that default; an f-string keeps its constant parts);
- `kinds`: where it comes from: the request ("request"), a model's output
  ("prediction"), a clock ("timer"), a difference of clock readings ("duration"), a
  literal ("literal"), a parameter of a helper ("param");
- `record_fields`: the (key, value) pairs a record written by a log or write call carries
  (dict literals, `dict(...)`, a name a dict was built in, `json.dumps(...)`, f-strings and
  %-formats, structured-logging keywords).
"""

from __future__ import annotations

import ast
import re

from mlproof.gate.pyindex import PyIndex

MAX_DEPTH = 12  # how far names are followed through assignments
# Keywords of logging and writing calls that are options, not record fields.
OPTION_KEYWORDS = {"exc_info", "stack_info", "stacklevel", "file", "flush", "sep", "end", "topic", "level", "default",
                   "indent", "mode", "index", "sort_keys", "ensure_ascii", "cls", "encoding", "newline", "header"}
# Keywords whose value is the record itself.
RECORD_KEYWORDS = {"extra", "json", "data", "value", "body", "record", "row", "rows", "obj", "payload", "message", "msg"}


def matches(name: str, entries) -> bool:
    """`name` is one of `entries`, or ends with one of them after a dot."""
    return any(name == entry or name.endswith("." + entry) for entry in entries)


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for names and attribute chains; a call in the chain reads as its callee (`f().x` -> "f.x")."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = dotted(node.func)
        return ".".join([inner or "?", *reversed(parts)]) if parts else inner
    return "?." + ".".join(reversed(parts)) if parts else None


class FileValues:
    """Value questions for one file."""

    def __init__(self, flow, rel: str, signals: dict):
        self.flow = flow
        self.rel = rel
        self.index: PyIndex | None = flow.index(rel)
        self.signals = signals
        facts = flow.facts(rel)
        self.imports = facts.imports if facts else []
        self.aliases: dict[str, str] = {}  # local name -> what it is bound to ("pc" -> "time.perf_counter")
        for imported in self.imports:
            if imported.name == "*":
                continue
            if imported.name:
                self.aliases[imported.alias] = f"{imported.module}.{imported.name}" if imported.module else imported.name
            elif imported.alias != imported.module.split(".")[0]:
                self.aliases[imported.alias] = imported.module  # import numpy as np

    # -- names

    def qualify(self, func: ast.AST) -> str:
        text = dotted(func) or "?"
        head, _, rest = text.partition(".")
        if head in self.aliases:
            return f"{self.aliases[head]}.{rest}" if rest else self.aliases[head]
        return text

    def assigned(self, name: str, scope: str | None) -> list[tuple[ast.expr, str | None]]:
        """(value, scope) of what is assigned to `name` in the innermost scope around `scope` that assigns it."""
        if self.index is None:
            return []
        for candidate in self.index.enclosing(scope):
            values = candidate.assigns.get(name)
            if values:
                return [(value, candidate.name) for value in values]
        return []

    def _imported(self, name: str) -> tuple["FileValues", str] | None:
        """`from config import MODEL_URI`: the file it comes from and its name there."""
        for imported in self.imports:
            if imported.alias == name and imported.name:
                target = self.flow._import_target(self.rel, imported)
                if target and target[1]:
                    return FileValues(self.flow, target[0], self.signals), target[1]
        return None

    def attribute_defaults(self, attr: str) -> list[tuple[ast.expr, str | None]]:
        """Class-level values of `attr` in this file's classes (a settings object's defaults)."""
        found: list[tuple[ast.expr, str | None]] = []
        if self.index is None:
            return found
        for node in self.index.classes.values():
            for statement in node.body:
                if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) \
                        and statement.target.id == attr and statement.value is not None:
                    found.append((statement.value, None))
                elif isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attr for t in statement.targets):
                    found.append((statement.value, None))
        return found

    # -- strings

    def strings(self, node: ast.AST | None, scope: str | None, depth: int = 0) -> list[tuple[str, int]]:
        """(value, line) of every string the expression can hold; "{}" stands for a part that is not known."""
        if depth > MAX_DEPTH or node is None:
            return []
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant):
            return [(node.value, line)] if isinstance(node.value, str) else []
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else self._formatted(v, scope, depth)
                           for v in node.values)
            return [(text, line)]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.strings(node.left, scope, depth + 1) or [("{}", line)]
            right = self.strings(node.right, scope, depth + 1) or [("{}", line)]
            return [(a + b, line) for a, _ in left[:4] for b, _ in right[:4]]
        if isinstance(node, ast.IfExp):
            return self.strings(node.body, scope, depth + 1) + self.strings(node.orelse, scope, depth + 1)
        if isinstance(node, ast.BoolOp):
            return [s for value in node.values for s in self.strings(value, scope, depth + 1)]
        if isinstance(node, ast.Call):
            return self._call_strings(node, scope, depth, line)
        if isinstance(node, ast.Name):
            found = []
            for value, where in self.assigned(node.id, scope):
                found += self.strings(value, where, depth + 1)
            if not found:
                other = self._imported(node.id)
                if other is not None:
                    values, name = other
                    for value, where in values.assigned(name, None):
                        found += values.strings(value, where, depth + 1)
            return found
        if isinstance(node, ast.Attribute):
            whole = dotted(node)
            found = []
            if whole:
                for value, where in self.assigned(whole, scope):
                    found += self.strings(value, where, depth + 1)
            if not found:
                for value, where in self.attribute_defaults(node.attr):
                    found += self.strings(value, where, depth + 1)
            return found
        return []

    def _call_strings(self, node: ast.Call, scope: str | None, depth: int, line: int) -> list[tuple[str, int]]:
        name = self.qualify(node.func)
        if matches(name, ("os.environ.get", "os.getenv", "environ.get", "getenv")):
            if len(node.args) > 1:
                return self.strings(node.args[1], scope, depth + 1)
            default = next((k.value for k in node.keywords if k.arg == "default"), None)
            return self.strings(default, scope, depth + 1) if default is not None else []
        if name.endswith(".format") and isinstance(node.func, ast.Attribute):
            return [(re.sub(r"\{[^}]*\}", "{}", s), at) for s, at in self.strings(node.func.value, scope, depth + 1)]
        return []

    def _formatted(self, value: ast.AST, scope: str | None, depth: int) -> str:
        if isinstance(value, ast.FormattedValue):
            inner = self.strings(value.value, scope, depth + 1)
            if len(inner) == 1:
                return inner[0][0]
        return "{}"

    def constant(self, node: ast.AST, scope: str | None, depth: int = 0):
        """The literal an expression is (following names to a single literal assignment), else Ellipsis."""
        if depth > MAX_DEPTH or node is None:
            return ...
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            return -node.operand.value if isinstance(node.operand.value, (int, float)) else ...
        if isinstance(node, ast.Name):
            values = self.assigned(node.id, scope)
            if len(values) == 1:
                return self.constant(values[0][0], values[0][1], depth + 1)
            if not values:
                other = self._imported(node.id)
                if other is not None:
                    file_values, name = other
                    found = file_values.assigned(name, None)
                    if len(found) == 1:
                        return file_values.constant(found[0][0], None, depth + 1)
            return ...
        if isinstance(node, ast.Call) and matches(self.qualify(node.func), ("str",)) and len(node.args) == 1:
            return self.constant(node.args[0], scope, depth + 1)
        if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
            return "".join(str(v.value) for v in node.values)
        return ...

    # -- where a value comes from

    def kinds(self, node: ast.AST | None, scope: str | None, env: dict[str, frozenset], depth: int = 0) -> frozenset:
        """Where a value comes from (see the module doc); `env` gives the kinds of parameters bound by a caller."""
        if depth > MAX_DEPTH or node is None:
            return frozenset()
        logging = self.signals["logging"]
        if isinstance(node, ast.Constant):
            return frozenset({"literal"})
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            found: set[str] = set()
            for value, where in self.assigned(node.id, scope):
                found |= self.kinds(value, where, env if where == scope else {}, depth + 1)
            if not found and self.index is not None and self._is_param(node.id, scope):
                found.add("param")
            return frozenset(found)
        if isinstance(node, ast.Call):
            return self._call_kinds(node, scope, env, depth)
        if isinstance(node, ast.BinOp):
            left = self.kinds(node.left, scope, env, depth + 1)
            right = self.kinds(node.right, scope, env, depth + 1)
            if isinstance(node.op, ast.Sub) and ("timer" in left or "timer" in right):
                return frozenset({"duration"})
            return left | right
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "self":
                return self._self_attribute(node.attr, depth)
            if matches(self.qualify(node), logging["request_reads"]):
                return frozenset({"request"})
            return self.kinds(node.value, scope, env, depth + 1)
        if isinstance(node, (ast.Subscript, ast.Starred, ast.Await)):
            return self.kinds(node.value, scope, env, depth + 1)
        if isinstance(node, ast.JoinedStr):
            found = set()
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    found |= self.kinds(value.value, scope, env, depth + 1)
            return frozenset(found or {"literal"})
        found = set()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                found |= self.kinds(child, scope, env, depth + 1)
        if isinstance(node, (ast.Dict, ast.List, ast.Tuple, ast.Set, ast.IfExp, ast.BoolOp)):
            return frozenset(found)
        return frozenset(found) or frozenset({"other"})

    def _call_kinds(self, node: ast.Call, scope: str | None, env: dict, depth: int) -> frozenset:
        logging = self.signals["logging"]
        name = self.qualify(node.func)
        if matches(name, logging["timers"]):
            return frozenset({"timer"})
        if matches(name, logging["request_reads"]):
            return frozenset({"request"})
        parts: set[str] = set()
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            parts |= self.kinds(argument, scope, env, depth + 1)
        if isinstance(node.func, ast.Attribute):
            parts |= self.kinds(node.func.value, scope, env, depth + 1)
        if matches(name, logging["predict_calls"]) and parts:
            return frozenset({"prediction"})  # computed from the request, but it is the model's answer
        if name in ("round", "float", "int", "abs", "str", "dict", "list"):
            return frozenset(parts)
        return frozenset(parts - {"literal"}) or frozenset({"other"})

    def _is_param(self, name: str, scope: str | None) -> bool:
        for candidate in self.index.enclosing(scope):
            node = candidate.node
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                arguments = node.args
                names = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
                names |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
                if name in names:
                    return True
        return False

    def _self_attribute(self, attr: str, depth: int) -> frozenset:
        """`self.x`: what the class's methods (or its class body) assign to it."""
        found: set[str] = set()
        if self.index is None:
            return frozenset()
        for name, scope in self.index.scopes.items():
            for value in scope.assigns.get(f"self.{attr}", []):
                found |= self.kinds(value, name, {}, depth + 1)
        for value, where in self.attribute_defaults(attr):
            found |= self.kinds(value, where, {}, depth + 1)
        return frozenset(found) or frozenset({"other"})

    # -- records

    def record_fields(self, node: ast.AST | None, scope: str | None, depth: int = 0) -> list[tuple[str, ast.expr]]:
        """The (key, value) pairs a record carries; key "**" for a spread whose keys are not known."""
        if depth > MAX_DEPTH or node is None:
            return []
        if isinstance(node, ast.Dict):
            fields = []
            for key, value in zip(node.keys, node.values):
                if key is None:
                    spread = self.record_fields(value, scope, depth + 1)
                    fields += spread if spread and not all(k == "**" for k, _ in spread) else [("**", value)]
                elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                    fields.append((key.value, value))
            return fields
        if isinstance(node, ast.Call):
            return self._call_fields(node, scope, depth)
        if isinstance(node, ast.Name):
            return self._name_fields(node.id, scope, depth)
        if isinstance(node, ast.JoinedStr):
            fields = []
            previous = ""
            for value in node.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    previous = value.value
                elif isinstance(value, ast.FormattedValue):
                    named = re.search(r"(\w+)\s*[=:]\s*['\"]?$", previous)
                    fields.append((named.group(1) if named else _last_name(value.value), value.value))
                    previous = ""
            return fields
        if isinstance(node, ast.BinOp):
            fields = self.record_fields(node.left, scope, depth + 1)
            if isinstance(node.op, ast.Mod):
                right = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
                message = node.left.value if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str) else ""
                keys = re.findall(r"(\w+)\s*[=:]\s*%", message)
                for position, value in enumerate(right):
                    fields.append((keys[position] if position < len(keys) else _last_name(value), value))
                return fields
            return fields + self.record_fields(node.right, scope, depth + 1)
        if isinstance(node, (ast.List, ast.Tuple)):
            return [f for element in node.elts[:20] for f in self.record_fields(element, scope, depth + 1)]
        return []

    def _call_fields(self, node: ast.Call, scope: str | None, depth: int) -> list[tuple[str, ast.expr]]:
        name = self.qualify(node.func)
        if matches(name, self.signals["logging"]["encoders"]) or name == "dict":
            fields = [(k.arg, k.value) for k in node.keywords if k.arg and k.arg not in OPTION_KEYWORDS]
            fields += [("**", k.value) for k in node.keywords if k.arg is None]
            for argument in node.args[:1]:
                fields += self.record_fields(argument, scope, depth + 1)
            return fields
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("model_dump", "dict", "model_dump_json", "json", "_asdict", "to_dict"):
            return self.record_fields(node.func.value, scope, depth + 1) or [("**", node.func.value)]
        if node.keywords and not node.args:  # a record class built with keywords: Record(a=..., b=...)
            return [(k.arg, k.value) for k in node.keywords if k.arg]
        return []

    def _name_fields(self, name: str, scope: str | None, depth: int) -> list[tuple[str, ast.expr]]:
        """A record built in a variable: its assignment, `record["k"] = v` items and `record.update(...)`."""
        fields = []
        for value, where in self.assigned(name, scope):
            fields += self.record_fields(value, where, depth + 1)
        if self.index is not None:
            for candidate in self.index.enclosing(scope):
                for key, value in candidate.item_assigns.get(name, []):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        fields.append((key.value, value))
                if candidate.item_assigns.get(name) or candidate.assigns.get(name):
                    break
            fields += self._updates(name, scope, depth)
        return fields

    def _updates(self, name: str, scope: str | None, depth: int) -> list[tuple[str, ast.expr]]:
        fields = []
        if self.index is None or scope not in self.index.scopes:
            return fields
        for call in self.index.calls_in(scope):
            func = call.func
            if not (isinstance(func, ast.Attribute) and func.attr in ("update", "setdefault")
                    and isinstance(func.value, ast.Name) and func.value.id == name):
                continue
            if func.attr == "setdefault":
                if len(call.args) == 2 and isinstance(call.args[0], ast.Constant):
                    fields.append((str(call.args[0].value), call.args[1]))
                continue
            fields += [(k.arg, k.value) for k in call.keywords if k.arg]
            for argument in call.args:
                fields += self.record_fields(argument, scope, depth + 1)
        return fields

    def sink_fields(self, call: ast.Call, scope: str | None) -> list[tuple[str, ast.expr]]:
        """Every field a write/log call's arguments carry: records, %-arguments, keywords, `extra=`."""
        fields: list[tuple[str, ast.expr]] = []
        message_keys: list[str] = []
        for position, argument in enumerate(call.args):
            if position == 0 and isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                message_keys = re.findall(r"(\w+)\s*[=:]\s*%", argument.value)
                continue
            found = self.record_fields(argument, scope)
            if not found:  # a bare value: under the name the message gives it, else its own name
                key = message_keys[position - 1] if message_keys and 0 < position <= len(message_keys) else _last_name(argument)
                found = [(key, argument)]
            fields += found
        for keyword in call.keywords:
            if keyword.arg is None:
                fields += self.record_fields(keyword.value, scope) or [("**", keyword.value)]
            elif keyword.arg in RECORD_KEYWORDS:
                fields += self.record_fields(keyword.value, scope) or [(keyword.arg, keyword.value)]
            elif keyword.arg not in OPTION_KEYWORDS:
                fields.append((keyword.arg, keyword.value))
        return fields


def _last_name(node: ast.AST) -> str:
    return (dotted(node) or "?").rsplit(".", 1)[-1]
