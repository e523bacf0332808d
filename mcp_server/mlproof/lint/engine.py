"""`lint_paths` / `lint_text`: find deprecated MLOps APIs in code, with the replacement and why.

Read-only and fast: one read per file, no imports of the linted code, no network. Which
part of a file is code is decided in sources.py; what is deprecated lives in
deprecated_apis.yaml (rules.py loads it).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from mlproof.errors import MlproofError
from mlproof.lint.models import LintFinding, LintReport
from mlproof.lint.rules import Rule, SyntaxIndex, call_hits, compiled, import_hits, load_rules, pattern_hits
from mlproof.lint.sources import Piece, cleaned, file_type, ignored_rules, markdown_pieces, notebook_pieces, parse_python
from mlproof.repo.redact import redact

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_MATCH_CHARS = 120


def pieces_of(text: str, kind: str, *, honour_markers: bool = True) -> list[Piece]:
    """The code pieces of a file of the given type (ValueError for a notebook that is not JSON)."""
    if kind == "markdown":
        return markdown_pieces(text, honour_markers=honour_markers)
    if kind == "notebook":
        return notebook_pieces(text)
    return [Piece(kind, text)]


def _applies(rule: Rule, piece: Piece) -> bool:
    return piece.kind == "any" or piece.kind in rule.in_


def _candidates(rules: Sequence[Rule], raw: str) -> list[Rule]:
    """Rules that can match at all, decided on the raw code (comments included, so a superset):
    a needle is there (a substring test, cheap), then `requires` and the rule's probe match."""
    return [r for r in rules if r.may_match(raw) and (not r.requires or compiled(r.requires).search(raw))
            and r.probe().search(raw)]


def _piece_findings(piece: Piece, code: str, path: str, rules: Sequence[Rule], context: str) -> list[LintFinding]:
    lines = piece.text.split("\n")
    index = None
    if piece.kind in ("python", "any") and any(r.call or r.imports for r in rules):
        tree = parse_python(piece.text)
        index = SyntaxIndex.of(tree, lines) if tree is not None else None
    findings: dict[tuple[str, int], LintFinding] = {}
    for rule in rules:
        if not _applies(rule, piece) or (rule.requires and not compiled(rule.requires).search(context)):
            continue
        hits = call_hits(rule, index) if rule.call and index is not None else pattern_hits(rule, code)
        if rule.imports and index is not None:
            hits += import_hits(rule, index)
        for hit in hits:
            source_line = lines[hit.line] if hit.line < len(lines) else ""
            off = ignored_rules(source_line)
            if off and ("*" in off or rule.id in off):
                continue
            key = (rule.id, hit.line)
            if key not in findings:
                findings[key] = LintFinding(
                    rule=rule.id, path=path, line=piece.first_line + hit.line, column=hit.column + 1, cell=piece.cell,
                    match=redact(" ".join(hit.text.split()))[:MAX_MATCH_CHARS], instead=rule.instead, why=rule.why,
                )
    return list(findings.values())


def lint_text(text: str, kind: str, *, path: str = "<text>", rules: Sequence[Rule] | None = None,
              honour_markers: bool = True) -> list[LintFinding]:
    """Findings in one text of a file type (python, config, shell, markdown, notebook)."""
    pieces = pieces_of(text, kind, honour_markers=honour_markers)
    raw = "\n".join(piece.text for piece in pieces)
    rules = _candidates(load_rules() if rules is None else rules, raw)
    if not rules:
        return []
    codes = [cleaned(piece) for piece in pieces]
    context = "\n".join(codes)
    findings = [f for piece, code in zip(pieces, codes, strict=True) for f in _piece_findings(piece, code, path, rules, context)]
    return sorted(findings, key=lambda f: (f.cell or 0, f.line, f.column, f.rule))


def select_rules(ignore: Iterable[str] = ()) -> list[Rule]:
    """Every rule but those whose id equals or starts with an ignored name (`airflow` ignores airflow.*)."""
    ignore = [name.strip() for name in ignore if name.strip()]
    rules = load_rules()
    known = {rule.id for rule in rules} | {rule.library for rule in rules}
    unknown = [name for name in ignore if name not in known]
    if unknown:
        raise MlproofError(f"Unknown rule {unknown[0][:80]!r} for --ignore; `mlproof lint --list-rules` lists them.")
    return [r for r in rules if not any(r.id == name or r.library == name for name in ignore)]


def _files(paths: Sequence[str]) -> list[tuple[str, str]]:
    """(shown path, absolute path) of every file to read; bad paths fail before anything is read."""
    from mlproof.repo.walk import list_files

    if not paths:
        raise MlproofError("mlproof lint needs at least one file or folder.")
    for raw in paths:
        if not os.path.exists(raw):
            raise MlproofError(f"The path {raw[:80]!r} does not exist.")
    found = []
    for raw in paths:
        if os.path.isdir(raw):
            prefix = "" if raw in (".", "./") else raw.rstrip("/") + "/"
            found += [(prefix + item.rel, item.path) for item in list_files(raw).files]
        else:
            found.append((raw, str(Path(raw).resolve())))
    return found


def lint_paths(paths: Sequence[str], *, ignore: Iterable[str] = ()) -> LintReport:
    """Lint files and folders (folders as the audit lists them: git-aware, vendored code skipped)."""
    rules = select_rules(ignore)
    skipped: Counter[str] = Counter()
    findings: list[LintFinding] = []
    checked = 0
    for shown, real in _files(paths):
        kind = file_type(os.path.basename(shown))
        if kind is None:
            skipped["not a file type mlproof lint reads"] += 1
            continue
        try:
            if os.path.getsize(real) > MAX_FILE_BYTES:
                skipped["larger than 2 MiB"] += 1
                continue
            text = Path(real).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            skipped["not UTF-8 text"] += 1
            continue
        except OSError:
            skipped["unreadable"] += 1
            continue
        try:
            findings += lint_text(text, kind, path=shown, rules=rules)
        except ValueError:
            skipped["notebook that is not valid JSON"] += 1
            continue
        checked += 1
    findings.sort(key=lambda f: (f.path, f.cell or 0, f.line, f.column, f.rule))
    return LintReport(files_checked=checked, rules=len(rules), findings=findings, skipped=dict(skipped))
