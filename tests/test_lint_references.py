"""The skill pack's own Markdown passes `mlproof lint` with the shared deprecated-API list.

Code blocks in references/, skills/ and commands/ must not use a deprecated API. A block that
shows the old API on purpose (a migration note) sits right below `<!-- deprecated-example: why -->`;
prose is never linted. This is the same list the eval grader and the pre-commit hook use.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlproof.lint import lint_paths, lint_text
from mlproof.lint.sources import markdown_pieces

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ["references", "skills", "commands"]
PROSE_FENCES = {"text", "txt", "plain", "plaintext", "markdown", "md", "output", "log", "mermaid", "csv"}
MARKDOWN = sorted(p for folder in FOLDERS for p in (REPO / folder).rglob("*.md"))


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(REPO)))
def test_no_deprecated_api_in_the_code_blocks(path):
    findings = lint_text(path.read_text(encoding="utf-8"), "markdown", path=str(path.relative_to(REPO)))
    assert not findings, "\n".join(f.text() for f in findings)


def test_the_whole_pack_lints_clean_and_really_has_code_to_lint():
    report = lint_paths([str(REPO / folder) for folder in FOLDERS])
    assert report.clean, report.summary()
    assert report.files_checked >= len(MARKDOWN) > 10
    # Every opening fence (counted here independently) is a linted block, except output-like ones.
    for path in MARKDOWN:
        text = path.read_text(encoding="utf-8")
        fences = [line for line in text.splitlines() if line.startswith("```")]
        openings = fences[0::2]
        expected = [f for f in openings if f[3:].strip().lower() not in PROSE_FENCES]
        assert len(markdown_pieces(text, honour_markers=False)) == len(expected), path


def test_marked_examples_are_the_only_exception():
    marked = [p for p in MARKDOWN if "<!-- deprecated-example" in p.read_text(encoding="utf-8")]
    for path in marked:
        text = path.read_text(encoding="utf-8")
        # Without the markers these files would have findings: the marker really excuses a deprecated block.
        assert lint_text(text, "markdown", honour_markers=False), f"{path}: a deprecated-example marker above current code"
