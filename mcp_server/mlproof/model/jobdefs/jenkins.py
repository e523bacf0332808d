"""Jenkinsfiles (declarative, and the common scripted forms), read with a small scanner.

The scanner masks comments and string contents, so braces and keywords are
only seen in code; string values are then read back from the original text.
Each `stage('name') { ... }` becomes a Job carrying the pipeline's triggers;
`sh`/`bat`/`powershell` calls become Steps. Builds on SCM changes are the
default (a multibranch pipeline or a webhook, configured on the server).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from mlproof.model.jobs import Job, Step, Trigger
from mlproof.model.repofiles import RepoFiles
from mlproof.model.shell import logical_lines

SYSTEM = "jenkins"
JENKINSFILE = re.compile(r"(?:^|/)(?:Jenkinsfile[^/]*|[^/]+\.jenkinsfile)$", re.I)
MAX_JENKINSFILE = 256_000  # real Jenkinsfiles are a few kB; a larger one is generated or hostile
PUSH_DETAIL = "SCM change build (multibranch pipeline or webhook, configured on the server)"
_STRING = r"(?:'''|\"\"\"|'|\")"
_STEP_CALL = re.compile(
    r"\b(sh|bat|powershell|pwsh)\b\s*\(?\s*(?:\w+\s*:\s*(?:'[^'\n]*'|\"[^\"\n]*\"|\w+)\s*,\s*)*(?:script\s*:\s*)?(?=" + _STRING + ")")
_STAGE = re.compile(r"\bstage\s*\(\s*(?=['\"])")
_TRIGGER_CALL = re.compile(
    r"\b(cron|pollSCM|parameterizedCron|upstream|githubPush|gitlab|GenericTrigger|bitbucketPush)\b\s*(\(|\s(?=['\"]))")
TRIGGER_KIND = {"cron": "schedule", "parameterizedCron": "schedule", "pollSCM": "push", "githubPush": "push",
                "bitbucketPush": "push", "gitlab": "push", "upstream": "upstream", "GenericTrigger": "other"}
_DISABLED_WHEN = re.compile(r"\bwhen\s*\{\s*expression\s*\{\s*(?:return\s+)?false\s*\}\s*\}")
_TRIGGERED_BY = re.compile(r"\btriggeredBy\s*(?:\(\s*)?(?:cause\s*:\s*)?")
_DOCKER_IMAGE = re.compile(r"\bdocker\s*(?:\{[^{}]*?\bimage\s*(?:\(\s*)?|\s)(?=['\"])")
_BRACE = re.compile(r"[{}]")
_MASK_START = re.compile(r"//|/\*|['\"]")
CAUSE_KIND = {"timertrigger": "schedule", "useridcause": "manual", "upstreamcause": "upstream", "scmtrigger": "push",
              "branchindexingcause": "push", "branchevent": "push"}


@dataclass(frozen=True)
class _Literal:
    start: int  # index of the opening quote
    end: int  # index after the closing quote
    value: str


def parse(source: RepoFiles) -> list[Job]:
    jobs = []
    for rel in source.matching(JENKINSFILE):
        text = source.text(rel, MAX_JENKINSFILE)
        if text:
            jobs.extend(_Jenkinsfile(rel, text).jobs())
    return jobs


class _Jenkinsfile:
    def __init__(self, rel: str, text: str):
        self.rel = rel
        self.text = text
        self.masked, literals = _mask(text)
        self.literals = {lit.start: lit for lit in literals}
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.block_ends = _block_ends(self.masked)
        self.stages = self._stages()  # sorted by start; nested or disjoint, as braces are
        self.parents = _innermost(self.stages, [start for _, start, _ in self.stages], strict=True)

    def line(self, index: int) -> int:
        return bisect.bisect_right(self.line_starts, index)

    def literal_at(self, index: int) -> _Literal | None:
        while index < len(self.masked) and self.masked[index].isspace():
            index += 1
        return self.literals.get(index)

    def own(self, pattern: re.Pattern[str]) -> dict[int, re.Match[str]]:
        """Stage index (-1: outside every stage) -> the first match of `pattern` in that stage's own code,
        not in a nested stage: a stage's `when`/`agent` is not its child's."""
        matches = list(pattern.finditer(self.masked))
        owners = _innermost(self.stages, [m.start() for m in matches])
        out: dict[int, re.Match[str]] = {}
        for owner, match in zip(owners, matches):
            out.setdefault(owner, match)
        return out

    def jobs(self) -> list[Job]:
        triggers = self._triggers()
        images = {owner: self._literal_after(match) for owner, match in self.own(_DOCKER_IMAGE).items()}
        causes = {owner: self._literal_after(match) for owner, match in self.own(_TRIGGERED_BY).items()}
        disabled = self.own(_DISABLED_WHEN)
        calls = [m for m in _STEP_CALL.finditer(self.masked) if self.literal_at(m.end())]
        by_stage: dict[int, list[Step]] = {}
        for owner, match in zip(_innermost(self.stages, [m.start() for m in calls]), calls):
            literal = self.literal_at(match.end())
            name = self.stages[owner][0] if owner >= 0 else ""
            image = (images.get(owner) if owner >= 0 else "") or images.get(-1, "")
            first, value = self.line(literal.start), literal.value
            if value.startswith("\n"):  # sh """<newline>...: the script starts on the next line
                first, value = first + 1, value[1:]
            for line, command in logical_lines(value, first):
                by_stage.setdefault(owner, []).append(Step(command, self.rel, line, name=name, image=image))
        has_children = set(self.parents)
        jobs = []
        for index, (name, start, _) in enumerate(self.stages):
            if index in by_stage or index not in has_children:
                jobs.append(Job(SYSTEM, name, self.rel, self.line(start), _restrict(triggers, causes.get(index, "")),
                                by_stage.get(index, []), disabled=index in disabled))
        if -1 in by_stage or not jobs:
            jobs.append(Job(SYSTEM, "pipeline", self.rel, 1, triggers, by_stage.get(-1, [])))
        return jobs

    def _literal_after(self, match: re.Match[str]) -> str:
        literal = self.literal_at(match.end())
        return literal.value if literal else ""

    def _triggers(self) -> list[Trigger]:
        triggers = []
        for match in _TRIGGER_CALL.finditer(self.masked):
            name = match.group(1)
            literal = self.literal_at(match.end())
            value = literal.value.strip() if literal else ""
            if name == "upstream":
                named = re.search(r"upstreamProjects\s*:\s*", self.masked[match.end():match.end() + 300])
                named_literal = self.literal_at(match.end() + named.end()) if named else None
                value = named_literal.value if named_literal else value
            kind = TRIGGER_KIND[name]
            if kind == "schedule" and not value:
                continue
            detail = {"pollSCM": f"pollSCM {value} (polls the repository; builds only on changes)",
                      "upstream": f"after {value}"}.get(name, value or name)
            triggers.append(Trigger(kind, self.rel, self.line(match.start()), detail))
        triggers.append(Trigger("push", self.rel, None, PUSH_DETAIL))
        return triggers

    def _stages(self) -> list[tuple[str, int, int]]:
        """(name, start, end) of every stage block, by character index."""
        out = []
        for match in _STAGE.finditer(self.masked):
            literal = self.literal_at(match.end())
            if not literal:
                continue
            brace = self.masked.find("{", literal.end)
            if brace < 0 or self.masked[literal.end:brace].strip(" )\t\n"):
                continue
            out.append((literal.value, match.start(), self.block_ends.get(brace, len(self.masked))))
        return out


