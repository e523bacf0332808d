"""Serving code: what a served app runs, the model it loads, the request it takes, the log it writes.

Serving code is the execution closure (flow.py) of the repository's served apps:
files that build an app object or register request handlers with a web framework,
classes a serving runtime calls (an MLflow PythonModel, a KServe Model), and the
files that server commands in a Dockerfile or Procfile start. Tests are never
serving code.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from mlproof.evidence import Evidence, Link
from mlproof.gate.context import GateContext
from mlproof.gate.flow import Node, is_test_path
from mlproof.gate.values import dotted, matches

MODEL_URI = re.compile(r"^models:/(?P<name>[^/@\s]+)(?:@(?P<alias>[\w.\-]+)|/(?P<version>[^/\s]+))?/?$")
RAW_URI = re.compile(r"^(?:runs:/|mlflow-artifacts:|file:|dbfs:|s3://|gs://|wasbs://|abfss://|hdfs://|/|\./|\.\./|~)|\.(?:pkl|pickle|joblib|pt|pth|h5|keras|onnx|bin|sav|model|json|ubj|cbm|txt)$|^[\w.\-]+(?:/[\w.\-]+)*$")
SERVER_FILES = re.compile(r"(?:^|/)(?:Dockerfile[^/]*|[^/]*\.dockerfile|Procfile|docker-compose[^/]*\.ya?ml|compose\.ya?ml)$")
MAX_HELPER_DEPTH = 3


@dataclass
class Handler:
    """A function that takes a request: a route handler, a served model's predict, a middleware."""

    node: Node
    chain: list[Link]
    request_params: list[str]  # parameters that carry the request
    annotations: dict[str, ast.expr] = field(default_factory=dict)  # parameter -> annotation


@dataclass
class ModelLoad:
    rel: str
    line: int
    call: str
    kind: str  # alias | pinned | unpinned | raw | unresolved
    uri: str | None
    chain: list[Link]
    name: str | None = None
    alias: str | None = None
    version: str | None = None
    uri_line: int | None = None  # where the URI's value is written, when not on the call's line
    uri_path: str | None = None


# ----------------------------------------------------------------------------- finding served code

def serving(ctx: GateContext) -> tuple[dict[Node, list[Link]], list[Handler]]:
    """The serving closure and its request handlers (cached on the context)."""
    if "serving" in ctx.cache:
        return ctx.cache["serving"]
    signals = ctx.signals["serving"]
    roots: list[tuple[Node, list[Link]]] = []
    handler_roots: list[tuple[Node, list[Link]]] = []
    for rel in ctx.python_files():
        if is_test_path(rel):
            continue
        text = ctx.text(rel)
        if not any(word in text for word in signals["frameworks"]) and "PythonModel" not in text and "Model)" not in text:
            continue
        facts = ctx.flow.facts(rel)
        if facts is None:
            continue
        imported = {imp.module.split(".")[0] for imp in facts.imports if imp.module} | \
            {imp.name for imp in facts.imports if imp.level and imp.name}
        uses_framework = bool(imported & set(signals["frameworks"]))
        app_line = next((c.line for c in facts.calls if not c.dead and uses_framework
                         and matches(c.name, signals["app_constructors"])), None)
        found_handlers = []
        for call in facts.calls:
            if call.dead or not call.decorator or not call.decorates or not uses_framework:
                continue
            if call.name.rsplit(".", 1)[-1] in signals["route_decorators"] and "." in call.name:
                found_handlers.append((call.decorates, call.line))
        for cls in facts.classes:
            if any(matches(base, signals["served_bases"]) for base in cls.bases):
                for method in signals["protocol_methods"]:
                    if any(f.name == f"{cls.name}.{method}" for f in facts.functions):
                        found_handlers.append((f"{cls.name}.{method}", cls.line))
        if app_line is None and not found_handlers:
            continue
        line = app_line or found_handlers[0][1]
        roots.append(((rel, None), [ctx.flow.link(rel, line, "serves")]))
        for function, at in found_handlers:
            chain = [ctx.flow.link(rel, at, "request handler")]
            roots.append(((rel, function), chain))
            handler_roots.append(((rel, function), chain))
    roots += _server_command_roots(ctx)
    closure = ctx.flow.closure(roots)
    closure = {node: chain for node, chain in closure.items() if not is_test_path(node[0])}
    handlers = _handlers(ctx, closure, handler_roots)
    ctx.cache["serving"] = (closure, handlers)
    return closure, handlers


