"""Docs and comments as statements: does the text say the repository *does* something?

A practice named in prose is one of:
- `affirm`: the text describes what the repository does ("Training runs are
  tracked in MLflow");
- `plan`: future work, a TODO, an unchecked box, a section called Roadmap;
- `negate`: "we don't version data", "no drift monitoring yet", "without a
  registry";
- `name`: the tool is only named: a bare list item or table cell, a badge, a
  link or URL, an install command, a word inside a longer word.

Only `affirm` can credit a check (at most partially: saying is not doing). The
classification looks at the sentence holding the match and the heading the
line sits under, nothing more, so it costs nothing for lines without matches.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Literal

StatementKind = Literal["affirm", "plan", "negate", "name"]

# Headings under which everything is a plan (or a wish), whatever the sentence says.
PLAN_HEADING = re.compile(
    r"(?i)\b(?:future(?: work| improvements?| plans?| steps| directions)?|roadmap|to ?do|todos|next steps?|planned|"
    r"upcoming|wish ?list|backlog|ideas?|improvements?|what'?s next|coming soon|possible extensions?|"
    r"further work|open (?:issues|questions)|not (?:yet )?(?:implemented|covered|done))\b"
)
PLAN_WORDS = re.compile(
    r"(?i)\b(?:todo|tbd|fixme|xxx|future work|in the future|roadmap|planned|plan(?:s|ning)? to|we plan|"
    r"(?:we|i|they|team) will|will be (?:added|implemented|done|introduced|supported|available|set up|configured|created|integrated|automated)|"
    r"will (?:add|support|implement|integrate|introduce|set up|build|enable|create|write|include|move|switch)\w*|(?:want|wants|wanted|hope|hoping|intend|aim) to|we want|"
    r"coming(?! from)|soon|not yet|next (?:step|steps|quarter|month|year|sprint|release|version|phase)|wip|work in progress|"
    r"to be (?:added|implemented|done|defined|decided)|would|could (?:be|add|use)|should|might|eventually|upcoming|"
    r"consider(?:ing)? (?:adding|using)|need(?:s|ed)? to (?:be )?(?:add|set up|implement|configur)\w*|"
    r"left (?:as|for) (?:an? )?(?:exercise|later|future)|placeholder|stub|to come)\b|^\s*[-*+]\s*\[ \]|\?\s*$"
)
NEGATION = re.compile(
    r"(?i)\b(?:no|not|never|without|lacks?|lacking|missing|none|neither|nor|isn'?t|aren'?t|doesn'?t|don'?t|didn'?t|"
    r"won'?t|wasn'?t|weren'?t|cannot|can'?t|instead of|rather than|disabled|removed|deprecated|absent|unsupported|"
    r"no longer|n't)\b"
)
# A capability or an example list: what a tool *can* do, not what this repository does.
CAPABILITY = re.compile(
    r"(?i)\b(?:such as|e\.g\.|for example|for instance|including|allow(?:s|ing)? (?:for|you|users?)|enabl(?:e|es|ing) (?:you|users?|easy)|"
    r"can be (?:used|configured|extended|added)|(?:the )?ability to|capable of|offers?|lets? you|makes? it easy|easy to|easily)\b"
)
URL = re.compile(r"https?://\S+|www\.\S+|\]\([^)]*\)|<img\b[^>]*>|!\[[^\]]*\]\([^)]*\)|\[!\[")
INSTALL = re.compile(r"(?i)\b(?:pip3? install|conda install|poetry add|uv add|uv pip install|pipx install|npm install|brew install|apt(?:-get)? install)\b")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")
TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
SENTENCE_END = re.compile(r"[.!?;](?:\s|$)|\s[-–—]\s")
MARKUP = re.compile(r"[`*_#>\[\]()|:]+")
HEADING_MD = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
HEADING_RST = re.compile(r"^\s*([=\-~^\"'`#*+])\1{2,}\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
COMMENT_MARK = re.compile(r"^\s*(?:#+|//+|/\*+|\*+|--|<!--)\s?")


@dataclass(frozen=True)
class Statement:
    kind: StatementKind
    reason: str  # what decided it, in words: "a plan (TODO)", "under the heading 'Roadmap'" ...

    @property
    def credits(self) -> bool:
        return self.kind == "affirm"


class DocContext:
    """Headings and fenced blocks of one text, found once, looked up by line."""

    def __init__(self, text: str):
        self.heading_lines: list[int] = []
        self.headings: list[str] = []
        self.fenced: list[tuple[int, int]] = []
        lines = text.split("\n")
        fence_start = None
        previous = ""
        for number, line in enumerate(lines, start=1):
            if FENCE.match(line):
                if fence_start is None:
                    fence_start = number
                else:
                    self.fenced.append((fence_start, number))
                    fence_start = None
                previous = ""
                continue
            if fence_start is not None:
                continue
            heading = HEADING_MD.match(line)
            if heading:
                self._heading(number, heading.group(2))
            elif HEADING_RST.match(line) and previous.strip() and not HEADING_RST.match(previous):
                self._heading(number - 1, previous.strip())
            previous = line
        if fence_start is not None:
            self.fenced.append((fence_start, len(lines)))

    def _heading(self, number: int, text: str) -> None:
        self.heading_lines.append(number)
        self.headings.append(text[:120])

    def heading_of(self, line: int) -> str | None:
        index = bisect.bisect_right(self.heading_lines, line) - 1
        return self.headings[index] if index >= 0 else None

    def in_fence(self, line: int) -> bool:
        return any(start < line < end for start, end in self.fenced)


def _sentence(line: str, start: int, end: int) -> str:
    """The clause of `line` that holds the match at [start, end)."""
    left = 0
    for found in SENTENCE_END.finditer(line, 0, start):
        left = found.end()
    right_match = SENTENCE_END.search(line, end)
    right = right_match.start() + 1 if right_match else len(line)
    return line[left:right]


def _inside_word(line: str, start: int, end: int) -> bool:
    """`on-call` inside "function-calling": letters or digits glued to either end of the match."""
    before = line[start - 1] if start > 0 else " "
    after = line[end] if end < len(line) else " "
    glued_before = before.isalnum() or (before == "-" and start > 1 and line[start - 2].isalnum())
    glued_after = after.isalnum() or (after == "-" and end + 1 < len(line) and line[end + 1].isalnum())
    first, last = line[start:start + 1], line[end - 1:end]
    return (glued_before and first.isalnum()) or (glued_after and last.isalnum())


def _only_names(line: str) -> bool:
    """A list item or table cell that names things without saying what the repository does with them."""
    body = LIST_ITEM.sub("", line)
    if TABLE_ROW.match(line):
        cells = [cell.strip() for cell in body.strip().strip("|").split("|")]
        return all(len(MARKUP.sub(" ", cell).split()) <= 4 for cell in cells)
    if LIST_ITEM.match(line) or re.match(r"^\s*[\w .+/-]{1,40}:\s", body):
        words = MARKUP.sub(" ", URL.sub(" ", body)).split()
        return len(words) <= 4
    return False


def classify(line: str, start: int, end: int, *, context: DocContext | None = None, line_number: int | None = None,
             comment: bool = False) -> Statement:
    """What the text around the match [start, end) of `line` says about the practice."""
    if comment:
        stripped = COMMENT_MARK.sub("", line, count=1)
        shift = len(line) - len(stripped)
        line, start, end = stripped, max(start - shift, 0), max(end - shift, 0)
    if _inside_word(line, start, end):
        return Statement("name", "part of a longer word")
    for url in URL.finditer(line):
        if url.start() <= start and end <= url.end():
            return Statement("name", "inside a link or URL")
    if "](" in line and len(MARKUP.sub(" ", URL.sub(" ", line)).split()) <= 3:
        return Statement("name", "a badge or link")
    if context is not None and line_number is not None:
        if context.in_fence(line_number):
            if INSTALL.search(line):
                return Statement("name", "an install command")
            return Statement("affirm", "an instruction in the docs")  # a command the reader runs on this repository
        heading = context.heading_of(line_number - 1)  # the heading above, not the line itself
        if heading and PLAN_HEADING.search(heading) and not HEADING_MD.match(line):
            return Statement("plan", f"under the heading '{heading[:60]}'")
    if INSTALL.search(line):
        return Statement("name", "an install command")
    sentence = _sentence(line, start, end)
    plan = PLAN_WORDS.search(sentence) or PLAN_WORDS.search(line[: max(start, 0)])
    if plan or (LIST_ITEM.match(line) and re.match(r"^\s*[-*+]\s*\[ \]", line)):
        return Statement("plan", f"a plan ({(plan.group(0).strip() if plan else 'unchecked box')[:40]})")
    negation = NEGATION.search(sentence)
    if negation:
        return Statement("negate", f"a negation ({negation.group(0)[:30]})")
    capability = CAPABILITY.search(sentence)
    if capability:
        return Statement("name", f"a capability or example list ({capability.group(0)[:30]})")
    if not comment and _only_names(line):
        return Statement("name", "only named in a list")
    return Statement("affirm", "describes the repository")
