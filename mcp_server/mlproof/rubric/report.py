"""Render an AuditReport as Markdown (jinja2) or JSON (pydantic)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from mlproof.repo.redact import redact
from mlproof.rubric.models import AuditReport

TEMPLATES = Path(__file__).with_name("templates")
BADGES = {"pass": "✅ pass", "partial": "🟡 partial", "fail": "❌ fail", "n/a": "➖ n/a", "waived": "⏸ waived"}


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """An inline code span that survives backticks and pipes in the snippet."""
    text = _cell(text)
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def _fmt(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.1f}"


def render_markdown(report: AuditReport) -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)
    template = env.get_template("audit.md.j2")
    name = Path(report.root).name or report.root
    text = template.render(report=report, name=name, fmt=_fmt, cell=_cell, code=_code, badge=lambda s: BADGES[s])
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def render_json(report: AuditReport) -> str:
    return report.model_dump_json(indent=2)


def render_brief(report: AuditReport) -> str:
    """A few lines for terminals and hooks: the score, then each failing or partial check, heaviest first."""
    lines = [f"mlproof audit {report.root}: score {_fmt(report.score)}/10, maturity level {report.maturity.level} "
             f"({report.maturity.name}), {report.scan.files_read} files read."]
    open_checks = sorted((c for c in report.checks if c.status in ("fail", "partial")), key=lambda c: (-c.weight, c.id))
    for check in open_checks:
        where = f" [{check.evidence[0].location()}]" if check.evidence else ""
        lines.append(f"  {check.status:7} w{check.weight} {check.id}: {check.why}{where}")
    if not open_checks:
        lines.append("  every graded check passes.")
    lines.append("Full report: mlproof audit PATH (Markdown) or --format json; one check: mlproof explain CHECK_ID.")
    return redact("\n".join(lines) + "\n")
