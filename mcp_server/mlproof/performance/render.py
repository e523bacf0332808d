"""The performance report as Markdown: verdict, method, coverage, then the windows and segments."""

from __future__ import annotations

from mlproof.performance.models import PerformanceReport, QualityRow


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _table(rows: list[QualityRow], metrics: list[str], first: str) -> list[str]:
    head = f"| {first} | Predictions | Labelled | Coverage | " + " | ".join(metrics) + " | p (worse) | Degraded |"
    lines = [head, "|" + "---|" * (len(metrics) + 6)]
    for row in rows:
        state = "—" if row.degraded is None else ("**yes**" if row.degraded else "no")
        if not row.judged:
            state = "too few labels"
        p_value = "—" if row.p_value is None else f"{row.p_value:.3g}"
        lines.append(f"| {row.key} | {row.predictions:,} | {row.labelled:,} | {row.coverage:.0%} | "
                     + " | ".join(_num(row.metrics.get(name)) for name in metrics) + f" | {p_value} | {state} |")
    return lines


def markdown(report: PerformanceReport) -> str:
    metrics = list(report.overall.metrics)
    lines = [f"# Model performance ({report.task}, {report.metric})", "", f"**{report.status}** — {report.verdict}", "",
             f"Method: {report.method}", "",
             f"Task: {report.task} ({report.task_reason})" + (f"; positive class {report.positive_label!r}." if report.positive_label else "."), ""]
    if report.baseline is not None:
        b = report.baseline
        evidence = f" ({b.evidence.location()})" if b.evidence else ""
        lines += [f"Baseline: {b.metric} = {b.value:.4g} from {b.source}{evidence}; bound {b.bound:.4g}.", ""]
    c = report.counts
    lines += ["## Labels", "", f"- {c.predictions:,} predictions, {c.labels:,} labels, {c.joined:,} joined "
              f"(coverage {c.coverage:.1%}); {c.orphan_labels:,} labels without a prediction."]
    if report.label_delay is not None:
        d = report.label_delay
        lines.append(f"- Label delay: median {d.median_hours:.1f} h, p90 {d.p90_hours:.1f} h, max {d.max_hours:.1f} h"
                     + (f"; {d.negative} label(s) dated before their prediction." if d.negative else "."))
    lines.append("")
    lines += [f"## Windows ({report.window})", ""] + _table(report.windows, metrics, "Window start (UTC)")
    if report.windows_omitted:
        lines.append(f"\n{report.windows_omitted} older window(s) without degradation omitted.")
    lines.append("")
    if report.segments:
        lines += [f"## Segments ({report.segment_by})", ""] + _table(report.segments, metrics, "Segment")
        if report.segments_omitted:
            lines.append(f"\n{report.segments_omitted} smaller segment(s) omitted.")
        lines.append("")
    lines += ["## Overall", ""] + _table([report.overall], metrics, "Rows") + [""]
    if report.model_versions:
        lines += ["Predictions per model version: " + ", ".join(f"v{k}: {v:,}" for k, v in report.model_versions.items()), ""]
    if report.schema_gaps:
        lines += [f"Prediction-log schema fields missing: {', '.join(report.schema_gaps)}.", ""]
    if report.notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in report.notes] + [""]
    return "\n".join(lines)
