"""Deterministic graders: each assertion type is one function answer -> (passed, why).

Every grader explains itself in one sentence, pass or fail, and quotes what it
found, so a reader can check the grade without rerunning it. Facts (drift
statistics, run metrics, check statuses) come from `Facts`, i.e. from running
mlproof's engines, never from the answer or the transcript under test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from mlproof.errors import MlproofError
from mlproof.evals import textscan
from mlproof.evals.facts import Facts, numbers_in
from mlproof.evals.models import AssertionResult, AssertionSpec, Scenario, Transcript

NEGATION = re.compile(r"\b(no|not|none|never|missing|lacks?|lacking|absent|without|doesn't|does not|isn't|is not|cannot find|fails?|failing|gap)\b", re.IGNORECASE)


@dataclass
class GradeContext:
    scenario: Scenario
    transcript: Transcript
    prompt: str
    facts: Facts

    @property
    def answer(self) -> str:
        return self.transcript.answer


Grader = Callable[[dict, GradeContext], tuple[bool, str]]
GRADERS: dict[str, Grader] = {}


def grader(name: str):
    def register(fn: Grader) -> Grader:
        GRADERS[name] = fn
        return fn
    return register


def _quote(line: str, limit: int = 120) -> str:
    line = " ".join(line.split())
    return f"“{line[:limit]}{'…' if len(line) > limit else ''}”"


def _synonym_groups(items: list) -> list[list[str]]:
    """`[a, [b, c]]` -> [[a], [b, c]]: each item is a phrase or a list of synonyms."""
    return [[i] if isinstance(i, str) else list(i) for i in items]


# -- structure and wording ----------------------------------------------------

@grader("sections")
def sections(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    """Required sections: a heading (or bold/“Title:” line) containing one of each group's names."""
    titles = textscan.headings(ctx.answer)
    missing = [group[0] for group in _synonym_groups(options["sections"]) if not any(textscan.find_phrase(t, group) for t in titles)]
    if missing:
        return False, f"missing section(s) {', '.join(missing)}; headings found: {', '.join(titles) or 'none'}"
    return True, f"all {len(options['sections'])} required sections present"


