"""Arms from a data file: one row per user, a group column and a value column (CSV, Parquet, JSON Lines)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlproof.errors import MlproofError
from mlproof.experiments.inputs import ContinuousArm, ConversionArm, shown

GROUP_COLUMNS = ("variant", "group", "arm", "bucket")
CONTROL_NAMES = ("control", "a", "baseline", "champion")


@dataclass
class ArmsFromData:
    control: ConversionArm | ContinuousArm
    treatment: ConversionArm | ContinuousArm
    control_label: str
    treatment_label: str
    metric: str
    note: str


def _pick_group_column(names: list[str], given: str | None) -> str:
    if given is not None:
        if given not in names:
            raise MlproofError(f"The data has no column {shown(given)}; its columns are {shown(names, 60)}.")
        return given
    for candidate in GROUP_COLUMNS:
        if candidate in names:
            return candidate
    raise MlproofError(f"Say which column holds the group (group_column); the data has {shown(names, 60)}.")


def _pick_value_column(table, group: str, given: str | None) -> str:
    import pyarrow as pa

    names = table.column_names
    if given is not None:
        if given not in names:
            raise MlproofError(f"The data has no column {shown(given)}; its columns are {shown(names, 60)}.")
        return given
    numeric = [n for n in names if n != group and (pa.types.is_integer(table.schema.field(n).type)
               or pa.types.is_floating(table.schema.field(n).type) or pa.types.is_boolean(table.schema.field(n).type))]
    if len(numeric) == 1:
        return numeric[0]
    raise MlproofError(f"Say which column holds the metric (value_column); the numeric columns are {shown(numeric, 60)}.")


def _values(table, column: str) -> np.ndarray:
    import pyarrow as pa

    field = table.schema.field(column).type
    if not (pa.types.is_integer(field) or pa.types.is_floating(field) or pa.types.is_boolean(field)):
        raise MlproofError(f"The value column {shown(column)} is not numeric ({field}).")
    chunked = table.column(column)
    if chunked.null_count:
        raise MlproofError(f"The value column {shown(column)} has {chunked.null_count} missing value(s); remove or fill them first.")
    values = chunked.to_numpy().astype(float)
    if not np.isfinite(values).all():
        raise MlproofError(f"The value column {shown(column)} has NaN or infinite values; remove them first.")
    return values


def arms_from_file(path: Path, group_column: str | None, value_column: str | None,
                   control_group: str | None, metric: str | None) -> ArmsFromData:
    from mlproof.drift.readers import read_file

    table = read_file(path)
    group = _pick_group_column(table.column_names, group_column)
    value = _pick_value_column(table, group, value_column)
    if table.column(group).null_count:
        raise MlproofError(f"The group column {shown(group)} has missing values.")
    labels = np.array([str(v) for v in table.column(group).to_pylist()])
    values = _values(table, value)
    groups = sorted(set(labels.tolist()))
    if len(groups) != 2:
        raise MlproofError(f"The group column {shown(group)} must hold exactly two groups, found {len(groups)}: {shown(groups, 60)}.")
    if control_group is not None:
        if control_group not in groups:
            raise MlproofError(f"The control group {shown(control_group)} is not among the groups {shown(groups)}.")
        control_label = control_group
    else:
        named = [g for g in groups if g.lower() in CONTROL_NAMES]
        if len(named) != 1:
            raise MlproofError(f"Say which group is the control (control_group): {shown(groups)}.")
        control_label = named[0]
    treatment_label = next(g for g in groups if g != control_label)
    binary = bool(np.isin(values, (0.0, 1.0)).all())
    chosen = metric or ("conversion" if binary else "continuous")
    if chosen == "conversion" and not binary:
        raise MlproofError(f"A conversion metric needs 0/1 values, but {shown(value)} has others.")
    arms = []
    for label in (control_label, treatment_label):
        sample = values[labels == label]
        if chosen == "conversion":
            arms.append(ConversionArm(int(sample.sum()), int(sample.size)))
        else:
            if sample.size < 2:
                raise MlproofError(f"The group {shown(label)} has fewer than 2 rows.")
            sd = float(sample.std(ddof=1))
            if sd == 0:
                raise MlproofError(f"Every value of group {shown(label)} is the same, so its variance is 0.")
            arms.append(ContinuousArm(float(sample.mean()), sd, int(sample.size)))
    why = "0/1 values" if metric is None and binary else ("numeric values" if metric is None else f"metric={chosen}")
    note = (f"Read {table.num_rows} rows of {path.name}: group column {group!r} (control {control_label!r}, "
            f"treatment {treatment_label!r}), value column {value!r} as a {chosen} metric ({why}).")
    return ArmsFromData(arms[0], arms[1], control_label, treatment_label, chosen, note)
