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

from mlproof.repo import readers
from mlproof.repo.readers import CI, CODE, CONFIG, DEPS, DOCKER, DOCS, Segment, UnreadableFile
from mlproof.repo.redact import SECRET_ANCHORS, SNIPPET_WINDOW, find_secrets
from mlproof.repo.walk import Inventory, RepoFile
from mlproof.rubric.anchors import _outside_classes, anchors, split_alternatives
from mlproof.rubric.catalog import Catalog, Signal, load_catalog
from mlproof.rubric.pinning import DependencyFile, inspect_dependencies

SEGMENT_KINDS = (CODE, CONFIG, CI, DOCKER, DEPS, DOCS)
CAPPED_CONTEXTS = {"docs", "comment", "deps"}  # they name a practice; they do not do it
MAX_HITS_PER_BUCKET = 25  # evidence kept per (check, role, level, context); reports show at most 5 per check
SNIPPET_CHARS = 160
GAP_LIMIT = 256  # widest stretch one `.*` / `.+` of a signal may span (see _linear_time)
PARALLEL_MIN_FILES = 4000  # below this, starting worker processes costs more than it saves
FACTS = "_facts"
FILE_ROLE_CHECKS = frozenset({"cicd.retraining_trigger"})  # rules that need roles grouped by file

TEST_PATH = re.compile(r"(?:^|/)(?:tests?|testing|fixtures?)/|(?:^|/)test_[^/]*$|_test\.py$|(?:^|/)conftest\.py$")
EXAMPLE_PATH = re.compile(r"(?i)example|sample|template|\.dist$|\.tpl$")


@dataclass(frozen=True)
class Target:
    """Where a signal's hits go: a check (or the facts), with role, level and docs rule."""

    check: str
    role: str
    level: str
    docs_ok: bool


@dataclass
class CompiledSignal:
    pattern: str
    regex: re.Pattern[str]
    targets: list[Target]
    index: int = 0


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
    _bucket_sizes: Counter = field(default_factory=Counter)
    # segment kind -> signals whose full-strength evidence buckets for that kind are full: the scan stops
    # looking for them there (a later mention in a comment could not change a grade; see _possible_buckets).
    exhausted: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _dead_anchors: dict[str, frozenset] = field(default_factory=dict)  # kind -> automaton values that only name exhausted signals

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

        def add(signal: Signal, target: Target) -> None:
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
                add(signal, Target(check.id, signal.role, signal.level, signal.docs_ok))
        for fact in catalog.facts:
            add(fact, Target(FACTS, fact.role, fact.level, False))

        self.content_signals = list(content.values())
        self.branches: list[Branch] = []
        self.unanchored: dict[str, list[int]] = defaultdict(list)  # kind -> branch ids checked on every line
        anchor_ids: dict[str, dict[str, list[int]]] = {kind: defaultdict(list) for kind in SEGMENT_KINDS + ("path",)}
        for signal in self.content_signals:
            self._add_branches(signal, kinds_of[signal.pattern], re.M, anchor_ids)
        for signal in paths.values():
            self._add_branches(signal, {"path"}, 0, anchor_ids)
        for kind in SEGMENT_KINDS:
            for anchor in SECRET_ANCHORS:
                anchor_ids[kind][anchor].append(self.SECRET)
        self.automata = {kind: _automaton(ids) for kind, ids in anchor_ids.items()}
        self.signal_of = [branch.signal.index for branch in self.branches]  # branch id -> signal index
        self.buckets = {(signal.index, kind): _possible_buckets(signal, kind)
                        for signal in self.content_signals for kind in SEGMENT_KINDS}

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


def _automaton(anchor_ids: dict[str, list[int]]):
    automaton = ahocorasick.Automaton()
    for anchor, ids in anchor_ids.items():
        automaton.add_word(anchor, tuple(sorted(set(ids))))
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


