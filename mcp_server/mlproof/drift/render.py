"""Drift report as Markdown, self-contained HTML (inline SVG charts) and a rich terminal view."""

from __future__ import annotations

import html

from mlproof.drift.models import ColumnDrift, Distribution, DriftReport
from mlproof.drift.results import format_number

REFERENCE_COLOR = "#4c78a8"
CURRENT_COLOR = "#f58518"


def _verdict_word(column: ColumnDrift) -> str:
    if column.status != "tested":
        return "not tested"
    return "DRIFT" if column.drifted else "ok"


def _missing(column: ColumnDrift) -> str:
    return f"{column.reference_missing.total} / {column.current_missing.total}"


def render_markdown(report: DriftReport) -> str:
    lines = [
        "# Data drift report",
        "",
        f"**{report.verdict}**",
        "",
        f"- Reference: `{report.reference.source}` ({report.reference.rows} rows, {report.reference.columns} columns)",
        f"- Current: `{report.current.source}` ({report.current.rows} rows, {report.current.columns} columns)",
        f"- Engine: {report.engine}; Jensen-Shannon log base: {report.js_log_base}; PSI empty-bin share: {report.psi_empty_bin_share:g}",
    ]
    diff = report.schema_diff
    for label, items in (
        ("Missing in current", diff.missing_in_current),
        ("Extra in current", diff.extra_in_current),
        ("Dtype mismatches", diff.dtype_mismatches),
    ):
        if items:
            lines.append(f"- {label}: " + ", ".join(f"`{i}`" for i in items))
    lines += [
        "",
        "| column | type | method | statistic | p-value | rule | verdict | values ref / cur | missing ref / cur |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in report.columns:
        lines.append(
            f"| `{c.column}` | {c.column_type} | {c.method or '-'} | {format_number(c.statistic) if c.status == 'tested' else '-'} "
            f"| {format_number(c.p_value) if c.p_value is not None else '-'} | {c.drift_rule or '-'} | **{_verdict_word(c)}** "
            f"| {c.reference_values} / {c.current_values} | {_missing(c)} |"
        )
    notes = [(c.column, text) for c in report.columns for text in ([c.message] if c.message else []) + c.notes]
    notes += [
        (c.column, f"approximate ({c.approximation.method}): statistic in [{format_number(c.approximation.statistic_low)}, "
                   f"{format_number(c.approximation.statistic_high)}]" + ("" if c.approximation.decision_certain else "; the threshold lies inside this range"))
        for c in report.columns
        if c.approximation
    ]
    if notes:
        lines += ["", "## Notes", ""] + [f"- `{name}`: {text}" for name, text in notes]
    lines += ["", "## How each column was judged", ""]
    for c in report.columns:
        if c.status == "tested":
            lines.append(f"- `{c.column}`: {c.column_type} ({c.type_reason}); {c.method_label} because {c.method_reason}.")
    return "\n".join(lines) + "\n"


# --- HTML ---------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{margin-bottom:.2rem} .verdict{font-size:1.2rem;padding:.6rem 1rem;border-radius:6px;margin:1rem 0}
.verdict.is-drift{background:#fde2e1;border-left:6px solid #d62728} .verdict.no-drift{background:#e3f4e1;border-left:6px solid #2ca02c}
table{border-collapse:collapse;width:100%;font-size:.9rem} th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}
tr.drifted td{background:#fff1f0} .tag{font-weight:600} .tag.drift{color:#d62728} .tag.ok{color:#2ca02c} .tag.skip{color:#777}
.card{border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;margin:1rem 0} .card.drifted{border:2px solid #d62728}
.meta{color:#555;font-size:.85rem} .legend span{display:inline-block;width:12px;height:12px;margin:0 .3rem 0 1rem;vertical-align:middle}
svg text{font-size:10px;fill:#444}
"""


def _svg_chart(dist: Distribution, width: int = 720, height: int = 220) -> str:
    """Grouped bars: reference and current shares per bin, side by side."""
    ref_total = sum(dist.reference) or 1
    cur_total = sum(dist.current) or 1
    ref_share = [v / ref_total for v in dist.reference]
    cur_share = [v / cur_total for v in dist.current]
    top = max(ref_share + cur_share + [1e-12])
    left, bottom, plot_h = 40, 60, height - 75
    n = len(dist.labels)
    slot = (width - left - 10) / max(n, 1)
    bar = max(slot * 0.4, 1.0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="distribution chart">']
    parts.append(f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" stroke="#999"/>')
    for tick in (0.0, 0.5, 1.0):
        y = height - bottom - tick * plot_h
        parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">{tick * top:.0%}</text>')
    label_every = max(1, n // 12)
    for i, label in enumerate(dist.labels):
        x = left + i * slot + slot * 0.1
        for offset, share, color, who in ((0, ref_share[i], REFERENCE_COLOR, "reference"), (bar, cur_share[i], CURRENT_COLOR, "current")):
            h = share / top * plot_h
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{height - bottom - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color}">'
                f"<title>{html.escape(label)}: {who} {share:.2%}</title></rect>"
            )
        if i % label_every == 0:
            tx, ty = x + bar, height - bottom + 10
            parts.append(f'<text x="{tx:.1f}" y="{ty}" transform="rotate(35 {tx:.1f} {ty})">{html.escape(label[:18])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _column_card(c: ColumnDrift) -> str:
    e = html.escape
    cls = "card drifted" if c.drifted else "card"
    tag = {"DRIFT": "drift", "ok": "ok"}.get(_verdict_word(c), "skip")
    head = f'<h3 id="col-{e(c.column)}">{e(c.column)} <span class="tag {tag}">{e(_verdict_word(c))}</span></h3>'
    if c.status == "tested":
        stat = f"{e(c.statistic_name or '')} = {format_number(c.statistic)}"
        if c.p_value is not None:
            stat += f", p-value = {format_number(c.p_value)}"
        meta = (
            f'<p class="meta">{e(c.column_type)} ({e(c.type_reason)}) · {e(c.method_label or "")} because {e(c.method_reason or "")}'
            f" · {stat} · rule: {e(c.drift_rule or '')} · values {c.reference_values} / {c.current_values}"
            f" · missing {c.reference_missing.total} / {c.current_missing.total}</p>"
        )
    else:
        meta = f'<p class="meta">{e(c.column_type)} · not tested: {e(c.message or "")}</p>'
    extra = ""
    texts = ([c.message] if c.message and c.status == "tested" else []) + c.notes
    if c.approximation:
        a = c.approximation
        texts.append(f"approximate ({a.method}, {a.bins} bins): statistic in [{format_number(a.statistic_low)}, {format_number(a.statistic_high)}]")
    if texts:
        extra = "<ul>" + "".join(f"<li>{e(t)}</li>" for t in texts) + "</ul>"
    chart = _svg_chart(c.distribution) if c.distribution else ""
    return f'<div class="{cls}">{head}{meta}{extra}{chart}</div>'


def render_html(report: DriftReport) -> str:
    """One self-contained page: no scripts, no network, charts as inline SVG."""
    e = html.escape
    rows = []
    for c in report.columns:
        verdict = _verdict_word(c)
        tag = {"DRIFT": "drift", "ok": "ok"}.get(verdict, "skip")
        rows.append(
            f'<tr class="{"drifted" if c.drifted else ""}"><td><a href="#col-{e(c.column)}">{e(c.column)}</a></td><td>{e(c.column_type)}</td>'
            f"<td>{e(c.method or '-')}</td><td>{format_number(c.statistic) if c.status == 'tested' else '-'}</td>"
            f"<td>{format_number(c.p_value) if c.p_value is not None else '-'}</td><td>{e(c.drift_rule or '-')}</td>"
            f'<td class="tag {tag}">{e(verdict)}</td><td>{c.reference_missing.total} / {c.current_missing.total}</td></tr>'
        )
    diff = report.schema_diff
    schema = "".join(
        f"<li>{label}: {e(', '.join(items))}</li>"
        for label, items in (
            ("Missing in current", diff.missing_in_current),
            ("Extra in current", diff.extra_in_current),
            ("Dtype mismatches", diff.dtype_mismatches),
        )
        if items
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Data drift report</title><style>{CSS}</style></head>
<body>
<h1>Data drift report</h1>
<div class="verdict {'is-drift' if report.dataset_drift else 'no-drift'}" id="verdict">{e(report.verdict)}</div>
<p class="meta">Reference: {e(report.reference.source)} ({report.reference.rows} rows) · Current: {e(report.current.source)} ({report.current.rows} rows)
 · engine: {e(report.engine)} · Jensen-Shannon log base: {e(report.js_log_base)}</p>
{f'<ul>{schema}</ul>' if schema else ''}
<table id="summary"><thead><tr><th>column</th><th>type</th><th>method</th><th>statistic</th><th>p-value</th><th>rule</th><th>verdict</th><th>missing ref / cur</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<p class="legend"><span style="background:{REFERENCE_COLOR}"></span>reference<span style="background:{CURRENT_COLOR}"></span>current (share of values per bin)</p>
{''.join(_column_card(c) for c in report.columns)}
</body></html>
"""


# --- terminal -------------------------------------------------------------------------------


def print_terminal(report: DriftReport, console=None) -> None:
    """A table plus a small bar chart per drifted column, for people at a terminal."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title="Data drift", title_justify="left")
    for name in ("column", "type", "method", "statistic", "p-value", "rule", "verdict", "missing ref/cur"):
        table.add_column(name)
    for c in report.columns:
        verdict = _verdict_word(c)
        style = {"DRIFT": "bold red", "ok": "green"}.get(verdict, "dim")
        table.add_row(
            c.column,
            c.column_type,
            c.method or "-",
            format_number(c.statistic) if c.status == "tested" else "-",
            format_number(c.p_value) if c.p_value is not None else "-",
            c.drift_rule or (c.message or "-"),
            f"[{style}]{verdict}[/]",
            _missing(c),
        )
    console.print(table)
    for c in report.columns:
        if c.drifted and c.distribution:
            console.print(f"[bold]{c.column}[/]  [blue]reference[/] vs [dark_orange]current[/]")
            _terminal_bars(console, c.distribution)
    style = "bold red" if report.dataset_drift else "bold green"
    console.print(f"[{style}]{report.verdict}[/]")


def _terminal_bars(console, dist: Distribution, width: int = 30, max_rows: int = 12) -> None:
    ref_total = sum(dist.reference) or 1
    cur_total = sum(dist.current) or 1
    shares = [(label, r / ref_total, c / cur_total) for label, r, c in zip(dist.labels, dist.reference, dist.current)]
    shares.sort(key=lambda item: -abs(item[1] - item[2]))
    top = max([max(r, c) for _, r, c in shares] + [1e-12])
    for label, r, c in shares[:max_rows]:
        console.print(
            f"  {label[:22]:>22} [blue]{'█' * round(r / top * width):<{width}}[/] {r:6.1%}\n"
            f"  {'':>22} [dark_orange]{'█' * round(c / top * width):<{width}}[/] {c:6.1%}"
        )
