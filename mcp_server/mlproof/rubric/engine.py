"""The scan: read every file once and record which catalog signals it shows.

Speed comes from four habits: a file is read once; per file kind one
Aho-Corasick pass finds the lines holding a literal that a signal needs (most
lines hold none); only those lines are tested against the signals that own the
literal; and a signal whose full-strength evidence is already full (25 files)
is no longer looked for, since more of it cannot change a grade. Path signals run against the
path list the same way. The result is a flat list of `Hit`s that the grading
rules in `detectors.py` turn into verdicts.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import ahocorasick

from mlproof.model.code import CodeFacts, ParseFailure, notebook_cell_source, parse_code
from mlproof.model.statements import DocContext, classify
from mlproof.repo import readers
from mlproof.repo.readers import CI, CODE, CONFIG, DEPS, DOCKER, DOCS, Segment, UnreadableFile
from mlproof.repo.redact import SECRET_ANCHORS, SNIPPET_WINDOW, find_secrets
from mlproof.repo.walk import Inventory, RepoFile
from mlproof.rubric.anchors import _outside_classes, anchors, split_alternatives
from mlproof.rubric.catalog import Catalog, Signal, load_catalog
from mlproof.rubric.pinning import DependencyFile, inspect_dependencies
from mlproof.rubric.structural import StructuralIndex, alternatives, glob_regex

SEGMENT_KINDS = (CODE, CONFIG, CI, DOCKER, DEPS, DOCS)
CAPPED_CONTEXTS = {"docs", "comment", "deps"}  # they name a practice; they do not do it
MAX_HITS_PER_BUCKET = 25  # evidence kept per (check, role, level, context); reports show at most 5 per check
SNIPPET_CHARS = 160
REBUILD_AFTER = 4  # signals exhausted in a file kind before its automaton is rebuilt without their anchors
GAP_LIMIT = 256  # widest stretch one `.*` / `.+` of a signal may span (see _linear_time)
PARALLEL_MIN_FILES = 4000  # below this, starting worker processes costs more than it saves
WARMUP_FILES = 3000  # scanned serially before the workers fork, so they start with saturated evidence
FACTS = "_facts"
FILE_ROLE_CHECKS = frozenset({"cicd.retraining_trigger"})  # rules that need roles grouped by file
# (check, role) -> the "check:role" a file must show before the role is looked for there at all
DEFERRED_ROLES = {("cicd.retraining_trigger", "trains"): "cicd.retraining_trigger:schedule"}

TEST_PATH = re.compile(r"(?:^|/)(?:tests?|testing|fixtures?)/|(?:^|/)test_[^/]*$|_test\.py$|(?:^|/)conftest\.py$")
EXAMPLE_PATH = re.compile(r"(?i)example|sample|template|\.dist$|\.tpl$")


@dataclass(frozen=True)
class Target:
    """Where a signal's hits go: a check (or the facts), with role, level and docs rule."""

    check: str
    role: str
    level: str
    docs_ok: bool
    with_call: re.Pattern[str] | None = None  # the same Python module (or cell) must also make such a call
    with_call_spec: str = ""

    def holds_in(self, facts: CodeFacts | None, function: str | None) -> bool:
        """Whether the co-occurring call this target asks for is made in the same function (or, at module
        level, the same module): a column selection counts where predictions are made, not in training code.
        Never true in unparsed text."""
        if self.with_call is None:
            return True
        return facts is not None and any(self.with_call.match(name) for name in facts.calls_in(function))


@dataclass
class CompiledSignal:
    pattern: str
    regex: re.Pattern[str]
    targets: list[Target]
    index: int = 0
    # When every target asks for a co-occurring call: words one of which the file must hold for any of
    # those calls to be made there (a file without them cannot credit the signal, so it is not searched).
    call_words: frozenset[str] | None = None


@dataclass(frozen=True)
class Hit:
    """One place in the repository that shows (or mentions) a practice."""

    check: str
    role: str
    level: str  # pass | partial, after the context cap
    context: str  # code | config | ci | docker | deps | docs | comment | path
    path: str
    line: int | None
    cell: int | None
    snippet: str  # raw line text: redact() before it leaves the engine (detectors.to_evidence does)
    matched: str
    statement: str = ""  # for docs and comments: affirm | plan | negate | name (see model/statements.py)
    chain: tuple = ()  # for facts reached through jobs: the Links from the job step to the code


