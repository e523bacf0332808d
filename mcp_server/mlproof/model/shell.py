"""Shell text read as data: logical lines, simple commands, words.

Nothing here runs a shell. The reading is deliberately shallow: control flow
is flattened (every branch's commands count as commands the script may run),
heredoc bodies and comments are dropped, and a line continued with `\\`, an
open quote or a trailing `&&`/`||`/`|` is joined with the next.
"""

from __future__ import annotations

import re

MAX_JOINED = 200  # physical lines one logical line may span (an unclosed quote must not swallow a file)
_HEREDOC = re.compile(r"(?<!<)<<-?\s*(['\"]?)([A-Za-z_][\w]*)\1")
_CONTROL_PREFIX = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "exec", "command", "builtin"}
_CONTROL_ONLY = {"fi", "done", "esac", "}", ")", "else", "then", "do", ";;"}
_REDIRECT_ALONE = re.compile(r"^\d*(?:>>?|<<?|&>>?|>&|<&)$")
_REDIRECT_ATTACHED = re.compile(r"^\d*(?:>>?|<|&>>?|>&|<&)\S+$")
_ARRAY_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\+?=$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")


def logical_lines(text: str, first_line: int | None = 1) -> list[tuple[int | None, str]]:
    """(line of its first physical line, text) for each command line of a shell text."""
    physical = text.split("\n")
    out: list[tuple[int | None, str]] = []
    i = 0
    while i < len(physical):
        start = i
        line = physical[i].rstrip()
        i += 1
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = [line]  # joined once at the end, and quotes scanned piece by piece: joining stays linear
        quote = _quote_after(line, None)
        joined = 0
        while i < len(physical) and joined < MAX_JOINED:
            last = parts[-1]
            nxt = physical[i].rstrip()
            if quote:  # an open quote: the newline is part of the string
                parts.append("\n" + nxt)
                quote = _quote_after(nxt, quote)
            elif last.endswith("\\"):
                parts[-1] = last[:-1].rstrip()
                parts.append(" " + nxt.strip())
                quote = _quote_after(nxt, None)
            elif last.endswith(("&&", "||", "|")):
                parts.append(" " + nxt.strip())
                quote = _quote_after(nxt, None)
            else:
                break
            i += 1
            joined += 1
        line = "".join(parts)
        heredoc = _heredoc(line)
        if heredoc:  # the body is data for the command, not commands
            delimiter = heredoc
            while i < len(physical) and physical[i].strip() != delimiter:
                i += 1
            i += 1
        out.append(((first_line + start) if first_line is not None else None, line.strip()))
    return out


_OPENS = re.compile(r"^(?:if|for|while|until|case|select)\b|^(?:function\s+)?[\w.-]+\s*\(\)\s*\{?$|\{$")
_CLOSES = re.compile(r"^(?:fi|done|esac|\})(?=[\s;]|$)")
_EXIT = re.compile(r"^exit(?:\s+\d+)?\s*;?$")


def runnable_lines(text: str, first_line: int | None = 1) -> list[tuple[int | None, str]]:
    """The logical lines a shell text may run: reading stops at an `exit` outside any block or function."""
    out = []
    depth = 0
    for line, logical in logical_lines(text, first_line):
        head = logical.split(";")[0].strip()
        if _EXIT.match(logical) and depth == 0:
            break
        if _OPENS.search(head) and not re.search(r"\b(?:fi|done|esac)\s*;?$|\}\s*;?$", logical):
            depth += 1
        elif _CLOSES.match(head) and depth:
            depth -= 1
        out.append((line, logical))
    return out


def _heredoc(line: str) -> str | None:
    """The delimiter of a heredoc the line opens (`<<EOF`, `<<-'EOF'`), outside quotes."""
    bare = _unquoted(line)
    for match in _HEREDOC.finditer(line):
        if bare[match.start()] == "<":
            return match.group(2)
    return None


def _quote_after(text: str, quote: str | None) -> str | None:
    """The quote still open after reading `text` from inside `quote` (None: none open)."""
    escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quote != "'":
            escaped = True
        elif quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            # a comment ends the line; quotes inside it do not open anything
            break
    return quote


