"""Small helpers for reading Python as data with `ast`: qualified names, literals, source text.

Shared by the job parsers (Airflow, SDK schedules) and the runners (invoke, nox).
"""

from __future__ import annotations

import ast

MAX_DETAIL = 200
NOT_LITERAL = object()  # what `literal` returns for an expression that is not a literal


def qualified(node: ast.AST, aliases: dict[str, str]) -> str:
    """`np.x.y` -> "numpy.x.y" through the file's import aliases ("" for anything but names)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):
        return qualified(node.func, aliases) + "()." + ".".join(reversed(parts)) if parts else ""
    if not isinstance(node, ast.Name):
        return ""
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def literal(node: ast.AST | None) -> object:
    try:
        return ast.literal_eval(node) if node is not None else None
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return NOT_LITERAL


def source_text(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except (ValueError, RecursionError):  # pragma: no cover - unparse of odd trees
        text = ""
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)


def string_value(node: ast.AST) -> str:
    """A string literal, or an f-string with its placeholders kept as written ("" otherwise)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                parts.append("{" + ast.unparse(value.value) + "}")
        return "".join(parts)
    return ""
