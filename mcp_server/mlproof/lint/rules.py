"""The deprecated-API rules (deprecated_apis.yaml) as typed objects, and how one rule matches code."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, field_validator

RULES_PATH = Path(__file__).with_name("deprecated_apis.yaml")
Kind = Literal["python", "config", "shell"]
KINDS: tuple[str, ...] = ("python", "config", "shell")


class CallMatch(BaseModel):
    """A call found in the Python syntax tree: callee name, callee path, keywords or a string positional."""

    name: str
    qualifier: str | None = None
    keywords: list[str] = Field(default_factory=list)
    without_keywords: list[str] = Field(default_factory=list, description="Keywords that mark another, current API of the same name.")
    positional_string: bool = False

    def model_post_init(self, _context: object) -> None:
        if not self.keywords and not self.positional_string:
            raise ValueError("a call match needs keywords or positional_string")


class ImportMatch(BaseModel):
    """`from <module> import <name>` in the Python syntax tree (also over several lines)."""

    module: str
    name: str


class Rule(BaseModel):
    id: str
    needles: list[str] = Field(min_length=1)
    in_: list[Kind] = Field(default_factory=lambda: list(KINDS), alias="in")
    pattern: str
    multiline: bool = False
    call: CallMatch | None = None
    imports: ImportMatch | None = None
    requires: str | None = None
    instead: str
    why: str
    bad: list[str] = Field(min_length=1)
    good: list[str] = Field(min_length=1)

    model_config = {"populate_by_name": True, "frozen": True}

    @field_validator("id")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", value):
            raise ValueError(f"rule id {value!r} is not library.what")
        return value

    def model_post_init(self, _context: object) -> None:
        for expression in (self.pattern, self.requires, self.call and self.call.name, self.call and self.call.qualifier,
                           self.imports and self.imports.module, self.imports and self.imports.name):
            if expression:
                re.compile(expression)

    @property
    def library(self) -> str:
        return self.id.split(".", 1)[0]

    def may_match(self, raw: str) -> bool:
        """False when no match is possible: none of the needles is in the raw text (a plain substring test)."""
        return any(needle in raw for needle in self.needles)

    def probe(self) -> re.Pattern[str]:
        """A search of the raw text (comments and prose included) that every real match implies."""
        parts = [self.pattern]
        if self.call:
            after = "|".join(rf"\b{re.escape(k)}\s*=" for k in self.call.keywords)
            parts.append(rf"\b(?:{self.call.name})\s*\((?:[\s\S]*?(?:{after}))?" if after else rf"\b(?:{self.call.name})\s*\(")
        if self.imports:
            parts.append(rf"\bimport\b[\s\S]*?{self.imports.name.strip('^$')}")
        return compiled("|".join(f"(?:{part})" for part in parts), re.MULTILINE)


@lru_cache(maxsize=1)
def load_rules() -> tuple[Rule, ...]:
    """The shared list, parsed and checked once per process."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is there
    data = yaml.load(RULES_PATH.read_text(encoding="utf-8"), Loader=loader)
    rules = tuple(Rule.model_validate(item) for item in data)
    ids = [rule.id for rule in rules]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"deprecated_apis.yaml lists {duplicated} twice")
    return rules


@lru_cache(maxsize=256)
def compiled(expression: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(expression, flags)


@dataclass(frozen=True)
class Hit:
    """Where a rule matched inside a piece of code: 0-based line and column, and the matched text."""

    line: int
    column: int
    text: str


def _offset_to_position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start


def pattern_hits(rule: Rule, code: str) -> list[Hit]:
    """Matches of the rule's pattern in code whose comments and docstrings are blanked out."""
    if rule.multiline:
        regex = compiled(rule.pattern, re.MULTILINE)
        hits = []
        for match in regex.finditer(code):
            line, column = _offset_to_position(code, match.start())
            hits.append(Hit(line, column, match.group(0)))
        return hits
    regex = compiled(rule.pattern)
    hits = []
    for number, line in enumerate(code.splitlines()):
        match = regex.search(line)
        if match:
            hits.append(Hit(number, match.start(), match.group(0)))
    return hits


def _callee(node: ast.expr) -> tuple[str, str]:
    """(last name, dotted path before it) of a call's function: mlflow.sklearn.log_model -> (log_model, mlflow.sklearn)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):  # Compiler().compile -> path "Compiler()"
        inner, _ = _callee(node.func)
        parts.append(inner + "()")
    parts.reverse()
    if not parts:
        return "", ""
    return parts[-1], ".".join(parts[:-1])


def _char_column(lines: list[str], node: ast.AST) -> int:
    """ast gives UTF-8 byte offsets; findings report characters."""
    line = lines[node.lineno - 1] if 0 < node.lineno <= len(lines) else ""
    return len(line.encode("utf-8")[: node.col_offset].decode("utf-8", errors="ignore"))


@dataclass
class SyntaxIndex:
    """Every call and `from ... import` of a syntax tree, walked once and shared by all rules."""

    calls: list[tuple[str, str, ast.Call]]
    imports: list[tuple[str, ast.alias]]
    lines: list[str]

    @classmethod
    def of(cls, tree: ast.AST, lines: list[str]) -> SyntaxIndex:
        calls, imports = [], []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name, path = _callee(node.func)
                calls.append((name, path, node))
            elif isinstance(node, ast.ImportFrom) and node.module:
                imports += [(node.module, alias) for alias in node.names]
        return cls(calls, imports, lines)


def call_hits(rule: Rule, index: SyntaxIndex) -> list[Hit]:
    spec = rule.call
    name_re = compiled(f"(?:{spec.name})")
    qualifier_re = compiled(spec.qualifier) if spec.qualifier else None
    hits = []
    for name, path, node in index.calls:
        if not name_re.fullmatch(name) or (qualifier_re and not qualifier_re.search(path)):
            continue
        if any(k.arg in spec.without_keywords for k in node.keywords):
            continue
        keyword = next((k for k in node.keywords if k.arg in spec.keywords), None)
        if keyword is not None:
            value = keyword.value
            hits.append(Hit(value.lineno - 1, _char_column(index.lines, value), f"{name}(..., {keyword.arg}=...)"))
            continue
        if spec.positional_string:
            literal = next((a for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)), None)
            if literal is not None:
                hits.append(Hit(literal.lineno - 1, _char_column(index.lines, literal), f"{name}(..., {literal.value!r})"))
    return hits


def import_hits(rule: Rule, index: SyntaxIndex) -> list[Hit]:
    spec = rule.imports
    module_re, name_re = compiled(spec.module), compiled(spec.name)
    return [Hit(alias.lineno - 1, _char_column(index.lines, alias), f"from {module} import {alias.name}")
            for module, alias in index.imports if module_re.search(module) and name_re.search(alias.name)]
