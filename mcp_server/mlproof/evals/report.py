"""Render an EvalRun as Markdown (for people) or JSON (for machines)."""

from __future__ import annotations

from mlproof.evals.runner import EvalRun


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _signed(x: float) -> str:
    return f"{100 * x:+.1f} pp"


def to_json(run: EvalRun) -> str:
    return run.model_dump_json(indent=2)


def to_markdown(run: EvalRun, *, details: bool = True) -> str:
    lines = [
        "# mlproof eval",
        "",
        f"- provider: `{run.provider}`" + (f", model `{run.model}`" if run.model else ""),
        f"- conditions: {', '.join(run.conditions)}; epochs: {run.epochs}; scenarios: {len(run.scenarios)}; bootstrap seed: {run.seed}",
        f"- started: {run.started_at}" + (f"; rubric judge: `{run.judge}`" if run.judge else ""),
        "",
        "## Pass rate per condition",
        "",
        "| condition | episodes | passed | pass rate | mean assertion score | tool calls | tokens in / out | mean time (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in run.summary:
        lines.append(
            f"| {s.condition} | {s.episodes} | {s.passed} | {_pct(s.pass_rate)} | {_pct(s.mean_score)} | {s.tool_calls} "
            f"| {s.input_tokens:,} / {s.output_tokens:,} | {s.mean_duration_s:.2f} |"
        )
    if run.comparisons:
        lines += [
            "",
            "## Paired differences (treatment − control, 95% bootstrap interval over scenarios)",
            "",
            "| treatment vs control | metric | pairs | scenarios | difference | 95% interval |",
            "|---|---|---:|---:|---:|---|",
        ]
        for c in run.comparisons:
            lines.append(
                f"| {c.treatment} vs {c.control} | {c.metric} | {c.pairs} | {c.scenarios} | {_signed(c.mean_difference)} "
                f"| [{_signed(c.ci_low)}, {_signed(c.ci_high)}] |"
            )
    lines += ["", "## Scenarios", "", "| scenario | " + " | ".join(run.conditions) + " |", "|---|" + "---|" * len(run.conditions)]
    for scenario in run.scenarios:
        cells = []
        for condition in run.conditions:
            mine = [e for e in run.episodes if e.scenario == scenario and e.condition == condition]
            if not mine:
                cells.append("skipped")
            else:
                cells.append(f"{sum(e.passed for e in mine)}/{len(mine)} pass, score {_pct(sum(e.score for e in mine) / len(mine))}")
        lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    if run.skipped:
        lines += ["", "## Skipped", ""] + [f"- {s.scenario} / {s.condition}: {s.reason}" for s in run.skipped]
    if details:
        lines += ["", "## Assertions", ""]
        for e in run.episodes:
            verdict = "PASS" if e.passed else "FAIL"
            lines.append(f"### {e.scenario} / {e.condition} / epoch {e.epoch}: {verdict} ({_pct(e.score)})")
            lines.append("")
            for a in e.assertions:
                lines.append(f"- {'✔' if a.passed else '✘'} **{a.name}** ({a.type}): {a.why}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