@dataclass
class ScanResult:
    """Everything the grading rules need, gathered in one pass."""

    inventory: Inventory
    hits: dict[str, list[Hit]] = field(default_factory=lambda: defaultdict(list))
    file_roles: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # rel -> {"check:role"}
    files_by_kind: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    secrets: list[Hit] = field(default_factory=list)
    dependency_files: list[DependencyFile] = field(default_factory=list)
    files_read: int = 0
    bytes_read: int = 0
    files_parsed: int = 0
    readme: str | None = None  # the top-level README's first 20 KB: its title helps tell the repository kind
    sniffed: list[str] = field(default_factory=list)  # files whose text holds a job-definition needle (model/jobs.py)
    jobs: list = field(default_factory=list)  # the repository's jobs (model/jobs.Job), set after the file scan
    parse_failures: Counter = field(default_factory=Counter)  # reason -> Python files read as text because they did not parse
    parse_failure_examples: list[str] = field(default_factory=list)
    _bucket_sizes: Counter = field(default_factory=Counter)
    # segment kind -> signals whose full-strength evidence buckets for that kind are full: the scan stops
    # looking for them there (a later mention in a comment could not change a grade; see _possible_buckets).
    exhausted: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _dead_anchors: dict[str, frozenset] = field(default_factory=dict)  # kind -> automaton values that only name exhausted signals
    # Automata rebuilt without the anchors of exhausted signals (and the words of saturated structural
    # requirements): on a big repository most lines then hold no anchor at all.
    automata: dict[str, object] = field(default_factory=dict)
    _stale: Counter = field(default_factory=Counter)  # kind -> signals exhausted since its automaton was rebuilt
    dead_needs: set[int] = field(default_factory=set)  # structural requirements whose buckets are full

    def secrets_for(self, check_id: str) -> list[Hit]:
        return [h for h in self.secrets if h.check == check_id]

    def add(self, hit: Hit) -> None:
        if hit.check in FILE_ROLE_CHECKS:  # only rules that combine roles per file need this
            self.file_roles[hit.path].add(f"{hit.check}:{hit.role}")
        bucket = (hit.check, hit.role, hit.level, hit.context)
        if self._bucket_sizes[bucket] < MAX_HITS_PER_BUCKET:
            self._bucket_sizes[bucket] += 1
            self.hits[hit.check].append(hit)

    def is_full(self, buckets) -> bool:
        return all(self._bucket_sizes[bucket] >= MAX_HITS_PER_BUCKET for bucket in buckets)


@dataclass
class Branch:
    """One top-level alternative of a signal's pattern, with its own compiled expression."""

    signal: CompiledSignal
    regex: re.Pattern[str]