def _server_command_roots(ctx: GateContext) -> list[tuple[Node, list[Link]]]:
    """Files a Dockerfile CMD/ENTRYPOINT, a Procfile or a compose `command:` starts."""
    roots = []
    for rel in ctx.files:
        if not SERVER_FILES.search(rel):
            continue
        for number, line in enumerate(ctx.text(rel).split("\n"), start=1):
            command = _server_command(line)
            if not command:
                continue
            for reach in ctx.resolve_command(command, rel, number):
                if reach.file and reach.file.endswith(".py") and not is_test_path(reach.file):
                    chain = [Link(path=link.path, line=link.line, snippet=link.snippet, relation=link.relation) for link in reach.chain]
                    roots += ctx.flow.script_roots(reach.file, chain or [ctx.flow.link(rel, number, "starts")])
    return roots


def _server_command(line: str) -> str | None:
    stripped = line.strip()
    match = re.match(r"^(?:CMD|ENTRYPOINT)\s+(.*)$", stripped, re.I) or re.match(r"^(?:web|api|worker)\s*:\s*(.*)$", stripped) \
        or re.match(r"^command\s*:\s*(.*)$", stripped)
    if not match:
        return None
    body = match.group(1).strip()
    if body.startswith("["):
        try:
            import json

            words = json.loads(body)
            if isinstance(words, list) and all(isinstance(w, str) for w in words):
                if len(words) >= 3 and words[0] in ("sh", "bash", "/bin/sh", "/bin/bash") and words[1] == "-c":
                    return words[2]
                import shlex

                return " ".join(shlex.quote(w) for w in words)
        except ValueError:
            return None
    return body.strip("\"'") or None


def _handlers(ctx: GateContext, closure: dict[Node, list[Link]], handler_roots) -> list[Handler]:
    """Route handlers, served predict methods, and functions of served code annotated with a request type."""
    signals = ctx.signals["serving"]
    found: dict[Node, Handler] = {}
    explicit = {node for node, _ in handler_roots}
    for node, chain in closure.items():
        rel, function = node
        if function is None:
            continue
        index = ctx.flow.index(rel)
        if index is None or function not in index.functions:
            continue
        definition = index.functions[function]
        arguments = [*definition.args.posonlyargs, *definition.args.args, *definition.args.kwonlyargs]
        annotations = {a.arg: a.annotation for a in arguments if a.annotation is not None}
        request_params = []
        for argument in arguments:
            if argument.arg in ("self", "cls"):
                continue
            annotation = argument.annotation
            if annotation is not None and (matches(ctx.values(rel).qualify(annotation), signals["request_types"])
                                           or request_model(ctx, rel, annotation) is not None):
                request_params.append(argument.arg)
            elif node in explicit and not _injected(definition, argument.arg):
                request_params.append(argument.arg)
        if request_params:
            found[node] = Handler(node, chain, request_params, annotations)
    return list(found.values())


def _injected(definition, name: str) -> bool:
    """A parameter with a `Depends(...)` default is injected by the framework, not sent by the caller."""
    arguments = definition.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(arguments.defaults):]], arguments.defaults))
    defaults.update({a.arg: d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None})
    value = defaults.get(name)
    return isinstance(value, ast.Call) and (dotted(value.func) or "").rsplit(".", 1)[-1] in ("Depends", "Security", "Inject")