def _unquoted(text: str) -> str:
    """`text` with quoted spans blanked (for searching operators)."""
    out = []
    quote = None
    for ch in text:
        if quote:
            out.append(" ")
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def split_commands(line: str) -> list[str]:
    """The simple commands of one logical line, split at && || ; | & and newlines outside quotes."""
    parts: list[str] = []
    buf: list[str] = []
    quote = None
    subst = 0  # depth inside $( ... )
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if quote:
            buf.append(ch)
            if ch == "\\" and quote == '"' and i + 1 < n:
                buf.append(line[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch == "\\" and i + 1 < n:
            buf.append(line[i : i + 2])
            i += 2
            continue
        if ch in "'\"`":
            quote = ch
            buf.append(ch)
        elif ch == "$" and line.startswith("$(", i):
            subst += 1
            buf.append("$(")
            i += 2
            continue
        elif ch == ")" and subst:
            subst -= 1
            buf.append(ch)
        elif subst:
            buf.append(ch)
        elif ch == "#" and (not buf or buf[-1].isspace()):
            break  # a comment runs to the end of the line
        elif ch in ";\n" or (ch == "&" and not _redirect_amp(line, i)) or ch == "|":
            parts.append("".join(buf))
            buf = []
            while i + 1 < n and line[i + 1] in "&|;":  # && || ;; |&
                i += 1
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return [p for p in (_strip_grouping(p) for p in parts) if p]


def _redirect_amp(line: str, i: int) -> bool:
    """`&` that belongs to a redirection (2>&1, &>file, >&2), not a separator."""
    before = line[i - 1] if i else ""
    after = line[i + 1] if i + 1 < len(line) else ""
    return before in "<>" or after == ">"


def _strip_grouping(part: str) -> str:
    """Drop subshell/group brackets around a command: `( cd x && make )`, `{ pytest; }`."""
    text = part.strip()
    while text and text[0] in "({" and not text.startswith(("{{", "((")):
        text = text[1:].lstrip()
    for opener, closer in (("(", ")"), ("{", "}")):
        surplus = text.count(closer) - text.count(opener)  # counted once, and one cut: stripping stays linear
        end = len(text)
        while surplus > 0 and end and text[end - 1] == closer and not (closer == "}" and text[end - 2 : end] == "}}"):
            end -= 1
            surplus -= 1
            while end and text[end - 1].isspace():
                end -= 1
        text = text[:end]
    return text


def tokens(command: str) -> list[str]:
    """Shell words with quotes removed; `$(...)`, backticks and `${...}` stay whole, as written."""
    out: list[str] = []
    word: list[str] = []
    started = False  # a word may be empty ("") yet present
    i, n = 0, len(command)
    while i < n:
        ch = command[i]
        if ch.isspace():
            if started:
                out.append("".join(word))
                word, started = [], False
            i += 1
            continue
        if ch == "#" and not started:
            break  # a comment
        started = True
        if ch == "\\" and i + 1 < n:
            word.append(command[i + 1])
            i += 2
        elif ch == "'":
            end = command.find("'", i + 1)
            end = n if end < 0 else end
            word.append(command[i + 1:end])
            i = end + 1
        elif ch == '"':
            i = _double_quoted(command, i + 1, word)
        elif ch == "`" or command.startswith(("$(", "${"), i):
            end = _span_end(command, i)
            word.append(command[i:end])
            i = end
        elif ch == "(" and _ARRAY_ASSIGNMENT.match("".join(word)):  # args+=(--flag "$X"): one word
            end = _span_end("$" + command[i:], 0) - 1 + i
            word.append(command[i:end])
            i = end
        else:
            word.append(ch)
            i += 1
    if started:
        out.append("".join(word))
    return out


def _double_quoted(command: str, i: int, word: list[str]) -> int:
    """Append a double-quoted string's value (escapes applied, substitutions kept); the index after it."""
    n = len(command)
    while i < n and command[i] != '"':
        if command[i] == "\\" and i + 1 < n and command[i + 1] in '"\\$`':
            word.append(command[i + 1])
            i += 2
        elif command[i] == "`" or command.startswith(("$(", "${"), i):
            end = _span_end(command, i)
            word.append(command[i:end])
            i = end
        else:
            word.append(command[i])
            i += 1
    return i + 1


def _span_end(command: str, i: int) -> int:
    """The index after a `$(...)`, `${...}` or backtick span starting at i (nesting and quotes respected)."""
    n = len(command)
    if command[i] == "`":
        end = i + 1
        while end < n and command[end] != "`":
            end += 2 if command[end] == "\\" else 1
        return min(end + 1, n)
    opener, closer = ("(", ")") if command[i + 1] == "(" else ("{", "}")
    depth, j, quote = 0, i + 1, None
    while j < n:
        ch = command[j]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == opener:
            depth += 1
        elif ch == closer:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return n


def substitutions(command: str) -> list[str]:
    """The commands inside top-level `$(...)` and backticks (arithmetic `$((...))` is not a command)."""
    found = []
    i, n, quote = 0, len(command), None
    while i < n:
        ch = command[i]
        if quote == "'":
            quote = None if ch == "'" else quote
        elif ch == "'" and quote is None:
            quote = "'"
        elif ch == '"':
            quote = None if quote == '"' else '"'
        elif ch == "\\":
            i += 1
        elif ch == "`" or (command.startswith("$(", i) and not command.startswith("$((", i)):
            end = _span_end(command, i)
            found.append(command[i + 1:end - 1] if ch == "`" else command[i + 2:end - 1])
            i = end
            continue
        i += 1
    return [f for f in found if f.strip()]


def words(command: str) -> list[str]:
    """The words of one simple command, without redirections and leading control keywords."""
    out: list[str] = []
    skip_next = False
    for token in tokens(command):
        if skip_next:
            skip_next = False
            continue
        if _REDIRECT_ALONE.match(token):
            skip_next = True
            continue
        if _REDIRECT_ATTACHED.match(token):
            continue
        out.append(token)
    while out and out[0] in _CONTROL_PREFIX:
        out.pop(0)
    if out and out[0] in _CONTROL_ONLY:
        return []
    if out and (out[0] in {"for", "case", "select", "function"} or re.match(r"^[\w.-]+\(\)$", out[0])):
        return []  # loop/case headers and function definitions: their bodies are read as lines of their own
    return out


def is_assignment(word: str) -> bool:
    return bool(_ASSIGNMENT.match(word))