class SignalTable:
    """The catalog's signals compiled for fast matching.

    Each pattern is split into alternatives; each alternative's anchors (literals
    one of which must occur in a match) go into one Aho-Corasick automaton per
    file kind (plus one for paths). A file is lower-cased once, the automaton
    finds every anchor in one pass, and only the lines holding anchors are
    checked with the alternatives that own them.
    """

    SECRET = -1  # automaton value for secret-prefilter anchors

    def __init__(self, catalog: Catalog) -> None:
        content: dict[str, CompiledSignal] = {}
        paths: dict[str, CompiledSignal] = {}
        kinds_of: dict[str, set[str]] = defaultdict(set)

        self.structural = StructuralIndex()
        self.job_signals: list[tuple[Signal, Target]] = []

        def add(signal: Signal, target: Target) -> None:
            if signal.structural:
                self.structural.add(signal, target)
                return
            if signal.job:
                self.job_signals.append((signal, target))
                return
            table = content if signal.re is not None else paths
            compiled = table.get(signal.pattern)
            if compiled is None:
                flags = re.M if signal.re is not None else 0
                compiled = table[signal.pattern] = CompiledSignal(signal.pattern, re.compile(signal.pattern, flags), [],
                                                                  len(content) + len(paths))
            compiled.targets.append(target)
            if signal.re is not None:
                kinds_of[signal.pattern].update(_segment_kinds(signal.in_))

        for check in catalog.checks:
            for signal in check.signals:
                add(signal, Target(check.id, signal.role, signal.level, signal.docs_ok, _globs(signal.with_call), signal.with_call or ""))
        for fact in catalog.facts:
            add(fact, Target(FACTS, fact.role, fact.level, False))

        self.content_signals = list(content.values())
        self.call_signals = []
        for signal in self.content_signals:
            if signal.targets and all(t.with_call is not None for t in signal.targets):
                self.call_signals.append(signal)
                specs = {t.with_call_spec for t in signal.targets}
                signal.call_words = frozenset(_call_word(glob) for spec in specs for glob in alternatives(spec))
        self.branches: list[Branch] = []
        self.unanchored: dict[str, list[int]] = defaultdict(list)  # kind -> branch ids checked on every line
        anchor_ids: dict[str, dict[str, list[int]]] = {kind: defaultdict(list) for kind in SEGMENT_KINDS + ("path",)}
        # Signals that only matter in a file that also shows another role (a schedule that may train) are
        # searched after the rest, and only in such files: they stay out of the automata.
        self.deferred: list[tuple[CompiledSignal, str]] = []
        for signal in self.content_signals:
            needed = {DEFERRED_ROLES.get((t.check, t.role)) for t in signal.targets}
            if len(needed) == 1 and None not in needed:
                self.deferred.append((signal, needed.pop()))
                continue
            self._add_branches(signal, kinds_of[signal.pattern], re.M, anchor_ids)
        self.deferred_kinds = {signal.pattern: kinds_of[signal.pattern] for signal, _ in self.deferred}
        for signal in paths.values():
            self._add_branches(signal, {"path"}, 0, anchor_ids)
        for kind in SEGMENT_KINDS:
            for anchor in SECRET_ANCHORS:
                anchor_ids[kind][anchor].append(self.SECRET)
        self.anchor_ids = anchor_ids
        self.signal_of = [branch.signal.index for branch in self.branches]  # branch id -> signal index
        self.buckets = {(signal.index, kind): _possible_buckets(signal, kind)
                        for signal in self.content_signals for kind in SEGMENT_KINDS}
        # Words a Python file must hold for a structural signal to match, with the evidence buckets the
        # signals fill: a file none of whose satisfied requirements has room left is not parsed at all.
        needs: dict[frozenset, set] = defaultdict(set)
        for words, target in self.structural.requirements:
            needs[words].add((target.check, target.role, target.level, CODE))
        self.structural_needs = [(words, tuple(sorted(buckets))) for words, buckets in needs.items()]
        # Each requirement is filed under its longest (rarest) word, and only those key words go into the
        # automaton; a keyed requirement's other words are then checked with plain substring tests.
        keyed: dict[str, list[int]] = defaultdict(list)
        for index, (words, _) in enumerate(self.structural_needs):
            keyed[max(words, key=len)].append(index)
        self.structural_keys = dict(keyed)
        # One automaton per file kind; Python code's also holds the structural key words, so a file is
        # searched once for both. Each value is (regex alternative ids, structural requirement ids).
        self.automata = {kind: self.build_automaton(kind) for kind in anchor_ids}

    def build_automaton(self, kind: str, exhausted: set[int] = frozenset(), dead_needs: set[int] = frozenset()):
        """The kind's automaton without the anchors of exhausted signals and the keys of dead requirements."""
        signal_of = self.signal_of
        values: dict[str, tuple[tuple, tuple]] = {}
        for anchor, ids in self.anchor_ids[kind].items():
            if any(b == self.SECRET or signal_of[b] not in exhausted for b in ids):
                values[anchor] = (tuple(sorted(set(ids))), ())
        if kind == CODE:
            for word, needs in self.structural_keys.items():
                live = tuple(i for i in needs if i not in dead_needs)
                if live:
                    values[word] = (values.get(word, ((), ()))[0], live)
        return _automaton(values, raw=True)

    def _add_branches(self, signal: CompiledSignal, kinds: set[str], flags: int, anchor_ids) -> None:
        for alternative in split_alternatives(signal.pattern):
            branch_id = len(self.branches)
            self.branches.append(Branch(signal, re.compile(_linear_time(alternative), flags)))
            found = anchors(alternative)
            for kind in kinds:
                if found is None:
                    self.unanchored[kind].append(branch_id)
                else:
                    for anchor in found:
                        anchor_ids[kind][anchor].append(branch_id)

    def content_patterns(self) -> list[str]:
        """Every distinct content pattern (the benchmark hands these to ripgrep)."""
        return [signal.pattern for signal in self.content_signals]


def _possible_buckets(signal: CompiledSignal, kind: str) -> tuple | None:
    """The evidence buckets that a hit of `signal` where it counts fully in a `kind` segment lands in.

    Once they are full, the signal has all the evidence a report keeps; a comment
    that merely mentions it would add nothing, so the scan stops looking for it.
    None: never stop (rules that need every file's roles)."""
    if any(target.check in FILE_ROLE_CHECKS for target in signal.targets):
        return None
    buckets = set()
    for target in signal.targets:
        capped = kind in CAPPED_CONTEXTS and not (target.docs_ok and kind == DOCS)
        buckets.add((target.check, target.role, "partial" if capped else target.level, kind))
    return tuple(sorted(buckets))


