"""Which parts of a file are code, and that code with its comments and docstrings blanked out.

The linter reports deprecated APIs that a project *uses*, never text that *explains* one, so:
- Python: comments and docstrings (string statements) become spaces; string literals stay,
  because `models:/churn/Production` or `{{ execution_date }}` live in strings;
- YAML/TOML/INI/shell: `#` comments become spaces;
- Markdown: only fenced code blocks count, as the kind their fence names; a block right
  below a `<!-- deprecated-example -->` comment shows the old API on purpose and is skipped;
- notebooks: code cells only.
Blanking keeps every character position, so a finding's line and column are the file's own.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass

from mlproof.repo.readers import is_comment

ALLOW_MARKER = re.compile(r"^\s*<!--\s*deprecated-example\b.*-->\s*$")
HTML_COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
FENCE = re.compile(r"^(\s{0,3})(`{3,}|~{3,})\s*([\w+.#-]*)")
# Fence languages and the kind of code they hold; None: prose-like output, not linted.
FENCE_KINDS = {
    **dict.fromkeys(["python", "py", "python3", "ipython", "ipython3", "pycon", "pyi"], "python"),
    **dict.fromkeys(["yaml", "yml", "json", "jsonc", "toml", "ini", "cfg", "conf", "hcl", "terraform"], "config"),
    **dict.fromkeys(["bash", "sh", "shell", "zsh", "console", "shell-session", "dockerfile", "docker", "make",
                     "makefile", "powershell"], "shell"),
    **dict.fromkeys(["text", "txt", "plain", "plaintext", "markdown", "md", "output", "log", "mermaid", "csv"], None),
}
PYTHON_SUFFIXES = {"py", "pyi", "pyw"}
CONFIG_SUFFIXES = {"yaml", "yml", "json", "toml", "cfg", "ini", "conf", "tf", "hcl"}
SHELL_SUFFIXES = {"sh", "bash", "zsh", "mk"}
SHELL_NAMES = {"Dockerfile", "Containerfile", "Makefile", "makefile", "GNUmakefile", "Jenkinsfile", "Procfile"}
MARKDOWN_SUFFIXES = {"md", "markdown"}
IGNORE_COMMENT = re.compile(r"mlproof-lint:\s*ignore(?:\[([^\]]*)\])?")


@dataclass(frozen=True)
class Piece:
    """A stretch of code inside a file: the whole file, one Markdown block or one notebook cell."""

    kind: str  # python | config | shell | any (a fence without a language)
    text: str
    first_line: int = 1  # the file line (or cell line) of the piece's first line
    cell: int | None = None


def file_type(name: str) -> str | None:
    """python | config | shell | markdown | notebook, or None for files the linter does not read."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in PYTHON_SUFFIXES:
        return "python"
    if suffix == "ipynb":
        return "notebook"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in CONFIG_SUFFIXES:
        return "config"
    if suffix in SHELL_SUFFIXES or name in SHELL_NAMES or name.startswith(("Dockerfile.", "Containerfile.")):
        return "shell"
    return None


def _blank(text: str, start: int, end: int) -> str:
    """Replace text[start:end] by spaces, keeping line breaks."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _line_offsets(text: str) -> list[int]:
    offsets, total = [0], 0
    for line in text.splitlines(keepends=True):
        total += len(line)
        offsets.append(total)
    return offsets


def python_code(text: str) -> str:
    """Python with comments and docstrings (string statements) blanked; strings in expressions stay."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return _fallback_python_code(text)
    offsets = _line_offsets(text)

    def span(token: tokenize.TokenInfo) -> tuple[int, int]:
        return offsets[token.start[0] - 1] + token.start[1], offsets[token.end[0] - 1] + token.end[1]

    spans = [span(t) for t in tokens if t.type == tokenize.COMMENT]
    statement_edges = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING)
    significant = [t for t in tokens if t.type not in (tokenize.COMMENT, tokenize.NL)]
    for k, token in enumerate(significant):
        if token.type != tokenize.STRING:
            continue
        before = significant[k - 1].type if k else tokenize.NEWLINE
        after = significant[k + 1].type if k + 1 < len(significant) else tokenize.ENDMARKER
        if before in statement_edges and after in (tokenize.NEWLINE, tokenize.ENDMARKER):
            spans.append(span(token))  # a bare string statement: a docstring or prose
    for start, end in sorted(spans, reverse=True):
        text = _blank(text, start, end)
    return text


def _fallback_python_code(text: str) -> str:
    """For snippets that do not tokenize: blank `#` comments and triple-quoted blocks line by line."""
    text = re.sub(r'("""|\'\'\')[\s\S]*?\1', lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    return hash_code(text, "python")


def hash_code(text: str, language: str = "hash") -> str:
    """Config and shell with `#` comments blanked (a `#` inside quotes is not a comment)."""
    lines = []
    for line in text.split("\n"):
        position = line.find("#")
        while position != -1 and not is_comment(line, position + 1, language):
            position = line.find("#", position + 1)
        lines.append(line if position == -1 else line[:position] + " " * (len(line) - position))
    return "\n".join(lines)


def cleaned(piece: Piece) -> str:
    """The piece's code with everything that is not code blanked out."""
    if piece.kind == "python":
        return python_code(piece.text)
    return hash_code(piece.text)


def parse_python(text: str) -> ast.AST | None:
    """The syntax tree, with notebook magics and shell escapes (%pip, !dvc) read as blank lines."""
    source = re.sub(r"(?m)^(\s*)[%!].*$", lambda m: m.group(1) + "pass", text)
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def markdown_pieces(text: str, *, honour_markers: bool = True) -> list[Piece]:
    """Fenced code blocks, each as the kind its fence names (prose and output blocks are skipped)."""
    lines = text.split("\n")
    pieces, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, language = opening.group(2), opening.group(3).lower()
        j = i + 1
        while j < len(lines) and not lines[j].lstrip().startswith(fence):
            j += 1
        body = lines[i + 1:j]
        allowed = honour_markers and _marked_deprecated_example(lines, i)
        kind = FENCE_KINDS.get(language, "any") if language else "any"
        if language == "diff":  # only what the diff adds or keeps; removed lines are the old code
            kind, body = "any", [" " * len(line) if line.startswith("-") else line for line in body]
        if kind is not None and not allowed:
            pieces.append(Piece(kind, "\n".join(body), first_line=i + 2))
        i = j + 1
    return pieces


def _marked_deprecated_example(lines: list[str], fence_index: int) -> bool:
    """A `<!-- deprecated-example: why -->` among the comment lines right above the fence."""
    k = fence_index - 1
    while k >= 0 and HTML_COMMENT.match(lines[k]):
        if ALLOW_MARKER.match(lines[k]):
            return True
        k -= 1
    return False


def notebook_pieces(text: str) -> list[Piece]:
    """Code cells of a notebook (ValueError when it is not notebook JSON)."""
    notebook = json.loads(text)
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError("no cells")
    pieces = []
    for index, cell in enumerate(cells, start=1):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            pieces.append(Piece("python", source, first_line=1, cell=index))
    return pieces


def ignored_rules(line: str) -> set[str] | None:
    """Rule ids a `mlproof-lint: ignore[...]` comment on the line switches off; {"*"} for all; None if none."""
    match = IGNORE_COMMENT.search(line)
    if not match:
        return None
    if match.group(1) is None:
        return {"*"}
    return {part.strip() for part in match.group(1).split(",") if part.strip()}