def _candidates(automaton, text: str, dead: frozenset = frozenset()) -> dict[int, set[int]]:
    """Line start offset -> ids of the alternatives (or SECRET) whose anchors occur on that line.

    Anchors whose alternatives are all in `dead` are passed over."""
    lower = text.lower()
    if len(lower) != len(text):  # rare characters whose lower case is longer: keep offsets aligned
        lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    found: dict[int, set[int]] = defaultdict(set)
    if not len(automaton):
        return found
    line_start, seen_to = 0, 0
    for end, ids in automaton.iter(lower):
        if ids not in dead:
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


def _context(segment: Segment, line: str, column: int, line_number: int, docstrings: list) -> str:
    if segment.kind == DEPS:
        return "deps"
    if segment.kind == DOCS:
        return "docs"
    if readers.is_comment(line, column, segment.language):
        return "comment"
    if segment.language == "python" and segment.cell is None:
        if docstrings[0] is None:
            docstrings[0] = _docstring_lines(segment.text)
        if line_number in docstrings[0]:
            return "comment"
    return segment.kind


def _scan_segment(item: RepoFile, segment: Segment, table: SignalTable, result: ScanResult) -> None:
    text = segment.text
    kind = segment.kind
    candidates = _candidates(table.automata[kind], text, result._dead_anchors.get(kind, frozenset()))
    always = table.unanchored.get(segment.kind, [])
    if always:  # alternatives without a literal anchor are tried on every line
        offset = 0
        for raw in text.split("\n"):
            candidates[offset].update(always)
            offset += len(raw) + 1
    docstrings: list = [None]
    line_number, counted_to = 1, 0
    assignments = segment.kind != DOCS and not TEST_PATH.search(item.rel) and not EXAMPLE_PATH.search(item.rel)
    # Evidence keeps one hit per file, so a signal is done once it matched where it counts fully
    # (code/config); a mention (comment, docs, dependency list) is recorded once and the search goes on.
    done: set[int] = set(result.exhausted[kind])
    mentioned: set[int] = set()
    always_capped = segment.kind in (DOCS, DEPS)
    signal_of = table.signal_of
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
            found = branch.regex.search(line)
            if found is None:
                continue
            context = _context(segment, line, found.start(), line_number, docstrings)
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
                capped = context in CAPPED_CONTEXTS and not (target.docs_ok and context == "docs")
                result.add(Hit(target.check, target.role, "partial" if capped else target.level, context, item.rel,
                               line_number, segment.cell, snippet, found.group(0)[:60]))
    _note_exhausted(table, result, kind, (done | mentioned) - result.exhausted[kind])


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
        result._dead_anchors[kind] = frozenset(
            ids for ids in table.automata[kind].values()
            if ids[0] != SignalTable.SECRET and all(signal_of[b] in exhausted for b in ids))


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
    for segment in segments:
        _scan_segment(item, segment, table, result)
    if kind == DEPS and segments:
        parsed = inspect_dependencies(item.rel, segments[0].text)
        if parsed is not None:
            result.dependency_files.append(parsed)


def _scan_chunk(root: Path, source: str, files: list[tuple[str, str, int]]) -> ScanResult:
    """Worker side of a parallel scan: the same per-file work on one slice of the file list."""
    result = ScanResult(inventory=Inventory(root=root, source=source))
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
    files = [(f.rel, f.path, f.size) for f in inventory.files]
    chunks = max(workers * 4, 1)
    size = -(-len(files) // chunks)
    slices = [files[i:i + size] for i in range(0, len(files), size)]
    parts: list[ScanResult] = []
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
            done = 0
            for part, chunk in zip(pool.map(_scan_chunk, [inventory.root] * len(slices), [inventory.source] * len(slices), slices), slices):
                parts.append(part)
                done += len(chunk)
                if progress is not None:
                    progress(done, len(files))
    except (OSError, RuntimeError, ImportError, BrokenPipeError):
        return False  # no processes here (sandbox, frozen app): the caller scans serially
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