def _call_word(glob: str) -> str:
    """The longest literal fragment of a dotted glob: every call the glob matches has it in its file."""
    return max((f for part in glob.split(".") for f in part.split("*")), key=len).lower()


def _globs(spec: str | None) -> re.Pattern[str] | None:
    """`*.predict*|joblib.load` as one anchored expression over qualified call names."""
    if not spec:
        return None
    return re.compile("|".join(glob_regex(part).pattern for part in alternatives(spec)))


def _linear_time(pattern: str) -> str:
    """`pattern` with every unbounded `.*` / `.+` capped at GAP_LIMIT characters.

    `A.*B` tried at each of the n occurrences of A on a line without B scans to the end of the
    line each time: n^2 steps, hours for a 1 MB minified line. Capped, each try costs at most
    GAP_LIMIT steps, so a search is linear in the line length; on lines shorter than the cap
    (nearly every line of source) the pattern matches exactly what it matched before."""
    out, last = [], 0
    for index, char in _outside_classes(pattern):
        if char == "." and pattern[index + 1:index + 2] in ("*", "+"):
            out.append(pattern[last:index] + (".{0,%d}" if pattern[index + 1] == "*" else ".{1,%d}") % GAP_LIMIT)
            last = index + 2
    return "".join(out) + pattern[last:]


def _automaton(anchor_ids: dict[str, list], raw: bool = False):
    automaton = ahocorasick.Automaton()
    for anchor, ids in anchor_ids.items():
        automaton.add_word(anchor, ids if raw else tuple(sorted(set(ids))))
    if len(automaton):
        automaton.make_automaton()
    return automaton


def _segment_kinds(kinds: list[str]) -> set[str]:
    if "any" in kinds:
        return set(SEGMENT_KINDS)
    out = set(kinds)
    if "config" in out:
        out.update({CI, DOCKER})  # CI definitions and Dockerfiles are configuration too
    return out & set(SEGMENT_KINDS)


_TABLE: SignalTable | None = None


def signal_table() -> SignalTable:
    global _TABLE
    if _TABLE is None:
        _TABLE = SignalTable(load_catalog())
    return _TABLE


def _snippet(line: str) -> str:
    """The stripped line, raw: `detectors.to_evidence` masks credentials, then cuts it to SNIPPET_CHARS."""
    return line.strip()[:SNIPPET_WINDOW]


def _lowered(text: str) -> str:
    """The text in lower case, with the same length (rare characters whose lower case is longer stay as they are)."""
    lower = text.lower()
    if len(lower) != len(text):
        lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lower


def _candidates(automaton, text: str, dead: frozenset = frozenset(), lower: str | None = None,
                structural: set[int] | None = None) -> dict[int, set[int]]:
    """Line start offset -> ids of the alternatives (or SECRET) whose anchors occur on that line; the ids of
    the structural requirements whose key words occur are added to `structural`.

    Anchors whose alternatives are all in `dead` are passed over."""
    if lower is None:
        lower = _lowered(text)
    found: dict[int, set[int]] = defaultdict(set)
    if not len(automaton):
        return found
    line_start, seen_to = 0, 0
    for end, (ids, needs) in automaton.iter(lower):
        if needs and structural is not None:
            structural.update(needs)
        if ids and ids not in dead:
            # ends come in order: look for a newline only since the last anchor (linear on a 2 MB line)
            newline = lower.rfind("\n", seen_to, end)
            if newline >= 0:
                line_start = newline + 1
            seen_to = end
            found[line_start].update(ids)
    return found


def _path_hits(item: RepoFile, table: SignalTable, result: ScanResult) -> None:
    seen: set[int] = set()
    for ids in _candidates(table.automata["path"], item.rel).values():
        for branch_id in sorted(ids):
            branch = table.branches[branch_id]
            if branch.signal.index in seen or not branch.regex.search(item.rel):
                continue
            seen.add(branch.signal.index)
            for target in branch.signal.targets:
                result.add(Hit(target.check, target.role, target.level, "path", item.rel, None, None,
                               f"file {item.rel}", item.name))


def _docstring_lines(text: str) -> set[int]:
    """1-based line numbers that sit inside triple-quoted strings (found with str.find: fast)."""
    lines: set[int] = set()
    position = 0
    while True:
        starts = [i for i in (text.find('"""', position), text.find("'''", position)) if i >= 0]
        if not starts:
            return lines
        start = min(starts)
        quote = text[start:start + 3]
        end = text.find(quote, start + 3)
        end = len(text) if end < 0 else end + 3
        first = text.count("\n", 0, start) + 1
        lines.update(range(first, first + text.count("\n", start, end) + 1))
        position = end


