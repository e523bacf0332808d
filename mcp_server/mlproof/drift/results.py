"""Build ColumnDrift results and the dataset verdict (shared by the exact and streaming engines)."""

from __future__ import annotations

import math

import numpy as np

from mlproof.drift.binning import Bins
from mlproof.drift.columns import Missing
from mlproof.drift.models import ColumnDrift, DatasetInfo, Distribution, DriftReport, MissingCounts, SchemaDiff
from mlproof.drift.plan import ColumnPlan
from mlproof.drift.policy import Method
from mlproof.drift.stats import PSI_EMPTY_BIN_SHARE, TestValue
from mlproof.evidence import Evidence

CHART_MAX_CATEGORIES = 30


def missing_counts(missing: Missing) -> MissingCounts:
    return MissingCounts(null=missing.null, nan=missing.nan, inf=missing.inf, total=missing.total)


def distribution(bins: Bins) -> Distribution:
    """Chart-ready counts; very many categories fold into one '(other)' bin by reference+current size."""
    labels, ref, cur = list(bins.labels), [int(x) for x in bins.reference], [int(x) for x in bins.current]
    folded = 0
    if bins.kind == "categories" and len(labels) > CHART_MAX_CATEGORIES:
        order = np.argsort(-(np.asarray(ref) + np.asarray(cur)), kind="stable")
        keep = sorted(order[: CHART_MAX_CATEGORIES - 1])
        rest = order[CHART_MAX_CATEGORIES - 1 :]
        folded = len(rest)
        labels = [labels[i] for i in keep] + [f"(other: {folded} categories)"]
        ref = [ref[i] for i in keep] + [int(sum(ref[i] for i in rest))]
        cur = [cur[i] for i in keep] + [int(sum(cur[i] for i in rest))]
    return Distribution(
        kind=bins.kind,
        labels=labels,
        reference=ref,
        current=cur,
        edges=bins.edges,
        open_ends=bins.open_ends,
        other_categories=folded,
    )


def skipped(plan: ColumnPlan, column_type: str, type_source: str, reason: str, message: str, **counts) -> ColumnDrift:
    result = ColumnDrift(
        column=plan.name,
        column_type=column_type,
        type_source=type_source,
        type_reason=reason,
        status="skipped",
        message=message,
        **counts,
    )
    result.evidence.append(Evidence(kind="note", snippet=f"{plan.name}: not tested: {message}", detector="drift", ids={"column": plan.name}))
    return result


def tested(
    plan: ColumnPlan,
    column_type: str,
    type_source: str,
    type_reason: str,
    method: Method,
    method_reason: str,
    value: TestValue,
    bins: Bins | None,
    **counts,
) -> ColumnDrift:
    if _not_a_number(value.statistic) or _not_a_number(value.p_value):
        # e.g. values near ±1e308: means and differences overflow, the statistic is NaN and no rule can judge it
        return skipped(plan, column_type, type_source, type_reason,
                       f"cannot be tested: {method.label} gives no number for these values (their magnitude overflows "
                       "floating-point arithmetic); rescale the column to test it", **counts)
    threshold = plan.threshold if plan.threshold is not None else method.default_threshold
    drifted = method.drifted(value.statistic, value.p_value, threshold)
    result = ColumnDrift(
        column=plan.name,
        column_type=column_type,
        type_source=type_source,
        type_reason=type_reason,
        status="tested",
        method=method.name,
        method_label=method.label,
        method_reason=method_reason,
        statistic_name=method.statistic_name,
        statistic=value.statistic,
        p_value=value.p_value,
        threshold=threshold,
        drift_rule=method.rule(threshold),
        drifted=drifted,
        distribution=distribution(bins) if bins is not None else None,
        **counts,
    )
    if value.note:
        result.notes.append(value.note)
    result.evidence.append(column_evidence(result))
    return result


def _not_a_number(value: float | None) -> bool:
    return value is not None and isinstance(value, float) and math.isnan(value)


def format_number(value: float | None) -> str:
    if value is None:
        return "n/a"
    if math.isinf(value):
        return "inf"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.3e}"
    return f"{value:.4f}"


def column_evidence(result: ColumnDrift) -> Evidence:
    shown = f"p-value={format_number(result.p_value)}" if result.p_value is not None else f"{result.method}={format_number(result.statistic)}"
    verdict = "drift" if result.drifted else "no drift"
    snippet = (
        f"{result.column}: {result.method_label}, {shown}, rule {result.drift_rule} -> {verdict} "
        f"({result.reference_values} reference vs {result.current_values} current values)"
    )
    return Evidence(
        kind="statistic",
        snippet=snippet,
        detector=result.method,
        ids={"column": result.column, "method": result.method or "", "threshold": f"{result.threshold:g}"},
    )


def mask_credential_values(result: ColumnDrift) -> None:
    """A column named like a credential (`token`, `db_password`) holds credentials: its category labels
    never reach a report, nor the notes and messages that quote them. Counts and statistics stay."""
    from mlproof.repo.redact import MASK, secret_key

    if not secret_key(result.column) or result.distribution is None or result.distribution.kind != "categories":
        return
    labels = [label for label in result.distribution.labels if label and not label.startswith("(other:")]
    result.distribution.labels = [MASK if label in labels else label for label in result.distribution.labels]
    for label in sorted(labels, key=len, reverse=True):
        result.notes = [note.replace(label, MASK) for note in result.notes]
        result.message = result.message.replace(label, MASK) if result.message else result.message
    for evidence in result.evidence:
        for label in labels:
            evidence.snippet = evidence.snippet.replace(label, MASK)


def assemble(
    results: list[ColumnDrift],
    reference: DatasetInfo,
    current: DatasetInfo,
    schema_diff: SchemaDiff,
    drift_share: float,
    engine: str,
) -> DriftReport:
    """The dataset verdict: drift when drifted/tested >= drift_share (Evidently's rule)."""
    for result in results:
        mask_credential_values(result)
    tested_results = [r for r in results if r.status == "tested"]
    drifted = [r for r in tested_results if r.drifted]
    share = len(drifted) / len(tested_results) if tested_results else 0.0
    dataset_drift = bool(tested_results) and share >= drift_share
    skipped_count = len(results) - len(tested_results)
    if not tested_results:
        verdict = f"No column could be tested ({skipped_count} skipped); no drift verdict."
    else:
        verdict = (
            f"{'Dataset drift' if dataset_drift else 'No dataset drift'}: {len(drifted)} of {len(tested_results)} "
            f"tested columns drifted ({share:.0%}; the dataset drifts at >= {drift_share:.0%})."
        )
        if drifted:
            verdict += " Drifted: " + ", ".join(r.column for r in drifted) + "."
    evidence = [Evidence(kind="statistic", snippet=verdict, detector="dataset-drift", ids={"drift_share": f"{drift_share:g}"})]
    evidence += [e for r in results for e in r.evidence]
    return DriftReport(
        reference=reference,
        current=current,
        schema_diff=schema_diff,
        columns=results,
        drift_share=drift_share,
        drifted_columns=len(drifted),
        tested_columns=len(tested_results),
        skipped_columns=skipped_count,
        share_drifted=share,
        dataset_drift=dataset_drift,
        engine=engine,
        psi_empty_bin_share=PSI_EMPTY_BIN_SHARE,
        verdict=verdict,
        evidence=evidence,
    )
