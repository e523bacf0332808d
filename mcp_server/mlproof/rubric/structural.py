"""Catalog signals that name program structure, matched against parsed code.

A structural signal names what code *does*, not how a line looks:
- `call: 'mlflow.log_*|*.set_registered_model_alias'` - a call whose qualified
  name matches one of the dotted globs (`*` spans dots), optionally with a
  required keyword (`kwarg: registered_model_name`) and a literal argument
  matching `arg:` (a regular expression);
- `decorator:` - the same, for decorators only (`@app.post("/predict")`);
- `import: 'optuna|ray.tune'` - an imported module (or member) equal to, or
  inside, one of the names;
- `base: '*.BaseModel'` - a class deriving from a matching base;
- `string: 'models:/'` - a string constant (not a docstring) matching a
  regular expression;
- `route_param: '^(?:str|int|float)$'` - a parameter annotation of a function
  decorated as a web route (`@app.post`, `@router.get`, `@app.route` ...).

Names are matched as the code resolves them: `import mlflow as mf;
mf.log_metric()` is `mlflow.log_metric`. Calls are indexed by their last name
component, so a file's calls are matched with dictionary lookups.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator

from mlproof.model.code import CodeFacts

STRUCTURAL_KEYS = ("call", "decorator", "import", "base", "string", "route_param")
ROUTE_DECORATOR = re.compile(r"^.+\.(?:post|put|get|patch|delete|route|api_route|websocket)$")


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A dotted glob (`mlflow.*.autolog`, `*.fit`) as an anchored expression; `*` spans dots."""
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


def alternatives(spec: str) -> list[str]:
    return [part.strip() for part in spec.split("|") if part.strip()]


@dataclass(frozen=True)
class Match:
    target: object  # whatever the caller attached to the signal (a Target)
    line: int
    end_line: int
    matched: str  # the qualified name or string that matched
    dead: bool
    function: str | None  # the scope a co-occurring call must be found in (see Target.holds_in)


@dataclass
class _CallRule:
    regex: re.Pattern[str]
    kwarg: str | None
    arg: re.Pattern[str] | None
    decorator_only: bool
    targets: list


class StructuralIndex:
    """Every structural signal of the catalog, ready to match one file's facts."""

    def __init__(self) -> None:
        self._by_last: dict[str, list[_CallRule]] = defaultdict(list)
        self._wild_last: list[_CallRule] = []
        self._rules: dict[tuple, _CallRule] = {}
        self._imports: dict[str, list[tuple[str, list]]] = defaultdict(list)  # first component -> (dotted prefix, targets)
        self._wild_any: re.Pattern[str] | None = None  # every wildcard-last rule at once: most calls match none
        self._bases: list[tuple[re.Pattern[str], list]] = []
        self._strings: list[tuple[re.Pattern[str], list]] = []
        self._route_params: list[tuple[re.Pattern[str], list]] = []
        # Words a file must hold for a signal to match there (all of them), with the signal's target: the
        # prefilter's requirements. Every dotted component of a resolved name is written in the file, at
        # the call or in the import that binds it, so requiring all of them is safe and selective.
        self.requirements: list[tuple[frozenset[str], object]] = []

    def add(self, signal, target) -> None:
        if signal.call or signal.decorator:
            spec = signal.call or signal.decorator
            for glob in alternatives(spec):
                self._add_call(glob, signal, target, decorator_only=signal.call is None)
        elif signal.import_:
            for name in alternatives(signal.import_):
                self._imports[name.split(".")[0]].append((name, [target]))
                self._anchor(name, target)
        elif signal.base:
            for glob in alternatives(signal.base):
                self._bases.append((glob_regex(glob), [target]))
                self._anchor(glob, target)
        elif signal.string:
            self._strings.append((re.compile(signal.string), [target]))
        elif signal.route_param:
            self._route_params.append((re.compile(signal.route_param), [target]))
            self._word("@", target)

    def _add_call(self, glob: str, signal, target, decorator_only: bool) -> None:
        key = (glob, signal.kwarg, signal.arg, decorator_only)
        rule = self._rules.get(key)
        if rule is None:
            rule = self._rules[key] = _CallRule(glob_regex(glob), signal.kwarg, re.compile(signal.arg) if signal.arg else None,
                                                decorator_only, [])
            last = glob.rsplit(".", 1)[-1]
            if "*" in last:
                self._wild_last.append(rule)
                self._wild_any = None
            else:
                self._by_last[last].append(rule)
        rule.targets.append(target)
        if decorator_only:
            self._word("@", target)  # a decorator needs an `@`; its name may be any object's method
        elif signal.kwarg and not glob.strip("*."):
            self._word(signal.kwarg, target)  # `call: '*'` with a keyword: the keyword must be there
        else:
            self._anchor(glob, target)

    def _anchor(self, glob: str, target) -> None:
        words = {fragment.lower() for part in glob.split(".") for fragment in part.split("*") if len(fragment) >= 3}
        if words:
            self.requirements.append((frozenset(words), target))

    def _word(self, word: str, target) -> None:
        self.requirements.append((frozenset({word.lower()}), target))

    # -- matching

    def matches(self, facts: CodeFacts) -> Iterator[Match]:
        if self._wild_any is None and self._wild_last:
            self._wild_any = re.compile("|".join(f"(?:{rule.regex.pattern})" for rule in self._wild_last))
        wild_any = self._wild_any
        for call in facts.calls:
            rules = self._by_last.get(call.name.rsplit(".", 1)[-1], ())
            if wild_any is not None and wild_any.match(call.name):
                rules = (*rules, *self._wild_last)
            for rule in rules:
                if rule.decorator_only and not call.decorator:
                    continue
                if not rule.regex.match(call.name):
                    continue
                if rule.kwarg is not None and rule.kwarg not in call.keywords:
                    continue
                if rule.arg is not None and not any(isinstance(v, str) and rule.arg.search(v) for v in call.literals):
                    continue
                for target in rule.targets:  # a decorator's scope is the function it decorates
                    yield Match(target, call.line, call.end_line, call.name, call.dead, call.decorates or call.function)
        if self._imports:
            for imported in facts.imports:
                rules = self._imports.get(imported.module.split(".")[0])
                if not rules or facts.unused_import(imported.line):
                    continue  # no signal names this module, or it is imported and never used (a mention)
                names = (imported.qualified, imported.module)
                for prefix, targets in rules:
                    if any(name == prefix or name.startswith(prefix + ".") for name in names):
                        for target in targets:
                            yield Match(target, imported.line, imported.line, imported.qualified, False, None)
        for class_def in facts.classes:
            for regex, targets in self._bases:
                base = next((b for b in class_def.bases if regex.match(b)), None)
                if base is not None:
                    for target in targets:
                        yield Match(target, class_def.line, class_def.end_line, base, False, None)
        if self._route_params:
            for function in facts.functions:
                if function.dead or not any(ROUTE_DECORATOR.match(d) for d in function.decorators):
                    continue
                for name, annotation in function.params:
                    for regex, targets in self._route_params:
                        if annotation and regex.search(annotation):
                            for target in targets:
                                yield Match(target, function.line, function.line, f"{name}: {annotation}", False, function.name)
        if self._strings:
            for line, value in facts.strings:
                for regex, targets in self._strings:
                    found = regex.search(value)
                    if found:
                        for target in targets:
                            yield Match(target, line, line, found.group(0)[:60], line in facts.dead_lines, None)
