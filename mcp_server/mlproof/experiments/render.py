"""The A/B report as Markdown: the verdict first, then the numbers with their methods."""

from __future__ import annotations

from mlproof.experiments.models import ABReport, Estimate


def _num(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}g}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _interval(estimate: Estimate, as_percent: bool) -> str:
    show = _pct if as_percent else _num
    return f"{show(estimate.value)} [{show(estimate.ci_low)}, {show(estimate.ci_high)}]"


def markdown(report: ABReport) -> str:
    title = f"{report.kind}, {report.metric} metric" if report.kind == "plan" else report.kind
    lines = [f"# A/B test ({title})", "", report.verdict, ""]
    conversion = report.metric == "conversion"
    if report.arms:
        lines += ["## Arms", ""]
        if conversion:
            lines += ["| Arm | Users | Conversions | Rate |", "|---|---:|---:|---:|"]
            lines += [f"| {a.name}{f' ({a.label})' if a.label else ''} | {a.users:,} | {a.conversions:,} | {_pct(a.rate)} |" for a in report.arms]
        else:
            lines += ["| Arm | n | Mean | SD |", "|---|---:|---:|---:|"]
            lines += [f"| {a.name}{f' ({a.label})' if a.label else ''} | {a.users:,} | {_num(a.mean)} | {_num(a.sd)} |" for a in report.arms]
        lines.append("")
    if report.tests:
        lines += ["## Tests", "", "| Test | Statistic | df | p-value | Method |", "|---|---:|---:|---:|---|"]
        lines += [f"| {t.name} | {_num(t.statistic)} | {_num(t.df)} | {t.p_value:.4g} | {t.method} |" for t in report.tests]
        lines.append("")
    if report.absolute_lift:
        level = f"{report.absolute_lift.confidence:.0%}"
        lines += ["## Lift", "", f"| Lift | Estimate [{level} CI] | Method |", "|---|---|---|",
                  f"| absolute | {_interval(report.absolute_lift, conversion)} | {report.absolute_lift.method} |"]
        if report.relative_lift:
            lines.append(f"| relative | {_interval(report.relative_lift, True)} | {report.relative_lift.method} |")
        lines.append("")
    if report.power:
        p = report.power
        lines += ["## Power", "", f"- Minimum detectable effect at {p.power:.0%} power, alpha {p.alpha:g}: "
                  f"{_pct(p.mde_absolute) if conversion else _num(p.mde_absolute)} absolute, {_pct(p.mde_relative)} relative ({p.method})."]
        if p.observed_power is not None:
            lines.append(f"- Power against the observed lift: {p.observed_power:.3f} (restates the p-value; the MDE is the useful number).")
        if p.target_lift is not None:
            lines.append(f"- Power against the target lift {_pct(p.target_lift) if conversion else _num(p.target_lift)}: {p.power_at_target:.3f}.")
        lines.append("")
    if report.sample_size:
        s = report.sample_size
        lines += ["## Sample size", "", f"- Target: {_pct(s.target_lift_absolute) if conversion else _num(s.target_lift_absolute)} absolute "
                  f"({_pct(s.target_lift_relative)} relative) from a baseline of {_pct(s.baseline) if conversion else _num(s.baseline)}, "
                  f"alpha {s.alpha:g}, power {s.power:.0%}, ratio {s.ratio:g}.",
                  f"- Users: {s.users_control:,} control + {s.users_treatment:,} treatment = {s.users_total:,} ({s.method})."]
        if s.sequential_users_control is not None:
            lines.append(f"- Sequential design maximum: {s.sequential_users_control:,} + {s.sequential_users_treatment:,}.")
        lines.append("")
    if report.sequential:
        q = report.sequential
        lines += ["## Sequential design", "", f"{q.method}; overall alpha {q.alpha:g}"
                  + (f"; inflation factor {q.inflation_factor:.4f}." if q.inflation_factor else "."), "",
                  "| Look | Information | z bound | Nominal p | Alpha spent |", "|---:|---:|---:|---:|---:|"]
        lines += [f"| {row.look} | {row.information_fraction:.3f} | {row.z_bound:.4f} | {row.nominal_p_value:.3g} | {row.cumulative_alpha:.3g} |" for row in q.looks]
        if q.decision:
            lines += ["", f"**Look {q.current_look}:** {q.decision}"]
        lines.append("")
    if report.bayesian:
        b = report.bayesian
        lines += ["## Bayesian", "", f"- P(treatment better than control): {b.probability_treatment_better:.4f}.",
                  f"- Expected loss if you ship the treatment: {b.expected_loss_ship_treatment:.3g}; if you keep the control: "
                  f"{b.expected_loss_keep_control:.3g} (absolute conversion rate).",
                  f"- {b.credible_level:.0%} credible intervals: control {_pct(b.credible_control[0])}–{_pct(b.credible_control[1])}, "
                  f"treatment {_pct(b.credible_treatment[0])}–{_pct(b.credible_treatment[1])}; prior Beta{b.prior} ({b.method}).", ""]
    if report.sample_ratio:
        r = report.sample_ratio
        state = "**mismatch**" if r.mismatch else "no mismatch"
        lines += ["## Sample ratio", "", f"Control share {r.observed_share_control:.4f} vs planned {r.expected_share_control:g}: "
                  f"chi-square {r.statistic:.3g}, p = {r.p_value:.3g} (threshold {r.threshold:g}), {state}.", ""]
    lines += ["## Peeking", "", report.peeking, ""]
    if report.notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in report.notes] + [""]
    return "\n".join(lines)
