"""YAML read as plain data that remembers where each value was written.

The repository is hostile, so loading is bounded: files over `MAX_BYTES` are not
read, aliases are expanded against a node budget (a "billion laughs" document
stops there instead of exhausting memory), nesting is capped, and tags
(`!Ref`, `!reference`, `!Sub` ...) never construct anything: we only compose.

Mappings become `YMap` (a dict with `.line` and `.key_lines`), sequences
`YList` (a list with `.line`, `.item_lines`, `.tag`), strings `YStr` (a str
with `.line` and `.style`); other scalars are plain bool/int/float/None, whose
line is the one of their key or item. Lines are 1-based.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import yaml

MAX_BYTES = 1_000_000  # no CI or job definition is near this; a larger file is data or an attack
MAX_NODES = 100_000  # per document, counting every alias expansion
MAX_DEPTH = 60
MAX_ESTIMATED_NODES = MAX_NODES * 3 // 2  # lines + commas + colons: about one per node, more for prose

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BOOL = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"[-+]?(?:\d[\d_]*)?\.\d+(?:[eE][-+]?\d+)?$")


class YamlTooLarge(ValueError):
    """The document is over the size, node or nesting budget."""


class YStr(str):
    line: int | None = None
    style: str | None = None  # "|" or ">" for block scalars: their text starts on the next line


class YMap(dict):
    def __init__(self, line: int | None):
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}
        self.tag = ""

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key, self.line)


class YList(list):
    def __init__(self, line: int | None, tag: str = ""):
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []
        self.tag = tag  # "!reference" (GitLab) and other custom tags are kept, never constructed


def line_of(value: Any, default: int | None = None) -> int | None:
    """The line a value was written on, when it carries one."""
    return getattr(value, "line", None) or default


def load_all(text: str) -> list[Any]:
    """Every document of `text` as located data. Raises yaml.YAMLError or YamlTooLarge."""
    if len(text) > MAX_BYTES:
        raise YamlTooLarge("file too large")
    if _estimated_nodes(text) > MAX_ESTIMATED_NODES:  # refuse before composing: composing is the slow part
        raise YamlTooLarge("too many nodes")
    docs = []
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is not None:
                if _expanded_size(node, {}, 0) > MAX_NODES:  # cheap: each distinct node is counted once
                    raise YamlTooLarge("too many nodes (alias expansion)")
                docs.append(_Converter().convert(node, 0))
    except RecursionError as err:  # nesting deeper than the parser's own stack
        raise YamlTooLarge("nested too deeply") from err
    return docs


def _estimated_nodes(text: str) -> int:
    """A cheap estimate of the node count: block and flow nodes are almost always separated by one of these."""
    return text.count("\n") + text.count(",") + text.count(":")


def try_load_all(text: str) -> list[Any] | None:
    """Like load_all, but None when the text is not readable YAML within the budget."""
    try:
        return load_all(text)
    except (yaml.YAMLError, YamlTooLarge, ValueError):
        return None


def _expanded_size(node: yaml.Node, sizes: dict[int, int], depth: int) -> int:
    """How many nodes the document has once every alias is expanded (memoised over the shared graph)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    if depth > MAX_DEPTH:
        raise YamlTooLarge("nested too deeply")
    size = 1
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            size += _expanded_size(item, sizes, depth + 1)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            size += _expanded_size(key, sizes, depth + 1) + _expanded_size(value, sizes, depth + 1)
    sizes[id(node)] = min(size, MAX_NODES + 1)
    return sizes[id(node)]


class _Converter:
    def __init__(self) -> None:
        self.budget = MAX_NODES

    def convert(self, node: yaml.Node, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise YamlTooLarge("too many nodes (alias expansion)")
        if depth > MAX_DEPTH:
            raise YamlTooLarge("nested too deeply")
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node, line)
        if isinstance(node, yaml.SequenceNode):
            seq = YList(line, node.tag if node.tag.startswith("!") else "")
            for item in node.value:
                seq.append(self.convert(item, depth + 1))
                seq.item_lines.append(item.start_mark.line + 1)
            return seq
        mapping = YMap(line)
        mapping.tag = node.tag if node.tag.startswith("!") else ""
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` merges (later keys win, so fill gaps only)
                self._merge(mapping, self.convert(value_node, depth + 1))
                continue
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)[:80]
            mapping[key] = self.convert(value_node, depth + 1)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping

    @staticmethod
    def _merge(mapping: YMap, source: Any) -> None:
        for item in source if isinstance(source, list) else [source]:
            if isinstance(item, YMap):
                for key, value in item.items():
                    if key not in mapping:
                        mapping[key] = value
                        mapping.key_lines[key] = item.line_of(key) or mapping.line


def _scalar(node: yaml.ScalarNode, line: int) -> Any:
    value = node.value
    if not node.style and node.tag.startswith("tag:yaml.org,2002:"):  # plain scalars resolve like YAML 1.1
        kind = node.tag.rsplit(":", 1)[-1]
        if kind == "null":
            return None
        if kind == "bool" and value.lower() in _BOOL:
            return _BOOL[value.lower()]
        if kind == "int" and _INT.match(value):
            return int(value.replace("_", ""))
        if kind == "float" and _FLOAT.match(value):
            return float(value.replace("_", ""))
    text = YStr(value)
    text.line = line
    text.style = node.style if node.style in ("|", ">") else None
    return text


def block_lines(value: Any, default_line: int | None) -> Iterator[tuple[int | None, str]]:
    """(line, text) of each physical line of a string value; block scalars start on the line after `|`."""
    text = str(value)
    first = line_of(value, default_line)
    if first is not None and getattr(value, "style", None) in ("|", ">"):
        first += 1
    for offset, physical in enumerate(text.split("\n")):
        yield (first + offset if first is not None else None), physical


def walk(value: Any, depth: int = 0) -> Iterator[Any]:
    """Every mapping and list inside `value`, depth-first (bounded by the converter's budget)."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item, depth + 1)
    elif isinstance(value, list):
        yield value
        for item in value:
            yield from walk(item, depth + 1)


def text_of(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