# ----------------------------------------------------------------------------- request models

@dataclass
class RequestField:
    name: str  # the name the request uses (an alias when declared)
    annotation: str
    types: set[str]
    line: int


@dataclass
class RequestModel:
    rel: str
    name: str
    line: int
    fields: list[RequestField]
    nested: list["RequestModel"] = field(default_factory=list)


def request_model(ctx: GateContext, rel: str, annotation: ast.AST, depth: int = 0) -> RequestModel | None:
    """The request-model class an annotation names (`Features`, `list[Features]`, `Optional[Features]`)."""
    if depth > 3 or annotation is None:
        return None
    for inner in _annotation_names(annotation):
        found = ctx.flow.locate_class(rel, ctx.values(rel).qualify(inner))
        if found is not None and _is_request_class(ctx, *found):
            return _model_of(ctx, found[0], found[1], depth)
    return None


def _annotation_names(annotation: ast.AST) -> list[ast.AST]:
    """The class names inside an annotation, outermost wrappers removed."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return []
    if isinstance(annotation, (ast.Name, ast.Attribute)):
        return [annotation]
    if isinstance(annotation, ast.Subscript):
        inner = annotation.slice
        elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        return [n for element in elements[:4] for n in _annotation_names(element)]
    if isinstance(annotation, ast.BinOp):
        return _annotation_names(annotation.left) + _annotation_names(annotation.right)
    return []


def _is_request_class(ctx: GateContext, rel: str, cls: str, depth: int = 0) -> bool:
    facts = ctx.flow.facts(rel)
    bases_of = {c.name: c.bases for c in (facts.classes if facts else [])}
    decorators = {c.name: c.decorators for c in (facts.classes if facts else [])}
    short = cls.rsplit(".", 1)[-1]
    bases = bases_of.get(short, ())
    if any(matches(base, ctx.signals["schema"]["request_bases"]) for base in bases):
        return True
    if any(d.rsplit(".", 1)[-1] in ("dataclass", "define", "frozen", "attrs") for d in decorators.get(short, ())):
        return True
    if depth < 4:
        for base in bases:
            found = ctx.flow.locate_class(rel, base)
            if found is not None and found != (rel, cls) and _is_request_class(ctx, found[0], found[1], depth + 1):
                return True
    return False


def _model_of(ctx: GateContext, rel: str, cls: str, depth: int) -> RequestModel:
    index = ctx.flow.index(rel)
    node = index.classes[cls]
    fields = _class_fields(ctx, rel, node, set())
    model = RequestModel(rel, cls, node.lineno, fields)
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign):
            nested = request_model(ctx, rel, statement.annotation, depth + 1)
            if nested is not None and nested.name != cls:
                model.nested.append(nested)
    return model


def _class_fields(ctx: GateContext, rel: str, node: ast.ClassDef, seen: set) -> list[RequestField]:
    if (rel, node.name) in seen or len(seen) > 8:
        return []
    seen.add((rel, node.name))
    fields: list[RequestField] = []
    values = ctx.values(rel)
    for base in node.bases:
        found = ctx.flow.locate_class(rel, values.qualify(base))
        if found is not None:
            fields += _class_fields(ctx, found[0], ctx.flow.index(found[0]).classes[found[1]], seen)
    for statement in node.body:
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            continue
        name = statement.target.id
        if name.startswith("_") or name == "model_config":
            continue
        if isinstance(statement.value, ast.Call) and (dotted(statement.value.func) or "").rsplit(".", 1)[-1] == "Field":
            for keyword in statement.value.keywords:
                if keyword.arg in ("alias", "validation_alias") and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                    name = keyword.value.value
        annotation = statement.annotation
        fields = [f for f in fields if f.name != name]
        fields.append(RequestField(name, ast.unparse(annotation)[:80], annotation_types(ctx, rel, annotation), statement.lineno))
    return fields


def annotation_types(ctx: GateContext, rel: str, annotation: ast.AST, depth: int = 0) -> set[str]:
    """The plain types an annotation admits: {"float"}, {"int"}, {"str"} ... ("other" when it is none of them)."""
    schema = ctx.signals["schema"]
    if depth > 6 or annotation is None:
        return {"other"}
    if isinstance(annotation, ast.Constant):
        if annotation.value is None:
            return set()
        if isinstance(annotation.value, str):
            try:
                return annotation_types(ctx, rel, ast.parse(annotation.value, mode="eval").body, depth + 1)
            except SyntaxError:
                return {"other"}
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return annotation_types(ctx, rel, annotation.left, depth + 1) | annotation_types(ctx, rel, annotation.right, depth + 1)
    if isinstance(annotation, ast.Call):  # confloat(ge=0), constr(max_length=10)
        return annotation_types(ctx, rel, annotation.func, depth + 1)
    if isinstance(annotation, ast.Subscript):
        head = ctx.values(rel).qualify(annotation.value)
        inner = annotation.slice
        elements = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        tail = head.rsplit(".", 1)[-1]
        if tail == "Literal":
            kinds = {type(e.value).__name__ for e in elements if isinstance(e, ast.Constant)}
            return {{"str": "str", "int": "int", "float": "float", "bool": "bool"}.get(k, "other") for k in kinds} or {"other"}
        if tail in ("Union",):
            return set().union(*(annotation_types(ctx, rel, e, depth + 1) for e in elements))
        if matches(head, schema["wrappers"]) or tail in ("Optional", "Annotated", "Required", "NotRequired"):
            return annotation_types(ctx, rel, elements[0], depth + 1)
        return {"list" if tail.lower() in ("list", "sequence", "tuple", "set", "conlist") else "other"}
    name = ctx.values(rel).qualify(annotation)
    for canonical, spellings in schema["aliases"].items():
        if name in spellings or name.rsplit(".", 1)[-1] in spellings:
            return {canonical}
    enum = _enum_type(ctx, rel, annotation)
    return {enum} if enum else {"other"}


def _enum_type(ctx: GateContext, rel: str, annotation: ast.AST) -> str | None:
    """A local Enum: `class Plan(str, Enum)` carries strings."""
    found = ctx.flow.locate_class(rel, ctx.values(rel).qualify(annotation))
    if found is not None:
        target_rel, target = found
        index = ctx.flow.index(target_rel)
        bases = [dotted(b) or "" for b in index.classes[target].bases]
        if any(b.endswith("Enum") for b in bases):
            if any(b in ("str", "StrEnum") or b.endswith("StrEnum") for b in bases):
                return "str"
            if any(b in ("int", "IntEnum") or b.endswith("IntEnum") for b in bases):
                return "int"
            values = [s.value.value for s in index.classes[target].body if isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant)]
            if values and all(isinstance(v, str) for v in values):
                return "str"
    return None


def request_models(ctx: GateContext) -> list[tuple[Handler, RequestModel]]:
    _, handlers = serving(ctx)
    found = []
    for handler in handlers:
        rel = handler.node[0]
        for param in handler.request_params:
            model = request_model(ctx, rel, handler.annotations.get(param))
            if model is not None:
                found.append((handler, model))
    return found


# ----------------------------------------------------------------------------- model loads

def model_loads(ctx: GateContext) -> list[ModelLoad]:
    closure, _ = serving(ctx)
    models = ctx.signals["models"]
    loads = []
    for node, chain in closure.items():
        rel, function = node
        index = ctx.flow.index(rel)
        if index is None or function not in index.scopes:
            continue
        values = ctx.values(rel)
        for call in index.calls_in(function):
            name = values.qualify(call.func)
            link = [*chain, ctx.flow.link(rel, call.lineno, "loads")]
            if matches(name, models["raw_loaders"]):
                loads.append(ModelLoad(rel, call.lineno, name, "raw", None, link))
                continue
            if not matches(name, models["registry_loaders"]):
                continue
            argument = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in models["uri_keywords"]), None)
            if argument is None:
                continue
            uris = values.strings(argument, function)
            if not uris:
                env = _environment_value(ctx, values, argument, function)
                uris = [env] if env else []
            if not uris:
                loads.append(ModelLoad(rel, call.lineno, name, "unresolved", None, link))
                continue
            for uri, uri_line in uris[:4]:
                where = uri_line if isinstance(uri_line, int) else None
                load = classify_uri(ModelLoad(rel, call.lineno, name, "raw", uri, link), models)
                if isinstance(uri_line, tuple):
                    load.uri_path, load.uri_line = uri_line
                elif where and where != call.lineno:
                    load.uri_path, load.uri_line = rel, where
                loads.append(load)
    return loads


def classify_uri(load: ModelLoad, models: dict) -> ModelLoad:
    uri = (load.uri or "").strip()
    match = MODEL_URI.match(uri)
    if match:
        load.name = match.group("name")
        if match.group("alias"):
            load.kind, load.alias = "alias", match.group("alias")
        elif match.group("version") and match.group("version").isdigit():
            load.kind, load.version = "pinned", match.group("version")
        elif match.group("version") is None or match.group("version").lower() in models["unpinned_versions"]:
            load.kind = "unpinned"
        else:
            load.kind = "unpinned"
        if load.name.startswith("m-") and load.kind == "unpinned":
            load.kind = "raw"  # models:/m-<id> is one logged model, not a registered version
        if "{}" in load.name:
            load.name = None
        return load
    load.kind = "raw" if uri and "{}" not in uri and RAW_URI.search(uri) else "unresolved"
    return load


def _environment_value(ctx: GateContext, values, argument: ast.AST, scope) -> tuple[str, tuple[str, int]] | None:
    """`os.environ["MODEL_URI"]` without a default: the value the deployment files give that variable."""
    variable = None
    node = argument
    if isinstance(node, ast.Name):
        assigned = values.assigned(node.id, scope)
        node = assigned[0][0] if len(assigned) == 1 else node
    if isinstance(node, ast.Subscript) and (dotted(node.value) or "").endswith("environ") and isinstance(node.slice, ast.Constant):
        variable = node.slice.value
    elif isinstance(node, ast.Call) and matches(values.qualify(node.func), ("os.environ.get", "os.getenv", "environ.get", "getenv")) \
            and node.args and isinstance(node.args[0], ast.Constant):
        variable = node.args[0].value
    if not isinstance(variable, str):
        return None
    pattern = re.compile(rf"\b{re.escape(variable)}\b[\"']?\s*[:=]\s*[\"']?(models:/[^\s\"']+)")
    for rel in ctx.files:
        if not re.search(r"(?:Dockerfile|\.ya?ml$|\.env|\.toml$|\.json$|Procfile)", rel) or re.search(ctx.signals["canary"]["ignore_paths"], rel):
            continue
        lines = ctx.text(rel).split("\n")
        for number, line in enumerate(lines, start=1):
            found = pattern.search(line)
            if not found and re.search(rf"name:\s*[\"']?{re.escape(variable)}[\"']?\s*$", line) and number < len(lines):
                found = re.search(r"value:\s*[\"']?(models:/[^\s\"']+)", lines[number])
                number += 1 if found else 0
            if found:
                return found.group(1), (rel, number)
    return None


# ----------------------------------------------------------------------------- prediction logs

@dataclass
class LogRecord:
    rel: str
    line: int
    call: str
    chain: list[Link]
    present: dict[str, Evidence]  # field -> where the record carries it
    missing: dict[str, str]  # field -> why it is missing


FIELDS = ("features", "model version", "latency")


def prediction_logs(ctx: GateContext) -> list[LogRecord]:
    """Every log/write call reached from a request handler, with the fields its record carries."""
    _, handlers = serving(ctx)
    records: list[LogRecord] = []
    seen: set[tuple[str, int]] = set()
    for handler in handlers:
        env = {param: frozenset({"request"}) for param in handler.request_params}
        _records_in(ctx, handler.node, env, handler.chain, records, seen, 0, handler)
    return records


@dataclass
class RecordField:
    """One field of a record, with the scope its value is read in (a helper's parameter is read at its caller)."""

    key: str
    value: ast.AST
    rel: str
    scope: str | None
    env: dict


def _records_in(ctx, node: Node, env: dict, chain: list[Link], records: list, seen: set, depth: int, handler: Handler) -> None:
    rel, function = node
    index = ctx.flow.index(rel)
    if index is None or function not in index.scopes or depth > MAX_HELPER_DEPTH:
        return
    values = ctx.values(rel)
    logging = ctx.signals["logging"]
    for call in index.calls_in(function):
        name = values.qualify(call.func)
        if (rel, call.lineno) in seen:
            continue
        targets = ctx.flow.resolve(rel, ctx.flow.call_name(rel, call) or name, function)
        local = [t for t in targets if t[1] is not None and ctx.flow.index(t[0]) and t[1] in ctx.flow.index(t[0]).functions]
        if local:
            for target in local[:2]:
                helper_env = _call_env(ctx, rel, function, call, target, env)
                _records_in(ctx, target, helper_env, [*chain, ctx.flow.link(rel, call.lineno, "calls")], records, seen, depth + 1, handler)
            continue
        if name.rsplit(".", 1)[-1] not in logging["sinks"] or not (call.args or call.keywords):
            continue
        seen.add((rel, call.lineno))
        fields = _expand(ctx, [RecordField(k, v, rel, function, env) for k, v in values.sink_fields(call, function)])
        records.append(_judge_record(ctx, rel, call, name, fields, [*chain, ctx.flow.link(rel, call.lineno, "writes")], handler))


def _call_env(ctx, rel: str, scope: str | None, call: ast.Call, target: Node, env: dict) -> dict:
    """A helper's parameters, bound to the caller's arguments (read in the caller's scope)."""
    definition = ctx.flow.index(target[0]).functions[target[1]]
    params = [a.arg for a in [*definition.args.posonlyargs, *definition.args.args]]
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    bound: dict = {}
    pairs = list(zip(params, call.args)) + [(k.arg, k.value) for k in call.keywords if k.arg]
    for param, argument in pairs:
        bound[param] = ("argument", argument, rel, scope, env)
    for argument in [*definition.args.posonlyargs, *definition.args.args, *definition.args.kwonlyargs]:
        bound.setdefault(argument.arg, frozenset({"param"}))
    return bound


def _kinds(ctx, field_: RecordField) -> frozenset:
    value, env = field_.value, field_.env
    if isinstance(value, ast.Name) and isinstance(env.get(value.id), tuple):
        _, argument, rel, scope, caller_env = env[value.id]
        return _kinds(ctx, RecordField(field_.key, argument, rel, scope, caller_env))
    plain = {k: v for k, v in env.items() if isinstance(v, frozenset)}
    for name, bound in env.items():
        if isinstance(bound, tuple):
            _, argument, rel, scope, caller_env = bound
            plain[name] = _kinds(ctx, RecordField(name, argument, rel, scope, caller_env))
    return ctx.values(field_.rel).kinds(value, field_.scope, plain)


def _expand(ctx, fields: list[RecordField], depth: int = 0) -> list[RecordField]:
    """A helper's parameter that is a whole record: the fields of the record its caller passed (as well)."""
    expanded = []
    for field_ in fields:
        expanded.append(field_)
        value = _unwrap(ctx, field_)
        if depth < MAX_HELPER_DEPTH and isinstance(value, ast.Name) and isinstance(field_.env.get(value.id), tuple):
            _, argument, rel, scope, caller_env = field_.env[value.id]
            inner = [RecordField(k, v, rel, scope, caller_env) for k, v in ctx.values(rel).record_fields(argument, scope)]
            if inner and not all(f.key == "**" for f in inner):
                expanded += _expand(ctx, inner, depth + 1)
            elif not inner or isinstance(argument, ast.Name):
                expanded[-1] = RecordField(field_.key, argument, rel, scope, caller_env)
    return expanded


def _unwrap(ctx, field_: RecordField) -> ast.AST:
    """`json.dumps(record)`, `str(record)`: the record inside an encoder call."""
    value = field_.value
    for _ in range(4):
        if isinstance(value, ast.Call) and value.args and matches(ctx.values(field_.rel).qualify(value.func), ctx.signals["logging"]["encoders"]):
            value = value.args[0]
        elif isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            value = value.left
        else:
            break
    return value


def _literal(ctx, field_: RecordField):
    value, env = field_.value, field_.env
    if isinstance(value, ast.Name) and isinstance(env.get(value.id), tuple):
        _, argument, rel, scope, caller_env = env[value.id]
        return _literal(ctx, RecordField(field_.key, argument, rel, scope, caller_env))
    if isinstance(value, ast.Name) and isinstance(env.get(value.id), frozenset):
        return ...
    return ctx.values(field_.rel).constant(value, field_.scope)


def _judge_record(ctx, rel, call, name, fields: list[RecordField], chain, handler: Handler) -> LogRecord:
    logging = ctx.signals["logging"]
    present: dict[str, Evidence] = {}
    missing: dict[str, str] = {}
    request_fields = {f.name for owner, model in request_models(ctx) if owner is handler for f in model.fields}

    def evidence(field_: RecordField, label: str) -> Evidence:
        return ctx.evidence(field_.rel, getattr(field_.value, "lineno", call.lineno), f"prediction_log:{label}", chain)

    for field_ in fields:
        if (re.search(logging["features_keys"], field_.key) or field_.key == "**" or field_.key in request_fields) \
                and "request" in _kinds(ctx, field_):
            present["features"] = evidence(field_, "features")
            break
    else:
        named = [f.key for f in fields if re.search(logging["features_keys"], f.key)]
        missing["features"] = (f"the record's {', '.join(dict.fromkeys(named[:3]))} does not come from the request" if named
                               else "the record carries no request features")

    version_reason = "the record carries no model version"
    for field_ in fields:
        if not re.search(logging["version_keys"], field_.key):
            continue
        literal = _literal(ctx, field_)
        if literal is not ... and (literal is None or _placeholder(str(literal), logging["placeholders"]) or not _looks_like_version(str(literal))):
            version_reason = f"{field_.key} is the placeholder {str(literal)[:40]!r}, not a version"
            continue
        present["model version"] = evidence(field_, "model_version")
        break
    else:
        missing["model version"] = version_reason

    latency_reason = "the record carries no latency"
    for field_ in fields:
        if not re.search(logging["latency_keys"], field_.key):
            continue
        if "duration" in _kinds(ctx, field_):
            present["latency"] = evidence(field_, "latency")
            break
        latency_reason = f"{field_.key} is not a measured time difference"
    else:
        missing["latency"] = latency_reason
    return LogRecord(rel, call.lineno, name, chain, present, missing)


def _placeholder(text: str, placeholders: list[str]) -> bool:
    return text.strip().lower() in {str(p).lower() for p in placeholders}


def _looks_like_version(text: str) -> bool:
    text = text.strip()
    return bool(re.fullmatch(r"v?\d+(?:\.\d+){0,3}(?:[-+][\w.]+)?|models:/[^/@\s]+/\d+|[0-9a-f]{7,40}|m-[0-9a-f]{8,}", text, re.I))
