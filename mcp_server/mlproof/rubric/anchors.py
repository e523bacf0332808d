"""Required literals ("anchors") of a regular expression, for a fast prefilter.

Python's `re` tries every alternative at every position, so one big
alternation of all catalog patterns is slow. Instead each pattern is split into
its top-level alternatives; for each alternative we find literal strings, at
least one of which must occur in any match (lower-cased). An Aho-Corasick
automaton finds all anchors of a file in one C-speed pass, and only the lines
holding an anchor are checked with the real expressions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

try:  # the parser moved in Python 3.11
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MIN_ANCHOR = 3
_GROUP_PREFIX = re.compile(r"\(\?(?:[aiLmsux]*:|:)")


def _outside_classes(pattern: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """(index, character) of every character from `start` that is neither escaped nor inside a [...] class."""
    index, in_class = start, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            # a "]" right after the opening bracket is a literal, not the end of the class
            opener = next((o for o in ("[^]", "[]") if pattern.startswith(o, index)), "[")
            index += len(opener)
            continue
        else:
            yield index, char
        index += 1


def split_alternatives(pattern: str) -> list[str]:
    """Top-level alternatives of `pattern`, each a valid expression on its own.

    A pattern that is one group around an alternation, like `(?i:a|b)`, is split
    inside the group and each part keeps the group's flags: `(?i:a)`, `(?i:b)`.
    """
    parts, depth, start = [], 0, 0
    for index, char in _outside_classes(pattern):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
    parts.append(pattern[start:])
    if len(parts) == 1:
        prefix = _GROUP_PREFIX.match(pattern)
        if prefix and _closes_at_end(pattern, prefix.end() - 1):
            inner = split_alternatives(pattern[prefix.end():-1])
            if len(inner) > 1:
                return [f"{prefix.group(0)}{part})" for part in inner]
    return parts


def _closes_at_end(pattern: str, open_index: int) -> bool:
    """True when the group opened at (or just before) `open_index` closes at the last character."""
    depth = 0
    for index, char in _outside_classes(pattern, pattern.rfind("(", 0, open_index + 1)):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index == len(pattern) - 1
    return False


# Literals so frequent in source code that an anchor made of them filters nothing.
COMMON = frozenset("""
import from def class return self true false none with for the and not print data model train test
classifier regressor config value name type list dict str int float log get set run
""".split())
MAX_OPTIONS = 32
_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT)


def _quality(anchors: set[str]) -> tuple:
    return (not (anchors & COMMON), min(len(a) for a in anchors), -len(anchors))


def _better(current: set[str] | None, candidate: set[str] | None) -> set[str] | None:
    if not candidate or min(len(a) for a in candidate) < MIN_ANCHOR:
        return current
    if current is None or _quality(candidate) > _quality(current):
        return candidate
    return current


def _product(left: set[str], right: set[str]) -> set[str] | None:
    joined = {a + b for a in left for b in right}
    return joined if len(joined) <= MAX_OPTIONS else None


def _literal_options(items) -> set[str] | None:
    """Every string a literal-ish sequence can match (literals, small alternations, optional parts), else None."""
    options = {""}
    for op, value in items:
        if op is sre_constants.LITERAL:
            options = {o + chr(value).lower() for o in options}
            continue
        if op is sre_constants.AT:
            continue
        if op is sre_constants.SUBPATTERN:
            sub = _literal_options(value[-1])
        elif op is sre_constants.BRANCH:
            parts = [_literal_options(branch) for branch in value[1]]
            sub = None if any(p is None for p in parts) else set().union(*parts)
        elif op in _REPEATS and value[0] == 0 and value[1] == 1:
            inner = _literal_options(value[2])
            sub = None if inner is None else inner | {""}
        elif op is sre_constants.IN and 0 < len(value) <= 4 and all(kind is sre_constants.LITERAL for kind, _ in value):
            sub = {chr(char).lower() for _, char in value}
        else:
            return None
        if sub is None:
            return None
        options = _product(options, sub)
        if options is None:
            return None
    return options


def _anchors(items) -> set[str] | None:
    """Literals one of which every match of the sequence contains (the most selective choice)."""
    best: set[str] | None = None
    run: list = []  # consecutive literal-ish items

    def flush() -> None:
        nonlocal best, run
        if run:
            whole = _literal_options(run)
            best = _better(best, whole)
            if whole is None:  # too many combinations: judge the parts (single items, plain literal stretches)
                chunk: list = []
                for item in run + [(None, None)]:
                    if item[0] is sre_constants.LITERAL or item[0] is sre_constants.AT:
                        chunk.append(item)
                        continue
                    best = _better(best, _literal_options(chunk) if chunk else None)
                    chunk = []
                    if item[0] is not None:
                        best = _better(best, _literal_options([item]))
        run = []

    for op, value in items:
        if _literal_options([(op, value)]) is not None:
            run.append((op, value))
            continue
        flush()
        if op is sre_constants.SUBPATTERN:
            best = _better(best, _anchors(value[-1]))
        elif op is sre_constants.BRANCH:
            options = [_anchors(branch) for branch in value[1]]
            if all(options):
                best = _better(best, set().union(*options))
        elif op in _REPEATS and value[0] >= 1:
            best = _better(best, _anchors(value[2]))
    flush()
    return best


def anchors(pattern: str) -> set[str] | None:
    """Lower-case literals one of which occurs in every match of `pattern`; None if there is none."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    return _anchors(list(parsed))