def _restrict(triggers: list[Trigger], cause: str) -> list[Trigger]:
    """`when { triggeredBy 'TimerTrigger' }` keeps only the matching trigger kind."""
    kind = next((k for name, k in CAUSE_KIND.items() if name in cause.lower()), None)
    return [t for t in triggers if t.kind == kind] if kind else triggers


def _block_ends(masked: str) -> dict[int, int]:
    """Index of each `{` -> index after its matching `}` (one pass; an unclosed block runs to the end)."""
    ends: dict[int, int] = {}
    stack: list[int] = []
    for match in _BRACE.finditer(masked):
        if match.group() == "{":
            stack.append(match.start())
        elif stack:
            ends[stack.pop()] = match.end()
    return ends


def _innermost(stages: list[tuple[str, int, int]], positions: list[int], strict: bool = False) -> list[int]:
    """For each position, the index of the innermost stage holding it (-1 for none), in one sweep.
    `strict`: a stage's own start position belongs to its parent (to find parents)."""
    order = sorted(range(len(positions)), key=positions.__getitem__)
    owners = [-1] * len(positions)
    stack: list[int] = []
    next_stage = 0
    for index in order:
        position = positions[index]
        while next_stage < len(stages) and (stages[next_stage][1] < position or
                                            (not strict and stages[next_stage][1] == position)):
            while stack and stages[stack[-1]][2] <= stages[next_stage][1]:
                stack.pop()
            stack.append(next_stage)
            next_stage += 1
        while stack and stages[stack[-1]][2] <= position:
            stack.pop()
        owners[index] = stack[-1] if stack else -1
    return owners


def _mask(text: str) -> tuple[str, list[_Literal]]:
    """The text with comments and string contents blanked (newlines kept), and the string literals."""
    out = list(text)
    literals: list[_Literal] = []
    i, n = 0, len(text)
    while True:
        found = _MASK_START.search(text, i)
        if not found:
            break
        i = found.start()
        if text.startswith("//", i):
            if i and text[i - 1] == ":":  # the // of a URL outside strings
                i += 2
                continue
            end = text.find("\n", i)
            end = n if end < 0 else end
            _blank(out, i, end)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            _blank(out, i, end)
            i = end
        else:
            ch = text[i]
            quote = text[i : i + 3] if text.startswith(ch * 3, i) else ch
            end = _string_end(text, i + len(quote), quote)
            literals.append(_Literal(i, end, text[i + len(quote) : end - len(quote)]))
            _blank(out, i + len(quote), end - len(quote))
            i = end
    return "".join(out), literals


def _string_end(text: str, i: int, quote: str) -> int:
    """Index after the closing quote; an unterminated one-line string ends at its line, a triple-quoted one at the end."""
    body = _STRING_BODY[quote].match(text, i)
    end = body.end()
    return end + len(quote) if text.startswith(quote, end) else end


def _blank(out: list[str], start: int, end: int) -> None:
    out[start:end] = _NOT_NEWLINE.sub(" ", "".join(out[start:end]))


# String bodies: escapes skip a character; a one-line string stops at a newline, a triple-quoted one
# at three quotes.
_STRING_BODY = {
    q: re.compile(rf"(?:[^\\{q}\n]|\\[\s\S])*") for q in ("'", '"')
} | {
    q * 3: re.compile(rf"(?:[^\\{q}]|\\[\s\S]|{q}(?!{q}{q}))*") for q in ("'", '"')
}
_NOT_NEWLINE = re.compile(r"[^\n]")