def _context(segment: Segment, line: str, column: int, line_number: int, docstrings: list, facts: CodeFacts | None) -> str:
    """Where a match sits: code or config that does something, or text that only talks about it."""
    if segment.kind == DEPS:
        return "deps"
    if segment.kind == DOCS:
        return "docs"
    if readers.is_comment(line, column, segment.language):
        return "comment"
    if facts is not None:  # parsed Python: the syntax tree knows docstrings, dead branches and prose strings
        if line_number in facts.docstring_lines or line_number not in facts.code_lines:
            return "comment"
        if line_number in facts.dead_lines:
            return "dead"
        if facts.unused_import(line_number):
            return "unused import"
        return segment.kind
    if segment.language == "python" and segment.cell is None:
        if docstrings[0] is None:
            docstrings[0] = _docstring_lines(segment.text)
        if line_number in docstrings[0]:
            return "comment"
    return segment.kind


def _line_at(text: str, number: int) -> str:
    start = 0
    for _ in range(number - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def _needs_facts(signal: CompiledSignal, result: ScanResult) -> bool:
    """A code match whose evidence could still change a grade: its bucket is not full, or it asks for a co-occurring call."""
    return any(target.with_call is not None or not result.is_full(((target.check, target.role, target.level, CODE),))
               for target in signal.targets)


class _LazyFacts:
    """A Python segment's code facts, parsed at most once and only when something needs them: a
    structural signal whose evidence is not yet full, or a regex match in code whose context
    (docstring, dead branch, unused import) or co-occurring call only the syntax tree can tell."""

    def __init__(self, item: RepoFile, segment: Segment, table: SignalTable, result: ScanResult, lower: str):
        self.item, self.segment, self.table, self.result, self.lower = item, segment, table, result, lower
        self.applies = segment.language == "python" and segment.kind == CODE
        self.done = not self.applies
        self.facts: CodeFacts | None = None

    def structural_live(self, keyed: set[int]) -> bool:
        """Whether a structural requirement whose key word the file holds still has room for evidence."""
        table, result = self.table, self.result
        if not self.applies or not keyed:
            return False
        lower = self.lower
        all_needs, dead = table.structural_needs, result.dead_needs
        live = False
        for index in keyed - dead:
            words, buckets = all_needs[index]
            if result.is_full(buckets):
                dead.add(index)  # buckets only grow: this requirement can never matter again
                result._stale["needs"] += 1
            elif not live and all(word in lower for word in words):
                live = True
        return live

    def get(self) -> CodeFacts | None:
        if self.done:
            return self.facts
        self.done = True
        item, segment, result = self.item, self.segment, self.result
        source = notebook_cell_source(segment.text) if segment.cell is not None else segment.text
        try:
            self.facts = parse_code(source)
        except ParseFailure as err:
            result.parse_failures[str(err)] += 1
            if len(result.parse_failure_examples) < 5:
                result.parse_failure_examples.append(item.rel if segment.cell is None else f"{item.rel}#cell{segment.cell}")
            return None
        result.files_parsed += segment.cell is None or segment.cell == 1
        self._record_structural(self.facts)
        return self.facts

    def _record_structural(self, facts: CodeFacts) -> None:
        seen: set[tuple] = set()
        for match in self.table.structural.matches(facts):
            target = match.target
            key = (target.check, target.role, target.level)
            if match.dead or key in seen or not target.holds_in(facts, match.function):
                continue  # code under `if False:` does nothing; one hit per signal role and level per file is enough
            seen.add(key)
            self.result.add(Hit(target.check, target.role, target.level, CODE, self.item.rel, match.line, self.segment.cell,
                                _snippet(_line_at(self.segment.text, match.line)), match.matched[:60]))


def _keep_uncredited(signal, context, statement, item, segment, line, line_number, found, uncredited, mentioned, result) -> None:
    """Record once per file a match that credits nothing (a plan, a negation, a bare name), so a fail can cite it."""
    if signal.index in uncredited or signal.index in mentioned:
        return
    uncredited.add(signal.index)
    for target in signal.targets:
        result.add(Hit(target.check, target.role, "none", context, item.rel, line_number, segment.cell,
                       _snippet(line), found.group(0)[:60], statement))


def _scan_segment(item: RepoFile, segment: Segment, table: SignalTable, result: ScanResult) -> None:
    text = segment.text
    kind = segment.kind
    lower = _lowered(text)
    keyed: set[int] = set()
    candidates = _candidates(result.automata.get(kind) or table.automata[kind], text,
                             result._dead_anchors.get(kind, frozenset()), lower, keyed)
    signal_of = table.signal_of
    lazy = _LazyFacts(item, segment, table, result, lower)
    facts = lazy.get() if lazy.structural_live(keyed) else None
    always = table.unanchored.get(segment.kind, [])
    if always:  # alternatives without a literal anchor are tried on every line
        offset = 0
        for raw in text.split("\n"):
            candidates[offset].update(always)
            offset += len(raw) + 1
    docstrings: list = [None]
    doc_context: list = [None]
    line_number, counted_to = 1, 0
    assignments = segment.kind != DOCS and not TEST_PATH.search(item.rel) and not EXAMPLE_PATH.search(item.rel)
    # Evidence keeps one hit per file, so a signal is done once it matched where it counts fully
    # (code/config); a mention (comment, docs, dependency list) that credits is recorded once and the
    # search goes on; a mention that does not credit (a plan, a negation, a bare name) is kept once too.
    done: set[int] = set(result.exhausted[kind])
    mentioned: set[int] = set()
    uncredited: set[int] = set()
    always_capped = segment.kind in (DOCS, DEPS)
    for line_start in sorted(candidates):
        # Most candidate lines only repeat signals this file already showed: skip them unread.
        ids = sorted(b for b in candidates[line_start] if b == SignalTable.SECRET or signal_of[b] not in done)
        if not ids:
            continue
        line_number += text.count("\n", counted_to, line_start)
        counted_to = line_start
        line_end = text.find("\n", line_start)
        line = text[line_start:] if line_end < 0 else text[line_start:line_end]
        for branch_id in ids:
            if branch_id == SignalTable.SECRET:
                _scan_secret_line(item, segment, line, line_number, assignments, result)
                continue
            branch = table.branches[branch_id]
            signal = branch.signal
            if signal.index in done:
                continue
            if signal.call_words is not None and not (lazy.applies and any(word in lower for word in signal.call_words)):
                done.add(signal.index)  # it needs a co-occurring call that no code of this file can make
                continue
            found = branch.regex.search(line)
            if found is None:
                continue
            context = _context(segment, line, found.start(), line_number, docstrings, facts)
            if lazy.applies and not lazy.done and context == CODE and _needs_facts(signal, result):
                facts = lazy.get()  # only the syntax tree tells a live call from a dead branch or an unused import
                context = _context(segment, line, found.start(), line_number, docstrings, facts)
            if context == "dead":
                continue
            statement = ""
            if context in ("deps", "unused import"):
                # declared or imported, never used: the labels give it nothing
                _keep_uncredited(signal, context, "name", item, segment, line, line_number, found, uncredited, mentioned, result)
                continue
            if context in ("docs", "comment"):
                if context == "docs" and doc_context[0] is None:
                    doc_context[0] = DocContext(text)
                said = classify(line, found.start(), found.end(), context=doc_context[0] if context == "docs" else None,
                                line_number=line_number, comment=context == "comment")
                statement = said.kind
                if not said.credits:
                    _keep_uncredited(signal, context, statement, item, segment, line, line_number, found, uncredited, mentioned, result)
                    continue
            if context in CAPPED_CONTEXTS:
                if signal.index in mentioned:
                    continue
                mentioned.add(signal.index)
                if always_capped:
                    done.add(signal.index)
            else:
                done.add(signal.index)
            snippet = _snippet(line)
            for target in signal.targets:
                if target.with_call is not None and not target.holds_in(facts, facts.function_at(line_number) if facts else None):
                    continue
                capped = context in CAPPED_CONTEXTS and not (target.docs_ok and context == "docs")
                result.add(Hit(target.check, target.role, "partial" if capped else target.level, context, item.rel,
                               line_number, segment.cell, snippet, found.group(0)[:60], statement))
    if table.deferred:
        _scan_deferred(item, segment, table, result, docstrings, facts)
    _note_exhausted(table, result, kind, (done | mentioned) - result.exhausted[kind])


def _scan_deferred(item: RepoFile, segment: Segment, table: SignalTable, result: ScanResult, docstrings: list,
                   facts: CodeFacts | None) -> None:
    """The deferred signals, in a file that shows the role each of them waits for (its first code match)."""
    roles = result.file_roles.get(item.rel, ())
    for signal, waits_for in table.deferred:
        if waits_for not in roles or segment.kind not in table.deferred_kinds.get(signal.pattern, ()):
            continue
        for found in signal.regex.finditer(segment.text):
            line_start = segment.text.rfind("\n", 0, found.start()) + 1
            line_end = segment.text.find("\n", found.start())
            line = segment.text[line_start:] if line_end < 0 else segment.text[line_start:line_end]
            line_number = segment.text.count("\n", 0, found.start()) + 1
            context = _context(segment, line, found.start() - line_start, line_number, docstrings, facts)
            if context in CAPPED_CONTEXTS or context in ("dead", "unused import"):
                continue
            for target in signal.targets:
                result.add(Hit(target.check, target.role, target.level, context, item.rel, line_number, segment.cell,
                               _snippet(line), found.group(0)[:60]))
            break


def _note_exhausted(table: SignalTable, result: ScanResult, kind: str, signals: set[int]) -> None:
    """Mark the signals just seen whose buckets are now all full, and the anchors that only name such signals."""
    exhausted = result.exhausted[kind]
    grown = False
    for index in signals:
        buckets = table.buckets[(index, kind)]
        if buckets is not None and result.is_full(buckets):
            exhausted.add(index)
            grown = True
    if grown:
        signal_of = table.signal_of
        live_ids = [tuple(sorted(set(ids))) for ids in table.anchor_ids[kind].values()]
        result._dead_anchors[kind] = frozenset(
            ids for ids in live_ids if ids[0] != SignalTable.SECRET and all(signal_of[b] in exhausted for b in ids))
        result._stale[kind] += 1
    if result._stale[kind] >= REBUILD_AFTER or (kind == CODE and result._stale["needs"] >= REBUILD_AFTER):
        result._stale[kind] = 0
        if kind == CODE:
            result._stale["needs"] = 0
        result.automata[kind] = table.build_automaton(kind, exhausted, result.dead_needs)


def _scan_secret_line(item: RepoFile, segment: Segment, line: str, line_number: int, assignments: bool, result: ScanResult) -> None:
    for secret in find_secrets(line, include_assignments=assignments):
        if secret.kind == "hard-coded-secret" and segment.kind != DOCS and readers.is_comment(line, len(line), segment.language):
            continue  # a commented-out example assignment is not a live credential
        result.secrets.append(Hit("gov.access_control", secret.kind, "fail", segment.kind, item.rel, line_number,
                                  segment.cell, _snippet(line), secret.kind))


def _scan_file(item: RepoFile, table: SignalTable, result: ScanResult) -> None:
    _path_hits(item, table, result)
    kind = readers.file_kind(item)
    if kind is None:
        return
    result.files_by_kind[kind].append(item.rel)
    try:
        segments = readers.read_segments(item, kind)
    except UnreadableFile as err:
        result.inventory.skip(str(err), item.rel)
        return
    result.files_read += 1
    result.bytes_read += item.size
    if "/" not in item.rel and kind == DOCS and item.name.lower().startswith("readme") and segments:
        result.readme = segments[0].text[:20000]
    needles = _job_needles().get("." + item.suffix)
    if needles and segments and kind != "notebook" and any(n in segments[0].text for n in needles):
        result.sniffed.append(item.rel)
    for segment in segments:
        _scan_segment(item, segment, table, result)
    if kind == DEPS and segments:
        parsed = inspect_dependencies(item.rel, segments[0].text)
        if parsed is not None:
            result.dependency_files.append(parsed)


_WARM: ScanResult | None = None  # the parent's scan state when workers fork (set by _scan_parallel)
SATURATION_FIELDS = ("_bucket_sizes", "exhausted", "_dead_anchors", "automata", "_stale", "dead_needs")


_NEEDLES: dict[str, tuple[str, ...]] | None = None


def _job_needles() -> dict[str, tuple[str, ...]]:
    """File suffix -> substrings that make a file a candidate job definition (a CronJob, a DAG, a Cloud Build config)."""
    global _NEEDLES
    if _NEEDLES is None:
        from mlproof.model.jobs import content_needles

        _NEEDLES = content_needles()
    return _NEEDLES


def scan_one(item: RepoFile, table: SignalTable | None = None) -> ScanResult:
    """One file scanned on its own, with nothing saturated: everything it shows (for facts reached through jobs)."""
    result = ScanResult(inventory=Inventory(root=Path("/"), source="walk"))
    _scan_file(item, table or signal_table(), result)
    return result


def _scan_chunk(root: Path, source: str, files: list[tuple[str, str, int]]) -> ScanResult:
    """Worker side of a parallel scan: the same per-file work on one slice of the file list, starting from
    what the parent's warm-up already knows is saturated (so no worker re-parses files for full evidence)."""
    result = ScanResult(inventory=Inventory(root=root, source=source))
    if _WARM is not None:
        import copy

        for name in SATURATION_FIELDS:
            setattr(result, name, copy.copy(getattr(_WARM, name)))
        result.exhausted = defaultdict(set, {kind: set(ids) for kind, ids in _WARM.exhausted.items()})
    table = signal_table()
    for rel, path, size in files:
        _scan_file(RepoFile(rel, path, size), table, result)
    return result


def _merge(into: ScanResult, part: ScanResult) -> None:
    for hits in part.hits.values():
        for hit in hits:
            into.add(hit)
    for rel, roles in part.file_roles.items():
        into.file_roles[rel] |= roles
    for kind, rels in part.files_by_kind.items():
        into.files_by_kind[kind].extend(rels)
    into.secrets.extend(part.secrets)
    into.dependency_files.extend(part.dependency_files)
    into.files_read += part.files_read
    into.bytes_read += part.bytes_read
    into.files_parsed += part.files_parsed
    into.readme = into.readme or part.readme
    into.sniffed.extend(part.sniffed)
    into.parse_failures.update(part.parse_failures)
    into.parse_failure_examples.extend(part.parse_failure_examples[: max(0, 5 - len(into.parse_failure_examples))])
    for reason, count in part.inventory.skipped.items():
        for rel in part.inventory.skipped_examples.get(reason, []):
            into.inventory.skip(reason, rel)
        into.inventory.skipped[reason] += count - len(part.inventory.skipped_examples.get(reason, []))


def _workers() -> int:
    if os.environ.get("MLPROOF_SCAN_WORKERS"):
        return max(1, int(os.environ["MLPROOF_SCAN_WORKERS"]))
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1), 4)


