"""Jenkinsfiles (declarative, and the common scripted forms), read with a small scanner.

The scanner masks comments and string contents, so braces and keywords are
only seen in code; string values are then read back from the original text.
Each `stage('name') { ... }` becomes a Job carrying the pipeline's triggers;
`sh`/`bat`/`powershell` calls become Steps. Builds on SCM changes are the
default (a multibranch pipeline or a webhook, configured on the server).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlproof.model.jobs import Job, Step, Trigger
from mlproof.model.repofiles import RepoFiles
from mlproof.model.shell import logical_lines

SYSTEM = "jenkins"
JENKINSFILE = re.compile(r"(?:^|/)(?:Jenkinsfile[^/]*|[^/]+\.jenkinsfile)$", re.I)
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
        text = source.text(rel)
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

    def line(self, index: int) -> int:
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:  # binary search: the last line start <= index
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= index:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def literal_at(self, index: int) -> _Literal | None:
        while index < len(self.masked) and self.masked[index].isspace():
            index += 1
        return self.literals.get(index)

    def jobs(self) -> list[Job]:
        triggers = self._triggers()
        stages = self._stages()
        default_image = self._image(0, len(self.masked))
        by_stage: dict[int, list[Step]] = {}
        for match in _STEP_CALL.finditer(self.masked):
            literal = self.literal_at(match.end())
            if not literal:
                continue
            owner = min((s for s in stages if s[1] <= match.start() < s[2]), key=lambda s: s[2] - s[1], default=None)
            key = owner[1] if owner else -1
            image = (self._image(owner[1], owner[2]) if owner else "") or default_image
            first, value = self.line(literal.start), literal.value
            if value.startswith("\n"):  # sh """<newline>...: the script starts on the next line
                first, value = first + 1, value[1:]
            for line, command in logical_lines(value, first):
                by_stage.setdefault(key, []).append(Step(command, self.rel, line, name=owner[0] if owner else "", image=image))
        jobs = []
        for name, start, end in stages:
            block = self.masked[start:end]
            own = _restrict(triggers, start, end, self)
            disabled = bool(_DISABLED_WHEN.search(_outer(block)))
            if start in by_stage or not any(s[1] > start and s[2] <= end for s in stages if s[1] != start):
                jobs.append(Job(SYSTEM, name, self.rel, self.line(start), own, by_stage.get(start, []), disabled=disabled))
        if -1 in by_stage or not jobs:
            jobs.append(Job(SYSTEM, "pipeline", self.rel, 1, triggers, by_stage.get(-1, [])))
        return jobs

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
            out.append((literal.value, match.start(), _block_end(self.masked, brace)))
        return out

    def _image(self, start: int, end: int) -> str:
        match = _DOCKER_IMAGE.search(_outer(self.masked[start:end]))
        literal = self.literal_at(start + match.end()) if match else None
        return literal.value if literal else ""


def _restrict(triggers: list[Trigger], start: int, end: int, jenkinsfile: _Jenkinsfile) -> list[Trigger]:
    """`when { triggeredBy 'TimerTrigger' }` keeps only the matching trigger kind."""
    match = _TRIGGERED_BY.search(_outer(jenkinsfile.masked[start:end]))
    literal = jenkinsfile.literal_at(start + match.end()) if match else None
    cause = literal.value.lower() if literal else ""
    kind = next((k for name, k in CAUSE_KIND.items() if name in cause), None)
    return [t for t in triggers if t.kind == kind] if kind else triggers


def _outer(block: str) -> str:
    """The block with nested stage blocks blanked, so a stage's own `when`/`agent` is not its child's."""
    out = list(block)
    for match in _STAGE.finditer(block, 1):
        brace = block.find("{", match.end())
        if brace > 0:
            end = _block_end(block, brace)
            out[match.start():end] = " " * (end - match.start())
    return "".join(out)


def _block_end(masked: str, brace: int) -> int:
    depth = 0
    for index in range(brace, len(masked)):
        ch = masked[index]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(masked)


def _mask(text: str) -> tuple[str, list[_Literal]]:
    """The text with comments and string contents blanked (newlines kept), and the string literals."""
    out = list(text)
    literals: list[_Literal] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if text.startswith("//", i) and (i == 0 or text[i - 1] != ":"):  # not the // of a URL outside strings
            end = text.find("\n", i)
            end = n if end < 0 else end
            _blank(out, i, end)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            _blank(out, i, end)
            i = end
        elif ch in "'\"":
            quote = text[i : i + 3] if text.startswith(ch * 3, i) else ch
            end = _string_end(text, i + len(quote), quote)
            literals.append(_Literal(i, end, text[i + len(quote) : end - len(quote)]))
            _blank(out, i + len(quote), end - len(quote))
            i = end
        else:
            i += 1
    return "".join(out), literals


def _string_end(text: str, i: int, quote: str) -> int:
    n = len(text)
    while i < n:
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(quote, i):
            return i + len(quote)
        if len(quote) == 1 and text[i] == "\n":
            return i  # an unterminated one-line string ends at the line
        i += 1
    return n


def _blank(out: list[str], start: int, end: int) -> None:
    for index in range(start, end):
        if out[index] != "\n":
            out[index] = " "