@grader("word_count")
def word_count(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    """The answer fits its length: at most `max` (and at least `min`) words outside code blocks."""
    words = textscan.word_count(ctx.answer)
    most, least = int(options.get("max", 10**9)), int(options.get("min", 0))
    if words > most:
        return False, f"{words} words outside code blocks, over the limit of {most}"
    if words < least:
        return False, f"{words} words outside code blocks, under the minimum of {least}"
    return True, f"{words} words outside code blocks (limit {most})"


@grader("mentions")
def mentions(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    """Each group must be mentioned (any synonym); `min` lowers how many groups are needed."""
    groups = _synonym_groups(options["items"])
    hits = {g[0]: textscan.find_phrase(ctx.answer, g) for g in groups}
    found = [k for k, v in hits.items() if v]
    needed = int(options.get("min", len(groups)))
    if len(found) >= needed:
        return True, f"mentions {len(found)}/{len(groups)} (needed {needed}): {', '.join(found)}"
    missing = [k for k, v in hits.items() if not v]
    return False, f"mentions {len(found)}/{len(groups)} (needed {needed}); missing: {', '.join(missing)}"


@grader("must_not_mention")
def must_not_mention(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    for phrase in options["items"]:
        pattern = textscan.phrase_pattern(phrase)
        for line in ctx.answer.splitlines():
            if pattern.search(line):
                reason = options.get("why", "it should not appear")
                return False, f"says {phrase!r} ({reason}): {_quote(line)}"
    return True, f"none of {len(options['items'])} forbidden phrases appear"


@grader("no_deprecated_api")
def no_deprecated_api(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    """No deprecated API in the answer's code blocks (the list `mlproof lint` uses: lint/deprecated_apis.yaml)."""
    from mlproof.lint import lint_text, load_rules

    blocks = textscan.code_blocks(ctx.answer)
    if options.get("require_code") and not blocks:
        return False, "the answer has no code block, but this scenario asks for code"
    # An answer cannot excuse its own code: deprecated-example markers count only in the skill pack.
    findings = lint_text(ctx.answer, "markdown", path="answer", honour_markers=False)
    if findings:
        first = findings[0]
        return False, f"code uses deprecated {first.rule} ({_quote(first.match, 60)}): {first.instead}"
    return True, f"{len(blocks)} code block(s), no deprecated API among {len(load_rules())} known"


# -- evidence -----------------------------------------------------------------

def _fixture_relative(path: str, fixture: Path) -> str:
    """Strip what points at the fixture itself (absolute path, evals/fixtures/<name>/, ./)."""
    for prefix in (str(fixture) + "/", f"evals/fixtures/{fixture.name}/", f"{fixture.name}/", "./"):
        if path.startswith(prefix):
            path = path[len(prefix):]
    return path


def _line_count(path: Path, cell: int | None = None) -> int:
    """Lines in a file, or in one (1-based) cell of a notebook; 0 when it does not exist."""
    try:
        if cell is not None:
            import json

            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            if not 1 <= cell <= len(cells):
                return 0
            source = cells[cell - 1].get("source", "")
            return len("".join(source).splitlines()) if isinstance(source, list) else len(source.splitlines())
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except (OSError, ValueError):
        return 0


@grader("cited_files_exist")
def cited_files_exist(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    """Every file the answer cites exists in the fixture, and every cited cell and line exists in it."""
    fixture = ctx.facts.fixture
    if fixture is None:
        raise MlproofError(f"Scenario {ctx.scenario.id} uses cited_files_exist but has no fixture.")
    citations = textscan.cited_paths(ctx.answer)
    if not citations:
        if options.get("require", False):
            return False, "cites no file of the project (evidence needs path:line)"
        return True, "cites no file"
    by_name: dict[str, list[Path]] = {}
    for file in fixture.rglob("*"):
        if file.is_file():
            by_name.setdefault(file.name, []).append(file)
    named_by_project: str | None = None  # text of the project's files, read only if needed
    for path, cell, line, where in citations:
        relative = _fixture_relative(path, fixture)
        target = fixture / relative
        if "/" not in relative and not target.is_file() and len(by_name.get(relative, [])) == 1:
            target = by_name[relative][0]  # a bare file name that is unique in the project
        if not target.is_file():
            # A path the project's own code names (an output like model.pkl, an input it reads) is a real
            # reference even when the file is not committed; with a line number it must exist.
            if line is None and cell is None:
                if named_by_project is None:
                    named_by_project = _project_text(fixture)
                if relative in named_by_project:
                    continue
            return False, f"cites {path}, which does not exist in the fixture: {_quote(where)}"
        if cell is not None and _line_count(target, cell) == 0:
            return False, f"cites {path}#cell{cell}, but the notebook has no such (non-empty) cell: {_quote(where)}"
        if line is not None and not 1 <= line <= _line_count(target, cell):
            unit = f"cell {cell} of {relative}" if cell is not None else relative
            return False, f"cites {path}:{line}, but {unit} has {_line_count(target, cell)} lines: {_quote(where)}"
    located = sum(1 for _, cell, line, _ in citations if line is not None or cell is not None)
    if options.get("require", False) and located == 0:
        return False, f"cites {len(citations)} file(s) but never a path:line"
    return True, f"{len(citations)} citation(s) checked ({located} with line or cell), all exist in the fixture"


def _project_text(fixture: Path, limit: int = 2_000_000) -> str:
    """All small text files of the fixture, concatenated (to see which paths the project names)."""
    parts, size = [], 0
    for file in sorted(fixture.rglob("*")):
        if not file.is_file() or file.suffix in (".csv", ".parquet", ".pkl", ".db"):
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        size += len(text)
        if size > limit:
            break
        parts.append(text)
    return "\n".join(parts)


def _lines_mentioning(text: str, phrases: list[str]) -> list[str]:
    patterns = [textscan.phrase_pattern(p) for p in phrases]
    return [line for line in text.splitlines() if any(p.search(line) for p in patterns)]


@grader("numbers_match")
def numbers_match(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    """Each fact's number, reported on a line naming it, agrees with what the engines compute."""
    reports = []
    for spec in options["facts"]:
        truth, origin = ctx.facts.value(spec)
        near = spec.get("near") or [spec.get("column") or spec.get("metric")]
        tolerance = float(spec.get("tolerance", 0.005))
        lines = _lines_mentioning(textscan.prose(ctx.answer), near)
        stated = [(tok, line) for line in lines for tok in textscan.numbers(line) if not tok.startswith("-") or truth < 0]
        if any(textscan.matches_value(tok, truth, tolerance) for tok, _ in stated):
            reports.append(f"{near[0]} agrees with {origin}")
            continue
        if not stated:
            if spec.get("required", True):
                return False, f"does not report a number for {near[0]} ({origin})"
            reports.append(f"{near[0]} not reported (optional)")
            continue
        tok, line = stated[0]
        return False, f"reports {tok} for {near[0]} but {origin} (tolerance {tolerance:g}): {_quote(line)}"
    return True, "; ".join(reports)


STAT_LABELS = (
    r"PSI|population stability index|KS(?: statistic)?|Kolmogorov[- ]Smirnov(?: statistic)?|p[- ]?value|p|"
    r"Wasserstein(?: distance)?|Jensen[- ]Shannon(?: distance| divergence)?|chi[- ]?squared?(?: statistic)?|"
    r"drift share|share of drifted columns|ROC[- ]AUC|AUC|val_roc_auc|val_accuracy|val_f1|val_log_loss|accuracy|F1|log[- ]loss"
)
STAT_CLAIM = re.compile(
    r"(?<![\w-])(" + STAT_LABELS + r")\s*(?:\([^)\n]{0,40}\))?\s*(?:=|:|of|is|was|≈|~|at|reads|\|)?\s*("
    + textscan.NUMBER.pattern + r")",
    re.IGNORECASE,
)


@grader("grounded_statistics")
def grounded_statistics(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    """Every statistic the answer states (“PSI = 0.31”, “p-value 0.002”, “AUC of 0.97”) was computed by
    a tool in this episode, by the engines on the fixture, or given in the prompt; otherwise it is invented."""
    for spec in options.get("facts", []):  # make sure the facts this scenario is about were computed
        ctx.facts.value(spec)
    if options.get("drift"):
        ctx.facts.drift(options["drift"]["reference"], options["drift"]["current"])
    if options.get("mlflow") and ctx.facts.tracking_uri:
        ctx.facts.runs
    known = set(ctx.facts.known)
    for call in ctx.transcript.tool_calls:
        if not call.is_error:
            known |= {textscan.parse_number(t)[0] for t in textscan.numbers(call.result)}
    known |= {textscan.parse_number(t)[0] * (0.01 if t.endswith("%") else 1) for t in textscan.numbers(ctx.prompt)}
    tolerance = float(options.get("tolerance", 0.002))
    claims = [(m.group(1), m.group(2)) for m in STAT_CLAIM.finditer(textscan.prose(ctx.answer))]
    claims = [(label, tok) for label, tok in claims if not (label.lower() == "p" and "." not in tok)]
    invented = [f"{label} {tok}" for label, tok in claims if not any(textscan.matches_value(tok, k, tolerance) for k in known)]
    if invented:
        return False, f"states {len(invented)} statistic(s) no tool or engine computed: {', '.join(invented[:5])}"
    if not claims:
        return True, "states no statistic"
    return True, f"all {len(claims)} stated statistic(s) match computed values ({len(known)} known numbers)"


@grader("names_best_run")
def names_best_run(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    """Names the run the store says is best on a metric (by run name or run id)."""
    best = ctx.facts.best_run(options["metric"], options.get("direction", "max"))
    value = best["metrics"][options["metric"]]
    tied = [r for r in ctx.facts.runs if r["metrics"].get(options["metric"]) == value]
    named = [r["name"] for r in tied if textscan.find_phrase(ctx.answer, [r["name"], r["id"]])]
    if not named:
        return False, f"does not name the best run on {options['metric']}: {best['name']} ({best['id']}) with {value:.4g}"
    return True, f"names {named[0]}, the best run on {options['metric']} ({value:.4g}, {options.get('direction', 'max')})"


@grader("drift_agrees")
def drift_agrees(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    """Names every column the drift engine flags, and calls no stable column drifted (within `columns`, if given)."""
    rows = ctx.facts.drift_columns(options["reference"], options["current"])
    if options.get("columns"):
        rows = [r for r in rows if r["column"] in options["columns"]]
    drifted = [r["column"] for r in rows if r.get("drifted")]
    stable = [r["column"] for r in rows if not r.get("drifted")]
    text = textscan.prose(ctx.answer)
    unnamed = [c for c in drifted if not textscan.find_phrase(text, [c, c.replace("_", " ")])]
    if unnamed:
        return False, f"does not name drifted column(s) {', '.join(unnamed)} (engine flags {', '.join(drifted)})"
    claim = re.compile(r"\b(drifted|has drifted|shows drift|drift detected|significant drift|shifted)\b", re.IGNORECASE)
    for column in stable:
        for line in _lines_mentioning(text, [column]):
            mentioned_drifted = [c for c in drifted if textscan.find_phrase(line, [c])]
            if claim.search(line) and not NEGATION.search(line) and not mentioned_drifted:
                return False, f"calls {column} drifted, but the engine finds it stable: {_quote(line)}"
    return True, f"names all {len(drifted)} drifted column(s) ({', '.join(drifted) or 'none'}) and calls no stable column drifted"


@grader("audit_agrees")
def audit_agrees(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    """For each listed check: a failing/partial check is named as a gap; a passing one is not called missing."""
    notes = []
    for item in options["checks"]:
        status = ctx.facts.check_status(item["id"])
        phrases = item["synonyms"]
        lines = _lines_mentioning(textscan.prose(ctx.answer), phrases)
        if status in ("fail", "partial"):
            if not lines:
                return False, f"does not mention {item['id']} ({phrases[0]}), which the audit grades {status}"
            notes.append(f"{item['id']} ({status}) named")
        elif status == "pass":
            wrong = [line for line in lines if _denies(line, phrases)]
            if wrong:
                return False, f"calls {item['id']} ({phrases[0]}) missing, but the audit finds it ({status}): {_quote(wrong[0])}"
            notes.append(f"{item['id']} (pass) not called missing")
    return True, "; ".join(notes)


DENY_BEFORE = r"\b(?:no|without|missing|lacks?|lacking|absence of|not have|n't have|never)\s+(?:[\w-]+\s+){0,3}"
DENY_AFTER = r"\s+(?:[\w-]+\s+){0,2}(?:is|are)\s+(?:\w+\s+)?(?:missing|absent|lacking|not (?:present|set up|in place|configured|used))\b"


def _denies(line: str, phrases: list[str]) -> bool:
    """Does the line say the practice is absent ("no CI pipeline", "the feature store is missing")?"""
    for phrase in phrases:
        core = phrase[3:] if phrase.startswith("re:") else re.escape(phrase)
        if re.search(DENY_BEFORE + core, line, re.IGNORECASE) or re.search(core + DENY_AFTER, line, re.IGNORECASE):
            return True
    return False


@grader("gate_agrees")
def gate_agrees(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    """The answer's done/not-done verdict matches the anti-fake-pass gate on the fixture and store."""
    verdict = ctx.facts.gate(options["claim"], model=options.get("model"), alias=options.get("alias", "champion"))
    text = textscan.prose(ctx.answer)
    blocked_words = ["blocked", "not done", "not ready", "cannot be called done", "not yet done", "is not complete", "not complete"]
    says_blocked = textscan.find_phrase(text, blocked_words)
    if verdict.verdict == "BLOCKED":
        missing = [p for p in verdict.proofs if getattr(p, "status", None) != "satisfied"]
        if not says_blocked:
            return False, f"does not say the claim is blocked/not done; the gate is BLOCKED on {len(missing)} proof(s)"
        return True, f"says {says_blocked!r}, matching the gate's BLOCKED ({len(missing)} proof(s) missing or unknown)"
    if says_blocked:
        return False, f"says {says_blocked!r}, but the gate finds every proof satisfied (PASS)"
    return True, "does not block a claim the gate passes"


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def _date_phrases(iso_day: str) -> list[str]:
    """2025-03-16 -> ["2025-03-16", "March 16", "16 March", "Mar 16", "16 Mar"]."""
    year, month, day = iso_day.split("-")
    name = MONTHS[int(month) - 1]
    return [iso_day, f"{name} {int(day)}", f"{int(day)} {name}", f"{name[:3]} {int(day)}", f"{int(day)} {name[:3]}"]


@grader("performance_agrees")
def performance_agrees(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    """Agrees with model_performance on the fixture's logs: degraded or not, and when it started."""
    report = ctx.facts.performance(options)
    text = textscan.prose(ctx.answer)
    degraded_words = ["degraded", "degradation", "dropped", "fell", "declined", "decayed", "below the", "concept drift"]
    says_degraded = textscan.find_phrase(text, degraded_words)
    if report.status != "degraded":
        if says_degraded and not NEGATION.search(" ".join(_lines_mentioning(text, [says_degraded]))):
            return False, f"says {says_degraded!r}, but the engine finds no degraded window ({report.status})"
        return True, f"does not claim a degradation the engine does not find ({report.status})"
    if not says_degraded:
        return False, f"does not say quality degraded; the engine flags {len(report.degraded_windows)} window(s)"
    first = report.degraded_windows[0][:10]
    named = textscan.find_phrase(text, _date_phrases(first))
    if not named:
        return False, f"does not name when it started: the first degraded window is {first}"
    return True, f"says {says_degraded!r} and names the first degraded window ({named})"


@grader("tools_called")
def tools_called(options: dict, ctx: GradeContext) -> tuple[bool, str]:
    """The episode called these tools successfully (meaningful in the skill+tools condition)."""
    called = {c.name for c in ctx.transcript.tool_calls if not c.is_error}
    missing = [t for t in options["tools"] if t not in called]
    if missing:
        return False, f"never called {', '.join(missing)} successfully (called: {', '.join(sorted(called)) or 'nothing'})"
    return True, f"called {', '.join(options['tools'])}"


def grade(spec: AssertionSpec, ctx: GradeContext) -> AssertionResult | None:
    """Run one assertion; None when it does not apply to this condition."""
    options = spec.options()
    applies_to = options.pop("applies_to", None)
    if applies_to and ctx.transcript.condition not in applies_to:
        return None
    try:
        passed, why = GRADERS[spec.type](options, ctx)
    except MlproofError as err:
        passed, why = False, f"could not be graded: {err}"
    except KeyError as err:
        passed, why = False, f"the scenario's {spec.type} assertion lacks the option {err}"
    return AssertionResult(name=spec.label(), type=spec.type, passed=passed, why=why)


def grade_transcript(scenario: Scenario, transcript: Transcript, prompt: str, facts: Facts) -> list[AssertionResult]:
    if transcript.error:
        return [AssertionResult(name="episode", type="episode", passed=False, why=f"no answer: {transcript.error}")]
    if not transcript.answer.strip():
        return [AssertionResult(name="episode", type="episode", passed=False, why="the answer is empty")]
    ctx = GradeContext(scenario=scenario, transcript=transcript, prompt=prompt, facts=facts)
    return [r for r in (grade(spec, ctx) for spec in scenario.assertions) if r is not None]


__all__ = ["GRADERS", "GradeContext", "grade", "grade_transcript", "numbers_in"]
