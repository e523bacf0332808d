"""Validate the caller's options and align the two schemas into a per-column plan."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlproof.drift.columns import ALL_TYPES, is_numeric_type, type_family
from mlproof.drift.models import SchemaDiff
from mlproof.drift.policy import Method, resolve_method
from mlproof.errors import MlproofError

TYPE_ALIASES = {"num": "numerical", "numeric": "numerical", "cat": "categorical", "category": "categorical"}


@dataclass
class Options:
    """Everything the caller can override, checked once."""

    columns: list[str] | None = None
    column_types: dict[str, str] = field(default_factory=dict)
    methods: dict[str, Method] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    threshold: float | None = None
    drift_share: float = 0.5


@dataclass
class ColumnPlan:
    name: str
    reference_type: object  # Arrow DataType
    current_type: object
    type_override: str | None
    method: Method | None
    threshold: float | None
    mismatch: str | None = None  # set when the two dtypes cannot be compared
    method_for_all: Method | None = None  # methods={"*": ...}: used where it fits the column's type

    def chosen_method(self, column_type: str) -> tuple[Method | None, str]:
        """The caller's method for this column, if any, and why."""
        if self.method is not None:
            return self.method, "set by the caller"
        if self.method_for_all is not None and column_type in self.method_for_all.column_types:
            return self.method_for_all, "set by the caller for every column it fits"
        return None, ""


def check_options(columns, column_types, methods, thresholds, threshold, drift_share) -> Options:
    if not 0 < float(drift_share) <= 1:
        raise MlproofError(f"drift_share must be in (0, 1], got {drift_share}.")
    if threshold is not None:
        _check_threshold("threshold", threshold)
    types = {}
    for name, kind in (column_types or {}).items():
        kind = TYPE_ALIASES.get(str(kind).lower(), str(kind).lower())
        if kind not in ALL_TYPES:
            raise MlproofError(f"Column type {kind!r} for {name!r} is not one of numerical, categorical, text.")
        types[name] = kind
    resolved = {name: resolve_method(m) for name, m in (methods or {}).items()}
    for name, value in (thresholds or {}).items():
        _check_threshold(f"threshold for {name!r}", value)
    if columns is not None:
        columns = [c for c in columns]
        if not columns:
            raise MlproofError("The column selection is empty.")
    return Options(
        columns=columns,
        column_types=types,
        methods=resolved,
        thresholds={k: float(v) for k, v in (thresholds or {}).items()},
        threshold=None if threshold is None else float(threshold),
        drift_share=float(drift_share),
    )


def _check_threshold(what: str, value) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MlproofError(f"The {what} must be a number, got {value!r}.") from None
    if not number >= 0 or number == float("inf"):
        raise MlproofError(f"The {what} must be a non-negative finite number, got {value!r}.")


def align(reference_schema, current_schema, options: Options) -> tuple[list[ColumnPlan], SchemaDiff]:
    """Columns present in both datasets (reference order), and the differences in words."""
    # pandas stores a non-default index in Parquet as "__index_level_0__": bookkeeping, not data.
    ref_names = [n for n in reference_schema.names if not n.startswith("__index_level_")]
    cur_names = [n for n in current_schema.names if not n.startswith("__index_level_")]
    if not ref_names:
        raise MlproofError("The reference dataset has no columns.")
    if not cur_names:
        raise MlproofError("The current dataset has no columns.")
    diff = SchemaDiff(
        missing_in_current=[c for c in ref_names if c not in cur_names],
        extra_in_current=[c for c in cur_names if c not in ref_names],
    )
    wanted = options.columns if options.columns is not None else [c for c in ref_names if c in cur_names]
    absent = [c for c in wanted if c not in ref_names or c not in cur_names]
    if absent:
        raise MlproofError(f"Selected column(s) {', '.join(map(repr, absent))} are not in both datasets.")
    if not wanted:
        raise MlproofError("The reference and current datasets share no column names.")
    for label, names in (("column type", options.column_types), ("method", options.methods), ("threshold", options.thresholds)):
        unknown = [c for c in names if c not in wanted and c != "*"]
        if unknown:
            raise MlproofError(f"A {label} was given for {', '.join(map(repr, unknown))}, which is not a compared column.")

    plans = []
    for name in wanted:
        ref_type = reference_schema.field(name).type
        cur_type = current_schema.field(name).type
        plan = ColumnPlan(
            name=name,
            reference_type=ref_type,
            current_type=cur_type,
            type_override=options.column_types.get(name),
            method=options.methods.get(name),
            threshold=options.thresholds.get(name, options.threshold),
            method_for_all=options.methods.get("*"),
        )
        ref_family, cur_family = type_family(ref_type), type_family(cur_type)
        if ref_family != cur_family:
            diff.dtype_mismatches.append(f"{name}: {ref_type} vs {cur_type}")
            both_numeric = is_numeric_type(ref_type) and is_numeric_type(cur_type)
            either_null = "null" in (ref_family, cur_family)
            if not both_numeric and not either_null and plan.type_override is None:
                plan.mismatch = (
                    f"reference is {ref_type} but current is {cur_type}; set a column type to compare them anyway"
                )
        plans.append(plan)
    return plans, diff