def _scan_parallel(inventory: Inventory, result: ScanResult, workers: int, progress) -> bool:
    """Scan big repositories on several cores; False when processes are not available here."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork is cheap (the compiled table is inherited) but unsafe once other threads run (the MCP
    # server runs engines in worker threads, and its stdio must stay untouched): then scan serially.
    if threading.active_count() != 1 or "fork" not in multiprocessing.get_all_start_methods():
        return False
    method = "fork"
    global _WARM
    # Warm up serially: the first files fill most evidence buckets, and the workers inherit that state.
    warmup = min(WARMUP_FILES, len(inventory.files) // 5)
    table = signal_table()
    for index, item in enumerate(inventory.files[:warmup], start=1):
        _scan_file(item, table, result)
        if progress is not None and index % 200 == 0:
            progress(index, len(inventory.files))
    files = [(f.rel, f.path, f.size) for f in inventory.files[warmup:]]
    chunks = max(workers * 2, 1)
    size = -(-len(files) // chunks)
    slices = [files[i:i + size] for i in range(0, len(files), size)]
    parts: list[ScanResult] = []
    _WARM = result
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
            done = warmup
            for part, chunk in zip(pool.map(_scan_chunk, [inventory.root] * len(slices), [inventory.source] * len(slices), slices), slices):
                parts.append(part)
                done += len(chunk)
                if progress is not None:
                    progress(done, len(inventory.files))
    except (OSError, RuntimeError, ImportError, BrokenPipeError):
        for item in inventory.files[warmup:]:  # no processes here (sandbox, frozen app): finish serially
            _scan_file(item, table, result)
        return True
    finally:
        _WARM = None
    for part in parts:  # in file-list order, so the result equals a serial scan's
        _merge(result, part)
    return True


def scan(inventory: Inventory, progress: Callable[[int, int], None] | None = None) -> ScanResult:
    """Read every file of the inventory once and collect hits, secrets and dependency facts.

    Repositories of PARALLEL_MIN_FILES files or more are split across processes (one per core,
    at most 4); the merged result is the same as a serial scan's, in the same order.
    """
    table = signal_table()
    result = ScanResult(inventory=inventory)
    for item in inventory.path_only:
        _path_hits(item, table, result)
    total = len(inventory.files)
    workers = _workers()
    if workers > 1 and total >= PARALLEL_MIN_FILES and _scan_parallel(inventory, result, workers, progress):
        return result
    step = max(1, total // 100)
    for index, item in enumerate(inventory.files, start=1):
        _scan_file(item, table, result)
        if progress is not None and (index % step == 0 or index == total):
            progress(index, total)
    if progress is not None and total == 0:
        progress(0, 0)
    return result

