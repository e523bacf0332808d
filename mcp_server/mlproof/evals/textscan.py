"""Small, explicit text scanners the graders share: sections, code blocks, paths, numbers."""

from __future__ import annotations

import re

HEADING = re.compile(r"^[ \t]{0,3}(#{1,6}[ \t]+.+|\*\*[^*\n]+\*\*[ \t]*:?[ \t]*$|[A-Z][\w /&'()-]{1,60}:[ \t]*$)", re.MULTILINE)
FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)
# Thousands separators are read ("14,751" is one number); a comma not followed by exactly three digits separates.
NUMBER = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE]-?\d+)?%?(?!\.?\w)")
# A file path: directories plus a name with a project-file extension, or well-known
# extension-less files. The extension list keeps module names (mlflow.sklearn) out.
FILE_EXTENSIONS = "py|ipynb|ya?ml|csv|parquet|jsonl?|toml|txt|md|cfg|ini|sh|sql|lock|tf|dvc|pkl|joblib|env|html|r|R|scala|java|go|ts|js"
PATH = re.compile(
    r"(?<![\w/.:-])((?:\.{0,2}/)?(?:[\w.-]+/)*(?:[\w-][\w.-]*\.(?:" + FILE_EXTENSIONS + r")|Dockerfile|Makefile|MLproject))"
    r"(?:#cell(\d+))?(?::(\d+))?(?![\w/])"
)
# Words that introduce a file the answer proposes to create rather than one it found.
SUGGESTION = re.compile(
    r"\b(add|adding|create|creating|new|introduce|write|move|moved|moving|extract|extracted|replace|instead|"
    r"e\.g\.|such as|for example|example|consider|would|could|should)\b",
    re.IGNORECASE,
)
URL = re.compile(r"https?://\S+")


def phrase_pattern(phrase: str) -> re.Pattern:
    """Case-insensitive match of a phrase on word edges; `re:` prefixes a raw regular expression."""
    if phrase.startswith("re:"):
        return re.compile(phrase[3:], re.IGNORECASE)
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(phrase) + r"(?![A-Za-z0-9])", re.IGNORECASE)


def find_phrase(text: str, phrases: list[str]) -> str | None:
    """The first phrase (of synonyms) found in the text, or None."""
    for phrase in phrases:
        if phrase_pattern(phrase).search(text):
            return phrase
    return None


def headings(text: str) -> list[str]:
    """Section titles: Markdown headings, bold-only lines and short 'Title:' lines."""
    return [m.group(1).strip("#*: \t") for m in HEADING.finditer(text)]


def code_blocks(text: str) -> list[str]:
    return FENCE.findall(text)


def prose(text: str) -> str:
    """The answer without its fenced code blocks."""
    return FENCE.sub("", text)


def word_count(text: str) -> int:
    """Words outside fenced code blocks (table pipes and Markdown markers are not words)."""
    return len(re.findall(r"[A-Za-z0-9][\w'’.,%/@:+-]*", prose(text)))


def parse_number(token: str) -> tuple[float, int, bool]:
    """(value, decimals shown, was a percentage)."""
    percent = token.endswith("%")
    core = token.rstrip("%").replace(",", "")
    decimals = len(core.split(".")[1]) if "." in core and "e" not in core.lower() else 0
    return float(core), decimals, percent


def numbers(text: str) -> list[str]:
    return NUMBER.findall(text)


def matches_value(token: str, truth: float, tolerance: float) -> bool:
    """Does a number as written agree with the truth, allowing for rounding and percent notation?"""
    value, decimals, percent = parse_number(token)
    candidates = [value / 100.0] if percent else [value]
    if not percent and abs(truth) <= 1.0 and 1.0 < abs(value) <= 100.0:
        candidates.append(value / 100.0)  # "95.3 accuracy" meaning 95.3 %
    shown = 0.5 * 10 ** (-decimals) + 1e-12  # what rounding to the shown decimals can hide
    if percent or (candidates[-1] != value):
        shown /= 100.0
    slack = max(tolerance, shown)
    return any(abs(c - truth) <= slack for c in candidates)


def cited_paths(text: str) -> list[tuple[str, int | None, int | None, str]]:
    """(path, notebook cell or None, line or None, the line it was cited on) for file references the
    answer presents as found (`path`, `path:line`, `notebook.ipynb#cell3:2`).

    A `path:line` reference is always a citation. A bare path counts unless the
    line proposes creating it ("add a `dvc.yaml`"), because recommending a new
    file is not a claim that it exists.
    """
    found: list[tuple[str, int | None, int | None, str]] = []
    for raw_line in prose(text).splitlines():
        line = URL.sub("", raw_line)
        for match in PATH.finditer(line):
            path, cell, number = match.group(1), match.group(2), match.group(3)
            if number is None and cell is None and SUGGESTION.search(line):
                continue
            if re.fullmatch(r"[\d.]+", path.split("/")[-1].rsplit(".", 1)[0] or "0"):
                continue  # version numbers such as 2.9.0
            found.append((path, int(cell) if cell else None, int(number) if number else None, raw_line.strip()))
    return found
